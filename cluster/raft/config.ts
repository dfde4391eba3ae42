// Configuration of one Raft peer, with what each field trades and when a value is safe, and its
// validation. resolveConfig fills defaults and refuses a configuration that cannot run.
//
// Invariants of a resolved configuration: id > 0; 0 < heartbeatTick < electionTick; every limit is a
// positive integer; lease-based reads require checkQuorum.

import { RaftConfigError } from './errors.js';
import type { ReadOnlyOption } from './read-only.js';
import type { LogStorage } from './storage.js';
import type { NodeId } from './types.js';

/**
 * The randomness Raft needs: an integer in [0, maxExclusive). Injected so that a seeded simulation
 * replays exactly; storage/env's SeededRandom satisfies it.
 */
export interface RaftRandom {
  int(maxExclusive: number): number;
}

export interface Config {
  /** This peer's id in the group; must be positive and unique in the group. */
  readonly id: NodeId;

  /**
   * Ticks a follower waits without hearing from a leader before it campaigns; the actual timeout is
   * drawn from [electionTick, 2 × electionTick) for every term, so that candidates rarely collide
   * (§5.2). Longer survives slow networks and GC pauses without spurious elections; shorter recovers
   * sooner from a crashed leader. Must exceed heartbeatTick; 10 × heartbeatTick is the usual choice.
   * Also the leader lease length when checkQuorum is on.
   */
  readonly electionTick: number;

  /**
   * Ticks between a leader's heartbeats. Must be well under electionTick, so that a few lost
   * heartbeats do not trigger an election.
   */
  readonly heartbeatTick: number;

  /** The persisted log, hard state and snapshot this peer starts from and reads its log through. */
  readonly storage: LogStorage;

  /**
   * The last index the application applied before a restart; Raft hands out committed entries after
   * it. Leave 0 on a fresh start. Setting it beyond what was really applied loses those entries for
   * the application; setting it lower only replays some.
   */
  readonly applied?: number;

  /**
   * Upper bound on the entries' size in one append message. Larger amortizes per-message cost (and is
   * the main lever of throughput); smaller bounds the work a lagging follower receives at once and
   * the memory of a message in flight. A single entry larger than this is still sent, alone.
   * Default 1 MiB.
   */
  readonly maxSizePerMsgBytes?: number;

  /**
   * Upper bound on the committed entries one Ready hands out for application, so that a node that
   * fell far behind catches up in slices rather than one enormous batch. Default 64 MiB.
   */
  readonly maxCommittedSizePerReadyBytes?: number;

  /**
   * Maximum append messages in flight to one follower in replicate state (pipelining). Higher keeps a
   * long fat pipe full; lower bounds what is resent after a loss. Default 256.
   */
  readonly maxInflightMsgs?: number;

  /**
   * Maximum payload bytes in flight to one follower; with maxInflightMsgs, bounds the memory and
   * network queue one slow follower can take. Default 32 MiB.
   */
  readonly maxInflightBytes?: number;

  /**
   * Maximum payload bytes of the leader's uncommitted tail. Proposals beyond it are dropped with
   * ProposalDroppedError('uncommitted-size-limit'), which bounds memory when a quorum is unreachable
   * and applies backpressure to proposers. One proposal is always accepted into an empty tail, however
   * large. Default 64 MiB.
   */
  readonly maxUncommittedEntriesSizeBytes?: number;

  /**
   * A leader steps down if it did not hear from a quorum within an election timeout, and a follower
   * that heard from its leader within the election timeout ignores vote requests (thesis §9.6).
   * Stops a partitioned leader from serving stale lease reads and a rejoining node from deposing a
   * healthy leader. Required by lease-based reads. Default true.
   */
  readonly checkQuorum?: boolean;

  /**
   * Before campaigning, ask whether a quorum would vote, without raising the term (thesis §9.6). A node
   * returning from a partition then cannot disrupt the group by forcing a term bump. Costs one round
   * trip per election. Default true.
   */
  readonly preVote?: boolean;

