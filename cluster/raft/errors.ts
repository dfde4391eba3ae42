// Typed errors of cluster/raft. Callers switch on the class (and on `reason` for dropped proposals);
// RaftInvariantError is never caught: it means the algorithm's state is broken and the process must
// stop before it acknowledges anything else.

export class RaftError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RaftError';
  }
}

/**
 * A broken invariant of the algorithm (a committed index going backwards, a leader overwriting its
 * own log, two leaders in one term, …). `invariant` names it, so a failing simulation seed says which.
 */
export class RaftInvariantError extends RaftError {
  readonly invariant: string;
  constructor(invariant: string, detail: string) {
    super(`raft invariant '${invariant}' broken: ${detail}`);
    this.name = 'RaftInvariantError';
    this.invariant = invariant;
  }
}

/** Throws RaftInvariantError when `condition` is false; `detail` is built only on failure. */
export function invariant(condition: boolean, name: string, detail: () => string): asserts condition {
  if (!condition) throw new RaftInvariantError(name, detail());
}

export type ProposalDroppedReason =
  | 'no-leader' // this node knows no leader to forward to
  | 'forwarding-disabled' // this node is a follower and Config.disableProposalForwarding is set
  | 'transferring' // the leader is handing leadership over and accepts nothing until that ends
  | 'uncommitted-size-limit' // the uncommitted tail would exceed Config.maxUncommittedEntriesSizeBytes
  | 'pending-conf-change' // a membership change is proposed but not yet applied
  | 'conf-change-invalid' // the membership change cannot apply to the current configuration
  | 'read-queue-full' // too many read-index requests await confirmation (Config.maxPendingReadIndexRequests)
  | 'not-in-config'; // this leader removed or demoted itself and is handing over (removal.ts)

/** A proposal (or a read request) that Raft will not carry; the caller may retry later or elsewhere. */
export class ProposalDroppedError extends RaftError {
  readonly reason: ProposalDroppedReason;
  constructor(reason: ProposalDroppedReason, detail?: string) {
    super(`raft proposal dropped: ${reason}${detail === undefined ? '' : ` (${detail})`}`);
    this.name = 'ProposalDroppedError';
    this.reason = reason;
  }
}

/** The log storage no longer holds the requested index: it was compacted into a snapshot. */
export class LogCompactedError extends RaftError {
  constructor(index: number, firstIndex: number) {
    super(`raft log: index ${index} is compacted (first index ${firstIndex})`);
    this.name = 'LogCompactedError';
  }
}

/** The log storage does not (yet) hold the requested index. */
export class LogUnavailableError extends RaftError {
  constructor(index: number, lastIndex: number) {
    super(`raft log: index ${index} is unavailable (last index ${lastIndex})`);
    this.name = 'LogUnavailableError';
  }
}

/** A snapshot older than the one storage already holds was offered. */
export class SnapshotOutOfDateError extends RaftError {
  constructor(index: number, currentIndex: number) {
    super(`raft storage: snapshot at ${index} is older than the current one at ${currentIndex}`);
    this.name = 'SnapshotOutOfDateError';
  }
}

/** Storage cannot produce a snapshot right now; the leader retries on a later attempt. */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super('raft storage: snapshot temporarily unavailable');
    this.name = 'SnapshotTemporarilyUnavailableError';
  }
}

/** A Config that cannot run (an election timeout not above the heartbeat, a zero id, …). */
export class RaftConfigError extends RaftError {
  constructor(message: string) {
    super(`raft config: ${message}`);
    this.name = 'RaftConfigError';
  }
}

/** A membership change that cannot apply to the configuration it was applied to. */
export class ConfChangeError extends RaftError {
  constructor(message: string) {
    super(`raft conf change: ${message}`);
    this.name = 'ConfChangeError';
  }
}

export type StepRejectedReason =
  | 'local-message' // a message type only a node generates for itself arrived from outside
  | 'peer-not-found'; // a response from a peer this node does not track

/** RawNode.step refused a message; nothing changed. */
export class StepRejectedError extends RaftError {
  readonly reason: StepRejectedReason;
  constructor(reason: StepRejectedReason, detail: string) {
    super(`raft step rejected: ${reason} (${detail})`);
    this.name = 'StepRejectedError';
    this.reason = reason;
  }
}

/** The RawNode was driven out of its contract (ready() twice without advance(), …). */
export class RaftUsageError extends RaftError {
  constructor(message: string) {
    super(`raft usage: ${message}`);
    this.name = 'RaftUsageError';
  }
}
