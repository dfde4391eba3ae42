// The safety properties of Raft (Figure 3 of the paper), checked by the simulator as the run goes, from
// what each node exposes: its status, its disk, and the Readies it completes. A violation throws
// SafetyViolation naming the property.
//
// - Election safety: at most one leader per term. Every (term, leader) ever observed is recorded.
// - Log matching: if two logs hold an entry with the same index and term, they hold the same entry and
//   agree on the term of the entry before it, hence (by induction) are identical up to it. Checked on
//   every entry a node persists, against a global map (index, term) → (payload, previous term).
// - Leader completeness: an entry committed in term t is in the log of every leader of a later term.
//   Each committed entry is recorded with an upper bound of the term it was committed in (the term of
//   the node whose persisted commit index first covered it); every leader of a higher term is checked
//   when it takes office and whenever a new committed entry is recorded.
// - State machine safety: no two nodes apply different entries at an index. Each node's state machine
//   keeps a running hash of everything it applied; hashes at the same index must be equal (so the
//   whole applied prefix is equal), including the hash carried in by an installed snapshot.
// - No committed entry is lost or changed: the entry recorded as committed at an index never changes,
//   whoever persists, applies or snapshots that index later, across crashes and restarts.
// - Linearizable reads (a register model): a read state answering a read-index request has an index at
//   least the highest commit index any node knew when the request was issued, and when the read is
//   served (the node applied that index) the register holds a write at least as new as the latest
//   write committed before the request.
//
// Why a leader's disk (and not its memory) may be checked: a candidate's vote requests leave only after
// the Ready holding them is persisted, and that Ready carries every entry it held, so a leader's disk
// holds every entry it had when it won; it never truncates its own log while leading.

import type { ReadyOutcome, RaftHost } from './host.js';
import type { Entry, NodeId, ReadState } from '../../../../cluster/raft/types.js';

export class SafetyViolation extends Error {
  readonly property: string;
  constructor(property: string, detail: string) {
    super(`${property}: ${detail}`);
    this.name = 'SafetyViolation';
    this.property = property;
  }
}

interface CommittedRecord {
  readonly term: number;
  readonly key: string;
  /** An upper bound of the term in which the entry was committed. */
  readonly commitTerm: number;
}

interface PendingRead {
  readonly context: string;
  /** The highest commit index known anywhere when the request was issued. */
  readonly commitAtIssue: number;
  /** Set once the read state arrived: the node may serve the read once it applied this index. */
  readIndex: number;
}

const MAX_PENDING_READS_PER_NODE = 64;

/** A stable text key for an entry's content (its type and payload). */
function entryKey(entry: Entry): string {
  let key = entry.type === 'confChange' ? 'c:' : 'n:';
  for (let i = 0; i < entry.data.byteLength; i++) key += String.fromCharCode(entry.data[i]!);
  return key;
}

export class SafetyChecker {
  /** Finds the host of a node id: leaders are checked on their disks. */
  private readonly leaderHost: (id: NodeId) => RaftHost | undefined;
  /** term → the leader seen in it. */
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** Nodes leading right now, with their term. */
  private readonly currentLeaders = new Map<NodeId, number>();
  /** `${index}/${term}` → the entry's key and the term of the entry before it. */
  private readonly logIndex = new Map<string, { key: string; previousTerm: number }>();
  /** index → the entry committed there. */
  private readonly committed: (CommittedRecord | undefined)[] = [];
  /** Per node, the persisted commit index up to which committed entries were recorded. */
  private readonly recordedCommit = new Map<NodeId, number>();
  /** index → running hash of the applied prefix ending there. */
  private readonly appliedHash: (string | undefined)[] = [];
  /** Indexes of committed writes (normal entries with a payload), ascending. */
  private readonly writeIndexes: number[] = [];
  private readonly pendingReads = new Map<NodeId, PendingRead[]>();
  /** The highest commit index any node held in memory, ever. */
  maxCommit = 0;
  /** Highest index recorded as applied anywhere (for the run's summary). */
  maxApplied = 0;
  readsChecked = 0;
  readsServed = 0;
  leadersSeen = 0;

  constructor(hostOf: (id: NodeId) => RaftHost | undefined) {
    this.leaderHost = hostOf;
  }

