// §6.4 of the Raft paper (thesis §6.4), linearizable reads without writing to the log. ReadIndex: the
// leader records its commit index, confirms it still leads with a heartbeat round acknowledged by a
// quorum, and only then answers; a new leader first commits an entry of its term. Lease-based reads
// (with check-quorum) answer at once. Followers ask the leader for a read index and read locally.
import t from 'tap';
import { nodeId } from '../../../cluster/raft/types.js';
import { describe, droppedReason, msg, storageWith } from './messages.js';
import { bytes, Network, TestNode, text } from './network.js';

const plain = { preVote: false, checkQuorum: false };

/** Node 1 of {1,2,3}, elected leader of term 1; `commit` says whether node 2 acknowledged its first entry. */
function leader(config: Record<string, unknown> = plain, commit = true): TestNode {
  const node = new TestNode(nodeId(1), storageWith([1, 2, 3]), config, 7);
  node.raw.campaign();
  node.handleReady();
  node.raw.step(msg.voteResp(2, 1, 1, true));
  node.handleReady();
  if (commit) {
    node.raw.step(msg.appResp(2, 1, 1, 1));
    node.handleReady();
  }
  return node;
}

t.test('§6.4: a ReadIndex read is answered only after a quorum acknowledges a heartbeat round', async (t) => {
  const node = leader();
  t.equal(node.committed, 1);
  node.raw.readIndex(bytes('r1'));
  const sent = node.handleReady();
  t.same(sent.map(describe), ['heartbeat 1→2 t1 c1', 'heartbeat 1→3 t1 c0']);
  t.ok(sent.every((m) => m.type === 'heartbeat' && m.context !== undefined && text(m.context) === 'r1'), 'the round carries the request');
  t.same(node.readStates, [], 'not yet confirmed');
  node.raw.step(msg.heartbeatResp(2, 1, 1, bytes('r1')));
  node.handleReady();
  t.same(node.readStates.map((r) => [r.index, text(r.context)]), [[1, 'r1']], 'confirmed by 2 of 3, at the commit index');
});

t.test('§6.4: one confirmed round answers every request queued before it, in order', async (t) => {
  const node = leader();
  node.raw.readIndex(bytes('a'));
  node.raw.readIndex(bytes('b'));
  node.raw.readIndex(bytes('c'));
  node.handleReady();
  node.raw.step(msg.heartbeatResp(3, 1, 1, bytes('b')));
  node.handleReady();
  t.same(node.readStates.map((r) => text(r.context)), ['a', 'b'], 'b confirms a too; c waits');
});

t.test('§6.4: a new leader answers reads only once it has committed an entry of its term', async (t) => {
  const node = leader(plain, false);
  t.equal(node.committed, 0);
  node.raw.readIndex(bytes('early'));
  t.same(node.handleReady().filter((m) => m.type === 'heartbeat'), [], 'no confirmation round yet');
  node.raw.step(msg.appResp(2, 1, 1, 1));
  const sent = node.handleReady();
  t.ok(sent.some((m) => m.type === 'heartbeat' && m.context !== undefined), 'the round starts after the first commit');
  node.raw.step(msg.heartbeatResp(2, 1, 1, bytes('early')));
  node.handleReady();
  t.same(node.readStates.map((r) => r.index), [1]);
});

t.test('§6.4: a leader cut off from the majority never answers a read', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: plain });
  network.campaign(1);
  network.isolate(1);
  network.node(1).raw.readIndex(bytes('stale?'));
  network.stabilize();
  network.campaign(2);
  network.propose(2, 'newer write');
  network.stabilize();
  t.same(network.node(1).readStates, [], 'the deposed leader cannot confirm its leadership');
  network.node(2).raw.readIndex(bytes('fresh'));
  network.stabilize();
  t.same(network.node(2).readStates.map((r) => r.index), [network.node(2).committed], 'the real leader can');
});

t.test('§6.4: lease-based reads are answered at once while a quorum acknowledged a recent heartbeat', async (t) => {
  const lease = { preVote: false, checkQuorum: true, readOnlyOption: 'lease-based', electionTick: 10, heartbeatTick: 1 };
  const node = leader(lease);
  node.raw.tick();
  const [heartbeat] = node.handleReady().filter((m) => m.type === 'heartbeat' && m.to === 2);
  t.ok(heartbeat !== undefined && heartbeat.type === 'heartbeat' && heartbeat.context !== undefined, 'heartbeats carry their send tick');
  node.raw.step(msg.heartbeatResp(2, 1, 1, heartbeat!.type === 'heartbeat' ? heartbeat!.context : undefined));
  node.handleReady();
  for (let tick = 0; tick < 8; tick++) node.raw.tick();
  node.handleReady();
  node.raw.readIndex(bytes('fast'));
  t.same(node.handleReady().filter((m) => m.type === 'heartbeat'), [], 'within the lease: no heartbeat round');
  t.same(node.readStates.map((r) => [r.index, text(r.context)]), [[1, 'fast']]);
  // One more tick and the acknowledged heartbeat is electionTick - 1 ticks old: the lease has run out.
  node.raw.tick();
  node.handleReady();
  node.raw.readIndex(bytes('late'));
  const renewal = node.handleReady().filter((m) => m.type === 'heartbeat');
  t.equal(node.readStates.length, 1, 'the expired lease does not answer');
  t.equal(renewal.length, 2, 'a heartbeat round renews it');
  node.raw.step(msg.heartbeatResp(3, 1, 1, renewal[1]!.type === 'heartbeat' ? renewal[1]!.context : undefined));
  node.handleReady();
  t.same(node.readStates.map((r) => text(r.context)), ['fast', 'late'], 'answered once a quorum acknowledged the renewal');
});

