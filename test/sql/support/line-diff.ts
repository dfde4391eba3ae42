// A line diff for mismatch reports: the longest common subsequence of expected and actual lines, shown
// as ` ` (both), `-` (expected only) and `+` (actual only). Results in logic files are small; past
// `cellsMax` table cells the diff gives up on alignment and lists all expected then all actual lines.

const cellsMax = 4_000_000;

export function diffLines(expected: readonly string[], actual: readonly string[]): string[] {
  const n = expected.length;
  const m = actual.length;
  if ((n + 1) * (m + 1) > cellsMax) {
    return [...expected.map((line) => `- ${line}`), ...actual.map((line) => `+ ${line}`)];
  }
  // common[i][j]: length of the longest common subsequence of expected[i..] and actual[j..].
  const common: Uint32Array[] = [];
  for (let i = 0; i <= n; i++) common.push(new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i]![j] =
        expected[i] === actual[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      out.push(`  ${expected[i]}`);
      i++;
      j++;
    } else if (i < n && (j === m || common[i + 1]![j]! >= common[i]![j + 1]!)) {
      out.push(`- ${expected[i]}`);
      i++;
    } else {
      out.push(`+ ${actual[j]}`);
      j++;
    }
  }
  return out;
}
