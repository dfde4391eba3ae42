// How every benchmark suite reports: a readable table of ours, the anchor's and the ratio per phase,
// and with --json a last line holding one JSON object {"suite", "ours", "anchor", "ratio"}.

export interface BenchRow {
  /** Phase name, as used for the JSON keys. */
  readonly phase: string;
  /** Unit of `ours` and `anchor`, e.g. "ops/s". */
  readonly unit: string;
  readonly ours: number;
  /** The anchor's figure for the same phase in the same run; undefined when there is none. */
  readonly anchor?: number;
  /** ours / anchor where higher is better (or as the suite defines it); undefined without an anchor. */
  readonly ratio?: number;
  /** Extra columns (peak RSS, longest event-loop stall, …), printed after the ratio. */
  readonly extra?: Readonly<Record<string, string | number>>;
}

export interface BenchReport {
  readonly suite: string;
  readonly anchorName: string;
  readonly rows: readonly BenchRow[];
  readonly ours: Readonly<Record<string, unknown>>;
  readonly anchor: Readonly<Record<string, unknown>>;
  readonly ratio: Readonly<Record<string, number>>;
  /** Lines printed under the table (what was measured, how, and caveats). */
  readonly notes?: readonly string[];
}

export function formatNumber(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** Renders rows as an aligned text table. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}

export function printReport(report: BenchReport, options: { json: boolean }, out: (line: string) => void): void {
  const extraKeys = [...new Set(report.rows.flatMap((row) => Object.keys(row.extra ?? {})))];
  const header = ['phase', 'unit', 'reef', report.anchorName, 'ratio', ...extraKeys];
  const body = report.rows.map((row) => [
    row.phase,
    row.unit,
    formatNumber(row.ours),
    formatNumber(row.anchor),
    row.ratio === undefined ? '-' : row.ratio.toFixed(2),
    ...extraKeys.map((key) => {
      const value = row.extra?.[key];
      return typeof value === 'number' ? formatNumber(value) : (value ?? '');
    }),
  ]);
  out(`reef bench ${report.suite}`);
  out(renderTable(header, body));
  for (const note of report.notes ?? []) out(note);
  if (options.json) {
    out(JSON.stringify({ suite: report.suite, ours: report.ours, anchor: report.anchor, ratio: report.ratio }));
  }
}
