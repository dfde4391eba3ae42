// Appends records to a write-ahead log in LevelDB's log format (doc/log_format.md), which WalReader reads.
//
// Format. The file is a sequence of 32 KiB blocks (the last may be partial). A record is stored as one
// or more fragments; each fragment is a 7-byte header followed by its payload:
//
//   checksum: fixed32  masked CRC-32C of the type byte followed by the fragment's payload
//   length:   2 bytes  little-endian payload length of this fragment
//   type:     1 byte   FULL = 1 (the whole record), or FIRST = 2, MIDDLE = 3, LAST = 4 (its pieces)
//   payload:  `length` bytes
//
// A fragment never crosses a block boundary: a record that does not fit in what remains of the block is
// split, and its next fragment starts at the next block. When fewer than 7 bytes remain in a block (too
// few for a header) they are filled with zeros, a trailer that readers skip. A block that has exactly 7
// bytes left receives a FIRST fragment with an empty payload. An empty record is one FULL fragment of
// length 0. Because every block therefore starts with a fragment header, a reader can resynchronize at
// any block boundary, which WalReader uses to tell a torn tail from corruption in the middle.
//
// Invariants: each record reaches the file through exactly one `append` call (its fragments, headers and
// any trailer before it assembled in one buffer), so a crash that keeps a prefix of the appended bytes
// leaves whole records followed by at most one partial record, never pieces of two interleaved;
// `sizeBytes` equals the bytes handed to the file.

import { StorageError } from '../env/errors.js';
import type { WritableFile } from '../env/file-system.js';
import { putFixed32 } from './coding.js';
import { crc32c, crc32cExtend, maskCrc } from './crc32c.js';

export const WAL_BLOCK_SIZE_BYTES = 32768;
export const WAL_HEADER_SIZE_BYTES = 7;

/** Fragment types. A plain object rather than a `const enum`, which per-file transpilers cannot inline. */
export const WalRecordType = {
  /** Never written; zeros left by preallocation or a torn write parse as this. */
  Zero: 0,
  Full: 1,
  First: 2,
  Middle: 3,
  Last: 4,
} as const;

/** CRC-32C of each one-byte type, the start of every fragment's checksum. */
export const WAL_TYPE_CRCS: readonly number[] = [0, 1, 2, 3, 4].map((type) => crc32c(Uint8Array.of(type)));

export class WalWriter {
  private readonly file: WritableFile;
  /** Offset within the current 32 KiB block where the next fragment (or trailer) goes. */
  private blockOffset: number;
  private writtenBytes: number;
  private closed = false;

  constructor(file: WritableFile) {
    this.file = file;
    // A file that already holds bytes (a writer resumed on it) continues the block structure they left.
    this.writtenBytes = file.sizeBytes;
    this.blockOffset = file.sizeBytes % WAL_BLOCK_SIZE_BYTES;
  }

  /** Bytes in the log file, synced or not. */
  get sizeBytes(): number {
    return this.writtenBytes;
  }

  /** Appends one record. Not durable until `sync()` resolves. */
  addRecord(payload: Uint8Array): void {
    if (this.closed) throw new StorageError('CLOSED', `WalWriter.addRecord: ${this.file.path} is closed`);
    const totalBytes = this.encodedSize(payload.length);
    // Buffer.allocUnsafe draws small buffers from a shared pool; every byte of it is written below.
    const out = Buffer.allocUnsafe(totalBytes);
    let outOffset = 0;
    let blockOffset = this.blockOffset;
    let payloadOffset = 0;
    let remaining = payload.length;
    let first = true;
    do {
      const leftInBlock = WAL_BLOCK_SIZE_BYTES - blockOffset;
      if (leftInBlock < WAL_HEADER_SIZE_BYTES) {
        out.fill(0, outOffset, outOffset + leftInBlock);
        outOffset += leftInBlock;
        blockOffset = 0;
        continue;
      }
      const available = WAL_BLOCK_SIZE_BYTES - blockOffset - WAL_HEADER_SIZE_BYTES;
      const fragmentLength = remaining < available ? remaining : available;
      const last = fragmentLength === remaining;
      const type = first ? (last ? WalRecordType.Full : WalRecordType.First) : last ? WalRecordType.Last : WalRecordType.Middle;
      const crc = crc32cExtend(WAL_TYPE_CRCS[type]!, payload, payloadOffset, payloadOffset + fragmentLength);
      putFixed32(out, outOffset, maskCrc(crc));
      out[outOffset + 4] = fragmentLength & 0xff;
      out[outOffset + 5] = fragmentLength >>> 8;
      out[outOffset + 6] = type;
      out.set(payload.subarray(payloadOffset, payloadOffset + fragmentLength), outOffset + WAL_HEADER_SIZE_BYTES);
      outOffset += WAL_HEADER_SIZE_BYTES + fragmentLength;
      blockOffset += WAL_HEADER_SIZE_BYTES + fragmentLength;
      payloadOffset += fragmentLength;
      remaining -= fragmentLength;
      first = false;
    } while (remaining > 0 || first);
    if (outOffset !== totalBytes) {
      throw new StorageError('INVALID_ARGUMENT', `WalWriter: encoded ${outOffset} bytes, expected ${totalBytes}`);
    }
    this.file.append(out);
    this.blockOffset = blockOffset;
    this.writtenBytes += totalBytes;
  }

  /** Makes every record added before this call durable. */
  sync(): Promise<void> {
    if (this.closed) return Promise.reject(new StorageError('CLOSED', `WalWriter.sync: ${this.file.path} is closed`));
    return this.file.sync();
  }

  /** Closes the file; records not yet synced may be lost by a crash. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.file.close();
  }

  /** Bytes a record of `payloadLength` adds to the file from the current position: headers, trailers, payload. */
  private encodedSize(payloadLength: number): number {
    let total = 0;
    let blockOffset = this.blockOffset;
    let remaining = payloadLength;
    let first = true;
    do {
      const leftInBlock = WAL_BLOCK_SIZE_BYTES - blockOffset;
      if (leftInBlock < WAL_HEADER_SIZE_BYTES) {
        total += leftInBlock;
        blockOffset = 0;
        continue;
      }
      const available = leftInBlock - WAL_HEADER_SIZE_BYTES;
      const fragmentLength = remaining < available ? remaining : available;
      total += WAL_HEADER_SIZE_BYTES + fragmentLength;
      blockOffset += WAL_HEADER_SIZE_BYTES + fragmentLength;
      remaining -= fragmentLength;
      first = false;
    } while (remaining > 0 || first);
    return total;
  }
}
