// Issue 3's ways of naming what to get, choosing contexts, and laying out files, against a real
// Orthanc: --query-json, --uids-from, --dry-run, --no-plan, --storage-class/--storage-config,
// --transfer-syntax, --prefer-uncompressed, --layout, --on-exists and the resume it allows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { checkReceived, INSTANCES, listFiles } from '../support/fixtures.ts';
import { readPart10 } from '../support/dcmtk.ts';
import { runDcmget, tempDir } from '../support/cli.ts';

let orthanc: OrthancServer;
const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
const byStudy = (tag: string) => INSTANCES.filter((i) => i.file.includes(tag));
const s1 = byStudy('-s1-');
const s2 = byStudy('-s2-');
const s3 = byStudy('-s3-');
const EXPLICIT = '1.2.840.10008.1.2.1';

before(async () => {
  orthanc = await startOrthanc({ extraConfig: { UnknownSopClassAccepted: true } });
  await orthanc.upload(INSTANCES.map((i) => i.path));
});
after(async () => {
  await orthanc?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const peer = () => ['-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort)];
const names = (d: string) => listFiles(d).map((f) => path.basename(f)).sort();
const expected = (list: typeof INSTANCES) => list.map((i) => `${i.sopInstanceUID}.dcm`).sort();

describe('naming what to get', () => {
  test('--query-json: an array of two Identifiers in the DICOM JSON model, one C-GET each', async () => {
    const file = path.join(out(), 'q.json');
    fs.writeFileSync(file, JSON.stringify([s1, s3].map((s) => ({ '00080052': { vr: 'CS', Value: ['STUDY'] }, '0020000D': { vr: 'UI', Value: [s[0]!.studyInstanceUID] } }))));
    const od = out();
    const r = await runDcmget(['-S', '--query-json', file, ...peer(), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(names(od), expected([...s1, ...s3]));
  });

  test('--uids-from -: study UIDs one a line on standard input, over one association', async () => {
    const od = out();
    const r = await runDcmget(['--uids-from', '-', ...peer(), '-od', od], { input: `${s1[0]!.studyInstanceUID}\n# a comment\n${s3[0]!.studyInstanceUID}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(names(od), expected([...s1, ...s3]));
  });

  test('--dry-run prints the Identifier and the contexts, and connects to nothing', async () => {
    const r = await runDcmget(['--dry-run', '--study', s2[0]!.studyInstanceUID, '--storage-class', '@ct', '-k', 'ReferencedSeriesSequence[0].SeriesInstanceUID=1.2.3', '-aec', 'NOBODY', '127.0.0.1', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\(0020,000D\) UI \[2\.25\./);
    assert.match(r.stdout, /\(0008,1115\) SQ \(Sequence with 1 item\)/);
    assert.match(r.stdout, /"0020000D": \{\s+"vr": "UI"/);
    assert.match(r.stdout, /CT Image Storage \[SCP role\]/);
  });
});

describe('choosing contexts', () => {
  test('--no-plan proposes the default set: the standard classes of the mixed study still come', async () => {
    const od = out();
    const r = await runDcmget(['--no-plan', '--no-retry', '--study', s2[0]!.studyInstanceUID, ...peer(), '-od', od]);
    // The private class is not in the default set, and Orthanc ends the C-GET at it (0xC000).
    assert.equal(r.code, 4, r.stderr);
    assert.ok(listFiles(od).length >= 1);
  });

  test('--storage-class adds a private class to the default set: the whole mixed study arrives', async () => {
    const priv = s2.find((i) => i.private)!;
    const od = out();
    const r = await runDcmget(['--no-plan', '--storage-class', priv.sopClassUID, '--study', s2[0]!.studyInstanceUID, ...peer(), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(names(od), expected(s2));
  });

  test('--prefer-uncompressed: Orthanc decompresses; every file is explicit or implicit VR LE and readable', async () => {
    const od = out();
    const r = await runDcmget(['--prefer-uncompressed', '--study', s2[0]!.studyInstanceUID, ...peer(), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of listFiles(od)) {
      assert.ok(['1.2.840.10008.1.2', EXPLICIT].includes(readPart10(f).transferSyntaxUID), f);
      await checkReceived(f);
    }
  });

  test('--transfer-syntax explicit: one syntax for all', async () => {
    const od = out();
    const r = await runDcmget(['--transfer-syntax', 'explicit', '--study', s3[0]!.studyInstanceUID, ...peer(), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listFiles(od).map((f) => readPart10(f).transferSyntaxUID), s3.map(() => EXPLICIT));
  });

  test('--storage-config: classes and contexts from JSON', async () => {
    const file = path.join(out(), 'storage.json');
    fs.writeFileSync(file, JSON.stringify([{ sopClass: 'MRImageStorage', contexts: [['explicit'], ['jpeg-lossless-sv1'], ['deflated']] }]));
    const od = out();
    const r = await runDcmget(['--storage-config', file, '--study', s3[0]!.studyInstanceUID, ...peer(), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of listFiles(od)) assert.ok((await checkReceived(f, { requireIdentical: true })).identical);
  });

  test('unknown names are usage errors that say what is valid', async () => {
    const a = await runDcmget(['--storage-class', 'CTImage', '--study', '1.2.3', 'localhost', '104']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /did you mean .*CTImageStorage/);
    const b = await runDcmget(['--transfer-syntax', 'jpeg-9000', '--study', '1.2.3', 'localhost', '104']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /unknown transfer syntax "jpeg-9000"/);
  });
});

describe('output layout', () => {
  test('--layout from attributes of each instance, sanitised, inside the output folder', async () => {
    const od = out();
    const r = await runDcmget(['--study', s2[0]!.studyInstanceUID, '--layout', '{PatientID}/{StudyInstanceUID}/{Modality}/{SOPInstanceUID}.dcm', ...peer(), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    const files = listFiles(od);
    assert.equal(files.length, s2.length);
    for (const f of files) {
      const rel = path.relative(od, f).split(path.sep);
      const original = s2.find((i) => `${i.sopInstanceUID}.dcm` === rel[3])!;
      assert.deepEqual(rel.slice(0, 3), [original.patientID, original.studyInstanceUID, original.modality], f);
    }
  });

  test('--on-exists rename keeps both; fail refuses (exit 9); skip resumes: only what is missing is asked for', async () => {
    const od = out();
    assert.equal((await runDcmget(['--study', s3[0]!.studyInstanceUID, ...peer(), '-od', od])).code, 0);
    const renamed = await runDcmget(['--on-exists', 'rename', '--study', s3[0]!.studyInstanceUID, ...peer(), '-od', od]);
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.equal(listFiles(od).filter((f) => f.endsWith('-1.dcm')).length, s3.length);
    const failed = await runDcmget(['--on-exists', 'fail', '--study', s3[0]!.studyInstanceUID, ...peer(), '-od', od]);
    assert.equal(failed.code, 9, failed.stderr);
    assert.match(failed.stderr, /exists \(--on-exists fail\)/);
    // Resume: remove one file, and only that one is fetched.
    const gone = path.join(od, `${s3[1]!.sopInstanceUID}.dcm`);
    fs.rmSync(gone);
    const before = new Map(listFiles(od).map((f) => [f, fs.statSync(f).mtimeMs]));
    const resumed = await runDcmget(['--json', '--on-exists', 'skip', '--study', s3[0]!.studyInstanceUID, ...peer(), '-od', od]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const j = JSON.parse(resumed.stdout);
    assert.equal(j.ledger.received, 1, 'only the missing instance was sent');
    assert.equal(j.ledger.skipped, s3.length - 1);
    assert.ok(fs.existsSync(gone));
    for (const [f, t] of before) assert.equal(fs.statSync(f).mtimeMs, t, `${f} untouched`);
    const again = await runDcmget(['--on-exists', 'skip', '--study', s3[0]!.studyInstanceUID, ...peer(), '-od', od]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /already present/);
  });
});
