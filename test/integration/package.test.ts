// The package as a user gets it: `npm pack` (its prepack script builds), installed with npm into
// a temporary global prefix and into a consumer project, offline, then used from there: the
// command line (--version, --dry-run, a retrieve from a real Orthanc), the library from plain ESM
// (a retrieve too), and its types from strict TypeScript without skipLibCheck.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { INSTANCES, listFiles, ROOT } from '../support/fixtures.ts';
import { assertFromOrthanc } from '../support/received.ts';
import { tempDir } from '../support/cli.ts';

const BIN = path.join(ROOT, 'node_modules', '.bin');
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; engines: { node: string } };

const work = tempDir('dcmget-package-');
const prefix = path.join(work, 'prefix');
const consumer = path.join(work, 'consumer');

/**
 * The environment of every command: the project's Node.js first on PATH (npm, and the installed
 * dcmget's `#!/usr/bin/env node`, run with it); none of the npm_* variables that `npm test` sets,
 * which the npm run here would otherwise take as its own configuration; and a cache of its own
 * (npx keeps what it installs there), removed with the rest.
 */
const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))),
  PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ''}`,
  npm_config_cache: path.join(work, 'npm-cache'),
  NO_COLOR: '1',
};

interface Run { code: number | null; stdout: string; stderr: string; error: string | undefined }

function run(command: string, args: string[], cwd: string, timeout = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: ENV, timeout, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr, error: err?.message });
    });
  });
}

function explain(r: Run): string {
  return `exit ${r.code}${r.error ? ` (${r.error})` : ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

let tarball: string;
let packed: string[];
let globalInstall: Run;
let projectInstall: Run;
let orthanc: OrthancServer;
const study = INSTANCES.filter((i) => i.file.includes('-s2-'));

before(async () => {
  const pack = await run('npm', ['pack', '--pack-destination', work], ROOT, 300_000);
  assert.equal(pack.code, 0, explain(pack));
  const tgz = fs.readdirSync(work).filter((f) => f.endsWith('.tgz'));
  assert.deepEqual(tgz, [`dcmget-${manifest.version}.tgz`]);
  tarball = path.join(work, tgz[0]!);
  const list = await run('tar', ['-tzf', tarball], work);
  assert.equal(list.code, 0, explain(list));
  packed = list.stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, '')).sort();
  // Offline: everything the package runs is in the tarball, so npm needs no registry.
  globalInstall = await run('npm', ['install', '-g', '--offline', '--prefix', prefix, tarball], work);
  fs.mkdirSync(consumer, { recursive: true });
  fs.writeFileSync(path.join(consumer, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2)}\n`);
  projectInstall = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], consumer);
  orthanc = await startOrthanc({ extraConfig: { UnknownSopClassAccepted: true } });
  await orthanc.upload(study.map((i) => i.path));
});

after(async () => {
  await orthanc?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The study from Orthanc, file by file against the fixtures. */
async function assertStudyReceived(dir: string): Promise<void> {
  const files = listFiles(dir);
  assert.deepEqual(files.map((f) => path.basename(f)).sort(), study.map((i) => `${i.sopInstanceUID}.dcm`).sort());
  for (const f of files) await assertFromOrthanc(f);
}

describe('the package, packed and installed', () => {
  test('the tarball holds what a user runs and imports, once: no source maps, no unbundled CLI, a LICENSE and the licences of what is bundled', async (t) => {
    const size = fs.statSync(tarball).size;
    for (const f of ['LICENSE', 'README.md', 'package.json', 'bin/dcmget.js', 'bin/package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/dcmget.cjs', 'dist/vendor/dcmjs.cjs', 'dist/vendor/cli-progress.cjs', 'dist/THIRD-PARTY-LICENSES.md']) {
      assert.ok(packed.includes(f), `${f} is in the tarball`);
    }
    assert.deepEqual(packed.filter((f) => f.endsWith('.map')), [], 'no source maps');
    // The command line bundled: its entry, the engine a run loads (main-*), the code both share (chunk-*).
    const cli = packed.filter((f) => f.startsWith('dist/cli/')).sort();
    assert.equal(cli.length, 3, `the command line in three modules: ${cli.join(', ')}`);
    assert.match(cli.join(' '), /^dist\/cli\/chunk-\w+\.cjs dist\/cli\/dcmget\.cjs dist\/cli\/main-\w+\.cjs$/);
    assert.deepEqual(packed.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), [], 'no TypeScript source');
    assert.match(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) 2026 the dcmget authors\n/);
    const notices = fs.readFileSync(path.join(ROOT, 'dist', 'THIRD-PARTY-LICENSES.md'), 'utf8');
    for (const name of ['commander', 'chalk', 'cli-progress', 'dcmjs', 'pako']) assert.match(notices, new RegExp(`^## ${name} `, 'm'));
    const installedManifest = JSON.parse((await run('tar', ['-xzOf', tarball, 'package/package.json'], work)).stdout) as Record<string, unknown>;
    assert.equal(installedManifest.dependencies, undefined, 'everything it runs is inside: a user installs one package');
    t.diagnostic(`tarball ${path.basename(tarball)}: ${size} bytes, ${packed.length} files`);
  });

  test('npm install, -g into a prefix and into a project, installs one package and prints no warning', (t) => {
    const r = globalInstall;
    t.diagnostic(`npm install -g --offline --prefix <tmp> ${path.basename(tarball)}: ${JSON.stringify(`${r.stdout}${r.stderr}`.trim())}`);
    assert.equal(r.code, 0, explain(r));
    assert.doesNotMatch(`${r.stdout}\n${r.stderr}`, /\bwarn/i, 'no npm warning');
    assert.match(r.stdout, /added 1 package\b/);
    assert.equal(fs.existsSync(path.join(prefix, 'lib', 'node_modules', 'dcmget', 'node_modules')), false, 'no dependency installed');
    assert.equal(projectInstall.code, 0, explain(projectInstall));
    assert.doesNotMatch(`${projectInstall.stdout}\n${projectInstall.stderr}`, /\bwarn/i, 'no npm warning');
    assert.deepEqual(fs.readdirSync(path.join(consumer, 'node_modules')).filter((d) => !d.startsWith('.')), ['dcmget'], 'dcmget and nothing else');
  });

  test('the installed command line: --version, --dry-run (with dcmjs, bundled) and a retrieve from Orthanc', async () => {
    const dcmget = path.join(prefix, 'bin', 'dcmget');
    const version = await run(dcmget, ['--version'], work);
    assert.equal(version.code, 0, explain(version));
    assert.equal(version.stdout.trim(), manifest.version);

    // A sequence key and an attribute outside common-attributes.ts: both need dcmjs.
    const dry = await run(dcmget, ['--dry-run', '-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.3',
      '-k', 'ReferencedSeriesSequence[0].SeriesInstanceUID=1.2.3.4', '-k', 'PatientSpeciesDescription=x', '127.0.0.1', '104'], work);
    assert.equal(dry.code, 0, explain(dry));
    assert.match(dry.stdout, /\(0010,2201\) LO \[x\]\s+# PatientSpeciesDescription/);
    assert.match(dry.stdout, /\(0008,1115\) SQ \(Sequence with 1 item\)/);

    const od = path.join(work, 'cli-study');
    const get = await run(dcmget, ['-S', '-aec', orthanc.aet, '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${study[0]!.studyInstanceUID}`,
      '-od', od, '127.0.0.1', String(orthanc.dicomPort)], work);
    assert.equal(get.code, 0, explain(get));
    assert.doesNotMatch(get.stderr, /^\s+at /m, 'no stack trace');
    await assertStudyReceived(od);
  });

  test('npx runs dcmget from the tarball', async () => {
    const r = await run('npx', ['--yes', '--offline', '--package', tarball, 'dcmget', '--version'], work);
    assert.equal(r.code, 0, explain(r));
    assert.equal(r.stdout.trim(), manifest.version);
  });

  describe('the library, installed into a project', () => {
    test('from plain ESM: startRetrieve\'s events from Orthanc, an aborted signal, an error code, an Identifier only dcmjs encodes', async () => {
      const od = path.join(work, 'library-study');
      fs.writeFileSync(path.join(consumer, 'get.mjs'), `
import { startRetrieve, retrieve, echo, buildIdentifier, key, parseKey, encodeIdentifier, AbortError, ConnectionError } from 'dcmget';
const [host, port, aet, study, outputDirectory] = process.argv.slice(2);
const peer = { host, port: Number(port), calledAeTitle: aet };
const { status } = await echo(peer);
const withSequence = encodeIdentifier(buildIdentifier([key('QueryRetrieveLevel', 'STUDY'), parseKey('ReferencedSeriesSequence[0].SeriesInstanceUID=1.2.3.4')]), '1.2.840.10008.1.2.1');
const options = { ...peer, model: 'study', identifiers: [buildIdentifier([key('QueryRetrieveLevel', 'STUDY'), key('StudyInstanceUID', study)])], outputDirectory };
let stored = 0;
const job = startRetrieve(options);
job.on('stored', ({ file }) => { if (file.path.startsWith(outputDirectory)) stored++; });
const result = await job.result;
const aborted = await retrieve({ ...options, signal: AbortSignal.abort('not now') }).catch((err) => err);
const refused = (await retrieve({ ...options, port: 1 })).error;
console.log(JSON.stringify({
  echo: status, sequenceBytes: withSequence.length, category: result.category, complete: result.complete, files: result.ledger.stored, stored,
  aborted: [aborted instanceof AbortError, aborted.name, aborted.code, aborted.cause, aborted.result.ledger.stored],
  refused: [refused instanceof ConnectionError, refused.code, refused.socketCode],
}));
`);
      const r = await run(path.join(BIN, 'node'), ['get.mjs', '127.0.0.1', String(orthanc.dicomPort), orthanc.aet, study[0]!.studyInstanceUID, od], consumer);
      assert.equal(r.code, 0, explain(r));
      const out = JSON.parse(r.stdout) as { sequenceBytes: number };
      assert.deepEqual(out, {
        echo: 0, sequenceBytes: out.sequenceBytes, category: 'success', complete: true, files: study.length, stored: study.length,
        aborted: [true, 'AbortError', 'ABORT_ERR', 'not now', 0],
        refused: [true, 'ERR_DCMGET_CONNECTION', 'ECONNREFUSED'],
      });
      assert.ok(out.sequenceBytes > 40, `an encoded Identifier with a sequence (${out.sequenceBytes} bytes)`);
      await assertStudyReceived(od);
    });

    test('from strict TypeScript without skipLibCheck, compiled by the project\'s tsc: the types are complete and not any', async () => {
      fs.writeFileSync(path.join(consumer, 'tsconfig.json'), `${JSON.stringify({
        compilerOptions: {
          strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', noEmit: true,
          // A Node library's types use Node's (node:tls options): the consumer has @types/node.
          types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')],
        },
        files: ['consumer.ts'],
      }, null, 2)}\n`);
      fs.writeFileSync(path.join(consumer, 'consumer.ts'), `
import {
  retrieve, startRetrieve, echo, buildIdentifier, key, parseKey, formatIdentifier, proposalForClasses, describeStatus, statusCategory,
  AbortError, AssociationRejectedError, CancelledError, ConnectionError, TimeoutError, UsageError,
  type DicomJsonDataset, type DicomJsonElement, type RetrieveOptions, type RetrieveResult, type RetrieveEvent, type StoredFile, type Key,
  type RetrieveJob, type RetrieveEventOf,
} from 'dcmget';

const keys: Key[] = [key('QueryRetrieveLevel', 'STUDY'), parseKey('StudyInstanceUID=1.2.3')];
const built: DicomJsonDataset = buildIdentifier(keys);
const element: DicomJsonElement = { vr: 'UI', Value: ['1.2.3'] };
const written: DicomJsonDataset = { '00080052': { vr: 'CS', Value: ['STUDY'] }, '0020000D': element };
const options: RetrieveOptions = {
  host: '127.0.0.1', port: 104, calledAeTitle: 'ORTHANC', identifiers: [built, written], outputDirectory: 'out',
  storage: proposalForClasses(['1.2.840.10008.5.1.4.1.1.2']),
  onEvent: (e: RetrieveEvent) => { if (e.type === 'stored') { const f: StoredFile = e.file; console.log(f.path); } },
};
export async function main(): Promise<string> {
  const { status } = await echo(options);
  const controller = new AbortController();
  const job: RetrieveJob = startRetrieve({ ...options, signal: controller.signal, abortNowSignal: AbortSignal.timeout(60_000), cancelGraceMs: 5000 });
  job.on('stored', (e) => { const f: StoredFile = e.file; console.log(f.path); });
  job.on('pending', ({ counters }) => { const done: number | undefined = counters.completed; if (done === 10) controller.abort(); });
  const final: (e: RetrieveEventOf<'final'>) => void = (e) => console.log(e.status.toString(16));
  job.on('final', final);
  let result: RetrieveResult;
  try {
    result = await job.result;
  } catch (err) {
    if (!(err instanceof AbortError)) throw err;
    const cause: unknown = err.cause;
    const code: 'ABORT_ERR' = err.code;
    result = err.result;
    console.log(cause, code);
  }
  const codes: string[] = [new CancelledError('x').code, new UsageError('y').code];
  if (result.error instanceof ConnectionError) codes.push(result.error.code, result.error.socketCode ?? '');
  if (result.error instanceof TimeoutError) codes.push(result.error.code, result.error.timer);
  if (result.error instanceof AssociationRejectedError) codes.push(result.error.code, String(result.error.rejection.reason));
  return [describeStatus(status, 'C-ECHO'), statusCategory(result.status ?? 0), formatIdentifier(written), ...codes].join();
}
// @ts-expect-error a 'stored' event carries a file, not counters
job0().on('stored', (e) => e.counters);
// @ts-expect-error no event of that name
job0().on('stord', () => undefined);
// @ts-expect-error a code is one string, not any
export const wrongCode: 'ERR_DCMGET_TIMEOUT' = new ConnectionError('x').code;
function job0(): RetrieveJob { return startRetrieve(options); }
// @ts-expect-error an element has a vr (PS3.18 F.2.2)
export const noVr: DicomJsonDataset = { '0020000D': { Value: ['1.2.3'] } };
// @ts-expect-error identifiers are required
export const noIdentifiers: RetrieveOptions = { host: '127.0.0.1', port: 104, outputDirectory: 'out' };
// @ts-expect-error a retrieve resolves to a RetrieveResult, not a string
export const notAString: Promise<string> = retrieve(options);
`);
      const r = await run(path.join(BIN, 'tsc'), ['-p', consumer], consumer);
      assert.equal(r.code, 0, `tsc on a strict consumer: ${explain(r)}`);
      assert.equal(`${r.stdout}${r.stderr}`.trim(), '');
    });
  });
});

test('package.json states the Node.js the package needs: what the bundled dcmjs (the strictest) and commander ask', () => {
  const atLeast = (range: string): number[] => /^>=\s*(\d+)\.(\d+)/.exec(range)!.slice(1).map(Number);
  const dcmjs = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'dcmjs', 'package.json'), 'utf8')) as { engines: { node: string } };
  const commander = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'commander', 'package.json'), 'utf8')) as { engines: { node: string } };
  const ours = atLeast(manifest.engines.node);
  for (const theirs of [atLeast(dcmjs.engines.node), atLeast(commander.engines.node)]) {
    assert.ok(ours[0]! > theirs[0]! || (ours[0] === theirs[0] && ours[1]! >= theirs[1]!), `engines ${manifest.engines.node} covers >=${theirs.join('.')}`);
  }
});
