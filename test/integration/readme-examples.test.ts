// The README's examples run as written: every `sh` block of "Your first retrieve" and "Common
// tasks" runs in bash, in order and in one folder, as a reader pasting them one after the other
// would (the list made for one example serves the next), against a real Orthanc loaded with the fixtures as
// `bash scripts/demo.sh --serve` loads it (AE title ORTHANC, unknown SOP classes accepted), with
// `dcmget` on PATH. Only the port differs: the README's 4242 becomes the port this Orthanc got.
// `npm install -g dcmget` is the one line not run: the test runs this checkout's dcmget. Blocks in
// other languages (the Kubernetes Job, the Slurm script) need a cluster; the GNU parallel block
// beside them runs the same --shard and --ledger mechanics for real.
//
// Run: ./node_modules/.bin/node --test test/integration/readme-examples.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { INSTANCES, ROOT } from '../support/fixtures.ts';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { makeTempDir, removeDir, requireBinary } from '../support/peers.ts';
import { ensureBuilt, NODE } from '../support/fake-scp-run.ts';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The `sh` blocks between two headings of the README, with the heading they stand under. */
function blocks(from: string, to: string): { under: string; code: string }[] {
  const part = README.slice(README.indexOf(from), README.indexOf(to));
  const out: { under: string; code: string }[] = [];
  let under = from;
  for (const m of part.matchAll(/^(#{2,3} .*|\*\*[^*]+\*\*.*)$|^```sh\n([\s\S]*?)^```$/gm)) {
    if (m[1]) under = m[1].slice(0, 80);
    else out.push({ under, code: m[2]! });
  }
  return out;
}

const EXAMPLES = blocks('## Your first retrieve', '## Troubleshooting').filter((b) => !b.under.startsWith('## The two commands'));

let orthanc: OrthancServer;
let work = '';
let bin = '';

before(async () => {
  ensureBuilt();
  requireBinary(['dump2dcm'], 'DCMTK is not installed: apt-get install -y dcmtk');
  requireBinary(['parallel'], 'GNU parallel is not installed: apt-get install -y parallel');
  work = await makeTempDir('readme-examples');
  bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  // `dcmget` as an installed package gives it: this checkout's launcher, on the project's Node.
  fs.writeFileSync(path.join(bin, 'dcmget'), `#!/bin/sh\nexec "${NODE}" "${path.join(ROOT, 'bin', 'dcmget.js')}" "$@"\n`, { mode: 0o755 });
  orthanc = await startOrthanc({ extraConfig: { UnknownSopClassAccepted: true } });
  await orthanc.upload(INSTANCES.map((i) => i.path));
});

after(async () => {
  await orthanc?.stop();
  if (work) await removeDir(work);
});

describe('the README\'s examples, as written, against a real Orthanc', () => {
  test('there are examples to run (the README has not lost them)', () => {
    assert.ok(EXAMPLES.length >= 12, `${EXAMPLES.length} sh blocks found`);
  });

  EXAMPLES.forEach(({ under, code }, i) => {
    test(`${i + 1}: ${under.replace(/\*\*/g, '')}`, () => {
      const dir = path.join(work, 'reader');
      fs.mkdirSync(dir, { recursive: true });
      const script = code
        .replace(/^npm install -g dcmget\b.*$/m, 'true # installed from this checkout by the test')
        .replaceAll('127.0.0.1 4242', `127.0.0.1 ${orthanc.dicomPort}`)
        .replaceAll('"port": 4242', `"port": ${orthanc.dicomPort}`);
      const r = spawnSync('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: dir, encoding: 'utf8', timeout: 120_000,
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', HOME: dir },
      });
      assert.equal(r.status, 0, `the example exits ${r.status}:\n${script}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`);
      // What it fetched is on disk, whole: no temporary file anywhere below the reader's folder.
      const parts = fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.part'));
      assert.deepEqual(parts, []);
    });
  });
});
