// Proves that interval reads and prints as in PostgreSQL 15 with IntervalStyle 'postgres': units and
// their abbreviations, fractions spilling into smaller units, signed times, 'y-m', '@' and 'ago', the
// right-to-left reading that gives bare numbers their unit (and lets a time replace a day fraction to
// its right, as PostgreSQL does), ISO 8601 designators and alternative formats, the typmod field
// ranges and precisions, the output layout ('-1 days +02:00:00', '00:00:00') and the errors (22007,
// 22015 for a field out of range, 22008 for a total out of range). The tables were produced by
// PostgreSQL 15.18 (typmod cases by INSERT into a column of that type) and are checked here, not
// recomputed. ReefDB keeps microseconds in a number, exact below 2^53 (datum.ts); beyond that it
// refuses what PostgreSQL's 64 bits still hold. A seeded randomized test checks that intervals print
// and read back as the same three fields; REEF_SEED=<seed> replays it.
import t from 'tap';
import { type Interval, type SqlType, TypeOid } from '../../../sql/types/datum.js';
import { formatText, parseText } from '../../../sql/types/io.js';
import { SeededRandom } from '../../../storage/env/random.js';
import { announceSeed } from '../../support/seed.js';
import { checkCases, error } from './io-cases.js';


const interval: SqlType = { oid: TypeOid.interval, typmod: -1 };

t.test('interval input and output as PostgreSQL 15', async (t) => {
  checkCases(t, interval, [
    ['1 year 2 mons 3 days 04:05:06.5', '1 year 2 mons 3 days 04:05:06.5'],
    ['1.5 days 01:00', '1 day 13:00:00'],
    ['01:00 1.5 days', '1 day 01:00:00'],
    ['01:00 1.5 weeks', '10 days 01:00:00'],
    ['1 day', '1 day'],
    ['-1 hours', '-01:00:00'],
    ['@ 1 minute ago', '-00:01:00'],
    ['1 ago', error('22007', 'invalid input syntax for type interval: "1 ago"')],
    ['P1Y2M3DT4H5M6S', '1 year 2 mons 3 days 04:05:06'],
    ['P1.5Y', '1 year 6 mons'],
    ['P0.5M', '15 days'],
    ['PT1.5S', '00:00:01.5'],
    ['P1Y-2M', '10 mons'],
    ['P-1Y', '-1 years'],
    ['P2W', '14 days'],
    ['P20240105', '2024 years 1 mon 5 days'],
    ['P2024-01-05', '2024 years 1 mon 5 days'],
    ['P2024-01-05T01:02:03', '2024 years 1 mon 5 days 01:02:03'],
    ['PT010203', '01:02:03'],
    ['PT01:02:03', '01:02:03'],
    ['PT1:2', '01:02:00'],
    ['PT', '00:00:00'],
    ['P', error('22007', 'invalid input syntax for type interval: "P"')],
    [' P1D', error('22007', 'invalid input syntax for type interval: " P1D"')],
    ['P1D ', error('22007', 'invalid input syntax for type interval: "P1D "')],
    ['1-2', '1 year 2 mons'],
    ['-1-2', '-1 years -2 mons'],
    ['1-12', error('22015', 'interval field value out of range: "1-12"')],
    ['+1 day -2 hours', '1 day -02:00:00'],
    ['1 day -2:00:00', '1 day -02:00:00'],
    ['-1 days +02:00:00', '-1 days +02:00:00'],
    ['1 2 days', error('22007', 'invalid input syntax for type interval: "1 2 days"')],
    ['1 day 2', '1 day 00:00:02'],
    ['2 hours 1', '02:00:01'],
    ['1 quarter', error('22007', 'invalid input syntax for type interval: "1 quarter"')],
    ['1 decade 2 centuries 3 millennia', '3210 years'],
    ['100 microseconds 5 ms', '00:00:00.0051'],
    ['1.5 ms', '00:00:00.0015'],
    ['0.0000005 seconds', '00:00:00'],
    ['0.0000015 seconds', '00:00:00.000001'],
    ['1e3 seconds', error('22007', 'invalid input syntax for type interval: "1e3 seconds"')],
    ['1 week 2', '7 days 00:00:02'],
    ['1 weeks 1 day', '8 days'],
    ['5 h 3 m', '05:03:00'],
    ['1:2:3', '01:02:03'],
    ['1:60', error('22015', 'interval field value out of range: "1:60"')],
    ['100:00:00', '100:00:00'],
    ['-00:00:00.5', '-00:00:00.5'],
    ['00:00', '00:00:00'],
    ['0', '00:00:00'],
    ['1.5', '00:00:01.5'],
    ['-1.5', '-00:00:01.5'],
    ['2147483648 days', error('22015', 'interval field value out of range: "2147483648 days"')],
    ['2147483647 days', '2147483647 days'],
    ['178956970 years', '178956970 years'],
    ['178956971 years', error('22008', 'interval out of range')],
    ['1 mon 2147483647 days', '1 mon 2147483647 days'],
    ['garbage', error('22007', 'invalid input syntax for type interval: "garbage"')],
    ['1 day garbage', error('22007', 'invalid input syntax for type interval: "1 day garbage"')],
    ['1 day 1 day', error('22007', 'invalid input syntax for type interval: "1 day 1 day"')],
  ]);
});

