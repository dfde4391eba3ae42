// §5.4 of the Raft paper (safety). §5.4.1, the election restriction: a voter grants its vote only to
// a candidate whose log is at least as up to date as its own (later last term, or same last term and
// at least as long), so a leader holds every committed entry. §5.4.2: a leader commits an entry of an
// earlier term only indirectly, by committing an entry of its own term after it (figure 8).
import t from 'tap';
import { nodeId } from '../../../cluster/raft/types.js';
import { describe, entries, msg, storageWith } from './messages.js';
import { Network, TestNode } from './network.js';

const plain = { preVote: false, checkQuorum: false };

t.test('§5.4.1: a voter refuses a candidate whose log is less up to date', async (t) => {
  // The voter's log ends at index 3 with term 2.
  const cases: { index: number; logTerm: number; grant: boolean }[] = [
    { index: 2, logTerm: 2, grant: false }, // same term, shorter
    { index: 3, logTerm: 2, grant: true }, // identical
    { index: 4, logTerm: 2, grant: true }, // same term, longer
    { index: 9, logTerm: 1, grant: false }, // longer but older last term
    { index: 1, logTerm: 3, grant: true }, // shorter but newer last term
  ];
  for (const c of cases) {
    const node = new TestNode(nodeId(1), storageWith([1, 2, 3], entries(1, 1, 2, 2), { term: 2 }), plain, 7);
    node.raw.step(msg.vote(2, 1, 3, { index: c.index, logTerm: c.logTerm }));
    const [reply] = node.handleReady();
    t.equal(describe(reply!), `voteResp 1→2 t3 ${c.grant ? 'grant' : 'reject'}`, `candidate last ${c.index}/${c.logTerm}`);
  }
});

t.test('§5.4.1: a node missing a committed entry cannot become leader', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: plain });
  network.campaign(1);
  network.cutLink(1, 3);
  network.propose(1, 'committed');
  t.same(network.node(2).applied, ['committed'], 'committed on 1 and 2');
  // Node 1 fails; node 3 (which missed the entry) campaigns: node 2 refuses it.
  network.isolate(1);
  network.campaign(3);
  t.not(network.node(3).role, 'leader', 'node 3 lacks a committed entry');
  network.campaign(2);
  t.equal(network.node(2).role, 'leader', 'node 2 holds everything committed');
  network.propose(2, 'next');
  t.same(network.node(3).applied, ['committed', 'next'], 'the committed entry survived the leader change');
});

t.test('§5.4.2: counting replicas never commits an entry of an earlier term', async (t) => {
  // Node 1 holds entry 2 from term 2 (it led term 2 and crashed), then wins term 3.
  const log = entries(1, 1, 2);
  const node = new TestNode(nodeId(1), storageWith([1, 2, 3, 4, 5], log, { term: 2, commit: 1 }), plain, 7);
  node.raw.campaign();
  node.handleReady();
  node.raw.step(msg.voteResp(2, 1, 3, true));
  node.raw.step(msg.voteResp(3, 1, 3, true));
  node.handleReady();
  t.equal(node.role, 'leader');
  // Followers 2 and 3 acknowledge entry 2 (now on 3 of 5 nodes, with the leader).
  node.raw.step(msg.appResp(2, 1, 3, 2));
  node.raw.step(msg.appResp(3, 1, 3, 2));
  node.handleReady();
  t.equal(node.committed, 1, 'entry 2 is on a majority but is of term 2: not committed by counting');
  // Once the term-3 entry (index 3) is on a majority, it and everything before it commit.
  node.raw.step(msg.appResp(2, 1, 3, 3));
  node.raw.step(msg.appResp(3, 1, 3, 3));
  node.handleReady();
  t.equal(node.committed, 3);
});

t.test('§5.4.2 (figure 8): an earlier-term entry stored on a majority can still be overwritten, so it is not committed', async (t) => {
  // One entry per append, so that the old entry and the leader's new-term entry travel separately.
  const network = new Network({ voters: [1, 2, 3, 4, 5], config: { ...plain, maxSizePerMsgBytes: 1 } });
  network.campaign(1);
  // S1 (term 1) appends x at index 2, on S1 only.
  network.isolate(1);
  network.node(1).raw.propose(new TextEncoder().encode('x'));
  network.stabilize();
  // S5 wins term 2 with S3 and S4 (S1 refuses, and learns of term 2), appending its own entry at
  // index 2, on S5 only.
  network.heal();
  network.isolate(2);
  network.filter = (m) => !(m.type === 'app' && m.from === 5);
  network.campaign(5);
  t.equal(network.node(5).role, 'leader');
  // S1 wins term 3 without S5 and replicates x to S2, S3, S4; its own term-3 entry never arrives.
  network.heal();
  network.isolate(5);
  const holds = (id: number, index: number): boolean => network.node(id).logEntries().some((e) => e.index === index);
  // (The first probe, which the followers reject for lacking index 2, may pass.)
  network.filter = (m) => !(m.type === 'app' && m.from === 1 && holds(m.to, 2) && m.entries.some((e) => e.index >= 3));
  network.campaign(1);
  t.equal(network.node(1).role, 'leader');
  const holdingX = [1, 2, 3, 4].filter((id) => network.node(id).logEntries().some((e) => e.index === 2 && e.term === 1));
  t.same(holdingX, [1, 2, 3, 4], 'x is stored on 4 of 5 nodes');
  t.equal(network.node(1).committed, 1, 'yet not committed: it is of an earlier term');
  // S1 fails. S5, whose last entry has the later term 2, wins and overwrites x everywhere.
  network.heal();
  network.isolate(1);
  // A heartbeat S1 sent in term 3 reaches S5 late: S5 (still leading term 2) learns term 3 and steps down.
  network.node(5).raw.step(msg.heartbeat(1, 5, 3, 0));
  network.stabilize();
  t.equal(network.node(5).role, 'follower');
  network.campaign(5);
  t.equal(network.node(5).role, 'leader', 'S5 wins term 4: its last term (2) beats their last term (1)');
  for (const id of [2, 3, 4]) {
    t.equal(network.node(id).logEntries().find((e) => e.index === 2)!.term, 2, `x replaced on node ${id}`);
    t.same(network.node(id).applied, [], `node ${id} never applied x`);
  }
});
