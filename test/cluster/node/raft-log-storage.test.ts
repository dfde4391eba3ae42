// RaftLogStorage against MemoryLogStorage: a seeded random sequence of Ready-like rounds (appends that
// overwrite conflicting tails, compactions, snapshots created and applied, hard states), each round
// staged into one WriteBatch shared by two ranges and written with one sync, must leave every read
// (first/last index, terms, entries with size limits, errors, initial state, snapshot) equal to the
// model's; reads must not see a round before markWritten(); reopening the LsmDb must recover it all;
// two ranges in one LsmDb never see each other's keys; and a 3-node Raft group runs on it, through a
// compaction and a restart of one node from its LSM.
import t from 'tap';
import { RaftLogStorage, decodeEntry, encodeEntry } from '../../../cluster/node/raft-log-storage.js';
import { RawNode } from '../../../cluster/raft/raw-node.js';
import { MemoryLogStorage, type LogStorage } from '../../../cluster/raft/storage.js';
import { type ConfState, type Entry, type Message, type NodeId, EMPTY_CONF_STATE, nodeId } from '../../../cluster/raft/types.js';
import { MemoryFileSystem } from '../../../storage/env/memory-file-system.js';
import { SeededRandom, type Random } from '../../../storage/env/random.js';
import { LsmDb, WriteBatch, type LsmOptions } from '../../../storage/lsm/index.js';
import { announceSeed } from '../../support/seed.js';

const seed = announceSeed(import.meta.url);

function options(fs: MemoryFileSystem): LsmOptions {
  // Small memtables and tables so that flushes and compactions happen and range tombstones cross levels.
  return { fs, dir: '/node', memtableSizeBytes: 4 * 1024, blockSizeBytes: 512, targetFileSizeBytes: 4 * 1024, levelBaseSizeBytes: 16 * 1024 };
}

type Outcome = { value: unknown } | { error: string };

function outcome(read: () => unknown): Outcome {
  try {
    return { value: read() };
  } catch (error) {
    return { error: (error as Error).constructor.name };
  }
}

/** Everything a reader can observe, as plain data, for a deep comparison. */
function observe(storage: LogStorage, random: Random): unknown {
  const first = storage.firstIndex();
  const last = storage.lastIndex();
  const terms: Outcome[] = [];
  for (let index = first - 2; index <= last + 1; index++) terms.push(outcome(() => storage.term(index)));
  const reads: Outcome[] = [];
  for (let i = 0; i < 6; i++) {
    const low = random.intBetween(Math.max(0, first - 2), last + 2);
    const high = random.intBetween(low, last + 2);
    const maxSize = random.pick([0, 20, 40, 100, 1000, Number.MAX_SAFE_INTEGER]);
    reads.push(outcome(() => storage.entries(low, high, maxSize).map((e) => ({ ...e, data: [...e.data] }))));
  }
  const snapshot = storage.snapshot();
  return { first, last, terms, reads, initial: storage.initialState(), snapshot: { ...snapshot, data: [...snapshot.data] } };
}

interface Group {
  readonly rangeId: number;
  readonly model: MemoryLogStorage;
  storage: RaftLogStorage;
  term: number;
}

function randomEntries(random: Random, start: number, count: number, term: number): Entry[] {
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const data = random.fill(new Uint8Array(random.int(40)));
    entries.push({ index: start + i, term, type: random.chance(0.1) ? 'confChange' : 'normal', data });
  }
  return entries;
}

function randomConf(random: Random): ConfState {
  return { ...EMPTY_CONF_STATE, voters: [nodeId(1 + random.int(5)), nodeId(6 + random.int(5))], autoLeave: random.chance(0.5) };
}

