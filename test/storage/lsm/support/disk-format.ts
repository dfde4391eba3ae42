// Finds structures in the engine's files so corruption tests can damage exactly one: the blocks of a
// table (from its footer and index block) and the fragments of a log (WAL or MANIFEST). Written from
// the format comments in table-builder.ts, block-builder.ts and wal-writer.ts, independently of the
// readers under test, so a reader bug cannot hide by agreeing with itself.

/** Where a block starts and its size without the 5-byte trailer. */
export interface BlockLocation {
  readonly offset: number;
  readonly size: number;
}

export interface TableLayout {
  readonly sizeBytes: number;
  /** The 56-byte footer. */
  readonly footer: BlockLocation;
  readonly index: BlockLocation;
  readonly metaindex: BlockLocation;
  readonly dataBlocks: readonly BlockLocation[];
}

export const TABLE_FOOTER_BYTES = 56;
export const BLOCK_TRAILER_BYTES = 5;

function readVarint(bytes: Uint8Array, position: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let index = position; index < position + 10; index++) {
    const byte = bytes[index]!;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return [value, index + 1];
    scale *= 128;
  }
  throw new Error(`test parser: varint at ${position} is too long`);
}

function readFixed32(bytes: Uint8Array, position: number): number {
  return (bytes[position]! | (bytes[position + 1]! << 8) | (bytes[position + 2]! << 16) | (bytes[position + 3]! << 24)) >>> 0;
}

function readHandle(bytes: Uint8Array, position: number): [BlockLocation, number] {
  const [offset, afterOffset] = readVarint(bytes, position);
  const [size, next] = readVarint(bytes, afterOffset);
  return [{ offset, size }, next];
}

/** The layout of a table file, read from its footer and its index block (restart interval 1). */
export function tableLayout(file: Uint8Array): TableLayout {
  const footerOffset = file.length - TABLE_FOOTER_BYTES;
  const [metaindex, afterMetaindex] = readHandle(file, footerOffset);
  const [index] = readHandle(file, afterMetaindex);
  const block = file.subarray(index.offset, index.offset + index.size);
  const restartCount = readFixed32(block, block.length - 4);
  const entriesEnd = block.length - 4 * (restartCount + 1);
  const dataBlocks: BlockLocation[] = [];
  for (let position = 0; position < entriesEnd; ) {
    const [shared, a] = readVarint(block, position);
    const [nonShared, b] = readVarint(block, a);
    const [valueLength, c] = readVarint(block, b);
    if (shared !== 0) throw new Error('test parser: index entries are expected to hold whole keys');
    const [handle] = readHandle(block, c + nonShared);
    dataBlocks.push(handle);
    position = c + nonShared + valueLength;
  }
  return { sizeBytes: file.length, footer: { offset: footerOffset, size: TABLE_FOOTER_BYTES }, index, metaindex, dataBlocks };
}

export const LOG_BLOCK_BYTES = 32768;
export const LOG_HEADER_BYTES = 7;

/** One fragment of a log record: its header's offset, payload length and type (1 FULL … 4 LAST). */
export interface LogFragment {
  readonly offset: number;
  readonly length: number;
  readonly type: number;
}

/** The fragments of a sound log file (WAL or MANIFEST), in order. */
export function logFragments(file: Uint8Array): LogFragment[] {
  const fragments: LogFragment[] = [];
  let position = 0;
  while (position < file.length) {
    const leftInBlock = LOG_BLOCK_BYTES - (position % LOG_BLOCK_BYTES);
    if (leftInBlock < LOG_HEADER_BYTES) {
      position += leftInBlock;
      continue;
    }
    const length = file[position + 4]! | (file[position + 5]! << 8);
    fragments.push({ offset: position, length, type: file[position + 6]! });
    position += LOG_HEADER_BYTES + length;
  }
  return fragments;
}
