// The public surface of cluster/raft: RawNode and what it speaks (messages, entries, Ready, Config),
// the log-storage interface with its in-memory implementation, the conf-change codec and the errors.
// Everything else in this folder is internal to the algorithm.

export { RawNode, type PeerProgress, type Ready, type Status } from './raw-node.js';
export type { Config, RaftRandom } from './config.js';
export type { ReadOnlyOption } from './read-only.js';
export { type InitialState, type LogStorage, MemoryLogStorage } from './storage.js';
export { decodeConfChange, encodeConfChange } from './conf-change-codec.js';
export type { ProgressState } from './progress.js';
export * from './types.js';
export * from './errors.js';
