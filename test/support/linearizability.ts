// A linearizability checker for tests. Given a concurrent history (each operation's input, output, call
// and return times) and a sequential model, it looks for an order of the operations that respects real
// time (an operation that returned before another was called comes first) and that the model accepts
// (each operation, applied to the state the earlier ones left, gives the output the client saw). Such
// an order exists if and only if the history is linearizable.
//
// The search is Wing and Gong's with Lowe's just-in-time linearization and memoization, as in Porcupine.
// Call and return events sit in a doubly linked list sorted by time (calls first at equal times, so
// touching intervals count as concurrent). Walking it from the head, the search tries to place each
// operation whose call it meets; meeting a return first means that operation's last chance has passed,
// so it backtracks. Placing lifts an operation's two events out of the list and backtracking puts them
// back (dancing links). A cache of configurations (placed set, model state) prunes any reached again.
//
// An operation that never returned (a crash, a timeout) has `returnMs: Infinity` and `output:
// undefined`: it may have taken effect at any instant after its call, or never. Such pending operations
// stay out of the list; the search ends once every returned operation is placed, and tries a pending
// one only after a configuration's returned candidates. Beyond Porcupine, three rules keep pending
// operations and reads from multiplying the work:
// - The cache prunes a configuration if an entered one has the same state and returned operations and
//   a subset of its pending ones: what completes the newer one completes the older (pending operations
//   need not take effect and constrain no order).
// - A configuration's pending candidates all enter the cache before any is explored, so a chain of
//   pending operations is pruned by its last link instead of explored in every order.
// - An operation the model calls read-only is placed as soon as it fits, with no alternative tried: if
//   any order completes the configuration, one does with it first (it is available, what it must follow
//   is placed, and removing it from later changes no state).
//
// Invariants: the list holds exactly the events of the unplaced returned operations, in time order; the
// stack holds the placed operations with the state before each, and the bitsets and hash describe it;
// the cache holds only entered configurations, each explored in full unless the search ends first, so
// pruning against it loses no linearization; past `searchStepsMax` the answer is 'unknown', not a guess.
// A model may split a history into parts checked apart (`partition`): linearizability is local (Herlihy
// and Wing), so a key-value history is linearizable if and only if each key's is.

import { SeededRandom } from '../../storage/env/random.js';

export interface Operation<I, O> {
  /** Which client issued the operation; only used in explanations. */
  readonly clientId: number;
  readonly input: I;
  /** What the client saw; undefined if and only if the operation never returned. */
  readonly output: O | undefined;
  /** When the client called, from any monotonic source; finite. */
  readonly callMs: number;
  /** When the client saw the result; `Infinity` if it never did. */
  readonly returnMs: number;
}

export interface StepResult<S> {
  readonly ok: boolean;
  readonly state: S;
}

/**
 * A sequential specification. `step` must be pure; with `output` undefined (a pending operation) it
 * must accept and apply the operation as if it took effect. States are compared by `key` if given,
 * else by `equal`, else by `Object.is` (right for primitive states; for object states without `key` or
 * `equal` the cache never hits, which is correct but slow).
 */
export interface Model<S, I, O> {
  init(): S;
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  equal?(a: S, b: S): boolean;
  /** A string equal for two states exactly when the states are equal. */
  key?(state: S): string;
  /**
   * Whether the operation, with this output, leaves every state that accepts it unchanged (a read, a
   * failed compare-and-set). Optional; it lets the search place such operations without branching,
   * which on read-heavy histories saves most of the work.
   */
  readOnly?(input: I, output: O): boolean;
  /** Splits a history into independent parts; together they must hold every operation exactly once. */
  partition?(history: readonly Operation<I, O>[]): Operation<I, O>[][];
}

