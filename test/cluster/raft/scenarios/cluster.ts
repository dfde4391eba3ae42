// The interpreter behind the scenario files: a group of RaftHosts on a deterministic network, driven
// one command at a time, each command returning the lines it prints. runner.ts compares those lines
// with the expected output written in the file.
//
// Determinism: nodes are processed in id order, messages are delivered in the order they were sent,
// each node's election jitter comes from a SeededRandom seeded by its id and incarnation. The same
// file therefore always prints the same output, and a change in Raft's behaviour shows as a diff.
//
// Commands (arguments are space-separated; lists are written `(1,2,3)` without spaces):
//   add-nodes N [voters=(..)] [learners=(..)] [index=K] [option=value ...]
//       N new nodes with the next ids. With voters, they bootstrap that configuration (at snapshot
//       index K, term 1, when index is given); without, they start from the group's first bootstrap
//       state, as a replica joining by a membership change does. Options: pre-vote, check-quorum
//       (true|false), read-only (safe|lease-based), election-tick, heartbeat-tick, max-size-per-msg,
//       max-inflight, max-uncommitted-size, disable-forwarding.
//   campaign ID | propose ID DATA | read-index ID CTX | transfer-leader FROM TO
//   propose-conf-change ID [transition=auto|joint|explicit] [vN lN rN ...]   (no change: leave joint)
//   tick ID [N] | tick-all [N]          ticks only; nothing is processed or delivered
//   process-ready [ID ...]              handle one Ready per node: persist, apply, queue its messages
//   deliver                             deliver every queued message once, printing each
//   stabilize                           process-ready and deliver until nothing moves
//   partition A.. | B.. [| C..]         cut every link between the groups, both ways
//   drop FROM TO                        cut the link FROM→TO (one way)
//   heal                                restore every link
//   crash ID | restart ID               lose everything unpersisted | start again from the disk
//   compact ID INDEX                    snapshot at INDEX (applied) and discard the log up to it
//   status ID | log ID | raft-state
//
// Output of process-ready for node N, in this order: `N: state <role> term= vote= lead=` when role,
// leader, term or vote changed; `N: persist snapshot=…`; `N: persist [entries]`; `N: commit=C`;
// `N: apply [entries]` and `N: config …` after a membership change; `N: read-state ctx= index=`.
// Delivered messages print as format.ts renders them, with ` DROPPED (why)` or ` (ignored: why)`.

import { ProposalDroppedError, RaftError, StepRejectedError } from '../../../../cluster/raft/errors.js';
import { MemoryLogStorage } from '../../../../cluster/raft/storage.js';
import {
  type ConfChangeSingle,
  type ConfChangeTransition,
  EMPTY_CONF_STATE,
  type Message,
  NO_NODE,
  type NodeId,
  nodeId,
  type Role,
} from '../../../../cluster/raft/types.js';
import { SeededRandom } from '../../../../storage/env/random.js';
import * as format from '../sim/format.js';
import { encodeImage, EMPTY_IMAGE, type HostConfig, RaftHost } from '../sim/host.js';

const encoder = new TextEncoder();

/** A malformed command in a scenario file (an unknown name, a missing argument, an unknown node). */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

interface Bootstrap {
  readonly voters: readonly number[];
  readonly learners: readonly number[];
  readonly index: number;
}

/** The state line of a node last printed, so only changes print. */
interface PrintedState {
  role: Role;
  term: number;
  vote: number;
  lead: number;
  commit: number;
}

export class ScenarioCluster {
  private readonly hosts = new Map<NodeId, RaftHost>();
  private readonly printed = new Map<NodeId, PrintedState>();
  private queue: Message[] = [];
  private readonly cut = new Set<string>();
  private bootstrap: Bootstrap | undefined;
  private config: HostConfig = {};

