// Membership changes as pure functions from one tracker configuration to the next: simple changes
// (one voter at a time, §6 / thesis §4.1), joint consensus for arbitrary changes (thesis §4.3: enter a
// joint configuration C_old,new, then leave it for C_new), learners, and rebuilding a configuration
// from a persisted ConfState. After etcd-io/raft's confchange/.
//
// Every result is checked before it is returned (checkInvariants): each voter, learner and staged
// learner has a Progress and nothing else has one; learners and voters are disjoint; staged learners
// are outgoing voters only; a non-joint configuration has no outgoing half, no staged learners and no
// autoLeave. A change that would break one of these, remove every voter, or change more than one voter
// without joint consensus is refused with ConfChangeError and changes nothing.

import { ConfChangeError } from './errors.js';
import { Inflights, Progress } from './progress.js';
import { isJoint } from './quorum.js';
import type { ProgressMap, TrackerConfig } from './tracker.js';
import type { ConfChangeSingle, ConfState, NodeId } from './types.js';

/** What a change starts from: the current configuration and progress, and the leader's last index. */
export interface ChangerBase {
  readonly config: TrackerConfig;
  readonly progress: ProgressMap;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  /** New peers are probed from here. */
  readonly lastIndex: number;
}

export interface ChangeResult {
  readonly config: TrackerConfig;
  readonly progress: ProgressMap;
}

/** Mutable working copy of a configuration while changes apply to it. */
interface Working {
  incoming: Set<NodeId>;
  outgoing: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
  progress: ProgressMap;
}

function copy(base: ChangerBase): Working {
  const progress: ProgressMap = new Map();
  // Progress objects are copied because changes flip their isLearner flag.
  for (const [id, peer] of base.progress) progress.set(id, peer.clone());
  return {
    incoming: new Set(base.config.voters.incoming),
    outgoing: new Set(base.config.voters.outgoing),
    learners: new Set(base.config.learners),
    learnersNext: new Set(base.config.learnersNext),
    autoLeave: base.config.autoLeave,
    progress,
  };
}

function freeze(working: Working): ChangeResult {
  checkInvariants(working);
  return {
    config: {
      voters: { incoming: working.incoming, outgoing: working.outgoing },
      learners: working.learners,
      learnersNext: working.learnersNext,
      autoLeave: working.autoLeave,
    },
    progress: working.progress,
  };
}

function checkInvariants(working: Working): void {
  for (const set of [working.incoming, working.outgoing, working.learners, working.learnersNext]) {
    for (const id of set) if (!working.progress.has(id)) throw new ConfChangeError(`no progress for ${id}`);
  }
  for (const id of working.progress.keys()) {
    const known = working.incoming.has(id) || working.outgoing.has(id) || working.learners.has(id) || working.learnersNext.has(id);
    if (!known) throw new ConfChangeError(`progress for ${id}, which is in no configuration`);
  }
  for (const id of working.learnersNext) {
    if (!working.outgoing.has(id)) throw new ConfChangeError(`${id} is in learnersNext but not an outgoing voter`);
    if (working.progress.get(id)!.isLearner) throw new ConfChangeError(`${id} is in learnersNext but already a learner`);
  }
  for (const id of working.learners) {
    if (working.outgoing.has(id)) throw new ConfChangeError(`${id} is a learner and an outgoing voter`);
    if (working.incoming.has(id)) throw new ConfChangeError(`${id} is a learner and an incoming voter`);
    if (!working.progress.get(id)!.isLearner) throw new ConfChangeError(`${id} is a learner but not marked as one`);
  }
  for (const id of [...working.incoming, ...working.outgoing]) {
    if (working.progress.get(id)!.isLearner && !working.learnersNext.has(id)) {
      throw new ConfChangeError(`${id} is a voter but marked as a learner`);
    }
  }
  if (working.outgoing.size === 0) {
    if (working.learnersNext.size > 0) throw new ConfChangeError('learnersNext outside a joint configuration');
    if (working.autoLeave) throw new ConfChangeError('autoLeave outside a joint configuration');
  }
}

function initProgress(base: ChangerBase, working: Working, id: NodeId, isLearner: boolean): void {
  if (isLearner) working.learners.add(id);
  else working.incoming.add(id);
  working.progress.set(
    id,
    new Progress({
      // Probing from the last index: a new peer usually has no log and is then sent a snapshot.
      match: 0,
      next: Math.max(base.lastIndex, 1),
      inflights: new Inflights(base.maxInflightMsgs, base.maxInflightBytes),
      isLearner,
      // A new peer counts as active, so check-quorum does not depose the leader before it is heard from.
      recentActive: true,
    }),
  );
}

function makeVoter(base: ChangerBase, working: Working, id: NodeId): void {
  const peer = working.progress.get(id);
  if (peer === undefined) {
    initProgress(base, working, id, false);
    return;
  }
  peer.isLearner = false;
  working.learners.delete(id);
  working.learnersNext.delete(id);
  working.incoming.add(id);
}

