// Proves the timestamp oracle's invariants under a hostile schedule: a clock that jumps forward and
// backward, bursts of concurrent allocations, slow and failing window persists, and restarts of a fresh
// oracle from the last durable window. Every handed-out timestamp must be above all earlier ones (also
// across restarts), none may pass the window that was durable when it was handed out, and exhausting a
// millisecond's logical values must move the physical part forward.
import t from 'tap';
import {
  MAX_ALLOCATION_BATCH,
  TimestampOracle,
  TimestampOracleError,
  type TimestampBatch,
} from '../../../cluster/placement/timestamp-oracle.js';
import { type Clock, ManualClock, type TimerHandle } from '../../../storage/env/clock.js';
import { type Random, SeededRandom } from '../../../storage/env/random.js';
import { composeTimestamp, LOGICAL_PER_MS, logicalOf, physicalMsOf, type Timestamp } from '../../../storage/mvcc/timestamp.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

// ManualClock only moves forward (its timers need that); the wall-clock reading the oracle sees gets a
// skew on top so the test can step it backwards as NTP or a new leader's clock would.
class SkewedClock implements Clock {
  skewMs = 0;
  constructor(readonly base: ManualClock) {}
  nowMs(): number {
    return this.base.nowMs() + this.skewMs;
  }
  monotonicMs(): number {
    return this.base.monotonicMs();
  }
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    return this.base.setTimer(delayMs, callback);
  }
}

class PersistFailure extends Error {
  override name = 'PersistFailure';
}

// The durable store of the window, as the meta range would hold it. A persist becomes durable (and the
// window value visible to a restarted oracle) only when its promise resolves.
class WindowStore {
  durableWindowMs = 0;
  persists = 0;
  failures = 0;
  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}
  persist = (upToPhysicalMs: number): Promise<void> => {
    this.persists++;
    const fail = this.random.chance(0.05);
    const delayMs = this.random.chance(0.3) ? 0 : this.random.intBetween(1, 40);
    return new Promise((resolve, reject) => {
      this.clock.setTimer(delayMs, () => {
        if (fail) {
          this.failures++;
          reject(new PersistFailure(`injected persist failure at ${upToPhysicalMs}`));
          return;
        }
        this.durableWindowMs = Math.max(this.durableWindowMs, upToPhysicalMs);
        resolve();
      });
    });
  };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// Runs the virtual clock forward in small steps until every promise has settled, so that slow persists
// complete while allocations wait on them.
async function drive<T>(clock: ManualClock, random: Random, promises: Promise<T>[]): Promise<PromiseSettledResult<T>[]> {
  let settled = false;
  const all = Promise.allSettled(promises).then((results) => {
    settled = true;
    return results;
  });
  for (let rounds = 0; !settled; rounds++) {
    if (rounds > 100_000) throw new Error('drive: promises never settled');
    await flush();
    if (!settled) clock.advance(random.intBetween(1, 5));
  }
  return all;
}

t.test(`randomized schedule keeps timestamps increasing and inside the durable window (seed ${seed})`, async (t) => {
  const random = new SeededRandom(seed);
  const base = new ManualClock();
  const clock = new SkewedClock(base);
  const store = new WindowStore(clock, random.fork());
  const windowAheadMs = random.pick([50, 300, 3000]);

  let lastEnd = -1;
  let batches = 0;
  let overflowBatches = 0;
  let restarts = 0;
  let rejected = 0;
  let backwardJumps = 0;
  let violations = 0;

  const startOracle = async (): Promise<TimestampOracle> => {
    for (;;) {
      const recovered = store.durableWindowMs;
      const [result] = await drive(base, random, [
        TimestampOracle.start({ clock, persistedWindowMs: recovered, persistWindow: store.persist, windowAheadMs }),
      ]);
      if (result!.status === 'fulfilled') return result.value;
      t.ok(result!.reason instanceof PersistFailure, 'start fails only with the store failure');
    }
  };

  let oracle = await startOracle();
  for (let step = 0; step < 400; step++) {
    const action = random.int(10);
    if (action === 0) {
      clock.skewMs -= random.intBetween(1, 2 * windowAheadMs);
      backwardJumps++;
    } else if (action === 1) {
      clock.skewMs += random.intBetween(1, 3 * windowAheadMs);
    } else if (action === 2) {
      base.advance(random.intBetween(0, 20));
    } else if (action === 3) {
      // A restart or leader change: a fresh oracle that knows only the durable window.
      oracle = await startOracle();
      restarts++;
    } else {
      // A burst of concurrent allocations; they are served in call order.
      const burst: Promise<TimestampBatch>[] = [];
      const counts: number[] = [];
      const n = random.intBetween(1, 20);
      for (let i = 0; i < n; i++) {
        const count = random.chance(0.2) ? MAX_ALLOCATION_BATCH : random.intBetween(1, 300);
        counts.push(count);
        const promise = oracle.allocate(count).then((batch) => {
          // Checked at hand-out time: the window durable right now must cover the whole batch.
          const endPhysical = physicalMsOf((batch.first + batch.count - 1) as Timestamp);
          if (endPhysical > store.durableWindowMs) violations++;
          if (endPhysical > Math.floor(clock.nowMs())) overflowBatches++;
          return batch;
        });
        burst.push(promise);
      }
      const results = await drive(base, random, burst);
      results.forEach((result, i) => {
        if (result.status === 'rejected') {
          rejected++;
          if (!(result.reason instanceof PersistFailure)) t.fail(`unexpected rejection: ${String(result.reason)}`);
          return;
        }
        const batch = result.value;
        batches++;
        if (batch.count !== counts[i]) t.fail(`batch count ${batch.count} != requested ${counts[i]}`);
        if (!(batch.first > lastEnd)) {
          t.fail(`batch at ${batch.first} is not above the previous end ${lastEnd} (restarts so far ${restarts})`);
        }
        lastEnd = batch.first + batch.count - 1;
      });
    }
  }

  t.equal(violations, 0, 'no batch passed the window that was durable when it was handed out');
  t.ok(batches > 100, `many batches were handed out (${batches})`);
  t.ok(restarts > 5, `the oracle was restarted (${restarts})`);
  t.ok(backwardJumps > 5, `the clock jumped backwards (${backwardJumps})`);
  t.ok(overflowBatches > 0, `some batches ran ahead of the clock (${overflowBatches})`);
  t.comment(`batches ${batches}, rejected ${rejected}, restarts ${restarts}, persists ${store.persists}, failures ${store.failures}`);
});

