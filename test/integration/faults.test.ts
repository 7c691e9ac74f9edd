// Fault tests (issue 15): dcmget behind a PDU-aware fault proxy (test/support/fault-proxy.ts) in
// front of a real Orthanc, and data sets no real server sends from the fake SCP. For each fault,
// the exit code and the state of the output folder:
//  - no temporary file left;
//  - every .dcm file is its original, byte for byte (nothing half-written or padded looks finished);
//  - the instances that the fault spares are there, intact;
//  - a sub-operation whose data set is not whole is answered with a failure (0xC210) and named.
//
// Run: npm run build && node --test test/integration/faults.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { checkReceived, INSTANCES, type FixtureInstance } from '../support/fixtures.ts';
import { assertFromOrthanc } from '../support/received.ts';
import { makeTempDir, removeDir } from '../support/peers.ts';
import {
  C_STORE_RQ, isInnerStoreFragment, startFaultProxy, startsStoreDataSet, type FaultProxy, type FaultRule,
} from '../support/fault-proxy.ts';
import {
  fixtureInstances, startFakeScp, summarizeEvents, type FakeScp, type FixtureInstance as FakeFixture, type InstanceSource,
} from '../support/fake-scp.ts';
import {
  assertExit, assertExplained, assertNoTemporaryFiles, describeRun, ensureBuilt, getArgs, listFiles, runDcmget,
  type RunOptions, type RunResult,
} from '../support/fake-scp-run.ts';
import { walkDataSet } from '../../src/dicom/data-set-reader.ts';

const MIXED_STUDY = INSTANCES.find((i) => i.file.includes('-s2-'))!.studyInstanceUID;
const MIXED = INSTANCES.filter((i) => i.studyInstanceUID === MIXED_STUDY);
const C210 = /0xC210/;

let work = '';
let caseNo = 0;
let orthanc: OrthancServer;
const stoppers: (() => Promise<void>)[] = [];

before(async () => {
  ensureBuilt();
  work = await makeTempDir('faults');
  // UnknownSopClassAccepted: Orthanc stores and serves the fixtures' private SOP class.
  orthanc = await startOrthanc({ extraConfig: { UnknownSopClassAccepted: true } });
  await orthanc.upload(MIXED.map((i) => i.path));
  assert.equal((await orthanc.instances()).length, MIXED.length, 'Orthanc holds the mixed study');
});

after(async () => {
  for (const stop of stoppers) await stop();
  await orthanc?.stop();
  if (work) await removeDir(work);
});

interface Case { r: RunResult; out: string; proxy: FaultProxy }

function newOut(): string {
  const out = path.join(work, `case-${++caseNo}`, 'out');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  return out;
}

/**
 * dcmget retrieves the mixed study from Orthanc through a proxy with these rules. It announces a
 * Maximum Length of 16 KiB unless told otherwise ('' for its default): Orthanc then sends each data set in several
 * PDUs (at dcmget's default of 1 MiB, in one).
 */
