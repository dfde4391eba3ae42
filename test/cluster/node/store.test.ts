// The store, KV service and routing client on one node, through the real path (routing client → range
// leader → Raft → LSM): bootstrap, MVCC actions across ranges, splits on request and by size, lookups
// of the meta range, reverse scans across ranges, restart with the same data, ranges and an oracle
// that keeps increasing; and a seeded randomized test against a sorted-map model with random splits
// and restarts. REEF_SEED replays one seed; REEF_SEEDS sets how many run.
import t, { type Test } from 'tap';
import { LocalNode } from '../../../engine/local-node.js';
import { MemoryFileSystem } from '../../../storage/env/memory-file-system.js';
import { SeededRandom, type Random } from '../../../storage/env/random.js';
import { SystemClock } from '../../../storage/env/clock.js';
import type { Timestamp } from '../../../storage/mvcc/timestamp.js';
import type { StoreConfig } from '../../../cluster/node/store.js';
import { scanDescriptors } from '../../../cluster/placement/meta.js';
import { announceSeed } from '../../support/seed.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => Buffer.from(bytes).toString();

async function openNode(fs: MemoryFileSystem, seed: number, store?: Partial<StoreConfig>): Promise<LocalNode> {
  return LocalNode.open({ fs, dir: '/node', clock: new SystemClock(), random: new SeededRandom(seed), store, lsm: { memtableSizeBytes: 64 * 1024 } });
}

/** Writes `pairs` (value undefined: delete) in one transaction: 1PC when one range holds them all. */
async function write(node: LocalNode, pairs: [string, string | undefined][]): Promise<Timestamp> {
  const startTs = await node.timestamps.now();
  const mutations = pairs.map(([key, value]) => (value === undefined ? { kind: 'delete' as const, key: enc(key) } : { kind: 'put' as const, key: enc(key), value: enc(value) }));
  const primary = mutations[0]!.key;
  const prewritten = await node.client.prewrite({ mutations, primary, startTs, lockTtlMs: 3000, txnSize: mutations.length }, { tryOnePc: true });
  if (prewritten.code !== 'OK') throw new Error(`prewrite failed: ${prewritten.code}`);
  if (prewritten.onePcCommitTs !== undefined) return prewritten.onePcCommitTs;
  const commitTs = await node.timestamps.now();
  const primaryCommit = await node.client.commit({ keys: [primary], startTs, commitTs });
  if (primaryCommit.code !== 'OK') throw new Error(`commit failed: ${primaryCommit.code}`);
  const secondaries = mutations.slice(1).map((mutation) => mutation.key);
  if (secondaries.length > 0) {
    const rest = await node.client.commit({ keys: secondaries, startTs, commitTs });
    if (rest.code !== 'OK') throw new Error(`commit failed: ${rest.code}`);
  }
  return commitTs;
}

async function scanAll(node: LocalNode, options: { start?: string; end?: string; limit?: number; reverse?: boolean } = {}): Promise<string[]> {
  const result = await node.client.scan({
    startKey: options.start === undefined ? undefined : enc(options.start),
    endKey: options.end === undefined ? undefined : enc(options.end),
    readTs: await node.timestamps.now(),
    limit: options.limit ?? 100_000,
    reverse: options.reverse,
  });
  if (result.code !== 'OK') throw new Error(`scan met locks`);
  return result.pairs.map((pair) => `${dec(pair.key)}=${dec(pair.value)}`);
}

t.test('bootstrap creates the meta range and one user range, both led by the node', async (t) => {
  const node = await openNode(new MemoryFileSystem(), 1);
  t.teardown(() => node.close());
  const ranges = await node.client.ranges();
  t.same(ranges.map((range) => range.rangeId), [2]);
  t.same(Array.from(ranges[0]!.startKey), [0x01]);
  t.equal(ranges[0]!.endKey, undefined);
  t.same(node.store.descriptors().map((d) => d.rangeId), [1, 2]);
  await write(node, [['a', '1']]);
  t.same(await scanAll(node), ['a=1']);
  await t.rejects(node.client.batchGet({ keys: [new Uint8Array([0x00, 0x01])], readTs: await node.timestamps.now() }), /reserved/);
});

t.test('transactions across ranges, splits on request, reverse scans and limits', async (t) => {
  const node = await openNode(new MemoryFileSystem(), 2);
  t.teardown(() => node.close());
  for (let i = 0; i < 30; i++) await write(node, [[`k${String(i).padStart(2, '0')}`, `v${i}`]]);
  for (const at of ['k10', 'k20', 'k05']) {
    const split = await node.client.split(enc(at));
    t.equal(split.code, 'OK', `split at ${at}`);
  }
  t.equal((await node.client.split(enc('k10'))).code, 'NOT_SPLIT', 'a split at a range start does nothing');
  const ranges = await node.client.ranges();
  t.same(ranges.map((range) => (range.endKey === undefined ? 'max' : dec(range.endKey))), ['k05', 'k10', 'k20', 'max']);
  // A two-phase transaction over three ranges, then reads through a stale cache.
  await write(node, [['k03', 'x'], ['k15', 'y'], ['k25', 'z']]);
  const values = await node.client.batchGet({ keys: [enc('k03'), enc('k15'), enc('k25'), enc('nope')], readTs: await node.timestamps.now() });
  t.same(values.code === 'OK' && values.values.map((v) => (v === undefined ? undefined : dec(v))), ['x', 'y', 'z', undefined]);
  const all = await scanAll(node);
  t.equal(all.length, 30);
  t.same(await scanAll(node, { start: 'k08', end: 'k12' }), ['k08=v8', 'k09=v9', 'k10=v10', 'k11=v11']);
  t.same(await scanAll(node, { start: 'k08', end: 'k12', reverse: true }), ['k11=v11', 'k10=v10', 'k09=v9', 'k08=v8']);
  t.same(await scanAll(node, { reverse: true, limit: 3 }), ['k29=v29', 'k28=v28', 'k27=v27']);
  t.same(await scanAll(node, { start: 'k04', limit: 3 }), ['k04=v4', 'k05=v5', 'k06=v6']);
  t.same((await scanAll(node, { reverse: true })).length, 30);
  // The meta records tile the key space exactly as the store's replicas do.
  const meta = scanDescriptors(node.db).map((d) => d.rangeId).sort();
  t.same(meta, node.store.descriptors().map((d) => d.rangeId).sort());
});

