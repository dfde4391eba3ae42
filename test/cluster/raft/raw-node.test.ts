// Proves RawNode's Ready contract: one Ready in flight at a time; hard state handed out only when it
// changed and marked for sync only when term, vote or entries changed; the leader counts its own copy
// of an entry only after the caller persisted it; what is stepped between ready() and advance() goes
// out in the next Ready (even when it replaces entries that were being persisted); a restarted node
// does not re-apply what it had applied. Also that bad input is refused with typed errors, and that
// broken invariants stop the node with RaftInvariantError naming them.
import t from 'tap';
import { RaftConfigError, RaftInvariantError, RaftUsageError, StepRejectedError } from '../../../cluster/raft/errors.js';
import { RawNode } from '../../../cluster/raft/raw-node.js';
import { MemoryLogStorage } from '../../../cluster/raft/storage.js';
import { type Entry, nodeId } from '../../../cluster/raft/types.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { entries, msg, storageWith } from './messages.js';
import { Network, TestNode } from './network.js';

const plain = { preVote: false, checkQuorum: false };
const show = (log: readonly Entry[]): string => log.map((e) => `${e.index}@${e.term}`).join(' ');

t.test('one Ready in flight: ready() twice, or advance() without ready(), is a usage error', async (t) => {
  const node = new TestNode(nodeId(1), storageWith([1]), plain, 7);
  node.raw.campaign();
  t.ok(node.raw.hasReady());
  node.raw.ready();
  t.notOk(node.raw.hasReady(), 'nothing more until advance()');
  t.throws(() => node.raw.ready(), RaftUsageError);
  node.raw.advance();
  t.throws(() => node.raw.advance(), RaftUsageError);
});

t.test('a single leader commits its entry only after it persisted it', async (t) => {
  const node = new TestNode(nodeId(1), storageWith([1]), plain, 7);
  node.raw.campaign();
  const first = node.raw.ready();
  t.same(show(first.entries), '1@1');
  t.same(first.committedEntries, [], 'not committed before the caller persisted it');
  node.storage.append(first.entries);
  node.storage.setHardState(first.hardState!);
  node.raw.advance();
  const second = node.raw.ready();
  t.same(show(second.committedEntries), '1@1', 'committed once persisted');
  node.raw.advance();
  t.notOk(node.raw.hasReady());
});

t.test('hard state is handed out when it changes, and needs a sync only for term, vote or entries', async (t) => {
  const node = new TestNode(nodeId(2), storageWith([1, 2, 3], entries(1, 1, 1), { term: 1 }), plain, 7);
  t.notOk(node.raw.hasReady(), 'a restarted node does not re-persist its stored hard state');
  node.raw.step(msg.heartbeat(1, 2, 1, 2));
  const ready = node.raw.ready();
  t.same(ready.hardState, { term: 1, vote: 0, commit: 2 });
  t.notOk(ready.mustSync, 'a commit-index change alone need not be synced');
  node.raw.advance();
  node.raw.step(msg.vote(3, 2, 2, { index: 2, logTerm: 1 }));
  const voted = node.raw.ready();
  t.same(voted.hardState, { term: 2, vote: 3, commit: 2 });
  t.ok(voted.mustSync);
  node.raw.advance();
});

t.test('entries replaced while a Ready was being persisted go out again in the next Ready', async (t) => {
  const node = new TestNode(nodeId(2), storageWith([1, 2, 3]), plain, 7);
  node.raw.step(msg.app(1, 2, 1, { index: 0, logTerm: 0, entries: entries(1, 1, 1, 1) }));
  const first = node.raw.ready();
  t.equal(show(first.entries), '1@1 2@1 3@1');
  // Meanwhile a new leader of term 2 replaces entries 2 and 3.
  node.raw.step(msg.app(3, 2, 2, { index: 1, logTerm: 1, entries: entries(2, 2) }));
  node.storage.append(first.entries);
  node.raw.advance();
  const second = node.raw.ready();
  t.equal(show(second.entries), '2@2', 'the replacement is still unstable');
  t.same(second.messages.map((m) => `${m.type}→${m.to}`), ['appResp→3'], 'and its acknowledgement waits for it');
  node.storage.append(second.entries);
  node.raw.advance();
  t.equal(show(node.logEntries()), '1@1 2@2');
});