export interface CheckOptions {
  /**
   * The most search steps (a model step tried, a cursor move, a backtrack) per partition. Checking is
   * NP-complete: a typical test history needs tens of steps per operation, a pathological one (many
   * clients, many pending operations) could run for hours. Past the limit the answer is 'unknown', so
   * this trades test time for certainty.
   */
  readonly searchStepsMax?: number;
  /**
   * The most bytes the cache may hold per partition. Past it the search goes on without remembering
   * new configurations, which is still correct, only slower: this trades memory for time.
   */
  readonly cacheBytesMax?: number;
}

export const SEARCH_STEPS_MAX_DEFAULT = 10_000_000;
export const CACHE_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;

interface CheckSummary {
  /** How many parts the model split the history into (1 without `partition`). */
  readonly partitions: number;
  /** The search steps taken over all parts: the cost, for comparing with `searchStepsMax`. */
  readonly searchSteps: number;
}

export interface CheckOk extends CheckSummary {
  readonly result: 'ok';
}

export interface CheckIllegal<I, O> extends CheckSummary {
  readonly result: 'illegal';
  /** Which partition (0-based) has no linearization. */
  readonly partition: number;
  /** The longest order of that partition's operations that the search could linearize. */
  readonly longestPrefix: readonly Operation<I, O>[];
  /** The operation that had to come next (it returned earliest) and could not be placed. */
  readonly unplaced: Operation<I, O>;
  readonly explanation: string;
}

export interface CheckUnknown extends CheckSummary {
  readonly result: 'unknown';
  readonly explanation: string;
}

export type CheckResult<I, O> = CheckOk | CheckIllegal<I, O> | CheckUnknown;

export type LinearizabilityErrorCode =
  | 'MALFORMED_HISTORY' // an operation's times or output break the rules above
  | 'MALFORMED_MODEL' // a model broke its contract (a partition lost an operation, a replay failed)
  | 'BROKEN_INVARIANT'; // the checker's own bookkeeping is wrong: a bug here, not in the system tested

export class LinearizabilityError extends Error {
  readonly code: LinearizabilityErrorCode;
  constructor(code: LinearizabilityErrorCode, message: string) {
    super(message);
    this.name = 'LinearizabilityError';
    this.code = code;
  }
}

/** Searches for a linearization of `history` against `model`. Throws LinearizabilityError on bad input. */
export function checkLinearizability<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  const searchStepsMax = options.searchStepsMax ?? SEARCH_STEPS_MAX_DEFAULT;
  const cacheBytesMax = options.cacheBytesMax ?? CACHE_BYTES_MAX_DEFAULT;
  const indexInHistory = new Map<Operation<I, O>, number>();
  history.forEach((op, index) => {
    validateOperation(op, index);
    indexInHistory.set(op, index);
  });
  const parts = model.partition === undefined ? [[...history]] : model.partition(history);
  const partitioned = new Set(parts.flat());
  if (partitioned.size !== history.length || parts.flat().some((op) => !indexInHistory.has(op))) {
    throw new LinearizabilityError('MALFORMED_MODEL', `partition kept ${partitioned.size} of ${history.length} operations`);
  }

  let searchSteps = 0;
  let unknownPartition: number | undefined;
  for (let partition = 0; partition < parts.length; partition++) {
    const ops = parts[partition]!;
    const outcome = new Search(model, ops, cacheBytesMax).run(searchStepsMax);
    searchSteps += outcome.steps;
    if (outcome.kind === 'unknown') {
      unknownPartition ??= partition;
    } else if (outcome.kind === 'illegal') {
      const longestPrefix = outcome.longestPrefix.map((i) => ops[i]!);
      const { unplaced, explanation } = explainIllegal(model, ops, longestPrefix, indexInHistory);
      const where = parts.length > 1 ? ` (partition ${partition} of ${parts.length})` : '';
      return {
        result: 'illegal',
        partitions: parts.length,
        searchSteps,
        partition,
        longestPrefix,
        unplaced,
        explanation: `not linearizable${where}: ${explanation}`,
      };
    }
  }
  if (unknownPartition !== undefined) {
    const explanation =
      `gave up on partition ${unknownPartition} of ${parts.length} after ${searchStepsMax} search steps ` +
      '(searchStepsMax); no partition was found illegal';
    return { result: 'unknown', partitions: parts.length, searchSteps, explanation };
  }
  return { result: 'ok', partitions: parts.length, searchSteps };
}

