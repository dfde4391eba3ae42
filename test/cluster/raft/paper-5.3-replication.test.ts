// §5.3 of the Raft paper (log replication): the leader appends proposals and replicates them; an
// entry is committed once a majority stores it and followers learn the commit index from later
// messages; a follower refuses an append whose previous entry does not match, and replaces a
// conflicting tail with the leader's entries; the leader backs up quickly (fast backtracking) until
// the logs match. Also the flow control around it: batching, in-flight limits, the uncommitted limit,
// and proposal forwarding.
import t from 'tap';
import { ProposalDroppedError } from '../../../cluster/raft/errors.js';
import { type Entry, nodeId } from '../../../cluster/raft/types.js';
import { describe, droppedReason, entries, msg, storageWith } from './messages.js';
import { bytes, Network, TestNode } from './network.js';

const plain = { preVote: false, checkQuorum: false };
const show = (log: readonly Entry[]): string => log.map((e) => `${e.index}@${e.term}`).join(' ');

function elected(voters = [1, 2, 3], config = {}): Network {
  const network = new Network({ voters, config: { ...plain, ...config } });
  network.campaign(1);
  return network;
}

t.test('§5.3: the leader replicates a proposal, commits it on a majority, and everyone applies it', async (t) => {
  const network = elected();
  network.propose(1, 'x');
  for (const id of [1, 2, 3]) {
    t.same(network.node(id).applied, ['x'], `node ${id} applied`);
    t.equal(show(network.node(id).logEntries()), '1@1 2@1', `node ${id} log`);
  }
});

t.test('§5.3: a majority suffices; a cut-off follower catches up later', async (t) => {
  const network = elected([1, 2, 3, 4, 5]);
  network.partition([1, 2, 3], [4, 5]);
  network.propose(1, 'a');
  t.same(network.node(3).applied, ['a'], '3 of 5 stored it: committed');
  t.same(network.node(4).applied, [], 'not delivered to 4');
  network.heal();
  network.propose(1, 'b');
  t.same(network.node(4).applied, ['a', 'b']);
});

t.test('§5.3: no commit without a majority', async (t) => {
  const network = elected([1, 2, 3, 4, 5]);
  network.partition([1, 2], [3, 4, 5]);
  network.propose(1, 'a');
  t.equal(network.node(1).committed, 1, 'the new entry is stored on 2 of 5 only');
  t.same(network.node(1).applied, []);
});

t.test('§5.3: a follower refuses an append whose previous entry does not match, with a hint', async (t) => {
  const node = new TestNode(nodeId(1), storageWith([1, 2, 3], entries(1, 1, 2, 2), { term: 2 }), plain, 7);
  const cases: { index: number; logTerm: number; want: string }[] = [
    { index: 3, logTerm: 2, want: 'appResp 1→2 t2 i3' },
    { index: 3, logTerm: 3, want: 'appResp 1→2 t2 reject 3 hint 3/2' },
    { index: 5, logTerm: 2, want: 'appResp 1→2 t2 reject 5 hint 3/2' },
    { index: 2, logTerm: 1, want: 'appResp 1→2 t2 reject 2 hint 1/1' },
  ];
  for (const c of cases) {
    node.raw.step(msg.app(2, 1, 2, { index: c.index, logTerm: c.logTerm }));
    t.same(node.handleReady().map(describe), [c.want], `append after ${c.index}@${c.logTerm}`);
  }
  t.equal(show(node.logEntries()), '1@1 2@2 3@2', 'nothing changed');
});

t.test('§5.3: a follower deletes a conflicting tail and appends the leader\'s entries', async (t) => {
  const cases: { index: number; logTerm: number; entries: Entry[]; want: string }[] = [
    { index: 2, logTerm: 2, entries: entries(3, 3), want: '1@1 2@2 3@3' },
    { index: 1, logTerm: 1, entries: entries(2, 3, 4), want: '1@1 2@3 3@4' },
    { index: 0, logTerm: 0, entries: entries(1, 1), want: '1@1 2@2' },
    { index: 0, logTerm: 0, entries: entries(1, 3), want: '1@3' },
  ];
  for (const c of cases) {
    const node = new TestNode(nodeId(1), storageWith([1, 2, 3], entries(1, 1, 2), { term: 2 }), plain, 7);
    node.raw.step(msg.app(2, 1, 2, { index: c.index, logTerm: c.logTerm, entries: c.entries }));
    node.handleReady();
    t.equal(show(node.logEntries()), c.want, `after ${c.index}@${c.logTerm} + ${show(c.entries)}`);
  }
});

t.test('§5.3 (figure 7): a new leader brings each kind of follower log into agreement with its own', async (t) => {
  const leaderLog = entries(1, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6);
  const followers: Record<string, Entry[]> = {
    a: entries(1, 1, 1, 1, 4, 4, 5, 5, 6, 6),
    b: entries(1, 1, 1, 1, 4),
    c: entries(1, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6),
    d: entries(1, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7),
    e: entries(1, 1, 1, 1, 4, 4, 4, 4),
    f: entries(1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3),
  };
  for (const [name, followerLog] of Object.entries(followers)) {
    const network = new Network({ voters: [], config: plain });
    network.addNode(nodeId(1), storageWith([1, 2, 3], leaderLog, { term: 8, commit: 10 }));
    network.addNode(nodeId(2), storageWith([1, 2, 3], followerLog, { term: 7 }));
    network.node(1).raw.campaign();
    // Node 3 exists only to give node 1 the vote that a more up-to-date follower would refuse.
    network.drainReadies();
    network.node(1).raw.step(msg.voteResp(3, 1, 9, true));
    network.stabilize();
    network.propose(1, 'new');
    const leader = show(network.node(1).logEntries());
    t.equal(show(network.node(2).logEntries()), leader, `follower (${name}) now holds the leader's log`);
    t.equal(network.node(2).committed, network.node(1).committed, `follower (${name}) knows the commit index`);
  }
});

