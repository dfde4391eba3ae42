// A deterministic simulation of one Raft group of 3 or 5 nodes under faults, driven by one seed, with
// the safety checker run after every step and a liveness check once the faults stop.
//
// Time is virtual: the run is a sequence of ticks. At each tick every running node ticks, clients
// propose and read, faults may be injected (chaos phase), and then the simulator takes micro-steps in a
// random order until the group is quiet (or a budget per tick is spent): deliver one message, take a
// node's Ready, or complete a Ready taken earlier (persist, send, apply, advance — so a node may step
// messages while its write is "in flight", and a crash loses that write). Everything random comes from
// one SeededRandom, so a seed replays exactly.
//
// Faults of the chaos phase: message loss, duplication, delay and reordering (network.ts); symmetric
// partitions and one-way link cuts; crashes (losing all unpersisted state, also between taking and
// completing a Ready) and restarts from disk; membership changes (learners added and promoted, voters
// added, removed and replaced, joint changes with automatic and explicit leaving, removed nodes shut
// down some time after their removal commits); leadership transfers; log compaction. Client proposals
// and read-index requests run all along.
//
// Liveness: after the chaos phase every fault is healed (links, loss, crashed nodes restarted), and the
// group must elect a leader and apply a new proposal on every member of its configuration within
// livenessTicksMax ticks. Safety (checker.ts) is checked throughout.
//
// A failure throws SimulationFailure with the seed, the step, the reason and the last events.

import { ProposalDroppedError, StepRejectedError } from '../../../../cluster/raft/errors.js';
import { MemoryLogStorage } from '../../../../cluster/raft/storage.js';
import { type ConfState, type Message, type NodeId, nodeId } from '../../../../cluster/raft/types.js';
import { SeededRandom } from '../../../../storage/env/random.js';
import { SafetyChecker } from './checker.js';
import * as format from './format.js';
import { RaftHost, type ReadyOutcome } from './host.js';
import { describeKnobs, drawKnobs, type Knobs } from './knobs.js';
import { isMember, members, pickConfChange } from './membership.js';
import { NO_FAULTS, SimNetwork } from './network.js';
import { Trace } from './trace.js';

export interface SimulationOptions {
  /** Ticks of faults before healing. */
  readonly chaosTicks?: number;
  /** Ticks allowed after healing for a leader to be elected and a new proposal applied everywhere. */
  readonly livenessTicksMax?: number;
  /** Receives every trace line as it happens (for replaying one seed). */
  readonly traceSink?: (line: string) => void;
}

export interface SimulationResult {
  readonly seed: number;
  readonly nodes: number;
  readonly description: string;
  readonly steps: number;
  readonly ticks: number;
  /** Ticks from healing to liveness. */
  readonly livenessTicks: number;
  readonly committed: number;
  readonly leaders: number;
  readonly crashes: number;
  readonly confChanges: number;
  readonly readsChecked: number;
  readonly snapshotsSent: number;
}

export class SimulationFailure extends Error {
  readonly seed: number;
  readonly step: number;
  /** The run's knobs (group size, Raft options, fault rates). */
  readonly description: string;
  readonly traceTail: readonly string[];
  constructor(seed: number, step: number, tick: number, reason: string, description: string, traceTail: readonly string[]) {
    super(`seed ${seed}: ${reason} (step ${step}, tick ${tick})`);
    this.name = 'SimulationFailure';
    this.seed = seed;
    this.step = step;
    this.description = description;
    this.traceTail = traceTail;
  }
}

const encoder = new TextEncoder();
/** Micro-steps per tick per node before the rest waits for the next tick (bounds message storms). */
const MICRO_STEPS_PER_NODE = 60;