  /** Runs one command line and returns what it prints ("ok" when it prints nothing). */
  run(line: string): string[] {
    const [name, ...args] = line.trim().split(/\s+/);
    const out: string[] = [];
    switch (name) {
      case 'add-nodes':
        this.addNodes(args, out);
        break;
      case 'campaign':
        this.request(out, () => this.host(args[0]).node.campaign());
        break;
      case 'propose':
        this.request(out, () => this.host(args[0]).node.propose(encoder.encode(this.arg(args, 1, 'DATA'))));
        break;
      case 'propose-conf-change':
        this.proposeConfChange(args, out);
        break;
      case 'transfer-leader':
        this.request(out, () => this.host(args[0]).node.transferLeader(this.id(args[1])));
        break;
      case 'read-index':
        this.request(out, () => this.host(args[0]).node.readIndex(encoder.encode(this.arg(args, 1, 'CTX'))));
        break;
      case 'tick':
        this.tick(this.host(args[0]), this.count(args[1]));
        break;
      case 'tick-all':
        for (const host of this.upHosts()) this.tick(host, this.count(args[0]));
        break;
      case 'process-ready':
        this.processReady(args.length === 0 ? this.upHosts() : args.map((arg) => this.host(arg)), out);
        break;
      case 'deliver':
        this.deliver(out);
        break;
      case 'stabilize':
        this.stabilize(out);
        break;
      case 'partition':
        this.partition(args);
        break;
      case 'drop':
        this.cut.add(`${this.id(args[0])}>${this.id(args[1])}`);
        break;
      case 'heal':
        this.cut.clear();
        break;
      case 'crash':
        this.host(args[0]).crash();
        break;
      case 'restart': {
        const host = this.host(args[0]);
        host.restart();
        this.printed.delete(host.id);
        out.push(this.stateLine(host));
        break;
      }
      case 'compact':
        this.host(args[0]).compact(this.count(args[1]));
        break;
      case 'status':
        this.status(this.host(args[0]), out);
        break;
      case 'log':
        this.log(this.host(args[0]), out);
        break;
      case 'raft-state':
        for (const host of this.allHosts()) out.push(this.stateLine(host));
        break;
      default:
        throw new ScenarioError(`unknown command '${name}'`);
    }
    return out.length === 0 ? ['ok'] : out;
  }

  // ---- arguments -------------------------------------------------------------------------------

  private arg(args: readonly string[], position: number, what: string): string {
    const value = args[position];
    if (value === undefined) throw new ScenarioError(`missing ${what}`);
    return value;
  }

  private id(value: string | undefined): NodeId {
    const parsed = Number(value);
    if (value === undefined || !Number.isSafeInteger(parsed) || parsed <= 0) throw new ScenarioError(`bad node id '${value}'`);
    return nodeId(parsed);
  }

