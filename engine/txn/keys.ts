// Byte-string helpers the coordinator needs for user keys: order, a Map-friendly form, and successors.
//
// Map keys: a Uint8Array cannot key a Map by content, so keys are turned into latin1 strings (one
// char per byte, code points 0..255). JavaScript compares strings by UTF-16 code units, which for such
// strings is exactly unsigned byte order, so sorting these strings sorts the keys.

import { USER_KEY_MIN } from '../../cluster/kv/kv-client.js';
import { TxnError, formatKey } from './errors.js';
import { USER_KEY_SIZE_BYTES_MAX } from '../../storage/mvcc/keys.js';
import { byteString } from '../../storage/lsm/coding.js';

/** The Map form of a key (see the file comment). */
export function keyString(key: Uint8Array): string {
  return byteString(key);
}

export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** The smallest key above `key` (key + 0x00): the exclusive end of a span that ends at `key`. */
export function keySuccessor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}

/** A copy that the caller cannot change under us (callers may reuse their buffers). */
export function copyKey(key: Uint8Array): Uint8Array {
  return new Uint8Array(key);
}

/** Refuses keys the KV layer would refuse, with an error the SQL edge can report. */
export function checkUserKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new TxnError('INVALID_ARGUMENT', 'a key must be a Uint8Array');
  // Below USER_KEY_MIN (0x01) means empty or starting with 0x00; checked on the bytes, not with a
  // comparison call, because every read and write of a transaction passes here.
  if (key.length === 0 || key[0]! < USER_KEY_MIN[0]!) {
    throw new TxnError('INVALID_ARGUMENT', `key "${formatKey(key)}" is below the user key space (keys below 0x01 belong to the system)`);
  }
  if (key.length > USER_KEY_SIZE_BYTES_MAX) {
    throw new TxnError('INVALID_ARGUMENT', `a key of ${key.length} bytes is above the ${USER_KEY_SIZE_BYTES_MAX}-byte limit`);
  }
}

/** Sorts keys in byte order and drops repeats. */
export function sortedDistinctKeys(keys: Iterable<Uint8Array>): Uint8Array[] {
  const byString = new Map<string, Uint8Array>();
  for (const key of keys) byString.set(keyString(key), key);
  return [...byString.keys()].sort().map((text) => byString.get(text)!);
}
