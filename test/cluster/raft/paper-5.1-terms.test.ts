// §5.1 of the Raft paper (terms): whenever a node sees a larger term it adopts it and, whatever its
// role, becomes a follower; a message from an older term is answered or ignored but never obeyed;
// a deposed leader learns of the newer term and steps down.
import t from 'tap';
import { nodeId } from '../../../cluster/raft/types.js';
import { describe, entries, msg, storageWith } from './messages.js';
import { Network, TestNode } from './network.js';

const plain = { preVote: false, checkQuorum: false };

function nodeAs(role: 'follower' | 'candidate' | 'leader', overrides = plain): TestNode {
  const node = new TestNode(nodeId(1), storageWith([1, 2, 3]), overrides, 7);
  if (role !== 'follower') node.raw.campaign();
  if (role === 'leader') node.raw.step(msg.voteResp(2, 1, 1, true));
  node.handleReady();
  return node;
}

t.test('§5.1: a node of any role that sees a higher term adopts it and becomes a follower', async (t) => {
  for (const role of ['follower', 'candidate', 'leader'] as const) {
    const node = nodeAs(role);
    t.equal(node.role, role);
    node.raw.step(msg.app(2, 1, 5, { index: 0, logTerm: 0 }));
    node.handleReady();
    t.equal(node.term, 5, `${role}: term adopted`);
    t.equal(node.role, 'follower', `${role}: now a follower`);
    t.equal(node.lead, 2, `${role}: an append comes from the leader of that term`);
    t.equal(node.storage.initialState().hardState.term, 5, `${role}: the new term is persisted`);
  }
});

t.test('§5.1: a higher-term vote request makes a leader a follower with no leader', async (t) => {
  const node = nodeAs('leader');
  node.raw.step(msg.vote(3, 1, 4, { index: 10, logTerm: 3 }));
  const sent = node.handleReady();
  t.equal(node.term, 4);
  t.equal(node.role, 'follower');
  t.same(sent.map(describe), ['voteResp 1→3 t4 grant']);
});

t.test('§5.1: a message from an older term is not obeyed', async (t) => {
  const storage = storageWith([1, 2, 3], entries(1, 1, 2), { term: 3 });
  const node = new TestNode(nodeId(1), storage, plain, 7);
  node.handleReady();
  node.raw.step(msg.app(2, 1, 2, { index: 2, logTerm: 2, entries: entries(3, 2), commit: 3 }));
  const sent = node.handleReady();
  t.equal(node.term, 3, 'term unchanged');
  t.equal(node.lead, 0, 'the stale sender is not taken as leader');
  t.equal(node.logEntries().length, 2, 'its entries are not appended');
  t.same(sent, [], 'without pre-vote or check-quorum the message is ignored');
});

t.test('§5.1: with check-quorum, a stale leader is told the newer term and steps down', async (t) => {
  // Node 1 leads term 1; the others move on to term 2 behind a partition, then it heals.
  const network = new Network({ voters: [1, 2, 3], config: { preVote: true, checkQuorum: true } });
  network.campaign(1);
  t.equal(network.node(1).role, 'leader');
  network.isolate(1);
  // Only the majority's clocks run, so node 1 cannot notice the lost quorum by itself.
  for (let tick = 0; tick < 40; tick++) {
    network.node(2).raw.tick();
    network.node(3).raw.tick();
    network.stabilize();
  }
  const newLeader = network.leaders().find((node) => node.id !== 1)!;
  t.ok(newLeader, 'the majority elected a leader');
  t.ok(newLeader.term > 1);
  network.heal();
  network.node(1).raw.propose(new Uint8Array([1]));
  network.stabilize();
  t.equal(network.node(1).role, 'follower', 'the old leader stepped down on hearing the newer term');
  t.equal(network.node(1).term, newLeader.term);
});

t.test('§5.1: a stale vote request is rejected with the current term, so the candidate catches up', async (t) => {
  const node = new TestNode(nodeId(1), storageWith([1, 2, 3], [], { term: 5 }), plain, 7);
  node.raw.step(msg.vote(2, 1, 3, { index: 9, logTerm: 3 }));
  t.same(node.handleReady().map(describe), ['voteResp 1→2 t5 reject']);
  const candidate = new TestNode(nodeId(2), storageWith([1, 2, 3], entries(1, 1), { term: 2 }), plain, 7);
  candidate.raw.campaign();
  candidate.handleReady();
  candidate.raw.step(msg.voteResp(1, 2, 5, false));
  candidate.handleReady();
  t.equal(candidate.term, 5, 'the candidate adopts the term it was told');
  t.equal(candidate.role, 'follower');
});

t.test('§5.1: two voters, one far ahead in term: the up-to-date candidate still gets elected', async (t) => {
  // Node 2 has no log and a stale configuration ({2, 3}, from before the change that made the group
  // {1, 2}), so it keeps campaigning, raising its term, without ever asking node 1. Node 1 needs
  // node 2's vote; it gets it only by learning node 2's term from the rejection of its stale request.
  const network = new Network({ voters: [], config: plain });
  network.addNode(nodeId(1), storageWith([1, 2], entries(1, 1, 1, 1), { term: 1, commit: 3 }));
  network.addNode(nodeId(2), storageWith([2, 3], [], { term: 40 }));
  network.tickAll(200);
  t.equal(network.leaders().map((node) => node.id).join(), '1');
});
