// The README's "Library" section stays true: its three programs, taken from the README as they
// stand, run as a user runs them (`node get-study.mjs …`, with `import … from 'dcmget'` resolving
// to this package, built) against a real Orthanc, and do what the README says; and its error
// table is the one the exported classes carry.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { checkReceived, INSTANCES, listFiles, ROOT, sha256 } from '../support/fixtures.ts';
import { tempDir } from '../support/cli.ts';
import { ensureBuilt, NODE } from '../support/fake-scp-run.ts';
import * as dcmget from '../../src/index.ts';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const library = readme.slice(readme.indexOf('\n## Library\n'), readme.indexOf('\n## ', readme.indexOf('\n## Library\n') + 1));
/** The section's programs by the file name their first line gives them. */
const programs = new Map([...library.matchAll(/```js\n(\/\/ ([\w-]+\.mjs):[^\n]*\n[\s\S]*?)```/g)].map((m) => [m[2]!, m[1]!]));

const work = tempDir('dcmget-readme-library-');
let orthanc: OrthancServer;
const byStudy = (n: string) => INSTANCES.filter((i) => i.file.includes(`-${n}-`));

interface Run { code: number | null; stdout: string; stderr: string }

function run(program: string, args: string[]): Promise<Run> {
  const env = { ...process.env, PACS_HOST: '127.0.0.1', PACS_PORT: String(orthanc.dicomPort), PACS_AET: orthanc.aet, NO_COLOR: '1' };
  return new Promise((resolve) => {
    execFile(NODE, [program, ...args], { cwd: work, env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

const explain = (r: Run) => `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;

before(async () => {
  ensureBuilt();
  assert.deepEqual([...programs.keys()].sort(), ['get-list.mjs', 'get-study.mjs', 'pipe-study.mjs']);
  for (const [name, code] of programs) fs.writeFileSync(path.join(work, name), code);
  // `import 'dcmget'` from the programs' folder finds this package, by its package.json exports.
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(work, 'node_modules', 'dcmget'), 'dir');
  orthanc = await startOrthanc({ extraConfig: { UnknownSopClassAccepted: true } });
  await orthanc.upload(INSTANCES.map((i) => i.path));
});

after(async () => {
  await orthanc?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('the README\'s library programs, against Orthanc', () => {
  test('get-study.mjs: a study into a folder, with progress', async () => {
    const study = byStudy('s2');
    const folder = path.join(work, 'study');
    const r = await run('get-study.mjs', [study[0]!.studyInstanceUID, folder]);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, new RegExp(`^0x0000 Success: ${study.length} file\\(s\\), \\d+ bytes in ${folder}$`, 'm'));
    assert.match(r.stderr, new RegExp(`\\r${study.length} of ${study.length}: `), 'the progress reaches the total');
    const files = listFiles(folder);
    assert.equal(files.length, study.length);
    for (const f of files) await checkReceived(f);
  });

  test('get-list.mjs: a list of studies with parallel associations and a timeout signal; again, nothing new', async () => {
    const studies = [...new Set(INSTANCES.map((i) => i.studyInstanceUID))];
    fs.writeFileSync(path.join(work, 'studies.txt'), `${studies.join('\n')}\n`);
    const folder = path.join(work, 'archive');
    const r = await run('get-list.mjs', ['studies.txt', folder]);
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, new RegExp(`^${studies.length} of ${studies.length} studies complete, ${INSTANCES.length} file\\(s\\) stored$`, 'm'));
    for (const i of INSTANCES) assert.ok(fs.existsSync(path.join(folder, i.studyInstanceUID, `${i.sopInstanceUID}.dcm`)), i.file);
    const again = await run('get-list.mjs', ['studies.txt', folder]);
    assert.equal(again.code, 0, explain(again));
    assert.match(again.stdout, new RegExp(`^${studies.length} of ${studies.length} studies complete, 0 file\\(s\\) stored$`, 'm'));
  });

  test('pipe-study.mjs: each stored file\'s path to a child process as it arrives', async () => {
    const study = byStudy('s1');
    const folder = path.join(work, 'piped');
    const r = await run('pipe-study.mjs', [study[0]!.studyInstanceUID, folder]);
    assert.equal(r.code, 0, explain(r));
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, study.length, explain(r));
    for (const line of lines) {
      const [sum, file] = line.split(/ {2}/) as [string, string];
      assert.equal(sum, sha256(fs.readFileSync(file)), `${file}: the child read the complete file`);
    }
    assert.deepEqual(lines.map((l) => l.split(/ {2}/)[1]).sort(), listFiles(folder));
  });
});

test('the README\'s error table is the one the classes carry', () => {
  const rows = [...library.slice(library.indexOf('#### Errors')).matchAll(/^\| `(\w+)` \| `(\w+)` \|/gm)].map((m) => [m[1]!, m[2]!]);
  const classes = Object.entries(dcmget).filter(([, v]) => typeof v === 'function' && v.prototype instanceof Error) as [string, new (...a: never[]) => Error][];
  assert.deepEqual(rows.map(([name]) => name).sort(), classes.map(([name]) => name).sort(), 'every exported error class has a row');
  for (const [name, code] of rows) {
    const Class = classes.find(([n]) => n === name)![1];
    const instance = Reflect.construct(Class, name === 'AssociationRejectedError' ? [{ result: 1, source: 1, reason: 1 }] : name === 'TimeoutError' ? ['dimse', 'x'] : ['x']) as Error & { code: string };
    assert.equal(instance.code, code, name);
  }
});
