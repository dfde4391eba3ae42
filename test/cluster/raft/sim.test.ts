// Proves that Raft stays safe and live under faults: a seeded simulation of 3- and 5-node groups with
// message loss, duplication, delay and reordering, partitions, crashes that lose unpersisted state,
// restarts, membership changes, leadership transfers, compaction and snapshots, checking election
// safety, log matching, leader completeness, state machine safety, committed entries never lost and
// linearizable reads after every step, and that the group recovers once the faults stop.
//
// REEF_SIM_SEEDS=n runs n seeds (default 1000) from a base seed drawn from the time; REEF_SEED=s replays
// seed s alone (add REEF_SIM_TRACE=1 to print every step). A failure prints its seed and trace tail.
import t from 'tap';
import { seedFromEnvironment } from '../../../storage/env/random.js';
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
