// Issue 3 against the fake SCP, for what the real servers do not serve: the non-patient and
// composite-instance models, FRAME level and its statuses, relational retrieve, and a match
// holding more storage classes than one association can propose.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, describe, test } from 'node:test';
import { startFakeScp, type FakeScp, type FakeScpScript } from '../support/fake-scp.ts';
import { syntheticInstance } from '../support/synthetic.ts';
import { runDcmget, tempDir } from '../support/cli.ts';
import { listFiles } from '../support/fixtures.ts';
import type { AssociateRq } from '../../src/ul/pdu-types.ts';

const dirs: string[] = [];
const scps: FakeScp[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
after(async () => {
  for (const s of scps) await s.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function fake(script: FakeScpScript): Promise<FakeScp> {
  const s = await startFakeScp(script);
  scps.push(s);
  return s;
}

const rqs = (s: FakeScp) => (s.events.filter((e) => e.type === 'associate-rq') as { rq: AssociateRq }[]).map((e) => e.rq);
const gets = (s: FakeScp) => s.events.filter((e) => e.type === 'c-get-rq') as { keys: Record<string, string[]> }[];
const ROOT = '1.2.826.0.1.3680043.10.1338.55';

describe('query/retrieve models', () => {
  test('Hanging Protocol (a non-patient model): its GET class is proposed, no Query/Retrieve Level is sent', async () => {
    const hp = syntheticInstance({ sopInstanceUid: `${ROOT}.1.1`, sopClassUid: '1.2.840.10008.5.1.4.38.1', frames: 1 });
    const scp = await fake({ instances: [hp] });
    const od = out();
    const r = await runDcmget(['--model', 'hanging-protocol', '-k', `SOPInstanceUID=${hp.sopInstanceUid}`, '--no-plan', '--storage-class', 'HangingProtocolStorage', '-aec', 'FAKE', '127.0.0.1', String(scp.port), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(listFiles(od).map((f) => f.split('/').at(-1)), [`${hp.sopInstanceUid}.dcm`]);
    assert.ok(rqs(scp).at(-1)!.presentationContexts.some((c) => c.abstractSyntax === '1.2.840.10008.5.1.4.38.4'), 'Hanging Protocol Information Model - GET proposed');
    assert.equal(gets(scp).at(-1)!.keys.QueryRetrieveLevel, undefined);
  });

  test('a level the model does not have is a usage error naming the levels it has', async () => {
    const r = await runDcmget(['--model', 'without-bulk-data', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID=1.2.3', 'localhost', '104']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not a level of the Composite Instance Retrieve Without Bulk Data .*IMAGE/);
  });

  test('Composite Instance Root at FRAME level: the frame list travels; 0xAA00 is explained in words, exit 6', async () => {
    const scp = await fake({ instances: [], get: { final: { status: 0xaa00, immediate: true } } });
    const r = await runDcmget(['--model', 'composite-instance', '--level', 'FRAME', '--study', '1.2.3', '--series', '1.2.3.4', '--instance', '1.2.3.4.5', '-k', 'SimpleFrameList=1\\3', '--no-plan', '-aec', 'FAKE', '127.0.0.1', String(scp.port), '-od', out()]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /0xAA00 Failure: none of the frames requested were found in the SOP Instance/);
    assert.ok(rqs(scp).at(-1)!.presentationContexts.some((c) => c.abstractSyntax === '1.2.840.10008.5.1.4.1.2.4.3'));
    assert.deepEqual(gets(scp).at(-1)!.keys.QueryRetrieveLevel, ['FRAME']);
  });

  for (const [status, words] of [[0xaa01, 'unable to create new object'], [0xaa02, 'unable to extract frames'], [0xaa03, 'time-based request received for a non-time-based'], [0xaa04, 'invalid request']] as const) {
    test(`0x${status.toString(16).toUpperCase()} is explained: "${words}"`, async () => {
      const scp = await fake({ instances: [], get: { final: { status, immediate: true } } });
      const r = await runDcmget(['--model', 'composite-instance', '--level', 'FRAME', '--instance', '1.2.3.4.5', '-k', 'CalculatedFrameList=1\\10\\2', '--no-plan', '-aec', 'FAKE', '127.0.0.1', String(scp.port), '-od', out()]);
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, new RegExp(words));
    });
  }

  test('--relational sends SOP Class Extended Negotiation for the GET class (PS3.4 C.5.3)', async () => {
    const scp = await fake({ instances: [] });
    await runDcmget(['--relational', '--study', '1.2.3', '--no-plan', '-aec', 'FAKE', '127.0.0.1', String(scp.port), '-od', out()]);
    const ext = rqs(scp).at(-1)!.userInformation.extendedNegotiations;
    assert.deepEqual(ext.map((e) => [e.sopClassUid, [...e.info]]), [['1.2.840.10008.5.1.4.1.2.2.3', [1]]]);
  });
});

describe('more storage classes than one association holds', () => {
  test('a study of 140 classes: 127 on the first association, the rest in the second pass; all arrive, exit 0', async () => {
    const study = `${ROOT}.2`;
    const instances = Array.from({ length: 140 }, (_, n) => syntheticInstance({
      sopInstanceUid: `${study}.1.${n + 1}`, sopClassUid: `${ROOT}.9.${n + 1}`, studyInstanceUid: study, seriesInstanceUid: `${study}.1`, rows: 8, columns: 8, frames: 1,
    }));
    const scp = await fake({ instances });
    const od = out();
    const r = await runDcmget(['--study', study, '-aec', 'FAKE', '127.0.0.1', String(scp.port), '-od', od], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.equal(listFiles(od).length, 140);
    const getAssociations = rqs(scp).filter((rq) => rq.presentationContexts.some((c) => c.abstractSyntax === '1.2.840.10008.5.1.4.1.2.2.3'));
    assert.ok(getAssociations.length >= 2, `${getAssociations.length} C-GET associations`);
    for (const rq of rqs(scp)) assert.ok(rq.presentationContexts.length <= 128);
    assert.match(r.stderr, /recovery: recovered 13 of 13/);
  });
});

describe('--parallel', () => {
  test('a study of 6 series over 3 associations at once, every instance once', async () => {
    const study = `${ROOT}.3`;
    const instances = Array.from({ length: 12 }, (_, n) => syntheticInstance({
      sopInstanceUid: `${study}.1.${n + 1}`, studyInstanceUid: study, seriesInstanceUid: `${study}.2.${(n % 6) + 1}`, rows: 16, columns: 16, frames: 2,
    }));
    const scp = await fake({ instances, get: { subOpDelayMs: 20 } });
    const od = out();
    const r = await runDcmget(['--parallel', '3', '--study', study, '-aec', 'FAKE', '127.0.0.1', String(scp.port), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(listFiles(od).length, 12);
    const getRqs = gets(scp);
    assert.equal(getRqs.length, 6, 'one C-GET per series');
    assert.ok(getRqs.every((g) => g.keys.QueryRetrieveLevel?.[0] === 'SERIES'));
    const getAssociations = rqs(scp).filter((rq) => rq.presentationContexts.some((c) => c.abstractSyntax === '1.2.840.10008.5.1.4.1.2.2.3'));
    assert.equal(getAssociations.length, 3);
  });
});