  /** Checks election safety and leader completeness for a node after something happened to it. */
  observe(host: RaftHost): void {
    const status = host.node.status();
    if (status.hardState.commit > this.maxCommit) this.maxCommit = status.hardState.commit;
    if (status.softState.role !== 'leader') {
      this.currentLeaders.delete(host.id);
      return;
    }
    const term = status.hardState.term;
    const known = this.leaderOfTerm.get(term);
    if (known === undefined) {
      this.leaderOfTerm.set(term, host.id);
      this.leadersSeen++;
    } else if (known !== host.id) {
      throw new SafetyViolation('election safety', `nodes ${known} and ${host.id} both lead term ${term}`);
    }
    if (this.currentLeaders.get(host.id) !== term) {
      this.currentLeaders.set(host.id, term);
      // A new leader: it must hold every entry committed in an earlier term.
      for (let index = 1; index < this.committed.length; index++) {
        const record = this.committed[index];
        if (record !== undefined) this.checkLeaderHolds(host, term, index, record);
      }
    }
    // A leader's commit index counts before it is persisted anywhere (it may crash right after and
    // take the news with it), and a leader's disk holds its log up to it: record those entries now.
    this.recordCommittedFromDisk(host, Math.min(status.hardState.commit, host.disk.lastIndex()), term);
  }

  onCrash(host: RaftHost): void {
    this.currentLeaders.delete(host.id);
    this.pendingReads.delete(host.id);
  }

  private checkLeaderHolds(host: RaftHost, leaderTerm: number, index: number, record: CommittedRecord): void {
    if (record.commitTerm >= leaderTerm) return;
    const disk = host.disk;
    if (index <= disk.snapshot().metadata.index) return;
    if (index > disk.lastIndex()) {
      throw new SafetyViolation(
        'leader completeness',
        `leader ${host.id} of term ${leaderTerm} lacks entry ${index}/${record.term} committed by term ${record.commitTerm} (its log ends at ${disk.lastIndex()})`,
      );
    }
    const entry = disk.entries(index, index + 1, Number.MAX_SAFE_INTEGER)[0]!;
    if (entry.term !== record.term || entryKey(entry) !== record.key) {
      throw new SafetyViolation(
        'leader completeness',
        `leader ${host.id} of term ${leaderTerm} holds ${index}/${entry.term} where ${index}/${record.term} was committed by term ${record.commitTerm}`,
      );
    }
  }

  /** After a node persisted a Ready: log matching on its new entries, and what its commit covers. */
  afterPersist(host: RaftHost, outcome: ReadyOutcome): void {
    const disk = host.disk;
    const { ready } = outcome;
    if (ready.snapshot !== undefined) {
      const { index, term } = ready.snapshot.metadata;
      const record = this.committed[index];
      if (record !== undefined && record.term !== term) {
        throw new SafetyViolation('committed entry kept', `node ${host.id} installed a snapshot at ${index}/${term}, committed there: ${index}/${record.term}`);
      }
    }
    for (const entry of ready.entries) {
      if (entry.index < disk.firstIndex()) continue;
      const previousTerm = disk.term(entry.index - 1);
      const key = entryKey(entry);
      const id = `${entry.index}/${entry.term}`;
      const seen = this.logIndex.get(id);
      if (seen === undefined) {
        this.logIndex.set(id, { key, previousTerm });
      } else if (seen.key !== key || seen.previousTerm !== previousTerm) {
        throw new SafetyViolation(
          'log matching',
          `node ${host.id} persisted ${id} (${key}) after term ${previousTerm}; elsewhere ${id} is (${seen.key}) after term ${seen.previousTerm}`,
        );
      }
    }
    const hardState = disk.initialState().hardState;
    this.recordCommittedFromDisk(host, hardState.commit, hardState.term);
  }

  /** Records the entries of `host`'s disk up to `commit` as committed, by term `commitTerm` at most. */
  private recordCommittedFromDisk(host: RaftHost, commit: number, commitTerm: number): void {
    const disk = host.disk;
    const from = Math.max(this.recordedCommit.get(host.id) ?? 0, disk.firstIndex() - 1);
    if (commit <= from) return;
    const entries = disk.entries(from + 1, commit + 1, Number.MAX_SAFE_INTEGER);
    for (const entry of entries) this.recordCommitted(entry, commitTerm);
    this.recordedCommit.set(host.id, commit);
  }