t.test('more units, signs, ISO 8601 forms and errors, as PostgreSQL 15', async (t) => {
  checkCases(t, interval, [
    ['1 year 2 months 3 days 4 hours 5 minutes 6 seconds', '1 year 2 mons 3 days 04:05:06'],
    ['-1 year -2 months +3 days', '-1 years -2 mons +3 days'],
    ['1 day -1 second', '1 day -00:00:01'],
    ['-1 day 1 second', '-1 days +00:00:01'],
    ['1 mon -1 day', '1 mon -1 days'],
    ['@ 1 day 2 hours ago', '-1 days -02:00:00'],
    ['1 day ago 2 hours', '-1 days -02:00:00'],
    ['1.5 years', '1 year 6 mons'],
    ['1.5 months', '1 mon 15 days'],
    ['1.5 weeks', '10 days 12:00:00'],
    ['-1.5 days', '-1 days -12:00:00'],
    ['0.1 microseconds', '00:00:00'],
    ['1.999999999 seconds', '00:00:02'],
    ['1 millennium 1 century 1 decade', '1110 years'],
    ['2 centuries', '200 years'],
    ['1 hr 2 mins 3 secs', '01:02:03'],
    ['1 h 2 m 3 s', '01:02:03'],
    ['1 us 1 ms', '00:00:00.001001'],
    ['1 msec 1 usec', '00:00:00.001001'],
    ['1 microseconds', '00:00:00.000001'],
    ['1 milliseconds', '00:00:00.001'],
    ['1 microsecondsxyz', '00:00:00.000001'],
    ['1 dayz', error('22007', 'invalid input syntax for type interval: "1 dayz"')],
    ['1 timezone', error('22007', 'invalid input syntax for type interval: "1 timezone"')],
    ['-1:00', '-01:00:00'],
    ['+1:00', '01:00:00'],
    ['1:00:00.5', '01:00:00.5'],
    ['-1:00:00.5', '-01:00:00.5'],
    ['100:00', '100:00:00'],
    ['1 2:00', '1 day 02:00:00'],
    ['1 -2:00', '1 day -02:00:00'],
    ['-1 2:00', '-1 days +02:00:00'],
    ['1 day 2:00 3 hours', error('22007', 'invalid input syntax for type interval: "1 day 2:00 3 hours"')],
    ['01:02:03.', '01:02:03'],
    ['1.', '00:00:01'],
    ['.5', '00:00:00.5'],
    ['-.5', error('22007', 'invalid input syntax for type interval: "-.5"')],
    ['1 d 2 h', '1 day 02:00:00'],
    ['1 D', '1 day'],
    ['10 days 25:00:00', '10 days 25:00:00'],
    ['1 week -7 days', '00:00:00'],
    ['3 mons 90 days', '3 mons 90 days'],
    ['1000000 years', '1000000 years'],
    ['-2147483648 days', '-2147483648 days'],
    ['-178956970 years -8 mons', '-178956970 years -8 mons'],
    ['-178956970 years -9 mons', error('22008', 'interval out of range')],
    ['1 year 2147483647 months', error('22008', 'interval out of range')],
    ['P1Y2M3W4DT5H6M7.5S', '1 year 2 mons 25 days 05:06:07.5'],
    ['P-1Y-2M', '-1 years -2 mons'],
    ['PT-1.5S', '-00:00:01.5'],
    ['P1.5W', '10 days 12:00:00'],
    ['P0.5D', '12:00:00'],
    ['PT0.5H', '00:30:00'],
    ['P1Y2', error('22007', 'invalid input syntax for type interval: "P1Y2"')],
    ['P1YT', '1 year'],
    ['PT1H2M3S4', error('22007', 'invalid input syntax for type interval: "PT1H2M3S4"')],
    ['P1Y2M3DT', '1 year 2 mons 3 days'],
    ['P1D2D', '3 days'],
    ['PT1S1S', '00:00:02'],
    ['P1M1M', '2 mons'],
    ['p1y', error('22007', 'invalid input syntax for type interval: "p1y"')],
    ['P 1Y', error('22007', 'invalid input syntax for type interval: "P 1Y"')],
    ['P1e2D', '100 days'],
    ['P1.5e1D', '15 days'],
    ['P1000000000000000D', error('22015', 'interval field value out of range: "P1000000000000000D"')],
    ['P20240105T010203', '2024 years 1 mon 5 days 01:02:03'],
    ['P20240105T', '2024 years 1 mon 5 days'],
    ['P2024-01-05T', '2024 years 1 mon 5 days'],
    ['P2024-01', '2024 years 1 mon'],
    ['P2024', '2024 years'],
    ['PT01', '01:00:00'],
    ['PT0102', '102:00:00'],
    ['PT01:02', '01:02:00'],
    ['PT01:02:03.5', '01:02:03.5'],
    ['P-1D', '-1 days'],
    ['P--1D', error('22007', 'invalid input syntax for type interval: "P--1D"')],
    ['P.5D', '12:00:00'],
    ['P1-2-3', '1 year 2 mons 3 days'],
  ]);
});

