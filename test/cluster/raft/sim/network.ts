// The simulator's network: a seeded queue of messages in flight between Raft peers, with loss,
// duplication, delay (in ticks of virtual time), reordering, and partitions both symmetric and one-way.
//
// A message is sent at some tick and becomes deliverable at sendTick + delay. Which deliverable message
// goes next is the simulator's choice (usually the oldest, sometimes any: reordering). Partitions are
// checked at delivery, so a message sent before a partition and delivered after it is lost, as on a
// real network; a message sent before the partition healed but delivered after is not.
//
// Invariants: every random choice comes from the Random handed in (a run replays exactly from its
// seed); the queue is bounded (maxInFlight), beyond which new messages are dropped as a congested
// network drops them; a message is delivered at most once per copy (duplication makes copies).

import type { Message } from '../../../../cluster/raft/types.js';
import type { Random } from '../../../../storage/env/random.js';

export interface NetworkFaults {
  /** Probability that a message sent is lost. */
  lossRate: number;
  /** Probability that a message sent is delivered twice (the copy with its own delay). */
  duplicateRate: number;
  /** Probability that a message is delayed at all, and the largest delay, in ticks. */
  delayRate: number;
  delayTicksMax: number;
  /** Probability that the next delivery picks any deliverable message rather than the oldest. */
  reorderRate: number;
}

export const NO_FAULTS: NetworkFaults = Object.freeze({ lossRate: 0, duplicateRate: 0, delayRate: 0, delayTicksMax: 0, reorderRate: 0 });

export interface InFlight {
  readonly message: Message;
  readonly deliverAtTick: number;
}

export type DeliveryVerdict = 'deliver' | 'cut';

export class SimNetwork {
  private queue: InFlight[] = [];
  /** Directed links that drop everything: `${from}>${to}`. */
  private readonly cuts = new Set<string>();
  faults: NetworkFaults = NO_FAULTS;
  private readonly random: Random;
  private readonly maxInFlight: number;
  /** Counters for the run's summary. */
  sent = 0;
  lost = 0;
  duplicated = 0;

  constructor(random: Random, maxInFlight = 10_000) {
    this.random = random;
    this.maxInFlight = maxInFlight;
  }

  get inFlightCount(): number {
    return this.queue.length;
  }

  /** Sends a message; returns false when it was lost on the way (the sender is not told). */
  send(message: Message, nowTick: number): boolean {
    this.sent++;
    const faults = this.faults;
    if (faults.lossRate > 0 && this.random.chance(faults.lossRate)) {
      this.lost++;
      return false;
    }
    if (!this.enqueue(message, nowTick)) return false;
    if (faults.duplicateRate > 0 && this.random.chance(faults.duplicateRate)) {
      this.duplicated++;
      this.enqueue(message, nowTick);
    }
    return true;
  }

  private enqueue(message: Message, nowTick: number): boolean {
    if (this.queue.length >= this.maxInFlight) {
      this.lost++;
      return false;
    }
    const faults = this.faults;
    const delay = faults.delayRate > 0 && this.random.chance(faults.delayRate) ? this.random.intBetween(1, faults.delayTicksMax) : 0;
    this.queue.push({ message, deliverAtTick: nowTick + delay });
    return true;
  }

  hasDeliverable(nowTick: number): boolean {
    for (const item of this.queue) if (item.deliverAtTick <= nowTick) return true;
    return false;
  }

  /** Removes and returns the next message to deliver now (the oldest, or any when reordering). */
  takeNext(nowTick: number): InFlight | undefined {
    let first = -1;
    let count = 0;
    for (let i = 0; i < this.queue.length; i++) {
      if (this.queue[i]!.deliverAtTick > nowTick) continue;
      if (first < 0) first = i;
      count++;
    }
    if (first < 0) return undefined;
    let chosen = first;
    if (count > 1 && this.faults.reorderRate > 0 && this.random.chance(this.faults.reorderRate)) {
      let skip = this.random.int(count);
      for (let i = first; i < this.queue.length; i++) {
        if (this.queue[i]!.deliverAtTick > nowTick) continue;
        if (skip-- === 0) {
          chosen = i;
          break;
        }
      }
    }
    const [item] = this.queue.splice(chosen, 1);
    return item;
  }

  /** Whether a message may pass now, given the partitions. */
  verdict(message: Message): DeliveryVerdict {
    return this.cuts.has(`${message.from}>${message.to}`) ? 'cut' : 'deliver';
  }

  cutLink(from: number, to: number): void {
    this.cuts.add(`${from}>${to}`);
  }

  /** Cuts every link between the two groups, both ways. */
  partition(groupA: readonly number[], groupB: readonly number[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.cutLink(a, b);
        this.cutLink(b, a);
      }
    }
  }

  get partitioned(): boolean {
    return this.cuts.size > 0;
  }

  describeCuts(): string {
    return [...this.cuts].sort().join(' ');
  }

  heal(): void {
    this.cuts.clear();
  }
}
