// Issue 6, long mode: every fuzz property of properties.ts, 1,000,000 inputs in all by default.
//
//   npm run fuzz                          a random seed, printed
//   npm run fuzz -- --runs 5000000        more inputs (or FUZZ_RUNS=5000000)
//   npm run fuzz -- --seed 1234           replay a seed (or FUZZ_SEED=1234)
//   npm run fuzz -- --only PduParser      properties whose name contains the text
//
// Inputs are shared among the properties by weight. When a property fails, its first counterexample
// (shrunk) and the seed/path to replay it are printed, and its remaining inputs still run, counting
// how many fail and for which distinct reasons. Exit status 1 when any property failed.
import { parseArgs } from 'node:util';
import fc from 'fast-check';

import { PROPERTIES } from './properties.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string' },
    seed: { type: 'string' },
    only: { type: 'string' },
  },
});

const total = Number(values.runs ?? process.env.FUZZ_RUNS ?? 1_000_000);
const seed = Number(values.seed ?? process.env.FUZZ_SEED ?? (Math.random() * 2 ** 31) | 0);
if (!Number.isInteger(total) || total < 1) throw new Error(`--runs must be a positive integer, not ${values.runs ?? process.env.FUZZ_RUNS}`);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, not ${values.seed ?? process.env.FUZZ_SEED}`);

const selected = PROPERTIES.filter((p) => !values.only || p.name.includes(values.only));
const weights = selected.reduce((n, p) => n + p.weight, 0);
console.log(`dcmget fuzz: ${selected.length} properties, ${total.toLocaleString('en')} inputs, seed ${seed}`);

const started = performance.now();
let inputs = 0;
const failures: string[] = [];
for (const p of selected) {
  const i = PROPERTIES.indexOf(p); // seeds follow the property, with or without --only
  const numRuns = Math.max(1, Math.ceil((total * p.weight) / weights)); // rounded up: never fewer than asked
  const t0 = performance.now();
  const details = fc.check(p.property, { seed: seed + i, numRuns });
  let ran = details.numRuns;
  let failed = details.failed ? 1 : 0;
  const reasons = new Map<string, number>();
  if (details.failed) {
    // Go on with the rest of this property's inputs, without stopping or shrinking.
    const rest = numRuns - details.numRuns;
    const counting = fc.property(p.arbitrary, (value) => {
      try {
        p.predicate(value);
      } catch (err) {
        failed++;
        // Grouped by message shape: numbers and quoted values blanked.
        const reason = String(err instanceof Error ? err.message : err).split('\n')[0]!
          .replace(/"(?:[^"\\]|\\.)*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 160);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
    });
    if (rest > 0) ran += fc.check(counting, { seed: seed + i + 0x10000, numRuns: rest }).numRuns;
  }
  const seconds = (performance.now() - t0) / 1000;
  inputs += ran;
  const status = details.failed ? 'FAIL' : 'ok  ';
  console.log(`${status} ${String(ran).padStart(9)} inputs ${seconds.toFixed(1).padStart(7)} s  ${p.name}${failed ? `  (${failed} failing)` : ''}`);
  if (details.failed) {
    failures.push(p.name);
    console.log(`     replay: --seed ${seed} --only ${JSON.stringify(p.name)} (property seed ${seed + i}, path "${details.counterexamplePath}")`);
    console.log(fc.defaultReportMessage(details)?.split('\n').map((l) => `     ${l}`).join('\n'));
    const top = [...reasons].sort((a, b) => b[1] - a[1]);
    for (const [reason, n] of top.slice(0, 10)) console.log(`     ${String(n).padStart(7)} × ${reason}`);
    if (top.length > 10) console.log(`     … and ${top.length - 10} other reasons`);
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(`${inputs.toLocaleString('en')} inputs in ${seconds.toFixed(1)} s (${Math.round(inputs / seconds).toLocaleString('en')}/s), seed ${seed}: ${failures.length ? `${failures.length} failing: ${failures.join('; ')}` : 'no failures'}`);
process.exitCode = failures.length ? 1 : 0;
