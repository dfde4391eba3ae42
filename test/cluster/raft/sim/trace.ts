// The simulator's trace: what happened at each step, kept in a ring of the last `capacity` events so a
// failure can print the steps that led to it, or streamed whole to a sink when replaying one seed.
//
// Events are stored raw (the message, the Ready outcome) and rendered only when printed, because a
// run records hundreds of thousands of them and prints a few dozen at most.
//
// Invariant: the ring holds the most recent events in order; rendering never changes the run.

import type { Message } from '../../../../cluster/raft/types.js';
import * as format from './format.js';
import type { ReadyOutcome } from './host.js';

interface TraceEvent {
  step: number;
  tick: number;
  text: string | undefined;
  message: Message | undefined;
  outcome: ReadyOutcome | undefined;
  node: number;
}

function renderOutcome(node: number, outcome: ReadyOutcome): string {
  const { ready } = outcome;
  const parts: string[] = [`n${node} ready`];
  if (ready.softState !== undefined) parts.push(`${ready.softState.role} lead=${ready.softState.lead}`);
  if (ready.hardState !== undefined) parts.push(`term=${ready.hardState.term} vote=${ready.hardState.vote} commit=${ready.hardState.commit}`);
  if (ready.snapshot !== undefined) parts.push(`snapshot=${format.snapshot(ready.snapshot)}`);
  if (ready.entries.length > 0) parts.push(`persist ${format.entries(ready.entries)}`);
  if (outcome.applied.length > 0) parts.push(`apply ${outcome.applied[0]!.entry.index}..${outcome.applied[outcome.applied.length - 1]!.entry.index}`);
  for (const applied of outcome.applied) if (applied.confState !== undefined) parts.push(`config ${format.confState(applied.confState)}`);
  if (ready.readStates.length > 0) parts.push(`reads ${ready.readStates.map((rs) => `${format.context(rs.context)}@${rs.index}`).join(' ')}`);
  if (ready.messages.length > 0) parts.push(`send ${ready.messages.length}`);
  return parts.join(' ');
}

export class Trace {
  private readonly ring: TraceEvent[];
  private next = 0;
  private size = 0;
  private readonly sink: ((line: string) => void) | undefined;
  step = 0;
  tick = 0;

  constructor(capacity: number, sink?: (line: string) => void) {
    this.ring = Array.from({ length: capacity }, () => ({ step: 0, tick: 0, text: undefined, message: undefined, outcome: undefined, node: 0 }));
    this.sink = sink;
  }

  private push(text: string | undefined, message: Message | undefined, outcome: ReadyOutcome | undefined, node: number): void {
    const event = this.ring[this.next]!;
    event.step = this.step;
    event.tick = this.tick;
    event.text = text;
    event.message = message;
    event.outcome = outcome;
    event.node = node;
    this.next = (this.next + 1) % this.ring.length;
    if (this.size < this.ring.length) this.size++;
    if (this.sink !== undefined) this.sink(render(event));
  }

  note(text: string): void {
    this.push(text, undefined, undefined, 0);
  }

  /** A message delivered, or dropped with `verdict` saying why. */
  delivery(message: Message, verdict: string | undefined): void {
    this.push(verdict, message, undefined, 0);
  }

  ready(node: number, outcome: ReadyOutcome): void {
    this.push(undefined, undefined, outcome, node);
  }

  /** The last events, oldest first, one line each. */
  tail(): string[] {
    const lines: string[] = [];
    for (let i = 0; i < this.size; i++) {
      const index = (this.next - this.size + i + this.ring.length) % this.ring.length;
      lines.push(render(this.ring[index]!));
    }
    return lines;
  }
}

function render(event: TraceEvent): string {
  const head = `#${event.step} t${event.tick}`;
  if (event.message !== undefined) {
    return `${head} ${format.message(event.message)}${event.text === undefined ? '' : ` DROPPED (${event.text})`}`;
  }
  if (event.outcome !== undefined) return `${head} ${renderOutcome(event.node, event.outcome)}`;
  return `${head} ${event.text ?? ''}`;
}
