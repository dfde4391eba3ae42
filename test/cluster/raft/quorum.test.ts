// Proves the quorum arithmetic of majority and joint configurations against a brute-force definition
// on random inputs (seeded; the seed is printed on failure), plus the conventions for empty halves.
import t from 'tap';
import {
  type JointConfig,
  jointCommittedIndex,
  jointVoteResult,
  majorityCommittedIndex,
  majorityVoteResult,
} from '../../../cluster/raft/quorum.js';
import type { NodeId } from '../../../cluster/raft/types.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';

const ids = (...values: number[]): Set<NodeId> => new Set(values as NodeId[]);

/** The largest index such that a strict majority of voters acknowledged at least it. */
function bruteCommitted(voters: ReadonlySet<NodeId>, acked: ReadonlyMap<NodeId, number>): number {
  if (voters.size === 0) return Number.MAX_SAFE_INTEGER;
  let best = 0;
  for (const candidate of [0, ...acked.values()]) {
    let count = 0;
    for (const id of voters) if ((acked.get(id) ?? 0) >= candidate) count++;
    if (count * 2 > voters.size) best = Math.max(best, candidate);
  }
  return best;
}

function bruteVote(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): string {
  if (voters.size === 0) return 'won';
  let yes = 0;
  let undecided = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) yes++;
    if (vote === undefined) undecided++;
  }
  if (yes * 2 > voters.size) return 'won';
  if ((yes + undecided) * 2 > voters.size) return 'pending';
  return 'lost';
}

t.test('empty halves: commit everything, win every vote', async (t) => {
  t.equal(majorityCommittedIndex(ids(), () => 0), Number.MAX_SAFE_INTEGER);
  t.equal(majorityVoteResult(ids(), new Map()), 'won');
  const joint: JointConfig = { incoming: ids(1, 2, 3), outgoing: ids() };
  const acked = new Map<NodeId, number>([[1 as NodeId, 5], [2 as NodeId, 7], [3 as NodeId, 9]]);
  t.equal(jointCommittedIndex(joint, (id) => acked.get(id)), 7, 'behaves like the incoming half alone');
});

t.test('a joint configuration needs both halves', async (t) => {
  const joint: JointConfig = { incoming: ids(1, 2, 3), outgoing: ids(1, 4, 5) };
  const acked = new Map<NodeId, number>([[1 as NodeId, 10], [2 as NodeId, 10], [3 as NodeId, 10], [4 as NodeId, 3]]);
  t.equal(jointCommittedIndex(joint, (id) => acked.get(id)), 3, 'outgoing majority (1, 4) only reached 3');
  const votes = new Map<NodeId, boolean>([[1 as NodeId, true], [2 as NodeId, true], [4 as NodeId, false], [5 as NodeId, false]]);
  t.equal(jointVoteResult(joint, votes), 'lost', 'the outgoing half lost');
  votes.set(5 as NodeId, true);
  votes.delete(4 as NodeId);
  t.equal(jointVoteResult(joint, votes), 'won');
});

t.test('random configurations agree with the brute-force definitions', async (t) => {
  const seed = seedFromEnvironment();
  const random = new SeededRandom(seed);
  let failures = 0;
  for (let round = 0; round < 2000 && failures === 0; round++) {
    const pick = (): Set<NodeId> => {
      const set = new Set<NodeId>();
      const size = random.int(6);
      while (set.size < size) set.add((1 + random.int(8)) as NodeId);
      return set;
    };
    const joint: JointConfig = { incoming: pick(), outgoing: pick() };
    const acked = new Map<NodeId, number>();
    const votes = new Map<NodeId, boolean>();
    for (let id = 1; id <= 8; id++) {
      if (random.chance(0.8)) acked.set(id as NodeId, random.int(20));
      if (random.chance(0.7)) votes.set(id as NodeId, random.chance(0.5));
    }
    const wantCommitted = Math.min(bruteCommitted(joint.incoming, acked), bruteCommitted(joint.outgoing, acked));
    const gotCommitted = jointCommittedIndex(joint, (id) => acked.get(id));
    const incoming = bruteVote(joint.incoming, votes);
    const outgoing = bruteVote(joint.outgoing, votes);
    const wantVote = incoming === 'lost' || outgoing === 'lost' ? 'lost' : incoming === 'won' && outgoing === 'won' ? 'won' : 'pending';
    const gotVote = jointVoteResult(joint, votes);
    if (gotCommitted !== wantCommitted || gotVote !== wantVote) {
      failures++;
      t.fail(`seed ${seed} round ${round}: committed ${gotCommitted} want ${wantCommitted}, vote ${gotVote} want ${wantVote}`);
    }
  }
  t.equal(failures, 0, `seed ${seed}`);
});