t.test('ranges split by themselves when they grow past the threshold', async (t) => {
  const node = await openNode(new MemoryFileSystem(), 3, { splitThresholdBytes: 16 * 1024, tickMs: 5 });
  t.teardown(() => node.close());
  const value = 'x'.repeat(200);
  for (let round = 0; round < 40; round++) {
    const pairs: [string, string][] = [];
    for (let i = 0; i < 10; i++) pairs.push([`row${String(round * 10 + i).padStart(4, '0')}`, value]);
    await write(node, pairs);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  for (let wait = 0; wait < 200 && (await node.client.ranges()).length < 3; wait++) await new Promise((resolve) => setTimeout(resolve, 10));
  const ranges = await node.client.ranges();
  t.ok(ranges.length >= 3, `split into ${ranges.length} ranges`);
  for (let i = 1; i < ranges.length; i++) t.same(ranges[i]!.startKey, ranges[i - 1]!.endKey, 'ranges tile the key space');
  t.equal((await scanAll(node)).length, 400, 'every row is still there, once');
});

t.test('a restarted node keeps its data, its ranges and an increasing oracle', async (t) => {
  const fs = new MemoryFileSystem();
  let node = await openNode(fs, 4);
  await write(node, [['a', '1'], ['m', '2']]);
  await node.client.split(enc('m'));
  const before = await node.timestamps.now();
  await node.close();
  node = await openNode(fs, 5);
  t.teardown(() => node.close());
  const after = await node.timestamps.now();
  t.ok(after > before, 'timestamps keep increasing across a restart');
  t.same(await scanAll(node), ['a=1', 'm=2']);
  t.same((await node.client.ranges()).map((range) => range.rangeId), [2, 3]);
  await write(node, [['b', '3'], ['z', '4']]);
  t.same(await scanAll(node), ['a=1', 'b=3', 'm=2', 'z=4']);
});

async function randomizedRun(t: Test, seed: number): Promise<void> {
  const random: Random = new SeededRandom(seed);
  const fs = new MemoryFileSystem();
  let node = await openNode(fs, seed);
  const model = new Map<string, string>();
  const keyOf = (): string => `key${String(random.int(60)).padStart(2, '0')}`;
  try {
    for (let step = 0; step < 120; step++) {
      const choice = random.int(100);
      if (choice < 55) {
        const pairs = new Map<string, string | undefined>();
        const count = random.intBetween(1, 4);
        for (let i = 0; i < count; i++) pairs.set(keyOf(), random.chance(0.2) ? undefined : `v${step}.${i}`);
        await write(node, [...pairs]);
        for (const [key, value] of pairs) value === undefined ? model.delete(key) : model.set(key, value);
      } else if (choice < 65) {
        await node.client.split(enc(keyOf()));
      } else if (choice < 70) {
        await node.close();
        node = await openNode(fs, seed + step);
      } else {
        const a = keyOf();
        const b = keyOf();
        const [start, end] = a < b ? [a, b] : [b, a];
        const reverse = random.chance(0.5);
        const limit = random.intBetween(1, 70);
        let expected = [...model].filter(([key]) => key >= start && key < end).sort(([x], [y]) => (x < y ? -1 : 1)).map(([key, value]) => `${key}=${value}`);
        if (reverse) expected.reverse();
        expected = expected.slice(0, limit);
        const got = await scanAll(node, { start, end, reverse, limit });
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          t.same(got, expected, `seed ${seed} step ${step}: scan [${start}, ${end}) reverse=${reverse} limit=${limit}`);
          return;
        }
      }
    }
    const ranges = await node.client.ranges();
    for (let i = 1; i < ranges.length; i++) {
      if (Buffer.compare(ranges[i]!.startKey, ranges[i - 1]!.endKey!) !== 0) t.fail(`seed ${seed}: ranges do not tile`);
    }
    t.same(await scanAll(node), [...model].sort(([x], [y]) => (x < y ? -1 : 1)).map(([key, value]) => `${key}=${value}`), `seed ${seed}: final state`);
  } finally {
    await node.close();
  }
}

t.test('randomized writes, splits, scans and restarts against a sorted map', async (t) => {
  const base = announceSeed(import.meta.url);
  const single = process.env['REEF_SEED'] !== undefined;
  const count = single ? 1 : Number(process.env['REEF_SEEDS'] ?? 8);
  for (let i = 0; i < count; i++) await randomizedRun(t, base + i);
});
