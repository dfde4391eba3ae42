// Proves per-follower flow control: the in-flight window is bounded by count and bytes, probe state
// sends one append at a time, replicate state pipelines, stale rejections are ignored, and a rejection
// with a hint backs up straight to it (fast backtracking).
import t from 'tap';
import { Inflights, Progress } from '../../../cluster/raft/progress.js';

const progress = (match: number, next: number): Progress =>
  new Progress({ match, next, inflights: new Inflights(3, 1000), isLearner: false });

t.test('the window fills by count or by bytes and frees in order', async (t) => {
  const window = new Inflights(3, 1000);
  window.add(5, 10);
  window.add(7, 10);
  t.notOk(window.full());
  window.add(9, 10);
  t.ok(window.full(), 'three messages');
  t.throws(() => window.add(10, 1), /inflights-bounded/);
  window.freeLE(6);
  t.equal(window.count, 2);
  t.equal(window.bytes, 20);
  window.freeLE(4);
  t.equal(window.count, 2, 'freeing below the oldest changes nothing');
  window.add(11, 980);
  t.ok(window.full(), '1000 bytes');
  window.freeLE(100);
  t.equal(window.count, 0);
  t.equal(window.bytes, 0);
});

t.test('the ring wraps around without losing order', async (t) => {
  const window = new Inflights(4, 1 << 30);
  let next = 1;
  let oldest = 1;
  for (let round = 0; round < 50; round++) {
    while (!window.full()) window.add(next++, 1);
    window.freeLE(oldest + 1);
    oldest += 2;
    t.equal(window.count, next - oldest);
  }
});

t.test('probe state pauses after one append until answered', async (t) => {
  const p = progress(0, 5);
  t.notOk(p.isPaused());
  p.sentEntries(2, 10);
  t.ok(p.isPaused());
  t.equal(p.next, 5, 'probe does not advance next optimistically');
  t.ok(p.maybeUpdate(6));
  t.notOk(p.isPaused());
});

t.test('replicate state pipelines until the window is full', async (t) => {
  const p = progress(4, 5);
  p.becomeReplicate();
  p.sentEntries(2, 10);
  p.sentEntries(2, 10);
  t.equal(p.next, 9);
  t.notOk(p.isPaused());
  p.sentEntries(1, 10);
  t.ok(p.isPaused(), 'three appends in flight');
  t.ok(p.maybeUpdate(6));
  p.inflights.freeLE(6);
  t.equal(p.inflights.count, 2);
});

t.test('§5.3: rejections back up next, stale ones are ignored', async (t) => {
  const replicating = progress(5, 10);
  replicating.becomeReplicate();
  replicating.next = 10;
  t.notOk(replicating.maybeDecrTo(5, 5), 'rejecting at or below match is stale');
  t.ok(replicating.maybeDecrTo(9, 3));
  t.equal(replicating.next, 6, 'replicate falls back to match+1');

  const probing = progress(0, 10);
  t.notOk(probing.maybeDecrTo(7, 2), 'only the outstanding probe at next-1 counts');
  t.ok(probing.maybeDecrTo(9, 3));
  t.equal(probing.next, 4, 'the hint moves next straight to hint+1');
  t.ok(probing.maybeDecrTo(3, 100));
  t.equal(probing.next, 3, 'a hint above the rejected index does not move next forward');
});

t.test('after a snapshot, probing resumes past it', async (t) => {
  const p = progress(2, 3);
  p.becomeSnapshot(20);
  t.ok(p.isPaused());
  p.becomeProbe();
  t.equal(p.next, 21);
});
