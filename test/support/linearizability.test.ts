// Proves the linearizability checker right in both directions. Hand-made histories pin the classic
// cases (stale reads, values never written, pending operations that may or may not have applied,
// compare-and-set, touching intervals). Small arbitrary histories are judged against an oracle that
// tries every order, with each way of comparing states and with no cache. Randomized histories come
// from simulating a correct register: each operation takes effect at a random instant inside its
// interval, so the history is linearizable by construction and must check 'ok'; then one read's output
// is changed to a value no linearization can give it, and the history must check 'illegal'. Histories
// with many pending writes or thousands of operations must finish within a step budget, and the
// key-value model must check keys apart and agree with checking them together.
import t from 'tap';
import { type Random, SeededRandom } from '../../storage/env/random.js';
import { checkLinearizability, type CheckResult, LinearizabilityError, type Model, type Operation } from './linearizability.js';
import { type KvInput, kvModel, type RegisterInput, registerModel, type RegisterOutput, type RegisterState } from './linearizability-models.js';
import { announceSeed } from './seed.js';

const seed = announceSeed(import.meta.url);

type RegisterOp = Operation<RegisterInput, RegisterOutput>;
type KvOp = Operation<KvInput, RegisterOutput>;

const read = (clientId: number, callMs: number, returnMs: number, value: string | undefined): RegisterOp => ({
  clientId,
  input: { kind: 'read' },
  output: { value },
  callMs,
  returnMs,
});
const write = (clientId: number, callMs: number, returnMs: number, value: string): RegisterOp => ({
  clientId,
  input: { kind: 'write', value },
  output: { ok: true },
  callMs,
  returnMs,
});
const cas = (clientId: number, callMs: number, returnMs: number, from: string | undefined, to: string, ok: boolean): RegisterOp => ({
  clientId,
  input: { kind: 'cas', from, to },
  output: { ok },
  callMs,
  returnMs,
});
const pending = (clientId: number, callMs: number, input: RegisterInput): RegisterOp => ({
  clientId,
  input,
  output: undefined,
  callMs,
  returnMs: Infinity,
});

function describe(result: CheckResult<unknown, unknown>): string {
  return result.result === 'ok' ? 'ok' : `${result.result}: ${result.explanation}`;
}

function checkRegister(history: readonly RegisterOp[]): CheckResult<RegisterInput, RegisterOutput> {
  return checkLinearizability(registerModel, history);
}

t.test('a sequential history that follows the register is ok', async (t) => {
  const history = [write(1, 0, 1, 'a'), read(2, 2, 3, 'a'), cas(1, 4, 5, 'a', 'b', true), read(3, 6, 7, 'b')];
  t.equal(checkRegister(history).result, 'ok');
  t.equal(checkRegister([]).result, 'ok', 'the empty history is linearizable');
  t.equal(checkRegister([read(1, 0, 1, undefined)]).result, 'ok', 'a read before any write sees undefined');
});

t.test('concurrent operations may take effect in either order', async (t) => {
  // Two overlapping writes; a reader that overlaps them may see either, and a later one the last applied.
  const writes = [write(1, 0, 10, 'a'), write(2, 2, 12, 'b')];
  t.equal(checkRegister([...writes, read(3, 1, 3, undefined), read(3, 13, 14, 'a')]).result, 'ok');
  t.equal(checkRegister([...writes, read(3, 1, 3, 'b'), read(3, 13, 14, 'b')]).result, 'ok');
  t.equal(checkRegister([...writes, read(3, 5, 6, 'a'), read(4, 5, 6, 'b')]).result, 'ok');
  t.equal(checkRegister([...writes, read(3, 5, 6, 'b'), read(4, 13, 14, 'a')]).result, 'ok', 'b first, then a');
  t.equal(checkRegister([...writes, read(3, 11, 11, 'b'), read(4, 13, 14, 'a')]).result, 'illegal', 'a ended before b was seen');
});