async function throughProxy(rules: FaultRule[], args: string[] = [], maxPdu = '16384'): Promise<Case> {
  const proxy = await startFaultProxy({ port: orthanc.dicomPort, rules });
  stoppers.push(() => proxy.stop());
  const out = newOut();
  const r = await runDcmget(['-S', '-aec', orthanc.aet, ...(maxPdu ? ['-pdu', maxPdu] : []), ...args, '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${MIXED_STUDY}`, '-od', out, proxy.host, String(proxy.port)],
    { timeoutMs: 60_000 });
  return { r, out, proxy };
}

function explain(c: Case): string {
  return `${describeRun(c.r)}--- proxy faults ---\n${JSON.stringify(c.proxy.faults().map((f) => ({ action: f.action, index: f.pdu.index, pdvs: f.pdu.pdvs })))}\n`;
}

/**
 * The on-disk state every case must leave: no temporary file; every file a .dcm that is its
 * original (DCMTK reads it, the data set byte-identical, or for a Deflated one the same
 * attributes as Orthanc sends it); at least `atLeast` of them.
 */
async function assertOnDisk(c: { out: string; r: RunResult }, atLeast: number, exactly?: number): Promise<FixtureInstance['sopInstanceUID'][]> {
  assertNoTemporaryFiles(c.out);
  const files = listFiles(c.out);
  for (const f of files) assert.match(f, /\.dcm$/, `not an instance file: ${f}`);
  const uids: string[] = [];
  for (const f of files) {
    // Orthanc sends its stored bytes, but transcodes a Deflated instance when no Deflated context is proposed.
    await assertFromOrthanc(path.join(c.out, f));
    uids.push((await checkReceived(path.join(c.out, f))).original.sopInstanceUID);
  }
  assert.ok(files.length >= atLeast, `${files.length} files, expected at least ${atLeast}: ${describeRun(c.r)}`);
  if (exactly !== undefined) assert.equal(files.length, exactly, describeRun(c.r));
  return uids;
}

/** The fault fired as often as the rule says (a test whose fault never happened proves nothing). */
function assertFired(c: Case, times = 1): void {
  assert.equal(c.proxy.faults().length, times, `the fault fired ${c.proxy.faults().length} times: ${explain(c)}`);
}

describe('the proxy itself', () => {
  test('no rule: a plain relay, every instance byte-identical → 0', async () => {
    const c = await throughProxy([]);
    assertExit(c.r, 0);
    await assertOnDisk(c, MIXED.length, MIXED.length);
    assert.ok(c.proxy.events.some((e) => e.type === 'pdu' && startsStoreDataSet(e.pdu)), 'the proxy saw the C-STORE data sets');
  });
});

describe('connection faults (Orthanc behind the proxy)', () => {
  // The 25th inner fragment of a C-STORE data set: some instances have arrived by then.
  const midway = 24;

  test('cut (FIN) between two PDUs in the middle of a data set → 8; what arrived is intact', async () => {
    const c = await throughProxy([{ match: isInnerStoreFragment, nth: midway, action: 'cut' }]);
    assertFired(c);
    assertExit(c.r, 8);
    assertExplained(c.r, /error: /i);
    await assertOnDisk(c, 1);
    assert.ok(listFiles(c.out).length < MIXED.length);
  });

  test('cut (FIN) inside a PDU → 8; what arrived is intact', async () => {
    const c = await throughProxy([{ match: isInnerStoreFragment, nth: midway, action: 'cut', partial: 100 }]);
    assertFired(c);
    assertExit(c.r, 8);
    await assertOnDisk(c, 1);
  });

  test('reset (RST) in the middle of a data set → 8; what arrived is intact', async () => {
    const c = await throughProxy([{ match: isInnerStoreFragment, nth: midway, action: 'reset', partial: 1000 }]);
    assertFired(c);
    assertExit(c.r, 8);
    assertExplained(c.r, /error: /i);
    await assertOnDisk(c, 1);
  });

  test('delay: 2 s of silence inside a data set → 0, every instance intact', async () => {
    const c = await throughProxy([{ match: isInnerStoreFragment, nth: midway, action: 'delay', ms: 2000 }]);
    assertFired(c);
    assertExit(c.r, 0);
    await assertOnDisk(c, MIXED.length, MIXED.length);
  });

  test('delay past the DIMSE timeout (-td 1, 3 s) → 8; what arrived is intact', async () => {
    const c = await throughProxy([{ match: isInnerStoreFragment, nth: midway, action: 'delay', ms: 3000 }], ['-td', '1']);
    assertFired(c);
    assertExit(c.r, 8);
    assertExplained(c.r, /timeout/i);
    await assertOnDisk(c, 1);
  });

  test('merge: a C-STORE-RQ and its data set in one P-DATA-TF (legal, PS3.8 9.3.5) → 0, every instance intact', async () => {
    const c = await throughProxy([{ match: (p) => p.commandField === C_STORE_RQ, nth: 1, times: 5, action: 'merge', count: 2 }], [], '');
    assertFired(c, 5);
    assertExit(c.r, 0);
    await assertOnDisk(c, MIXED.length, MIXED.length);
  });

  test('merge beyond the Maximum Length dcmget announced (-pdu 16384) → 8, A-ABORT; what arrived is intact', async () => {
    const c = await throughProxy([{ match: isInnerStoreFragment, nth: midway, action: 'merge', count: 3 }]);
    assertFired(c);
    assertExit(c.r, 8);
    assertExplained(c.r, /Maximum Length/);
    await assertOnDisk(c, 1);
  });

  test('corrupt: a PDU length field → 8 (the stream no longer parses); what arrived is intact', async () => {
    const c = await throughProxy([{ match: isInnerStoreFragment, nth: midway, action: 'corrupt', at: 3, xor: 0x40 }]);
    assertFired(c);
    assertExit(c.r, 8);
    await assertOnDisk(c, 1);
  });
});

describe('data sets damaged in transit (Orthanc behind the proxy)', () => {
  test('a duplicated P-DATA-TF inside a data set, --no-retry → 4: answered 0xC210, named, no garbage in any file', async () => {
    const c = await throughProxy([{ match: isInnerStoreFragment, nth: 2, action: 'duplicate' }], ['--no-retry']);
    assertFired(c);
    assertExit(c.r, 4);
    assertExplained(c.r, C210);
    const uids = await assertOnDisk(c, MIXED.length - 1, MIXED.length - 1);
    const missing = MIXED.find((i) => !uids.includes(i.sopInstanceUID))!;
    assert.match(c.r.stderr, new RegExp(`not stored: ${missing.sopInstanceUID.replace(/\./g, '\\.')}: 0xC210 `), explain(c));
  });

  test('a duplicated P-DATA-TF, then recovery asks again and gets it whole → 0', async () => {
    const c = await throughProxy([{ match: isInnerStoreFragment, nth: 2, action: 'duplicate' }]);
    assertFired(c);
    await assertOnDisk(c, MIXED.length, MIXED.length);
    assertExplained(c.r, /recovered 1 of 1 missing instance/);
    assertExit(c.r, 0);
  });

  test('a lost P-DATA-TF (dropped) inside a data set, --no-retry → 4: answered 0xC210, not stored', async () => {
    const c = await throughProxy([{ match: isInnerStoreFragment, nth: 5, action: 'drop' }], ['--no-retry']);
    assertFired(c);
    assertExit(c.r, 4);
    assertExplained(c.r, C210);
    await assertOnDisk(c, MIXED.length - 1, MIXED.length - 1);
  });

  test('a corrupted element length at the start of a data set, --no-retry → 4: answered 0xC210, not stored', async () => {
    // Byte 19 of the PDU: the high byte of the first element's 16-bit length (PDU 6 + PDV 6 + tag 4, VR 2, length 2).
    const c = await throughProxy([{ match: startsStoreDataSet, nth: 1, action: 'corrupt', at: 19, xor: 0x10 }], ['--no-retry']);
    assertFired(c);
    assertExit(c.r, 4);
    assertExplained(c.r, C210);
    await assertOnDisk(c, MIXED.length - 1, MIXED.length - 1);
  });
});

// --- data sets that no real server sends: the fake SCP ---

/** Study 1 of the fixtures: CT explicit, implicit and RLE, served by the fake SCP. */
const S1 = INSTANCES.find((i) => i.file.endsWith('p1-s1-ct-explicit.dcm'))!.studyInstanceUID;
const s1: FakeFixture[] = fixtureInstances((m) => m.studyInstanceUID === S1);

/** A fixture whose data set bytes are replaced. */
function altered(src: FakeFixture, bytes: Buffer): InstanceSource {
  return { ...src, length: bytes.length, read: (offset, n) => Buffer.from(bytes.subarray(offset, offset + n)), label: `${src.label} (altered)` };
}

async function fake(instances: InstanceSource[], args: string[] = [], opts: RunOptions = {}): Promise<{ r: RunResult; out: string; scp: FakeScp }> {
  const scp = await startFakeScp({ instances });
  stoppers.push(() => scp.stop());
  const out = newOut();
  const r = await runDcmget(getArgs(scp, out, ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${S1}`], args), opts);
  return { r, out, scp };
}

describe('data sets no real server sends (fake SCP)', () => {
  test('Pixel Data declared 1 MiB with 1 KB sent → 4: answered 0xC210, not stored, named', async () => {
    const ct = s1.find((i) => i.transferSyntaxUid === '1.2.840.10008.1.2.1')!;
    const whole = ct.read(0, ct.length);
    let pixelAt = -1;
    walkDataSet(whole, ct.transferSyntaxUid, (e) => { if (e.tag === 0x7fe00010) pixelAt = e.offset; });
    const header = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0, 0, 0, 0, 0]);
    header.writeUInt32LE(1024 * 1024, 8);
    const short = altered(ct, Buffer.concat([whole.subarray(0, pixelAt), header, Buffer.alloc(1024, 0x11)]));
    const c = await fake([short, ...s1.filter((i) => i !== ct)]);
    assertExit(c.r, 4, c.scp);
    assertExplained(c.r, /not stored: .*0xC210 the data set ends inside the value of \(7FE0,0010\): 1048576 bytes declared/, c.scp);
    assertNoTemporaryFiles(c.out);
    assert.equal(fs.existsSync(path.join(c.out, `${ct.sopInstanceUid}.dcm`)), false, 'the short instance was stored');
    assert.equal(listFiles(c.out).length, 2);
    const answers = c.scp.eventsOf('c-store-rsp').filter((e) => e.sopInstanceUid === ct.sopInstanceUid);
    assert.ok(answers.length >= 1 && answers.every((e) => e.status === 0xc210), summarizeEvents(c.scp.events));
  });

  test('bytes after the last element (a data set padded by its sender) → 4: answered 0xC210', async () => {
    const ct = s1[1]!;
    const padded = altered(ct, Buffer.concat([ct.read(0, ct.length), Buffer.alloc(16)]));
    const c = await fake([s1[0]!, padded, s1[2]!]);
    assertExit(c.r, 4, c.scp);
    assertExplained(c.r, C210, c.scp);
    assertNoTemporaryFiles(c.out);
    assert.deepEqual(listFiles(c.out).sort(), [`${s1[0]!.sopInstanceUid}.dcm`, `${s1[2]!.sopInstanceUid}.dcm`].sort());
  });
});

describe('temporary files (issue 15 item 4)', () => {
  test('a stale .dcmget-1-1.part (as a killed run in a container leaves) does not fail a rerun that is PID 1 too → 0', async () => {
    // The name dcmget gave its first temporary file when it ran as PID 1 before random names.
    const out = newOut();
    fs.mkdirSync(out, { recursive: true });
    const squatters = ['.dcmget-1-1.part', '.dcmget-1-2.part', '.dcmget-1-3.part'].map((n) => path.join(out, n));
    for (const p of squatters) fs.writeFileSync(p, 'left by a killed run');
    const scp = await startFakeScp({ instances: s1 });
    stoppers.push(() => scp.stop());
    // unshare: dcmget runs as PID 1 of a new PID namespace (a user namespace when not root).
    const wrapper = process.getuid?.() === 0 ? ['unshare', '--pid', '--fork', '--kill-child'] : ['unshare', '--user', '--map-root-user', '--pid', '--fork', '--kill-child'];
    const r = await runDcmget(getArgs(scp, out, ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${S1}`]), { wrapper });
    assert.doesNotMatch(r.stderr, /unshare: /, `unshare failed (util-linux's unshare, and root or unprivileged user namespaces, are needed): ${r.stderr}`);
    assertExit(r, 0, scp);
    for (const p of squatters) assert.equal(fs.readFileSync(p, 'utf8'), 'left by a killed run', `${p}: a fresh file not ours was touched`);
    const dcm = listFiles(out).filter((f) => f.endsWith('.dcm'));
    assert.equal(dcm.length, 3);
    for (const f of dcm) await checkReceived(path.join(out, f), { requireIdentical: true });
  });

  test('temporary files a killed run left over a day ago are removed at start and listed under -v; fresh ones are left', async () => {
    const out = newOut();
    fs.mkdirSync(out, { recursive: true });
    const old = path.join(out, '.dcmget-77-1.part');
    const fresh = path.join(out, '.dcmget-0123456789abcdef-1.part');
    fs.writeFileSync(old, 'x');
    fs.writeFileSync(fresh, 'y');
    const twoDaysAgo = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
    fs.utimesSync(old, twoDaysAgo, twoDaysAgo);
    const scp = await startFakeScp({ instances: s1 });
    stoppers.push(() => scp.stop());
    const r = await runDcmget(getArgs(scp, out, ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${S1}`], ['-v']));
    assertExit(r, 0, scp);
    assert.equal(fs.existsSync(old), false, 'the stale file is still there');
    assert.equal(fs.existsSync(fresh), true, 'a fresh temporary file (maybe a live run\'s) was removed');
    assertExplained(r, new RegExp(`removed ${old.replace(/\./g, '\\.')}, a temporary file left by an earlier run`), scp);
  });
});