function validateOperation(op: Operation<unknown, unknown>, index: number): void {
  const fail = (why: string): never => {
    throw new LinearizabilityError('MALFORMED_HISTORY', `history[${index}]: ${why}`);
  };
  if (!Number.isInteger(op.clientId)) fail(`clientId must be an integer, got ${op.clientId}`);
  if (!Number.isFinite(op.callMs)) fail(`callMs must be finite, got ${op.callMs}`);
  if (Number.isNaN(op.returnMs) || op.returnMs < op.callMs) fail(`returnMs ${op.returnMs} is before callMs ${op.callMs}`);
  if ((op.returnMs === Infinity) !== (op.output === undefined)) {
    fail('returnMs must be Infinity exactly when the output is undefined (the operation never returned)');
  }
}

type SearchOutcome =
  | { readonly kind: 'ok' | 'unknown'; readonly steps: number }
  | { readonly kind: 'illegal'; readonly steps: number; readonly longestPrefix: readonly number[] };

const NONE = -1;

/** An operation the model accepted from the current configuration, with the state it leads to. */
interface Candidate<S> {
  readonly op: number;
  readonly state: S;
  readonly stateKey: string;
}

/**
 * The search over one partition, as the header describes; operations are numbered by their index in
 * `ops`. Event 2i is operation i's call, 2i+1 its return, event 2n the list's head.
 */
class Search<S, I, O> {
  steps = 0;
  /** The longest order found so far, as operation numbers. */
  readonly longestPrefix: number[] = [];

  private readonly returnedCount: number;
  private readonly head: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly pendingByCall: number[] = [];
  private readonly placedPending: Uint8Array;
  /** Per operation, 1 if it returned and the model calls it read-only. */
  private readonly readOnly: Uint8Array;
  private readonly linearized: LinearizedSet;
  private readonly cache: VisitedCache<S>;

  private state: S;
  private stateKey: string;
  private returnedPlaced = 0;
  // The stack: per depth the operation placed there, the state before it, whether it was forced (read-
  // only: its failure fails the configuration below), and the cursor to resume from when it is undone.
  private depth = 0;
  private readonly stackOp: Int32Array;
  private readonly stackStateBefore: S[] = [];
  private readonly stackStateKeyBefore: string[] = [];
  private readonly stackForced: Uint8Array;
  private readonly stackPendingIndex: Int32Array;
  /** Per depth, the pending candidates of the configuration there, filled once its walk is done. */
  private readonly pendingQueues: Candidate<S>[][] = [];
  // The stack below `sharedDepth` has not changed since `longestPrefix` copied it, so a new record
  // copies only the part above: linear in the steps taken, not quadratic.
  private sharedDepth = 0;
  // The cursor: `event` in the walk of the list, or else `pendingIndex` in the configuration's queue;
  // `fresh` while the configuration has not been scanned for a read-only operation.
  private event: number;
  private pendingIndex = NONE;
  private fresh = true;

