// One ReefDB node wired together in this process: the LSM on the given file system, the store with its
// ranges, the KV service that evaluates requests, and the routing client and timestamp client that
// callers (the transaction coordinator) use. The client reaches the node through a local call — the
// same protocol objects a network transport would carry, minus the serialization (DESIGN.md: "a local
// call skips serialization, never a layer").

import { KvService } from '../cluster/node/kv-service.js';
import type {
  NodeEndpoint,
  PlacementBodies,
  PlacementMethod,
  PlacementResponse,
  RangeMethod,
  RangeRequestEnvelope,
  RangeResponse,
} from '../cluster/node/protocol.js';
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

/**
 * The node as its in-process clients reach it. A local call resolves through promises only, so a busy
 * client could keep the microtask queue full and starve timers (Raft ticks, heartbeats) and I/O for
 * seconds; every call made after the event loop has been held for SLICE_MS first waits for one turn of
 * the loop, shared by all callers (the role socket reads play between processes).
 */
class LocalEndpoint implements NodeEndpoint {
  private static readonly SLICE_MS = 2;
  private sliceStartedMs: number;
  private pendingTurn: Promise<void> | undefined;

  constructor(
    private readonly service: KvService,
    private readonly clock: Clock,
  ) {
    this.sliceStartedMs = clock.monotonicMs();
  }

  private turn(): Promise<void> | undefined {
    if (this.clock.monotonicMs() - this.sliceStartedMs <= LocalEndpoint.SLICE_MS) return undefined;
    return (this.pendingTurn ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.pendingTurn = undefined;
        this.sliceStartedMs = this.clock.monotonicMs();
        resolve();
      }),
    ));
  }

  sendRange<M extends RangeMethod>(request: RangeRequestEnvelope<M>): Promise<RangeResponse<M>> {
    const turn = this.turn();
    return turn === undefined ? this.service.sendRange(request) : turn.then(() => this.service.sendRange(request));
  }

  async sendPlacement<M extends PlacementMethod>(method: M, body: PlacementBodies[M]): Promise<PlacementResponse<M>> {
    const turn = this.turn();
    if (turn !== undefined) await turn;
    return this.service.sendPlacement(method, body);
  }
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
      const endpoint = new LocalEndpoint(service, options.clock);
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