class Simulation {
  private readonly seed: number;
  private readonly random: SeededRandom;
  private readonly knobs: Knobs;
  private readonly nodeCount: number;
  private readonly hosts = new Map<NodeId, RaftHost>();
  /** Hosts in id order, for deterministic iteration. */
  private hostList: RaftHost[] = [];
  /** Removed from the group and shut down for good. */
  private readonly decommissioned = new Set<NodeId>();
  /** Nodes that were in some applied configuration (only those are shut down once removed). */
  private readonly everMember = new Set<NodeId>();
  private readonly network: SimNetwork;
  private readonly checker: SafetyChecker;
  private readonly trace: Trace;
  private readonly bootstrapVoters: readonly number[];
  /** The configuration at the highest applied index anywhere: the group's latest committed one. */
  private latestConfig: ConfState;
  private latestConfigIndex = 0;
  private nextNodeId: number;
  private chaos = true;
  private proposalSeq = 0;
  private readSeq = 0;
  private markerIndex = 0;
  private crashes = 0;
  private confChanges = 0;
  private snapshotsSent = 0;
  /** Which incarnation of its sender each in-flight message came from (snapshot reports go to it). */
  private readonly senderIncarnation = new WeakMap<Message, number>();

  constructor(seed: number, traceSink: ((line: string) => void) | undefined) {
    this.seed = seed;
    this.random = new SeededRandom(seed);
    this.nodeCount = this.random.chance(0.5) ? 3 : 5;
    this.knobs = drawKnobs(this.random);
    this.network = new SimNetwork(this.random.fork());
    this.network.faults = this.knobs.faults;
    this.trace = new Trace(120, traceSink);
    this.checker = new SafetyChecker((id) => this.hosts.get(id));
    this.bootstrapVoters = Array.from({ length: this.nodeCount }, (_, i) => i + 1);
    this.nextNodeId = this.nodeCount + 1;
    for (const id of this.bootstrapVoters) this.addHost(nodeId(id));
    this.latestConfig = this.hostList[0]!.confState;
    for (const id of this.bootstrapVoters) this.everMember.add(nodeId(id));
  }

  get description(): string {
    return describeKnobs(this.nodeCount, this.knobs);
  }

  private addHost(id: NodeId): RaftHost {
    // A replica joining later starts from the group's bootstrap state; replaying the log from index 1
    // (or a snapshot) brings it to the current configuration. Nodes build a snapshot when Raft asks
    // for one, as a real store does: a stored snapshot may predate a new member, and a leader waits
    // for a newer one rather than send it (a group that cannot commit without that member would
    // otherwise wait forever: seeds 93791984 and 93791998 did, when snapshots came only from compaction).
    const storage = MemoryLogStorage.withVoters(this.bootstrapVoters);
    const host = new RaftHost(id, storage, this.knobs.config, () => this.random.fork(), true);
    this.hosts.set(id, host);
    this.hostList = [...this.hosts.values()].sort((a, b) => a.id - b.id);
    return host;
  }

  private fail(reason: string): never {
    throw new SimulationFailure(this.seed, this.trace.step, this.trace.tick, reason, this.description, this.trace.tail());
  }

  // ---- the run ---------------------------------------------------------------------------------

  run(chaosTicks: number, livenessTicksMax: number): SimulationResult {
    this.trace.note(this.description);
    for (let i = 0; i < chaosTicks; i++) this.tickOnce();
    this.healEverything();
    const healedAt = this.trace.tick;
    let livenessTicks = -1;
    for (let i = 1; i <= livenessTicksMax; i++) {
      this.tickOnce();
      if (this.livenessReached()) {
        livenessTicks = i;
        break;
      }
    }
    if (livenessTicks < 0) this.fail(`liveness: no leader applied a new proposal on every member within ${livenessTicksMax} ticks of healing at tick ${healedAt}; ${this.describeState()}`);
    return {
      seed: this.seed,
      nodes: this.nodeCount,
      description: this.description,
      steps: this.trace.step,
      ticks: this.trace.tick,
      livenessTicks,
      committed: this.checker.maxCommit,
      leaders: this.checker.leadersSeen,
      crashes: this.crashes,
      confChanges: this.confChanges,
      readsChecked: this.checker.readsChecked,
      snapshotsSent: this.snapshotsSent,
    };
  }