t.test('typmod field ranges and precisions', async (t) => {
  checkCases(t, { oid: TypeOid.interval, typmod: (4 << 16) | 0xffff }, [
    ['1 year 2 mons 3 days 04:05:06.789', '1 year'],
    ['1-2', '1 year'],
    ['5', '5 years'],
    ['1:30', '00:00:00'],
    ['1:30:45', '00:00:00'],
    ['1 day 5', '5 years'],
    ['-1 day -04:05:06.5', '00:00:00'],
    ['1.5', '1 year'],
    ['3 days 2 hours 1.5', '1 year'],
  ]);
  checkCases(t, { oid: TypeOid.interval, typmod: (6 << 16) | 0xffff }, [
    ['1 year 2 mons 3 days 04:05:06.789', '1 year 2 mons'],
    ['1-2', '1 year 2 mons'],
    ['5', '5 mons'],
    ['1:30', '00:00:00'],
    ['1:30:45', '00:00:00'],
    ['1 day 5', '5 mons'],
    ['-1 day -04:05:06.5', '00:00:00'],
    ['1.5', '1 mon'],
    ['3 days 2 hours 1.5', '1 mon'],
  ]);
  checkCases(t, { oid: TypeOid.interval, typmod: (8 << 16) | 0xffff }, [
    ['1 year 2 mons 3 days 04:05:06.789', '1 year 2 mons 3 days'],
    ['1-2', '1 year 2 mons'],
    ['5', '5 days'],
    ['1:30', '00:00:00'],
    ['1:30:45', '00:00:00'],
    ['1 day 5', error('22007', 'invalid input syntax for type interval: "1 day 5"')],
    ['-1 day -04:05:06.5', '-1 days'],
    ['1.5', '1 day'],
    ['3 days 2 hours 1.5', error('22007', 'invalid input syntax for type interval: "3 days 2 hours 1.5"')],
  ]);
  checkCases(t, { oid: TypeOid.interval, typmod: (1024 << 16) | 0xffff }, [
    ['1 year 2 mons 3 days 04:05:06.789', '1 year 2 mons 3 days 04:00:00'],
    ['1-2', '1 year 2 mons'],
    ['5', '05:00:00'],
    ['1:30', '01:00:00'],
    ['1:30:45', '01:00:00'],
    ['1 day 5', '1 day 05:00:00'],
    ['-1 day -04:05:06.5', '-1 days -04:00:00'],
    ['1.5', '01:00:00'],
    ['3 days 2 hours 1.5', error('22007', 'invalid input syntax for type interval: "3 days 2 hours 1.5"')],
  ]);
  checkCases(t, { oid: TypeOid.interval, typmod: (3080 << 16) | 0xffff }, [
    ['1 year 2 mons 3 days 04:05:06.789', '1 year 2 mons 3 days 04:05:00'],
    ['1-2', '1 year 2 mons'],
    ['5', '00:05:00'],
    ['1:30', '01:30:00'],
    ['1:30:45', '01:30:00'],
    ['1 day 5', '1 day 00:05:00'],
    ['-1 day -04:05:06.5', '-1 days -04:05:00'],
    ['1.5', '00:01:00'],
    ['3 days 2 hours 1.5', '3 days 02:01:00'],
  ]);
  checkCases(t, { oid: TypeOid.interval, typmod: (6144 << 16) | 0xffff }, [
    ['1 year 2 mons 3 days 04:05:06.789', '1 year 2 mons 3 days 04:05:06.789'],
    ['1-2', '1 year 2 mons'],
    ['5', '00:00:05'],
    ['1:30', '00:01:30'],
    ['1:30:45', '01:30:45'],
    ['1 day 5', '1 day 00:00:05'],
    ['-1 day -04:05:06.5', '-1 days -04:05:06.5'],
    ['1.5', '00:00:01.5'],
    ['3 days 2 hours 1.5', '3 days 02:00:01.5'],
  ]);
  checkCases(t, { oid: TypeOid.interval, typmod: (0x7fff << 16) | 2 }, [
    ['1 year 2 mons 3 days 04:05:06.789', '1 year 2 mons 3 days 04:05:06.79'],
    ['1-2', '1 year 2 mons'],
    ['5', '00:00:05'],
    ['1:30', '01:30:00'],
    ['1:30:45', '01:30:45'],
    ['1 day 5', '1 day 00:00:05'],
    ['-1 day -04:05:06.5', '-1 days -04:05:06.5'],
    ['1.5', '00:00:01.5'],
    ['3 days 2 hours 1.5', '3 days 02:00:01.5'],
  ]);
  checkCases(t, { oid: TypeOid.interval, typmod: (4096 << 16) | 0 }, [
    ['1 year 2 mons 3 days 04:05:06.789', '1 year 2 mons 3 days 04:05:07'],
    ['1-2', '1 year 2 mons'],
    ['5', '00:00:05'],
    ['1:30', '01:30:00'],
    ['1:30:45', '01:30:45'],
    ['1 day 5', '1 day 00:00:05'],
    ['-1 day -04:05:06.5', '-1 days -04:05:07'],
    ['1.5', '00:00:02'],
    ['3 days 2 hours 1.5', '3 days 02:00:02'],
  ]);
});

