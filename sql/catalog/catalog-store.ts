// The catalog's storage: descriptors and names kept as keys of the transactional store, read and written
// through the caller's transaction — so DDL is transactional (a CREATE TABLE in a rolled-back transaction
// never existed, a concurrent reader sees the catalog of its own snapshot) and the catalog replicates and
// survives crashes like the data.
//
// Key layout (user key space; 0x01 'c' is the catalog's prefix, below every table's data, see
// sql/types/key-codec.ts):
//   0x01 'c' 'd' | oid u32                        -> descriptor (msgpack)
//   0x01 'c' 'n' | parent oid u32 | name (UTF-8)  -> namespace entry (msgpack {k: kind, i: oid, t?: table oid})
//   0x01 'c' 'o'                                  -> the next unused OID (u64 big-endian)
//   0x01 'c' 'v'                                  -> the catalog version (u64), raised by every change
// A name's parent is the database for schemas, the schema for tables, sequences, views and indexes, and
// 0 for databases. Relations and indexes share a schema's names, as in PostgreSQL's pg_class.
//
// The OID counter and the version are single keys every DDL transaction writes, so concurrent DDL is
// serialized by the transaction layer (a conflict is a 40001 to retry; READ COMMITTED waits for the
// lock), which PostgreSQL's catalog locks also amount to for the common cases.

import { Packr } from 'msgpackr';
import { encodeUint64BigEndian, getUint64BigEndian } from '../../storage/lsm/coding.js';
import type { Transaction } from '../../engine/txn/index.js';
import { ReefSqlError, SqlState } from '../errors.js';
import {
  BuiltinOid,
  type DatabaseDescriptor,
  type Descriptor,
  FIRST_NORMAL_OID,
  type SchemaDescriptor,
} from './descriptors.js';

const PREFIX = [0x01, 0x63];
const DESCRIPTOR_TAG = 0x64;
const NAMESPACE_TAG = 0x6e;
const NEXT_OID_KEY = new Uint8Array([...PREFIX, 0x6f]);
const VERSION_KEY = new Uint8Array([...PREFIX, 0x76]);
/** The longest name PostgreSQL keeps (NAMEDATALEN - 1 bytes); longer ones are truncated by the parser. */
export const NAME_BYTES_MAX = 63;
const OID_MAX = 0xffff_ffff;

const packr = new Packr({ useRecords: false, moreTypes: false, useBigIntExtension: true });
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type NamespaceKind = Descriptor['kind'] | 'index';

export interface NamespaceEntry {
  readonly name: string;
  readonly kind: NamespaceKind;
  readonly oid: number;
  /** For an index: the table it belongs to. */
  readonly tableId?: number | undefined;
}

function descriptorKey(oid: number): Uint8Array {
  const key = new Uint8Array(PREFIX.length + 5);
  key.set(PREFIX, 0);
  key[PREFIX.length] = DESCRIPTOR_TAG;
  new DataView(key.buffer).setUint32(PREFIX.length + 1, oid);
  return key;
}

function namespacePrefix(parentOid: number): Uint8Array {
  const key = new Uint8Array(PREFIX.length + 5);
  key.set(PREFIX, 0);
  key[PREFIX.length] = NAMESPACE_TAG;
  new DataView(key.buffer).setUint32(PREFIX.length + 1, parentOid);
  return key;
}

function namespaceKey(parentOid: number, name: string): Uint8Array {
  const prefix = namespacePrefix(parentOid);
  const nameBytes = encoder.encode(name);
  const key = new Uint8Array(prefix.length + nameBytes.length);
  key.set(prefix, 0);
  key.set(nameBytes, prefix.length);
  return key;
}

/** The first key after every key that starts with `prefix` (prefixes here never end in 0xff). */
function prefixEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  end[end.length - 1]!++;
  return end;
}

function checkName(name: string): void {
  if (name.length === 0) throw new ReefSqlError(SqlState.SYNTAX_ERROR, 'zero-length delimited identifier');
  if (encoder.encode(name).length > NAME_BYTES_MAX) {
    throw new ReefSqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, `identifier "${name}" is longer than ${NAME_BYTES_MAX} bytes`);
  }
}

function duplicate(kind: NamespaceKind, name: string): ReefSqlError {
  if (kind === 'database') return new ReefSqlError(SqlState.DUPLICATE_DATABASE, `database "${name}" already exists`);
  if (kind === 'schema') return new ReefSqlError(SqlState.DUPLICATE_SCHEMA, `schema "${name}" already exists`);
  // Tables, sequences, views and indexes share pg_class's names: PostgreSQL says "relation" for all.
  return new ReefSqlError(SqlState.DUPLICATE_TABLE, `relation "${name}" already exists`);
}

