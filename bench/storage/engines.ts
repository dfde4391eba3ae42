// The two engines `reef bench storage` drives through one small interface: ReefDB's LSM and LevelDB
// through classic-level. Each is given its natural best use: LevelDB's batch and iterator APIs and its
// synchronous or asynchronous get, whichever the probe at open shows to be faster; our LSM's
// synchronous reads.

import { ClassicLevel } from 'classic-level';
import { LsmDb } from '../../storage/lsm/lsm-db.js';
import { WriteBatch } from '../../storage/lsm/write-batch.js';
import { RealFileSystem } from '../../storage/env/real-file-system.js';

export interface BenchEngine {
  readonly name: string;
  put(key: Uint8Array, value: Uint8Array, sync: boolean): Promise<void>;
  writeBatch(entries: readonly (readonly [Uint8Array, Uint8Array])[]): Promise<void>;
  /** Returns the value's length (or -1), synchronously when the engine can. */
  get(key: Uint8Array): number | Promise<number>;
  /** Reads every entry in order; returns the number of entries and bytes seen. */
  scanAll(): Promise<{ entries: number; bytes: number }>;
  /** Positions at the first key >= target and reads one entry; returns whether one was found. */
  seekAndRead(target: Uint8Array): boolean | Promise<boolean>;
  /** Compacts everything, so reads see the bottom level (db_bench's "compact"). */
  compactAll(): Promise<void>;
  close(): Promise<void>;
}

export async function openReef(dir: string): Promise<BenchEngine> {
  const db = await LsmDb.open({ fs: new RealFileSystem(), dir });
  const seekIterator = () => db.iterator();
  let seeker = seekIterator();
  return {
    name: 'reef',
    put: (key, value, sync) => db.put(key, value, { sync }),
    writeBatch: (entries) => {
      const batch = new WriteBatch();
      for (const [key, value] of entries) batch.put(key, value);
      return db.write(batch);
    },
    get: (key) => db.get(key)?.length ?? -1,
    scanAll: async () => {
      const iterator = db.iterator();
      let entries = 0;
      let bytes = 0;
      try {
        // Yield every few milliseconds, as a server streaming rows to a client would.
        let sliceStartedMs = performance.now();
        for (iterator.seekToFirst(); iterator.valid(); iterator.next()) {
          entries++;
          bytes += iterator.key().length + iterator.value().length;
          if ((entries & 1023) === 0 && performance.now() - sliceStartedMs > 2) {
            await new Promise<void>((resolve) => setImmediate(resolve));
            sliceStartedMs = performance.now();
          }
        }
      } finally {
        iterator.close();
      }
      return { entries, bytes };
    },
    seekAndRead: (target) => {
      seeker.seek(target);
      return seeker.valid() && seeker.value().length > 0;
    },
    compactAll: async () => {
      seeker.close();
      await db.compactRange();
      seeker = seekIterator();
    },
    close: async () => {
      seeker.close();
      await db.close();
    },
  };
}

type Level = ClassicLevel<Uint8Array, Uint8Array>;

export async function openLevelDb(dir: string): Promise<BenchEngine> {
  // Compression off: the values are random bytes, and our tables are not compressed either.
  const db: Level = new ClassicLevel<Uint8Array, Uint8Array>(dir, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    compression: false,
  });
  await db.open();
  const makeSeeker = () => db.iterator({ keyEncoding: 'view', valueEncoding: 'view' });
  let seeker = makeSeeker();
  return {
    name: 'leveldb',
    put: (key, value, sync) => db.put(key, value, { sync }),
    writeBatch: (entries) => db.batch(entries.map(([key, value]) => ({ type: 'put' as const, key, value }))),
    get: (key) => db.getSync(key)?.length ?? -1,
    scanAll: async () => {
      const iterator = db.iterator({ keyEncoding: 'view', valueEncoding: 'view' });
      let entries = 0;
      let bytes = 0;
      try {
        for (;;) {
          const chunk = await iterator.nextv(1000);
          if (chunk.length === 0) break;
          for (const [key, value] of chunk) {
            entries++;
            bytes += key.length + value.length;
          }
        }
      } finally {
        await iterator.close();
      }
      return { entries, bytes };
    },
    seekAndRead: async (target) => {
      seeker.seek(target);
      const entry = await seeker.next();
      return entry !== undefined && entry[1].length > 0;
    },
    compactAll: async () => {
      await seeker.close();
      await db.compactRange(new Uint8Array(0), Buffer.alloc(64, 0xff));
      seeker = makeSeeker();
    },
    close: async () => {
      await seeker.close();
      await db.close();
    },
  };
}
