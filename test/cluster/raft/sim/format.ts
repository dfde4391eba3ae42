// Compact, stable text for Raft messages, entries, configurations and changes, shared by the scenario
// files (whose expected output is compared byte for byte) and the simulator's failure traces.
//
// Invariants: the rendering of a value depends only on the value (no ids of objects, no timing), every
// field that matters to the protocol is shown, and one value renders on one line with no blank lines,
// so a scenario's expected output is a list of lines and a changed field shows up as a one-line diff.

import { decodeConfChange } from '../../../../cluster/raft/conf-change-codec.js';
import { decodeLeaseTick } from '../../../../cluster/raft/lease.js';
import type { ConfChange, ConfState, Entry, Message, NodeId, Snapshot } from '../../../../cluster/raft/types.js';

const decoder = new TextDecoder();

/** Payload bytes as text (test payloads are short ASCII strings); binary contexts print as text too. */
export function text(data: Uint8Array): string {
  return decoder.decode(data);
}

/**
 * A heartbeat or read context: text when it is printable (read requests in tests), `tick:N` when it
 * is a leader-lease tick (lease-based reads), hex otherwise.
 */
export function context(data: Uint8Array): string {
  let printable = data.byteLength > 0;
  for (const byte of data) if (byte < 0x20 || byte > 0x7e) printable = false;
  if (printable) return text(data);
  const tick = decodeLeaseTick(data);
  if (tick !== undefined) return `tick:${tick}`;
  return `0x${[...data].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** `(1,2,3)`: ids in ascending order, so that the order a set was built in never shows. */
export function ids(values: readonly NodeId[]): string {
  return `(${[...values].sort((a, b) => a - b).join(',')})`;
}

/** `v4 l5 r2`, prefixed with the transition when it is not the default: `joint v4 r1`, `explicit …`. */
export function confChange(change: ConfChange): string {
  if (change.changes.length === 0) return 'leave';
  const parts = change.changes.map((single) => {
    switch (single.type) {
      case 'addNode':
        return `v${single.nodeId}`;
      case 'addLearnerNode':
        return `l${single.nodeId}`;
      case 'removeNode':
        return `r${single.nodeId}`;
    }
  });
  const prefix = change.transition === 'jointImplicit' ? 'joint ' : change.transition === 'jointExplicit' ? 'explicit ' : '';
  return prefix + parts.join(' ');
}

/** `voters=(1,2,3)`, with the outgoing half, learners and staged learners only when present. */
export function confState(state: ConfState): string {
  let out = `voters=${ids(state.voters)}`;
  if (state.votersOutgoing.length > 0) out += `&&${ids(state.votersOutgoing)}`;
  if (state.learners.length > 0) out += ` learners=${ids(state.learners)}`;
  if (state.learnersNext.length > 0) out += ` learners_next=${ids(state.learnersNext)}`;
  if (state.autoLeave) out += ' autoleave';
  return out;
}

/** `3/2` for an empty entry, `3/2:x` for a normal one, `3/2:conf(v4)` for a membership change. */
export function entry(value: Entry): string {
  const head = `${value.index}/${value.term}`;
  if (value.type === 'confChange') return `${head}:conf(${confChange(decodeConfChange(value.data))})`;
  return value.data.byteLength === 0 ? head : `${head}:${text(value.data)}`;
}

export function entries(values: readonly Entry[]): string {
  return `[${values.map(entry).join(' ')}]`;
}

export function snapshot(value: Snapshot): string {
  return `${value.metadata.index}/${value.metadata.term} ${confState(value.metadata.confState)}`;
}

/** One message on one line: `1->2 app term=1 prev=0/0 commit=0 [1/1 2/1:x]`. */
export function message(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'app':
      return `${head} prev=${m.index}/${m.logTerm} commit=${m.commit} ${entries(m.entries)}`;
    case 'appResp':
      return m.reject ? `${head} reject=${m.index} hint=${m.rejectHint}/${m.logTerm}` : `${head} index=${m.index}`;
    case 'vote':
    case 'preVote':
      return `${head} last=${m.index}/${m.logTerm}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head} ${m.reject ? 'reject' : 'grant'}`;
    case 'snap':
      return `${head} snapshot=${snapshot(m.snapshot)}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.context === undefined ? '' : ` ctx=${context(m.context)}`}`;
    case 'heartbeatResp':
      return `${head}${m.context === undefined ? '' : ` ctx=${context(m.context)}`}`;
    case 'prop':
      return `${head} [${m.entries.map((e) => (e.type === 'confChange' ? `conf(${confChange(decodeConfChange(e.data))})` : text(e.data))).join(' ')}]`;
    case 'readIndex':
      return `${head} ctx=${context(m.context)}`;
    case 'readIndexResp':
      return `${head} index=${m.index} ctx=${context(m.context)}`;
    case 'transferLeader':
      return `${head} transferee=${m.transferee}`;
    case 'snapStatus':
      return `${head} ${m.reject ? 'failed' : 'finished'}`;
    case 'timeoutNow':
    case 'hup':
    case 'beat':
    case 'checkQuorum':
    case 'unreachable':
      return head;
  }
}
