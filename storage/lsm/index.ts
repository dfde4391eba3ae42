// The LSM storage engine's public surface: open a database, write batches, read, iterate, snapshot,
// flush, compact, inspect and close. Everything else in storage/lsm is internal to the engine.

export { LsmDb } from './lsm-db.js';
export type { IteratorOptions, LsmLevelStats, LsmStats, ReadOptions, WriteOptions } from './lsm-db.js';
export type { LsmSnapshot } from './snapshots.js';
export { defaultLsmOptions, NUM_LEVELS } from './options.js';
export type { LsmOptions } from './options.js';
export { WriteBatch } from './write-batch.js';
export type { KeyValueIterator } from './iterator.js';
export { CorruptionError, StorageError } from '../env/errors.js';
export type { StorageErrorCode } from '../env/errors.js';