  private describeState(): string {
    const nodes = this.hostList.map((host) => {
      if (!host.up) return `n${host.id} ${this.decommissioned.has(host.id) ? 'removed' : 'down'}`;
      const status = host.node.status();
      let progress = '';
      for (const [peer, p] of status.progress ?? []) {
        progress += ` [${peer}: ${p.state} match=${p.match} next=${p.next}${p.recentActive ? ' active' : ''} inflight=${p.inflightMsgs}]`;
      }
      return (
        `n${host.id} ${status.softState.role} term=${status.hardState.term} lead=${status.softState.lead} commit=${status.hardState.commit} ` +
        `applied=${host.image.index} first=${host.disk.firstIndex()} last=${status.lastIndex} ${format.confState(status.config)}${progress}`
      );
    });
    return `config ${format.confState(this.latestConfig)} at ${this.latestConfigIndex}; marker at ${this.markerIndex}; ${nodes.join('; ')}`;
  }

  private tickOnce(): void {
    this.trace.tick++;
    if (this.chaos) this.injectFaults();
    else this.healingDuties();
    for (const host of this.shuffledUpHosts()) {
      this.trace.step++;
      host.node.tick();
      this.observe(host);
    }
    this.clientRequests();
    this.microSteps(MICRO_STEPS_PER_NODE * this.hosts.size);
  }

  private shuffledUpHosts(): RaftHost[] {
    const up = this.hostList.filter((host) => host.up);
    for (let i = up.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      [up[i], up[j]] = [up[j]!, up[i]!];
    }
    return up;
  }

  private upMembers(): RaftHost[] {
    return this.hostList.filter((host) => host.up && isMember(this.latestConfig, host.id));
  }

  private observe(host: RaftHost): void {
    try {
      this.checker.observe(host);
    } catch (error) {
      this.rethrow(error);
    }
  }

  private rethrow(error: unknown): never {
    if (error instanceof SimulationFailure) throw error;
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.fail(text);
  }

  // ---- micro-steps: deliveries and Readies ------------------------------------------------------

  private microSteps(budget: number): void {
    const candidates: (RaftHost | 'deliver')[] = [];
    let midExchangeRequests = 0;
    for (let i = 0; i < budget; i++) {
      candidates.length = 0;
      if (this.network.hasDeliverable(this.trace.tick)) candidates.push('deliver', 'deliver');
      for (const host of this.hostList) {
        if (!host.up) continue;
        if (host.inflight !== undefined || host.node.hasReady()) candidates.push(host);
      }
      if (candidates.length === 0) return;
      const choice = this.random.pick(candidates);
      this.trace.step++;
      try {
        if (choice === 'deliver') this.deliverOne();
        else if (choice.inflight !== undefined) this.completeReady(choice);
        else this.takeReady(choice);
        // A crash in the middle of an exchange, possibly between taking and completing a Ready.
        if (this.chaos && this.knobs.crashRate > 0 && this.random.chance(this.knobs.crashRate / 20)) this.crashSomeone();
        // Clients do not wait for the group to be quiet: requests land in the middle of exchanges too
        // (a few per tick, so that the load stays one the group can carry).
        if (midExchangeRequests < 2 && this.knobs.midExchangeRequestRate > 0 && this.random.chance(this.knobs.midExchangeRequestRate)) {
          midExchangeRequests++;
          if (this.random.chance(0.5)) this.clientRead();
          else this.clientPropose(1);
        }
      } catch (error) {
        this.rethrow(error);
      }
    }
  }

  private takeReady(host: RaftHost): void {
    if (host.takeReady() === undefined) return;
    if (!this.random.chance(this.knobs.asyncReadyRate)) this.completeReady(host);
  }

