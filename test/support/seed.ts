// The seed of a test file's randomized tests, announced the same way in every file: printed as a tap
// comment at the start, and again on stderr at the end if anything failed, so that the seed is the
// last thing a reader of a failure sees. `REEF_SEED=<seed>` replays it.

import t from 'tap';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedFromEnvironment } from '../../storage/env/random.js';

export function announceSeed(testFileUrl: string): number {
  const seed = seedFromEnvironment();
  const name = basename(fileURLToPath(testFileUrl));
  t.comment(`seed ${seed} (replay with REEF_SEED=${seed})`);
  t.teardown(() => {
    if (!t.passing()) console.error(`${name} failed; replay with REEF_SEED=${seed}`);
  });
  return seed;
}