t.test('committed entries are handed out in slices of maxCommittedSizePerReadyBytes', async (t) => {
  const network = new Network({ voters: [1], config: { ...plain, maxCommittedSizePerReadyBytes: 200 } });
  network.campaign(1);
  for (let i = 0; i < 10; i++) network.node(1).raw.propose(new Uint8Array(84));
  network.stabilize();
  const sizes = network.node(1).readies.map((ready) => ready.committedEntries.length).filter((n) => n > 0);
  t.ok(sizes.every((n) => n <= 2), `slices: ${sizes.join(', ')}`);
  t.equal(network.node(1).appliedIndex, 11);
});

t.test('a restarted node applies only what it had not applied', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: plain });
  network.campaign(1);
  network.propose(1, 'a');
  network.propose(1, 'b');
  const node = network.node(2);
  node.restart({ keepApplied: true });
  network.propose(1, 'c');
  t.same(node.applied, ['a', 'b', 'c'], 'no entry applied twice');
});

t.test('step refuses local message types and responses from strangers', async (t) => {
  const node = new TestNode(nodeId(1), storageWith([1, 2, 3]), plain, 7);
  t.throws(() => node.raw.step({ type: 'hup', from: nodeId(2), to: nodeId(1), term: 0 }), StepRejectedError);
  t.throws(() => node.raw.step(msg.appResp(9, 1, 1, 3)), StepRejectedError);
  t.notOk(node.raw.hasReady(), 'nothing changed');
});

t.test('a configuration that cannot run is refused', async (t) => {
  const base = { id: nodeId(1), storage: new MemoryLogStorage(), random: new SeededRandom(1) };
  t.throws(() => new RawNode({ ...base, electionTick: 5, heartbeatTick: 5 }), RaftConfigError);
  t.throws(() => new RawNode({ ...base, electionTick: 10, heartbeatTick: 1, checkQuorum: false, readOnlyOption: 'lease-based' }), RaftConfigError);
  t.throws(() => new RawNode({ ...base, id: 0 as never, electionTick: 10, heartbeatTick: 1 }), RaftConfigError);
  t.throws(() => new RawNode({ ...base, electionTick: 10, heartbeatTick: 1, maxInflightMsgs: 0 }), RaftConfigError);
});

t.test('status reports the hard state, role and, on a leader, each peer\'s progress', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: plain });
  network.campaign(1);
  network.propose(1, 'x');
  const status = network.node(1).status();
  t.same(status.hardState, { term: 1, vote: 1, commit: 2 });
  t.same(status.softState, { lead: 1, role: 'leader' });
  t.same([...status.progress!.entries()].map(([id, p]) => `${id}:${p.state}:${p.match}`), ['1:replicate:2', '2:replicate:2', '3:replicate:2']);
  t.equal(network.node(2).status().progress, undefined);
});

t.test('two leaders in one term stop the process with the invariant named', async (t) => {
  const network = new Network({ voters: [1, 2, 3], config: plain });
  network.campaign(1);
  const error = (() => {
    try {
      network.node(1).raw.step(msg.app(2, 1, 1, { index: 0, logTerm: 0 }));
    } catch (caught) {
      return caught;
    }
    return undefined;
  })();
  t.ok(error instanceof RaftInvariantError && error.invariant === 'one-leader-per-term', String(error));
  t.throws(() => network.node(2).raw.step(msg.heartbeat(3, 2, 1, 0)), /one-leader-per-term/, 'a follower hearing a second leader');
});