  private recordCommitted(entry: Entry, commitTerm: number): void {
    const key = entryKey(entry);
    const record = this.committed[entry.index];
    if (record !== undefined) {
      if (record.term !== entry.term || record.key !== key) {
        throw new SafetyViolation(
          'committed entry kept',
          `entry ${entry.index} committed as ${entry.index}/${record.term} (${record.key}), now ${entry.index}/${entry.term} (${key})`,
        );
      }
      return;
    }
    const added: CommittedRecord = { term: entry.term, key, commitTerm };
    this.committed[entry.index] = added;
    for (const [id, term] of this.currentLeaders) {
      const leader = this.leaderHost(id);
      if (leader !== undefined) this.checkLeaderHolds(leader, term, entry.index, added);
    }
  }

  /** After a node applied a Ready's snapshot and entries: state machine safety. */
  afterApply(host: RaftHost, outcome: ReadyOutcome): void {
    if (outcome.installed !== undefined) this.checkHash(host, outcome.installed.index, outcome.installed.hashHigh, outcome.installed.hashLow);
    const term = host.disk.initialState().hardState.term;
    for (const { entry, image } of outcome.applied) {
      const first = this.appliedHash[entry.index] === undefined;
      this.checkHash(host, entry.index, image.hashHigh, image.hashLow);
      this.recordCommitted(entry, term);
      if (first && entry.type === 'normal' && entry.data.byteLength > 0) this.writeIndexes.push(entry.index);
      if (entry.index > this.maxApplied) this.maxApplied = entry.index;
    }
    this.serveReads(host);
  }

  private checkHash(host: RaftHost, index: number, high: number, low: number): void {
    const hash = `${high}:${low}`;
    const known = this.appliedHash[index];
    if (known === undefined) this.appliedHash[index] = hash;
    else if (known !== hash) {
      throw new SafetyViolation('state machine safety', `node ${host.id} applied a different history up to index ${index}`);
    }
  }

  /** A read-index request was issued on `host` with `context`. */
  readIssued(host: RaftHost, context: string): void {
    let reads = this.pendingReads.get(host.id);
    if (reads === undefined) {
      reads = [];
      this.pendingReads.set(host.id, reads);
    }
    // Requests never answered (lost, dropped by a leader change) are forgotten after a while.
    if (reads.length >= MAX_PENDING_READS_PER_NODE) reads.shift();
    reads.push({ context, commitAtIssue: this.maxCommit, readIndex: 0 });
  }

  /** Read states a node's Ready handed out. */
  onReadStates(host: RaftHost, readStates: readonly ReadState[]): void {
    const reads = this.pendingReads.get(host.id) ?? [];
    for (const readState of readStates) {
      let context = '';
      for (let i = 0; i < readState.context.byteLength; i++) context += String.fromCharCode(readState.context[i]!);
      // Requests of a past incarnation were forgotten at the crash: their answers serve nobody.
      const read = reads.find((candidate) => candidate.context === context);
      if (read === undefined) continue;
      this.readsChecked++;
      if (readState.index < read.commitAtIssue) {
        throw new SafetyViolation(
          'linearizable read',
          `node ${host.id} got read index ${readState.index} for ${context}, but ${read.commitAtIssue} was committed when it was issued`,
        );
      }
      read.readIndex = Math.max(read.readIndex, readState.index);
    }
    this.serveReads(host);
  }

  /** Serves every read whose index the node has applied: the register must be fresh enough. */
  private serveReads(host: RaftHost): void {
    const reads = this.pendingReads.get(host.id);
    if (reads === undefined || reads.length === 0) return;
    const applied = host.image.index;
    const remaining: PendingRead[] = [];
    for (const read of reads) {
      if (read.readIndex === 0 || read.readIndex > applied) {
        remaining.push(read);
        continue;
      }
      const latestWrite = this.latestWriteAtOrBelow(read.commitAtIssue);
      if (host.image.valueIndex < latestWrite) {
        throw new SafetyViolation(
          'linearizable read',
          `node ${host.id} served ${read.context} with the write at ${host.image.valueIndex}, but the write at ${latestWrite} was committed before the request`,
        );
      }
      this.readsServed++;
    }
    this.pendingReads.set(host.id, remaining);
  }

  private latestWriteAtOrBelow(index: number): number {
    const writes = this.writeIndexes;
    let low = 0;
    let high = writes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (writes[middle]! <= index) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? 0 : writes[low - 1]!;
  }

  /** The hash recorded at an index, for the final convergence check. */
  hashAt(index: number): string | undefined {
    return this.appliedHash[index];
  }
}