function makeLearner(base: ChangerBase, working: Working, id: NodeId): void {
  const peer = working.progress.get(id);
  if (peer === undefined) {
    initProgress(base, working, id, true);
    return;
  }
  if (peer.isLearner) return;
  remove(working, id);
  // Keep the progress: the peer's log is still there.
  working.progress.set(id, peer);
  // A voter of the outgoing half cannot be a learner yet; it becomes one on leaving the joint config.
  if (working.outgoing.has(id)) {
    working.learnersNext.add(id);
  } else {
    peer.isLearner = true;
    working.learners.add(id);
  }
}

function remove(working: Working, id: NodeId): void {
  if (!working.progress.has(id)) return;
  working.incoming.delete(id);
  working.learners.delete(id);
  working.learnersNext.delete(id);
  // An outgoing voter still votes until the joint configuration is left.
  if (!working.outgoing.has(id)) working.progress.delete(id);
}

function apply(base: ChangerBase, working: Working, changes: readonly ConfChangeSingle[]): void {
  for (const change of changes) {
    switch (change.type) {
      case 'addNode':
        makeVoter(base, working, change.nodeId);
        break;
      case 'addLearnerNode':
        makeLearner(base, working, change.nodeId);
        break;
      case 'removeNode':
        remove(working, change.nodeId);
        break;
    }
  }
  if (working.incoming.size === 0) throw new ConfChangeError('removed all voters');
}

/** Enters a joint configuration: the current voters become the outgoing half, changes apply to the incoming. */
export function enterJoint(base: ChangerBase, autoLeave: boolean, changes: readonly ConfChangeSingle[]): ChangeResult {
  if (isJoint(base.config.voters)) throw new ConfChangeError('configuration is already joint');
  if (base.config.voters.incoming.size === 0) throw new ConfChangeError("can't make a zero-voter configuration joint");
  const working = copy(base);
  working.outgoing = new Set(working.incoming);
  apply(base, working, changes);
  working.autoLeave = autoLeave;
  return freeze(working);
}

/** Leaves a joint configuration: the incoming half alone decides; staged learners become learners. */
export function leaveJoint(base: ChangerBase): ChangeResult {
  if (!isJoint(base.config.voters)) throw new ConfChangeError("can't leave a non-joint configuration");
  const working = copy(base);
  for (const id of working.learnersNext) {
    working.learners.add(id);
    working.progress.get(id)!.isLearner = true;
  }
  working.learnersNext = new Set();
  for (const id of working.outgoing) {
    if (!working.incoming.has(id) && !working.learners.has(id)) working.progress.delete(id);
  }
  working.outgoing = new Set();
  working.autoLeave = false;
  return freeze(working);
}

/** Applies changes that alter at most one voter, without joint consensus. */
export function simple(base: ChangerBase, changes: readonly ConfChangeSingle[]): ChangeResult {
  if (isJoint(base.config.voters)) throw new ConfChangeError("can't apply a simple change in a joint configuration");
  const working = copy(base);
  apply(base, working, changes);
  let changed = 0;
  for (const id of working.incoming) if (!base.config.voters.incoming.has(id)) changed++;
  for (const id of base.config.voters.incoming) if (!working.incoming.has(id)) changed++;
  if (changed > 1) throw new ConfChangeError('more than one voter changed without entering a joint configuration');
  return freeze(working);
}

/**
 * Rebuilds the configuration a ConfState describes, starting from an empty one. For a joint state
 * (1 2 3)&(1 2 4 6) with learners (5) and learnersNext (4): add the outgoing voters one by one, then
 * enter joint with "remove each outgoing voter, add each incoming voter, add each learner".
 */
export function restore(base: ChangerBase, confState: ConfState): ChangeResult {
  const single = (type: ConfChangeSingle['type']) => (nodeId: NodeId): ConfChangeSingle => ({ type, nodeId });
  const outgoingChanges = confState.votersOutgoing.map(single('addNode'));
  const incomingChanges = [
    ...confState.votersOutgoing.map(single('removeNode')),
    ...confState.voters.map(single('addNode')),
    ...confState.learners.map(single('addLearnerNode')),
    ...confState.learnersNext.map(single('addLearnerNode')),
  ];
  let current: ChangerBase = base;
  const step = (result: ChangeResult): void => {
    current = { ...current, config: result.config, progress: result.progress };
  };
  if (outgoingChanges.length === 0) {
    for (const change of incomingChanges) step(simple(current, [change]));
  } else {
    for (const change of outgoingChanges) step(simple(current, [change]));
    step(enterJoint(current, confState.autoLeave, incomingChanges));
  }
  return { config: current.config, progress: current.progress };
}
