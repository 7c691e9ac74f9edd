// bin/dcmget.js compiles the command line's modules itself (node:vm) and keeps V8's code cache of
// each, made at exit with the functions that run called, in dcmget's folder of Node's compile
// cache directory, labelled by how far the run got (retrieve > run > cli). Shown against a real
// Orthanc, each test with a compile cache directory of its own (NODE_COMPILE_CACHE).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { INSTANCES, listFiles } from '../support/fixtures.ts';
import { runDcmget, tempDir } from '../support/cli.ts';

let orthanc: OrthancServer;
const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
const study = INSTANCES.filter((i) => i.file.startsWith('dicom/p1-s1-'));
const STUDY = study[0]!.studyInstanceUID;

before(async () => {
  orthanc = await startOrthanc();
  await orthanc.upload(study.map((i) => i.path));
});

after(async () => {
  await orthanc?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const peer = () => ['-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort)];

/** dcmget with its own compile cache root. */
async function dcmget(root: string, args: string[], env: Record<string, string> = {}) {
  return runDcmget(args, { env: { NODE_COMPILE_CACHE: root, ...env } });
}

/** dcmget's folder under the root: Node makes one folder per Node.js version and platform. */
function cacheFolder(root: string): string {
  const versions = fs.readdirSync(root).filter((f) => f.startsWith('v'));
  assert.equal(versions.length, 1, `one Node.js folder in ${root}: ${versions.join(', ')}`);
  return path.join(root, versions[0]!, 'dcmget');
}

/** The cache files, name → inode and contents (a cache made again is a new file renamed over it). */
function caches(root: string): Map<string, { ino: number; data: Buffer }> {
  const dir = cacheFolder(root);
  return new Map(fs.readdirSync(dir).sort().map((f) => [f, { ino: fs.statSync(path.join(dir, f)).ino, data: fs.readFileSync(path.join(dir, f)) }]));
}

const names = (m: Map<string, unknown>) => [...m.keys()].map((f) => f.replace(/-[A-Z0-9]{8}\.cjs/, '.cjs'));

async function retrieveStudy(root: string): Promise<void> {
  const od = out();
  const r = await dcmget(root, ['--study', STUDY, ...peer(), '-od', od, '-q']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(listFiles(od).length, study.length);
}

describe('the code cache of the command line', () => {
  test('each run labels its cache by how far it got; a later start reads the best one and keeps it', async () => {
    const root = out();
    const version = await dcmget(root, ['--version']);
    assert.equal(version.code, 0, version.stderr);
    assert.deepEqual(names(caches(root)), ['chunk.cjs.cli'], '--version: the shared module only, labelled cli');
    const echo = await dcmget(root, ['--echo', ...peer()]);
    assert.equal(echo.code, 0, echo.stderr);
    assert.deepEqual(names(caches(root)), ['chunk.cjs.cli', 'chunk.cjs.run', 'main.cjs.run'], '--echo loads the engine: run');
    const refused = await dcmget(root, ['--study', STUDY, '-aec', 'X', '127.0.0.1', '1', '-od', out()]);
    assert.notEqual(refused.code, 0);
    assert.equal(caches(root).size, 3, 'a retrieve that stored nothing got no further than --echo');
    await retrieveStudy(root);
    const made = caches(root);
    assert.deepEqual(names(made), ['chunk.cjs.cli', 'chunk.cjs.retrieve', 'chunk.cjs.run', 'main.cjs.retrieve', 'main.cjs.run']);
    // Read and accepted: a cache V8 turned down would be made again at exit.
    await retrieveStudy(root);
    assert.equal((await dcmget(root, ['--version'])).code, 0);
    assert.equal((await dcmget(root, ['--echo', ...peer()])).code, 0);
    assert.deepEqual(caches(root), made, 'no start made a cache again');
  });

  test('a cache V8 turns down is made again, and the run is unharmed', async () => {
    const root = out();
    await retrieveStudy(root);
    const dir = cacheFolder(root);
    const engine = fs.readdirSync(dir).find((f) => f.startsWith('main-'))!;
    const size = fs.statSync(path.join(dir, engine)).size;
    fs.writeFileSync(path.join(dir, engine), Buffer.alloc(size));
    await retrieveStudy(root);
    const again = fs.readFileSync(path.join(dir, engine));
    assert.equal(again.length > 0 && !again.equals(Buffer.alloc(again.length)), true, 'made again');
    // A cache that cannot be put in place (a folder in the way): the run is unharmed, and the
    // cache written for it is not left behind under its temporary name.
    fs.rmSync(path.join(dir, engine));
    fs.mkdirSync(path.join(dir, engine));
    fs.writeFileSync(path.join(dir, engine, 'keep'), 'x');
    await retrieveStudy(root);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => /\.\d+$/.test(f)), [], 'no temporary cache file left');
    assert.deepEqual(fs.readdirSync(path.join(dir, engine)), ['keep']);
  });

  test('no cache in a folder that others may write to or that another user owns, none when Node\'s is disabled', async () => {
    const root = out();
    await retrieveStudy(root);
    const dir = cacheFolder(root);
    for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
    fs.chmodSync(dir, 0o777);
    await retrieveStudy(root);
    assert.deepEqual(fs.readdirSync(dir), [], 'a folder others may write to: nothing read, nothing written');
    fs.chmodSync(dir, 0o700);
    // Giving the folder to another user takes root, as the README's test command has: a case not
    // run is not a pass.
    if (process.getuid?.() !== 0) assert.fail('this case gives the cache folder to another user (chown), which needs root');
    fs.chownSync(dir, 65534, 65534);
    await retrieveStudy(root);
    assert.deepEqual(fs.readdirSync(dir), [], 'another user\'s folder: nothing read, nothing written');
    const disabled = out();
    const od = out();
    const r = await dcmget(disabled, ['--study', STUDY, ...peer(), '-od', od, '-q'], { NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(listFiles(od).length, study.length);
    assert.deepEqual(fs.readdirSync(disabled), [], 'NODE_DISABLE_COMPILE_CACHE: no cache at all');
  });
});
