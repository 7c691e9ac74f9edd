// The inventory and recovery stages against the weak C-FIND and retry behaviours of real PACS,
// played by the fake SCP (test/support/fake-scp.ts: find.rowPerInstance, noSopClassesInStudy,
// refuseLevels, hide, counts, limit; get.refuseUidList). Each scenario is retrieved completely,
// and the test counts the C-FINDs and associations it took: the fewest that peer allows.
//
// Run: ./node_modules/.bin/node --test test/integration/weak-find.test.ts
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR, fixtureInstances, summarizeEvents, type FakeScp, type FakeScpScript, type FixtureInstance } from '../support/fake-scp.ts';
import {
  assertExit, assertNoTemporaryFiles, assertReceived, describeRun, fakeScpCases, getArgs, runDcmget, type RunResult,
} from '../support/fake-scp-run.ts';

const ROOT = '2.25.216439078136092584305017246521836907';
const S1 = `${ROOT}.1.1`;
const S2 = `${ROOT}.1.2`;
const S3 = `${ROOT}.1.3`;

const cases = fakeScpCases('weak-find');
/** Study S1: three CT instances in one series. */
let s1: FixtureInstance[] = [];
/** Study S2 without its private class: ten instances in eight series, eight classes. */
let s2: FixtureInstance[] = [];

before(() => {
  s1 = fixtureInstances((m) => m.studyInstanceUID === S1);
  s2 = fixtureInstances((m) => m.studyInstanceUID === S2 && !m.sopClassUID.startsWith(ROOT));
  assert.equal(s1.length, 3);
  assert.equal(s2.length, 10);
});

interface Case { scp: FakeScp; r: RunResult; out: string; json: Record<string, any> }