/** The catalog as seen by one transaction (its snapshot plus its own uncommitted changes). */
export class CatalogStore {
  constructor(private readonly txn: Transaction) {}

  async descriptor(oid: number): Promise<Descriptor | undefined> {
    const bytes = await this.txn.get(descriptorKey(oid));
    return bytes === undefined ? undefined : (packr.unpack(bytes) as Descriptor);
  }

  async lookup(parentOid: number, name: string): Promise<NamespaceEntry | undefined> {
    const bytes = await this.txn.get(namespaceKey(parentOid, name));
    if (bytes === undefined) return undefined;
    const raw = packr.unpack(bytes) as { k: NamespaceKind; i: number; t?: number };
    return { name, kind: raw.k, oid: raw.i, tableId: raw.t };
  }

  /** Every name under `parentOid`, in byte order of the names. */
  async children(parentOid: number): Promise<NamespaceEntry[]> {
    const prefix = namespacePrefix(parentOid);
    const pairs = await this.txn.scan(prefix, prefixEnd(prefix));
    return pairs.map((pair) => {
      const raw = packr.unpack(pair.value) as { k: NamespaceKind; i: number; t?: number };
      return { name: decoder.decode(pair.key.subarray(prefix.length)), kind: raw.k, oid: raw.i, tableId: raw.t };
    });
  }

  /**
   * A fresh OID, unused by any committed object. The counter is transactional: OIDs taken by a
   * transaction that rolls back are handed out again (the objects that had them never existed).
   */
  async allocateOid(): Promise<number> {
    const bytes = await this.txn.get(NEXT_OID_KEY);
    const next = bytes === undefined ? FIRST_NORMAL_OID : getUint64BigEndian(bytes);
    if (next > OID_MAX) throw new ReefSqlError(SqlState.PROGRAM_LIMIT_EXCEEDED, 'the object identifier counter is exhausted');
    await this.txn.put(NEXT_OID_KEY, encodeUint64BigEndian(next + 1));
    return next;
  }

  /** The catalog version this transaction sees (0 before the first change). */
  async version(): Promise<number> {
    const bytes = await this.txn.get(VERSION_KEY);
    return bytes === undefined ? 0 : getUint64BigEndian(bytes);
  }

  private async bumpVersion(): Promise<void> {
    await this.txn.put(VERSION_KEY, encodeUint64BigEndian((await this.version()) + 1));
  }

  /** Records a name under `parentOid`; fails with PostgreSQL's duplicate error if it is taken. */
  async addName(parentOid: number, entry: NamespaceEntry): Promise<void> {
    checkName(entry.name);
    const existing = await this.lookup(parentOid, entry.name);
    if (existing !== undefined) throw duplicate(entry.kind, entry.name);
    const value: Record<string, unknown> = { k: entry.kind, i: entry.oid };
    if (entry.tableId !== undefined) value['t'] = entry.tableId;
    await this.txn.put(namespaceKey(parentOid, entry.name), packr.pack(value));
    await this.bumpVersion();
  }

  async removeName(parentOid: number, name: string): Promise<void> {
    await this.txn.delete(namespaceKey(parentOid, name));
    await this.bumpVersion();
  }

  /** Writes a descriptor (new, or a changed one whose version the caller raised). */
  async putDescriptor(descriptor: Descriptor): Promise<void> {
    await this.txn.put(descriptorKey(descriptor.id), packr.pack(descriptor));
    await this.bumpVersion();
  }

  async deleteDescriptor(oid: number): Promise<void> {
    await this.txn.delete(descriptorKey(oid));
    await this.bumpVersion();
  }

  /** Creates the objects every cluster starts with, if they are missing: database "postgres" with schemas
   * pg_catalog, public and information_schema. Idempotent. */
  async bootstrap(): Promise<void> {
    if ((await this.descriptor(BuiltinOid.defaultDatabase)) !== undefined) return;
    const database: DatabaseDescriptor = { kind: 'database', id: BuiltinOid.defaultDatabase, name: 'postgres', version: 1 };
    await this.putDescriptor(database);
    await this.addName(0, { name: database.name, kind: 'database', oid: database.id });
    const schemas: SchemaDescriptor[] = [
      { kind: 'schema', id: BuiltinOid.pgCatalogSchema, databaseId: database.id, name: 'pg_catalog', version: 1 },
      { kind: 'schema', id: BuiltinOid.publicSchema, databaseId: database.id, name: 'public', version: 1 },
      { kind: 'schema', id: BuiltinOid.informationSchema, databaseId: database.id, name: 'information_schema', version: 1 },
    ];
    for (const schema of schemas) {
      await this.putDescriptor(schema);
      await this.addName(database.id, { name: schema.name, kind: 'schema', oid: schema.id });
    }
  }
}
