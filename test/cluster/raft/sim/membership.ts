// The membership changes the simulator proposes, as an operator would: learners added and promoted,
// voters added and removed, voters replaced or demoted through joint consensus (with automatic and
// explicit leaving), and leaving a joint configuration. Changes are built from the latest committed
// configuration, so a removed node is never named again (ids are never reused); the leader may still
// refuse a change (one pending at a time, or no longer valid), which is part of the test.
//
// Invariant: a change keeps at least MIN_VOTERS voters and at most MAX_MEMBERS members.

import type { ConfChange, ConfChangeSingle, ConfChangeTransition, ConfState, NodeId } from '../../../../cluster/raft/types.js';
import type { Random } from '../../../../storage/env/random.js';

const MAX_MEMBERS = 7;
const MIN_VOTERS = 2;

export function isMember(config: ConfState, id: NodeId): boolean {
  return config.voters.includes(id) || config.votersOutgoing.includes(id) || config.learners.includes(id) || config.learnersNext.includes(id);
}

export function members(config: ConfState): NodeId[] {
  return [...new Set([...config.voters, ...config.votersOutgoing, ...config.learners, ...config.learnersNext])].sort((a, b) => a - b);
}

/** A change that makes sense for `config`; `newNode` creates a fresh node and returns its id. */
export function pickConfChange(config: ConfState, r: Random, newNode: () => NodeId): ConfChange | undefined {
  // In a joint configuration the only valid change is leaving it (the application's job when the
  // transition is explicit; harmless otherwise, as the leader refuses a second leave).
  if (config.votersOutgoing.length > 0) return { transition: 'auto', changes: [] };
  const voters = config.voters;
  const learners = config.learners;
  const memberCount = voters.length + learners.length;
  const options: (() => ConfChange | undefined)[] = [];
  const simple = (single: ConfChangeSingle): ConfChange => ({ transition: 'auto', changes: [single] });
  if (memberCount < MAX_MEMBERS) options.push(() => simple({ type: 'addLearnerNode', nodeId: newNode() }));
  if (memberCount < MAX_MEMBERS && r.chance(0.3)) options.push(() => simple({ type: 'addNode', nodeId: newNode() }));
  if (learners.length > 0) options.push(() => simple({ type: 'addNode', nodeId: r.pick(learners) }));
  if (learners.length > 0) options.push(() => simple({ type: 'removeNode', nodeId: r.pick(learners) }));
  if (voters.length > MIN_VOTERS) options.push(() => simple({ type: 'removeNode', nodeId: r.pick(voters) }));
  if (voters.length >= MIN_VOTERS) {
    // Joint consensus: replace a voter (by a learner, or a new node), or demote one to learner.
    options.push(() => {
      const transition: ConfChangeTransition = r.pick(['auto', 'jointImplicit', 'jointExplicit']);
      const out = r.pick(voters);
      const incoming = learners.length > 0 && r.chance(0.5) ? r.pick(learners) : memberCount < MAX_MEMBERS ? newNode() : undefined;
      if (incoming === undefined) return undefined;
      const demote = r.chance(0.3);
      return {
        transition,
        changes: [
          { type: 'addNode', nodeId: incoming },
          demote ? { type: 'addLearnerNode', nodeId: out } : { type: 'removeNode', nodeId: out },
        ],
      };
    });
  }
  if (options.length === 0) return undefined;
  return r.pick(options)();
}
