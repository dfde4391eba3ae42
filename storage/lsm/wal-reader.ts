// Reads the records a WalWriter appended (the format is described at the top of wal-writer.ts), and
// decides what a damaged record means.
//
// The rule. A "damaged" fragment is one whose header is cut off by the end of the file, whose length
// runs past its block or past the end of the file, whose checksum does not match, or whose type is not
// FULL/FIRST/MIDDLE/LAST. When the reader meets one, it looks for valid data after it: a fragment with
// a matching checksum starting at any byte after the damaged fragment's first byte. (Looking only where
// the damaged header's length points and at later block starts is not enough: a damaged length byte in
// a log's last block would hide every record after it.) Each candidate costs a few byte comparisons
// unless its header is plausible, and the search runs only once, at the damage.
// - Nothing valid after it: the tail of the log was torn by a crash (a write cut short, or zeros a file
//   system left). Recovery ends there silently; `droppedTailBytes` counts the bytes from the start of
//   the incomplete record (its FIRST fragment, if it had earlier fragments) to the end of the file.
//   `droppedTailIsCut` says whether the tail looks like what a crash leaves under the file-system
//   contract (a prefix of what was appended): a fragment cut short by the end of the file — its header,
//   or its payload, whose present bytes do not match the checksum as a whole payload would — a record
//   whose later fragments never arrived, or zeros. A whole fragment with a bad checksum or type at the
//   end is damage a crash cannot leave; the MANIFEST, whose every edit was synced before it was acted
//   on, refuses it (version-set.ts), while WAL replay drops it as a torn tail.
// - Valid data after it: a record in the middle is lost, which a crash cannot cause; the reader throws
//   CorruptionError naming the file and the damaged fragment's offset.
// Well-formed fragments in an impossible order (a MIDDLE or LAST with no FIRST before it, a FIRST or
// FULL while a record is open) are themselves valid data after the break, so they throw too.
//
// Records are yielded lazily, in order, so records before a corruption have already been yielded when
// it is thrown. A record written as a single fragment is yielded as a view into the file's bytes (read
// once, never reused, so the view stays valid); a fragmented record is a fresh copy.

import { CorruptionError } from '../env/errors.js';
import type { RandomAccessFile } from '../env/file-system.js';
import { getFixed32 } from './coding.js';
import { crc32cExtend, unmaskCrc } from './crc32c.js';
import { WAL_BLOCK_SIZE_BYTES, WAL_HEADER_SIZE_BYTES, WAL_TYPE_CRCS, WalRecordType } from './wal-writer.js';

export class WalReader {
  private readonly contents: Uint8Array;
  readonly fileName: string;
  private droppedBytes = 0;
  private droppedCut = true;
  private validEndOffset = 0;

  /** Reads the whole log into memory at once: recovery reads all of it anyway, in order. */
  constructor(file: RandomAccessFile | Uint8Array, fileName: string) {
    this.fileName = fileName;
    if (file instanceof Uint8Array) this.contents = file;
    else this.contents = file.sizeBytes === 0 ? new Uint8Array(0) : file.read(0, file.sizeBytes);
  }

  /** Bytes of a torn tail that `records()` dropped (0 until it has run to the end). */
  get droppedTailBytes(): number {
    return this.droppedBytes;
  }

  /**
   * Whether the dropped tail (if any) looks like what a crash leaves: a fragment cut short by the end
   * of the file, a record whose last fragment never arrived, or zeros (true until `records()` ran).
   */
  get droppedTailIsCut(): boolean {
    return this.droppedCut;
  }

  /** Offset just past the last complete record yielded so far (and its block trailer, if any). */
  get validBytes(): number {
    return this.validEndOffset;
  }

