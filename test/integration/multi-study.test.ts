// Issue 11 against real Orthanc and real dcmqrscp: five studies of three patients, 14 storage SOP
// classes in 11 transfer syntaxes (test/support/studies.ts), retrieved in ONE run (--uids-from,
// --parallel 1 and 3) land the same files with the same bytes as when each study is retrieved
// alone. Before the pipeline, the run shared one association's contexts among all five studies:
// some syntaxes were never proposed and Orthanc sent those instances transcoded, with exit 0.
//
// Orthanc sends an instance on a context of its stored syntax when one is accepted, so every
// instance must come back byte-identical to the file uploaded, but for the two stored Deflated:
// dcmget proposes Deflated only where its inventory saw it, Orthanc's C-FIND does not say, and
// Orthanc then sends them as Implicit VR LE, the same attributes (docs/peers.md). dcmqrscp (the profile accepting
// every syntax) sends on the first accepted context of a class and converts between the
// uncompressed syntaxes only: what is stored compressed comes back byte-identical in recovery's
// one-syntax passes, what is stored implicit, big endian or deflated arrives as explicit VR LE.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { startDcmqrscp, type DcmqrscpServer } from '../support/dcmqrscp.ts';
import { readPart10, runDcmtk } from '../support/dcmtk.ts';
import { listFiles } from '../support/fixtures.ts';
import { runDcmget, tempDir } from '../support/cli.ts';
import { attributeDifferences } from '../support/received.ts';
import { buildMixedStudies, dataSetBytes, studyUids, TS, type MadeInstance } from '../support/studies.ts';

const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
let made: MadeInstance[];
let byUid: Map<string, MadeInstance>;
let studies: string[];
let list: string;
let orthanc: OrthancServer;
let dcmqrscp: DcmqrscpServer;

before(async () => {
  made = await buildMixedStudies(out());
  byUid = new Map(made.map((m) => [m.sopInstanceUid, m]));
  studies = studyUids(made);
  assert.equal(studies.length, 5);
  assert.equal(new Set(made.map((m) => m.sopClassUid)).size, 14, '14 storage SOP classes');
  assert.equal(new Set(made.map((m) => m.patientId)).size, 3);
  for (const ts of Object.values(TS)) assert.ok(made.some((m) => m.transferSyntaxUid === ts), `some instance is stored in ${ts}`);
  list = path.join(out(), 'studies.txt');
  fs.writeFileSync(list, `${studies.join('\n')}\n`);
  orthanc = await startOrthanc();
  await orthanc.upload(made.map((m) => m.path));
  // dcmqridx registers the files as they are (storescu would let dcmqrscp store what it was sent).
  dcmqrscp = await startDcmqrscp({ files: made.map((m) => m.path), acceptAllTransferSyntaxes: true });
  const all = made.map((m) => m.sopInstanceUid).sort();
  assert.deepEqual(await orthanc.instances(), all, 'Orthanc holds every instance');
  assert.deepEqual(await dcmqrscp.instances(), all, 'dcmqrscp holds every instance');
});

