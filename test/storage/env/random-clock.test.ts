// Proves that the injected randomness replays from its seed and that virtual time fires timers in a
// fixed order, which every seeded simulation in the project relies on.
import t from 'tap';
import { SeededRandom } from '../../../storage/env/random.js';
import { ManualClock } from '../../../storage/env/clock.js';

t.test('the same seed gives the same sequence; another seed another', async (t) => {
  const draw = (seed: number): number[] => {
    const random = new SeededRandom(seed);
    return Array.from({ length: 50 }, () => random.int(1_000_000));
  };
  t.same(draw(42), draw(42));
  t.not(draw(42).join(','), draw(43).join(','));
});

t.test('values stay within their bounds and cover them', async (t) => {
  const random = new SeededRandom(7);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const value = random.intBetween(3, 9);
    if (value < 3 || value > 9) t.fail(`out of range: ${value}`);
    seen.add(value);
    const float = random.float();
    if (float < 0 || float >= 1) t.fail(`float out of range: ${float}`);
  }
  t.equal(seen.size, 7);
  t.throws(() => random.int(0), RangeError);
});

t.test('a virtual clock fires due timers in due-time then creation order', async (t) => {
  const clock = new ManualClock(1000);
  const fired: string[] = [];
  clock.setTimer(20, () => fired.push('b'));
  clock.setTimer(10, () => fired.push('a'));
  clock.setTimer(20, () => fired.push('c'));
  const cancelled = clock.setTimer(15, () => fired.push('never'));
  cancelled.cancel();
  clock.advance(15);
  t.same(fired, ['a']);
  t.equal(clock.nowMs(), 1015);
  clock.advance(5);
  t.same(fired, ['a', 'b', 'c']);
  t.equal(clock.pendingTimerCount, 0);
});

t.test('a timer set by a firing timer fires in the same advance when due', async (t) => {
  const clock = new ManualClock(0);
  const fired: number[] = [];
  clock.setTimer(5, () => {
    fired.push(clock.nowMs());
    clock.setTimer(5, () => fired.push(clock.nowMs()));
  });
  clock.advance(12);
  t.same(fired, [5, 10]);
});
