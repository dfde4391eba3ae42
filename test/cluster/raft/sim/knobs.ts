// The knobs of one simulation run, drawn from its seed, so that a thousand seeds cover many
// combinations of Raft options (pre-vote, check-quorum, read mode, message and window sizes, the
// uncommitted-tail limit) and fault rates (loss, duplication, delay, reordering, crashes, partitions,
// membership changes, transfers, compaction, writes completing asynchronously).
//
// Invariant: the knobs are a pure function of the random source's state, so a seed replays exactly.

import type { SeededRandom } from '../../../../storage/env/random.js';
import type { HostConfig } from './host.js';
import type { NetworkFaults } from './network.js';

/** Per-seed knobs, drawn from the seed so that seeds cover many combinations. */
export interface Knobs {
  readonly config: HostConfig;
  readonly faults: NetworkFaults;
  readonly crashRate: number;
  readonly partitionRate: number;
  readonly confChangeRate: number;
  readonly transferRate: number;
  readonly compactRate: number;
  readonly proposeRate: number;
  readonly readRate: number;
  /** Probability, per micro-step, of a client request in the middle of an exchange. */
  readonly midExchangeRequestRate: number;
  /** Probability that a crash or a partition aims at a leader rather than at any node. */
  readonly leaderTargetRate: number;
  /** Probability that a Ready is completed in a later micro-step than the one that took it. */
  readonly asyncReadyRate: number;
}

export function drawKnobs(random: SeededRandom): Knobs {
  const checkQuorum = random.chance(0.8);
  const config: HostConfig = {
    electionTick: 10,
    heartbeatTick: random.intBetween(1, 3),
    preVote: random.chance(0.8),
    checkQuorum,
    readOnlyOption: checkQuorum && random.chance(0.25) ? 'lease-based' : 'safe',
    maxSizePerMsgBytes: random.chance(0.5) ? 1024 * 1024 : random.intBetween(16, 64),
    maxInflightMsgs: random.chance(0.5) ? 256 : random.intBetween(1, 4),
    maxUncommittedEntriesSizeBytes: random.chance(0.3) ? random.intBetween(8, 64) : 64 * 1024 * 1024,
  };
  const faults: NetworkFaults = {
    lossRate: random.pick([0, 0.01, 0.05, 0.15]),
    duplicateRate: random.pick([0, 0.02, 0.05]),
    delayRate: random.pick([0, 0.1, 0.3]),
    delayTicksMax: random.intBetween(1, 3),
    reorderRate: random.pick([0, 0.2, 0.5]),
  };
  return {
    config,
    faults,
    crashRate: random.pick([0, 0.01, 0.03]),
    partitionRate: random.pick([0, 0.01, 0.03]),
    confChangeRate: random.pick([0, 0.03, 0.08]),
    transferRate: random.pick([0, 0.01, 0.03, 0.06]),
    compactRate: random.pick([0, 0.03, 0.1]),
    proposeRate: random.pick([0.3, 0.8]),
    readRate: random.pick([0.1, 0.3]),
    asyncReadyRate: random.pick([0, 0.3, 0.7]),
    leaderTargetRate: random.pick([0, 0.5, 0.9]),
    midExchangeRequestRate: random.pick([0, 0.02, 0.05]),
  };
}

export function describeKnobs(nodes: number, knobs: Knobs): string {
  const c = knobs.config;
  const f = knobs.faults;
  return (
    `${nodes} nodes, heartbeat=${c.heartbeatTick} preVote=${c.preVote} checkQuorum=${c.checkQuorum} read=${c.readOnlyOption} ` +
    `msgBytes=${c.maxSizePerMsgBytes} inflight=${c.maxInflightMsgs} uncommitted=${c.maxUncommittedEntriesSizeBytes}; ` +
    `loss=${f.lossRate} dup=${f.duplicateRate} delay=${f.delayRate}x${f.delayTicksMax} reorder=${f.reorderRate}; ` +
    `crash=${knobs.crashRate} partition=${knobs.partitionRate} conf=${knobs.confChangeRate} transfer=${knobs.transferRate} ` +
    `compact=${knobs.compactRate} async=${knobs.asyncReadyRate} atLeader=${knobs.leaderTargetRate} midRequests=${knobs.midExchangeRequestRate}`
  );
}
