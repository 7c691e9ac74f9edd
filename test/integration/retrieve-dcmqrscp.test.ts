// Issue 2 against a real DCMTK dcmqrscp (Debian package `dcmtk`), the second real C-GET SCP.
// dcmqrscp answers no SOP Class UID in C-FIND (neither SOP Classes in Study nor, at the IMAGE
// level, SOP Class UID), so dcmget proposes its default storage classes;
// it sends each instance on the first accepted context of its class and converts between the
// uncompressed syntaxes only, so its default configuration can serve what is stored uncompressed
// (and deflated, which it inflates) of the standard classes. What it cannot send is reported, never lost silently.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDcmqrscp, type DcmqrscpServer } from '../support/dcmqrscp.ts';
import { readPart10, runGetscu } from '../support/dcmtk.ts';
import { checkReceived, INSTANCES, listFiles, UNCOMPRESSED, DEFLATED, type FixtureInstance } from '../support/fixtures.ts';
import { finalCounters, runDcmget, tempDir } from '../support/cli.ts';

let servable: DcmqrscpServer;
let everything: DcmqrscpServer;
const dirs: string[] = [];
// A private class is not among the classes dcmget proposes when the peer cannot name them.
const canServe = (i: FixtureInstance) => (UNCOMPRESSED.has(i.transferSyntaxUID) || i.transferSyntaxUID === DEFLATED) && !i.private;
const SERVABLE = INSTANCES.filter(canServe);

