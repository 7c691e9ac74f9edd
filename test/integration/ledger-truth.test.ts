// dcmget's own ledger, not the SCP's counters, decides what arrived (issue 15, items 3, 6, 7): a
// lying SCP gets exit 4 and a line that says so; a second C-STORE of one instance is reported and
// not counted twice; files a resume kept count as arrived.
//
// Run: ./node_modules/.bin/node --test test/integration/ledger-truth.test.ts
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR, fixtureInstances, type FakeScp, type FakeScpScript, type FixtureInstance } from '../support/fake-scp.ts';
import { assertExit, assertNoTemporaryFiles, assertReceived, fakeScpCases, getArgs, listFiles, runDcmget, type RunResult } from '../support/fake-scp-run.ts';
import { syntheticInstance } from '../support/synthetic.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';

const S1 = '2.25.216439078136092584305017246521836907.1.1';
const cases = fakeScpCases('ledger-truth');
let s1: FixtureInstance[] = [];

before(() => {
  s1 = fixtureInstances((m) => m.studyInstanceUID === S1);
});

async function run(script: FakeScpScript, extra: string[] = [], prepare?: (out: string) => void): Promise<{ r: RunResult; out: string; json: Record<string, any>; scp: FakeScp }> {
  const scp = await cases.start({ instances: s1, ...script });
  const out = cases.folder();
  prepare?.(out);
  const r = await runDcmget(getArgs(scp, out, ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${S1}`], ['--json', ...extra]));
  return { r, out, json: JSON.parse(r.stdout || '{}'), scp };
}

const expected = (list: FixtureInstance[]) => list.map((i) => ({ sopInstanceUid: i.sopInstanceUid, datasetSha256: i.manifest.datasetSha256 }));

describe('counters that claim more than arrived', () => {
  test('a final Success with Completed=5 and no C-STORE at all → 4, and a line saying so', async () => {
    const c = await run({ get: { final: { immediate: true, status: 0, claim: { completed: 5, failed: 0, warning: 0 } } } }, ['--no-retry']);
    assertExit(c.r, 4, c.scp);
    assert.match(c.r.stderr, /the SCP counted 5 completed sub-operation\(s\); dcmget received 0/);
    assert.equal(c.json.complete, false);
    assert.deepEqual(listFiles(c.out), []);
  });

  test('one C-STORE and Completed=1000 → 4; the one file intact', async () => {
    const c = await run({ instances: [s1[0]!], get: { final: { status: 0, claim: { completed: 1000, failed: 0, warning: 0 } } } });
    assertExit(c.r, 4, c.scp);
    assert.match(c.r.stderr, /the SCP counted 1000 completed sub-operation\(s\); dcmget received 1/);
    assertReceived(c.out, expected([s1[0]!]));
  });

  test('recovery asks for what the listing names, and still says what the SCP claimed', async () => {
    // Completed=5 with nothing sent, then (on the retry by UID) the same: the listing names 3.
    const c = await run({ get: { final: { immediate: true, status: 0, claim: { completed: 5, failed: 0, warning: 0 } } } });
    assertExit(c.r, 4, c.scp);
    assert.match(c.r.stderr, /recovery: recovered 0 of 3 missing/);
  });
});

describe('the same SOP Instance UID twice in one run', () => {
  test('the second copy is dropped and reported; the summary counts instances, not C-STOREs → 0', async () => {
    const c = await run({ get: { duplicate: [0] } });
    assertExit(c.r, 0, c.scp);
    assertReceived(c.out, expected(s1));
    assert.match(c.r.stderr, new RegExp(`sent ${s1[0]!.sopInstanceUid.replace(/\./g, '\\.')} a second time`));
    assert.match(c.r.stderr, /^3 instances, .*\(1 duplicate C-STORE\(s\) dropped\)$/m);
    assert.equal(c.json.ledger.stored, 3);
    assert.equal(c.json.ledger.duplicates, 1);
    assertNoTemporaryFiles(c.out);
  });
});

describe('after a resume', () => {
  test('files kept count as arrived: no "the SCP counted 3 completed; dcmget stored 2"', async () => {
    const seed = (out: string) => fs.copyFileSync(path.join(FIXTURES_DIR, s1[0]!.manifest.file), path.join(out, `${s1[0]!.sopInstanceUid}.dcm`));
    const c = await run({}, ['--on-exists', 'skip'], seed);
    assertExit(c.r, 0, c.scp);
    assert.doesNotMatch(c.r.stderr, /the SCP counted/);
    assert.equal(c.json.ledger.stored + c.json.ledger.skipped, 3);
    assert.match(c.r.stderr, /\(1 already there, kept\)/);
  });
});

describe('a run that waits on the peer more than it works', () => {
  const STUDY = '1.2.826.0.1.3680043.10.1338.99.71';
  const many = () => Array.from({ length: 40 }, (_, n) => syntheticInstance({ sopInstanceUid: `${STUDY}.1.${n + 1}`, studyInstanceUid: STUDY, seriesInstanceUid: `${STUDY}.2.${n % 3}`, patientId: 'SLOW', frames: 1, rows: 8, columns: 8 }));
  const keys = ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${STUDY}`];

  test('one line at the end says how long it waited and what --parallel would likely give; in --json too', async () => {
    // A PACS that takes 60 ms an instance, on loopback: the wait is its own work, not the network.
    const scp = await cases.start({ instances: many(), get: { subOpDelayMs: 60 } });
    const r = await runDcmget(getArgs(scp, cases.folder(), keys, ['--json']));
    assertExit(r, 0, scp);
    assert.match(r.stderr, /^hint: \d+\.\d s of the \d+\.\d s of C-GET \(\d+%\) went to waiting for the PACS's next instance after each answer, most of it the PACS's own work \(\d+ ms an instance against a network round trip of [\d.]+ ms\): --parallel 4 .* would likely take about \d+\.\d s if the PACS has 4 threads and the processors to run them$/m);
    const json = JSON.parse(r.stdout);
    assert.ok(json.waits.waitedMs >= 40 * 50, JSON.stringify(json.waits));
    assert.ok(json.waits.roundTripMs > 0 && json.waits.roundTripMs < 30, `the A-RELEASE exchanges on loopback: ${JSON.stringify(json.waits)}`);
    assert.match(json.hint, /--parallel 4/);
    const quiet = await runDcmget(getArgs(scp, cases.folder(), keys, ['-q']));
    assertExit(quiet, 0, scp);
    assert.doesNotMatch(quiet.stderr, /hint/);
  });

  test('across a network (every PDU to the PACS held 30 ms), the hint names the round trip', async () => {
    const scp = await cases.start({ instances: many() });
    // One direction holds every PDU, our C-STORE-RSPs and A-RELEASE-RQs included: each exchange
    // takes 30 ms more. (Not the other: the proxy passes a close at once, before a held A-RELEASE-RP.)
    const proxy = await startFaultProxy({ port: scp.port, rules: [{ to: 'scp', match: () => true, action: 'delay', ms: 30, times: Infinity }] });
    try {
      const r = await runDcmget(['-S', '-aec', scp.aeTitle, '--json', ...keys.flatMap((k) => ['-k', k]), '-od', cases.folder(), proxy.host, String(proxy.port)]);
      assertExit(r, 0, scp);
      const json = JSON.parse(r.stdout);
      assert.ok(json.waits.roundTripMs >= 30, `the A-RELEASE-RQ held 30 ms: ${JSON.stringify(json.waits)}`);
      assert.match(r.stderr, /^hint: \d+\.\d s of the \d+\.\d s of C-GET \(\d+%\) went to waiting for the PACS's next instance after each answer, most of it on the network \(\d+ ms an instance against a network round trip of \d+ ms\): --parallel 4 .* would likely take about \d+\.\d s, if the PACS serves 4 at once$/m);
      assert.doesNotMatch(r.stderr, /the PACS's own work/);
    } finally {
      await proxy.stop();
    }
  });

  test('no hint for a run that did not wait, nor with --parallel', async () => {
    const scp = await cases.start({ instances: many(), get: { subOpDelayMs: 60 } });
    const fast = await cases.start({ instances: many() });
    const r1 = await runDcmget(getArgs(fast, cases.folder(), keys, []));
    assertExit(r1, 0, fast);
    assert.doesNotMatch(r1.stderr, /hint/);
    const r2 = await runDcmget(getArgs(scp, cases.folder(), keys, ['--parallel', '3']));
    assertExit(r2, 0, scp);
    assert.doesNotMatch(r2.stderr, /hint/);
  });
});