t.test('a recovered oracle starts strictly above the persisted window', async (t) => {
  const clock = new ManualClock(1_000);
  const windows: number[] = [];
  const oracle = await TimestampOracle.start({
    clock,
    persistedWindowMs: 5_000, // a predecessor's window far ahead of this leader's clock
    persistWindow: async (upTo) => void windows.push(upTo),
    windowAheadMs: 3_000,
  });
  const batch = await oracle.allocate(1);
  t.equal(batch.first, composeTimestamp(5_001, 0));
  t.same(windows, [8_001], 'start persisted a window ahead of the first physical');
});

t.test('logical exhaustion and a backwards clock move physical forward, never back', async (t) => {
  const base = new ManualClock(10_000);
  const clock = new SkewedClock(base);
  const oracle = await TimestampOracle.start({ clock, persistedWindowMs: 0, persistWindow: async () => {}, windowAheadMs: 3_000 });
  const a = await oracle.allocate(MAX_ALLOCATION_BATCH);
  t.equal(a.first, composeTimestamp(10_000, 0));
  const b = await oracle.allocate(10);
  t.equal(physicalMsOf(b.first), 10_001, 'the 1025th timestamp of the millisecond borrows the next one');
  t.equal(logicalOf(b.first), 0);
  clock.skewMs = -5_000;
  const c = await oracle.allocate(1);
  t.equal(c.first, b.first + 10, 'with the clock behind, the logical part advances from the last timestamp');
  const d = await oracle.allocate(LOGICAL_PER_MS);
  t.equal(physicalMsOf((d.first + d.count - 1) as Timestamp), 10_002, 'the batch rolls into the next millisecond');
});

t.test('no timestamp is handed out before the window covering it is durable', async (t) => {
  const clock = new ManualClock(20_000);
  let release: (() => void) | undefined;
  let durable = 0;
  let blockNext = false;
  const oracle = await TimestampOracle.start({
    clock,
    persistedWindowMs: 0,
    persistWindow: (upTo) => {
      if (!blockNext) {
        durable = upTo;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        release = () => {
          durable = upTo;
          resolve();
        };
      });
    },
    windowAheadMs: 100,
  });
  t.equal(durable, 20_100);
  blockNext = true;
  clock.advance(500); // the clock passes the window
  let handedOut: TimestampBatch | undefined;
  const pending = oracle.allocate(1).then((batch) => (handedOut = batch));
  await flush();
  t.equal(handedOut, undefined, 'allocation waits for the persist');
  release!();
  await pending;
  t.equal(handedOut!.first, composeTimestamp(20_500, 0));
  t.ok(physicalMsOf(handedOut!.first) <= durable);
});

t.test('counts outside [1, 1024] are refused with a typed error', async (t) => {
  const oracle = await TimestampOracle.start({
    clock: new ManualClock(),
    persistedWindowMs: 0,
    persistWindow: async () => {},
    windowAheadMs: 3_000,
  });
  for (const count of [0, -1, 1.5, MAX_ALLOCATION_BATCH + 1, Number.NaN]) {
    await t.rejects(oracle.allocate(count), TimestampOracleError, `count ${count}`);
  }
  const ok = await oracle.allocate(MAX_ALLOCATION_BATCH);
  t.equal(ok.count, MAX_ALLOCATION_BATCH);
});

t.test('a failed persist rejects its caller and extends nothing', async (t) => {
  const clock = new ManualClock(30_000);
  let durable = 0;
  let failNext = false;
  const attempts: number[] = [];
  const oracle = await TimestampOracle.start({
    clock,
    persistedWindowMs: 0,
    persistWindow: async (upTo) => {
      attempts.push(upTo);
      if (failNext) {
        failNext = false;
        throw new PersistFailure('injected');
      }
      durable = upTo;
    },
    windowAheadMs: 100,
  });
  clock.advance(1_000);
  failNext = true;
  await t.rejects(oracle.allocate(1), PersistFailure, 'the store failure reaches the caller');
  t.equal(oracle.persistedWindowMs, 30_100, 'the window was not adopted');
  const batch = await oracle.allocate(1);
  t.equal(attempts.length, 3, 'the next allocation persisted again');
  t.ok(physicalMsOf(batch.first) <= durable, 'and stayed inside the durable window');
});
