// Thesis §3.10 (leadership transfer): the leader stops accepting proposals, brings the transferee's
// log up to date, then sends it TimeoutNow; the transferee campaigns at once (no pre-vote, and past
// the leader lease) and wins the next term. A transfer that cannot finish within an election timeout
// is abandoned, and the leader accepts proposals again.
import t from 'tap';
import { nodeId } from '../../../cluster/raft/types.js';
import { droppedReason } from './messages.js';
import { bytes, Network } from './network.js';

const config = { preVote: true, checkQuorum: true };

function elected(voters = [1, 2, 3], learners: number[] = []): Network {
  const network = new Network({ voters, learners, config });
  network.campaign(1);
  return network;
}

t.test('§3.10: leadership moves to an up-to-date follower in the next term', async (t) => {
  const network = elected();
  network.propose(1, 'before');
  const before = network.delivered.length;
  network.node(1).raw.transferLeader(nodeId(2));
  network.stabilize();
  const traffic = network.delivered.slice(before);
  t.equal(network.node(2).role, 'leader');
  t.equal(network.node(2).term, 2);
  t.equal(network.node(1).role, 'follower');
  t.ok(traffic.some((m) => m.type === 'timeoutNow' && m.to === 2), 'by TimeoutNow');
  t.ok(traffic.every((m) => m.type !== 'preVote'), 'without a pre-vote round');
  network.propose(1, 'after');
  t.same(network.node(3).applied, ['before', 'after']);
});

t.test('§3.10: a lagging transferee is caught up before TimeoutNow', async (t) => {
  const network = elected();
  network.cutLink(1, 3);
  for (const payload of ['a', 'b', 'c']) network.propose(1, payload);
  network.heal();
  const before = network.delivered.length;
  network.node(1).raw.transferLeader(nodeId(3));
  network.stabilize();
  const traffic = network.delivered.slice(before);
  const appendPositions = traffic.flatMap((m, position) => (m.type === 'app' && m.to === 3 && m.term === 1 ? [position] : []));
  const lastAppend = appendPositions.length === 0 ? -1 : appendPositions[appendPositions.length - 1]!;
  const timeoutNow = traffic.findIndex((m) => m.type === 'timeoutNow');
  t.ok(lastAppend >= 0 && timeoutNow > lastAppend, 'appends first, then TimeoutNow');
  t.equal(network.node(3).role, 'leader');
  t.same(network.node(3).applied, ['a', 'b', 'c']);
});

t.test('§3.10: proposals are refused during a transfer; an unfinished transfer is abandoned after an election timeout', async (t) => {
  const network = elected();
  network.isolate(2);
  network.node(1).raw.transferLeader(nodeId(2));
  network.stabilize();
  t.equal(droppedReason(() => network.node(1).raw.propose(bytes('x'))), 'transferring');
  t.equal(network.node(1).status().leadTransferee, 2);
  for (let tick = 0; tick < 10; tick++) network.node(1).raw.tick();
  network.stabilize();
  t.equal(network.node(1).status().leadTransferee, 0, 'abandoned');
  t.equal(network.node(1).role, 'leader');
  t.equal(droppedReason(() => network.node(1).raw.propose(bytes('y'))), 'accepted');
});

t.test('§3.10: a transfer to a learner, a stranger or the leader itself does nothing', async (t) => {
  const network = elected([1, 2, 3], [4]);
  for (const target of [4, 9, 1]) {
    network.node(1).raw.transferLeader(nodeId(target));
    network.stabilize();
    t.equal(network.node(1).role, 'leader', `transfer to ${target}`);
    t.equal(network.node(1).status().leadTransferee, 0);
  }
});

t.test('§3.10: a follower forwards a transfer request to the leader', async (t) => {
  const network = elected();
  network.node(3).raw.transferLeader(nodeId(3));
  network.stabilize();
  t.equal(network.node(3).role, 'leader');
});

t.test('§3.10: the transferee\'s vote request passes the leader lease that check-quorum enforces', async (t) => {
  const network = elected([1, 2, 3, 4, 5]);
  // Everyone heard from the leader just now, so a plain vote request would be ignored.
  network.node(1).raw.tick();
  network.stabilize();
  network.node(1).raw.transferLeader(nodeId(5));
  network.stabilize();
  t.equal(network.node(5).role, 'leader');
  t.ok(network.delivered.some((m) => m.type === 'vote' && m.transfer), 'the request is marked as a transfer');
});
