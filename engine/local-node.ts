// One ReefDB node wired together in this process: the LSM on the given file system, the store with its
// ranges, the KV service that evaluates requests, and the routing client and timestamp client that
// callers (the transaction coordinator) use. The client reaches the node through a local call — the
// same protocol objects a network transport would carry, minus the serialization (DESIGN.md: "a local
// call skips serialization, never a layer").

import { KvService } from '../cluster/node/kv-service.js';
import type { NodeEndpoint } from '../cluster/node/protocol.js';
import { type StoreConfig, Store } from '../cluster/node/store.js';
import { RoutingClient } from '../cluster/kv/routing-client.js';
import { TsoClient } from '../cluster/kv/tso-client.js';
import type { Clock } from '../storage/env/clock.js';
import type { FileSystem } from '../storage/env/file-system.js';
import type { Random } from '../storage/env/random.js';
import { LsmDb } from '../storage/lsm/lsm-db.js';
import type { LsmOptions } from '../storage/lsm/options.js';

export interface LocalNodeOptions {
  readonly fs: FileSystem;
  readonly dir: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly nodeId?: number | undefined;
  readonly store?: Partial<StoreConfig> | undefined;
  readonly lsm?: Partial<Omit<LsmOptions, 'fs' | 'dir' | 'clock'>> | undefined;
}

export class LocalNode {
  private constructor(
    readonly db: LsmDb,
    readonly store: Store,
    readonly service: KvService,
    readonly client: RoutingClient,
    readonly timestamps: TsoClient,
  ) {}

  static async open(options: LocalNodeOptions): Promise<LocalNode> {
    const db = await LsmDb.open({ ...options.lsm, fs: options.fs, dir: options.dir, clock: options.clock });
    try {
      const nodeId = options.nodeId ?? 1;
      const store = await Store.open({ db, nodeId, clock: options.clock, random: options.random, config: options.store });
      const service = new KvService(store);
      const endpoint: NodeEndpoint = service;
      const client = new RoutingClient({ node: (id) => (id === nodeId ? endpoint : undefined), seedNodeIds: [nodeId], clock: options.clock });
      const timestamps = new TsoClient((count) => client.timestamps(count));
      return new LocalNode(db, store, service, client, timestamps);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /** Stops the store (failing anything in flight) and closes the LSM. */
  async close(): Promise<void> {
    await this.store.close();
    await this.db.close();
  }
}
