// Proves membership changes as pure functions (§6, thesis §4): simple changes move one voter at a
// time, joint consensus takes arbitrary changes and leaves them cleanly, learners are staged and
// promoted, invalid changes are refused without effect, and any reachable configuration rebuilds
// exactly from its ConfState (randomized, seeded; the seed is printed on failure).
import t from 'tap';
import { type ChangerBase, type ChangeResult, enterJoint, leaveJoint, restore, simple } from '../../../cluster/raft/confchange.js';
import { ConfChangeError } from '../../../cluster/raft/errors.js';
import { EMPTY_TRACKER_CONFIG, ProgressTracker } from '../../../cluster/raft/tracker.js';
import { type ConfChangeSingle, type ConfState, confStatesEquivalent, EMPTY_CONF_STATE, type NodeId } from '../../../cluster/raft/types.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';

const base = (result?: ChangeResult): ChangerBase => ({
  config: result?.config ?? EMPTY_TRACKER_CONFIG,
  progress: result?.progress ?? new Map(),
  maxInflightMsgs: 8,
  maxInflightBytes: 1 << 20,
  lastIndex: 10,
});
const add = (id: number): ConfChangeSingle => ({ type: 'addNode', nodeId: id as NodeId });
const learner = (id: number): ConfChangeSingle => ({ type: 'addLearnerNode', nodeId: id as NodeId });
const remove = (id: number): ConfChangeSingle => ({ type: 'removeNode', nodeId: id as NodeId });

function confState(result: ChangeResult): ConfState {
  const tracker = new ProgressTracker(8, 1 << 20);
  tracker.setConfig(result.config, result.progress);
  return tracker.confState();
}

function three(): ChangeResult {
  let result = simple(base(), [add(1)]);
  result = simple(base(result), [add(2)]);
  return simple(base(result), [add(3)]);
}

t.test('simple changes add and remove one voter at a time', async (t) => {
  const result = three();
  t.same(confState(result).voters, [1, 2, 3]);
  t.equal(result.progress.get(3 as NodeId)!.next, 10, 'a new peer is probed from the last index');
  t.ok(result.progress.get(3 as NodeId)!.recentActive, 'a new peer counts as active for check-quorum');
  const removed = simple(base(result), [remove(2)]);
  t.same(confState(removed).voters, [1, 3]);
  t.notOk(removed.progress.has(2 as NodeId));
  t.throws(() => simple(base(result), [add(4), add(5)]), ConfChangeError, 'two voters need joint consensus');
  t.throws(() => simple(base(result), [remove(1), add(4)]), ConfChangeError, 'a replacement is two voter changes');
  t.same(confState(result).voters, [1, 2, 3], 'a refused change changed nothing');
});

t.test('joint consensus: enter with arbitrary changes, leave to the incoming half', async (t) => {
  const joint = enterJoint(base(three()), true, [remove(1), remove(2), add(4), add(5)]);
  const state = confState(joint);
  t.same(state.voters, [3, 4, 5]);
  t.same(state.votersOutgoing, [1, 2, 3]);
  t.ok(state.autoLeave);
  t.ok(joint.progress.has(1 as NodeId), 'outgoing voters keep their progress while joint');
  t.throws(() => enterJoint(base(joint), false, [add(6)]), ConfChangeError, 'already joint');
  t.throws(() => simple(base(joint), [add(6)]), ConfChangeError, 'no simple change while joint');
  const left = leaveJoint(base(joint));
  t.same(confState(left), { ...EMPTY_CONF_STATE, voters: [3, 4, 5] });
  t.notOk(left.progress.has(1 as NodeId));
  t.throws(() => leaveJoint(base(left)), ConfChangeError, 'not joint');
});

t.test('learners: added, promoted, and demoted through learnersNext', async (t) => {
  let result = simple(base(three()), [learner(4)]);
  t.same(confState(result).learners, [4]);
  t.ok(result.progress.get(4 as NodeId)!.isLearner);
  result = simple(base(result), [add(4)]);
  t.same(confState(result).voters, [1, 2, 3, 4], 'a learner is promoted in place');
  t.notOk(result.progress.get(4 as NodeId)!.isLearner);
  // Demoting voter 1 must wait until the joint configuration is left: it still votes in the outgoing half.
  const joint = enterJoint(base(result), false, [learner(1)]);
  t.same(confState(joint).learnersNext, [1]);
  t.notOk(joint.progress.get(1 as NodeId)!.isLearner);
  const left = leaveJoint(base(joint));
  t.same(confState(left).learners, [1]);
  t.same(confState(left).voters, [2, 3, 4]);
  t.ok(left.progress.get(1 as NodeId)!.isLearner);
});

t.test('removing every voter is refused', async (t) => {
  t.throws(() => enterJoint(base(three()), false, [remove(1), remove(2), remove(3)]), /removed all voters/);
  t.throws(() => simple(base(simple(base(), [add(1)])), [remove(1)]), /removed all voters/);
});

t.test('every reachable configuration rebuilds from its ConfState', async (t) => {
  const seed = seedFromEnvironment();
  const random = new SeededRandom(seed);
  let current = three();
  let checked = 0;
  for (let step = 0; step < 3000; step++) {
    const changes: ConfChangeSingle[] = [];
    const count = 1 + random.int(3);
    for (let i = 0; i < count; i++) {
      const id = 1 + random.int(7);
      changes.push(random.pick([add(id), learner(id), remove(id)]));
    }
    let next: ChangeResult;
    try {
      const joint = current.config.voters.outgoing.size > 0;
      if (joint) next = leaveJoint(base(current));
      else if (random.chance(0.5)) next = simple(base(current), changes.slice(0, 1));
      else next = enterJoint(base(current), random.chance(0.5), changes);
    } catch (error) {
      if (!(error instanceof ConfChangeError)) throw error;
      continue;
    }
    current = next;
    const state = confState(current);
    const rebuilt = confState(restore(base(), state));
    if (!confStatesEquivalent(state, rebuilt)) {
      t.fail(`seed ${seed} step ${step}: ${JSON.stringify(state)} rebuilt as ${JSON.stringify(rebuilt)}`);
      return;
    }
    checked++;
  }
  t.ok(checked > 500, `seed ${seed}: ${checked} configurations checked`);
});