t.test('§5.3: fast backtracking finds the match point in a few round trips, not one per entry', async (t) => {
  const leaderLog = [...entries(1, 1, 1, 1), ...entries(4, ...Array<number>(100).fill(5))];
  const followerLog = [...entries(1, 1, 1, 1), ...entries(4, ...Array<number>(70).fill(2), ...Array<number>(70).fill(3))];
  const network = new Network({ voters: [], config: plain });
  network.addNode(nodeId(1), storageWith([1, 2, 3], leaderLog, { term: 5 }));
  network.addNode(nodeId(2), storageWith([1, 2, 3], followerLog, { term: 5 }));
  network.addNode(nodeId(3), storageWith([1, 2, 3], leaderLog, { term: 5 }));
  network.campaign(1);
  t.equal(network.node(1).role, 'leader');
  const rejections = network.delivered.filter((m) => m.type === 'appResp' && m.reject && m.from === 2);
  t.ok(rejections.length <= 2, `${rejections.length} rejections from the divergent follower`);
  t.equal(show(network.node(2).logEntries()), show(network.node(1).logEntries()));
});

t.test('§5.3: followers learn the commit index from later appends and heartbeats, never beyond their match', async (t) => {
  const network = elected();
  network.cutLink(1, 3);
  network.propose(1, 'a');
  network.propose(1, 'b');
  t.equal(network.node(1).committed, 3);
  network.heal();
  network.node(1).raw.tick();
  network.stabilize();
  const heartbeatTo3 = network.delivered.find((m) => m.type === 'heartbeat' && m.to === 3);
  t.ok(heartbeatTo3 !== undefined && heartbeatTo3.type === 'heartbeat' && heartbeatTo3.commit === 1, 'node 3 matched only index 1');
  t.same(network.node(3).applied, ['a', 'b'], 'the heartbeat response drew the missing entries');
});

t.test('proposals between two Ready rounds travel as one append per follower', async (t) => {
  const network = elected();
  const before = network.delivered.length;
  for (let i = 0; i < 50; i++) network.node(1).raw.propose(bytes(`p${i}`));
  network.stabilize();
  const appends = network.delivered.slice(before).filter((m) => m.type === 'app' && m.entries.length > 0);
  t.same(appends.map((m) => `${m.to}:${m.type === 'app' ? m.entries.length : 0}`), ['2:50', '3:50']);
  t.equal(network.node(3).applied.length, 50);
});

t.test('the in-flight window bounds appends to a silent follower, by count and by bytes', async (t) => {
  for (const c of [
    { config: { maxInflightMsgs: 2, maxSizePerMsgBytes: 1 }, want: 2 },
    { config: { maxInflightMsgs: 100, maxInflightBytes: 250, maxSizePerMsgBytes: 1 }, want: 3 },
  ]) {
    const network = elected([1, 2, 3], c.config);
    network.cutLink(3, 1);
    const before = network.delivered.length;
    for (let i = 0; i < 10; i++) {
      network.node(1).raw.propose(new Uint8Array(100));
      network.stabilize();
    }
    const toSilent = network.delivered.slice(before).filter((m) => m.type === 'app' && m.to === 3 && m.entries.length > 0);
    t.equal(toSilent.length, c.want, JSON.stringify(c.config));
    t.equal(network.node(2).applied.length, 10, 'the responsive follower got everything');
  }
});

t.test('the leader drops proposals beyond the uncommitted limit, and accepts again once they commit', async (t) => {
  const network = elected([1, 2, 3], { maxUncommittedEntriesSizeBytes: 1000 });
  network.isolate(1);
  let accepted = 0;
  let error: unknown;
  try {
    for (let i = 0; i < 100; i++) {
      network.node(1).raw.propose(new Uint8Array(300));
      accepted++;
    }
  } catch (caught) {
    error = caught;
  }
  t.ok(error instanceof ProposalDroppedError && error.reason === 'uncommitted-size-limit', 'dropped with the reason');
  t.equal(accepted, 3, '900 bytes fit, 1200 do not');
  network.heal();
  network.stabilize();
  network.node(1).raw.tick();
  network.stabilize();
  t.doesNotThrow(() => network.node(1).raw.propose(new Uint8Array(300)), 'room again after commit');
});

t.test('followers forward proposals to the leader; with no leader, or forwarding disabled, they are dropped', async (t) => {
  const network = elected();
  network.propose(2, 'via follower');
  t.same(network.node(3).applied, ['via follower']);
  const lonely = new Network({ voters: [1, 2, 3], config: plain });
  t.equal(droppedReason(() => lonely.node(2).raw.propose(bytes('x'))), 'no-leader');
  const strict = elected([1, 2, 3], { disableProposalForwarding: true });
  t.equal(droppedReason(() => strict.node(2).raw.propose(bytes('x'))), 'forwarding-disabled');
});

t.test('a follower reported unreachable falls back from pipelining to probing', async (t) => {
  const network = elected();
  network.propose(1, 'a');
  t.equal(network.node(1).status().progress!.get(nodeId(3))!.state, 'replicate');
  network.node(1).raw.reportUnreachable(nodeId(3));
  t.equal(network.node(1).status().progress!.get(nodeId(3))!.state, 'probe');
  network.propose(1, 'b');
  t.equal(network.node(1).status().progress!.get(nodeId(3))!.state, 'replicate', 'back to replicate once a probe is answered');
  t.same(network.node(3).applied, ['a', 'b']);
});