  constructor(
    private readonly model: Model<S, I, O>,
    private readonly ops: readonly Operation<I, O>[],
    cacheBytesMax: number,
  ) {
    const opCount = ops.length;
    const order: number[] = [];
    this.readOnly = new Uint8Array(opCount);
    ops.forEach((op, index) => {
      if (op.output === undefined) {
        this.pendingByCall.push(index);
      } else {
        order.push(2 * index, 2 * index + 1);
        if (model.readOnly?.(op.input, op.output) === true) this.readOnly[index] = 1;
      }
    });
    this.returnedCount = order.length / 2;
    const timeOf = (event: number): number => (event % 2 === 0 ? ops[event >> 1]!.callMs : ops[event >> 1]!.returnMs);
    order.sort((a, b) => timeOf(a) - timeOf(b) || (a % 2) - (b % 2) || a - b);
    this.pendingByCall.sort((a, b) => ops[a]!.callMs - ops[b]!.callMs || a - b);
    this.head = 2 * opCount;
    this.next = new Int32Array(2 * opCount + 1);
    this.prev = new Int32Array(2 * opCount + 1);
    let last = this.head;
    for (const event of order) {
      this.next[last] = event;
      this.prev[event] = last;
      last = event;
    }
    this.next[last] = NONE;
    this.event = this.next[this.head]!;

    this.placedPending = new Uint8Array(opCount);
    this.stackOp = new Int32Array(opCount);
    this.stackForced = new Uint8Array(opCount);
    this.stackPendingIndex = new Int32Array(opCount);
    this.linearized = new LinearizedSet(ops);
    this.cache = new VisitedCache(model, this.linearized, cacheBytesMax);
    this.state = model.init();
    this.stateKey = this.cache.keyOf(this.state);
    this.cache.visit(this.linearized, this.state, this.stateKey);
  }

  run(searchStepsMax: number): SearchOutcome {
    while (this.returnedPlaced < this.returnedCount) {
      if (this.steps >= searchStepsMax) return { kind: 'unknown', steps: this.steps };
      this.steps++;
      if (!this.advance()) return { kind: 'illegal', steps: this.steps, longestPrefix: this.longestPrefix };
    }
    return { kind: 'ok', steps: this.steps };
  }

  /** One move: place an operation, pass over one, or undo some. False once nothing is left to try. */
  private advance(): boolean {
    if (this.fresh) {
      this.fresh = false;
      const forced = this.placeReadOnly();
      if (forced === 'placed') return true;
      if (forced === 'seen') return this.backtrack();
    }
    if (this.pendingIndex !== NONE) {
      const queue = this.pendingQueues[this.depth]!;
      if (this.pendingIndex === queue.length) return this.backtrack();
      this.place(queue[this.pendingIndex]!, false);
      return true;
    }
    if (this.event === NONE) throw brokenInvariant('walked off the event list with operations left');
    if (this.event % 2 === 1) {
      this.fillPendingQueue(this.ops[this.event >> 1]!.returnMs);
      this.pendingIndex = 0;
      return true;
    }
    const candidate = this.tryStep(this.event >> 1);
    if (candidate === undefined || candidate === 'seen') this.event = this.next[this.event]!;
    else this.place(candidate, false);
    return true;
  }

  /** The model's step with `op` from here, if it accepts and the cache had no such configuration (it has now). */
  private tryStep(op: number, readOnly = false): Candidate<S> | 'seen' | undefined {
    this.steps++;
    const result = this.model.step(this.state, this.ops[op]!.input, this.ops[op]!.output);
    if (!result.ok) return undefined;
    const stateKey = this.cache.keyOf(result.state);
    if (readOnly && !this.cache.same(this.state, this.stateKey, result.state, stateKey)) {
      const what = `${formatValue(this.ops[op]!.input)} -> ${formatValue(this.ops[op]!.output)}`;
      throw new LinearizabilityError('MALFORMED_MODEL', `readOnly holds for ${what}, but step changed the state`);
    }
    this.linearized.flip(op);
    const isNew = this.cache.visit(this.linearized, result.state, stateKey);
    this.linearized.flip(op);
    return isNew ? { op, state: result.state, stateKey } : 'seen';
  }

  /** Places the first read-only candidate the model accepts, if there is one. */
  private placeReadOnly(): 'none' | 'placed' | 'seen' {
    for (let event = this.next[this.head]!; event !== NONE && event % 2 === 0; event = this.next[event]!) {
      if (this.readOnly[event >> 1] === 0) continue;
      const candidate = this.tryStep(event >> 1, true);
      if (candidate === 'seen') return 'seen';
      if (candidate === undefined) continue;
      this.place(candidate, true);
      return 'placed';
    }
    return 'none';
  }

