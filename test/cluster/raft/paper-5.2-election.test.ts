// §5.2 of the Raft paper (leader election): a follower that hears nothing for an election timeout
// becomes a candidate, increments its term, votes for itself and asks every other voter; it wins with
// a majority, steps down on hearing a leader of its term, and retries after a split vote. Each node
// votes at most once per term, first come first served. Election timeouts are randomized.
import t from 'tap';
import { nodeId } from '../../../cluster/raft/types.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { describe, entries, msg, storageWith } from './messages.js';
import { Network, TestNode } from './network.js';

const plain = { preVote: false, checkQuorum: false, electionTick: 10, heartbeatTick: 1 };

function follower(voters = [1, 2, 3], seed = 7): TestNode {
  const node = new TestNode(nodeId(1), storageWith(voters), plain, seed);
  node.handleReady();
  return node;
}

/** Ticks until the node campaigns; returns the ticks it took and the messages of that Ready. */
function tickUntilCampaign(node: TestNode, maxTicks = 100): { ticks: number; sent: ReturnType<TestNode['handleReady']> } {
  for (let ticks = 1; ticks <= maxTicks; ticks++) {
    node.raw.tick();
    const sent = node.handleReady();
    if (sent.length > 0) return { ticks, sent };
  }
  throw new Error('no campaign');
}

t.test('§5.2: after an election timeout a follower becomes candidate, votes for itself and asks all voters', async (t) => {
  const node = follower();
  const { sent } = tickUntilCampaign(node);
  t.equal(node.role, 'candidate');
  t.equal(node.term, 1);
  t.same(node.storage.initialState().hardState, { term: 1, vote: 1, commit: 0 }, 'term and self-vote persisted before the requests go out');
  t.same(sent.map(describe), ['vote 1→2 t1 last 0/0', 'vote 1→3 t1 last 0/0']);
});

t.test('§5.2: election timeouts are drawn from [electionTick, 2 × electionTick) and differ between nodes', async (t) => {
  const seen = new Set<number>();
  for (let seed = 1; seed <= 40; seed++) {
    const { ticks } = tickUntilCampaign(follower([1, 2, 3], seed));
    t.ok(ticks >= 10 && ticks < 20, `seed ${seed}: campaigned after ${ticks} ticks`);
    seen.add(ticks);
  }
  t.ok(seen.size >= 5, `timeouts vary: ${[...seen].sort((a, b) => a - b).join(', ')}`);
});

t.test('§5.2: a candidate wins with votes from a majority, and only then', async (t) => {
  // [cluster size, granted votes from peers (beyond its own), rejections] → outcome.
  const cases: { size: number; granted: number; rejected: number; want: string }[] = [
    { size: 1, granted: 0, rejected: 0, want: 'leader' },
    { size: 3, granted: 1, rejected: 0, want: 'leader' },
    { size: 3, granted: 0, rejected: 1, want: 'candidate' },
    { size: 3, granted: 0, rejected: 2, want: 'follower' },
    { size: 5, granted: 1, rejected: 1, want: 'candidate' },
    { size: 5, granted: 2, rejected: 0, want: 'leader' },
    { size: 5, granted: 1, rejected: 3, want: 'follower' },
  ];
  for (const c of cases) {
    const voters = Array.from({ length: c.size }, (_, i) => i + 1);
    const node = follower(voters);
    node.raw.campaign();
    node.handleReady();
    let from = 2;
    for (let i = 0; i < c.granted; i++) node.raw.step(msg.voteResp(from++, 1, 1, true));
    for (let i = 0; i < c.rejected; i++) node.raw.step(msg.voteResp(from++, 1, 1, false));
    node.handleReady();
    t.equal(node.role, c.want, `${c.size} voters, ${c.granted} granted, ${c.rejected} rejected`);
  }
});

t.test('§5.2: a new leader announces itself with an append of its term to every peer', async (t) => {
  const node = follower();
  node.raw.campaign();
  node.handleReady();
  node.raw.step(msg.voteResp(2, 1, 1, true));
  const sent = node.handleReady();
  t.equal(node.role, 'leader');
  t.same(sent.map(describe), ['app 1→2 t1 i0/0 [1@1] c0', 'app 1→3 t1 i0/0 [1@1] c0']);
});

t.test('§5.2: a node votes at most once per term, for the first candidate that asks', async (t) => {
  const node = follower();
  node.raw.step(msg.vote(2, 1, 1, { index: 0, logTerm: 0 }));
  node.raw.step(msg.vote(3, 1, 1, { index: 0, logTerm: 0 }));
  node.raw.step(msg.vote(2, 1, 1, { index: 0, logTerm: 0 }));
  const sent = node.handleReady();
  t.same(sent.map(describe), ['voteResp 1→2 t1 grant', 'voteResp 1→3 t1 reject', 'voteResp 1→2 t1 grant']);
  t.same(node.storage.initialState().hardState.vote, 2, 'the vote is persisted before the grant is sent');
  // A restarted node remembers its vote.
  node.restart();
  node.raw.step(msg.vote(3, 1, 1, { index: 0, logTerm: 0 }));
  t.same(node.handleReady().map(describe), ['voteResp 1→3 t1 reject'], 'still voted for 2 after a restart');
});

t.test('§5.2: a candidate that hears from a leader of its term becomes its follower', async (t) => {
  const node = follower();
  node.raw.campaign();
  node.handleReady();
  node.raw.step(msg.app(2, 1, 1, { index: 0, logTerm: 0, entries: entries(1, 1) }));
  const sent = node.handleReady();
  t.equal(node.role, 'follower');
  t.equal(node.lead, 2);
  t.same(sent.map(describe), ['appResp 1→2 t1 i1']);
});

t.test('§5.2: after a split vote, candidates time out and a later election succeeds', async (t) => {
  const network = new Network({ voters: [1, 2, 3, 4], config: plain });
  // Nodes 1 and 3 campaign at once; 2 votes for 1, 4 for 3: nobody has 3 of 4.
  network.node(1).raw.campaign();
  network.node(3).raw.campaign();
  network.filter = (m) =>
    !(m.type === 'vote' && ((m.from === 1 && m.to === 4) || (m.from === 3 && m.to === 2)));
  network.stabilize();
  t.equal(network.leaders().length, 0, 'split vote: no leader');
  t.equal(network.node(1).role, 'candidate');
  network.heal();
  network.tickAll(40);
  t.equal(network.leaders().length, 1, 'a later election elected one leader');
  t.ok(network.leaders()[0]!.term >= 2, 'in a later term');
});

t.test('§5.2: a follower that keeps hearing from its leader never campaigns', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: plain });
  network.campaign(1);
  const term = network.node(1).term;
  network.tickAll(200);
  t.equal(network.node(1).role, 'leader');
  t.equal(network.node(2).term, term, 'no election happened');
});

t.test('§5.2: leader election stays safe and live under random message loss', async (t) => {
  const seed = 12345;
  const random = new SeededRandom(seed);
  const network = new Network({ voters: [1, 2, 3, 4, 5], config: plain, seed });
  network.filter = () => random.chance(0.7);
  const leadersByTerm = new Map<number, number>();
  for (let tick = 0; tick < 400; tick++) {
    network.tickAll(1);
    for (const leader of network.leaders()) {
      const previous = leadersByTerm.get(leader.term);
      if (previous !== undefined && previous !== leader.id) t.fail(`seed ${seed}: two leaders in term ${leader.term}`);
      leadersByTerm.set(leader.term, leader.id);
    }
  }
  t.ok(leadersByTerm.size > 0, `seed ${seed}: leaders were elected (${leadersByTerm.size} terms with a leader)`);
});