/** Stages one random write on both the model and the storage (so both see the same sequence). */
function stageRandomWrite(random: Random, group: Group, batch: WriteBatch, log: string[]): void {
  const { model, storage } = group;
  const first = model.firstIndex();
  const last = model.lastIndex();
  const choice = random.int(100);
  if (choice < 50) {
    // Appends: usually at the end, sometimes overwriting a tail (a new term), sometimes reaching below first.
    const start = random.chance(0.6) ? last + 1 : random.intBetween(Math.max(1, first - 3), last + 1);
    if (start <= last) group.term += 1;
    else if (random.chance(0.2)) group.term += 1;
    const entries = randomEntries(random, start, random.intBetween(1, 6), group.term);
    log.push(`append ${group.rangeId} [${start}, ${start + entries.length}) term ${group.term}`);
    model.append(entries);
    storage.append(batch, entries);
  } else if (choice < 62) {
    if (first > last) return;
    const index = random.intBetween(first, last);
    log.push(`compact ${group.rangeId} ${index}`);
    model.compact(index);
    storage.compact(batch, index);
  } else if (choice < 72) {
    const snapIndex = model.snapshot().metadata.index;
    // The snapshot's entry must still have a term: at least first - 1 (compaction may pass the snapshot).
    const low = Math.max(snapIndex + 1, first - 1);
    if (low > last) return;
    const index = random.intBetween(low, last);
    const conf = randomConf(random);
    const data = random.fill(new Uint8Array(random.int(30)));
    log.push(`createSnapshot ${group.rangeId} ${index}`);
    const expected = model.createSnapshot(index, conf, data);
    const got = storage.createSnapshot(batch, index, conf, data);
    if (expected.metadata.index !== got.metadata.index || expected.metadata.term !== got.metadata.term) {
      throw new Error('createSnapshot answers differ');
    }
  } else if (choice < 80) {
    const snapIndex = model.snapshot().metadata.index;
    // Mostly newer snapshots (beyond, inside or at the log's end); sometimes a stale one both must refuse.
    const stale = random.chance(0.15);
    const index = stale ? random.intBetween(0, snapIndex) : snapIndex + random.intBetween(1, Math.max(1, last - snapIndex + 8));
    group.term += random.int(2);
    const snapshot = { metadata: { index, term: group.term, confState: randomConf(random) }, data: random.fill(new Uint8Array(random.int(30))) };
    log.push(`applySnapshot ${group.rangeId} ${index}${stale ? ' (stale)' : ''}`);
    const modelOutcome = outcome(() => model.applySnapshot(snapshot));
    const storageOutcome = outcome(() => storage.applySnapshot(batch, snapshot));
    if (JSON.stringify(modelOutcome) !== JSON.stringify(storageOutcome)) {
      throw new Error(`applySnapshot outcomes differ: ${JSON.stringify(modelOutcome)} vs ${JSON.stringify(storageOutcome)}`);
    }
  } else {
    const hardState = { term: group.term, vote: random.int(4) as NodeId, commit: random.int(last + 1) };
    log.push(`setHardState ${group.rangeId} ${JSON.stringify(hardState)}`);
    model.setHardState(hardState);
    storage.setHardState(batch, hardState);
  }
}

t.test('entry encoding round-trips, including large indexes and empty payloads', async (t) => {
  const entries: Entry[] = [
    { term: 0, index: 0, type: 'normal', data: new Uint8Array(0) },
    { term: 7, index: 2 ** 40 + 5, type: 'confChange', data: new Uint8Array([1, 2, 3]) },
    { term: Number.MAX_SAFE_INTEGER, index: Number.MAX_SAFE_INTEGER, type: 'normal', data: new Uint8Array(1000).fill(9) },
  ];
  for (const entry of entries) t.same(decodeEntry(encodeEntry(entry)), entry);
});

