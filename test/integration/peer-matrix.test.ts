// The peer matrix (issue 12): dcmget against five real C-GET SCPs that nobody here wrote, each
// started on free loopback ports with its own storage, loaded with the fixtures, stopped by PID:
// Orthanc 1.10 (Debian default configuration), DCMTK dcmqrscp with Debian's default
// configuration and with an association profile accepting every syntax, PixelMed's
// DicomAndWebStorageServer, and the SCP of the npm package dcmjs-dimse.
//
// For each peer, every fixture study at STUDY level, every patient at PATIENT level and one
// instance at IMAGE level, retrieved by the built CLI: exactly the instances the peer can send
// arrive, intact (readable by DCMTK, the same attributes as the fixture); byte-identical exactly
// where the peer sends the stored bytes; the exit code; nothing but finished files left; under
// 0.5 s from the last C-GET-RSP (--ndjson) to the process's exit. What a peer cannot do is
// stated below as its limit, instance by instance, with the figures it gives. At STUDY level
// DCMTK getscu +B does the same retrieve: dcmget brings at least as many instances intact, and
// at least as many byte-identical. Figures for docs/peers.md: node --test this file; the
// diagnostics print the table.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { startOrthanc } from '../support/orthanc.ts';
import { startDcmqrscp } from '../support/dcmqrscp.ts';
import { startPixelmed } from '../support/pixelmed.ts';
import { startDcmjsDimse } from '../support/dcmjs-dimse.ts';
import { DEFLATED, INSTANCES, listFiles, studies, type FixtureInstance } from '../support/fixtures.ts';
import { judgeReceived, type Received } from '../support/received.ts';
import { runDcmget } from '../support/fake-scp-run.ts';
import { dcmtkBinary, makeTempDir, peerEnv, removeDir } from '../support/peers.ts';

const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const uncompressed = (f: FixtureInstance) => f.transferSyntaxUID === EXPLICIT || f.transferSyntaxUID === IMPLICIT;
const deflated = (f: FixtureInstance) => f.transferSyntaxUID === DEFLATED;
const named = (...files: string[]) => (f: FixtureInstance) => files.includes(path.basename(f.file));

/** What the tests expect of one peer: what it holds, sends, sends byte for byte, and alters. */
interface PeerSpec {
  name: string;
  start(): Promise<{ aet: string; port: number; version: string; holds: string[]; stop(): Promise<void> }>;
  /** The fixtures it holds once loaded. */
  holds(f: FixtureInstance): boolean;
  /** Of those, the ones it can send to dcmget (the others are its limit). */
  sends(f: FixtureInstance): boolean;
  /** Of those, the ones that arrive with the stored data set bytes. */
  identical(f: FixtureInstance): boolean;
  /** Attribute differences it brings about (all others arrive with the fixture's attributes). */
  alters?(f: FixtureInstance): string[];
  /** Over the three studies at STUDY level: held, arrived, of those intact, byte-identical. */
  figures: { held: number; arrived: number; intact: number; identical: number };
}