async function run(instances: FixtureInstance[], study: string, script: FakeScpScript, extra: string[] = [], prepare?: (out: string) => void): Promise<Case> {
  const scp = await cases.start({ instances, ...script });
  const out = cases.folder();
  prepare?.(out);
  const r = await runDcmget(getArgs(scp, out, ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${study}`], ['--json', ...extra]));
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(r.stdout);
  } catch {
    assert.fail(`no JSON report: ${describeRun(r, scp)}`);
  }
  return { scp, r, out, json };
}

const expected = (list: FixtureInstance[]) => list.map((i) => ({ sopInstanceUid: i.sopInstanceUid, datasetSha256: i.manifest.datasetSha256 }));
const cFinds = (scp: FakeScp) => scp.eventsOf('dimse').filter((e) => e.name === 'C-FIND-RQ');
const cGets = (scp: FakeScp) => scp.eventsOf('c-get-rq');
const associations = (scp: FakeScp) => scp.eventsOf('associate-rq').length;
/** Associations that carried a C-GET. */
const getAssociations = (scp: FakeScp) => new Set(cGets(scp).map((e) => e.association)).size;
const proposedClasses = (scp: FakeScp, association: number) => {
  const rq = scp.eventsOf('associate-rq').find((e) => e.association === association)!.rq;
  return new Set(rq.presentationContexts.map((pc) => pc.abstractSyntax).filter((a) => !a.startsWith('1.2.840.10008.5.1.4.1.2.')));
};

describe('one row per instance (a C-FIND SCP that does not group by level)', () => {
  test('with SOP Classes in Study on each row: one C-FIND, the rows merged, every instance', async () => {
    // SOP Classes in Study names no stored syntax, so no Deflated context is proposed at first
    // (PixelMed would choose it for everything); this fake sends only in the stored syntax, so the
    // Deflated SR fails once and recovery, which then lists the study, asks for it in its syntax.
    const c = await run(s2, S2, { find: { rowPerInstance: true } });
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s2));
    assert.equal(cFinds(c.scp).length, 1 + 1 + 8, summarizeEvents(c.scp.events));
    assert.equal(cGets(c.scp).length, 2, 'the C-GET, then one for the Deflated SR in its own syntax');
    assert.deepEqual(proposedClasses(c.scp, 2), new Set(s2.map((i) => i.sopClassUid)));
  });

  test('without SOP Classes in Study: 1 STUDY + 1 SERIES + one IMAGE C-FIND per distinct series, not per row', async () => {
    const c = await run(s2, S2, { find: { rowPerInstance: true, noSopClassesInStudy: true } });
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s2));
    const series = new Set(s2.map((i) => i.keys.SeriesInstanceUID)).size;
    assert.equal(cFinds(c.scp).length, 1 + 1 + series, summarizeEvents(c.scp.events));
    assert.equal(c.json.queries, 1 + 1 + series);
    assert.deepEqual(proposedClasses(c.scp, 2), new Set(s2.map((i) => i.sopClassUid)));
  });

  test('recovery asks for each missing UID once, however many rows named it', async () => {
    const c = await run(s1, S1, { find: { rowPerInstance: true, noSopClassesInStudy: true }, get: { failFirst: [s1[0]!.sopInstanceUid, s1[2]!.sopInstanceUid] } });
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s1));
    const retry = cGets(c.scp)[1]!;
    assert.deepEqual([...retry.keys.SOPInstanceUID!].sort(), [s1[0]!.sopInstanceUid, s1[2]!.sopInstanceUid].sort(), summarizeEvents(c.scp.events));
    assert.equal(cGets(c.scp).length, 2);
    assert.equal(associations(c.scp), 2, 'the C-GET association serves the retry too');
  });
});

describe('classes the STUDY level does not give', () => {
  test('no SOP Classes in Study: the classes come from the IMAGE level, exactly those are proposed', async () => {
    const c = await run(s2, S2, { find: { noSopClassesInStudy: true } });
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s2));
    assert.deepEqual(proposedClasses(c.scp, 2), new Set(s2.map((i) => i.sopClassUid)));
  });

  test('the IMAGE level refused as well: the default proposal, and every instance still arrives', async () => {
    const c = await run(s1, S1, { find: { noSopClassesInStudy: true, refuseLevels: { IMAGE: 0xc000 } } });
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s1));
    assert.ok(proposedClasses(c.scp, 2).size > 50, 'the default coverage set');
  });

  test('IMAGE level answers without SOP Class UID (dcmqrscp): one IMAGE C-FIND, not one per series, then the default proposal', async () => {
    const c = await run(s2, S2, { find: { noSopClassesInStudy: true, noSopClassUid: true } });
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s2));
    // Before the first C-GET: STUDY, SERIES and the first series' IMAGE query, not eight of them.
    const firstGet = c.scp.events.findIndex((e) => e.type === 'c-get-rq');
    const planFinds = c.scp.events.slice(0, firstGet).filter((e) => e.type === 'dimse' && e.name === 'C-FIND-RQ');
    assert.equal(planFinds.length, 3, summarizeEvents(c.scp.events));
    assert.ok(proposedClasses(c.scp, 2).size > 50, 'the default coverage set');
  });

  test('…and a list of studies: once the peer has shown it, a later study\'s inventory stops at the STUDY level', async () => {
    const s3 = fixtureInstances((m) => m.studyInstanceUID === S3);
    const scp = await cases.start({ instances: [...s1, ...s2, ...s3], find: { noSopClassesInStudy: true, noSopClassUid: true } });
    const out = cases.folder();
    const r = await runDcmget(['-S', '-aec', scp.aeTitle, '--study', `${S1},${S2},${S3}`, '-od', out, scp.host, String(scp.port)]);
    assertExit(r, 0, scp);
    assertReceived(out, expected([...s1, ...s2, ...s3]));
    // S1 and S2 are inventoried side by side (two requests run at once); S3 starts after one of
    // them has ended, when the peer is known to answer no SOP Class UID: its STUDY query alone,
    // then its C-GET (recovery may list it later, after that C-GET).
    const s3Events = scp.events.filter((e) => (e.type === 'c-find-rq' || e.type === 'c-get-rq') && e.keys.StudyInstanceUID?.includes(S3));
    const beforeGet = s3Events.slice(0, s3Events.findIndex((e) => e.type === 'c-get-rq'));
    assert.deepEqual(beforeGet.map((e) => (e.type === 'c-find-rq' ? e.level : '')), ['STUDY'], summarizeEvents(scp.events));
  });

  test('a result limit (0xA700 after one row): the classes of a cut listing are not trusted', async () => {
    const c = await run(s2, S2, { find: { noSopClassesInStudy: true, limit: { rows: 1, status: 0xa700 } } });
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s2));
    assert.ok(proposedClasses(c.scp, 2).size > 50, 'the default coverage set, not the one class the first row named');
  });
});

describe('--on-exists skip resumes only from a listing it can check', () => {
  const seed = (i: FixtureInstance) => (out: string) => fs.copyFileSync(path.join(FIXTURES_DIR, i.manifest.file), path.join(out, `${i.sopInstanceUid}.dcm`));

  test('a partial listing answered Success (1 of 3): the whole study is asked for, the file there kept', async () => {
    const c = await run(s1, S1, { find: { hide: [s1[1]!.sopInstanceUid, s1[2]!.sopInstanceUid] } }, ['--on-exists', 'skip'], seed(s1[0]!));
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s1));
    assert.equal(cGets(c.scp).length, 1);
    assert.equal(cGets(c.scp)[0]!.keys.SOPInstanceUID, undefined, 'the study, not "the 0 missing"');
    assert.equal(c.json.ledger.stored, 2);
    assert.equal(c.json.ledger.skipped, 1);
    assertNoTemporaryFiles(c.out);
  });

  test('a partial listing whose own counts say 3: not trusted either', async () => {
    const c = await run(s1, S1, { find: { hide: [s1[2]!.sopInstanceUid], counts: true } }, ['--on-exists', 'skip'], seed(s1[0]!));
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s1));
    assert.equal(cGets(c.scp)[0]!.keys.SOPInstanceUID, undefined, summarizeEvents(c.scp.events));
  });

  test('a complete listing with agreeing counts: only the missing instances are asked for', async () => {
    const c = await run(s1, S1, { find: { counts: true } }, ['--on-exists', 'skip'], seed(s1[0]!));
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s1));
    assert.equal(cGets(c.scp).length, 1);
    assert.deepEqual([...cGets(c.scp)[0]!.keys.SOPInstanceUID!].sort(), [s1[1]!.sopInstanceUid, s1[2]!.sopInstanceUid].sort());
    assert.equal(c.json.ledger.skipped, 1);
  });
});

describe('a peer that refuses a list of UIDs', () => {
  test('the retry falls back to one UID per C-GET, on the same association', async () => {
    const c = await run(s1, S1, { get: { failFirst: [s1[0]!.sopInstanceUid, s1[1]!.sopInstanceUid], refuseUidList: 0xc400 } });
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s1));
    const gets = cGets(c.scp);
    assert.equal(gets.length, 1 + 1 + 2, summarizeEvents(c.scp.events));
    assert.equal(gets[1]!.keys.SOPInstanceUID!.length, 2);
    assert.equal(gets[2]!.keys.SOPInstanceUID!.length, 1);
    assert.equal(getAssociations(c.scp), 1, 'every C-GET on the one C-GET association');
    assert.match(c.r.stderr, /recovery: recovered 2 of 2 missing/);
  });

  test('one that never sends them: named with the peer\'s own answer, not a guess, and no syntax passes it could not need', async () => {
    // The fake's 'fail' outcome repeats for the same index in every C-GET: each retry fails it again.
    const c = await run(s1, S1, { get: { outcomes: { 0: 'fail', 1: 'fail' }, refuseUidList: 0xc400 } });
    assertExit(c.r, 4, c.scp);
    assert.doesNotMatch(c.r.stderr, /--storage-class UID|transfer syntax\(es\) it accepted/);
    assert.match(c.r.stderr, /still missing: .*the peer (counted its sub-operation failed|refused the C-GET for it with 0xC400: "one SOP Instance UID per request")/);
    // The listing names each stored syntax and the peer had accepted a context in it: other syntaxes cannot help.
    assert.equal(cGets(c.scp).length, 1 + 1 + 2, summarizeEvents(c.scp.events));
  });
});

describe('a peer that takes few associations at once', () => {
  test('one at a time, a list of two studies: the C-FIND association makes room, every instance arrives', async () => {
    const scp = await cases.start({ instances: [...s1, ...s2], association: { maxAssociations: 1 } });
    const out = cases.folder();
    const r = await runDcmget(['-S', '-aec', scp.aeTitle, '--study', `${S1},${S2}`, '-od', out, '-v', scp.host, String(scp.port)]);
    assertExit(r, 0, scp);
    assertReceived(out, expected([...s1, ...s2]));
    assert.ok(scp.eventsOf('associate-rj').length >= 1, `the limit was reached: ${summarizeEvents(scp.events)}`);
  });

  test('one that closes a further association without answering it: the pool goes on with the others', async () => {
    const c = await run(s2, S2, { association: { maxAssociations: 2, overLimit: 'close' } }, ['--parallel', '4']);
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s2));
    assert.ok(c.scp.eventsOf('fault').some((e) => /closed unanswered/.test(e.detail)), summarizeEvents(c.scp.events));
  });

  test('one that refuses a further association for good: exit 8 at once, no association left open behind the error', async () => {
    const c = await run(s2, S2, { association: { maxAssociations: 2, overLimit: 'permanent' } }, ['--parallel', '4']);
    assertExit(c.r, 8, c.scp);
    assert.ok(c.r.ms < 10_000, `${c.r.ms} ms`);
    assertNoTemporaryFiles(c.out);
  });

  test('two at once with --parallel 4: the pool goes on with what the peer allows', async () => {
    const c = await run(s2, S2, { association: { maxAssociations: 2 } }, ['--parallel', '4', '-v']);
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s2));
    assert.match(c.r.stderr, /refused a further association/);
    assertNoTemporaryFiles(c.out);
  });
});

describe('--parallel against a peer that negotiates one association after another (dcmqrscp)', () => {
  test('the first C-GETs wait until every association opened with them is up', async () => {
    // Association 1 is the C-FIND's; the C-GET associations 2, 3 and 4 are answered 0, 10 and 25 ms late.
    const c = await run(s2, S2, { association: { acceptDelaysMs: [0, 0, 10, 25] } }, ['--parallel', '3']);
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s2));
    const at = (i: number) => c.scp.events.findIndex((e) => e.type === 'associate-ac' && e.association === i);
    const firstGet = c.scp.events.findIndex((e) => e.type === 'c-get-rq');
    assert.ok(at(4) >= 0 && firstGet > at(4), `no C-GET before the last association's A-ASSOCIATE-AC: ${summarizeEvents(c.scp.events)}`);
  });

  test('one left unanswered does not hold the others back for long: exit 0, every instance', async () => {
    // Association 4 is answered after 3 s: the others start within START_TOGETHER_MS (50 ms) of the first.
    const c = await run(s2, S2, { association: { acceptDelaysMs: [0, 0, 0, 3000] } }, ['--parallel', '3', '--json']);
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s2));
    const firstGet = c.scp.events.find((e) => e.type === 'c-get-rq')!;
    const secondAc = c.scp.events.find((e) => e.type === 'associate-ac' && e.association === 2)!;
    assert.ok(firstGet.at - secondAc.at < 1000, `the first C-GET ${firstGet.at - secondAc.at} ms after its association was up`);
  });
});
