// The fake SCP (test/support/fake-scp.ts) itself works: dcmget retrieves the fixtures from it
// byte-identically, and DCMTK's getscu / findscu / echoscu work against it too, so the fake is
// protocol-correct rather than tuned to dcmget.
//
// Run: ./node_modules/.bin/node --test test/integration/fake-scp.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeDir } from '../support/peers.ts';
import { readPart10, runDcmtk, runGetscu } from '../support/dcmtk.ts';
import {
  EXPLICIT_VR_LE, IMPLICIT_VR_LE, fixtureInstances, startFakeScp, summarizeEvents, type FakeScp, type FixtureInstance,
} from '../support/fake-scp.ts';
import {
  assertExit, assertNoTemporaryFiles, assertReceived, ensureBuilt, getArgs, listFiles, runDcmget,
} from '../support/fake-scp-run.ts';
import { syntheticInstance } from '../support/synthetic.ts';

const ROOT = '2.25.216439078136092584305017246521836907';
const S1 = `${ROOT}.1.1`;
const S2 = `${ROOT}.1.2`;
const S3 = `${ROOT}.1.3`;
const PARAMETRIC_MAP = '1.2.840.10008.5.1.4.1.1.30';
const PRIVATE_CLASS = `${ROOT}.9.1`;

let work = '';
const servers: FakeScp[] = [];

async function fake(script: Parameters<typeof startFakeScp>[0]): Promise<FakeScp> {
  const scp = await startFakeScp(script);
  servers.push(scp);
  return scp;
}

function expected(instances: FixtureInstance[]) {
  return instances.map((i) => ({ sopInstanceUid: i.sopInstanceUid, datasetSha256: i.manifest.datasetSha256, transferSyntaxUid: i.transferSyntaxUid }));
}

before(async () => {
  ensureBuilt();
  work = await makeTempDir('fake-scp');
});

after(async () => {
  for (const s of servers) await s.stop();
  if (work) await removeDir(work);
});