const PEERS: PeerSpec[] = [
  {
    // Holds everything. It sends each instance on a context of its stored syntax; a Deflated one
    // it re-deflates, or, with no Deflated context (dcmget proposes none unless the plan saw
    // Deflated, and Orthanc's C-FIND answers no Available Transfer Syntax UID), transcodes to
    // Implicit VR LE: the same attributes, not the stored bytes. It refuses a private class's
    // context (without UnknownSopClassAccepted) and then ends the whole C-GET at that instance
    // with 0xC000; the second pass brings the rest.
    name: 'Orthanc',
    async start() {
      const o = await startOrthanc();
      await o.upload(INSTANCES.map((i) => i.path));
      const system = await o.rest<{ Version: string }>('GET', '/system');
      return { aet: o.aet, port: o.dicomPort, version: system.Version, holds: await o.instances(), stop: () => o.stop() };
    },
    holds: () => true,
    sends: (f) => !f.private,
    identical: (f) => !deflated(f),
    figures: { held: 17, arrived: 16, intact: 16, identical: 14 },
  },
  {
    // Debian's configuration: uncompressed syntaxes only. It sends on the first accepted context
    // of the class, converting between uncompressed syntaxes (Implicit arrives as Explicit VR LE;
    // Deflated inflated, as Explicit VR LE: the stored bytes once inflated) and cannot decompress:
    // RLE, JPEG and JPEG-LS instances fail on every recovery pass too. It does not answer SOP Class UID in
    // C-FIND, so dcmget proposes its default classes, which leave out the private one.
    name: 'dcmqrscp (default)',
    async start() {
      const q = await startDcmqrscp({ files: INSTANCES.map((i) => i.path) });
      return { aet: q.aet, port: q.port, version: q.version, holds: await q.instances(), stop: () => q.stop() };
    },
    holds: () => true,
    sends: (f) => (uncompressed(f) || deflated(f)) && !f.private,
    identical: (f) => f.transferSyntaxUID === EXPLICIT || deflated(f),
    figures: { held: 17, arrived: 11, intact: 11, identical: 9 },
  },
  {
    // An association profile accepting every syntax (its documentation's example), as
    // test/support/dcmqrscp.ts writes it. dcmget's first association offers each default class
    // one uncompressed context, where dcmqrscp picks Explicit VR LE: Implicit instances arrive
    // converted; compressed ones fail there and come in their stored syntax on recovery's
    // one-syntax associations. The profile names the standard classes only: the private one
    // has no context.
    name: 'dcmqrscp (any syntax)',
    async start() {
      const q = await startDcmqrscp({ files: INSTANCES.map((i) => i.path), acceptAllTransferSyntaxes: true });
      return { aet: q.aet, port: q.port, version: q.version, holds: await q.instances(), stop: () => q.stop() };
    },
    holds: () => true,
    sends: (f) => !f.private,
    identical: (f) => f.transferSyntaxUID !== IMPLICIT,
    figures: { held: 17, arrived: 16, intact: 16, identical: 14 },
  },
  {
    // Refuses compressed syntaxes and private classes at C-STORE, so holds the 11 others. It
    // rejects a context offering Implicit VR LE alone when another offers Explicit VR LE for the
    // class, and sends on Deflated whenever such a context is accepted, else on Explicit VR LE:
    // Implicit instances arrive converted; of the Deflated ones, the MR converts to the same
    // bytes, the SR does not (PixelMed writes its sequences again with undefined lengths).
    name: 'PixelMed',
    async start() {
      const p = await startPixelmed({ files: INSTANCES.map((i) => i.path) });
      return { aet: p.aet, port: p.port, version: p.version, holds: await p.instances(), stop: () => p.stop() };
    },
    holds: (f) => (uncompressed(f) || deflated(f)) && !f.private,
    sends: () => true,
    identical: (f) => f.transferSyntaxUID === EXPLICIT || named('p2-s3-mr-deflated.dcm')(f),
    figures: { held: 11, arrived: 11, intact: 11, identical: 8 },
  },
  {
    // Re-encodes every data set with dcmjs on its stored syntax's context (dcmget proposes it:
    // this SCP answers Available Transfer Syntax UID): bytes survive only for data sets with no
    // sequence and no fragment longer than dcmjs writes; private attributes are dropped. It
    // cannot transcode from Deflated and cannot write Deflated (test/support/dcmjs-dimse.ts), so
    // it sends no Deflated instance.
    name: 'dcmjs-dimse',
    async start() {
      const d = await startDcmjsDimse({ files: INSTANCES.map((i) => i.path) });
      return { aet: d.aet, port: d.port, version: d.version, holds: await d.instances(), stop: () => d.stop() };
    },
    holds: () => true,
    sends: (f) => !deflated(f),
    identical: named('p1-s1-ct-explicit.dcm', 'p1-s1-ct-implicit.dcm', 'p1-s2-ct-explicit.dcm', 'p1-s2-mr-implicit.dcm',
      'p1-s2-sc-multiframe-rle.dcm', 'p1-s2-sc-rgb-explicit.dcm', 'p2-s3-mr-explicit.dcm'),
    alters: (f) => (f.private ? ['0009,0010 missing', '0009,1001 missing', '0009,1002 missing'] : []),
    figures: { held: 17, arrived: 15, intact: 14, identical: 7 },
  },
];

interface Case {
  label: string;
  args: string[];
  match: (f: FixtureInstance) => boolean;
  study?: string;
}