  /**
   * How read-index requests are confirmed (§6.4). 'safe' confirms leadership with a heartbeat round per
   * batch of requests: linearizable whatever the clocks do. 'lease-based' trusts the leader lease that
   * checkQuorum maintains and answers at once: linearizable only while clock drift between peers stays
   * well under the election timeout. Default 'safe'.
   */
  readonly readOnlyOption?: ReadOnlyOption;

  /**
   * Followers drop proposals instead of forwarding them to the leader. Useful when the caller routes
   * proposals itself and wants a fast error rather than a silent forward. Default false.
   */
  readonly disableProposalForwarding?: boolean;

  /** Maximum read-index requests a leader holds awaiting confirmation; more are dropped. Default 4096. */
  readonly maxPendingReadIndexRequests?: number;

  /** The source of election-timeout jitter. Seeded in tests and simulations. */
  readonly random: RaftRandom;
}

export interface ResolvedConfig {
  readonly id: NodeId;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly storage: LogStorage;
  readonly applied: number;
  readonly maxSizePerMsgBytes: number;
  readonly maxCommittedSizePerReadyBytes: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly maxUncommittedEntriesSizeBytes: number;
  readonly checkQuorum: boolean;
  readonly preVote: boolean;
  readonly readOnlyOption: ReadOnlyOption;
  readonly disableProposalForwarding: boolean;
  readonly maxPendingReadIndexRequests: number;
  readonly random: RaftRandom;
}

const MIB = 1024 * 1024;

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RaftConfigError(`${name} must be a positive integer, got ${value}`);
  return value;
}

export function resolveConfig(config: Config): ResolvedConfig {
  positiveInteger('id', config.id);
  positiveInteger('heartbeatTick', config.heartbeatTick);
  positiveInteger('electionTick', config.electionTick);
  if (config.electionTick <= config.heartbeatTick) {
    throw new RaftConfigError(`electionTick (${config.electionTick}) must exceed heartbeatTick (${config.heartbeatTick})`);
  }
  const applied = config.applied ?? 0;
  if (!Number.isSafeInteger(applied) || applied < 0) throw new RaftConfigError(`applied must be >= 0, got ${applied}`);
  const resolved: ResolvedConfig = {
    id: config.id,
    electionTick: config.electionTick,
    heartbeatTick: config.heartbeatTick,
    storage: config.storage,
    applied,
    maxSizePerMsgBytes: positiveInteger('maxSizePerMsgBytes', config.maxSizePerMsgBytes ?? MIB),
    maxCommittedSizePerReadyBytes: positiveInteger(
      'maxCommittedSizePerReadyBytes',
      config.maxCommittedSizePerReadyBytes ?? 64 * MIB,
    ),
    maxInflightMsgs: positiveInteger('maxInflightMsgs', config.maxInflightMsgs ?? 256),
    maxInflightBytes: positiveInteger('maxInflightBytes', config.maxInflightBytes ?? 32 * MIB),
    maxUncommittedEntriesSizeBytes: positiveInteger(
      'maxUncommittedEntriesSizeBytes',
      config.maxUncommittedEntriesSizeBytes ?? 64 * MIB,
    ),
    checkQuorum: config.checkQuorum ?? true,
    preVote: config.preVote ?? true,
    readOnlyOption: config.readOnlyOption ?? 'safe',
    disableProposalForwarding: config.disableProposalForwarding ?? false,
    maxPendingReadIndexRequests: positiveInteger('maxPendingReadIndexRequests', config.maxPendingReadIndexRequests ?? 4096),
    random: config.random,
  };
  if (resolved.readOnlyOption === 'lease-based' && !resolved.checkQuorum) {
    throw new RaftConfigError("readOnlyOption 'lease-based' requires checkQuorum");
  }
  if (resolved.readOnlyOption !== 'safe' && resolved.readOnlyOption !== 'lease-based') {
    throw new RaftConfigError(`readOnlyOption must be 'safe' or 'lease-based', got '${String(resolved.readOnlyOption)}'`);
  }
  return resolved;
}