  private fillPendingQueue(deadlineMs: number): void {
    const queue = (this.pendingQueues[this.depth] ??= []);
    queue.length = 0;
    for (const op of this.pendingByCall) {
      if (this.ops[op]!.callMs > deadlineMs) break;
      if (this.placedPending[op] === 1) continue;
      const candidate = this.tryStep(op);
      if (candidate !== undefined && candidate !== 'seen') queue.push(candidate);
    }
  }

  private place(candidate: Candidate<S>, forced: boolean): void {
    const { op } = candidate;
    const depth = this.depth++;
    this.stackOp[depth] = op;
    this.stackStateBefore[depth] = this.state;
    this.stackStateKeyBefore[depth] = this.stateKey;
    this.stackForced[depth] = forced ? 1 : 0;
    this.stackPendingIndex[depth] = this.pendingIndex;
    this.state = candidate.state;
    this.stateKey = candidate.stateKey;
    this.linearized.flip(op);
    if (this.ops[op]!.output === undefined) {
      this.placedPending[op] = 1;
    } else {
      this.returnedPlaced++;
      this.unlink(2 * op);
      this.unlink(2 * op + 1);
    }
    if (this.depth > this.longestPrefix.length) {
      this.longestPrefix.length = this.sharedDepth;
      for (let i = this.sharedDepth; i < this.depth; i++) this.longestPrefix.push(this.stackOp[i]!);
      this.sharedDepth = this.depth;
    }
    this.event = this.next[this.head]!;
    this.pendingIndex = NONE;
    this.fresh = true;
  }

  /** Undoes operations down to one that was not forced and resumes after it; false if none is left. */
  private backtrack(): boolean {
    let op: number;
    do {
      if (this.depth === 0) return false;
      op = this.stackOp[--this.depth]!;
      this.state = this.stackStateBefore[this.depth]!;
      this.stateKey = this.stackStateKeyBefore[this.depth]!;
      this.linearized.flip(op);
      if (this.ops[op]!.output === undefined) {
        this.placedPending[op] = 0;
      } else {
        this.returnedPlaced--;
        this.relink(2 * op + 1);
        this.relink(2 * op);
      }
    } while (this.stackForced[this.depth] === 1);
    this.sharedDepth = Math.min(this.sharedDepth, this.depth);
    const pendingIndex = this.stackPendingIndex[this.depth]!;
    this.pendingIndex = pendingIndex === NONE ? NONE : pendingIndex + 1;
    if (pendingIndex === NONE) this.event = this.next[2 * op]!;
    this.fresh = false;
    return true;
  }

  // Removing a call takes its return with it; reinsertion goes in the reverse order, so each event's own
  // prev and next (untouched while it is out) still name the neighbours it must go back between.
  private unlink(event: number): void {
    this.next[this.prev[event]!] = this.next[event]!;
    if (this.next[event] !== NONE) this.prev[this.next[event]!] = this.prev[event]!;
  }

  private relink(event: number): void {
    this.next[this.prev[event]!] = event;
    if (this.next[event] !== NONE) this.prev[this.next[event]!] = event;
  }
}

/**
 * The placed operations as two bitsets: returned ones (numbered as in the partition) and pending ones
 * (numbered among the pending). The hash covers only the returned ones, on purpose: the cache looks for
 * configurations that differ from the current one only in pending operations.
 */
class LinearizedSet {
  readonly returned: Uint32Array;
  readonly pending: Uint32Array;
  /** The XOR of two random words per returned member (Zobrist hashing), updated as members flip. */
  hashLow = 0;
  hashHigh = 0;
  /** Per operation, its bit among the pending, or NONE if it returned. */
  private readonly pendingSlot: Int32Array;
  private readonly zobrist: Uint32Array;

