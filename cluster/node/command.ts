// The commands a range's Raft log carries, and their byte format. A command is proposed by the range's
// leader after evaluation and applied by every replica, in log order, when committed. Applying must be
// deterministic: everything an apply needs is in the command (the evaluated write batch, the split key
// and the new range's id), never read from the proposer's memory.
//
// Format: one tag byte, then a 6-byte proposal id (big-endian; the proposer matches applied commands to
// waiting callers by it; replicas that did not propose ignore it), then the body:
//   0x01 write  the MVCC write batch, as WriteBatch.encode(0) — the hot path, no other framing
//   0x02 split  msgpack { k: split key, r: new range id }
//   0x03 meta   msgpack { d?: encoded range descriptors, t?: TSO window bound (ms), n?: range ids to allocate }
// An empty entry (a new leader's no-op) carries no command.

import { Packr } from 'msgpackr';
import { WriteBatch } from '../../storage/lsm/write-batch.js';
import type { MetaCommand } from '../placement/meta.js';

export type Command =
  | { readonly kind: 'write'; readonly proposalId: number; readonly batch: WriteBatch }
  | { readonly kind: 'split'; readonly proposalId: number; readonly splitKey: Uint8Array; readonly newRangeId: number }
  | { readonly kind: 'meta'; readonly proposalId: number; readonly meta: MetaCommand };

const TAG_WRITE = 0x01;
const TAG_SPLIT = 0x02;
const TAG_META = 0x03;
const HEADER_BYTES = 7;
/** Proposal ids fit in 6 bytes (2^48), far beyond what one process proposes. */
export const PROPOSAL_ID_MAX = 2 ** 48 - 1;

const packr = new Packr({ useRecords: false, moreTypes: false });

function header(tag: number, proposalId: number, bodyBytes: number): Uint8Array {
  if (!Number.isSafeInteger(proposalId) || proposalId < 0 || proposalId > PROPOSAL_ID_MAX) {
    throw new RangeError(`command: proposal id ${proposalId} out of range`);
  }
  const out = new Uint8Array(HEADER_BYTES + bodyBytes);
  out[0] = tag;
  const view = new DataView(out.buffer);
  view.setUint16(1, Math.floor(proposalId / 2 ** 32));
  view.setUint32(3, proposalId >>> 0);
  return out;
}

export function encodeWriteCommand(proposalId: number, batch: WriteBatch): Uint8Array {
  const body = batch.encode(0);
  const out = header(TAG_WRITE, proposalId, body.length);
  out.set(body, HEADER_BYTES);
  return out;
}

function encodePacked(tag: number, proposalId: number, value: unknown): Uint8Array {
  const body = packr.pack(value);
  const out = header(tag, proposalId, body.length);
  out.set(body, HEADER_BYTES);
  return out;
}

export function encodeSplitCommand(proposalId: number, splitKey: Uint8Array, newRangeId: number): Uint8Array {
  return encodePacked(TAG_SPLIT, proposalId, { k: splitKey, r: newRangeId });
}

export function encodeMetaCommand(proposalId: number, meta: MetaCommand): Uint8Array {
  const value: Record<string, unknown> = {};
  if (meta.descriptors !== undefined) value['d'] = meta.descriptors;
  if (meta.tsoWindowMs !== undefined) value['t'] = meta.tsoWindowMs;
  if (meta.allocateRangeIds !== undefined) value['n'] = meta.allocateRangeIds;
  return encodePacked(TAG_META, proposalId, value);
}

export class CommandDecodeError extends Error {
  constructor(message: string) {
    super(`raft command: ${message}`);
    this.name = 'CommandDecodeError';
  }
}

function copyBytesOf(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CommandDecodeError(`${what} is not bytes`);
  return new Uint8Array(value);
}

/** Decodes an entry's data; undefined for an empty entry. Throws CommandDecodeError on bad bytes. */
export function decodeCommand(data: Uint8Array): Command | undefined {
  if (data.length === 0) return undefined;
  if (data.length < HEADER_BYTES) throw new CommandDecodeError(`${data.length} bytes, shorter than the header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const proposalId = view.getUint16(1) * 2 ** 32 + view.getUint32(3);
  const body = data.subarray(HEADER_BYTES);
  switch (data[0]) {
    case TAG_WRITE:
      return { kind: 'write', proposalId, batch: WriteBatch.decode(body, 'raft-command', HEADER_BYTES).batch };
    case TAG_SPLIT: {
      const raw = packr.unpack(body) as { k: unknown; r: unknown };
      if (typeof raw.r !== 'number') throw new CommandDecodeError('split without a range id');
      return { kind: 'split', proposalId, splitKey: copyBytesOf(raw.k, 'split key'), newRangeId: raw.r };
    }
    case TAG_META: {
      const raw = packr.unpack(body) as { d?: unknown; t?: unknown; n?: unknown };
      const meta: { descriptors?: Uint8Array[]; tsoWindowMs?: number; allocateRangeIds?: number } = {};
      if (raw.d !== undefined) {
        if (!Array.isArray(raw.d)) throw new CommandDecodeError('meta descriptors are not a list');
        meta.descriptors = raw.d.map((d) => copyBytesOf(d, 'descriptor'));
      }
      if (typeof raw.t === 'number') meta.tsoWindowMs = raw.t;
      if (typeof raw.n === 'number') meta.allocateRangeIds = raw.n;
      return { kind: 'meta', proposalId, meta };
    }
    default:
      throw new CommandDecodeError(`unknown tag ${data[0]}`);
  }
}