after(async () => {
  await orthanc?.stop();
  await dcmqrscp?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** What landed in a folder, by SOP Instance UID. */
interface Landed { file: string; transferSyntaxUid: string; dataSet: Buffer }

interface Run {
  landed: Map<string, Landed>;
  associations: { find: number; get: number };
  queries: number;
}

function landedIn(dir: string): Map<string, Landed> {
  const files = listFiles(dir);
  assert.deepEqual(files.filter((f) => path.basename(f).startsWith('.') || f.endsWith('.part')), [], `no temporary file left in ${dir}`);
  const landed = new Map<string, Landed>();
  for (const file of files) {
    const info = readPart10(file);
    assert.equal(path.basename(file), `${info.sopInstanceUID}.dcm`);
    assert.ok(!landed.has(info.sopInstanceUID), `${info.sopInstanceUID} twice`);
    assert.equal(info.mediaStorageSOPClassUID, byUid.get(info.sopInstanceUID)?.sopClassUid, `${file}: Media Storage SOP Class UID`);
    landed.set(info.sopInstanceUID, { file, transferSyntaxUid: info.transferSyntaxUID, dataSet: fs.readFileSync(file).subarray(info.datasetOffset) });
  }
  return landed;
}

async function retrieve(peer: string[], query: string[]): Promise<Run & { dir: string }> {
  const dir = out();
  const r = await runDcmget(['-S', ...query, '--json', ...peer, '-od', dir], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  const j = JSON.parse(r.stdout) as { associations: Run['associations']; queries: number; complete: boolean; ledger: { stored: number } };
  assert.equal(j.complete, true, r.stderr);
  return { dir, landed: landedIn(dir), associations: j.associations, queries: j.queries };
}

/** Each study alone, in its own run: what lands, and the associations and C-FINDs of all five runs. */
async function oneByOne(peer: string[]): Promise<Run> {
  const landed = new Map<string, Landed>();
  const associations = { find: 0, get: 0 };
  let queries = 0;
  for (const study of studies) {
    const r = await retrieve(peer, ['--study', study]);
    for (const [uid, l] of r.landed) landed.set(uid, l);
    associations.find += r.associations.find;
    associations.get += r.associations.get;
    queries += r.queries;
  }
  return { landed, associations, queries };
}

/** Same data set bytes as the original (after inflating a deflated one), in the same syntax. */
function identicalToOriginal(uid: string, l: Landed): boolean {
  const m = byUid.get(uid)!;
  return l.transferSyntaxUid === m.transferSyntaxUid && dataSetBytes(l.file).equals(dataSetBytes(m.path));
}

function countIdentical(run: Run): number {
  return [...run.landed].filter(([uid, l]) => identicalToOriginal(uid, l)).length;
}

function assertSameAs(multi: Run, single: Run, what: string): void {
  assert.deepEqual([...multi.landed.keys()].sort(), made.map((m) => m.sopInstanceUid).sort(), `${what}: every instance, once`);
  for (const [uid, l] of multi.landed) {
    const s = single.landed.get(uid)!;
    assert.equal(l.transferSyntaxUid, s.transferSyntaxUid, `${what}: ${uid} (stored ${byUid.get(uid)!.transferSyntaxUid}) arrived in another syntax than alone`);
    // A deflated stream may be compressed again by the sender: the inflated bytes must agree.
    const same = l.transferSyntaxUid === TS.deflated ? dataSetBytes(l.file).equals(dataSetBytes(s.file)) : l.dataSet.equals(s.dataSet);
    assert.ok(same, `${what}: ${uid} (${l.transferSyntaxUid}) data set differs from the one retrieved alone`);
  }
}

function report(t: TestContext, peerName: string, what: string, run: Run): void {
  t.diagnostic(`${peerName} ${what}: ${run.landed.size} instances, ${countIdentical(run)} byte-identical to the originals, associations find ${run.associations.find} + get ${run.associations.get}, C-FINDs ${run.queries}`);
}

/** What the peer sends of an instance stored in `stored`: the stored bytes, or that syntax (the same attributes). */
type Sends = (stored: string) => 'stored' | string;
const orthancSends: Sends = (stored) => (stored === TS.deflated ? TS.implicit : 'stored');
// dcmqrscp converts what is stored uncompressed to the first accepted context (explicit VR LE).
const dcmqrscpSends: Sends = (stored) => ([TS.implicit, TS.bigEndian, TS.deflated].includes(stored as never) ? TS.explicit : 'stored');

const peers: [string, () => string[], Sends][] = [
  ['Orthanc', () => ['-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort)], orthancSends],
  ['dcmqrscp', () => ['-aec', dcmqrscp.aet, '127.0.0.1', String(dcmqrscp.port)], dcmqrscpSends],
];

/**
 * The original to compare attributes with: itself, or for big endian its DCMTK conversion to
 * explicit VR LE (dcmjs reads a big endian file's OW Pixel Data bytes unswapped).
 */
async function attributeReference(m: MadeInstance): Promise<string> {
  if (m.transferSyntaxUid !== TS.bigEndian) return m.path;
  const file = path.join(out(), path.basename(m.path));
  const r = await runDcmtk('dcmconv', ['+te', m.path, file]);
  assert.equal(r.code, 0, r.stderr);
  return file;
}

/** Each instance as the peer sends it: byte-identical, or in the syntax it converts to with the original's attributes. */
async function assertAsSent(run: Run, sends: Sends): Promise<void> {
  for (const [uid, l] of run.landed) {
    const original = byUid.get(uid)!;
    const want = sends(original.transferSyntaxUid);
    if (want === 'stored') {
      assert.ok(identicalToOriginal(uid, l), `${uid} (stored ${original.transferSyntaxUid}) arrived as ${l.transferSyntaxUid}, not byte-identical`);
    } else {
      assert.equal(l.transferSyntaxUid, want, `${uid} (stored ${original.transferSyntaxUid})`);
      assert.deepEqual(attributeDifferences(await attributeReference(original), l.file), [], `${uid} (stored ${original.transferSyntaxUid}): the original's attributes`);
    }
  }
}

for (const [name, peer, sends] of peers) {
  describe(`five studies of mixed classes and syntaxes, ${name}`, () => {
    let single: Promise<Run> | undefined;
    const alone = () => (single ??= oneByOne(peer()));

    test('each study alone: every instance, in the syntax the peer can send it in', async (t) => {
      const run = await alone();
      report(t, name, 'one by one (5 runs)', run);
      assert.deepEqual([...run.landed.keys()].sort(), made.map((m) => m.sopInstanceUid).sort());
      await assertAsSent(run, sends);
    });

    for (const parallel of [1, 3]) {
      test(`the five in one run, --parallel ${parallel}: the same files, the same bytes as one by one`, async (t) => {
        const multi = await retrieve(peer(), ['--uids-from', list, '--parallel', String(parallel)]);
        report(t, name, `one run --parallel ${parallel}`, multi);
        assertSameAs(multi, await alone(), `--parallel ${parallel}`);
        assert.equal(countIdentical(multi), countIdentical(await alone()));
        await assertAsSent(multi, sends);
        // One C-FIND association serves the five inventories. dcmqrscp answers no SOP Class UID, so
        // its inventories list one series each and stop; recovery, which must list what failed,
        // opens one more after the first was released (no inventory left to take): two, not ten.
        assert.equal(multi.associations.find, name === 'dcmqrscp' ? 2 : 1, 'the C-FIND associations of the whole run');
      });
    }
  });
}
