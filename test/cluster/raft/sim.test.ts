// Proves that Raft stays safe and live under faults: a seeded simulation of 3- and 5-node groups with
// message loss, duplication, delay and reordering, partitions, crashes that lose unpersisted state,
// restarts, membership changes, leadership transfers, compaction and snapshots, checking election
// safety, log matching, leader completeness, state machine safety, committed entries never lost and
// linearizable reads after every step, and that the group recovers once the faults stop.
//
// REEF_SIM_SEEDS=n runs n seeds (default 1000) from a base seed drawn from the time; REEF_SEED=s replays
// seed s alone (add REEF_SIM_TRACE=1 to print every step). A failure prints its seed and trace tail.
import t from 'tap';
import { MemoryLogStorage } from '../../../cluster/raft/storage.js';
import { nodeId } from '../../../cluster/raft/types.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';
import { SafetyChecker } from './sim/checker.js';
import { RaftHost } from './sim/host.js';
import { runSimulation, SimulationFailure, type SimulationResult } from './sim/simulator.js';

const replaying = process.env['REEF_SEED'] !== undefined && process.env['REEF_SEED'] !== '';
const seedCount = replaying ? 1 : Number.parseInt(process.env['REEF_SIM_SEEDS'] ?? '1000', 10);
const baseSeed = seedFromEnvironment();
const traceSink = replaying && process.env['REEF_SIM_TRACE'] === '1' ? (line: string) => console.log(line) : undefined;

t.test(`${seedCount} seeded simulations from seed ${baseSeed}`, async (t) => {
  const started = Date.now();
  const results: SimulationResult[] = [];
  const failures: string[] = [];
  for (let i = 0; i < seedCount; i++) {
    const seed = (baseSeed + i) >>> 0;
    try {
      results.push(runSimulation(seed, { traceSink }));
    } catch (error) {
      if (!(error instanceof SimulationFailure)) throw error;
      failures.push(error.message);
      t.comment(`FAILED ${error.message}`);
      t.comment(`run: ${error.description}`);
      t.comment(`replay: REEF_SEED=${seed} REEF_SIM_TRACE=1 npx tap test/cluster/raft/sim.test.ts`);
      t.comment('last steps:');
      for (const line of error.traceTail) t.comment(`  ${line}`);
      // A few failing seeds are plenty to debug from; stop early rather than print hundreds.
      if (failures.length >= 3) break;
    }
  }
  for (const failure of failures) t.fail(failure);
  if (failures.length > 0) return;
  const elapsedMs = Date.now() - started;
  const sum = (pick: (result: SimulationResult) => number): number => results.reduce((total, result) => total + pick(result), 0);
  const max = (pick: (result: SimulationResult) => number): number => results.reduce((top, result) => Math.max(top, pick(result)), 0);
  t.equal(results.length, seedCount, 'every seed ran');
  t.ok(sum((r) => (r.nodes === 3 ? 1 : 0)) > 0 || seedCount < 10, 'some 3-node groups');
  t.ok(sum((r) => (r.nodes === 5 ? 1 : 0)) > 0 || seedCount < 10, 'some 5-node groups');
  t.ok(sum((r) => r.committed) > 0, 'entries were committed');
  t.comment(
    `${results.length} seeds in ${elapsedMs} ms: ${sum((r) => r.steps)} steps, ${sum((r) => r.committed)} entries committed, ` +
      `${sum((r) => r.leaders)} leaders, ${sum((r) => r.crashes)} crashes, ${sum((r) => r.confChanges)} membership changes proposed, ` +
      `${sum((r) => r.snapshotsSent)} snapshots sent, ${sum((r) => r.readsChecked)} reads checked; ` +
      `liveness within ${max((r) => r.livenessTicks)} ticks of healing at worst`,
  );
  if (replaying) t.comment(results[0]!.description);
});