const ONE = INSTANCES.find((i) => path.basename(i.file) === 'p1-s2-mr-implicit.dcm')!;
const CASES: Case[] = [
  ...studies().map((study) => ({
    label: `STUDY ${study.slice(-3)}`, study, match: (f: FixtureInstance) => f.studyInstanceUID === study,
    args: ['-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${study}`],
  })),
  ...[...new Set(INSTANCES.map((i) => i.patientID))].map((patient) => ({
    label: `PATIENT ${patient}`, match: (f: FixtureInstance) => f.patientID === patient,
    args: ['-P', '-k', 'QueryRetrieveLevel=PATIENT', '-k', `PatientID=${patient}`],
  })),
  {
    label: `IMAGE ${path.basename(ONE.file)}`, match: (f: FixtureInstance) => f === ONE,
    args: ['-S', '-k', 'QueryRetrieveLevel=IMAGE', '-k', `StudyInstanceUID=${ONE.studyInstanceUID}`, '-k', `SeriesInstanceUID=${ONE.seriesInstanceUID}`, '-k', `SOPInstanceUID=${ONE.sopInstanceUID}`],
  },
];

interface Outcome { received: Received[]; files: string[]; code: number | null; latencyMs: number; stderr: string }

async function judgeAll(dir: string): Promise<{ received: Received[]; files: string[] }> {
  const files = listFiles(dir);
  const received: Received[] = [];
  for (const f of files) received.push(await judgeReceived(f));
  return { received, files: files.map((f) => path.relative(dir, f)) };
}

/** dcmget with --ndjson; the latency is from the last final (or recovery) event to the exit. */
async function dcmget(peer: { aet: string; port: number }, args: string[], dir: string): Promise<Outcome> {
  let exitAt = 0;
  const r = await runDcmget(['--ndjson', ...args, '-aec', peer.aet, '-od', dir, '127.0.0.1', String(peer.port)], {
    timeoutMs: 120_000, onSpawn: (child) => child.once('exit', () => { exitAt = Date.now(); }),
  });
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event: string; time: string });
  const last = events.filter((e) => e.event === 'final' || e.event === 'recovery').at(-1);
  assert.ok(last, `no final event on stdout:\n${r.stdout}\n${r.stderr}`);
  return { ...(await judgeAll(dir)), code: r.code, latencyMs: exitAt - Date.parse(last.time), stderr: r.stderr };
}