t.test('intervals that touch count as concurrent; a gap orders them', async (t) => {
  t.equal(checkRegister([write(1, 0, 5, 'a'), read(2, 5, 6, undefined)]).result, 'ok');
  t.equal(checkRegister([write(1, 0, 5, 'a'), read(2, 6, 7, undefined)]).result, 'illegal');
});

t.test('a stale read is illegal, and the explanation names it', async (t) => {
  const history = [write(1, 0, 10, 'a'), write(2, 20, 30, 'b'), read(3, 40, 50, 'a')];
  const result = checkRegister(history);
  if (result.result !== 'illegal') return t.fail(`expected illegal, got ${describe(result)}`);
  t.equal(result.unplaced, history[2], 'the read is the operation that could not be placed');
  t.same(result.longestPrefix, history.slice(0, 2));
  t.match(result.explanation, /places 2 of 3 operations, leaving the state "b"/);
  t.match(result.explanation, /no order then places history\[2\] client 3 \{kind: "read"\} -> \{value: "a"\} \[40, 50\]/);
  t.match(result.explanation, /refused by the model/);
});

t.test('a read that goes back to an older value after a newer one was seen is illegal', async (t) => {
  // The new-old inversion: the write is still running, but one reader has already seen it.
  const history = [write(1, 0, 1, 'a'), write(2, 10, 30, 'b'), read(3, 12, 14, 'b'), read(4, 16, 18, 'a')];
  t.equal(checkRegister(history).result, 'illegal');
  t.equal(checkRegister([history[0]!, history[1]!, history[3]!, history[2]!]).result, 'illegal', 'input order does not matter');
});

t.test('a read of a value never written is illegal', async (t) => {
  t.equal(checkRegister([write(1, 0, 10, 'a'), read(2, 5, 15, 'z')]).result, 'illegal');
  t.equal(checkRegister([read(2, 5, 15, 'z')]).result, 'illegal');
});

t.test('a pending write may or may not have taken effect, at any time after its call', async (t) => {
  const base = [write(1, 0, 1, 'a'), pending(2, 2, { kind: 'write', value: 'b' })];
  t.equal(checkRegister([...base, read(3, 3, 4, 'a')]).result, 'ok', 'not applied (yet)');
  t.equal(checkRegister([...base, read(3, 3, 4, 'b')]).result, 'ok', 'applied');
  t.equal(checkRegister([...base, read(3, 3, 4, 'a'), read(3, 100, 101, 'b')]).result, 'ok', 'applied much later');
  t.equal(checkRegister([...base, read(3, 3, 4, 'b'), read(3, 5, 6, 'a')]).result, 'illegal', 'once applied it stays');
  t.equal(checkRegister([write(1, 0, 1, 'a'), pending(2, 5, { kind: 'write', value: 'b' }), read(3, 2, 3, 'b')]).result,
    'illegal', 'not before its call');
  t.equal(checkRegister([pending(2, 0, { kind: 'read' }), read(3, 2, 3, undefined)]).result, 'ok', 'a pending read is harmless');
});

t.test('compare-and-set succeeds exactly when the value matches', async (t) => {
  t.equal(checkRegister([write(1, 0, 1, 'a'), cas(1, 2, 3, 'a', 'b', true), cas(2, 4, 5, 'a', 'c', false), read(3, 6, 7, 'b')]).result, 'ok');
  t.equal(checkRegister([cas(1, 0, 1, undefined, 'a', true), read(2, 2, 3, 'a')]).result, 'ok', 'cas from absent creates');
  t.equal(checkRegister([write(1, 0, 1, 'a'), cas(1, 2, 3, 'x', 'y', true)]).result, 'illegal', 'succeeded on a mismatch');
  t.equal(checkRegister([write(1, 0, 1, 'a'), cas(1, 2, 3, 'a', 'b', false)]).result, 'illegal', 'failed on a match');
  t.equal(checkRegister([write(1, 0, 1, 'a'), cas(1, 2, 3, 'a', 'b', false), read(2, 4, 5, 'b')]).result, 'illegal',
    'a failed cas wrote nothing');
  const racing = (secondOk: boolean): RegisterOp[] => [write(1, 0, 1, 'a'), cas(2, 2, 10, 'a', 'b', true), cas(3, 2, 10, 'a', 'c', secondOk)];
  t.equal(checkRegister(racing(true)).result, 'illegal', 'two racing cas from the same value cannot both win');
  t.equal(checkRegister(racing(false)).result, 'ok', 'one wins, one loses');
  const pendingCas = [write(1, 0, 1, 'a'), pending(2, 2, { kind: 'cas', from: 'a', to: 'b' })];
  t.equal(checkRegister([...pendingCas, read(3, 3, 4, 'b')]).result, 'ok', 'a pending cas may have applied');
  t.equal(checkRegister([...pendingCas, read(3, 3, 4, 'a')]).result, 'ok', 'or not');
});

