// Issue 17: the same retrieve over C-MOVE, into dcmget's own Storage SCP, against the real peers:
// Orthanc (dcmget registered as a modality through its REST API), dcmqrscp (its HostTable) and
// PixelMed (its remote AEs). Every fixture study arrives over C-MOVE as it does over C-GET; --via
// auto falls back to C-MOVE where the GET context is refused; only the PACS gets in, only while a
// C-MOVE runs; a PACS that cannot connect back ends the run with exit 8 and says what it must know.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startRetrieve } from '../../src/index.ts';
import { startDcmqrscp, type DcmqrscpServer } from '../support/dcmqrscp.ts';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { startPixelmed, type PixelmedServer } from '../support/pixelmed.ts';
import { INSTANCES, listFiles, studies } from '../support/fixtures.ts';
import { judgeReceived, type Received } from '../support/received.ts';
import { runDcmget, tempDir, type CliResult } from '../support/cli.ts';
import { freePort, LOOPBACK } from '../support/ports.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { pdus, rawConnect } from '../support/raw-peer.ts';

const dirs: string[] = [];
function out(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

/** What arrived in a folder, judged against the fixtures, by SOP Instance UID. */
async function arrived(dir: string): Promise<Map<string, Received>> {
  const out = new Map<string, Received>();
  for (const f of listFiles(dir)) {
    const r = await judgeReceived(f);
    out.set(r.info.sopInstanceUID, r);
  }
  return out;
}

function json(r: CliResult): { via: string | null; exitCode: number; associations: Record<string, number>; [k: string]: unknown } {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`no JSON report (exit ${r.code}):\n${r.stderr}`);
  }
}

/**
 * A study over C-GET and over C-MOVE from the same peer: every instance C-GET brings arrives over
 * C-MOVE too, intact, and byte-identical wherever C-GET brought the stored bytes; `differs` says
 * which instances the peer sends otherwise over C-MOVE (a class it cannot, or only it can, send
 * that way). Exit 0 when the whole study arrived, else 4, as for C-GET.
 */