  constructor(ops: readonly Operation<unknown, unknown>[]) {
    this.pendingSlot = new Int32Array(ops.length).fill(NONE);
    let pendingCount = 0;
    ops.forEach((op, index) => {
      if (op.output === undefined) this.pendingSlot[index] = pendingCount++;
    });
    this.returned = new Uint32Array(Math.ceil(ops.length / 32));
    this.pending = new Uint32Array(Math.ceil(pendingCount / 32));
    // A fixed seed: the hash only spreads the cache's buckets, so it need not vary between runs.
    const random = new SeededRandom(0x5eed);
    this.zobrist = new Uint32Array(2 * ops.length).map(() => random.int(2 ** 32));
  }

  /** Adds the operation if absent, removes it if present. */
  flip(op: number): void {
    const slot = this.pendingSlot[op]!;
    if (slot !== NONE) {
      this.pending[slot >>> 5]! ^= 1 << (slot & 31);
      return;
    }
    this.returned[op >>> 5]! ^= 1 << (op & 31);
    this.hashLow ^= this.zobrist[2 * op]!;
    this.hashHigh ^= this.zobrist[2 * op + 1]!;
  }
}

interface CacheEntry<S> {
  readonly returned: Uint32Array;
  readonly pending: Uint32Array;
  readonly state: S;
  readonly stateKey: string;
}

/**
 * The configurations entered, bucketed by a hash of the returned set and the state key. A lookup
 * matches an entry with the same returned set and state and a subset of the pending set (see the
 * header). States are compared the model's way: by `key`, else `equal`, else `Object.is`.
 */
class VisitedCache<S> {
  private readonly buckets = new Map<number, CacheEntry<S>[]>();
  private bytes = 0;
  /** A rough cost of an entry: its bitsets, plus the object, array slot and map entry around them. */
  private readonly entryBytes: number;

  constructor(
    private readonly model: Pick<Model<S, unknown, unknown>, 'key' | 'equal'>,
    linearized: LinearizedSet,
    private readonly bytesMax: number,
  ) {
    this.entryBytes = 4 * (linearized.returned.length + linearized.pending.length) + 128;
  }

  /** The state's key, or '' when the model has none (then `same` ignores keys). */
  keyOf(state: S): string {
    return this.model.key === undefined ? '' : this.model.key(state);
  }

  same(a: S, aKey: string, b: S, bKey: string): boolean {
    if (this.model.key !== undefined) return aKey === bKey;
    if (this.model.equal !== undefined) return this.model.equal(a, b);
    return Object.is(a, b);
  }

  /** Whether the configuration is new, so must be explored; remembers it while there is room. */
  visit(linearized: LinearizedSet, state: S, stateKey: string): boolean {
    let stateHash = 0x811c9dc5; // FNV-1a over the key's UTF-16 code units
    for (let i = 0; i < stateKey.length; i++) stateHash = Math.imul(stateHash ^ stateKey.charCodeAt(i), 0x01000193);
    const low = (linearized.hashLow ^ stateHash) >>> 0;
    const high = (linearized.hashHigh ^ Math.imul(stateHash, 0x9e3779b1)) >>> 0;
    const bucketKey = low * 2 ** 21 + (high >>> 11);
    let bucket = this.buckets.get(bucketKey);
    for (const entry of bucket ?? []) {
      if (sameOrSubset(entry, linearized) && this.same(entry.state, entry.stateKey, state, stateKey)) return false;
    }
    const cost = this.entryBytes + 2 * stateKey.length;
    if (this.bytes + cost > this.bytesMax) return true;
    this.bytes += cost;
    if (bucket === undefined) this.buckets.set(bucketKey, (bucket = []));
    bucket.push({ returned: linearized.returned.slice(), pending: linearized.pending.slice(), state, stateKey });
    return true;
  }
}

