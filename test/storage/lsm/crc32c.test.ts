// Proves the slicing-by-8 CRC-32C gives the standard check values (the ones LevelDB's crc32c_test and
// RFC 3720 use), agrees with a bit-at-a-time reference on seeded random data at every length and
// offset, extends correctly across split points, and that mask/unmask are inverse and change the value.
import t from 'tap';
import { crc32c, crc32cExtend, maskCrc, unmaskCrc } from '../../../storage/lsm/crc32c.js';
import { SeededRandom, seedFromEnvironment } from '../../../storage/env/random.js';

function referenceCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

t.test('standard check values', async (t) => {
  t.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  t.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  t.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  t.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  t.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  t.equal(crc32c(new Uint8Array(0)), 0);
});

t.test('agrees with a bitwise reference and extends across any split', async (t) => {
  const random = new SeededRandom(seedFromEnvironment());
  const data = random.fill(new Uint8Array(300));
  let mismatches = 0;
  for (let start = 0; start < 12; start++) {
    for (let end = start; end <= data.length; end += 1 + random.int(7)) {
      if (crc32c(data, start, end) !== referenceCrc32c(data.subarray(start, end))) mismatches++;
      const split = start + random.int(end - start + 1);
      if (crc32cExtend(crc32c(data, start, split), data, split, end) !== crc32c(data, start, end)) mismatches++;
    }
  }
  t.equal(mismatches, 0, `seed ${random.seed}`);
});

t.test('mask changes the value and unmask restores it', async (t) => {
  const crc = crc32c(new TextEncoder().encode('foo'));
  t.not(maskCrc(crc), crc);
  t.not(maskCrc(maskCrc(crc)), crc);
  t.equal(unmaskCrc(maskCrc(crc)), crc);
  t.equal(unmaskCrc(unmaskCrc(maskCrc(maskCrc(crc)))), crc);
  for (const value of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff]) t.equal(unmaskCrc(maskCrc(value)), value);
});
