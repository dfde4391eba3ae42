// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum every LevelDB-family file uses,
// computed with slicing-by-8: eight 256-entry tables let the loop fold 8 input bytes per step with 8
// table look-ups instead of 8 dependent shift-and-look-up rounds. Measured here at several hundred MB/s,
// which keeps checksumming a small part of the cost of reading a block.
//
// mask/unmask are LevelDB's: a CRC stored next to data that itself embeds CRCs (a WAL record holding a
// table, say) is rotated and offset so that computing the CRC of a string containing CRCs stays well
// distributed. Every stored checksum in storage/lsm is masked.

const POLYNOMIAL_REFLECTED = 0x82f63b78;

/** Eight tables of 256 entries, one after another: table k at [k * 256, k * 256 + 256). */
const TABLES = buildTables();

function buildTables(): Int32Array {
  const tables = new Int32Array(8 * 256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL_REFLECTED : crc >>> 1;
    tables[byte] = crc;
  }
  for (let byte = 0; byte < 256; byte++) {
    let crc = tables[byte]!;
    for (let table = 1; table < 8; table++) {
      crc = (crc >>> 8) ^ tables[crc & 0xff]!;
      tables[table * 256 + byte] = crc;
    }
  }
  return tables;
}

/**
 * Continues a CRC-32C over `data[start, end)`. `crc` is a finished CRC of the bytes before (0 for none),
 * so `crc32cExtend(crc32c(a), b)` equals the CRC of a followed by b.
 */
export function crc32cExtend(crc: number, data: Uint8Array, start = 0, end = data.length): number {
  const t = TABLES;
  let c = ~crc;
  let i = start;
  // Typed-array reads have no alignment cost, so the 8-byte loop starts at once; a byte loop finishes.
  const last8 = end - 8;
  while (i <= last8) {
    c ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    c =
      t[1792 + (c & 0xff)]! ^
      t[1536 + ((c >>> 8) & 0xff)]! ^
      t[1280 + ((c >>> 16) & 0xff)]! ^
      t[1024 + (c >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) {
    c = (c >>> 8) ^ t[(c ^ data[i]!) & 0xff]!;
    i++;
  }
  return ~c >>> 0;
}

/** CRC-32C of `data[start, end)`. */
export function crc32c(data: Uint8Array, start = 0, end = data.length): number {
  return crc32cExtend(0, data, start, end);
}

const MASK_DELTA = 0xa282ead8;

/** LevelDB's masking of a CRC before it is stored. */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/** Inverse of maskCrc. */
export function unmaskCrc(maskedCrc: number): number {
  const rotated = (maskedCrc - MASK_DELTA) >>> 0;
  return ((rotated >>> 17) | (rotated << 15)) >>> 0;
}
