// LIMIT / OFFSET: skips `offset` rows, then yields at most `limit` (undefined: no limit), and closes its
// input as soon as the limit is reached so that nothing upstream does more work than needed.

import type { ExecContext, Row } from '../context.js';
import type { Operator } from '../operator.js';

export class LimitOperator implements Operator {
  private toSkip: number;
  private remaining: number;
  private done = false;

  constructor(
    private readonly context: ExecContext,
    private readonly input: Operator,
    limit: number | undefined,
    offset: number,
  ) {
    if (!(offset >= 0) || (limit !== undefined && !(limit >= 0))) throw new RangeError(`limit ${limit} offset ${offset}`);
    this.toSkip = offset;
    this.remaining = limit ?? Infinity;
  }

  async next(): Promise<Row[] | undefined> {
    while (!this.done && this.remaining > 0) {
      this.context.checkCancel();
      let batch = await this.input.next();
      if (batch === undefined) break;
      if (this.toSkip > 0) {
        const skipped = Math.min(this.toSkip, batch.length);
        this.toSkip -= skipped;
        batch = batch.slice(skipped);
      }
      if (batch.length === 0) continue;
      if (batch.length > this.remaining) batch = batch.slice(0, this.remaining);
      this.remaining -= batch.length;
      return batch;
    }
    await this.finish();
    return undefined;
  }

  private async finish(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.input.close();
  }

  close(): Promise<void> {
    return this.finish();
  }
}