t.test('malformed histories and models are refused, not checked', async (t) => {
  const refuses = (history: RegisterOp[], code: string, why: string): void => {
    t.throws(() => checkRegister(history), { name: 'LinearizabilityError', code }, why);
  };
  refuses([write(1, 5, 4, 'a')], 'MALFORMED_HISTORY', 'return before call');
  refuses([{ ...write(1, 0, 1, 'a'), returnMs: Infinity }], 'MALFORMED_HISTORY', 'pending with an output');
  refuses([{ ...write(1, 0, 1, 'a'), output: undefined }], 'MALFORMED_HISTORY', 'returned without an output');
  refuses([{ ...write(1, 0, 1, 'a'), callMs: NaN }], 'MALFORMED_HISTORY', 'no call time');
  refuses([{ ...read(1, 0, 1, 'a'), output: { ok: true } }], 'MALFORMED_HISTORY', 'a read answered like a write');
  const dropsOne: Model<RegisterState, RegisterInput, RegisterOutput> = { ...registerModel, partition: (ops) => [ops.slice(1)] };
  t.throws(() => checkLinearizability(dropsOne, [write(1, 0, 1, 'a'), read(1, 2, 3, 'a')]), new LinearizabilityError('MALFORMED_MODEL', 'partition kept 1 of 2 operations'));
});

t.test('an exhausted step budget gives unknown, not a verdict', async (t) => {
  const random = new SeededRandom(seed);
  const history = simulate(random, { clients: 4, opsPerClient: 20, keys: 1, pendingChance: 0 }).map(toRegisterOp);
  const result = checkLinearizability(registerModel, history, { searchStepsMax: 10 });
  t.equal(result.result, 'unknown');
  if (result.result === 'unknown') t.match(result.explanation, /searchStepsMax/);
  t.equal(checkLinearizability(registerModel, history).result, 'ok', 'with the default budget it finishes');
});

t.test('pending writes that never took effect do not multiply the search', async (t) => {
  // Thirty clients time out on writes no one ever reads. Every subset of them might have applied, in any
  // order; the search must not try them all (the cache prunes by subset, candidates enter it together).
  const history = [write(1, 0, 1, 'a')];
  for (let i = 0; i < 30; i++) history.push(pending(10 + i, 2 + i, { kind: 'write', value: `lost${i}` }));
  history.push(write(2, 40, 41, 'b'));
  const budget = { searchStepsMax: 100_000 };
  const stale = checkLinearizability(registerModel, [...history, read(3, 50, 51, 'a')], budget);
  t.equal(stale.result, 'illegal', describe(stale));
  t.equal(checkLinearizability(registerModel, [...history, read(3, 50, 51, 'b')], budget).result, 'ok');
  t.equal(checkLinearizability(registerModel, [...history, read(3, 50, 51, 'lost7')], budget).result, 'ok', 'applied after b');
  const lateRead = [...history, read(3, 50, 51, 'lost7'), read(3, 52, 53, 'b')];
  t.equal(checkLinearizability(registerModel, lateRead, budget).result, 'illegal', 'b cannot come back');
});

