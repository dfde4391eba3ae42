// Proves that Raft behaves exactly as each scenario file under scenarios/ says: every block's commands
// are run and their output compared line by line with the expected output written below them
// (elections, pre-vote, check-quorum, replication and backtracking, conflicts, snapshots, transfers,
// reads, learners, joint consensus, dropped proposals). REEF_REWRITE=1 writes the actual outputs into
// the files instead, to be reviewed as a git diff; a broken Raft invariant fails even then.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseScenario, renderScenario, runScenario } from './scenarios/runner.js';

const directory = join(dirname(fileURLToPath(import.meta.url)), 'scenarios');
const rewrite = process.env['REEF_REWRITE'] === '1';
const only = process.env['REEF_SCENARIO'];
const files = readdirSync(directory)
  .filter((name) => name.endsWith('.txt') && (only === undefined || name.includes(only)))
  .sort();

t.ok(files.length > 0, 'there are scenario files to run');

for (const file of files) {
  t.test(file, async (t) => {
    const path = join(directory, file);
    const text = readFileSync(path, 'utf8');
    const parsed = parseScenario(text, file);
    const results = runScenario(parsed);
    for (const result of results) {
      const where = `${file}:${result.block.line}: ${result.block.commands.join(' / ')}`;
      t.notOk(result.invariantBroken, `${where}: no Raft invariant broken`);
      if (!rewrite) t.equal(result.actual.join('\n'), result.block.expected.join('\n'), where);
    }
    if (rewrite) {
      const rendered = renderScenario(parsed, results);
      if (rendered !== text) writeFileSync(path, rendered);
      t.pass(`${file} rewritten`);
    }
  });
}
