// §6 of the Raft paper and thesis §4 (cluster membership changes): learners replicate but neither vote
// nor count toward commit and catch up before promotion (§4.2.1); single-server changes (§4.1) move
// one voter at a time; joint consensus (§4.3) takes arbitrary changes, needing a majority of both the
// old and the new configuration while joint; at most one change is pending; a removed leader manages
// the group without counting itself until a voter takes over, and a removed node whose longer log
// blocks the members' elections campaigns for them (§4.2.2); a node with a committed but unapplied
// change does not campaign.
import t from 'tap';
import { type ConfChange, type ConfChangeSingle, type Message, nodeId } from '../../../cluster/raft/types.js';
import { encodeConfChange } from '../../../cluster/raft/conf-change-codec.js';
import { droppedReason, entries, msg, storageWith } from './messages.js';
import { bytes, Network, TestNode } from './network.js';

const config = { preVote: true, checkQuorum: true };
const add = (id: number): ConfChangeSingle => ({ type: 'addNode', nodeId: nodeId(id) });
const learner = (id: number): ConfChangeSingle => ({ type: 'addLearnerNode', nodeId: nodeId(id) });
const remove = (id: number): ConfChangeSingle => ({ type: 'removeNode', nodeId: nodeId(id) });
const simple = (change: ConfChangeSingle): ConfChange => ({ transition: 'auto', changes: [change] });

function elected(voters = [1, 2, 3]): Network {
  const network = new Network({ voters, config });
  network.campaign(1);
  return network;
}

function change(network: Network, leader: number, confChange: ConfChange): void {
  network.node(leader).raw.proposeConfChange(confChange);
  network.stabilize();
}

t.test('§4.2.1: a learner catches up, but neither counts toward commit nor campaigns', async (t) => {
  const network = elected();
  network.propose(1, 'a');
  network.addNode(nodeId(4));
  change(network, 1, simple(learner(4)));
  network.propose(1, 'b');
  t.same(network.node(4).applied, ['a', 'b'], 'the learner replicated everything');
  t.same(network.node(4).confState.learners, [4]);
  network.partition([1, 4], [2, 3]);
  const committed = network.node(1).committed;
  network.propose(1, 'c');
  t.equal(network.node(1).committed, committed, 'leader + learner are not a quorum');
  network.heal();
  network.isolate(4);
  for (let tick = 0; tick < 100; tick++) network.node(4).raw.tick();
  network.stabilize();
  t.equal(network.node(4).role, 'follower', 'a learner never campaigns');
});

t.test('§4.2.1: a caught-up learner is promoted to voter, and the quorum grows', async (t) => {
  const network = elected();
  network.addNode(nodeId(4));
  change(network, 1, simple(learner(4)));
  change(network, 1, simple(add(4)));
  t.same(network.node(4).confState.voters, [1, 2, 3, 4]);
  network.partition([1, 4], [2, 3]);
  const committed = network.node(1).committed;
  network.propose(1, 'x');
  t.equal(network.node(1).committed, committed, '2 of 4 is not a majority');
  network.heal();
  network.partition([1, 2, 4], [3]);
  network.propose(1, 'y');
  t.same(network.node(4).applied, ['x', 'y'], '3 of 4 is, and the promoted voter counts');
});

t.test('§4.1: single-server changes add and remove one voter at a time', async (t) => {
  const network = elected();
  network.addNode(nodeId(4));
  change(network, 1, simple(add(4)));
  network.propose(1, 'with 4');
  t.same(network.node(4).applied, ['with 4'], 'the new voter caught up from the log');
  change(network, 1, simple(remove(3)));
  t.same(network.node(1).confState.voters, [1, 2, 4]);
  network.isolate(3);
  network.propose(1, 'without 3');
  t.same(network.node(4).applied, ['with 4', 'without 3'], '{1, 2, 4} commits without 3');
  t.equal(droppedReason(() => network.node(1).raw.proposeConfChange({ transition: 'auto', changes: [add(5), add(6)] })), 'accepted',
    'two voters at once are taken through joint consensus with auto transition');
});

