// `reef bench raft`: three RawNodes in one process over MemoryLogStorage, with instant delivery, so the
// figures are the cost of the Raft state machine itself (no disk, no network, no serialization).
//
//   64b_batched     proposals of 64 bytes, `batchSize` per round: all proposed, then Ready rounds run
//                   until every node has applied them (one append per follower carries the batch)
//   64b_unbatched   one 64-byte proposal, then rounds until every node applied it, then the next: the
//                   full round trip (leader persist → append → follower persist → ack → commit →
//                   commit notice → apply) per entry
//   1kb_batched     as 64b_batched with 1 KiB payloads
//
// Each phase reports entries committed (and applied on all three nodes) per second, and CPU time
// (user + system, process.cpuUsage) per entry in microseconds. Logs are compacted behind the applied
// index as a node would, so memory stays flat. There is no anchor yet: etcd enters when the replicated
// key-value layer does.

import { MemoryLogStorage } from '../../cluster/raft/storage.js';
import { RawNode } from '../../cluster/raft/raw-node.js';
import { EMPTY_CONF_STATE, type Message, type NodeId, nodeId } from '../../cluster/raft/types.js';
import { SeededRandom } from '../../storage/env/random.js';
import { measurePhase } from '../measure.js';
import type { BenchRow } from '../report.js';
import type { BenchOptions, BenchSuite } from '../suites.js';

/** Entries kept in each log behind the applied index before compaction trims it. */
const COMPACTION_LAG_ENTRIES = 4096;
const COMPACTION_EVERY_ENTRIES = 16_384;
/** Entries between two turns given to the event loop. */
const YIELD_EVERY_ENTRIES = 1024;
/** Bound on Ready/delivery rounds for one batch; reaching it means the group is stuck. */
const MAX_ROUNDS_PER_BATCH = 1000;

interface BenchNode {
  readonly id: NodeId;
  readonly raw: RawNode;
  readonly storage: MemoryLogStorage;
  appliedIndex: number;
  appliedEntries: number;
  lastCompactedIndex: number;
}

/** Three nodes, node 1 elected, delivering messages in-process as soon as a Ready releases them. */
class InProcessGroup {
  readonly nodes: BenchNode[];
  private readonly byId = new Map<NodeId, BenchNode>();
  private queue: Message[] = [];

  constructor(seed: number) {
    const voters = [nodeId(1), nodeId(2), nodeId(3)];
    const random = new SeededRandom(seed);
    this.nodes = voters.map((id) => {
      const storage = MemoryLogStorage.withVoters(voters);
      const raw = new RawNode({
        id,
        storage,
        electionTick: 10,
        heartbeatTick: 1,
        random: random.fork(),
        maxSizePerMsgBytes: 4 * 1024 * 1024,
        maxInflightMsgs: 256,
        maxUncommittedEntriesSizeBytes: 256 * 1024 * 1024,
        maxCommittedSizePerReadyBytes: 256 * 1024 * 1024,
      });
      const node: BenchNode = { id, raw, storage, appliedIndex: 0, appliedEntries: 0, lastCompactedIndex: 0 };
      this.byId.set(id, node);
      return node;
    });
    this.nodes[0]!.raw.campaign();
    this.pump();
    if (this.nodes[0]!.raw.status().softState.role !== 'leader') throw new Error('raft bench: node 1 did not become leader');
  }

  get leader(): BenchNode {
    return this.nodes[0]!;
  }

  /** One node's Ready: persist, release messages, apply, advance. Returns whether there was one. */
  private handleReady(node: BenchNode): boolean {
    if (!node.raw.hasReady()) return false;
    const ready = node.raw.ready();
    if (ready.snapshot !== undefined) node.storage.applySnapshot(ready.snapshot);
    if (ready.entries.length > 0) node.storage.append(ready.entries);
    if (ready.hardState !== undefined) node.storage.setHardState(ready.hardState);
    for (const message of ready.messages) this.queue.push(message);
    const committed = ready.committedEntries;
    if (committed.length > 0) {
      // The "state machine" counts entries; the point is Raft's cost, not an apply function's.
      for (const entry of committed) if (entry.data.length > 0) node.appliedEntries++;
      node.appliedIndex = committed[committed.length - 1]!.index;
    }
    node.raw.advance();
    if (node.appliedIndex - node.lastCompactedIndex >= COMPACTION_EVERY_ENTRIES + COMPACTION_LAG_ENTRIES) {
      const compactIndex = node.appliedIndex - COMPACTION_LAG_ENTRIES;
      node.storage.createSnapshot(compactIndex, { ...EMPTY_CONF_STATE, voters: [nodeId(1), nodeId(2), nodeId(3)] }, new Uint8Array(0));
      node.storage.compact(compactIndex);
      node.lastCompactedIndex = compactIndex;
    }
    return true;
  }