async function sameOverMove(peer: string[], port: number, study: string, differs: { missing?: string; extra?: string; why: string } = { why: '' },
  held: (uid: string) => boolean = () => true): Promise<void> {
  const getDir = out();
  const moveDir = out();
  const get = await runDcmget(['--json', '--study', study, ...peer, '-od', getDir]);
  const move = await runDcmget(['--json', '--via', 'move', '--port', String(port), '--study', study, ...peer, '-od', moveDir]);
  assert.equal(json(get).via, 'get', get.stderr);
  assert.equal(json(move).via, 'move', move.stderr);
  const g = await arrived(getDir);
  const m = await arrived(moveDir);
  assert.ok(g.size > 0, `study ${study}: C-GET brought nothing\n${get.stderr}`);
  const all = INSTANCES.filter((i) => i.studyInstanceUID === study && held(i.sopInstanceUID));
  const expected = [...g.values()].filter((r) => r.original.sopClassUID !== differs.missing).map((r) => r.info.sopInstanceUID)
    .concat(all.filter((i) => i.sopClassUID === differs.extra && !g.has(i.sopInstanceUID)).map((i) => i.sopInstanceUID));
  assert.deepEqual([...m.keys()].sort(), expected.sort(), `study ${study}: ${differs.why}\n${move.stderr}`);
  for (const [uid, r] of m) {
    assert.ok(r.intact, `${uid} over C-MOVE: ${r.differences.join(', ')}`);
    if (g.get(uid)?.identical) assert.ok(r.identical, `${uid}: byte-identical over C-GET (${g.get(uid)!.info.transferSyntaxUID}), not over C-MOVE (${r.info.transferSyntaxUID})`);
  }
  for (const [r, got] of [[get, g], [move, m]] as const) assert.equal(r.code, got.size === all.length ? 0 : 4, r.stderr);
  const j = json(move);
  assert.equal(j.associations.get, 0);
  assert.ok(j.associations.move >= 1 && j.associations.incoming >= 1, JSON.stringify(j.associations));
  assert.match(move.stderr, /C-MOVE to "DCMGET", dcmget's Storage SCP on port \d+: asked for \(--via move\)/);
}

/** A port nothing listens on. */
async function deadPort(): Promise<number> {
  return freePort();
}

/** The exit-8 message of a PACS that cannot reach dcmget: the port and the AE title it must know. */
function assertNeverConnected(r: CliResult, port: number): void {
  assert.equal(r.code, 8, r.stderr);
  assert.match(r.stderr, new RegExp(`never connected to dcmget's Storage SCP.*port ${port}.*AE title "DCMGET".*port ${port}`));
}

describe('C-MOVE from Orthanc, dcmget registered through its REST API', () => {
  let orthanc: OrthancServer;
  let port: number;
  const register = (p: number, aet = 'DCMGET') => orthanc.rest('PUT', '/modalities/dcmget', { AET: aet, Host: LOOPBACK, Port: p });
  before(async () => {
    // DCMGET is not in its configuration: only the REST API makes it known (to query, and as a destination).
    orthanc = await startOrthanc({ allowedCallers: [{ aet: 'GETSCU' }] });
    await orthanc.upload(INSTANCES.map((i) => i.path));
    port = await freePort();
    await register(port);
  });
  after(async () => { await orthanc?.stop(); });
  const peer = () => ['-aec', orthanc.aet, LOOPBACK, String(orthanc.dicomPort)];

  // Orthanc 1.10 as a C-GET SCP rejects the context of the fixtures' private class (not in its
  // dictionary); as the SCU of its C-MOVE sub-operations it proposes it, and dcmget accepts it.
  const priv = INSTANCES.find((i) => i.private)!.sopClassUID;
  for (const study of studies()) {
    test(`study ${study.slice(-3)} over C-MOVE arrives as over C-GET (and the private class C-GET cannot bring)`, async () => {
      await sameOverMove(peer(), port, study, { extra: priv, why: 'Orthanc sends the private class over C-MOVE only' });
    });
  }

  test('--parallel 3 over C-MOVE: the PACS names each C-MOVE (Move Originator Message ID), the whole study arrives', async () => {
    const study = INSTANCES.find((i) => i.file.includes('-s2-'))!.studyInstanceUID;
    const od = out();
    const r = await runDcmget(['--json', '--via', 'move', '--port', String(port), '--parallel', '3', '--study', study, ...peer(), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(listFiles(od).length, INSTANCES.filter((i) => i.studyInstanceUID === study).length);
    assert.doesNotMatch(r.stderr, /one C-MOVE at a time/);
    assert.ok(json(r).associations.move >= 2, JSON.stringify(json(r).associations));
  });

  test('--parallel 3 with C-STOREs that name no C-MOVE of ours: one C-MOVE at a time, said once, every instance counted', async () => {
    // A relay changes the Move Originator Message ID (0000,1031), the last element of each
    // C-STORE-RQ's command set, into one dcmget never used: as from a PACS that does not fill it in.
    const scpPort = await freePort();
    const proxy = await startFaultProxy({ port: scpPort, rules: [{ to: 'scp', match: (p) => p.commandField === 0x0001, action: 'corrupt', at: 1, fromEnd: true, xor: 0x80, times: Infinity }] });
    await register(proxy.port);
    try {
      const study = INSTANCES.find((i) => i.file.includes('-s2-'))!.studyInstanceUID;
      const od = out();
      const r = await runDcmget(['--json', '--via', 'move', '--port', String(scpPort), '--parallel', '3', '--study', study, ...peer(), '-od', od]);
      assert.ok(proxy.faults().length > 0, 'the relay changed the C-STOREs');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(listFiles(od).length, INSTANCES.filter((i) => i.studyInstanceUID === study).length);
      assert.equal(r.stderr.match(/names no C-MOVE of ours in its C-STOREs \(Move Originator Message ID, 0000,1031: \d+\): one C-MOVE at a time/g)?.length, 1, r.stderr);
      assert.equal(json(r).ledger.received, listFiles(od).length);
    } finally {
      await proxy.stop();
      await register(port);
    }
  });

  test('a destination AE title Orthanc does not know: it answers 0xC000 and never connects; exit 8, naming that AE title', async () => {
    const r = await runDcmget(['--via', 'move', '--port', String(port), '--move', 'NOBODY', '--study', studies()[0]!, ...peer(), '-od', out()]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /never connected to dcmget's Storage SCP: its C-MOVE ended 0xC000 .*the PACS must know AE title "NOBODY"/);
  });

  test('the PACS itself refused (--move-peer-aet names another AE title): exit 8, saying what was refused and why', async () => {
    const r = await runDcmget(['--via', 'move', '--port', String(port), '--move-peer-aet', 'SOMEPACS', '--study', studies()[0]!, ...peer(), '-od', out()]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, new RegExp(`association to dcmget's Storage SCP \\(port ${port}\\) was refused, from 127\\.0\\.0\\.1 calling "ORTHANC" to "DCMGET": only "SOMEPACS" may connect \\(--move-peer-aet\\)`));
  });

  test('a PACS registered with a wrong port: exit 8, naming the port and the AE title it must know', async () => {
    await register(await deadPort());
    try {
      const r = await runDcmget(['--via', 'move', '--port', String(port), '--study', studies()[0]!, ...peer(), '-od', out()]);
      assertNeverConnected(r, port);
    } finally {
      await register(port);
    }
  });

  test('a PACS whose connection goes nowhere (a port that never answers): exit 8 after --dimse-timeout', async () => {
    const silent = net.createServer(() => {}); // takes the TCP connection, never answers the A-ASSOCIATE-RQ
    await new Promise<void>((r) => silent.listen({ host: LOOPBACK, port: 0 }, r));
    await register((silent.address() as net.AddressInfo).port);
    try {
      const started = performance.now();
      const r = await runDcmget(['--via', 'move', '--port', String(port), '-td', '2', '--study', studies()[0]!, ...peer(), '-od', out()]);
      assert.ok(performance.now() - started >= 2000, 'waited for the DIMSE timeout');
      assert.equal(r.code, 8, r.stderr);
      assert.match(r.stderr, /DIMSE timeout.*never connected to dcmget's Storage SCP on port \d+: the PACS must know AE title "DCMGET"/);
    } finally {
      silent.close();
      await register(port);
    }
  });

  describe('only the PACS gets in, only while a C-MOVE runs', () => {
    let proxy: FaultProxy;
    let scpPort: number;
    before(async () => {
      // Orthanc's C-STOREs pass a relay that holds the first data set 3 s: the C-MOVE runs that long.
      scpPort = await freePort();
      proxy = await startFaultProxy({ port: scpPort, rules: [{ to: 'scp', match: (p) => p.type === 0x04, action: 'delay', ms: 3000 }] });
      await register(proxy.port);
    });
    after(async () => {
      await proxy?.stop();
      await register(port);
    });

    test('callers other than the PACS are refused with the A-ASSOCIATE-RJ of PS3.8 Table 9-21; the port is closed after the run', async () => {
      const study = INSTANCES.find((i) => i.file.includes('-s1-'))!;
      const od = out();
      const verbose: string[] = [];
      const job = startRetrieve({
        host: LOOPBACK, port: orthanc.dicomPort, calledAeTitle: orthanc.aet, model: 'study',
        identifiers: [{ '00080052': { vr: 'CS', Value: ['STUDY'] }, '0020000D': { vr: 'UI', Value: [study.studyInstanceUID] } }],
        outputDirectory: od, via: 'move', move: { port: scpPort, peerAeTitle: orthanc.aet, listenAddress: LOOPBACK },
        logger: { verbose: (m) => verbose.push(m) },
      });
      const incoming: { callingAeTitle: string; refused: string | undefined }[] = [];
      job.on('incoming', (e) => incoming.push(e));
      const rejections = new Promise<[string, ...number[][]]>((resolve, reject) => {
        job.once('unit', () => {
          const ct = [{ id: 1, abstractSyntax: study.sopClassUID, transferSyntaxes: ['1.2.840.10008.1.2.1'] }];
          const attempt = async (localAddress: string | undefined, options: Parameters<typeof pdus.associateRq>[1], contexts = ct) => {
            const raw = await rawConnect(scpPort, localAddress);
            raw.send(pdus.associateRq(contexts, options));
            const answer = await raw.next(5000);
            raw.socket.destroy();
            return [...answer.bytes.subarray(0, 1), ...answer.bytes.subarray(7, 10)];
          };
          // Bound to 127.0.0.1 (--listen-address): another address of the host gets no answer at all.
          const elsewhere = new Promise<string>((res) => {
            const socket = net.connect({ host: '127.0.0.2', port: scpPort }, () => { socket.destroy(); res('connected'); });
            socket.once('error', (e: NodeJS.ErrnoException) => res(e.code ?? e.message));
          });
          Promise.all([
            elsewhere,
            attempt(undefined, { callingAeTitle: 'INTRUDER' }),
            attempt(undefined, { callingAeTitle: orthanc.aet, calledAeTitle: 'SOMEONE' }),
            attempt('127.0.0.2', { callingAeTitle: orthanc.aet }),
            attempt(undefined, { callingAeTitle: orthanc.aet }, [{ id: 1, abstractSyntax: '1.2.840.10008.5.1.4.1.1.481.5', transferSyntaxes: ['1.2.840.10008.1.2'] }]),
          ]).then(resolve, reject);
        });
      });
      const [result, [elsewhere, ...answers]] = await Promise.all([job.result, rejections]);
      assert.equal(elsewhere, 'ECONNREFUSED', 'nothing listens on 127.0.0.2');
      // PDU type 3 (A-ASSOCIATE-RJ), result 1 (permanent), source 1 (service user), reason:
      assert.deepEqual(answers, [
        [3, 1, 1, 3], // calling AE title not recognized
        [3, 1, 1, 7], // called AE title not recognized
        [3, 1, 1, 1], // no reason given: not the PACS's host
        [3, 1, 1, 1], // no reason given: no storage class the retrieve expects
      ]);
      assert.equal(result.error, undefined, String(result.error));
      assert.equal(result.ledger.stored, INSTANCES.filter((i) => i.studyInstanceUID === study.studyInstanceUID).length);
      assert.equal(result.associations.refused, 4);
      assert.equal(incoming.filter((e) => e.refused).length, 4);
      assert.ok(incoming.some((e) => e.callingAeTitle === orthanc.aet && !e.refused), 'the PACS itself was let in');
      assert.ok(verbose.some((l) => /refused an association from 127\.0\.0\.2 .*only 127\.0\.0\.1 may connect \(--move-peer-host 127\.0\.0\.2/.test(l)), verbose.join('\n'));
      assert.ok(verbose.some((l) => /refused an association from 127\.0\.0\.1 calling "INTRUDER".*--move-peer-aet/.test(l)), verbose.join('\n'));
      // The Storage SCP does not outlive the run.
      await assert.rejects(rawConnect(scpPort), /ECONNREFUSED/);
    });
  });
});

describe('C-MOVE from dcmqrscp, dcmget in its HostTable', () => {
  let port: number;
  let normal: DcmqrscpServer;
  let noGet: DcmqrscpServer;
  before(async () => {
    port = await freePort();
    const moveDestinations = [{ aet: 'DCMGET', port }, { aet: 'ELSEWHERE', port: await deadPort() }];
    normal = await startDcmqrscp({ files: INSTANCES.map((i) => i.path), moveDestinations });
    noGet = await startDcmqrscp({ files: INSTANCES.map((i) => i.path), moveDestinations, extraArgs: ['--disable-get'] });
  });
  after(async () => {
    await normal?.stop();
    await noGet?.stop();
  });
  const peer = (s: DcmqrscpServer) => ['-aec', s.aet, LOOPBACK, String(s.port)];

  // dcmqrscp 3.6.7 proposes a fixed list of 120 storage classes on the associations it opens for
  // a C-MOVE; the Parametric Map is not among them (dcmget proposes it over C-GET).
  const pmap = { sopClassUid: '1.2.840.10008.5.1.4.1.1.30', why: 'dcmqrscp proposes no Parametric Map context on its C-MOVE sub-associations' };
  // (Over C-MOVE it counts that sub-operation failed; recovery names it, exit 4.)
  for (const study of studies()) {
    test(`study ${study.slice(-3)} over C-MOVE arrives as over C-GET (but the class dcmqrscp cannot send over C-MOVE)`, async () => {
      await sameOverMove(peer(normal), port, study, { missing: pmap.sopClassUid, why: pmap.why });
    });
  }

  test('--via auto against a dcmqrscp without C-GET (--disable-get) falls back to C-MOVE, and says so', async () => {
    const study = studies()[0]!;
    const od = out();
    const r = await runDcmget(['--json', '--port', String(port), '--study', study, ...peer(noGet), '-od', od]);
    const j = json(r);
    assert.equal(j.via, 'move', r.stderr);
    assert.match(r.stderr, /C-MOVE to "DCMGET", dcmget's Storage SCP on port \d+: the PACS did not accept the Study Root Query\/Retrieve Information Model - GET context/);
    const expected = INSTANCES.filter((i) => i.studyInstanceUID === study && (i.transferSyntaxUID === '1.2.840.10008.1.2.1' || i.transferSyntaxUID === '1.2.840.10008.1.2'));
    for (const i of expected) assert.ok(fs.existsSync(`${od}/${i.sopInstanceUID}.dcm`), `${i.file} arrived`);
  });

  test('--via auto against a dcmqrscp with C-GET uses C-GET, and never needs its port', async () => {
    // The port is taken: a run that used it would fail at once.
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen({ port }, r));
    try {
      const study = studies()[2]!;
      const get = await runDcmget(['--study', study, ...peer(normal), '-od', out()]);
      const r = await runDcmget(['--ndjson', '--port', String(port), '--study', study, ...peer(normal), '-od', out()]);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      const via = events.find((e) => e.event === 'via');
      assert.deepEqual([via?.via, via?.reason], ['get', 'the PACS accepted the Study Root Query/Retrieve Information Model - GET context'], r.stderr);
      const summary = events.at(-1);
      assert.equal(summary.via, 'get');
      assert.deepEqual([summary.associations.move, summary.associations.incoming], [0, 0]);
      assert.equal(r.code, get.code, r.stderr);
    } finally {
      taken.close();
    }
  });

  test('--via get against a dcmqrscp without C-GET: exit 8, and the hint to use C-MOVE', async () => {
    const r = await runDcmget(['--study', studies()[0]!, ...peer(noGet), '-od', out()]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /did not accept the Study Root Query\/Retrieve Information Model - GET presentation context; it may not support C-GET \(try -S or -P, or --via move\)/);
  });

  test('a destination dcmqrscp cannot reach (a wrong port in its HostTable): exit 8, naming the port and AE title', async () => {
    const r = await runDcmget(['--via', 'move', '--port', String(port), '--move', 'ELSEWHERE', '--study', studies()[0]!, ...peer(normal), '-od', out()]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, new RegExp(`never connected to dcmget's Storage SCP: its C-MOVE ended 0xA702 .* port ${port}; the PACS must know AE title "ELSEWHERE" with this host's address and port ${port}`));
  });

  test('a destination AE title dcmqrscp does not know: 0xA801, exit 6, and what to register', async () => {
    const r = await runDcmget(['--via', 'move', '--port', String(port), '--move', 'NOBODY', '--study', studies()[0]!, ...peer(normal), '-od', out()]);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /0xA801 Failure: refused, Move Destination unknown/);
    assert.match(r.stderr, /does not know "NOBODY" as a C-MOVE destination \(0xA801\): the PACS must know AE title "NOBODY" with this host's address and port \d+/);
  });

  test('a port in use is a usage error before anything is asked (exit 2), and nothing listens after', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen({ port }, r));
    try {
      const r = await runDcmget(['--via', 'move', '--port', String(port), '--study', studies()[0]!, ...peer(normal), '-od', out()]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`cannot listen on every address port ${port} for the C-MOVE's Storage SCP: the port is in use`));
    } finally {
      taken.close();
    }
  });
});

describe('C-MOVE from PixelMed, dcmget among its remote AEs', () => {
  let pixelmed: PixelmedServer;
  let port: number;
  let held: Set<string>;
  before(async () => {
    port = await freePort();
    pixelmed = await startPixelmed({ moveDestinations: [{ aet: 'DCMGET', port }, { aet: 'ELSEWHERE', port: await deadPort() }] });
    // It stores no compressed pixel syntax and no private class (pixelmed.ts).
    held = new Set((await pixelmed.load(INSTANCES.map((i) => i.path))).stored);
  });
  after(async () => { await pixelmed?.stop(); });
  const peer = () => ['-aec', pixelmed.aet, LOOPBACK, String(pixelmed.port)];

  for (const study of studies()) {
    test(`study ${study.slice(-3)} over C-MOVE arrives as over C-GET`, async () => {
      await sameOverMove(peer(), port, study, undefined, (uid) => held.has(uid));
    });
  }

  test('a destination PixelMed cannot reach: exit 8, naming the port and AE title', async () => {
    const r = await runDcmget(['--via', 'move', '--port', String(port), '--move', 'ELSEWHERE', '--study', studies()[0]!, ...peer(), '-od', out()]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, new RegExp(`never connected to dcmget's Storage SCP: .* port ${port}; the PACS must know AE title "ELSEWHERE"`));
  });
});

describe('C-MOVE usage errors: exit 2 before anything connects', () => {
  let listener: net.Server;
  let connections = 0;
  before(async () => {
    listener = net.createServer((s) => { connections++; s.destroy(); });
    await new Promise<void>((r) => listener.listen({ host: LOOPBACK, port: 0 }, r));
  });
  after(() => { listener.close(); });
  const peer = () => ['-aec', 'X', LOOPBACK, String((listener.address() as net.AddressInfo).port)];

  for (const [args, pattern] of [
    [['--via', 'move'], /--via move needs --port: the port dcmget's Storage SCP listens on/],
    [['--via', 'auto'], /--via auto needs --port/],
    [['--move', 'ME'], /the C-MOVE options need --port/],
    [['--port', '0'], /--port takes a whole number from 1 to 65535/],
    [['--via', 'sideways', '--port', '11113'], /--via.*Allowed choices are get, move, auto/],
    [['--port', '11113', '--move', 'MUCH-TOO-LONG-AE-TITLE'], /an AE title is 1 to 16 printable characters/],
    [['--via', 'move', '--port', '11113', '--model', 'without-bulk-data'], /has no C-MOVE SOP class/],
    [['--via', 'move', '--port', '11113', '--tls', '--tls-no-verify'], /--via move with --tls: dcmget's Storage SCP for C-MOVE does not speak TLS/],
    [['--port', '11113', '--tls', '--tls-no-verify'], /--via auto with --tls/],
  ] as const) {
    test(args.join(' '), async () => {
      const before = connections;
      const r = await runDcmget([...args, '--study', '1.2.3', ...peer(), '-od', out()]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(connections, before, 'nothing connected');
    });
  }

  test('--dry-run --via move shows the C-MOVE association: the MOVE class alone', async () => {
    const r = await runDcmget(['--dry-run', '--via', 'move', '--port', '11113', '-S', '--study', '1.2.3', ...peer()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Presentation contexts \(1 of 128\):\n\s+1\s+Study Root Query\/Retrieve Information Model - MOVE: /);
  });
});