// The checker itself must catch what it claims to: each property broken on purpose with hosts outside
// any simulation (independent single-voter groups, which legitimately elect their own leaders and
// commit their own entries, so together they look like one group gone wrong).
function soloLeader(id: number, term = 0): RaftHost {
  const disk = MemoryLogStorage.withVoters([id]);
  if (term > 0) disk.setHardState({ term, vote: nodeId(id), commit: 0 });
  const host = new RaftHost(nodeId(id), disk, {}, () => new SeededRandom(id));
  host.node.campaign();
  return host;
}

function drain(host: RaftHost, checker: SafetyChecker): void {
  while (host.takeReady() !== undefined) {
    const { outcome, readStates } = host.completeReady();
    checker.afterPersist(host, outcome);
    checker.afterApply(host, outcome);
    checker.onReadStates(host, readStates);
  }
  checker.observe(host);
}

t.test('the safety checker catches each broken property', async (t) => {
  const violation = (property: string) => ({ name: 'SafetyViolation', property });
  {
    const hosts = [soloLeader(1), soloLeader(2)];
    const checker = new SafetyChecker((id) => hosts.find((host) => host.id === id));
    drain(hosts[0]!, checker);
    t.throws(() => drain(hosts[1]!, checker), violation('election safety'), 'two leaders of term 1');
  }
  {
    const a = soloLeader(1);
    const b = soloLeader(2);
    const checker = new SafetyChecker(() => undefined);
    a.node.propose(new TextEncoder().encode('a'));
    b.node.propose(new TextEncoder().encode('b'));
    // b persists 2/1:b where a persisted 2/1:a.
    a.takeReady();
    checker.afterPersist(a, a.completeReady().outcome);
    b.takeReady();
    t.throws(() => checker.afterPersist(b, b.completeReady().outcome), violation('log matching'), 'same index and term, different entries');
  }
  {
    const a = soloLeader(1);
    const b = soloLeader(2);
    const checker = new SafetyChecker(() => undefined);
    drain(a, checker);
    a.node.propose(new TextEncoder().encode('a'));
    drain(a, checker);
    // b commits and applies b where a applied a.
    b.node.propose(new TextEncoder().encode('b'));
    t.throws(
      () => {
        while (b.takeReady() !== undefined) checker.afterApply(b, b.completeReady().outcome);
      },
      violation('state machine safety'),
      'a different entry applied at the same index',
    );
  }
  {
    const a = soloLeader(1);
    const checker = new SafetyChecker(() => undefined);
    drain(a, checker);
    a.node.propose(new TextEncoder().encode('a'));
    drain(a, checker);
    // c persists a commit index covering its own entries of term 6 where a committed 2/1:a.
    const c = soloLeader(3, 5);
    c.node.propose(new TextEncoder().encode('c'));
    t.throws(
      () => {
        while (c.takeReady() !== undefined) checker.afterPersist(c, c.completeReady().outcome);
      },
      violation('committed entry kept'),
      'a different entry committed at a committed index',
    );
  }
  {
    const a = soloLeader(1);
    const hosts = [a];
    const checker = new SafetyChecker((id) => hosts.find((host) => host.id === id));
    a.node.propose(new TextEncoder().encode('a'));
    drain(a, checker);
    drain(a, checker);
    // A leader of a later term whose log lacks what term 1 committed.
    const c = soloLeader(3, 5);
    hosts.push(c);
    while (c.takeReady() !== undefined) c.completeReady();
    t.throws(() => checker.observe(c), violation('leader completeness'), 'a later leader without a committed entry');
  }
  {
    const a = soloLeader(1);
    const checker = new SafetyChecker(() => a);
    drain(a, checker);
    a.node.propose(new TextEncoder().encode('a'));
    drain(a, checker);
    checker.readIssued(a, 'r1');
    t.throws(
      () => checker.onReadStates(a, [{ index: 1, context: new TextEncoder().encode('r1') }]),
      violation('linearizable read'),
      'a read index below what was committed when the read was issued',
    );
  }
});
