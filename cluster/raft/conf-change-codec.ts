// The bytes of a confChange entry. Raft writes a ConfChange into an entry's data when it is proposed
// and the application decodes it when it applies the entry (then calls RawNode.applyConfChange).
//
// Format (all integers as unsigned base-128 varints, least significant group first):
//   version      1 byte, currently 1
//   transition   1 byte: 0 auto, 1 jointImplicit, 2 jointExplicit
//   count        varint, then `count` times:
//     type       1 byte: 0 addNode, 1 removeNode, 2 addLearnerNode
//     nodeId     varint
//   contextLen   varint, then contextLen bytes of context
// Zero bytes of data decode as the empty change (leave the joint configuration), so that the leader's
// automatic leave proposal carries no payload and never counts against the uncommitted-size limit.
//
// Decoding never trusts its input: a truncated or unknown field throws ConfChangeError.

import { ConfChangeError } from './errors.js';
import type { ConfChange, ConfChangeSingle, ConfChangeTransition, ConfChangeType, NodeId } from './types.js';

const VERSION = 1;
const TRANSITIONS: readonly ConfChangeTransition[] = ['auto', 'jointImplicit', 'jointExplicit'];
const TYPES: readonly ConfChangeType[] = ['addNode', 'removeNode', 'addLearnerNode'];

function varintLength(value: number): number {
  let length = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

function putVarint(bytes: Uint8Array, offset: number, value: number): number {
  while (value >= 128) {
    bytes[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  bytes[offset++] = value;
  return offset;
}

export function encodeConfChange(change: ConfChange): Uint8Array {
  const context = change.context ?? new Uint8Array(0);
  let size = 2 + varintLength(change.changes.length) + varintLength(context.length) + context.length;
  for (const single of change.changes) size += 1 + varintLength(single.nodeId);
  const bytes = new Uint8Array(size);
  bytes[0] = VERSION;
  bytes[1] = TRANSITIONS.indexOf(change.transition);
  let offset = putVarint(bytes, 2, change.changes.length);
  for (const single of change.changes) {
    bytes[offset++] = TYPES.indexOf(single.type);
    offset = putVarint(bytes, offset, single.nodeId);
  }
  offset = putVarint(bytes, offset, context.length);
  bytes.set(context, offset);
  return bytes;
}

export function decodeConfChange(bytes: Uint8Array): ConfChange {
  if (bytes.length === 0) return { transition: 'auto', changes: [] };
  let offset = 0;
  const byte = (what: string): number => {
    if (offset >= bytes.length) throw new ConfChangeError(`truncated encoding at ${what}`);
    return bytes[offset++]!;
  };
  const varint = (what: string): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const next = byte(what);
      value += (next & 0x7f) * scale;
      if ((next & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new ConfChangeError(`varint too long at ${what}`);
  };
  const version = byte('version');
  if (version !== VERSION) throw new ConfChangeError(`unknown encoding version ${version}`);
  const transition = TRANSITIONS[byte('transition')];
  if (transition === undefined) throw new ConfChangeError('unknown transition');
  const count = varint('count');
  if (count > bytes.length) throw new ConfChangeError(`change count ${count} exceeds the encoding`);
  const changes: ConfChangeSingle[] = [];
  for (let i = 0; i < count; i++) {
    const type = TYPES[byte('change type')];
    if (type === undefined) throw new ConfChangeError('unknown change type');
    const id = varint('node id');
    if (id <= 0) throw new ConfChangeError('node id 0 in a change');
    changes.push({ type, nodeId: id as NodeId });
  }
  const contextLength = varint('context length');
  if (offset + contextLength !== bytes.length) throw new ConfChangeError('context length does not match the encoding');
  const context = bytes.slice(offset, offset + contextLength);
  return contextLength === 0 ? { transition, changes } : { transition, changes, context };
}
