// §7 of the Raft paper (log compaction): each node may snapshot its applied state and discard the log
// before it; a leader whose log no longer holds what a follower needs sends its snapshot instead
// (InstallSnapshot), the follower replaces its state with it and replication continues from there. A
// follower ignores a snapshot that is not newer than its commit, and one whose last entry it already
// holds only moves its commit index. A snapshot may predate the follower's membership: the log after
// it carries the change that added the follower.
import t from 'tap';
import { MemoryLogStorage } from '../../../cluster/raft/storage.js';
import { EMPTY_CONF_STATE, nodeId } from '../../../cluster/raft/types.js';
import { describe, entries, msg, storageWith } from './messages.js';
import { bytes, Network, TestNode } from './network.js';

const config = { preVote: true, checkQuorum: true };

function electedWithHistory(): Network {
  const network = new Network({ voters: [1, 2, 3], config });
  network.campaign(1);
  network.isolate(3);
  for (const payload of ['a', 'b', 'c', 'd']) network.propose(1, payload);
  network.heal();
  network.node(1).compact();
  t.equal(network.node(1).storage.firstIndex(), 6, 'the leader compacted everything applied');
  return network;
}

t.test('§7: a follower behind the compacted log gets the snapshot and resumes from it', async (t) => {
  const network = electedWithHistory();
  network.propose(1, 'e');
  const snapshots = network.delivered.filter((m) => m.type === 'snap');
  t.same(snapshots.map((m) => `${m.from}→${m.to}`), ['1→3'], 'one snapshot, to the lagging follower');
  t.same(network.node(3).applied, ['a', 'b', 'c', 'd', 'e'], 'state from the snapshot, then the new entry');
  t.equal(network.node(3).storage.firstIndex(), 6, 'the follower log starts after the snapshot');
  t.equal(network.node(1).status().progress!.get(nodeId(3))!.state, 'replicate', 'and replication is back to normal');
});

t.test('§7: a new member joining after compaction is caught up by a snapshot from before it joined, then the log', async (t) => {
  const network = electedWithHistory();
  network.addNode(nodeId(4), new MemoryLogStorage());
  network.node(1).raw.proposeConfChange({ transition: 'auto', changes: [{ type: 'addLearnerNode', nodeId: nodeId(4) }] });
  network.stabilize();
  const sent = network.delivered.filter((m) => m.type === 'snap' && m.to === 4);
  t.equal(sent.length, 1);
  t.notOk(sent[0]!.type === 'snap' && sent[0]!.snapshot.metadata.confState.learners.includes(nodeId(4)), 'the snapshot predates the change');
  network.propose(1, 'after');
  t.same(network.node(4).applied, ['a', 'b', 'c', 'd', 'after']);
  t.same(network.node(4).confState.learners, [4], 'the change after the snapshot made it a member');
});

t.test('§7: a snapshot that failed to arrive is retried after the follower is heard from again', async (t) => {
  const network = electedWithHistory();
  let dropSnapshots = true;
  network.filter = (m) => !(dropSnapshots && m.type === 'snap');
  network.propose(1, 'e');
  t.ok(network.queue.length === 0 && network.delivered.every((m) => m.type !== 'snap'), 'the snapshot was lost');
  t.equal(network.node(1).status().progress!.get(nodeId(3))!.state, 'probe', 'the reported failure sent the follower back to probing');
  dropSnapshots = false;
  network.node(1).raw.tick();
  network.stabilize();
  t.same(network.node(3).applied, ['a', 'b', 'c', 'd', 'e']);
});

t.test('§7: a follower ignores a snapshot not newer than its commit, and fast-forwards on one it holds', async (t) => {
  const confState = { ...EMPTY_CONF_STATE, voters: [nodeId(1), nodeId(2), nodeId(3)] };
  const snapshot = (index: number, term: number) => ({ metadata: { index, term, confState }, data: bytes('[]') });
  const node = new TestNode(nodeId(2), storageWith([1, 2, 3], entries(1, 1, 1, 1), { term: 1, commit: 2 }), config, 7);
  node.handleReady();
  node.raw.step(msg.snap(1, 2, 1, snapshot(2, 1)));
  t.same(node.handleReady().map(describe), ['appResp 2→1 t1 i2'], 'stale: answered with the commit index');
  t.equal(node.storage.firstIndex(), 1, 'not installed');
  node.raw.step(msg.snap(1, 2, 1, snapshot(3, 1)));
  t.same(node.handleReady().map(describe), ['appResp 2→1 t1 i3'], 'holds entry 3@1: commit moves to 3');
  t.equal(node.committed, 3);
  t.equal(node.storage.firstIndex(), 1, 'still not installed: the log already had it');
});

t.test('§7: a node restarts from its snapshot and the log after it', async (t) => {
  const network = electedWithHistory();
  network.propose(1, 'e');
  network.node(2).compact();
  network.propose(1, 'f');
  network.node(2).restart();
  network.propose(1, 'g');
  t.same(network.node(2).applied, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  t.equal(network.node(2).appliedIndex, network.node(1).appliedIndex);
});