t.test('read-only operations are placed without branching, and a model must not lie about them', async (t) => {
  const random = new SeededRandom(seed + 500);
  const history = simulate(random, { clients: 8, opsPerClient: 100, keys: 1, pendingChance: 0 }).map(toRegisterOp);
  const branching: Model<RegisterState, RegisterInput, RegisterOutput> = { ...registerModel, readOnly: undefined };
  const withReadOnly = checkLinearizability(registerModel, history);
  const without = checkLinearizability(branching, history);
  t.equal(withReadOnly.result, 'ok');
  t.equal(without.result, 'ok');
  t.ok(withReadOnly.searchSteps < without.searchSteps, `${withReadOnly.searchSteps} steps with readOnly, ${without.searchSteps} without`);
  const lying: Model<RegisterState, RegisterInput, RegisterOutput> = { ...registerModel, readOnly: () => true };
  t.throws(() => checkLinearizability(lying, [write(1, 0, 1, 'a')]), { name: 'LinearizabilityError', code: 'MALFORMED_MODEL' });
});

// ---- Simulation of a correct store ----

interface SimulationConfig {
  readonly clients: number;
  readonly opsPerClient: number;
  readonly keys: number;
  /** The chance that an operation never returns (its client crashes; a new client carries on). */
  readonly pendingChance: number;
}

/**
 * A history of a correct key-value store: every operation takes effect at one random instant inside
 * its interval (a pending one at a random instant after its call, or never), in that order. Written
 * values are unique, which the corruption below relies on.
 */
function simulate(random: Random, config: SimulationConfig): KvOp[] {
  interface Planned {
    clientId: number;
    key: string;
    callMs: number;
    returnMs: number;
    effectAtMs: number | undefined;
    pending: boolean;
    input?: KvInput;
    output?: RegisterOutput;
  }
  const planned: Planned[] = [];
  let nextClientId = config.clients;
  for (let client = 0; client < config.clients; client++) {
    let clientId = client;
    let nowMs = random.int(5);
    for (let i = 0; i < config.opsPerClient; i++) {
      const callMs = nowMs + random.int(3);
      const returnMs = callMs + 1 + random.int(8);
      nowMs = returnMs;
      const isPending = random.chance(config.pendingChance);
      const effectAtMs = isPending
        ? random.chance(0.5) ? callMs + random.float() * 40 : undefined
        : callMs + (0.01 + 0.98 * random.float()) * (returnMs - callMs);
      planned.push({ clientId, key: `k${random.int(config.keys)}`, callMs, returnMs, effectAtMs, pending: isPending });
      if (isPending) clientId = nextClientId++;
    }
  }
  // Inputs in call order, so that a cas usually names a value written not long before: some succeed.
  planned.sort((a, b) => a.callMs - b.callMs);
  const recentByKey = new Map<string, string[]>();
  let valueCount = 0;
  for (const op of planned) {
    const recent = recentByKey.get(op.key) ?? [];
    recentByKey.set(op.key, recent);
    const choice = random.float();
    if (choice < 0.4) {
      op.input = { kind: 'read', key: op.key };
    } else {
      const value = `v${valueCount++}`;
      if (choice < 0.75) {
        op.input = { kind: 'write', key: op.key, value };
      } else {
        const from = recent.length === 0 || random.chance(0.1) ? undefined : random.pick(recent.slice(-3));
        op.input = { kind: 'cas', key: op.key, from, to: value };
      }
      recent.push(value);
    }
  }
  const store = new Map<string, string>();
  const applied = planned.filter((op) => op.effectAtMs !== undefined).sort((a, b) => a.effectAtMs! - b.effectAtMs!);
  for (const op of applied) {
    const input = op.input!;
    const current = store.get(input.key);
    switch (input.kind) {
      case 'read':
        op.output = { value: current };
        break;
      case 'write':
        store.set(input.key, input.value);
        op.output = { ok: true };
        break;
      case 'cas':
        op.output = { ok: current === input.from };
        if (current === input.from) store.set(input.key, input.to);
        break;
    }
  }
  return planned.map((op) => ({
    clientId: op.clientId,
    input: op.input!,
    output: op.pending ? undefined : op.output!,
    callMs: op.callMs,
    returnMs: op.pending ? Infinity : op.returnMs,
  }));
}

