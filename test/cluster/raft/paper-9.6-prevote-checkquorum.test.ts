// Thesis §9.6 (preventing disruptions when a server rejoins the cluster). Pre-vote: a node asks
// whether it could win before raising its term, so a node cut off from the majority never inflates
// its term and cannot depose a healthy leader when it returns. Check-quorum: a leader that has not
// heard from a quorum for an election timeout steps down, and a follower that heard from its leader
// within the election timeout ignores vote requests (the leader lease).
import t from 'tap';
import { nodeId } from '../../../cluster/raft/types.js';
import { describe, entries, msg, storageWith } from './messages.js';
import { Network, TestNode } from './network.js';

t.test('§9.6: with pre-vote, an isolated node keeps its term and rejoins without disrupting the leader', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: { preVote: true, checkQuorum: false } });
  network.campaign(1);
  const term = network.node(1).term;
  network.isolate(3);
  network.tickAll(100);
  t.equal(network.node(3).term, term, 'pre-campaigning never raised the term');
  t.equal(network.node(3).role, 'preCandidate');
  network.heal();
  network.tickAll(5);
  t.equal(network.node(1).role, 'leader', 'the leader kept its leadership');
  t.equal(network.node(1).term, term);
  t.equal(network.node(3).lead, 1, 'the returning node follows it');
});

t.test('§9.6: without pre-vote, the same isolated node inflates its term and deposes the leader', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: { preVote: false, checkQuorum: false } });
  network.campaign(1);
  const term = network.node(1).term;
  network.isolate(3);
  network.tickAll(100);
  t.ok(network.node(3).term > term + 2, `term inflated to ${network.node(3).term}`);
  network.heal();
  network.tickAll(20);
  t.ok(network.node(1).term > term, 'the healthy leader was pushed into a new term');
});

t.test('§9.6: a pre-vote round raises no term, persists nothing, and asks about the next term', async (t) => {
  const node = new TestNode(nodeId(1), storageWith([1, 2, 3], entries(1, 1), { term: 1 }), { preVote: true }, 7);
  node.handleReady();
  node.raw.campaign();
  const sent = node.handleReady();
  t.equal(node.role, 'preCandidate');
  t.equal(node.term, 1);
  t.equal(node.storage.initialState().hardState.vote, 0, 'no vote persisted');
  t.same(sent.map(describe), ['preVote 1→2 t2 last 1/1', 'preVote 1→3 t2 last 1/1']);
  node.raw.step(msg.preVoteResp(2, 1, 2, true));
  const votes = node.handleReady();
  t.equal(node.role, 'candidate', 'a granted pre-vote quorum starts the real election');
  t.equal(node.term, 2);
  t.same(votes.map(describe), ['vote 1→2 t2 last 1/1', 'vote 1→3 t2 last 1/1']);
});

t.test('§9.6: a pre-vote is refused to a candidate with a stale log, and never moves the voter\'s term', async (t) => {
  const node = new TestNode(nodeId(1), storageWith([1, 2, 3], entries(1, 1, 2), { term: 2 }), { preVote: true, checkQuorum: false }, 7);
  node.handleReady();
  node.raw.step(msg.preVote(3, 1, 3, { index: 1, logTerm: 1 }));
  t.same(node.handleReady().map(describe), ['preVoteResp 1→3 t2 reject']);
  node.raw.step(msg.preVote(3, 1, 3, { index: 2, logTerm: 2 }));
  t.same(node.handleReady().map(describe), ['preVoteResp 1→3 t3 grant']);
  t.equal(node.term, 2, 'granting a pre-vote does not move the term');
});

t.test('§9.6: check-quorum: a leader that cannot reach a quorum steps down after an election timeout', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: { preVote: true, checkQuorum: true } });
  network.campaign(1);
  network.isolate(1);
  for (let tick = 0; tick < 9; tick++) network.node(1).raw.tick();
  network.stabilize();
  t.equal(network.node(1).role, 'leader', 'still within the election timeout');
  for (let tick = 0; tick < 11; tick++) network.node(1).raw.tick();
  network.stabilize();
  t.not(network.node(1).role, 'leader', 'stepped down');
});

t.test('§9.6: check-quorum: a follower that heard from its leader recently ignores vote requests', async (t) => {
  const node = new TestNode(nodeId(2), storageWith([1, 2, 3]), { preVote: false, checkQuorum: true }, 7);
  node.raw.step(msg.heartbeat(1, 2, 1, 0));
  node.handleReady();
  node.raw.step(msg.vote(3, 2, 2, { index: 5, logTerm: 1 }));
  t.same(node.handleReady(), [], 'ignored: no answer, no term change');
  t.equal(node.term, 1);
  for (let tick = 0; tick < 10; tick++) node.raw.tick();
  node.handleReady();
  node.raw.step(msg.vote(3, 2, 2, { index: 5, logTerm: 1 }));
  const answer = node.handleReady().filter((m) => m.type === 'voteResp');
  t.same(answer.map(describe), ['voteResp 2→3 t2 grant'], 'after an election timeout without the leader, it votes');
});
