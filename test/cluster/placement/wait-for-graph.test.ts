// Proves the wait-for graph's rules: an edge that would close a cycle of 2, 3 or many transactions is
// refused as DEADLOCK with the cycle (waiter first), and not recorded; graphs without cycles (chains,
// diamonds) never report one; edges older than the TTL stop counting and a repeated detect refreshes
// one; cleanUpWaitFor and cleanUp remove what they say; the size bound refuses growth until expired
// edges can be dropped. A seeded randomized test runs detects, clean-ups and clock steps against a
// brute-force model (the edge set with detect times, reachability by breadth-first search) and checks
// every answer and every reported cycle.
import t from 'tap';
import { LocalDeadlockDetector, WaitForGraph, WaitForGraphError } from '../../../cluster/placement/wait-for-graph.js';
import { ManualClock } from '../../../storage/env/clock.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { type Timestamp, asTimestamp } from '../../../storage/mvcc/timestamp.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

const TTL_MS = 1000;
const KEY = new Uint8Array([1]);

function newGraph(edgeCountMax?: number): { graph: WaitForGraph; clock: ManualClock } {
  const clock = new ManualClock();
  return { graph: new WaitForGraph({ clock, edgeTtlMs: TTL_MS, edgeCountMax }), clock };
}

/** detect(waiter -> holder) with plain numbers. */
function detect(graph: WaitForGraph, waiter: number, holder: number, key = KEY): ReturnType<WaitForGraph['detect']> {
  return graph.detect({ waiter: asTimestamp(waiter), holder: asTimestamp(holder), key });
}

t.test('a cycle of two: the second edge is refused and not recorded', async (t) => {
  const { graph } = newGraph();
  t.same(detect(graph, 1, 2), { code: 'OK' });
  t.same(detect(graph, 2, 1), { code: 'DEADLOCK', cycle: [2, 1] });
  t.equal(graph.size, 1);
  t.same(detect(graph, 2, 1), { code: 'DEADLOCK', cycle: [2, 1] }, 'asked again, the same answer');
  graph.cleanUpWaitFor(asTimestamp(1));
  t.same(detect(graph, 2, 1), { code: 'OK' }, 'once 1 stops waiting, 2 may wait for it');
});

t.test('a cycle of three, reported from the waiter along the wait-for path', async (t) => {
  const { graph } = newGraph();
  t.same(detect(graph, 1, 2), { code: 'OK' });
  t.same(detect(graph, 2, 3), { code: 'OK' });
  t.same(detect(graph, 3, 1), { code: 'DEADLOCK', cycle: [3, 1, 2] });
  t.same(detect(graph, 3, 2), { code: 'DEADLOCK', cycle: [3, 2] });
  t.same(detect(graph, 3, 4), { code: 'OK' }, '3 may wait for an unrelated transaction');
  t.equal(graph.size, 3);
});

t.test('no false positives on graphs without cycles', async (t) => {
  const { graph } = newGraph();
  // A diamond 1 -> {2, 3} -> 4 -> 5, and edges that add paths but no cycle.
  for (const [waiter, holder] of [
    [1, 2],
    [1, 3],
    [2, 4],
    [3, 4],
    [4, 5],
    [1, 5],
    [2, 3],
    [6, 1],
    [6, 5],
  ] as const) {
    t.same(detect(graph, waiter, holder), { code: 'OK' }, `${waiter} -> ${holder}`);
  }
  t.equal(graph.size, 9);
  // Closing edges are still found, each with a cycle along recorded edges.
  t.same(detect(graph, 5, 6), { code: 'DEADLOCK', cycle: [5, 6] });
  t.same(detect(graph, 4, 1), { code: 'DEADLOCK', cycle: [4, 1, 3] });
  t.same(detect(graph, 3, 2), { code: 'DEADLOCK', cycle: [3, 2] });
  t.equal(graph.size, 9, 'refused edges are not recorded');
});

t.test('several keys of one pair are one edge', async (t) => {
  const { graph } = newGraph();
  t.same(detect(graph, 1, 2, new Uint8Array([1])), { code: 'OK' });
  t.same(detect(graph, 1, 2, new Uint8Array([2])), { code: 'OK' });
  t.equal(graph.size, 1);
  t.same(detect(graph, 2, 1), { code: 'DEADLOCK', cycle: [2, 1] });
});

