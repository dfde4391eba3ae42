// Sequence values: nextval and setval, which PostgreSQL makes non-transactional — a value handed out is
// never handed out again, even if the transaction that took it rolls back — so they run in their own
// short transactions, not the caller's.
//
// Each node reserves values in blocks (PostgreSQL logs 32 values ahead in its WAL; ReefDB reserves
// BLOCK_VALUES per round trip): the stored state is the last value reserved, and nextval serves from
// the node's current block until it runs out. A crash loses the rest of a block, leaving a gap, as a
// PostgreSQL crash may. One session's calls on one node see consecutive values; concurrent nodes get
// interleaved blocks (values stay unique, as PostgreSQL's with CACHE > 1).
//
// Storage: 0x01 'c' 's' | oid u32 -> msgpack { last: bigint, called: boolean } (PostgreSQL's last_value
// and is_called), written by reservations and setval.

import { Packr } from 'msgpackr';
import type { TransactionManager } from '../../engine/txn/index.js';
import { ReefSqlError, SqlState } from '../errors.js';
import type { SequenceDescriptor } from './descriptors.js';

/** Values a node reserves per round trip to the store. */
export const BLOCK_VALUES = 32n;

const packr = new Packr({ useRecords: false, moreTypes: false, useBigIntExtension: true });

function stateKey(oid: number): Uint8Array {
  const key = new Uint8Array(7);
  key.set([0x01, 0x63, 0x73], 0);
  new DataView(key.buffer).setUint32(3, oid);
  return key;
}

interface StoredState {
  /** The last value reserved (or set). */
  readonly last: bigint;
  /** False after setval(…, false) and before the first nextval: the next value is `last` itself. */
  readonly called: boolean;
}

interface Block {
  /** The next value to hand out. */
  next: bigint;
  /** The last value of the block (inclusive). */
  readonly last: bigint;
}

export class SequenceValues {
  private readonly blocks = new Map<number, Block>();
  /** One reservation per sequence at a time; callers queue behind it. */
  private readonly reserving = new Map<number, Promise<void>>();

  constructor(private readonly transactions: TransactionManager) {}

  /** nextval: the sequence's next value; 2200H at its bound unless it cycles. */
  async nextval(sequence: SequenceDescriptor): Promise<bigint> {
    for (;;) {
      const block = this.blocks.get(sequence.id);
      if (block !== undefined && (sequence.increment > 0n ? block.next <= block.last : block.next >= block.last)) {
        const value = block.next;
        block.next += sequence.increment;
        return value;
      }
      await this.reserve(sequence);
    }
  }

  /** setval(seq, value, isCalled): the next nextval returns value + increment (or value, if not called). */
  async setval(sequence: SequenceDescriptor, value: bigint, isCalled: boolean): Promise<bigint> {
    if (value < sequence.min || value > sequence.max) {
      throw new ReefSqlError(
        SqlState.NUMERIC_VALUE_OUT_OF_RANGE,
        `setval: value ${value} is out of bounds for sequence "${sequence.name}" (${sequence.min}..${sequence.max})`,
      );
    }
    await this.write(sequence, { last: value, called: isCalled });
    this.blocks.delete(sequence.id);
    return value;
  }

  /** Forgets a dropped sequence's block. */
  forget(oid: number): void {
    this.blocks.delete(oid);
  }

  private async write(sequence: SequenceDescriptor, state: StoredState): Promise<void> {
    const txn = await this.transactions.begin({ isolation: 'read committed' });
    try {
      await txn.put(stateKey(sequence.id), packr.pack(state));
      await txn.commit();
    } catch (error) {
      await txn.rollback().catch(() => undefined);
      throw error;
    }
  }

  private reserve(sequence: SequenceDescriptor): Promise<void> {
    const running = this.reserving.get(sequence.id);
    if (running !== undefined) return running;
    const work = this.reserveBlock(sequence).finally(() => this.reserving.delete(sequence.id));
    this.reserving.set(sequence.id, work);
    return work;
  }

  private async reserveBlock(sequence: SequenceDescriptor): Promise<void> {
    const { increment, min, max } = sequence;
    const ascending = increment > 0n;
    // READ COMMITTED: the put locks the key, so concurrent reservations on other nodes queue up and
    // each reads the newest state under its lock (no lost update, no retry loop).
    const txn = await this.transactions.begin({ isolation: 'read committed' });
    try {
      const [bytes] = await txn.lockForUpdate([stateKey(sequence.id)]);
      const stored = bytes === undefined ? undefined : (packr.unpack(bytes) as StoredState);
      let first: bigint;
      if (stored === undefined) first = sequence.start;
      else if (!stored.called) first = stored.last;
      else first = stored.last + increment;
      if (ascending ? first > max : first < min) {
        if (!sequence.cycle) {
          const bound = ascending ? `maximum value of sequence "${sequence.name}" (${max})` : `minimum value of sequence "${sequence.name}" (${min})`;
          throw new ReefSqlError(SqlState.SEQUENCE_GENERATOR_LIMIT_EXCEEDED, `nextval: reached ${bound}`);
        }
        first = ascending ? min : max;
      }
      // The block ends BLOCK_VALUES - 1 steps later, or at the bound.
      const span = increment * (BLOCK_VALUES - 1n);
      let last = first + span;
      if (ascending ? last > max : last < min) last = ascending ? first + ((max - first) / increment) * increment : first + ((min - first) / increment) * increment;
      await txn.put(stateKey(sequence.id), packr.pack({ last, called: true } satisfies StoredState));
      await txn.commit();
      this.blocks.set(sequence.id, { next: first, last });
    } catch (error) {
      await txn.rollback().catch(() => undefined);
      throw error;
    }
  }
}
