// Proves the ReefTarget adapter against a fake engine module that follows the contract in
// reef-target.ts: it opens a database and a session, passes rowMode 'text', turns thrown errors with a
// SQLSTATE `code` into SqlFailures, reports column type OIDs, rejects rows that are not PostgreSQL
// text, and closes the session before the database. The real engine is not loaded here.
import t from 'tap';
import { ReefContractError, ReefTarget, type ReefModule, type ReefQueryResult } from './reef-target.js';

class SqlError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function fakeEngine(answer: (sql: string) => unknown, calls: string[]): ReefModule {
  const session = {
    async query(sql: string, params: readonly unknown[], options: { rowMode: 'text' }): Promise<ReefQueryResult> {
      calls.push(`query ${sql} ${JSON.stringify(params)} ${options.rowMode}`);
      const result = answer(sql);
      if (result instanceof Error) throw result;
      // The fakes answer shapes the contract forbids on purpose, to see them rejected.
      return result as ReefQueryResult;
    },
    release() {
      calls.push('release');
    },
  };
  const database = {
    ...session,
    async connect() {
      calls.push('connect');
      return session;
    },
    async close() {
      calls.push('close');
    },
  };
  return { Reef: { open: async () => database } };
}

t.test('rows, errors and closing', async (t) => {
  const calls: string[] = [];
  const engine = fakeEngine((sql) => {
    if (sql === 'SELECT 1/0') return new SqlError('22012', 'division by zero');
    if (sql === 'CREATE TABLE t (a int)') return { fields: [], rows: [] };
    if (sql === 'broken') return new Error('no code: a bug');
    return { fields: [{ name: 'a', dataTypeID: 23 }, { name: 'b', dataTypeID: 25 }], rows: [['1', null]] };
  }, calls);
  const target = await ReefTarget.open(engine);
  t.equal(target.name, 'reef');
  t.same(await target.exec('SELECT 1, NULL'), { kind: 'rows', columns: ['a', 'b'], columnTypeOids: [23, 25], rows: [['1', null]] });
  t.same(await target.exec('SELECT 1/0'), { kind: 'error', sqlstate: '22012', message: 'division by zero' });
  t.same(await target.exec('CREATE TABLE t (a int)'), { kind: 'rows', columns: [], columnTypeOids: [], rows: [] });
  await t.rejects(target.exec('broken'), /no code: a bug/, 'an error without a SQLSTATE breaks the session');
  await target.close();
  t.same(calls, [
    'connect',
    'query SELECT 1, NULL [] text',
    'query SELECT 1/0 [] text',
    'query CREATE TABLE t (a int) [] text',
    'query broken [] text',
    'release',
    'close',
  ]);
});

t.test('values that are not PostgreSQL text break the contract', async (t) => {
  const engine = fakeEngine(() => ({ fields: [{ name: 'a', dataTypeID: 23 }], rows: [[1]] }), []);
  const target = await ReefTarget.open(engine);
  await t.rejects(target.exec('SELECT 1'), ReefContractError);
  const objects = fakeEngine(() => ({ fields: [{ name: 'a' }], rows: [{ a: '1' }] }), []);
  await t.rejects((await ReefTarget.open(objects)).exec('SELECT 1'), /not an array of 1 values/);
  const noOids = fakeEngine(() => ({ fields: [{ name: 'a' }], rows: [['1']] }), []);
  t.same(await (await ReefTarget.open(noOids)).exec('SELECT 1'), { kind: 'rows', columns: ['a'], rows: [['1']] }, 'no OIDs: none reported');
});