t.test('edges older than the TTL are gone; a repeated detect refreshes an edge', async (t) => {
  const { graph, clock } = newGraph();
  t.same(detect(graph, 1, 2), { code: 'OK' });
  clock.advance(TTL_MS);
  t.same(detect(graph, 2, 1), { code: 'DEADLOCK', cycle: [2, 1] }, 'an edge exactly TTL old still counts');
  clock.advance(1);
  t.same(detect(graph, 2, 1), { code: 'OK' }, 'older than the TTL, it is gone');
  t.equal(graph.size, 1, 'the expired edge was dropped when the search met it');

  t.same(detect(graph, 3, 4), { code: 'OK' });
  clock.advance(TTL_MS / 2);
  t.same(detect(graph, 3, 4), { code: 'OK' }, 'the waiter detects again while it waits');
  clock.advance(TTL_MS / 2 + 1);
  t.same(detect(graph, 4, 3), { code: 'DEADLOCK', cycle: [4, 3] }, 'refreshed, the edge is live');
  clock.advance(TTL_MS);
  t.same(detect(graph, 4, 3), { code: 'OK' });
});

t.test('an expired edge in the middle of a path breaks the cycle', async (t) => {
  const { graph, clock } = newGraph();
  t.same(detect(graph, 2, 3), { code: 'OK' });
  clock.advance(TTL_MS);
  t.same(detect(graph, 1, 2), { code: 'OK' });
  t.same(detect(graph, 3, 4), { code: 'OK' });
  t.same(detect(graph, 4, 1), { code: 'DEADLOCK', cycle: [4, 1, 2, 3] });
  clock.advance(1);
  t.same(detect(graph, 4, 1), { code: 'OK' }, '2 -> 3 expired');
});

t.test('cleanUpWaitFor removes the edges out of a waiter; cleanUp those into it too', async (t) => {
  const { graph } = newGraph();
  for (const [waiter, holder] of [
    [1, 2],
    [1, 3],
    [4, 1],
    [5, 1],
    [2, 3],
  ] as const) {
    t.same(detect(graph, waiter, holder), { code: 'OK' });
  }
  graph.cleanUpWaitFor(asTimestamp(1));
  t.equal(graph.size, 3);
  t.same(detect(graph, 3, 1), { code: 'OK' }, '1 no longer waits for 3');
  graph.cleanUp(asTimestamp(1));
  t.equal(graph.size, 1, 'only 2 -> 3 is left');
  t.same(detect(graph, 1, 4), { code: 'OK' }, '4 no longer waits for 1');
  graph.cleanUp(asTimestamp(99));
  graph.cleanUpWaitFor(asTimestamp(99));
  t.equal(graph.size, 2, 'cleaning up an unknown transaction changes nothing');
  graph.cleanUp(asTimestamp(2));
  graph.cleanUp(asTimestamp(1));
  t.equal(graph.size, 0);
});

t.test('the size bound refuses new edges until expired ones can be dropped', async (t) => {
  const { graph, clock } = newGraph(3);
  t.same(detect(graph, 1, 2), { code: 'OK' });
  clock.advance(TTL_MS);
  t.same(detect(graph, 3, 4), { code: 'OK' });
  t.same(detect(graph, 5, 6), { code: 'OK' });
  t.throws(() => detect(graph, 7, 8), { name: 'WaitForGraphError', code: 'GRAPH_FULL' });
  t.same(detect(graph, 3, 4), { code: 'OK' }, 'refreshing an edge adds nothing');
  t.same(detect(graph, 2, 1), { code: 'DEADLOCK', cycle: [2, 1] }, 'a full graph still detects');
  clock.advance(1);
  t.same(detect(graph, 7, 8), { code: 'OK' }, 'the expired 1 -> 2 made room');
  t.equal(graph.size, 3);
});