/** Whether the entry has the same returned operations and a subset of the pending ones. */
function sameOrSubset(entry: CacheEntry<unknown>, linearized: LinearizedSet): boolean {
  for (let i = 0; i < entry.returned.length; i++) if (entry.returned[i] !== linearized.returned[i]) return false;
  for (let i = 0; i < entry.pending.length; i++) if ((entry.pending[i]! & ~linearized.pending[i]!) !== 0) return false;
  return true;
}

function brokenInvariant(what: string): LinearizabilityError {
  return new LinearizabilityError('BROKEN_INVARIANT', `linearizability checker: ${what}`);
}

const EXPLAIN_CANDIDATES_MAX = 8;
const EXPLAIN_PREFIX_TAIL = 5;

/**
 * Says why a partition failed, from its longest linearizable prefix: the state after it, the operation
 * that had to come next (the earliest return not yet placed), and what became of each operation that
 * could have come next (called no later than that return).
 */
function explainIllegal<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  longestPrefix: readonly Operation<I, O>[],
  indexInHistory: ReadonlyMap<Operation<I, O>, number>,
): { unplaced: Operation<I, O>; explanation: string } {
  const describe = (op: Operation<I, O>): string => {
    const output = op.output === undefined ? 'pending' : formatValue(op.output);
    return `history[${indexInHistory.get(op)}] client ${op.clientId} ${formatValue(op.input)} -> ${output} [${op.callMs}, ${op.returnMs}]`;
  };
  let state = model.init();
  for (const op of longestPrefix) {
    const result = model.step(state, op.input, op.output);
    if (!result.ok) throw new LinearizabilityError('MALFORMED_MODEL', `replaying ${describe(op)} failed: is step pure?`);
    state = result.state;
  }
  const placed = new Set(longestPrefix);
  const remaining = ops.filter((op) => !placed.has(op));
  const returned = remaining.filter((op) => op.output !== undefined);
  if (returned.length === 0) throw brokenInvariant('an illegal partition with every returned operation placed');
  const unplaced = returned.reduce((earliest, op) => (op.returnMs < earliest.returnMs ? op : earliest));
  const candidates = remaining.filter((op) => op.callMs <= unplaced.returnMs).sort((a, b) => a.callMs - b.callMs);

  const lines = [
    `the longest linearizable order places ${longestPrefix.length} of ${ops.length} operations, ` +
      `leaving the state ${formatValue(state)}; no order then places ${describe(unplaced)}.`,
    'Operations that could come next:',
  ];
  for (const op of candidates.slice(0, EXPLAIN_CANDIDATES_MAX)) {
    const accepted = model.step(state, op.input, op.output).ok;
    lines.push(`  ${describe(op)}: ${accepted ? 'accepted, but every order from there fails later' : 'refused by the model'}`);
  }
  if (candidates.length > EXPLAIN_CANDIDATES_MAX) lines.push(`  … and ${candidates.length - EXPLAIN_CANDIDATES_MAX} more`);
  if (longestPrefix.length > 0) lines.push('The end of the longest order:');
  for (const op of longestPrefix.slice(-EXPLAIN_PREFIX_TAIL)) lines.push(`  ${describe(op)}`);
  return { unplaced, explanation: lines.join('\n') };
}

const FORMAT_ITEMS_MAX = 10;

/** A short rendering of inputs, outputs and states; unlike JSON it keeps undefined fields and Maps. */
export function formatValue(value: unknown, depth = 0): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return String(value);
  if (depth >= 3) return '…';
  const items = (pairs: [string, unknown][]): string => {
    const shown = pairs.slice(0, FORMAT_ITEMS_MAX).map(([k, v]) => (k === '' ? '' : `${k}: `) + formatValue(v, depth + 1));
    if (pairs.length > FORMAT_ITEMS_MAX) shown.push('…');
    return shown.join(', ');
  };
  if (value instanceof Map) return `Map{${items([...value].map(([k, v]) => [formatValue(k), v]))}}`;
  if (Array.isArray(value)) return `[${items(value.map((v) => ['', v]))}]`;
  return `{${items(Object.entries(value))}}`;
}