t.test('§6.4: a leader cut off from the quorum stops serving lease reads before anyone else can lead', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: { preVote: false, checkQuorum: true, readOnlyOption: 'lease-based' } });
  network.campaign(1);
  network.tickAll(9);
  network.isolate(1);
  network.tickAll(10);
  // The followers' leases ran out: node 2 wins and commits x while node 1 still believes it leads.
  network.campaign(2);
  network.propose(2, 'x');
  t.equal(network.node(2).role, 'leader');
  t.equal(network.node(1).role, 'leader', 'check-quorum has not deposed node 1 yet');
  network.node(1).raw.readIndex(bytes('after x'));
  network.stabilize();
  t.same(network.node(1).readStates, [], 'node 1 does not answer from its expired lease');
});

t.test('§6.4: sending TimeoutNow ends the lease for the term', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: { preVote: false, checkQuorum: true, readOnlyOption: 'lease-based' } });
  network.campaign(1);
  network.tickAll(1);
  network.cutLink(2, 1);
  network.node(1).raw.transferLeader(nodeId(2));
  network.stabilize();
  network.propose(2, 'x');
  network.node(1).raw.readIndex(bytes('after transfer'));
  network.stabilize();
  const stale = network.node(1).readStates.filter((r) => r.index < network.node(2).committed);
  t.same(stale, [], 'the old leader gives no read state below the new leader\'s write');
});

t.test('§6.4: a follower gets a read index from the leader that covers every write committed before', async (t) => {
  for (const readOnlyOption of ['safe', 'lease-based'] as const) {
    const network = new Network({ voters: [1, 2, 3], config: { preVote: false, checkQuorum: true, readOnlyOption } });
    network.campaign(1);
    network.propose(1, 'w1');
    network.propose(1, 'w2');
    const writeIndex = network.node(1).committed;
    network.node(3).raw.readIndex(bytes('follower read'));
    network.stabilize();
    const [state] = network.node(3).readStates;
    t.ok(state !== undefined && state.index >= writeIndex, `${readOnlyOption}: read index ${state?.index} covers the writes at ${writeIndex}`);
    t.ok(network.node(3).appliedIndex >= state!.index, `${readOnlyOption}: the follower has applied up to it`);
    t.same(network.node(3).applied, ['w1', 'w2']);
  }
});

t.test('a single voter answers reads at once; a follower without a leader refuses them', async (t) => {
  const network = new Network({ voters: [1], config: plain });
  network.campaign(1);
  network.node(1).raw.readIndex(bytes('solo'));
  network.stabilize();
  t.same(network.node(1).readStates.map((r) => r.index), [1]);
  const lonely = new Network({ voters: [1, 2, 3], config: plain });
  t.equal(droppedReason(() => lonely.node(2).raw.readIndex(bytes('x'))), 'no-leader');
});

t.test('read requests beyond maxPendingReadIndexRequests are refused, not queued without bound', async (t) => {
  const node = leader({ ...plain, maxPendingReadIndexRequests: 2 });
  node.raw.readIndex(bytes('1'));
  node.raw.readIndex(bytes('2'));
  t.equal(droppedReason(() => node.raw.readIndex(bytes('3'))), 'read-queue-full');
  node.handleReady();
  node.raw.step(msg.heartbeatResp(2, 1, 1, bytes('2')));
  node.handleReady();
  t.equal(droppedReason(() => node.raw.readIndex(bytes('3'))), 'accepted', 'room again once answered');
});

t.test('§6.4: a node restarted with lease-based reads honours the lease it may have been part of', async (t) => {
  const lease = { preVote: false, checkQuorum: true, readOnlyOption: 'lease-based' as const };
  const restarted = new TestNode(nodeId(2), storageWith([1, 2, 3], [], { term: 3 }), lease, 7);
  restarted.raw.step(msg.vote(3, 2, 4, { index: 0, logTerm: 0 }));
  t.same(restarted.handleReady(), [], 'ignored right after the restart');
  for (let tick = 0; tick < 10; tick++) restarted.raw.tick();
  restarted.handleReady();
  restarted.raw.step(msg.vote(3, 2, 5, { index: 5, logTerm: 3 }));
  t.ok(restarted.handleReady().some((m) => m.type === 'voteResp' && !m.reject), 'granted once an election timeout passed');
  const fresh = new TestNode(nodeId(2), storageWith([1, 2, 3]), lease, 7);
  fresh.raw.step(msg.vote(3, 2, 1, { index: 0, logTerm: 0 }));
  t.ok(fresh.handleReady().some((m) => m.type === 'voteResp' && !m.reject), 'a freshly bootstrapped node votes at once');
});
