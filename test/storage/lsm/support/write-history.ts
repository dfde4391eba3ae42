// The model the crash tests check a recovered database against: the state that was durable at the
// last successful open (`base`), and every write issued since, in issue order (which is the engine's
// sequence order: write() queues synchronously and groups are taken from the queue in order).
//
// After a crash, recovery must yield a prefix of the write order: the state after the first P writes,
// for some P at least `floor` — the count of writes the engine promised were durable (a synced write
// that resolved, and everything before it; writes before a flush() that resolved; everything at a
// clean close). `findPrefix` finds such a P or explains why none exists. Keys and values are latin1
// strings; each value names its key and a serial number unique across the whole run, so a value that
// was never written, or one that moved to another key, is recognised as such.
import type { LsmDb } from '../../../../storage/lsm/index.js';

export type WriteOp =
  | { readonly type: 'put'; readonly key: string; readonly value: string }
  | { readonly type: 'delete'; readonly key: string }
  | { readonly type: 'range'; readonly start: string; readonly end: string };

export interface WriteRecord {
  /** Position in the write order since the last open. */
  readonly index: number;
  readonly ops: readonly WriteOp[];
  readonly sync: boolean;
  outcome: 'pending' | 'acknowledged' | 'rejected';
}

export type KeyValueState = Map<string, string>;

export const toBytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
export const fromBytes = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');

/** The key a value was written under and its serial, or undefined when the value is not one of ours. */
export function parseValue(value: string): { key: string; serial: number } | undefined {
  const match = /^(.+)@(\d+):/.exec(value);
  return match === null ? undefined : { key: match[1]!, serial: Number(match[2]) };
}

export function applyOp(state: KeyValueState, op: WriteOp, touched?: (key: string) => void): void {
  if (op.type === 'put') {
    state.set(op.key, op.value);
    touched?.(op.key);
  } else if (op.type === 'delete') {
    state.delete(op.key);
    touched?.(op.key);
  } else {
    for (const key of [...state.keys()]) {
      if (key >= op.start && key < op.end) {
        state.delete(key);
        touched?.(key);
      }
    }
  }
}

export type PrefixResult = { readonly ok: true; readonly prefix: number } | { readonly ok: false; readonly explanation: string };

export class WriteHistory {
  base: KeyValueState = new Map();
  writes: WriteRecord[] = [];
  /** Writes [0, floor) were promised durable. */
  floor = 0;
  /** Every value ever issued, for recognising ones that were never written. */
  private readonly issuedValues = new Set<string>();

  issue(ops: readonly WriteOp[], sync: boolean): WriteRecord {
    const record: WriteRecord = { index: this.writes.length, ops, sync, outcome: 'pending' };
    for (const op of ops) if (op.type === 'put') this.issuedValues.add(op.value);
    this.writes.push(record);
    return record;
  }

  acknowledge(record: WriteRecord): void {
    record.outcome = 'acknowledged';
    if (record.sync) this.requireDurable(record.index + 1);
  }

  requireDurable(count: number): void {
    if (count > this.floor) this.floor = count;
  }

  /** The state after the first `count` writes. */
  stateAfter(count: number): KeyValueState {
    const state = new Map(this.base);
    for (const write of this.writes.slice(0, count)) for (const op of write.ops) applyOp(state, op);
    return state;
  }

  /** Starts a new epoch from a verified recovered state. */
  restart(state: KeyValueState): void {
    this.base = new Map(state);
    this.writes = [];
    this.floor = 0;
  }

  /** The smallest P >= floor whose state equals `actual`, or why there is none. */
  findPrefix(actual: KeyValueState): PrefixResult {
    const state = this.stateAfter(this.floor);
    const differing = new Set<string>();
    const compare = (key: string): void => {
      if (state.get(key) === actual.get(key)) differing.delete(key);
      else differing.add(key);
    };
    for (const key of state.keys()) compare(key);
    for (const key of actual.keys()) compare(key);
    let best = { prefix: this.floor, differing: differing.size };
    for (let prefix = this.floor; ; prefix++) {
      if (differing.size === 0) return { ok: true, prefix };
      if (differing.size < best.differing) best = { prefix, differing: differing.size };
      if (prefix === this.writes.length) break;
      for (const op of this.writes[prefix]!.ops) applyOp(state, op, compare);
    }
    return { ok: false, explanation: this.explain(actual, best.prefix) };
  }

  private explain(actual: KeyValueState, prefix: number): string {
    const lines = [
      `no prefix of the ${this.writes.length} writes in [${this.floor}, ${this.writes.length}] matches the recovered state; ` +
        `closest is ${prefix} writes`,
    ];
    const expected = this.stateAfter(prefix);
    const keys = new Set([...expected.keys(), ...actual.keys()]);
    let shown = 0;
    for (const key of [...keys].sort()) {
      const want = expected.get(key);
      const got = actual.get(key);
      if (want === got) continue;
      if (++shown > 8) {
        lines.push('  …');
        break;
      }
      lines.push(`  ${key}: expected ${this.describe(want)}, recovered ${this.describe(got)}`);
    }
    return lines.join('\n');
  }

  private describe(value: string | undefined): string {
    if (value === undefined) return 'absent';
    const parsed = parseValue(value);
    if (parsed === undefined || !this.issuedValues.has(value)) return `${JSON.stringify(value.slice(0, 40))} (NEVER WRITTEN)`;
    const write = this.writes.find((record) => record.ops.some((op) => op.type === 'put' && op.value === value));
    if (write === undefined) return `serial ${parsed.serial} (from before the last open)`;
    return `serial ${parsed.serial} (write ${write.index}, ${write.sync ? 'sync' : 'no sync'}, ${write.outcome})`;
  }
}

/**
 * Reads the whole database twice — by one forward scan and by a point read of every key the test may
 * have written — and returns the state, failing when the two disagree or a value is not one of ours
 * (nothing may appear that was never written) or belongs to another key.
 */
export function readWholeDatabase(db: LsmDb, keySpace: ReadonlySet<string>): KeyValueState {
  const scanned: KeyValueState = new Map();
  const iterator = db.iterator();
  try {
    let previous: string | undefined;
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
      const key = fromBytes(iterator.key());
      if (previous !== undefined && !(previous < key)) throw new Error(`scan: key ${JSON.stringify(key)} after ${JSON.stringify(previous)}`);
      previous = key;
      scanned.set(key, fromBytes(iterator.value()));
    }
  } finally {
    iterator.close();
  }
  for (const [key, value] of scanned) {
    const parsed = parseValue(value);
    if (parsed === undefined || parsed.key !== key) {
      throw new Error(`scan: ${JSON.stringify(key)} holds ${JSON.stringify(value.slice(0, 60))}, which was never written to it`);
    }
  }
  for (const key of keySpace) {
    const got = db.get(toBytes(key));
    const viaGet = got === undefined ? undefined : fromBytes(got);
    if (viaGet !== scanned.get(key)) {
      throw new Error(`get ${key} returned ${JSON.stringify(viaGet?.slice(0, 60))} but the scan saw ${JSON.stringify(scanned.get(key)?.slice(0, 60))}`);
    }
  }
  for (const key of scanned.keys()) {
    if (!keySpace.has(key)) throw new Error(`scan: key ${JSON.stringify(key)} was never written`);
  }
  return scanned;
}