  /** The records, in the order they were added. Throws CorruptionError on damage in the middle. */
  *records(): Generator<Uint8Array> {
    const data = this.contents;
    const size = data.length;
    this.droppedBytes = 0;
    this.droppedCut = true;
    this.validEndOffset = 0;
    let position = 0;
    // The fragments of a record not yet complete, and the offset of its FIRST fragment (-1 for none).
    let pending: Uint8Array[] = [];
    let pendingStart = -1;
    for (;;) {
      const leftInBlock = WAL_BLOCK_SIZE_BYTES - (position % WAL_BLOCK_SIZE_BYTES);
      if (leftInBlock < WAL_HEADER_SIZE_BYTES) {
        // A trailer: zeros the writer put where no header fits. Skip to the next block.
        position = Math.min(size, position + leftInBlock);
        if (pendingStart < 0) this.validEndOffset = position;
        if (position >= size) break;
        continue;
      }
      if (position >= size) break;
      const problem = this.fragmentProblem(position, leftInBlock);
      if (problem !== undefined) {
        this.handleDamage(position, pendingStart, problem);
        return;
      }
      const length = data[position + 4]! | (data[position + 5]! << 8);
      const type = data[position + 6]!;
      const payload = data.subarray(position + WAL_HEADER_SIZE_BYTES, position + WAL_HEADER_SIZE_BYTES + length);
      switch (type) {
        case WalRecordType.Full:
          if (pendingStart >= 0) throw this.outOfOrder(position, 'a FULL fragment', pendingStart);
          position += WAL_HEADER_SIZE_BYTES + length;
          this.validEndOffset = position;
          yield payload;
          break;
        case WalRecordType.First:
          if (pendingStart >= 0) throw this.outOfOrder(position, 'a FIRST fragment', pendingStart);
          pendingStart = position;
          pending = [payload];
          position += WAL_HEADER_SIZE_BYTES + length;
          break;
        case WalRecordType.Middle:
          if (pendingStart < 0) throw this.outOfOrder(position, 'a MIDDLE fragment', pendingStart);
          pending.push(payload);
          position += WAL_HEADER_SIZE_BYTES + length;
          break;
        default: {
          // fragmentProblem admitted only the four types, so this is LAST.
          if (pendingStart < 0) throw this.outOfOrder(position, 'a LAST fragment', pendingStart);
          pending.push(payload);
          position += WAL_HEADER_SIZE_BYTES + length;
          const record = concatenate(pending);
          pending = [];
          pendingStart = -1;
          this.validEndOffset = position;
          yield record;
        }
      }
    }
    if (pendingStart >= 0) {
      // The file ends cleanly at a fragment boundary, but the record's LAST fragment never arrived.
      this.droppedBytes = size - pendingStart;
    }
  }

  /** Why the fragment at `position` is damaged, or undefined when it is sound. */
  private fragmentProblem(position: number, leftInBlock: number): string | undefined {
    const data = this.contents;
    if (data.length - position < WAL_HEADER_SIZE_BYTES) return 'fragment header cut off by the end of the file';
    const length = data[position + 4]! | (data[position + 5]! << 8);
    const type = data[position + 6]!;
    if (WAL_HEADER_SIZE_BYTES + length > leftInBlock) return `fragment length ${length} runs past its 32 KiB block`;
    if (position + WAL_HEADER_SIZE_BYTES + length > data.length) return `fragment length ${length} runs past the end of the file`;
    if (type < WalRecordType.Full || type > WalRecordType.Last) return `unknown fragment type ${type}`;
    const expected = unmaskCrc(getFixed32(data, position));
    const actual = crc32cExtend(WAL_TYPE_CRCS[type]!, data, position + WAL_HEADER_SIZE_BYTES, position + WAL_HEADER_SIZE_BYTES + length);
    if (expected !== actual) return 'fragment checksum mismatch';
    return undefined;
  }

  /** Applies the rule at the top of this file to a damaged fragment at `position`. */
  private handleDamage(position: number, pendingStart: number, problem: string): void {
    if (this.validDataAfter(position)) throw new CorruptionError(this.fileName, position, `${problem}, with valid records after it`);
    const damageStart = pendingStart >= 0 ? pendingStart : position;
    this.droppedBytes = this.contents.length - damageStart;
    this.droppedCut = this.isCut(position);
  }

  /** Whether any byte after `position` starts a valid fragment. */
  private validDataAfter(position: number): boolean {
    const data = this.contents;
    // Bounded by the file's length; fragmentProblem rejects most candidates on their header bytes.
    for (let start = position + 1; start + WAL_HEADER_SIZE_BYTES <= data.length; start++) {
      const leftInBlock = WAL_BLOCK_SIZE_BYTES - (start % WAL_BLOCK_SIZE_BYTES);
      if (leftInBlock < WAL_HEADER_SIZE_BYTES) continue;
      if (this.fragmentProblem(start, leftInBlock) === undefined) return true;
    }
    return false;
  }

  /** Whether the damaged fragment at `position`, the last thing in the file, is one a crash can leave. */
  private isCut(position: number): boolean {
    const data = this.contents;
    if (data.length - position < WAL_HEADER_SIZE_BYTES) return true;
    let zeros = true;
    for (let index = position; index < data.length && zeros; index++) zeros = data[index] === 0;
    if (zeros) return true;
    const length = data[position + 4]! | (data[position + 5]! << 8);
    const type = data[position + 6]!;
    if (position + WAL_HEADER_SIZE_BYTES + length <= data.length) return false;
    // Cut short, unless the bytes present are a whole payload that matches the checksum: then the
    // length was damaged, not the write cut.
    if (type < WalRecordType.Full || type > WalRecordType.Last) return true;
    const present = crc32cExtend(WAL_TYPE_CRCS[type]!, data, position + WAL_HEADER_SIZE_BYTES, data.length);
    return present !== unmaskCrc(getFixed32(data, position));
  }

  private outOfOrder(position: number, what: string, pendingStart: number): CorruptionError {
    // An open record that another record interrupts is where data went missing, so its offset is named.
    if (pendingStart >= 0) {
      return new CorruptionError(this.fileName, pendingStart, `record never completed: ${what} follows at ${position}`);
    }
    return new CorruptionError(this.fileName, position, `${what} with no record open`);
  }
}

function concatenate(pieces: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const piece of pieces) total += piece.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}