/** DCMTK getscu +B (the data sets as they arrived); the latency is from its final-status log line to its exit. */
function getscu(peer: { aet: string; port: number }, args: string[], dir: string): Promise<Outcome> {
  fs.mkdirSync(dir, { recursive: true }); // getscu does not make its output folder
  return new Promise((resolve, reject) => {
    const child = spawn(dcmtkBinary('getscu'), ['-v', '+B', ...args, '-aet', 'GETSCU', '-aec', peer.aet, '-od', dir, '127.0.0.1', String(peer.port)], { env: peerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    let finalAt = 0;
    const onData = (d: Buffer) => {
      log += d;
      if (!finalAt && /Final status report/.test(log)) finalAt = Date.now();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('exit', (code) => {
      const exitAt = Date.now();
      clearTimeout(guard);
      judgeAll(dir).then((j) => resolve({ ...j, code, latencyMs: finalAt ? exitAt - finalAt : NaN, stderr: log }), reject);
    });
  });
}

const uids = (fs_: FixtureInstance[]) => fs_.map((f) => f.sopInstanceUID).sort();
const rows: string[] = [];

for (const spec of PEERS) {
  describe(`peer matrix: ${spec.name}`, () => {
    let peer: Awaited<ReturnType<PeerSpec['start']>>;
    let work = '';
    const studyLevel = { held: 0, arrived: 0, intact: 0, identical: 0, getscuArrived: 0, getscuIdentical: 0, latency: [] as number[], getscuLatency: [] as number[], codes: [] as (number | null)[], getscuCodes: [] as (number | null)[] };
    before(async () => {
      work = await makeTempDir('peer-matrix');
      peer = await spec.start();
    });
    after(async () => {
      await peer?.stop();
      if (work) await removeDir(work);
      rows.push(`| ${spec.name} ${peer?.version ?? ''} | ${studyLevel.held} | ${studyLevel.intact} / ${studyLevel.identical} | ${studyLevel.getscuArrived} / ${studyLevel.getscuIdentical} | ${studyLevel.codes.join(', ')} | ${studyLevel.getscuCodes.join(', ')} | ${Math.max(...studyLevel.latency)} ms | ${Math.max(...studyLevel.getscuLatency)} ms |`);
    });

    test('holds the fixtures it can take', async () => {
      assert.deepEqual(peer.holds, uids(INSTANCES.filter(spec.holds)));
    });

    for (const c of CASES) {
      test(`${c.label}: exactly what it can send arrives, intact; byte-identical where it sends the stored bytes`, async (t: TestContext) => {
        const held = INSTANCES.filter((f) => c.match(f) && spec.holds(f));
        const sent = held.filter(spec.sends);
        const dir = path.join(work, `${c.label.replace(/\W+/g, '-')}-dcmget`);
        const r = await dcmget(peer, c.args, dir);
        const why = `${spec.name}, ${c.label}: exit ${r.code}\n${r.stderr}`;
        assert.deepEqual(r.files.sort(), sent.map((f) => `${f.sopInstanceUID}.dcm`).sort(), `only finished files, one per instance the peer can send (no .part); ${why}`);
        for (const got of r.received) {
          assert.deepEqual(got.differences, spec.alters?.(got.original) ?? [], `${got.original.file}: attributes`);
          assert.equal(got.identical, spec.identical(got.original), `${got.original.file} arrived as ${got.info.transferSyntaxUID}: byte-identical?`);
        }
        for (const missing of held.filter((f) => !spec.sends(f))) assert.ok(r.stderr.includes(missing.sopInstanceUID), `${missing.file} is named as missing; ${why}`);
        assert.equal(r.code, sent.length === held.length ? 0 : 4, why);
        assert.ok(r.latencyMs < 500, `${r.latencyMs} ms from the last C-GET-RSP to the exit`);
        t.diagnostic(`${spec.name} ${c.label}: held ${held.length}, arrived ${r.received.filter((x) => x.intact).length}, byte-identical ${r.received.filter((x) => x.identical).length}, exit ${r.code}, ${r.latencyMs} ms to exit`);
        if (!c.study) return;
        studyLevel.held += held.length;
        studyLevel.arrived += r.received.length;
        studyLevel.intact += r.received.filter((x) => x.intact).length;
        studyLevel.identical += r.received.filter((x) => x.identical).length;
        studyLevel.latency.push(r.latencyMs);
        studyLevel.codes.push(r.code);
        // The same retrieve with DCMTK getscu: dcmget brings at least as much, as intact.
        const g = await getscu(peer, c.args, path.join(work, `${c.label.replace(/\W+/g, '-')}-getscu`));
        const gArrived = g.received.filter((x) => x.intact).length;
        const gIdentical = g.received.filter((x) => x.identical).length;
        studyLevel.getscuArrived += gArrived;
        studyLevel.getscuIdentical += gIdentical;
        studyLevel.getscuLatency.push(g.latencyMs);
        studyLevel.getscuCodes.push(g.code);
        t.diagnostic(`getscu ${c.label}: arrived ${gArrived}, byte-identical ${gIdentical}, exit ${g.code}, ${g.latencyMs} ms to exit`);
        assert.ok(r.received.filter((x) => x.intact).length >= gArrived, `dcmget intact ≥ getscu's ${gArrived}`);
        assert.ok(r.received.filter((x) => x.identical).length >= gIdentical, `dcmget byte-identical ≥ getscu's ${gIdentical}`);
      });
    }

    test('over the three studies: the figures of docs/peers.md', () => {
      const { held, arrived, intact, identical } = studyLevel;
      assert.deepEqual({ held, arrived, intact, identical }, spec.figures);
    });
  });
}

test('the table of docs/peers.md, from this run (STUDY level, the three studies)', (t) => {
  assert.equal(rows.length, PEERS.length);
  t.diagnostic('| peer | instances held | dcmget intact / byte-identical | getscu +B intact / byte-identical | dcmget exit codes | getscu exit codes | dcmget exit latency (max) | getscu exit latency (max) |');
  for (const row of rows) t.diagnostic(row);
});
