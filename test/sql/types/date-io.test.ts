// Proves that date reads and prints as in PostgreSQL 15 with DateStyle 'ISO, MDY': ISO, month-first,
// month-name, run-together, day-of-year and Julian forms, BC, two-digit years, the special words, times
// and zones that are checked and then ignored, PostgreSQL's quirks (a day-of-week word before a
// numeric date is refused, 'Jan 5' needs a year), and its errors: 22007 bad format, 22008 out of range
// with the DateStyle hint, 22009 bad zone displacement, 22023 unknown zone. The table was produced by
// PostgreSQL 15.18 and is checked here, not recomputed. 'today' and friends read the injected clock.
// A seeded randomized test checks that every date from 4713 BC on prints and reads back; REEF_SEED=<seed>
// replays it.
import t from 'tap';
import { type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText } from '../../../sql/types/io.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { announceSeed } from '../../support/seed.js';
import { checkCases, error } from './io-cases.js';


const date: SqlType = { oid: TypeOid.date, typmod: -1 };
const timestamptz: SqlType = { oid: TypeOid.timestamptz, typmod: -1 };

t.test('date input and output as PostgreSQL 15', async (t) => {
  checkCases(t, date, [
    ['2024-01-05', '2024-01-05'],
    ['Jan 5 2024', '2024-01-05'],
    ['01/05/2024', '2024-01-05'],
    ['1/5/24', '2024-01-05'],
    ['5 jan 2024', '2024-01-05'],
    ['2024 jan 5', '2024-01-05'],
    ['jan-05-2024', '2024-01-05'],
    ['05-jan-2024', '2024-01-05'],
    ['2024-jan-05', '2024-01-05'],
    ['20240105', '2024-01-05'],
    ['240105', '2024-01-05'],
    ['2024.01.05', '2024-01-05'],
    ['2024-01-05 13:45', '2024-01-05'],
    ['2024-01-05T13:45:00Z', '2024-01-05'],
    ['epoch', '1970-01-01'],
    ['infinity', 'infinity'],
    ['-infinity', '-infinity'],
    ['0044-03-15 BC', '0044-03-15 BC'],
    ['44-03-15 BC', error('22008', 'date/time field value out of range: "44-03-15 BC"', { hint: 'Perhaps you need a different "datestyle" setting.' })],
    ['0000-01-01', error('22008', 'date/time field value out of range: "0000-01-01"')],
    ['2024-02-30', error('22008', 'date/time field value out of range: "2024-02-30"')],
    ['2024-13-01', error('22008', 'date/time field value out of range: "2024-13-01"', { hint: 'Perhaps you need a different "datestyle" setting.' })],
    ['13/01/2024', error('22008', 'date/time field value out of range: "13/01/2024"', { hint: 'Perhaps you need a different "datestyle" setting.' })],
    ['2024-001', '2024-01-01'],
    ['2024 001', '2024-01-01'],
    ['J2451545', '2000-01-01'],
    ['2024-01-05 Europe/Paris', '2024-01-05'],
    ['2024-01-05 Foo/Bar', error('22023', 'time zone "foo/bar" not recognized')],
    ['allballs', error('22007', 'invalid input syntax for type date: "allballs"')],
    ['12:00', error('22007', 'invalid input syntax for type date: "12:00"')],
    ['garbage', error('22007', 'invalid input syntax for type date: "garbage"')],
    ['5874897-12-31', '5874897-12-31'],
    ['5874898-01-01', error('22008', 'date out of range: "5874898-01-01"')],
    ['4714-11-24 BC', '4714-11-24 BC'],
    ['4714-11-23 BC', error('22008', 'date out of range: "4714-11-23 BC"')],
    ['99999999999-01-01', error('22008', 'date/time field value out of range: "99999999999-01-01"')],
    ['2024-01-05 24:00', '2024-01-05'],
    ['Jan 5', error('22007', 'invalid input syntax for type date: "Jan 5"')],
    ['1999 Jan 08 04:05:06 PST', '1999-01-08'],
    ['January 8, 99 BC', '0099-01-08 BC'],
    ['Friday 2024-01-05', error('22007', 'invalid input syntax for type date: "Friday 2024-01-05"')],
    ['2024-01-05 PST', '2024-01-05'],
    ['2024-01-05 +25', error('22009', 'time zone displacement out of range: "2024-01-05 +25"')],
    ['2024-01-05 +15:59', '2024-01-05'],
    ['19990108 040506', '1999-01-08'],
    ['Friday 2024-01-05', error('22007', 'invalid input syntax for type date: "Friday 2024-01-05"')],
    ['2024-01-05 Friday', '2024-01-05'],
    ['1999-01-08 04:05:06 -8:00', '1999-01-08'],
    ['1999-01-08 04:05:06 America/New_York', '1999-01-08'],
    ['January 8 04:05:06 1999 PST', '1999-01-08'],
    ['08-Jan-99', '1999-01-08'],
    ['Jan-08-99', '1999-01-08'],
    ['08-Jan-1999', '1999-01-08'],
    ['99-Jan-08', error('22008', 'date/time field value out of range: "99-Jan-08"', { hint: 'Perhaps you need a different "datestyle" setting.' })],
    ['1999.008', '1999-01-08'],
    ['19990108', '1999-01-08'],
    ['990108', '1999-01-08'],
    ['1/8/1999', '1999-01-08'],
    ['1/18/1999', '1999-01-18'],
    ['18/1/1999', error('22008', 'date/time field value out of range: "18/1/1999"', { hint: 'Perhaps you need a different "datestyle" setting.' })],
    ['01/02/03', '2003-01-02'],
    ['2024-01-05 13:05:00.123456789', '2024-01-05'],
    ['2024-01-05 13:05:60', '2024-01-05'],
    ['2024-01-05 23:59:60', '2024-01-05'],
    ['2024-01-05 24:00:01', error('22008', 'date/time field value out of range: "2024-01-05 24:00:01"')],
    ['2024-02-29', '2024-02-29'],
    ['2023-02-29', error('22008', 'date/time field value out of range: "2023-02-29"')],
    ['1900-02-29', error('22008', 'date/time field value out of range: "1900-02-29"')],
    ['2000-02-29', '2000-02-29'],
    ['0001-01-01', '0001-01-01'],
    ['0001-01-01 BC', '0001-01-01 BC'],
    ['10000-01-01', '10000-01-01'],
    ['J0', '4714-11-24 BC'],
    ['J-1', error('22007', 'invalid input syntax for type date: "J-1"')],
    ['J2451545.5', '2000-01-01'],
    ['y2024m01d05', '2024-01-05'],
    ['2024-01-05 t', error('22007', 'invalid input syntax for type date: "2024-01-05 t"')],
    ['2024-01-05 T13', error('22007', 'invalid input syntax for type date: "2024-01-05 T13"')],
    ['2024 01 05', '2024-01-05'],
    ['05 jan 2024 jan', error('22007', 'invalid input syntax for type date: "05 jan 2024 jan"')],
    ['jan jan 2024', error('22007', 'invalid input syntax for type date: "jan jan 2024"')],
    ['2024-01-05 12:00 am', '2024-01-05'],
    ['2024-01-05 12:00 pm', '2024-01-05'],
    ['2024-01-05 13:00 pm', error('22008', 'date/time field value out of range: "2024-01-05 13:00 pm"')],
    ['2024-01-05 ad', '2024-01-05'],
    ['2024-01-05 bc bc', error('22007', 'invalid input syntax for type date: "2024-01-05 bc bc"')],
    ['2024-01-05 at 12:00', '2024-01-05'],
    ['on 2024-01-05', '2024-01-05'],
    ['2024-01-05 z', '2024-01-05'],
    ['2024-01-05 zulu', '2024-01-05'],
    ['2024-01-05 MET DST', '2024-01-05'],
    ['2024-01-05 dst', error('22007', 'invalid input syntax for type date: "2024-01-05 dst"')],
    ['2024-01-05 +05:30', '2024-01-05'],
    ['2024-01-05 +0530', '2024-01-05'],
    ['2024-01-05 +05:30:15', '2024-01-05'],
    ['2024-01-05 -16', error('22009', 'time zone displacement out of range: "2024-01-05 -16"')],
    ['2024-01-05 13:05:00+02:00', '2024-01-05'],
    ['2024-01-05T13:05:00.5+05:30', '2024-01-05'],
    ['2024-01-05 040506', '2024-01-05'],
    ['2024-01-05 0405', '2024-01-05'],
    ['2024-01-05 040506-08', '2024-01-05'],
    ['2024-01-05T040506', '2024-01-05'],
    ['2024-01-05T040506-08', '2024-01-05'],
    ['20240105T130500', '2024-01-05'],
    ['2024-01-05 1.5', error('22007', 'invalid input syntax for type date: "2024-01-05 1.5"')],
    ['2024 jan 5 2024', '2024-01-05'],
    ['2024-1-5', '2024-01-05'],
    ['24-1-5', error('22008', 'date/time field value out of range: "24-1-5"', { hint: 'Perhaps you need a different "datestyle" setting.' })],
    ['1-5-24', '2024-01-05'],
    ['Jan 5, 2024 at 1:05 pm', '2024-01-05'],
    ['   2024-01-05   ', '2024-01-05'],
    ['2024/01/05', '2024-01-05'],
    ['2024.01.05', '2024-01-05'],
    ['5.1.2024', '2024-05-01'],
    ['Sat Jan 06 2024', '2024-01-06'],
    ['europe/paris 2024-01-05', error('22007', 'invalid input syntax for type date: "europe/paris 2024-01-05"')],
    ['2024-01-05 MSK', '2024-01-05'],
    ['2024-01-05 japan', '2024-01-05'],
    ['2024-01-05 foobar', error('22007', 'invalid input syntax for type date: "2024-01-05 foobar"')],
    ['allballs 2024-01-05', error('22007', 'invalid input syntax for type date: "allballs 2024-01-05"')],
  ]);
});