function toRegisterOp(op: KvOp): RegisterOp {
  const input: RegisterInput =
    op.input.kind === 'read' ? { kind: 'read' }
    : op.input.kind === 'write' ? { kind: 'write', value: op.input.value }
    : { kind: 'cas', from: op.input.from, to: op.input.to };
  return { ...op, input };
}

function writtenValue(input: RegisterInput): string | undefined {
  return input.kind === 'write' ? input.value : input.kind === 'cas' ? input.to : undefined;
}

type Corruption = 'stale' | 'future' | 'never written';

/**
 * Changes one returned read's output to a value no linearization can give it, or returns undefined if
 * the history has no returned read. Since written values are unique, a value is impossible for read R if
 * - it is never written (a fresh value, or the target of a cas that failed);
 * - its writer was called after R returned ('future');
 * - its writer definitely applied (returned, and is a write or a successful cas) and returned before
 *   another definite writer was called that itself returned before R was called ('stale'); the same
 *   holds for the initial undefined once any definite writer returned before R was called.
 * "Not current at any instant of R in this run" is not enough: concurrent writes may swap order.
 */
function corruptOneRead(random: Random, history: readonly RegisterOp[]): { history: RegisterOp[]; index: number; kind: Corruption } | undefined {
  const reads = history.flatMap((op, index) => (op.input.kind === 'read' && op.output !== undefined ? [index] : []));
  if (reads.length === 0) return undefined;
  const index = random.pick(reads);
  const target = history[index]!;
  const definite = (op: RegisterOp): boolean =>
    op.output !== undefined && (op.input.kind === 'write' || (op.input.kind === 'cas' && 'ok' in op.output && op.output.ok));
  let overwrittenBeforeMs = -Infinity;
  for (const op of history) if (definite(op) && op.returnMs < target.callMs) overwrittenBeforeMs = Math.max(overwrittenBeforeMs, op.callMs);
  const impossible: { value: string | undefined; kind: Corruption }[] = [];
  if (overwrittenBeforeMs > -Infinity) impossible.push({ value: undefined, kind: 'stale' });
  for (const op of history) {
    const value = writtenValue(op.input);
    if (value === undefined) continue;
    if (op.callMs > target.returnMs) impossible.push({ value, kind: 'future' });
    else if (op.output !== undefined && 'ok' in op.output && !op.output.ok) impossible.push({ value, kind: 'never written' });
    else if (definite(op) && op.returnMs < overwrittenBeforeMs) impossible.push({ value, kind: 'stale' });
  }
  const chosen = impossible.length > 0 && random.chance(0.8) ? random.pick(impossible) : { value: 'never-written', kind: 'never written' as const };
  const actual = target.output !== undefined && 'value' in target.output ? target.output.value : undefined;
  if (chosen.value === actual) throw new Error(`test bug: ${chosen.kind} value ${actual} is what the read actually saw`);
  const corrupted = [...history];
  corrupted[index] = { ...target, output: { value: chosen.value } };
  return { history: corrupted, index, kind: chosen.kind };
}

