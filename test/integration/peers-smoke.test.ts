// Smoke test of the real-peer harness: start Orthanc and dcmqrscp on free
// loopback ports, load 3 tiny CT instances, and retrieve them with DCMTK's
// getscu (the reference C-GET SCU). Proves the servers start, hold the data
// and serve C-GET; fails (does not skip) when a peer is not installed.
//
// Run: ./node_modules/.bin/node --test test/integration/peers-smoke.test.ts

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeDir } from '../support/peers.ts';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { startDcmqrscp, type DcmqrscpServer } from '../support/dcmqrscp.ts';
import { dcmdumpOk, dcmftest, readPart10, runGetscu, writeTinyCt } from '../support/dcmtk.ts';

const ROOT = '1.2.826.0.1.3680043.10.1338.7'; // test-only UID root
const STUDY = `${ROOT}.1`;
const SERIES = `${STUDY}.1`;
const SOP_INSTANCES = [1, 2, 3].map((n) => `${SERIES}.${n}`);
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

let work = '';
let fixtures: string[] = [];

before(async () => {
  work = await makeTempDir('peers-smoke');
  fixtures = [];
  for (const [i, uid] of SOP_INSTANCES.entries()) {
    const file = path.join(work, 'fixtures', `ct${i + 1}.dcm`);
    await writeTinyCt(file, {
      studyInstanceUID: STUDY,
      seriesInstanceUID: SERIES,
      sopInstanceUID: uid,
      patientID: 'SMOKE',
      instanceNumber: i + 1,
    });
    fixtures.push(file);
  }
});

after(async () => {
  if (work) await removeDir(work);
});

/** getscu study-root C-GET of STUDY into a fresh folder; returns the Part 10 infos of what arrived. */
async function getStudy(calledAet: string, port: number, outName: string): Promise<ReturnType<typeof readPart10>[]> {
  const out = path.join(work, outName);
  await fs.promises.mkdir(out, { recursive: true });
  const r = await runGetscu(
    // +B: getscu writes the received data set bytes as they arrived
    ['-v', '+B', '-S', '-aet', 'GETSCU', '-aec', calledAet, '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${STUDY}`, '-od', out, '127.0.0.1', String(port)],
    { timeoutMs: 30_000 },
  );
  assert.equal(r.code, 0, `getscu failed (code ${r.code}):\n${r.stderr}\n${r.stdout}`);
  assert.match(r.stderr + r.stdout, /Number of Completed Suboperations : 3/);
  assert.match(r.stderr + r.stdout, /Number of Failed Suboperations\s+: 0/);
  const files = (await fs.promises.readdir(out)).map((f) => path.join(out, f)).sort();
  assert.equal(files.length, 3, `expected 3 files, got: ${files.join(', ')}`);
  return files.map((f) => readPart10(f));
}

async function checkRetrieved(infos: ReturnType<typeof readPart10>[]): Promise<void> {
  assert.deepEqual(infos.map((i) => i.sopInstanceUID).sort(), [...SOP_INSTANCES].sort());
  const sent = new Map(fixtures.map((f) => readPart10(f)).map((i) => [i.sopInstanceUID, i]));
  for (const info of infos) {
    assert.equal(info.sopClassUID, CT_IMAGE_STORAGE);
    // Explicit VR LE in, Explicit VR LE proposed and accepted: both servers send the data set unchanged
    assert.equal(info.transferSyntaxUID, '1.2.840.10008.1.2.1');
    assert.equal(info.datasetSha256, sent.get(info.sopInstanceUID)?.datasetSha256, `${info.file}: data set differs from the fixture`);
    assert.equal(await dcmftest(info.file), true, `${info.file} is not Part 10`);
    const dump = await dcmdumpOk(info.file);
    assert.equal(dump.ok, true, dump.output);
    assert.match(dump.output, /\(0010,0020\) LO \[SMOKE\]/);
  }
}

describe('fixtures', () => {
  test('dump2dcm fixtures are Part 10 files with the expected meta', async () => {
    for (const [i, f] of fixtures.entries()) {
      const info = readPart10(f);
      assert.equal(info.sopInstanceUID, SOP_INSTANCES[i]);
      assert.equal(info.sopClassUID, CT_IMAGE_STORAGE);
      assert.equal(info.transferSyntaxUID, '1.2.840.10008.1.2.1');
      assert.equal(info.datasetOffset, 132 + 12 + (info.metaGroupLength ?? -1));
      assert.equal(await dcmftest(f), true);
    }
  });
});

describe('Orthanc', () => {
  let orthanc: OrthancServer | undefined;
  before(async () => {
    orthanc = await startOrthanc();
    await orthanc.upload(fixtures);
  });
  after(async () => {
    await orthanc?.stop();
  });

  test('holds the uploaded instances', async (t) => {
    assert.ok(orthanc);
    t.diagnostic(`Orthanc ready in ${Math.round(orthanc.startupMs)} ms (dicom ${orthanc.dicomPort}, http ${orthanc.httpPort})`);
    assert.deepEqual(await orthanc.instances(), [...SOP_INSTANCES].sort());
    await orthanc.upload(fixtures.slice(0, 1)); // AlreadyStored is fine
  });

  test('serves C-GET to getscu', async () => {
    assert.ok(orthanc);
    try {
      await checkRetrieved(await getStudy(orthanc.aet, orthanc.dicomPort, 'from-orthanc'));
    } catch (err) {
      console.error(orthanc.logTail(40));
      throw err;
    }
  });
});

describe('dcmqrscp', () => {
  let qr: DcmqrscpServer | undefined;
  before(async () => {
    qr = await startDcmqrscp({ aet: 'QRSCP', allowedCallers: ['GETSCU', 'DCMGET'] });
    await qr.load(fixtures);
  });
  after(async () => {
    await qr?.stop();
  });

  test('holds the loaded instances', async (t) => {
    assert.ok(qr);
    t.diagnostic(`dcmqrscp ready in ${Math.round(qr.startupMs)} ms (port ${qr.port})`);
    assert.deepEqual(await qr.instances(), [...SOP_INSTANCES].sort());
  });

  test('serves C-GET to getscu', async () => {
    assert.ok(qr);
    try {
      const infos = await getStudy(qr.aet, qr.port, 'from-dcmqrscp');
      await checkRetrieved(infos);
    } catch (err) {
      console.error(qr.logTail(40));
      throw err;
    }
  });

  test('rejects a caller not in allowedCallers', async () => {
    assert.ok(qr);
    const out = path.join(work, 'rejected');
    await fs.promises.mkdir(out, { recursive: true });
    const r = await runGetscu(['-S', '-aet', 'STRANGER', '-aec', qr.aet, '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${STUDY}`, '-od', out, '127.0.0.1', String(qr.port)]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Association Rejected/);
  });
});