t.test('§4.3: joint consensus needs a majority of both configurations, then leaves for the new one', async (t) => {
  const network = elected();
  network.addNode(nodeId(4));
  network.addNode(nodeId(5));
  change(network, 1, { transition: 'jointExplicit', changes: [remove(2), remove(3), add(4), add(5)] });
  t.same(network.node(1).confState.votersOutgoing, [1, 2, 3]);
  t.same(network.node(1).confState.voters, [1, 4, 5]);
  for (const [reachable, cutOff] of [[[1, 2, 3], [4, 5]], [[1, 4, 5], [2, 3]]]) {
    network.heal();
    network.partition(reachable!, cutOff!);
    network.propose(1, `joint, only {${reachable!.join(', ')}}`);
    const proposedIndex = network.node(1).status().lastIndex;
    t.ok(network.node(1).committed < proposedIndex, `{${reachable!.join(', ')}} alone cannot commit while joint`);
  }
  network.heal();
  network.propose(1, 'both');
  t.ok(network.node(4).applied.includes('both'), 'with both majorities it commits');
  t.equal(droppedReason(() => network.node(1).raw.proposeConfChange(simple(add(6)))), 'conf-change-invalid', 'no new change while joint');
  change(network, 1, { transition: 'auto', changes: [] });
  t.same(network.node(1).confState, { voters: [1, 4, 5], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false });
  network.isolate(2);
  network.isolate(3);
  network.propose(1, 'new config');
  t.ok(network.node(5).applied.includes('new config'), '{1, 4, 5} alone commits now');
});

t.test('§4.3: with an automatic transition the leader leaves the joint configuration by itself', async (t) => {
  const network = elected();
  network.addNode(nodeId(4));
  network.addNode(nodeId(5));
  change(network, 1, { transition: 'auto', changes: [remove(2), remove(3), add(4), add(5)] });
  for (const id of [1, 4, 5]) {
    t.same(network.node(id).confState, { voters: [1, 4, 5], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false }, `node ${id}`);
  }
});

t.test('§4: at most one change is pending; invalid changes are refused', async (t) => {
  const network = elected();
  network.node(1).raw.proposeConfChange(simple(learner(4)));
  t.equal(droppedReason(() => network.node(1).raw.proposeConfChange(simple(learner(5)))), 'pending-conf-change');
  network.stabilize();
  t.equal(droppedReason(() => network.node(1).raw.proposeConfChange(simple(learner(5)))), 'accepted', 'accepted once applied');
  network.stabilize();
  t.equal(
    droppedReason(() => network.node(1).raw.proposeConfChange({ transition: 'jointExplicit', changes: [remove(1), remove(2), remove(3)] })),
    'conf-change-invalid',
    'removing every voter',
  );
  t.equal(droppedReason(() => network.node(1).raw.proposeConfChange({ transition: 'auto', changes: [] })), 'conf-change-invalid', 'leaving a joint config that is not');
});

t.test('§4.2.2: a leader not in Cnew manages the group, counting itself in no majority, until Cnew commits', async (t) => {
  const network = elected();
  network.propose(1, 'a');
  // The handover is held back, so that the removed leader can be watched at work.
  const noHandover = (m: Message): boolean => m.type !== 'timeoutNow';
  network.filter = noHandover;
  const leader = network.node(1);
  leader.raw.proposeConfChange(simple(remove(1)));
  network.drainReadies();
  network.deliverQueued();
  network.drainReadies();
  // y is proposed while the removal is still unapplied, so it is accepted.
  leader.raw.propose(bytes('y'));
  network.deliverQueued();
  const removalIndex = leader.committed;
  network.isolate(3);
  network.filter = noHandover;
  network.stabilize();
  t.same(leader.confState.voters, [2, 3], 'the removal is committed and applied');
  t.equal(leader.role, 'leader', 'node 1 still leads');
  t.notOk(leader.status().progress?.has(nodeId(1)), 'with no progress of its own: it counts in no quorum');
  t.equal(leader.committed, removalIndex, 'y, held by nodes 1 and 2, is not committed: Cnew is (2,3)');
  t.equal(droppedReason(() => leader.raw.propose(bytes('b'))), 'not-in-config', 'no new proposal is taken');
  t.equal(droppedReason(() => leader.raw.readIndex(bytes('r'))), 'not-in-config', 'nor a read');
  network.heal();
  network.filter = noHandover;
  leader.raw.tick();
  network.stabilize();
  t.same(network.node(3).applied, ['a', 'y'], 'a heartbeat later node 3 has y, and nodes 2 and 3 commit it');
  t.equal(leader.role, 'leader', 'node 1 leads until its successor takes over');
  network.filter = undefined;
  leader.raw.tick();
  network.stabilize();
  const [successor] = network.leaders().filter((node) => node.id !== 1);
  t.equal(successor?.id, 2, 'the next heartbeat tick handed over to the caught-up voter 2 (lowest id of the most caught up)');
  t.ok(successor!.term > 1, 'which won a new term');
  leader.raw.tick();
  network.stabilize();
  t.equal(leader.role, 'follower', 'node 1 stepped down on hearing that term');
  network.propose(2, 'b');
  t.same(network.node(3).applied, ['a', 'y', 'b'], 'and the rest go on');
});