  /** Ready rounds and deliveries until nothing moves; returns the rounds taken. */
  pump(): number {
    for (let round = 0; round < MAX_ROUNDS_PER_BATCH; round++) {
      let moved = false;
      for (const node of this.nodes) if (this.handleReady(node)) moved = true;
      if (!moved && this.queue.length === 0) return round;
      const batch = this.queue;
      this.queue = [];
      for (const message of batch) this.byId.get(message.to)!.raw.step(message);
    }
    throw new Error(`raft bench: the group did not settle within ${MAX_ROUNDS_PER_BATCH} rounds`);
  }
}

interface PhaseResult {
  readonly entriesPerSecond: number;
  readonly cpuMicrosPerEntry: number;
  readonly elapsedMs: number;
  readonly peakRssMb: number;
  readonly longestStallMs: number;
}

async function runPhase(entryCount: number, payloadBytes: number, batchSize: number, seed: number): Promise<PhaseResult> {
  const group = new InProcessGroup(seed);
  const payload = new Uint8Array(payloadBytes).fill(7);
  const leader = group.leader;
  let cpuMicros = 0;
  const measured = await measurePhase(async () => {
    const cpuBefore = process.cpuUsage();
    let proposed = 0;
    let sinceYield = 0;
    while (proposed < entryCount) {
      const count = Math.min(batchSize, entryCount - proposed);
      for (let i = 0; i < count; i++) leader.raw.propose(payload);
      proposed += count;
      group.pump();
      for (const node of group.nodes) {
        if (node.appliedEntries !== proposed) throw new Error(`raft bench: node ${node.id} applied ${node.appliedEntries} of ${proposed}`);
      }
      // Give the event loop a turn now and then, as a node's loop does between batches.
      sinceYield += count;
      if (sinceYield >= YIELD_EVERY_ENTRIES) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    const cpu = process.cpuUsage(cpuBefore);
    cpuMicros = cpu.user + cpu.system;
  });
  return {
    entriesPerSecond: entryCount / (measured.elapsedMs / 1000),
    cpuMicrosPerEntry: cpuMicros / entryCount,
    elapsedMs: measured.elapsedMs,
    peakRssMb: measured.peakRssMb,
    longestStallMs: measured.longestStallMs,
  };
}

export const raftSuite: BenchSuite = {
  name: 'raft',
  summary: 'three in-process Raft nodes, in-memory logs: entries committed per second and CPU per entry',
  async run(options: BenchOptions) {
    const scale = options.quick ? 1 : 4;
    const batchSize = 1024;
    const phases = [
      { phase: '64b_batched', payloadBytes: 64, batchSize, entryCount: 500_000 * scale },
      { phase: '64b_unbatched', payloadBytes: 64, batchSize: 1, entryCount: 50_000 * scale },
      { phase: '1kb_batched', payloadBytes: 1024, batchSize, entryCount: 200_000 * scale },
    ];
    // A short warm-up so the first phase is not charged for JIT compilation.
    await runPhase(20_000, 64, batchSize, 1);
    await runPhase(2_000, 64, 1, 1);
    const results = new Map<string, PhaseResult>();
    for (const phase of phases) {
      options.progress(`raft: ${phase.phase} (${phase.entryCount.toLocaleString('en-US')} entries)`);
      results.set(phase.phase, await runPhase(phase.entryCount, phase.payloadBytes, phase.batchSize, 42));
    }
    const rows: BenchRow[] = [];
    const ours: Record<string, number> = {};
    for (const { phase } of phases) {
      const result = results.get(phase)!;
      rows.push({
        phase: `entries_per_s_${phase}`,
        unit: 'entries/s',
        ours: result.entriesPerSecond,
        extra: { 'cpu µs/entry': result.cpuMicrosPerEntry, 'rss MB': result.peakRssMb, 'stall ms': result.longestStallMs },
      });
      ours[`entries_per_s_${phase}`] = Math.round(result.entriesPerSecond);
      ours[`cpu_us_per_entry_${phase}`] = Number(result.cpuMicrosPerEntry.toFixed(3));
    }
    return {
      suite: 'raft',
      anchorName: 'anchor',
      rows,
      ours,
      anchor: {},
      ratio: {},
      notes: [
        'no anchor: etcd enters as the anchor when the replicated key-value layer does, so the anchor and ratio columns are empty',
        `three RawNodes in one process, MemoryLogStorage, instant delivery; batched = ${batchSize} proposals per Ready round;`,
        'an entry counts once all three nodes applied it; cpu = process.cpuUsage (user + system) per entry',
        'profile: node --cpu-prof dist/engine/cli/reef.js bench raft --quick (then open the .cpuprofile in Chrome DevTools)',
      ],
    };
  },
};
