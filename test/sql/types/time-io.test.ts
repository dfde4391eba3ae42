// Proves that time (without time zone) reads and prints as in PostgreSQL 15: 'hh:mm[:ss[.f]]', run-
// together digits, am/pm, 'T', dates and zones that are checked and dropped (a zone with a history
// needs a date, as in PostgreSQL), 24:00:00 and the leap second, 'allballs', typmod rounding, and the
// errors. The tables were produced by PostgreSQL 15.18 and are checked here, not recomputed. 'now'
// reads the injected clock. A seeded randomized test checks that times print and read back;
// REEF_SEED=<seed> replays it.
import t from 'tap';
import { type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText } from '../../../sql/types/io.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { announceSeed } from '../../support/seed.js';
import { checkCases, error } from './io-cases.js';


const time: SqlType = { oid: TypeOid.time, typmod: -1 };
const timestamptz: SqlType = { oid: TypeOid.timestamptz, typmod: -1 };

t.test('time input and output as PostgreSQL 15', async (t) => {
  checkCases(t, time, [
    ['13:05', '13:05:00'],
    ['13:05:00.5', '13:05:00.5'],
    ['1:05 pm', '13:05:00'],
    ['12:00 am', '00:00:00'],
    ['13:05:60', '13:06:00'],
    ['24:00', '24:00:00'],
    ['24:00:01', error('22008', 'date/time field value out of range: "24:00:01"')],
    ['23:59:59.9999999', '24:00:00'],
    ['13:05:00+02', '13:05:00'],
    ['12:00 Europe/Paris', error('22007', 'invalid input syntax for type time: "12:00 Europe/Paris"')],
    ['12:00 Asia/Tokyo', error('22007', 'invalid input syntax for type time: "12:00 Asia/Tokyo"')],
    ['12:00 Etc/GMT+5', '12:00:00'],
    ['12:00 UTC', '12:00:00'],
    ['12:00 Foo/Bar', error('22023', 'time zone "foo/bar" not recognized')],
    ['2024-01-05 12:00 Europe/Paris', '12:00:00'],
    ['2024-01 12:00', error('22007', 'invalid input syntax for type time: "2024-01 12:00"')],
    ['130500', '13:05:00'],
    ['1305', '13:05:00'],
    ['13.5', error('22007', 'invalid input syntax for type time: "13.5"')],
    ['allballs', '00:00:00'],
    ['today', error('22007', 'invalid input syntax for type time: "today"')],
    ['T130500', '13:05:00'],
    ['2024-01-05T13:05', error('22007', 'invalid input syntax for type time: "2024-01-05T13:05"')],
    ['12:00:00 PST', '12:00:00'],
    ['12:00 dst', error('22007', 'invalid input syntax for type time: "12:00 dst"')],
    ['12:00 MET DST', '12:00:00'],
    ['05:30 zulu', '05:30:00'],
    ['12:5', '12:05:00'],
    ['12:', '12:00:00'],
    ['25:00', error('22008', 'date/time field value out of range: "25:00"')],
    ['12:60', error('22008', 'date/time field value out of range: "12:60"')],
    ['040506.789', '04:05:06.789'],
    ['13:05 BC', '13:05:00'],
    ['garbage', error('22007', 'invalid input syntax for type time: "garbage"')],
    ['', error('22007', 'invalid input syntax for type time: ""')],
    ['1 2 3', error('22007', 'invalid input syntax for type time: "1 2 3"')],
    ['13:05:00.1234565', '13:05:00.123456'],
    ['23:59:59.9999995', '24:00:00'],
    ['00:00:00', '00:00:00'],
    ['12:00:00.000001', '12:00:00.000001'],
    ['T13:05', '13:05:00'],
    ['t13:05:00', '13:05:00'],
    ['13:05 J2451545', '13:05:00'],
    ['13:05:00 +05', '13:05:00'],
    ['13:05:00 -16', error('22009', 'time zone displacement out of range: "13:05:00 -16"')],
    ['13:05 ad', '13:05:00'],
    ['1:05:06 am', '01:05:06'],
    ['12:05 am', '00:05:00'],
    ['12:05 pm', '12:05:00'],
    ['13:05:06.', '13:05:06'],
    ['13:05:06.5.5', error('22007', 'invalid input syntax for type time: "13:05:06.5.5"')],
    ['13:05.5', '00:13:05.5'],
    ['05.5', error('22007', 'invalid input syntax for type time: "05.5"')],
    ['2024-01-05 13:05', '13:05:00'],
    ['13:05 2024-01-05', error('22007', 'invalid input syntax for type time: "13:05 2024-01-05"')],
    ['13:05 2024-01-05 2024-01-06', error('22007', 'invalid input syntax for type time: "13:05 2024-01-05 2024-01-06"')],
    ['2024-01-05 13:05 Europe/Paris extra', error('22007', 'invalid input syntax for type time: "2024-01-05 13:05 Europe/Paris extra"')],
    ['13:05 europe/paris 2024-01-05', error('22007', 'invalid input syntax for type time: "13:05 europe/paris 2024-01-05"')],
    ['13:05:00 Etc/UTC', '13:05:00'],
    ['13:05 MSK', '13:05:00'],
    ['13:05 zulu', '13:05:00'],
    ['13:05 pst', '13:05:00'],
    ['h13m05', error('22007', 'invalid input syntax for type time: "h13m05"')],
    ['y2024', error('22007', 'invalid input syntax for type time: "y2024"')],
    ['s05.5 h1 mm2', '01:02:05.5'],
  ]);
});

t.test('time(1) rounds half away from zero', async (t) => {
  checkCases(t, { oid: TypeOid.time, typmod: 1 }, [
    ['13:05:00.125', '13:05:00.1'],
    ['23:59:59.95', '24:00:00'],
    ['00:00:00.05', '00:00:00.1'],
    ['12:00:00.123456', '12:00:00.1'],
  ]);
});

t.test("'now' is the time of day in the session time zone", async (t) => {
  const now = parseText(timestamptz, '2024-01-05 23:30:00.25+00') as number;
  checkCases(t, time, [['now', '23:30:00.25']], { now });
  checkCases(t, time, [['now', '08:30:00.25']], { now, timeZone: 'Asia/Tokyo' });
});

t.test('seeded: times print and read back as themselves', async (t) => {
  const seed = announceSeed(import.meta.url);
  const random = new SeededRandom(seed);
  const replay = `(REEF_SEED=${seed})`;
  t.equal(parseText(time, formatText(time, 86_400_000_000)), 86_400_000_000, '24:00:00');
  for (let round = 0; round < 2000; round++) {
    const microseconds = random.intBetween(0, 86_400) * 1e6 - (random.chance(0.5) ? random.intBetween(0, 999_999) : 0);
    const value = Math.max(microseconds, 0);
    const text = formatText(time, value);
    if (parseText(time, text) !== value) return t.fail(`${value} printed as ${text} does not read back ${replay}`);
  }
  t.pass(`2000 times ${replay}`);
});