t.test('microseconds beyond 2^53 are refused (PostgreSQL prints 2562047788:00:54.775807)', async (t) => {
  checkCases(t, interval, [
    ['9223372036854775807 microseconds', error('22008', 'interval out of range')],
    ['9007199254740991 microseconds', '2501999:47:34.740991'],
  ]);
});

t.test('the datum keeps months, days and microseconds apart', async (t) => {
  t.same(parseText(interval, '1 year 2 mons 3 days 04:05:06.5'), { months: 14, days: 3, microseconds: 14_706_500_000 });
  t.same(parseText(interval, '-1 days +02:00:00'), { months: 0, days: -1, microseconds: 7_200_000_000 });
  t.equal(formatText(interval, { months: 0, days: 0, microseconds: 0 }), '00:00:00');
  t.equal(formatText(interval, { months: -1, days: 1, microseconds: -1 }), '-1 mons +1 day -00:00:00.000001');
});

t.test('seeded: intervals print and read back as the same three fields', async (t) => {
  const seed = announceSeed(import.meta.url);
  const random = new SeededRandom(seed);
  const replay = `(REEF_SEED=${seed})`;
  const pickField = (max: number): number => (random.chance(0.3) ? 0 : random.intBetween(-max, max));
  for (let round = 0; round < 3000; round++) {
    const value: Interval = {
      months: pickField(random.chance(0.1) ? 2147483647 : 500),
      days: pickField(random.chance(0.1) ? 2147483647 : 500),
      microseconds: random.chance(0.2) ? 0 : Math.trunc((random.float() * 2 - 1) * (random.chance(0.1) ? 2 ** 53 - 1 : 1e12)),
    };
    const text = formatText(interval, value);
    const back = parseText(interval, text) as Interval;
    if (back.months !== value.months || back.days !== value.days || back.microseconds !== value.microseconds) {
      return t.fail(`${JSON.stringify(value)} printed as ${text} reads back as ${JSON.stringify(back)} ${replay}`);
    }
  }
  t.pass(`3000 intervals ${replay}`);
});