t.test('the datum counts days from 2000-01-01', async (t) => {
  t.equal(parseText(date, '2000-01-01'), 0);
  t.equal(parseText(date, '1999-12-31'), -1);
  t.equal(parseText(date, 'infinity'), Infinity);
  t.equal(parseText(date, '-infinity'), -Infinity);
  t.equal(formatText(date, -2451545), '4714-11-24 BC', 'Julian day 0');
});

t.test("'today', 'tomorrow', 'yesterday' and 'now' are dates in the session time zone", async (t) => {
  // 2024-01-05 23:30 UTC is already 2024-01-06 in Tokyo.
  const now = parseText(timestamptz, '2024-01-05 23:30:00+00') as number;
  checkCases(t, date, [['today', '2024-01-05'], ['tomorrow', '2024-01-06'], ['yesterday', '2024-01-04'], ['now', '2024-01-05']], { now });
  checkCases(t, date, [['today', '2024-01-06'], ['now', '2024-01-06'], ['TODAY', '2024-01-06']], { now, timeZone: 'Asia/Tokyo' });
});

t.test('seeded: every date prints and reads back as itself', async (t) => {
  const seed = announceSeed(import.meta.url);
  const random = new SeededRandom(seed);
  const replay = `(REEF_SEED=${seed})`;
  for (let round = 0; round < 3000; round++) {
    const days = random.chance(0.5) ? random.intBetween(-2451545, 2_147_483_493 - 2451545) : random.intBetween(-200_000, 200_000);
    const text = formatText(date, days);
    if (parseText(date, text) !== days) return t.fail(`${days} printed as ${text} does not read back ${replay}`);
  }
  t.pass(`3000 dates ${replay}`);
});