  private count(value: string | undefined): number {
    if (value === undefined) return 1;
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed) || parsed < 0) throw new ScenarioError(`bad count '${value}'`);
    return parsed;
  }

  private list(value: string): number[] {
    const match = /^\((.*)\)$/.exec(value);
    if (match === null) throw new ScenarioError(`bad list '${value}', want (1,2,3)`);
    return match[1] === '' ? [] : match[1]!.split(',').map((part) => this.id(part));
  }

  private host(value: string | undefined): RaftHost {
    const host = this.hosts.get(this.id(value));
    if (host === undefined) throw new ScenarioError(`no node ${value}`);
    return host;
  }

  private allHosts(): RaftHost[] {
    return [...this.hosts.values()].sort((a, b) => a.id - b.id);
  }

  private upHosts(): RaftHost[] {
    return this.allHosts().filter((host) => host.up);
  }

  // ---- commands --------------------------------------------------------------------------------

  private addNodes(args: readonly string[], out: string[]): void {
    const count = this.count(args[0]);
    let voters: number[] | undefined;
    let learners: number[] = [];
    let index = 0;
    const config: { -readonly [K in keyof HostConfig]: HostConfig[K] } = {};
    for (const option of args.slice(1)) {
      const [key, value] = option.split('=') as [string, string | undefined];
      if (value === undefined) throw new ScenarioError(`option '${option}' needs a value`);
      switch (key) {
        case 'voters':
          voters = this.list(value);
          break;
        case 'learners':
          learners = this.list(value);
          break;
        case 'index':
          index = this.count(value);
          break;
        case 'pre-vote':
          config.preVote = value === 'true';
          break;
        case 'check-quorum':
          config.checkQuorum = value === 'true';
          break;
        case 'read-only':
          if (value !== 'safe' && value !== 'lease-based') throw new ScenarioError(`bad read-only '${value}'`);
          config.readOnlyOption = value;
          break;
        case 'election-tick':
          config.electionTick = this.count(value);
          break;
        case 'heartbeat-tick':
          config.heartbeatTick = this.count(value);
          break;
        case 'max-size-per-msg':
          config.maxSizePerMsgBytes = this.count(value);
          break;
        case 'max-inflight':
          config.maxInflightMsgs = this.count(value);
          break;
        case 'max-uncommitted-size':
          config.maxUncommittedEntriesSizeBytes = this.count(value);
          break;
        case 'disable-forwarding':
          config.disableProposalForwarding = value === 'true';
          break;
        default:
          throw new ScenarioError(`unknown option '${key}'`);
      }
    }
    // Options given once hold for every node added later (joining replicas run the same config).
    if (Object.keys(config).length > 0) this.config = { ...this.config, ...config };
    let bootstrap: Bootstrap;
    if (voters !== undefined) {
      bootstrap = { voters, learners, index };
      this.bootstrap ??= bootstrap;
    } else {
      if (this.bootstrap === undefined) throw new ScenarioError('the first add-nodes needs voters=(..)');
      bootstrap = this.bootstrap;
    }
    const firstId = Math.max(0, ...this.hosts.keys()) + 1;
    const added: number[] = [];
    for (let i = 0; i < count; i++) {
      const id = nodeId(firstId + i);
      const host = new RaftHost(id, this.bootstrapStorage(bootstrap), this.config, this.randomFor(id));
      this.hosts.set(id, host);
      added.push(id);
    }
    out.push(`added ${added.join(' ')}: ${format.confState(this.hosts.get(nodeId(firstId))!.confState)} index=${bootstrap.index}`);
  }

  private bootstrapStorage(bootstrap: Bootstrap): MemoryLogStorage {
    const storage = MemoryLogStorage.withVoters(bootstrap.voters, bootstrap.learners);
    if (bootstrap.index > 0) {
      // A group that starts from a snapshot (as one split off a bigger range does): its log begins
      // after index K, so a replica joining later must receive a snapshot.
      const confState = { ...EMPTY_CONF_STATE, voters: bootstrap.voters.map(nodeId), learners: bootstrap.learners.map(nodeId) };
      storage.applySnapshot({
        metadata: { index: bootstrap.index, term: 1, confState },
        data: encodeImage({ ...EMPTY_IMAGE, index: bootstrap.index }),
      });
      storage.setHardState({ term: 1, vote: NO_NODE, commit: bootstrap.index });
    }
    return storage;
  }

  private randomFor(id: NodeId): () => SeededRandom {
    let incarnation = 0;
    return () => new SeededRandom(id * 1000 + incarnation++);
  }

  /** Runs a request; a ProposalDroppedError prints as `dropped: reason`. */
  private request(out: string[], action: () => void): void {
    try {
      action();
    } catch (error) {
      if (error instanceof ProposalDroppedError) out.push(`dropped: ${error.message.replace('raft proposal dropped: ', '')}`);
      else throw error;
    }
  }

  private proposeConfChange(args: readonly string[], out: string[]): void {
    const host = this.host(args[0]);
    let transition: ConfChangeTransition = 'auto';
    const changes: ConfChangeSingle[] = [];
    for (const token of args.slice(1)) {
      if (token.startsWith('transition=')) {
        const value = token.slice('transition='.length);
        transition = value === 'joint' ? 'jointImplicit' : value === 'explicit' ? 'jointExplicit' : value === 'auto' ? 'auto' : (() => {
          throw new ScenarioError(`bad transition '${value}'`);
        })();
        continue;
      }
      const match = /^([vlr])(\d+)$/.exec(token);
      if (match === null) throw new ScenarioError(`bad change '${token}', want v4, l5 or r2`);
      const type = match[1] === 'v' ? 'addNode' : match[1] === 'l' ? 'addLearnerNode' : 'removeNode';
      changes.push({ type, nodeId: this.id(match[2]) });
    }
    this.request(out, () => host.node.proposeConfChange({ transition, changes }));
  }

  private tick(host: RaftHost, count: number): void {
    for (let i = 0; i < count; i++) host.node.tick();
  }

  private partition(args: readonly string[]): void {
    const groups: NodeId[][] = [[]];
    for (const token of args) {
      if (token === '|') groups.push([]);
      else groups[groups.length - 1]!.push(this.id(token));
    }
    if (groups.length < 2 || groups.some((group) => group.length === 0)) throw new ScenarioError('want partition A.. | B..');
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const a of groups[i]!) for (const b of groups[j]!) this.cut.add(`${a}>${b}`);
      }
    }
  }

  /** Handles one Ready per host; returns whether any host had one. */
  private processReady(hosts: readonly RaftHost[], out: string[]): boolean {
    let moved = false;
    for (const host of hosts) {
      if (!host.up || host.takeReady() === undefined) continue;
      moved = true;
      const { outcome, messages, readStates } = host.completeReady();
      const { ready } = outcome;
      const previous = this.printed.get(host.id) ?? this.printedFromDisk(host);
      const state = {
        role: ready.softState?.role ?? previous.role,
        term: ready.hardState?.term ?? previous.term,
        vote: ready.hardState?.vote ?? previous.vote,
        lead: ready.softState?.lead ?? previous.lead,
        commit: ready.hardState?.commit ?? previous.commit,
      };
      const id = host.id;
      if (state.role !== previous.role || state.term !== previous.term || state.vote !== previous.vote || state.lead !== previous.lead) {
        out.push(`${id}: state ${state.role} term=${state.term} vote=${state.vote} lead=${state.lead}`);
      }
      if (ready.snapshot !== undefined) out.push(`${id}: persist snapshot=${format.snapshot(ready.snapshot)}`);
      if (ready.entries.length > 0) out.push(`${id}: persist ${format.entries(ready.entries)}`);
      if (state.commit !== previous.commit) out.push(`${id}: commit=${state.commit}`);
      const appliedEntries = outcome.applied.map((applied) => applied.entry);
      if (appliedEntries.length > 0) out.push(`${id}: apply ${format.entries(appliedEntries)}`);
      for (const applied of outcome.applied) {
        if (applied.confState !== undefined) out.push(`${id}: config ${format.confState(applied.confState)}`);
      }
      for (const readState of readStates) {
        out.push(`${id}: read-state ctx=${format.context(readState.context)} index=${readState.index} value=${this.valueAt(host, readState.index)}`);
      }
      this.printed.set(id, state);
      for (const message of messages) this.queue.push(message);
    }
    return moved;
  }

  /** The register's value once `index` is applied, if it already is (a read served at that point). */
  private valueAt(host: RaftHost, index: number): string {
    if (host.image.index < index) return `(not applied: at ${host.image.index})`;
    return host.image.value === '' ? '(empty)' : host.image.value;
  }

  private printedFromDisk(host: RaftHost): PrintedState {
    const hardState = host.disk.initialState().hardState;
    return { role: 'follower', term: hardState.term, vote: hardState.vote, lead: 0, commit: hardState.commit };
  }

  /** Delivers every message queued now; those sent in reply wait for the next call. */
  private deliver(out: string[]): boolean {
    const batch = this.queue;
    this.queue = [];
    for (const message of batch) {
      const line = format.message(message);
      const target = this.hosts.get(message.to);
      const why = target === undefined ? 'no such node' : !target.up ? 'down' : this.cut.has(`${message.from}>${message.to}`) ? 'cut' : undefined;
      if (why !== undefined) {
        out.push(`${line} DROPPED (${why})`);
        if (message.type === 'snap') this.reportSnapshot(message, 'failed', out);
        continue;
      }
      try {
        target!.node.step(message);
        out.push(line);
      } catch (error) {
        if (!(error instanceof StepRejectedError || error instanceof ProposalDroppedError)) throw error;
        out.push(`${line} (ignored: ${(error as RaftError).message.replace(/^raft [a-z ]+: /, '')})`);
      }
      if (message.type === 'snap') this.reportSnapshot(message, 'finished', out);
    }
    return batch.length > 0;
  }

  /** The transport tells the sender how sending a snapshot ended, as a real one does. */
  private reportSnapshot(message: Message, outcome: 'finished' | 'failed', out: string[]): void {
    const sender = this.hosts.get(message.from);
    if (sender === undefined || !sender.up) return;
    sender.node.reportSnapshot(message.to, outcome);
    out.push(`${message.from}: snapshot to ${message.to} ${outcome}`);
  }

  private stabilize(out: string[]): void {
    for (let round = 0; round < 1000; round++) {
      const moved = this.processReady(this.upHosts(), out);
      const delivered = this.deliver(out);
      if (!moved && !delivered) return;
    }
    throw new ScenarioError('stabilize: still moving after 1000 rounds');
  }

  private stateLine(host: RaftHost): string {
    if (!host.up) {
      const hardState = host.disk.initialState().hardState;
      return `${host.id}: down (disk term=${hardState.term} vote=${hardState.vote} commit=${hardState.commit} last=${host.disk.lastIndex()})`;
    }
    const status = host.node.status();
    return (
      `${host.id}: ${status.softState.role} term=${status.hardState.term} lead=${status.softState.lead} ` +
      `commit=${status.hardState.commit} applied=${host.image.index}`
    );
  }

  private status(host: RaftHost, out: string[]): void {
    const status = host.node.status();
    out.push(
      `${host.id}: ${status.softState.role} term=${status.hardState.term} vote=${status.hardState.vote} lead=${status.softState.lead} ` +
        `commit=${status.hardState.commit} applied=${status.applied} last=${status.lastIndex} ${format.confState(status.config)}` +
        (status.leadTransferee !== 0 ? ` transferee=${status.leadTransferee}` : ''),
    );
    if (status.progress === undefined) return;
    for (const [peer, progress] of status.progress) {
      if (peer === host.id) continue;
      out.push(
        `  ${peer}: ${progress.state} match=${progress.match} next=${progress.next}` +
          `${progress.isLearner ? ' learner' : ''}${progress.recentActive ? ' active' : ''} inflight=${progress.inflightMsgs}`,
      );
    }
  }

  private log(host: RaftHost, out: string[]): void {
    const snapshot = host.disk.snapshot().metadata;
    out.push(`${host.id}: snapshot=${snapshot.index}/${snapshot.term} first=${host.disk.firstIndex()} last=${host.disk.lastIndex()}`);
    for (const entry of host.diskEntries()) out.push(`  ${format.entry(entry)}`);
  }
}
