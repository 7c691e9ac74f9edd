// Issue 4 against a real Orthanc: dcmget as a terminal tool, a shell-script step and a CI smoke
// test. Plain lines in a pipe, the live bar under a pseudo-terminal (util-linux `script`), colour
// rules, --json and --ndjson as documented in the README, exit codes, and cancel mid-transfer.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { INSTANCES, listFiles } from '../support/fixtures.ts';
import { DCMGET, runDcmget, tempDir } from '../support/cli.ts';
import { syntheticInstance } from '../support/synthetic.ts';
import { readPart10 } from '../support/dcmtk.ts';
import { encodeFileMetaInformation } from '../../src/dicom/part10.ts';

let orthanc: OrthancServer;
const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
const mixed = INSTANCES.filter((i) => i.file.includes('-s2-'));
const S2 = mixed[0]!.studyInstanceUID;
const BIG_STUDY = '1.2.826.0.1.3680043.10.1338.77.1';
const BIG_COUNT = 150;
const ANSI = /\x1b\[/;

before(async () => {
  orthanc = await startOrthanc({ extraConfig: { UnknownSopClassAccepted: true } });
  await orthanc.upload(INSTANCES.map((i) => i.path));
  // A study large enough to be mid-transfer when a signal comes: 150 instances of 256 KiB.
  const dir = out();
  const files: string[] = [];
  for (let n = 1; n <= BIG_COUNT; n++) {
    const inst = syntheticInstance({ sopInstanceUid: `${BIG_STUDY}.1.${n}`, studyInstanceUid: BIG_STUDY, patientId: 'BIG', frames: 4 });
    const file = path.join(dir, `${n}.dcm`);
    fs.writeFileSync(file, Buffer.concat([encodeFileMetaInformation({ mediaStorageSopClassUid: inst.sopClassUid, mediaStorageSopInstanceUid: inst.sopInstanceUid, transferSyntaxUid: inst.transferSyntaxUid }), inst.read(0, inst.length)]));
    files.push(file);
  }
  await orthanc.upload(files);
});

after(async () => {
  await orthanc?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const peer = () => ['-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort)];

/** The frames of the live line in what a terminal received: the text between cursor moves. */
function liveFrames(tty: string): string[] {
  return tty.split(/\x1b\[[0-9;?]*[A-Za-z]|\r|\n/).filter((t) => /^\d+\/(\d+|\?)  /.test(t));
}

function assertNoTemporaryFiles(dir: string): void {
  assert.deepEqual(listFiles(dir).filter((f) => path.basename(f).startsWith('.') || f.endsWith('.part')), [], 'no temporary file left');
}

describe('output for people and scripts', () => {
  test('in a pipe: a Pending line at most once a second, no colour, nothing on stdout', async () => {
    const t0 = performance.now();
    const r = await runDcmget(['--study', BIG_STUDY, ...peer(), '-od', out()], { env: { NO_COLOR: '' } });
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.doesNotMatch(r.stderr, ANSI);
    const pending = (r.stderr.match(/^Pending  remaining \d+, completed \d+, failed \d+, warning \d+$/gm) ?? []).length;
    assert.ok(pending >= 1 && pending <= 1 + Math.floor(seconds), `${pending} Pending lines in ${seconds.toFixed(1)} s for ${BIG_COUNT} responses`);
    assert.match(r.stderr, new RegExp(`^0x0000 Success  \\(remaining –, completed ${BIG_COUNT}, failed 0, warning 0\\)$`, 'm'));
    assert.match(r.stderr, new RegExp(`^${BIG_COUNT} instances, .* received in .* s .*, in /`, 'm'));
  });

  test('-v in a pipe: one Pending line per response, as getscu -v', async () => {
    const r = await runDcmget(['-v', '--study', S2, ...peer(), '-od', out()], { env: { NO_COLOR: '' } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((r.stderr.match(/^Pending  remaining \d+, completed \d+, failed \d+, warning \d+$/gm) ?? []).length, mixed.length);
  });

  test('FORCE_COLOR colours statuses in a pipe; NO_COLOR and --no-color do not', async () => {
    const forced = await runDcmget(['--study', S2, ...peer(), '-od', out()], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    assert.match(forced.stderr, ANSI);
    const none = await runDcmget(['--study', S2, ...peer(), '-od', out()], { env: { NO_COLOR: '1' } });
    assert.doesNotMatch(none.stderr, ANSI);
    const flag = await runDcmget(['--no-color', '--study', S2, ...peer(), '-od', out()], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    assert.doesNotMatch(flag.stderr, ANSI);
  });

  test('on a terminal of 80 columns: numbers first, a bar in what is left, the summary\'s units; --no-progress and -q turn it off', () => {
    const od = out();
    const cmd = (extra: string) => `stty cols 80 rows 24; ${JSON.stringify(process.execPath)} ${JSON.stringify(DCMGET)} ${extra} --study ${BIG_STUDY} ${peer().join(' ')} -od ${od}`;
    const bar = spawnSync('script', ['-qfec', cmd(''), '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' } });
    assert.equal(bar.status, 0, bar.stdout);
    const frames = liveFrames(bar.stdout);
    assert.ok(frames.length >= 2, bar.stdout);
    for (const f of frames) {
      assert.ok([...f].length <= 79, `fits 80 columns: ${f}`);
      const m = /^(\d+)\/(\d+|\?)  (\d+|\?) left  /.exec(f);
      assert.ok(m, f);
      if (m[2] !== '?') assert.equal(Number(m[1]) + Number(m[3]), Number(m[2]), `the count and "left" add up: ${f}`);
      else assert.doesNotMatch(f, /[█░]/, 'no bar before the total is known');
    }
    assert.doesNotMatch(frames[0]!, /^1\/1 /, 'no full bar on the first frame');
    const last = frames.at(-1)!;
    const lastBar = new RegExp(`^${BIG_COUNT}/${BIG_COUNT}  0 left  0 failed  ${BIG_COUNT} stored ([\\d.]+ [kMG]B)  [\\d.]+ [kMG]B/s  ETA 0:00 █+$`).exec(last);
    assert.ok(lastBar, last);
    assert.match(bar.stdout, new RegExp(`${BIG_COUNT} instances, ${lastBar[1]!.replace('.', '\\.')} received`), 'the bar and the summary in one unit system');
    assert.doesNotMatch(bar.stdout, /^Pending /m);
    const plain = spawnSync('script', ['-qfec', cmd('--no-progress'), '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' } });
    assert.match(plain.stdout, /^Pending  remaining \d+, completed \d+/m);
    assert.deepEqual(liveFrames(plain.stdout), []);
    const quiet = spawnSync('script', ['-qfec', cmd('-q'), '/dev/null'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' } });
    assert.equal(quiet.status, 0);
    assert.equal(quiet.stdout.trim(), '', 'errors only');
  });

  test('--json: one report on stdout, as the README documents it', async () => {
    const od = out();
    const r = await runDcmget(['--json', '--study', S2, ...peer(), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.schema, 1);
    assert.equal(j.exitCode, 0);
    assert.equal(j.status, 0);
    assert.equal(j.statusHex, '0x0000');
    assert.equal(j.category, 'success');
    assert.deepEqual(j.peer, { host: '127.0.0.1', port: orthanc.dicomPort, calledAeTitle: orthanc.aet, callingAeTitle: 'DCMGET' });
    assert.equal(j.model, 'study');
    assert.deepEqual(j.counters, { remaining: null, completed: 11, failed: 0, warning: 0 });
    assert.equal(j.ledger.stored, 11);
    assert.equal(j.ledger.received, 11);
    assert.equal(j.files.length, 11);
    for (const f of j.files) {
      assert.equal(fs.statSync(f.path).size, f.size);
      const info = readPart10(f.path);
      assert.equal(info.sopInstanceUID, f.sopInstanceUid);
      assert.equal(info.mediaStorageSOPClassUID, f.sopClassUid);
      assert.equal(info.transferSyntaxUID, f.transferSyntaxUid);
      assert.equal(f.status, 'stored');
    }
    assert.ok(j.contexts.length > 1 && j.contexts.every((c: { id: number }) => c.id % 2 === 1));
    assert.deepEqual(j.failedSopInstanceUids, []);
    assert.equal(j.error, null);
    assert.ok(typeof j.timings.elapsedMs === 'number' && !Number.isNaN(Date.parse(j.timings.startedAt)));
  });

  test('--ndjson: one line per event as it happens, then the summary', async () => {
    const r = await runDcmget(['--ndjson', '--study', S2, ...peer(), '-od', out()]);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const kinds = events.map((e) => e.event);
    assert.deepEqual(kinds.slice(0, 3), ['inventory', 'associated', 'unit']);
    assert.deepEqual(kinds.slice(-4), ['final', 'request', 'released', 'summary']);
    assert.equal(kinds.filter((k) => k === 'stored').length, 11);
    assert.equal(kinds.filter((k) => k === 'pending').length, 11);
    for (const e of events) assert.ok(e.event === 'summary' || !Number.isNaN(Date.parse(e.time)), `event ${e.event} has a time`);
    const stored = events.find((e) => e.event === 'stored');
    assert.ok(stored.path && stored.sopInstanceUid && stored.transferSyntaxUid && stored.size > 0);
    assert.equal(events.at(-1).exitCode, 0);
    // t: ms since the retrieve started, finer than `time`, in the order the events happened.
    const ts = events.filter((e) => e.event !== 'summary').map((e) => e.t);
    assert.ok(ts.every((t) => typeof t === 'number' && t >= 0), `every event has t: ${ts.join(' ')}`);
    assert.deepEqual(ts, [...ts].sort((a, b) => a - b), 't never goes back');
    assert.ok(ts.some((t) => !Number.isInteger(t)), 'finer than a millisecond');
    // stored: on which association (the number of an `associated` event).
    const associations = events.filter((e) => e.event === 'associated').map((e) => e.association);
    for (const e of events.filter((x) => x.event === 'stored')) assert.ok(associations.includes(e.association), `stored on association ${e.association}`);
    // Timings of our own: the negotiation, and each instance from its C-STORE-RQ to our answer,
    // which cannot exceed the time between the association's start and the event.
    const associated = events.filter((e) => e.event === 'associated');
    assert.ok(associated.every((e) => typeof e.negotiationMs === 'number' && e.negotiationMs > 0 && e.negotiationMs <= e.t), `negotiationMs ${associated.map((e) => e.negotiationMs).join(' ')}`);
    const storedEvents = events.filter((e) => e.event === 'stored');
    const firstAssociated = Math.min(...associated.map((e) => e.t));
    assert.ok(storedEvents.every((e) => typeof e.storingMs === 'number' && e.storingMs > 0 && e.storingMs <= e.t - firstAssociated), `storingMs ${storedEvents.map((e) => e.storingMs).join(' ')}`);
    assert.ok(storedEvents.some((e) => !Number.isInteger(e.storingMs)), 'storingMs to 0.01 ms');
  });
});

describe('exit codes a script can branch on', () => {
  for (const [name, args, pattern] of [
    ['an unknown option', ['--bogus', 'localhost', '104'], /unknown option '--bogus'/],
    ['a bad port', ['localhost', '70000', '--study', '1.2.3'], /port must be a whole number from 1 to 65535/],
    ['a too-long AE title', ['-aet', 'ABCDEFGHIJKLMNOPQ', 'localhost', '104', '--study', '1.2.3'], /AE title is 1 to 16/],
    ['an unknown keyword', ['localhost', '104', '-k', 'StudyInstanceUi=1'], /did you mean StudyInstanceUID/],
    ['no query at all', ['localhost', '104'], /nothing to retrieve/],
    ['a level the model does not have', ['-S', 'localhost', '104', '-k', 'QueryRetrieveLevel=PATIENT', '-k', 'PatientID=1'], /not a level of the Study Root/],
    ['a malformed UID shortcut', ['localhost', '104', '--study', '1.2.x'], /is not a UID/],
  ] as const) {
    test(`2 for ${name}: one line, no stack trace`, async () => {
      const r = await runDcmget([...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /^\s+at /m);
    });
  }

  test('5 when the PACS does not hold the study: Orthanc answers 0xC000, the plan\'s C-FIND found nothing; "exitCode": 5 in --json', async () => {
    const r = await runDcmget(['--json', '--study', '1.2.826.0.1.3680043.10.1338.404', ...peer(), '-od', out()]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /nothing matched/);
    const j = JSON.parse(r.stdout);
    assert.equal(j.exitCode, 5);
    assert.equal(j.statusHex, '0xC000', 'the same code as dcmqrscp\'s Success with no sub-operation (retrieve-dcmqrscp.test.ts)');
    // Without the plan nothing tells "not held" from a refusal: 6, as the table says.
    const unplanned = await runDcmget(['--no-plan', '--study', '1.2.826.0.1.3680043.10.1338.404', ...peer(), '-od', out()]);
    assert.equal(unplanned.code, 6, unplanned.stderr);
  });

  test('4 when --expect-count is not met; 0 when it is', async () => {
    const wrong = await runDcmget(['--study', S2, '--expect-count', '12', ...peer(), '-od', out()]);
    assert.equal(wrong.code, 4, wrong.stderr);
    assert.match(wrong.stderr, /expected exactly 12 instances \(--expect-count\), received 11/);
    const right = await runDcmget(['--study', S2, '--expect-count', '11', '--expect-min', '5', ...peer(), '-od', out()]);
    assert.equal(right.code, 0, right.stderr);
  });

  test('8 when nothing listens on the port', async () => {
    const r = await runDcmget(['--study', S2, '-aec', 'X', '127.0.0.1', '1', '-od', out()]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /connection refused by 127\.0\.0\.1:1/);
  });

  test('9 when the output folder cannot be made (a file in its path)', async () => {
    const d = out();
    fs.writeFileSync(path.join(d, 'file'), 'x');
    const r = await runDcmget(['--study', S2, ...peer(), '-od', path.join(d, 'file', 'sub')]);
    assert.equal(r.code, 9, r.stderr);
    assert.match(r.stderr, /ENOTDIR|not a directory/i);
  });

  test('--version and --help exit 0; help is grouped like getscu\'s and lists the exit codes', async () => {
    const v = await runDcmget(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout.trim(), JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8')).version);
    // Nothing else: the V8 flags bin/dcmget.js sets are all known to this V8 (it would print
    // "unrecognized flag" to stderr at every start otherwise).
    assert.equal(v.stderr, '');
    const h = await runDcmget(['--help']);
    assert.equal(h.code, 0);
    for (const group of ['Network:', 'Query:', 'Storage:', 'Output:', 'Display and logging:', 'Exit codes:']) assert.ok(h.stdout.includes(group), group);
  });
});

describe('closed or failing output streams (issue 15, item 1)', () => {
  /** Runs a shell pipeline around dcmget; `dcmget` in it is the command; returns dcmget's exit code. */
  function pipeline(script: string, od: string): { dcmget: number; stderr: string; stdout: string } {
    const errFile = path.join(od, '..', `${path.basename(od)}.stderr`);
    const dcmget = `${JSON.stringify(process.execPath)} ${JSON.stringify(DCMGET)}`;
    const r = spawnSync('bash', ['-c', `${script.replace('dcmget', dcmget)}; echo "dcmget=\${PIPESTATUS[0]}" >&3`], {
      encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ERRFILE: errFile }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    const fd3 = (r.output[3] ?? '').toString();
    const code = Number(/dcmget=(\d+)/.exec(fd3)?.[1]);
    const stderr = fs.existsSync(errFile) ? fs.readFileSync(errFile, 'utf8') : r.stderr;
    fs.rmSync(errFile, { force: true });
    return { dcmget: code, stderr, stdout: r.stdout };
  }

  test('--ndjson | head -1: the reader went away, so C-CANCEL and release; exit 7, never 0; no stack trace', () => {
    const od = out();
    const r = pipeline(`dcmget --ndjson --study ${BIG_STUDY} ${peer().join(' ')} -od ${od} 2>"$ERRFILE" | head -1`, od);
    assert.equal(r.dcmget, 7, r.stderr);
    assert.match(r.stderr, /stdout was closed by its reader: --ndjson has nowhere to go; cancelling \(C-CANCEL\)/);
    assert.match(r.stderr, /0xFE00 Cancel/, 'the SCP answered the C-CANCEL: the association ended in order');
    assert.doesNotMatch(r.stderr, /^\s+at |internal error/m);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.equal(JSON.parse(r.stdout).event, 'inventory');
    const files = listFiles(od);
    assert.ok(files.length < BIG_COUNT, `${files.length} files`);
    assertNoTemporaryFiles(od);
  });

  test('2>&1 >/dev/null | head -1: stderr closed, the retrieve goes on; every instance, exit 0', () => {
    const od = out();
    const r = pipeline(`dcmget -v --study ${BIG_STUDY} ${peer().join(' ')} -od ${od} 2>&1 >/dev/null | head -1`, od);
    assert.equal(r.dcmget, 0, r.stdout);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    assert.equal(listFiles(od).length, BIG_COUNT);
    assertNoTemporaryFiles(od);
  });

  test('--ndjson >/dev/full: stdout fails, the retrieve is cancelled; exit 9 (local I/O), one line, no stack trace', () => {
    const od = out();
    const r = pipeline(`dcmget --ndjson --study ${BIG_STUDY} ${peer().join(' ')} -od ${od} 2>"$ERRFILE" >/dev/full`, od);
    assert.equal(r.dcmget, 9, r.stderr);
    assert.match(r.stderr, /stdout failed \(ENOSPC\)/);
    assert.doesNotMatch(r.stderr, /^\s+at |internal error/m);
    assert.ok(listFiles(od).length < BIG_COUNT);
    assertNoTemporaryFiles(od);
  });

  test('--json | head -c 1 after a complete retrieve: the report was cut, what arrived decides: exit 0', () => {
    const od = out();
    const r = pipeline(`dcmget --json --study ${S2} ${peer().join(' ')} -od ${od} 2>"$ERRFILE" | head -c 1`, od);
    assert.equal(r.dcmget, 0, r.stderr);
    assert.equal(listFiles(od).length, mixed.length);
    assert.doesNotMatch(r.stderr, /^\s+at |internal error/m);
  });
});

describe('cancel against real Orthanc', () => {
  test('SIGINT mid-transfer: C-CANCEL, exit 7, completed files intact, nothing half-written', async () => {
    const od = out();
    const child = spawn(process.execPath, [DCMGET, '--ndjson', '--study', BIG_STUDY, ...peer(), '-od', od], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!signalled && (stdout.match(/"event":"stored"/g) ?? []).length >= 3) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.ok(signalled, 'the signal came mid-transfer');
    assert.equal(code, 7, stderr);
    assert.match(stderr, /cancelling \(C-CANCEL\)/);
    assert.match(stderr, /0xFE00 Cancel/);
    const files = listFiles(od);
    assert.ok(files.length >= 3 && files.length < BIG_COUNT, `${files.length} files`);
    assertNoTemporaryFiles(od);
    const stored = stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'stored');
    assert.equal(stored.length, files.length);
    for (const f of files) {
      const info = readPart10(f);
      assert.equal(info.datasetLength, syntheticInstance({ sopInstanceUid: info.sopInstanceUID, studyInstanceUid: BIG_STUDY, patientId: 'BIG', frames: 4 }).length, 'complete');
    }
  });
});
