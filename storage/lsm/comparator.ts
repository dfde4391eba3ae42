// Orders keys. The engine is written against this interface so that tables can be sorted by plain
// bytes (user keys) or by internal keys (user key, then sequence number descending).

export interface Comparator {
  /** Recorded in the MANIFEST; reopening with a comparator of another name is refused. */
  readonly name: string;
  compare(a: Uint8Array, b: Uint8Array): number;
}

/** Lexicographic order of unsigned bytes, shorter first on a common prefix: LevelDB's default. */
export const bytewiseComparator: Comparator = {
  name: 'leveldb.BytewiseComparator',
  compare: (a, b) => Buffer.compare(a, b),
};