t.test('randomized: a simulated correct register is ok, and one impossible read makes it illegal', async (t) => {
  const runs = 200;
  const kinds = new Map<Corruption, number>();
  let searchSteps = 0;
  let operations = 0;
  for (let run = 0; run < runs; run++) {
    const runSeed = (seed + run) >>> 0;
    const random = new SeededRandom(runSeed);
    const config = { clients: random.intBetween(2, 7), opsPerClient: random.intBetween(5, 50), keys: 1, pendingChance: 0.03 };
    const history = simulate(random, config).map(toRegisterOp);
    const result = checkRegister(history);
    operations += history.length;
    searchSteps += result.searchSteps;
    if (result.result !== 'ok') return t.fail(`run seed ${runSeed}: correct history judged ${describe(result)}`);
    const corruption = corruptOneRead(random, history);
    if (corruption === undefined) continue;
    kinds.set(corruption.kind, (kinds.get(corruption.kind) ?? 0) + 1);
    const corrupted = checkRegister(corruption.history);
    if (corrupted.result !== 'illegal') {
      return t.fail(`run seed ${runSeed}: ${corruption.kind} read history[${corruption.index}] judged ${describe(corrupted)}`);
    }
  }
  t.comment(`${operations} operations, ${searchSteps} search steps; corruptions: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  t.ok((kinds.get('stale') ?? 0) > 0 && (kinds.get('future') ?? 0) > 0, 'both stale and future reads were tried');
  t.pass(`${runs} histories checked both ways`);
});

/** Whether some order of `history` is linearizable, by trying every order: the oracle for small histories. */
function linearizableByBruteForce(history: readonly RegisterOp[]): boolean {
  const placed = history.map(() => false);
  const returnedCount = history.filter((op) => op.returnMs !== Infinity).length;
  const search = (state: RegisterState, returnedPlaced: number): boolean => {
    if (returnedPlaced === returnedCount) return true;
    return history.some((op, i) => {
      if (placed[i] || history.some((other, j) => !placed[j] && other.returnMs < op.callMs)) return false;
      const result = registerModel.step(state, op.input, op.output);
      if (!result.ok) return false;
      placed[i] = true;
      const found = search(result.state, returnedPlaced + (op.returnMs === Infinity ? 0 : 1));
      placed[i] = false;
      return found;
    });
  };
  return search(registerModel.init(), 0);
}

/** A short history of arbitrary outputs over few values and times, so that many are illegal. */
function arbitraryHistory(random: Random): RegisterOp[] {
  const values = [undefined, 'a', 'b', 'c'];
  const written = (): string => random.pick(['a', 'b', 'c']);
  return Array.from({ length: random.intBetween(1, 7) }, (_, i): RegisterOp => {
    const callMs = random.int(10);
    const returnMs = random.chance(0.15) ? Infinity : callMs + random.int(5);
    const kind = random.pick(['read', 'write', 'cas'] as const);
    const input: RegisterInput = kind === 'read' ? { kind } : kind === 'write' ? { kind, value: written() } : { kind, from: random.pick(values), to: written() };
    const output: RegisterOutput = kind === 'read' ? { value: random.pick(values) } : { ok: kind === 'write' || random.chance(0.5) };
    return { clientId: i, input, output: returnMs === Infinity ? undefined : output, callMs, returnMs };
  });
}

t.test('randomized: agrees with trying every order, however states are compared and with no cache', async (t) => {
  const byEqual: Model<RegisterState, RegisterInput, RegisterOutput> = { init: registerModel.init, step: registerModel.step, equal: (a, b) => a === b };
  const byIdentity: Model<RegisterState, RegisterInput, RegisterOutput> = { init: registerModel.init, step: registerModel.step };
  const random = new SeededRandom(seed + 1000);
  const verdicts = new Map<string, number>();
  for (let run = 0; run < 3000; run++) {
    const history = arbitraryHistory(random);
    const expected = linearizableByBruteForce(history) ? 'ok' : 'illegal';
    verdicts.set(expected, (verdicts.get(expected) ?? 0) + 1);
    const results = [
      checkLinearizability(registerModel, history),
      checkLinearizability(byEqual, history),
      checkLinearizability(byIdentity, history),
      checkLinearizability(registerModel, history, { cacheBytesMax: 0 }),
    ];
    const wrong = results.find((result) => result.result !== expected);
    if (wrong !== undefined) {
      return t.fail(`run ${run}: expected ${expected}, got ${results.map((r) => r.result).join(', ')}: ${describe(wrong)}\n${JSON.stringify(history)}`);
    }
  }
  t.comment(`verdicts: ${[...verdicts].map(([verdict, n]) => `${n} ${verdict}`).join(', ')}`);
  t.ok((verdicts.get('ok') ?? 0) > 300 && (verdicts.get('illegal') ?? 0) > 300, 'both verdicts are common');
});

t.test('a few thousand operations on one key check in a few steps each', async (t) => {
  const random = new SeededRandom(seed + 2000);
  const history = simulate(random, { clients: 8, opsPerClient: 500, keys: 1, pendingChance: 0.002 }).map(toRegisterOp);
  const startedMs = performance.now();
  const result = checkRegister(history);
  const elapsedMs = performance.now() - startedMs;
  t.equal(result.result, 'ok', describe(result));
  t.ok(result.searchSteps < 200 * history.length, `${result.searchSteps} search steps for ${history.length} operations`);
  t.comment(`${history.length} operations checked in ${elapsedMs.toFixed(0)} ms`);
  const corruption = corruptOneRead(random, history)!;
  t.equal(checkRegister(corruption.history).result, 'illegal', `${corruption.kind} read history[${corruption.index}]`);
});

// ---- The key-value model ----

const kvRead = (clientId: number, callMs: number, returnMs: number, key: string, value: string | undefined): KvOp => ({
  clientId,
  input: { kind: 'read', key },
  output: { value },
  callMs,
  returnMs,
});
const kvWrite = (clientId: number, callMs: number, returnMs: number, key: string, value: string): KvOp => ({
  clientId,
  input: { kind: 'write', key, value },
  output: { ok: true },
  callMs,
  returnMs,
});

t.test('the key-value model checks each key on its own', async (t) => {
  const history = [
    kvWrite(1, 0, 1, 'x', 'a'),
    kvWrite(2, 0, 1, 'y', 'b'),
    kvRead(3, 2, 3, 'x', 'a'),
    kvWrite(1, 2, 6, 'z', 'c'),
    kvRead(2, 4, 5, 'y', 'b'),
    kvRead(3, 7, 8, 'z', 'c'),
  ];
  const parts = kvModel.partition!(history);
  t.same(parts.map((part) => part.map((op) => history.indexOf(op))), [[0, 2], [1, 4], [3, 5]], 'grouped by key, in order');
  const ok = checkLinearizability(kvModel, history);
  t.equal(ok.result, 'ok');
  t.equal(ok.partitions, 3);

  const stale = [...history, kvWrite(1, 10, 11, 'y', 'b2'), kvRead(2, 12, 13, 'y', 'b')];
  const result = checkLinearizability(kvModel, stale);
  if (result.result !== 'illegal') return t.fail(`expected illegal, got ${describe(result)}`);
  t.equal(result.partition, 1, 'key y is the one that fails');
  t.equal(result.unplaced, stale[7]);
  t.match(result.explanation, /partition 1 of 3/);
  t.equal(checkLinearizability(kvModel, [kvWrite(1, 0, 1, 'x', 'a'), kvRead(2, 2, 3, 'y', 'a')]).result, 'illegal',
    'a value written to one key is not read from another');
});

t.test('randomized: checking keys apart agrees with checking them together', async (t) => {
  const together: Model<ReadonlyMap<string, string>, KvInput, RegisterOutput> = { init: kvModel.init, step: kvModel.step, key: kvModel.key! };
  for (let run = 0; run < 30; run++) {
    const runSeed = (seed + 3000 + run) >>> 0;
    const random = new SeededRandom(runSeed);
    const history = simulate(random, { clients: 3, opsPerClient: 8, keys: 3, pendingChance: 0.03 });
    const readIndexes = history.flatMap((op, index) => (op.input.kind === 'read' && op.output !== undefined ? [index] : []));
    const corrupted = [...history];
    if (readIndexes.length > 0) {
      const index = random.pick(readIndexes);
      corrupted[index] = { ...history[index]!, output: { value: 'never-written' } };
    }
    const verdicts = [history, corrupted].flatMap((candidate) => [
      checkLinearizability(kvModel, candidate).result,
      checkLinearizability(together, candidate).result,
    ]);
    const expected = ['ok', 'ok', readIndexes.length > 0 ? 'illegal' : 'ok', readIndexes.length > 0 ? 'illegal' : 'ok'];
    if (verdicts.join() !== expected.join()) return t.fail(`run seed ${runSeed}: expected ${expected.join()}, got ${verdicts.join()}`);
  }
  t.pass('partitioned and whole checks agree on correct and corrupted multi-key histories');
});
