// A range descriptor: which span of user keys a range holds, which nodes hold its replicas, and its
// generation. The generation grows by one with every split of the range (and, later, every merge), so
// a request stamped with an older generation knows its routing was made against a span that has
// changed (CockroachDB's RangeDescriptor.generation).
//
// Spans are half-open, [startKey, endKey), over raw user keys compared as unsigned bytes; an undefined
// endKey means "to the end of the key space". Ranges tile the key space: the first starts at the empty
// key, each next one starts where the previous ends, the last has no end.
//
// Encoding: msgpackr (a plain object with byte arrays as binary); the encoded form is stored in the
// node-local replica state and in the meta range, and carried in split commands.

import { Packr } from 'msgpackr';

export interface ReplicaDescriptor {
  readonly nodeId: number;
  /** The replica's Raft peer id within this range's group. */
  readonly replicaId: number;
}

export interface RangeDescriptor {
  readonly rangeId: number;
  readonly startKey: Uint8Array;
  /** Exclusive; undefined: unbounded. */
  readonly endKey: Uint8Array | undefined;
  readonly replicas: readonly ReplicaDescriptor[];
  readonly generation: number;
}

const packr = new Packr({ useRecords: false, moreTypes: false });

export function encodeRangeDescriptor(descriptor: RangeDescriptor): Uint8Array {
  return packr.pack({
    i: descriptor.rangeId,
    s: descriptor.startKey,
    e: descriptor.endKey ?? null,
    r: descriptor.replicas.map((replica) => [replica.nodeId, replica.replicaId]),
    g: descriptor.generation,
  });
}

function bytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new Error(`range descriptor: ${what} is not bytes`);
  return new Uint8Array(value);
}

export function decodeRangeDescriptor(encoded: Uint8Array): RangeDescriptor {
  const raw = packr.unpack(encoded) as { i: unknown; s: unknown; e: unknown; r: unknown; g: unknown };
  if (typeof raw.i !== 'number' || typeof raw.g !== 'number' || !Array.isArray(raw.r)) {
    throw new Error('range descriptor: malformed record');
  }
  return {
    rangeId: raw.i,
    startKey: bytes(raw.s, 'start key'),
    endKey: raw.e === null ? undefined : bytes(raw.e, 'end key'),
    replicas: (raw.r as [number, number][]).map(([nodeId, replicaId]) => ({ nodeId, replicaId })),
    generation: raw.g,
  };
}

export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Whether `key` falls in the descriptor's span. */
export function spanContainsKey(descriptor: Pick<RangeDescriptor, 'startKey' | 'endKey'>, key: Uint8Array): boolean {
  if (compareKeys(key, descriptor.startKey) < 0) return false;
  return descriptor.endKey === undefined || compareKeys(key, descriptor.endKey) < 0;
}

/** Whether [startKey, endKey) lies inside the descriptor's span (undefined ends are unbounded). */
export function spanContainsSpan(
  descriptor: Pick<RangeDescriptor, 'startKey' | 'endKey'>,
  startKey: Uint8Array | undefined,
  endKey: Uint8Array | undefined,
): boolean {
  if (compareKeys(startKey ?? new Uint8Array(0), descriptor.startKey) < 0) return false;
  if (descriptor.endKey === undefined) return true;
  return endKey !== undefined && compareKeys(endKey, descriptor.endKey) <= 0;
}

export function formatKey(key: Uint8Array | undefined): string {
  if (key === undefined) return '/Max';
  let text = '';
  for (const byte of key) text += byte >= 0x20 && byte < 0x7f && byte !== 0x5c ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  return `"${text}"`;
}

export function formatDescriptor(descriptor: RangeDescriptor): string {
  return `r${descriptor.rangeId}[${formatKey(descriptor.startKey)}, ${formatKey(descriptor.endKey)}) gen ${descriptor.generation}`;
}
