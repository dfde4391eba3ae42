// Checks a logic file for the two ways a test can pass against PostgreSQL by luck and fail against
// ReefDB for no fault of either:
//
// - a query whose expected rows (more than one) depend on an order nothing asks for: no ORDER BY at
//   its top level and no rowsort/valuesort. PostgreSQL returns heap order, ReefDB primary-key order;
//   both are right. Writing `nosort` explicitly says the order is defined anyway (VALUES, a
//   RETURNING of a multi-row VALUES insert, generate_series, a recursive CTE's output...).
// - a line ending in whitespace, which editors strip: a value ending in spaces must be shown another
//   way (length(), quote_literal(), '[' || v || ']').

import { splitLines, type LogicFile } from './logic-parser.js';

/** Whether `sql` has ORDER BY outside parentheses, string literals and quoted identifiers. */
export function hasTopLevelOrderBy(sql: string): boolean {
  let depth = 0;
  let topLevel = '';
  for (let index = 0; index < sql.length; index++) {
    const character = sql[index]!;
    if (character === "'" || character === '"') {
      const close = sql.indexOf(character, index + 1);
      index = close === -1 ? sql.length : close;
      topLevel += ' ';
      continue;
    }
    if (character === '(') depth++;
    else if (character === ')') depth--;
    else if (depth === 0) topLevel += character;
  }
  return /\border\s+by\b/i.test(topLevel);
}

export function lintLogicFile(logic: LogicFile, text: string): string[] {
  const problems: string[] = [];
  for (const record of logic.records) {
    if (record.kind !== 'query' || record.sortMode !== 'nosort' || record.headerOptions.includes('nosort')) continue;
    if (record.expected.length > 1 && !hasTopLevelOrderBy(record.sql)) {
      problems.push(
        `${logic.file}:${record.line}: ${record.expected.length} rows in no defined order: add ORDER BY, use rowsort, or write nosort if the order is defined`,
      );
    }
  }
  splitLines(text).forEach((line, index) => {
    if (/[ \t]$/.test(line)) problems.push(`${logic.file}:${index + 1}: the line ends in whitespace, which editors strip`);
  });
  return problems;
}