t.test('random rounds match MemoryLogStorage, survive reopen, and keep two ranges apart', async (t) => {
  const random = new SeededRandom(seed);
  const fs = new MemoryFileSystem();
  let db = await LsmDb.open(options(fs));
  // A range id with high bytes set, next to a small one: the fixed-width id keeps their spans disjoint.
  const groups: Group[] = [1, 2 ** 40 + 1].map((rangeId) => ({
    rangeId,
    model: new MemoryLogStorage(),
    storage: RaftLogStorage.open(db, rangeId),
    term: 1,
  }));
  // A third range written to and then destroyed: its keys must not leak into the others.
  const doomed = RaftLogStorage.open(db, 2);
  const log: string[] = [];
  const rounds = 400;
  let reopens = 0;
  for (let round = 0; round < rounds; round++) {
    const batch = new WriteBatch();
    const before = groups.map((g) => [g.storage.firstIndex(), g.storage.lastIndex()]);
    const writes = random.intBetween(1, 4);
    for (let i = 0; i < writes; i++) stageRandomWrite(random, random.pick(groups), batch, log);
    if (round === 10) doomed.append(batch, randomEntries(random, 1, 20, 1));
    if (round === 50) doomed.destroy(batch);
    // Staged but unwritten: reads still answer from what the LSM holds.
    t.same(groups.map((g) => [g.storage.firstIndex(), g.storage.lastIndex()]), before);
    await db.write(batch, { sync: true });
    for (const group of groups) group.storage.markWritten();
    doomed.markWritten();

    if (random.chance(0.05)) await db.flush();
    if (random.chance(0.04) || round === rounds - 1) {
      await db.close();
      db = await LsmDb.open(options(fs));
      for (const group of groups) group.storage = RaftLogStorage.open(db, group.rangeId);
      reopens++;
    }
    for (const group of groups) {
      const readSeed = random.int(2 ** 31);
      const expected = observe(group.model, new SeededRandom(readSeed));
      const actual = observe(group.storage, new SeededRandom(readSeed));
      if (!t.same(actual, expected, `range ${group.rangeId} after round ${round}`)) {
        t.comment(`last ops:\n${log.slice(-8).join('\n')}`);
        await db.close();
        return;
      }
    }
  }
  t.ok(reopens > 0, `reopened ${reopens} times`);
  const reopenedDoomed = RaftLogStorage.open(db, 2);
  t.equal(reopenedDoomed.lastIndex(), 0, 'a destroyed range has no entries');
  t.same(reopenedDoomed.initialState().hardState, { term: 0, vote: 0, commit: 0 });
  t.ok(groups.every((g) => g.model.lastIndex() > 10), 'the logs grew');
  t.pass(`${rounds} rounds, ${log.length} writes`);
  await db.close();
});

t.test('several writes staged in one round: snapshot, then entries after it, then a compaction', async (t) => {
  const fs = new MemoryFileSystem();
  const db = await LsmDb.open(options(fs));
  const storage = RaftLogStorage.open(db, 9);
  const model = new MemoryLogStorage();
  const batch = new WriteBatch();
  const snapshot = { metadata: { index: 10, term: 3, confState: { ...EMPTY_CONF_STATE, voters: [nodeId(1)] } }, data: new Uint8Array([7]) };
  const entries: Entry[] = [11, 12, 13, 14].map((index) => ({ index, term: 4, type: 'normal', data: new Uint8Array([index]) }));
  for (const target of [model]) {
    target.applySnapshot(snapshot);
    target.append(entries);
    target.compact(12);
  }
  storage.applySnapshot(batch, snapshot);
  storage.append(batch, entries);
  storage.compact(batch, 12);
  t.equal(storage.lastIndex(), 0, 'nothing visible before the batch is written');
  await db.write(batch, { sync: true });
  storage.markWritten();
  const random = new SeededRandom(seed);
  t.same(JSON.parse(JSON.stringify(observe(storage, random))), JSON.parse(JSON.stringify(observe(model, new SeededRandom(seed)))));
  t.equal(storage.firstIndex(), 13);
  t.equal(storage.term(12), 4);
  await db.close();
});