  private completeReady(host: RaftHost): void {
    const incarnation = host.incarnation;
    const { outcome, messages, readStates } = host.completeReady();
    this.trace.ready(host.id, outcome);
    const lostSnapshots: Message[] = [];
    this.checker.afterPersist(host, outcome);
    for (const message of messages) {
      this.senderIncarnation.set(message, incarnation);
      const sent = this.network.send(message, this.trace.tick);
      if (!sent) this.trace.delivery(message, 'lost');
      if (message.type !== 'snap') continue;
      this.snapshotsSent++;
      // A snapshot travels on a stream whose failure the transport notices and reports.
      if (!sent) lostSnapshots.push(message);
    }
    this.checker.afterApply(host, outcome);
    this.trackConfig(host, outcome);
    this.checker.onReadStates(host, readStates);
    for (const message of lostSnapshots) host.node.reportSnapshot(message.to, 'failed');
    this.observe(host);
  }

  private trackConfig(host: RaftHost, outcome: ReadyOutcome): void {
    const candidates: { index: number; config: ConfState }[] = [];
    if (outcome.installed !== undefined) candidates.push({ index: outcome.installed.index, config: host.confState });
    for (const applied of outcome.applied) {
      if (applied.confState !== undefined) candidates.push({ index: applied.entry.index, config: applied.confState });
      if (this.markerIndex === 0 && !this.chaos && applied.entry.type === 'normal' && applied.entry.data[0] === 76 /* 'L' */) {
        this.markerIndex = applied.entry.index;
      }
    }
    for (const { index, config } of candidates) {
      if (index <= this.latestConfigIndex) continue;
      this.latestConfigIndex = index;
      this.latestConfig = config;
      for (const id of members(config)) {
        this.everMember.add(id);
        // A change proposed before a node's removal may still commit after it and add it back (a
        // forwarded proposal arriving late): its disk is intact, so it starts again.
        if (this.decommissioned.delete(id)) this.restart(this.hosts.get(id)!);
      }
    }
  }

  private deliverOne(): void {
    const item = this.network.takeNext(this.trace.tick);
    if (item === undefined) return;
    const message = item.message;
    const target = this.hosts.get(message.to);
    let dropped: string | undefined;
    if (target === undefined || !target.up) dropped = 'down';
    else if (this.network.verdict(message) === 'cut') dropped = 'cut';
    this.trace.delivery(message, dropped);
    if (dropped === undefined) {
      try {
        target!.node.step(message);
      } catch (error) {
        if (!(error instanceof StepRejectedError || error instanceof ProposalDroppedError)) throw error;
      }
      this.observe(target!);
    }
    // The transport tells the sender how a snapshot went, and that a peer is unreachable.
    const sender = this.hosts.get(message.from);
    if (sender === undefined || !sender.up || sender.incarnation !== this.senderIncarnation.get(message)) return;
    if (message.type === 'snap') sender.node.reportSnapshot(message.to, dropped === undefined ? 'finished' : 'failed');
    else if (dropped !== undefined && this.random.chance(0.2)) sender.node.reportUnreachable(message.to);
    this.observe(sender);
  }

  // ---- clients -----------------------------------------------------------------------------------

  private clientRequests(): void {
    if (this.random.chance(this.knobs.proposeRate)) {
      // Sometimes a burst, which Raft batches into one append per follower.
      this.clientPropose(this.random.chance(0.2) ? this.random.intBetween(2, 6) : 1);
    }
    if (this.random.chance(this.knobs.readRate)) this.clientRead();
  }

  private clientPropose(count: number): void {
    const candidates = this.upMembers();
    if (candidates.length === 0) return;
    const host = this.random.pick(candidates);
    for (let i = 0; i < count; i++) {
      const data = `v${++this.proposalSeq}`;
      this.request(host, `propose ${data}`, () => host.node.propose(encoder.encode(data)));
    }
  }