t.test('§4.2.2: a removed leader that steps down before the members learn Cnew committed campaigns for them', async (t) => {
  // Voters (1,2) become (2,3) through joint consensus. Node 1 applies the leave-joint change but
  // crashes before telling anyone it is committed; 2 and 3 stay joint, (2,3)&&(1,2), and need the
  // vote of node 1, which refuses them: its log holds y after the leave. Refusing, node 1 campaigns
  // under its own configuration (2,3) (removal.ts, rule 2), wins with the votes of 2 and 3 alone, and
  // hands over.
  const network = elected([1, 2]);
  network.addNode(nodeId(3));
  change(network, 1, { transition: 'jointExplicit', changes: [add(3), remove(1)] });
  const leader = network.node(1);
  leader.raw.proposeConfChange({ transition: 'auto', changes: [] });
  network.drainReadies();
  leader.raw.propose(bytes('y'));
  network.deliverQueued();
  network.drainReadies();
  // The acknowledgements reach node 1, nothing from node 1 reaches the others.
  network.cutLink(1, 2);
  network.cutLink(1, 3);
  network.stabilize();
  t.same([leader.confState.voters, leader.confState.votersOutgoing], [[2, 3], []], 'node 1 applied the leave');
  t.same(network.node(2).confState.votersOutgoing, [1, 2], 'node 2 is still joint');
  leader.restart();
  network.heal();
  network.stabilize();
  network.tickAll(60);
  const [winner] = network.leaders();
  t.ok(winner !== undefined && winner.id !== 1, `a voter of (2,3) leads (${winner?.id})`);
  t.equal(leader.role, 'follower', 'node 1 handed over');
  network.propose(winner!.id, 'z');
  t.same(network.node(3).applied, ['y', 'z'], 'y, held only by node 1, survived, and the group goes on');
});

t.test('§4: a node does not campaign while a committed configuration change is unapplied', async (t) => {
  const storage = storageWith([1, 2, 3], entries(1, 1), { term: 1, commit: 1 });
  const node = new TestNode(nodeId(3), storage, { preVote: false, checkQuorum: false }, 7);
  node.handleReady();
  const confEntry = { index: 2, term: 1, type: 'confChange' as const, data: encodeConfChange(simple(remove(3))) };
  node.raw.step(msg.app(1, 3, 1, { index: 1, logTerm: 1, entries: [confEntry], commit: 2 }));
  // Before the entry is applied, this node may not know it was removed.
  node.raw.campaign();
  t.equal(node.role, 'follower', 'refused to campaign');
  node.handleReady();
  t.same(node.confState.voters, [1, 2]);
  node.raw.campaign();
  t.equal(node.role, 'follower', 'and once applied, it is no longer a voter');
});

t.test('§4.3: an automatic leave refused during a transfer is retried once the transfer ends', async (t) => {
  const network = elected();
  network.addNode(nodeId(4));
  network.isolate(2);
  network.node(1).raw.proposeConfChange({ transition: 'auto', changes: [remove(3), add(4)] });
  // A transfer to the unreachable node 2 is pending while the joint configuration commits and applies.
  network.node(1).raw.transferLeader(nodeId(2));
  network.stabilize();
  t.same(network.node(1).confState.votersOutgoing, [1, 2, 3], 'joint; leaving it was refused during the transfer');
  for (let tick = 0; tick < 12; tick++) network.node(1).raw.tick();
  network.stabilize();
  t.equal(network.node(1).role, 'leader');
  t.same(
    network.node(1).confState,
    { voters: [1, 2, 4], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false },
    'left on a heartbeat tick after the transfer was abandoned, with nothing else proposed',
  );
});
