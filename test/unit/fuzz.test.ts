// Issue 6: the fuzz properties of test/fuzz/properties.ts, a quick fixed-seed pass for `npm test`.
// The long run is `npm run fuzz` (test/fuzz/run.ts, a million inputs and more).
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { PROPERTIES } from '../fuzz/properties.ts';

const SEED = 0x0d1c06e7;
/** Runs per unit of weight: about 6,000 inputs over all properties, a few seconds. */
const RUNS_PER_WEIGHT = 60;

describe(`fuzz (fast-check, seed ${SEED})`, () => {
  PROPERTIES.forEach((p, i) => {
    it(p.name, () => {
      fc.assert(p.property, { seed: SEED + i, numRuns: p.weight * RUNS_PER_WEIGHT });
    });
  });
});