  private clientRead(): void {
    const candidates = this.upMembers();
    if (candidates.length === 0) return;
    const host = this.random.pick(candidates);
    const context = `r${++this.readSeq}`;
    this.checker.readIssued(host, context);
    this.request(host, `read-index ${context}`, () => host.node.readIndex(encoder.encode(context)));
  }

  /** Runs a request on a node; a dropped request is normal (the client would retry). */
  private request(host: RaftHost, what: string, action: () => void): void {
    this.trace.step++;
    try {
      action();
      this.trace.note(`n${host.id} ${what}`);
    } catch (error) {
      if (!(error instanceof ProposalDroppedError)) this.rethrow(error);
      this.trace.note(`n${host.id} ${what} dropped: ${error.reason}`);
    }
    this.observe(host);
  }

  // ---- faults ------------------------------------------------------------------------------------

  private injectFaults(): void {
    const k = this.knobs;
    const r = this.random;
    if (k.crashRate > 0 && r.chance(k.crashRate)) this.crashSomeone();
    for (const host of this.hostList) {
      if (!host.up && !this.decommissioned.has(host.id) && r.chance(0.08)) this.restart(host);
    }
    if (k.partitionRate > 0 && r.chance(k.partitionRate)) this.partitionSomehow();
    if (this.network.partitioned && r.chance(0.06)) {
      this.network.heal();
      this.trace.note('heal');
    }
    if (k.confChangeRate > 0 && r.chance(k.confChangeRate)) this.proposeConfChange();
    if (k.transferRate > 0 && r.chance(k.transferRate)) this.transferLeadership();
    if (k.compactRate > 0 && r.chance(k.compactRate)) this.compactSomeone();
  }

  /** Leaders are where the interesting failures start: faults aim at them often. */
  private leaders(): RaftHost[] {
    return this.hostList.filter((host) => host.up && host.node.status().softState.role === 'leader');
  }

  private crashSomeone(): void {
    const up = this.hostList.filter((host) => host.up);
    if (up.length === 0) return;
    const leaders = this.random.chance(this.knobs.leaderTargetRate) ? this.leaders() : [];
    const host = this.random.pick(leaders.length > 0 ? leaders : up);
    host.crash();
    this.checker.onCrash(host);
    this.crashes++;
    this.trace.note(`n${host.id} crash`);
  }

  private restart(host: RaftHost): void {
    this.trace.step++;
    host.restart();
    this.checker.onCrash(host);
    this.trace.note(`n${host.id} restart (disk term=${host.disk.initialState().hardState.term} commit=${host.disk.initialState().hardState.commit} last=${host.disk.lastIndex()})`);
    this.observe(host);
  }

  private partitionSomehow(): void {
    const ids = this.hostList.map((host) => host.id);
    if (this.random.chance(0.3)) {
      const from = this.random.pick(ids);
      const to = this.random.pick(ids.filter((id) => id !== from));
      this.network.cutLink(from, to);
      this.trace.note(`cut ${from}>${to}`);
      return;
    }
    const leaders = this.random.chance(this.knobs.leaderTargetRate) ? this.leaders() : [];
    // Either a random split, or a leader cut off with a minority (it may keep a follower or two).
    const side =
      leaders.length > 0
        ? [this.random.pick(leaders).id, ...ids.filter(() => this.random.chance(0.2))].filter((id, i, all) => all.indexOf(id) === i)
        : ids.filter(() => this.random.chance(0.5));
    const other = ids.filter((id) => !side.includes(id));
    if (side.length === 0 || other.length === 0) return;
    this.network.partition(side, other);
    this.trace.note(`partition ${side.join(',')} | ${other.join(',')}`);
  }

  private proposeConfChange(): void {
    const proposers = this.upMembers();
    if (proposers.length === 0) return;
    const proposer = this.random.pick(proposers);
    // The operator's view is the latest committed configuration, so a removed node is never named
    // again (ids are never reused).
    const change = pickConfChange(this.latestConfig, this.random, () => {
      const id = nodeId(this.nextNodeId++);
      this.addHost(id);
      return id;
    });
    if (change === undefined) return;
    this.confChanges++;
    this.request(proposer, `propose-conf-change ${format.confChange(change)}`, () => proposer.node.proposeConfChange(change));
  }