describe('dcmget against the fake SCP', () => {
  for (const [name, study] of [['S1', S1], ['S2', S2], ['S3', S3]] as const) {
    test(`retrieves every fixture of study ${name} byte-identically, in its stored transfer syntax`, async () => {
      const all = fixtureInstances();
      // The fake sends only in the stored syntax, and dcmget proposes Deflated only for classes
      // its plan saw stored Deflated: without SOP Classes in Study it lists the instances and,
      // the listing matching the peer's counts, trusts their Available Transfer Syntax UID; so
      // one C-GET brings every fixture.
      const scp = await fake({ instances: all, find: { noSopClassesInStudy: true, counts: true } });
      const out = path.join(work, `dcmget-${name}`);
      const r = await runDcmget(getArgs(scp, out, ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${study}`]));
      assertExit(r, 0, scp);
      const want = all.filter((i) => i.manifest.studyInstanceUID === study);
      assertReceived(out, expected(want));
      assert.equal(listFiles(out).length, want.length, `unexpected files: ${listFiles(out).join(', ')}`);
      assertNoTemporaryFiles(out);
      // What the fake saw: every C-STORE answered Success, one final C-GET-RSP 0x0000, an orderly release.
      const rsps = scp.eventsOf('c-store-rsp');
      assert.equal(rsps.length, want.length);
      assert.ok(rsps.every((e) => e.status === 0), summarizeEvents(scp.events));
      const finals = scp.eventsOf('c-get-rsp').filter((e) => e.final);
      assert.deepEqual(finals.map((e) => e.status), [0]);
      assert.ok(scp.eventsOf('release-rq').length >= 1, summarizeEvents(scp.events));
      assert.equal(scp.eventsOf('protocol-error').length, 0, summarizeEvents(scp.events));
    });
  }

  test('PATIENT level over the Patient Root model: both studies of patient 1', async () => {
    const all = fixtureInstances();
    const scp = await fake({ instances: all });
    const out = path.join(work, 'dcmget-p1');
    const r = await runDcmget(['-P', '-aec', 'FAKE', '-k', 'QueryRetrieveLevel=PATIENT', '-k', 'PatientID=DCMGET-P1', '-od', out, '127.0.0.1', String(scp.port)]);
    assertExit(r, 0, scp);
    const want = all.filter((i) => i.manifest.patientID === 'DCMGET-P1');
    assertReceived(out, expected(want));
    assert.equal(listFiles(out).length, want.length);
  });

  test('the implicit VR fixtures arrive unchanged when the fake accepts only Implicit VR LE', async () => {
    const implicit = fixtureInstances((m) => m.transferSyntaxUID === IMPLICIT_VR_LE);
    const scp = await fake({
      instances: implicit,
      association: { transferSyntax: (_a, proposed) => proposed.find((t) => t === IMPLICIT_VR_LE) },
    });
    const out = path.join(work, 'dcmget-implicit');
    const r = await runDcmget(getArgs(scp, out, ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${S1}\\${S2}`]));
    assertExit(r, 0, scp);
    assertReceived(out, expected(implicit));
  });

  test('a synthetic instance is received whole', async () => {
    const inst = syntheticInstance({ sopInstanceUid: '1.2.826.0.1.3680043.10.1338.99.5.1', sizeBytes: 3 * 1024 * 1024 + 7 });
    const scp = await fake({ instances: [inst] });
    const out = path.join(work, 'dcmget-synthetic');
    const r = await runDcmget(getArgs(scp, out, ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${inst.keys.StudyInstanceUID}`]));
    assertExit(r, 0, scp);
    const info = readPart10(path.join(out, `${inst.sopInstanceUid}.dcm`));
    assert.equal(info.datasetLength, inst.length);
    const bytes = fs.readFileSync(info.file).subarray(info.datasetOffset);
    assert.ok(bytes.equals(inst.read(0, inst.length)), 'synthetic data set differs');
  });

  test('C-ECHO: dcmget --echo', async () => {
    const scp = await fake({});
    const r = await runDcmget(['--echo', '-aec', 'FAKE', '127.0.0.1', String(scp.port)]);
    assertExit(r, 0, scp);
    assert.equal(scp.eventsOf('dimse').filter((e) => e.name === 'C-ECHO-RQ').length, 1);
  });
});

describe('DCMTK against the fake SCP', () => {
  test('getscu retrieves the uncompressed fixtures it can take, byte-identically', async () => {
    // getscu proposes its fixed list of storage classes in uncompressed syntaxes only: no Parametric
    // Map, no private class (fixtures/README.md).
    const served = fixtureInstances((m) => m.transferSyntaxUID === EXPLICIT_VR_LE && m.sopClassUID !== PARAMETRIC_MAP && m.sopClassUID !== PRIVATE_CLASS);
    const scp = await fake({ instances: served });
    const out = path.join(work, 'getscu');
    fs.mkdirSync(out, { recursive: true });
    const r = await runGetscu(['-v', '+B', '-S', '-aet', 'GETSCU', '-aec', 'FAKE', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${S1}\\${S2}\\${S3}`, '-od', out, '127.0.0.1', String(scp.port)], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, `getscu failed:\n${r.stderr}\n${r.stdout}\n${summarizeEvents(scp.events)}`);
    assert.match(r.stderr + r.stdout, new RegExp(`Number of Completed Suboperations : ${served.length}\\b`));
    assert.match(r.stderr + r.stdout, /Number of Failed Suboperations\s+: 0/);
    const files = listFiles(out);
    assert.equal(files.length, served.length, files.join(', '));
    const byUid = new Map(files.map((f) => readPart10(path.join(out, f))).map((i) => [i.sopInstanceUID, i]));
    for (const s of served) {
      const got = byUid.get(s.sopInstanceUid);
      assert.ok(got, `getscu did not write ${s.sopInstanceUid}`);
      assert.equal(got.datasetSha256, s.manifest.datasetSha256, `${s.label}: data set differs`);
    }
    assert.equal(scp.eventsOf('protocol-error').length, 0, summarizeEvents(scp.events));
  });

  test('getscu sees the failures of what it cannot take, with the counters', async () => {
    const served = fixtureInstances((m) => m.studyInstanceUID === S1);
    const scp = await fake({ instances: served });
    const out = path.join(work, 'getscu-s1');
    fs.mkdirSync(out, { recursive: true });
    const r = await runGetscu(['-v', '-S', '-aec', 'FAKE', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${S1}`, '-od', out, '127.0.0.1', String(scp.port)], { timeoutMs: 30_000 });
    // getscu proposes one context per class with the uncompressed syntaxes; the fake accepts Explicit
    // VR LE for CT, so the implicit and the RLE CT have no context: two failed sub-operations,
    // reported in the final Warning 0xB000 (whose Failed SOP Instance UID List getscu leaves unread:
    // hence its "Association Release Failed: DUL P-Data PDU arrived", as with dcmqrscp).
    assert.match(r.stderr + r.stdout, /Number of Completed Suboperations : 1\b/, r.stderr);
    assert.match(r.stderr + r.stdout, /Number of Failed Suboperations\s+: 2\b/, r.stderr);
    assert.match(r.stderr + r.stdout, /Warning: SubOperationsCompleteOneOrMoreFailures/, r.stderr);
    assert.equal(listFiles(out).length, 1);
  });

  test('echoscu and findscu (auto C-FIND over the served instances)', async () => {
    const scp = await fake({ instances: fixtureInstances() });
    const echo = await runDcmtk('echoscu', ['-aec', 'FAKE', '127.0.0.1', String(scp.port)], { timeoutMs: 20_000 });
    assert.equal(echo.code, 0, echo.stderr);
    const find = await runDcmtk('findscu', ['-S', '-aec', 'FAKE', '-k', 'QueryRetrieveLevel=SERIES', '-k', `StudyInstanceUID=${S2}`, '-k', 'SeriesInstanceUID',
      '127.0.0.1', String(scp.port)], { timeoutMs: 20_000 });
    assert.equal(find.code, 0, find.stderr);
    const series = new Set(fixtureInstances((m) => m.studyInstanceUID === S2).map((i) => i.keys.SeriesInstanceUID));
    for (const s of series) assert.ok((find.stderr + find.stdout).includes(s!), `findscu did not list series ${s}:\n${find.stderr}`);
    const scripted = await fake({ find: { matches: [{ QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2.3.4', PatientID: 'SCRIPTED' }] } });
    const f2 = await runDcmtk('findscu', ['-S', '-aec', 'FAKE', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID', '-k', 'PatientID', '127.0.0.1', String(scripted.port)], { timeoutMs: 20_000 });
    assert.equal(f2.code, 0, f2.stderr);
    assert.match(f2.stderr + f2.stdout, /SCRIPTED/);
  });
});