t.test('bad input is refused', async (t) => {
  const { graph } = newGraph();
  t.throws(() => detect(graph, 1, 1), WaitForGraphError, 'a transaction waiting for itself');
  t.throws(() => graph.detect({ waiter: -1 as Timestamp, holder: asTimestamp(1), key: KEY }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => new WaitForGraph({ clock: new ManualClock(), edgeTtlMs: 0 }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => new WaitForGraph({ clock: new ManualClock(), edgeTtlMs: 10, edgeCountMax: 0 }), { code: 'INVALID_ARGUMENT' });
  t.equal(graph.size, 0);
});

t.test('a chain of 200,000 waiters is searched without recursion', async (t) => {
  const { graph } = newGraph();
  const length = 200_000;
  for (let i = 1; i < length; i++) detect(graph, i, i + 1);
  const result = detect(graph, length, 1);
  t.equal(result.code, 'DEADLOCK');
  if (result.code === 'DEADLOCK') {
    t.equal(result.cycle.length, length);
    t.equal(result.cycle[0], length);
    t.equal(result.cycle[1], 1);
    t.equal(result.cycle[length - 1], length - 1);
  }
});

t.test('LocalDeadlockDetector delegates to its graph', async (t) => {
  const { graph } = newGraph();
  const detector = new LocalDeadlockDetector(graph);
  const edge = (waiter: number, holder: number) => ({ waiter: asTimestamp(waiter), holder: asTimestamp(holder), key: KEY });
  t.same(await detector.detect(edge(1, 2)), { code: 'OK' });
  t.same(await detector.detect(edge(3, 1)), { code: 'OK' });
  t.same(await detector.detect(edge(2, 1)), { code: 'DEADLOCK', cycle: [2, 1] });
  await detector.cleanUpWaitFor(asTimestamp(1));
  t.equal(graph.size, 1);
  await detector.cleanUp(asTimestamp(1));
  t.equal(graph.size, 0);
});

// ---- randomized, against a brute-force model ---------------------------------------------------

/** The edges as the rules define them: every recorded (waiter, holder) with its last detect time. */
class Model {
  readonly edges = new Map<string, { waiter: number; holder: number; detectedMs: number }>();

  liveHolders(waiter: number, nowMs: number): number[] {
    return [...this.edges.values()].filter((edge) => edge.waiter === waiter && nowMs - edge.detectedMs <= TTL_MS).map((edge) => edge.holder);
  }

  isLive(waiter: number, holder: number, nowMs: number): boolean {
    return this.liveHolders(waiter, nowMs).includes(holder);
  }

  reaches(from: number, to: number, nowMs: number): boolean {
    const seen = new Set([from]);
    const queue = [from];
    while (queue.length > 0) {
      const node = queue.shift()!;
      if (node === to) return true;
      for (const next of this.liveHolders(node, nowMs)) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return false;
  }

  liveCount(nowMs: number): number {
    return [...this.edges.values()].filter((edge) => nowMs - edge.detectedMs <= TTL_MS).length;
  }
}

t.test('randomized: detects, clean-ups and expiry agree with brute-force reachability', async (t) => {
  const random = new SeededRandom(seed);
  const { graph, clock } = newGraph();
  const model = new Model();
  const txnCount = 14;
  const counts = { ok: 0, deadlock: 0, longestCycle: 0 };
  let failures = 0;
  for (let step = 0; step < 20_000 && failures === 0; step++) {
    const choice = random.float();
    const nowMs = clock.monotonicMs();
    if (choice < 0.75) {
      const waiter = random.intBetween(1, txnCount);
      let holder = random.intBetween(1, txnCount - 1);
      if (holder >= waiter) holder++;
      const expectDeadlock = model.reaches(holder, waiter, nowMs);
      const result = detect(graph, waiter, holder);
      if ((result.code === 'DEADLOCK') !== expectDeadlock) {
        failures++;
        t.fail(`step ${step}: ${waiter} -> ${holder} answered ${result.code}, the model says ${expectDeadlock ? 'DEADLOCK' : 'OK'}`);
      } else if (result.code === 'DEADLOCK') {
        counts.deadlock++;
        counts.longestCycle = Math.max(counts.longestCycle, result.cycle.length);
        const cycle = result.cycle;
        const valid =
          cycle[0] === waiter &&
          cycle[1] === holder &&
          new Set(cycle).size === cycle.length &&
          cycle.slice(1).every((node, index) => index === cycle.length - 2 || model.isLive(node, cycle[index + 2]!, nowMs)) &&
          model.isLive(cycle[cycle.length - 1]!, waiter, nowMs);
        if (!valid) {
          failures++;
          t.fail(`step ${step}: ${waiter} -> ${holder} reported the cycle ${JSON.stringify(cycle)}, not a cycle of live edges`);
        }
      } else {
        counts.ok++;
        model.edges.set(`${waiter}>${holder}`, { waiter, holder, detectedMs: nowMs });
      }
    } else if (choice < 0.85) {
      const waiter = random.intBetween(1, txnCount);
      graph.cleanUpWaitFor(asTimestamp(waiter));
      for (const [name, edge] of model.edges) if (edge.waiter === waiter) model.edges.delete(name);
    } else if (choice < 0.9) {
      const txn = random.intBetween(1, txnCount);
      graph.cleanUp(asTimestamp(txn));
      for (const [name, edge] of model.edges) if (edge.waiter === txn || edge.holder === txn) model.edges.delete(name);
    } else {
      clock.advance(random.pick([1, 10, 100, 400, TTL_MS]));
    }
    // The graph holds every live edge and possibly some expired ones it has not met yet.
    const now = clock.monotonicMs();
    if (graph.size < model.liveCount(now) || graph.size > model.edges.size) {
      failures++;
      t.fail(`step ${step}: the graph holds ${graph.size} edges; the model ${model.liveCount(now)} live of ${model.edges.size}`);
    }
  }
  t.comment(`answers ${JSON.stringify(counts)}`);
  t.equal(failures, 0, 'every answer agreed with the model');
  t.ok(counts.ok > 1000 && counts.deadlock > 1000 && counts.longestCycle >= 4, 'both answers and long cycles were exercised');
});