function out(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

before(async () => {
  servable = await startDcmqrscp({ files: SERVABLE.map((i) => i.path) });
  everything = await startDcmqrscp({ files: INSTANCES.map((i) => i.path) });
});

after(async () => {
  await servable?.stop();
  await everything?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const peer = (s: DcmqrscpServer) => ['-aec', s.aet, '127.0.0.1', String(s.port)];

async function retrieveAndCheck(args: string[], expected: FixtureInstance[]): Promise<void> {
  assert.ok(expected.length > 0, 'the case retrieves something');
  const od = out();
  const r = await runDcmget([...args, ...peer(servable), '-od', od]);
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  const files = listFiles(od);
  assert.deepEqual(files.map((f) => path.basename(f)).sort(), expected.map((i) => `${i.sopInstanceUID}.dcm`).sort());
  let identical = 0;
  for (const f of files) if ((await checkReceived(f)).identical) identical++;
  // Explicit VR little endian instances travel unchanged; implicit and deflated ones are converted.
  assert.equal(identical, expected.filter((i) => i.transferSyntaxUID === '1.2.840.10008.1.2.1').length, 'explicit VR LE instances byte-identical');
  assert.deepEqual(finalCounters(r.stderr), { completed: expected.length, failed: 0, warning: 0 }, r.stderr);
}

describe('dcmget against real dcmqrscp', () => {
  for (const [name, args, pick] of [
    ['PATIENT level, patient root', (i: FixtureInstance) => ['-k', 'QueryRetrieveLevel=PATIENT', '-k', `PatientID=${i.patientID}`], (i: FixtureInstance, j: FixtureInstance) => j.patientID === i.patientID],
    ['PATIENT level, patient/study only (-O)', (i: FixtureInstance) => ['-O', '-k', 'QueryRetrieveLevel=PATIENT', '-k', `PatientID=${i.patientID}`], (i: FixtureInstance, j: FixtureInstance) => j.patientID === i.patientID],
    ['STUDY level, study root', (i: FixtureInstance) => ['-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${i.studyInstanceUID}`], (i: FixtureInstance, j: FixtureInstance) => j.studyInstanceUID === i.studyInstanceUID],
    ['STUDY level, patient root', (i: FixtureInstance) => ['-k', 'QueryRetrieveLevel=STUDY', '-k', `PatientID=${i.patientID}`, '-k', `StudyInstanceUID=${i.studyInstanceUID}`], (i: FixtureInstance, j: FixtureInstance) => j.studyInstanceUID === i.studyInstanceUID],
    ['SERIES level, study root', (i: FixtureInstance) => ['-S', '-k', 'QueryRetrieveLevel=SERIES', '-k', `StudyInstanceUID=${i.studyInstanceUID}`, '-k', `SeriesInstanceUID=${i.seriesInstanceUID}`], (i: FixtureInstance, j: FixtureInstance) => j.seriesInstanceUID === i.seriesInstanceUID],
    ['IMAGE level, study root', (i: FixtureInstance) => ['-S', '-k', 'QueryRetrieveLevel=IMAGE', '-k', `StudyInstanceUID=${i.studyInstanceUID}`, '-k', `SeriesInstanceUID=${i.seriesInstanceUID}`, '-k', `SOPInstanceUID=${i.sopInstanceUID}`], (i: FixtureInstance, j: FixtureInstance) => j.sopInstanceUID === i.sopInstanceUID],
  ] as const) {
    test(name, async () => {
      const seed = SERVABLE.find((i) => i.file.includes('-s2-'))!;
      await retrieveAndCheck(args(seed), SERVABLE.filter((j) => pick(seed, j)));
    });
  }

  test('DCMTK getscu lands the same SOP Instance UIDs (study 3)', async () => {
    const s3 = SERVABLE.filter((i) => i.file.includes('-s3-'));
    const uid = s3[0]!.studyInstanceUID;
    const mine = out();
    const theirs = out();
    const r = await runDcmget(['-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${uid}`, ...peer(servable), '-od', mine]);
    assert.equal(r.code, 0, r.stderr);
    await runGetscu(['-S', '-aet', 'GETSCU', '-aec', servable.aet, '127.0.0.1', String(servable.port), '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${uid}`, '-od', theirs]);
    const uids = (d: string) => listFiles(d).map((f) => readPart10(f).sopInstanceUID).sort();
    assert.deepEqual(uids(mine), uids(theirs));
    assert.deepEqual(uids(mine), s3.map((i) => i.sopInstanceUID).sort());
  });

  test('its IMAGE level answers name no SOP class: the plan asks one IMAGE level C-FIND, not one per series', async () => {
    const s2 = SERVABLE.filter((i) => i.file.includes('-s2-'));
    const series = new Set(s2.map((i) => i.seriesInstanceUID)).size;
    assert.ok(series > 2, 'a study of several series');
    const od = out();
    const r = await runDcmget(['-S', '-k', `StudyInstanceUID=${s2[0]!.studyInstanceUID}`, '--json', ...peer(servable), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(listFiles(od).length, s2.length);
    const j = JSON.parse(r.stdout) as { queries: number };
    // STUDY (no SOP Classes in Study), SERIES, and the first series' IMAGE level: its rows carry
    // no SOP Class UID, so the other series' would not tell the classes either.
    assert.equal(j.queries, 3, `${series} series: ${j.queries} C-FINDs`);
  });

  test('what dcmqrscp cannot send is reported with its UIDs, exit 4, and the rest arrives intact', async () => {
    const s2 = INSTANCES.filter((i) => i.file.includes('-s2-'));
    const od = out();
    const r = await runDcmget(['-S', '-k', `StudyInstanceUID=${s2[0]!.studyInstanceUID}`, ...peer(everything), '-od', od]);
    assert.equal(r.code, 4, r.stderr);
    const files = listFiles(od);
    for (const f of files) await checkReceived(f);
    const got = new Set(files.map((f) => readPart10(f).sopInstanceUID));
    const missing = s2.filter((i) => !got.has(i.sopInstanceUID));
    assert.ok(missing.length > 0 && missing.length < s2.length);
    for (const m of missing) assert.match(r.stderr, new RegExp(m.sopInstanceUID.replace(/\./g, '\\.')), 'each missing instance is named');
    // The Parametric Map is outside DCMTK getscu's storage classes; dcmget gets it from dcmqrscp.
    const pmap = s2.find((i) => i.sopClassUID === '1.2.840.10008.5.1.4.1.1.30')!;
    assert.ok(got.has(pmap.sopInstanceUID), 'Parametric Map received');
    const c = finalCounters(r.stderr)!;
    assert.equal(c.completed, files.length);
    assert.equal(c.failed, missing.length);
  });
});

describe('second pass against dcmqrscp accepting compressed syntaxes', () => {
  let compressed: DcmqrscpServer;
  before(async () => {
    compressed = await startDcmqrscp({ files: INSTANCES.map((i) => i.path), acceptAllTransferSyntaxes: true });
  });
  after(async () => { await compressed?.stop(); });

  test('instances stored compressed come home in their stored syntax on later passes, byte-identical', async () => {
    const s2 = INSTANCES.filter((i) => i.file.includes('-s2-'));
    const od = out();
    const r = await runDcmget(['--study', s2[0]!.studyInstanceUID, ...peer(compressed), '-od', od]);
    const got = new Map<string, Awaited<ReturnType<typeof checkReceived>>>();
    for (const f of listFiles(od)) {
      const c = await checkReceived(f);
      got.set(c.original.sopInstanceUID, c);
    }
    for (const i of s2.filter((x) => !x.private && !UNCOMPRESSED.has(x.transferSyntaxUID) && x.transferSyntaxUID !== DEFLATED)) {
      assert.ok(got.get(i.sopInstanceUID)?.identical, `${i.file} (${i.transferSyntaxUID}) recovered byte-identical`);
    }
    assert.match(r.stderr, /recovery: recovered \d+ of \d+ missing instance/);
    // The private class is not a class dcmqrscp's profile accepts: reported with the reason, exit 4.
    const priv = s2.find((i) => i.private)!;
    assert.ok(!got.has(priv.sopInstanceUID));
    assert.match(r.stderr, new RegExp(`still missing: ${priv.sopInstanceUID.replace(/\./g, '\\.')}: `));
    assert.equal(r.code, 4, r.stderr);
    assert.equal(got.size, s2.length - 1);
  });

  test('--no-retry leaves them missing (first pass only)', async () => {
    const s2 = INSTANCES.filter((i) => i.file.includes('-s2-'));
    const od = out();
    const r = await runDcmget(['--no-retry', '--study', s2[0]!.studyInstanceUID, ...peer(compressed), '-od', od]);
    assert.equal(r.code, 4, r.stderr);
    assert.doesNotMatch(r.stderr, /second pass/);
    assert.ok(listFiles(od).length < s2.length - 1);
  });
});

describe('a study the PACS does not hold: one exit code whichever PACS', () => {
  test('dcmqrscp answers Success with no sub-operation: exit 5, and "exitCode": 5 in --json', async () => {
    const r = await runDcmget(['--json', '--study', '1.2.826.0.1.3680043.10.1338.404', ...peer(servable), '-od', out()]);
    assert.equal(r.code, 5, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.exitCode, 5);
    assert.equal(j.status, 0);
    assert.deepEqual([j.ledger.received, j.counters.completed ?? 0], [0, 0]);
  });
});