t.test('a 3-node Raft group replicates, compacts and restarts on RaftLogStorage', async (t) => {
  // One LsmDb per node (each node has its own LSM); each node's Ready is staged into one batch and
  // written with one sync before its messages go out, as the node loop will do it.
  interface Peer {
    readonly id: NodeId;
    readonly fs: MemoryFileSystem;
    db: LsmDb;
    storage: RaftLogStorage;
    raw: RawNode;
    applied: string[];
    appliedIndex: number;
  }
  const ids = [1, 2, 3].map(nodeId);
  const conf: ConfState = { ...EMPTY_CONF_STATE, voters: ids };
  const build = (id: NodeId, storage: RaftLogStorage, applied: number): RawNode =>
    new RawNode({ id, electionTick: 10, heartbeatTick: 1, storage, applied, random: new SeededRandom(seed + id) });
  const peers: Peer[] = [];
  for (const id of ids) {
    const fs = new MemoryFileSystem();
    const db = await LsmDb.open(options(fs));
    const storage = RaftLogStorage.open(db, 7);
    const batch = new WriteBatch();
    storage.bootstrap(batch, conf);
    await db.write(batch, { sync: true });
    storage.markWritten();
    peers.push({ id, fs, db, storage, raw: build(id, storage, 0), applied: [], appliedIndex: 0 });
  }
  const decoder = new TextDecoder();
  let queue: Message[] = [];
  const stabilize = async (): Promise<void> => {
    for (let step = 0; step < 1000; step++) {
      let moved = false;
      for (const peer of peers) {
        if (!peer.raw.hasReady()) continue;
        moved = true;
        const ready = peer.raw.ready();
        const batch = new WriteBatch();
        if (ready.snapshot !== undefined) peer.storage.applySnapshot(batch, ready.snapshot);
        peer.storage.append(batch, ready.entries);
        if (ready.hardState !== undefined) peer.storage.setHardState(batch, ready.hardState);
        await peer.db.write(batch, { sync: true });
        peer.storage.markWritten();
        queue.push(...ready.messages);
        if (ready.snapshot !== undefined) {
          peer.applied = JSON.parse(decoder.decode(ready.snapshot.data)) as string[];
          peer.appliedIndex = ready.snapshot.metadata.index;
        }
        for (const entry of ready.committedEntries) {
          peer.appliedIndex = entry.index;
          if (entry.type === 'normal' && entry.data.length > 0) peer.applied.push(decoder.decode(entry.data));
        }
        peer.raw.advance();
      }
      const delivering = queue;
      queue = [];
      for (const message of delivering) {
        moved = true;
        peers.find((p) => p.id === message.to)!.raw.step(message);
      }
      if (!moved) return;
    }
    throw new Error('the group did not stabilize');
  };
  const compact = async (peer: Peer): Promise<void> => {
    const batch = new WriteBatch();
    peer.storage.createSnapshot(batch, peer.appliedIndex, conf, new TextEncoder().encode(JSON.stringify(peer.applied)));
    peer.storage.compact(batch, peer.appliedIndex);
    await peer.db.write(batch, { sync: true });
    peer.storage.markWritten();
  };

  peers[0]!.raw.campaign();
  await stabilize();
  t.equal(peers[0]!.raw.status().softState.role, 'leader');
  const expected: string[] = [];
  for (let i = 0; i < 30; i++) {
    const payload = `p${i}`;
    expected.push(payload);
    peers[0]!.raw.propose(new TextEncoder().encode(payload));
    await stabilize();
    if (i === 10) for (const peer of peers) await compact(peer);
  }
  for (const peer of peers) t.same(peer.applied, expected, `node ${peer.id} applied every proposal`);

  // Node 3 restarts from its LSM alone: log, hard state and snapshot come back, and it keeps up.
  const third = peers[2]!;
  const lastBefore = third.storage.lastIndex();
  const hardBefore = third.storage.initialState().hardState;
  await third.db.close();
  third.db = await LsmDb.open(options(third.fs));
  third.storage = RaftLogStorage.open(third.db, 7);
  t.equal(third.storage.lastIndex(), lastBefore, 'last index recovered');
  t.same(third.storage.initialState().hardState, hardBefore, 'hard state recovered');
  const snapshot = third.storage.snapshot();
  third.applied = JSON.parse(decoder.decode(snapshot.data)) as string[];
  third.appliedIndex = snapshot.metadata.index;
  third.raw = build(third.id, third.storage, third.appliedIndex);
  for (let i = 30; i < 40; i++) {
    expected.push(`p${i}`);
    peers[0]!.raw.propose(new TextEncoder().encode(`p${i}`));
    await stabilize();
  }
  for (const peer of peers) t.same(peer.applied, expected, `node ${peer.id} applied every proposal after the restart`);
  for (const peer of peers) await peer.db.close();
});