  private transferLeadership(): void {
    const proposers = this.upMembers();
    const voters = [...this.latestConfig.voters];
    if (proposers.length === 0 || voters.length === 0) return;
    const host = this.random.pick(proposers);
    const to = this.random.pick(voters);
    this.request(host, `transfer-leader ${to}`, () => host.node.transferLeader(to));
  }

  private compactSomeone(): void {
    const up = this.hostList.filter((host) => host.up);
    if (up.length === 0) return;
    const host = this.random.pick(up);
    const index = host.image.index;
    if (!host.canCompact(index)) return;
    host.compact(index);
    this.trace.note(`n${host.id} compact ${index}`);
  }

  /**
   * Shuts down, for good, removed nodes that no member still counts on: every member of the latest
   * configuration has applied a configuration without them (a member still joint with a removed node
   * in its outgoing half needs that node's vote to be elected). A real system garbage-collects removed
   * replicas the same way. Done only once the faults stop: until then removed nodes keep running, and
   * keep timing out and campaigning in their stale configuration.
   */
  private decommissionRemoved(): void {
    const memberHosts = members(this.latestConfig).map((id) => this.hosts.get(id)!);
    for (const host of this.hostList) {
      if (this.decommissioned.has(host.id) || !this.everMember.has(host.id) || isMember(this.latestConfig, host.id)) continue;
      if (memberHosts.some((member) => isMember(member.confState, host.id))) continue;
      this.decommissioned.add(host.id);
      if (host.up) {
        host.crash();
        this.checker.onCrash(host);
      }
      this.trace.note(`n${host.id} decommissioned (removed from the group)`);
    }
  }

  // ---- healing and liveness --------------------------------------------------------------------

  private healEverything(): void {
    this.chaos = false;
    this.network.heal();
    this.network.faults = NO_FAULTS;
    this.decommissionRemoved();
    for (const host of this.hostList) if (!host.up && !this.decommissioned.has(host.id)) this.restart(host);
    this.trace.note('healed: no more faults');
  }

  private healingDuties(): void {
    this.decommissionRemoved();
    // Compaction is routine, not a fault: it goes on (and makes the fresh snapshots new members need).
    if (this.random.chance(0.05)) this.compactSomeone();
    const tick = this.trace.tick;
    // The application leaves an explicit joint configuration.
    const candidates = this.upMembers();
    if (candidates.length === 0) return;
    if (tick % 5 === 0 && this.latestConfig.votersOutgoing.length > 0 && !this.latestConfig.autoLeave) {
      const host = this.random.pick(candidates);
      const leave = { transition: 'auto', changes: [] } as const;
      this.request(host, 'propose-conf-change leave', () => host.node.proposeConfChange(leave));
    }
    // A new proposal to prove the group is live, retried (proposals may be dropped).
    if (this.markerIndex === 0 && tick % 3 === 0) {
      const host = this.random.pick(candidates);
      const data = `L${tick}`;
      this.request(host, `propose ${data}`, () => host.node.propose(encoder.encode(data)));
    }
  }

  private livenessReached(): boolean {
    if (this.markerIndex === 0) return false;
    for (const id of members(this.latestConfig)) {
      const host = this.hosts.get(id);
      if (host === undefined || !host.up || host.image.index < this.markerIndex) return false;
    }
    return true;
  }
}

/** Runs one seed. Throws SimulationFailure on any violated property. */
export function runSimulation(seed: number, options: SimulationOptions = {}): SimulationResult {
  const simulation = new Simulation(seed, options.traceSink);
  return simulation.run(options.chaosTicks ?? 200, options.livenessTicksMax ?? 200);
}
