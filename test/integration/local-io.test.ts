// Issue 6, local I/O: what dcmget does when the disk under its output folder fails it, and the
// ordering that "Nothing half-written looks finished" (ARCHITECTURE.md) promises.
//  - disk full (a small tmpfs): the sub-operation that does not fit is answered 0xA7xx (out of
//    resources), dcmget exits 9 with a one-line reason naming ENOSPC, what fit is intact, no
//    temporary or partial file remains;
//  - read-only output folder (a read-only tmpfs; as root, permissions stop nothing): exit 9, a
//    reason naming EROFS, nothing written, every C-STORE-RSP a failure;
//  - a C-STORE-RSP Success is sent only once the whole data set is in the kernel's hands: checked
//    in the fake SCP's event hook at the moment each response arrives (the whole data set is in
//    its final file or, not yet renamed, in one temporary file), and by syscall order (strace: the
//    last write of the temporary file ends before the socket write of the response begins; the
//    rename follows, and ends before the file is reported stored);
//  - --fsync: per file fsync(temporary file) → rename → fsync(folder) → C-STORE-RSP (strace), and
//    in the hook: the final file there, whole, when each Success arrives.
// Mounting needs root (CI and the dev machine are root); elsewhere those cases are skipped with
// the reason. The strace cases need strace (scripts/setup.sh installs it) and fail without it.
//
// Run: ./node_modules/.bin/node --test test/integration/local-io.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeDir, requireBinary } from '../support/peers.ts';
import { readPart10 } from '../support/dcmtk.ts';
import { REPO_ROOT, startFakeScp, summarizeEvents, type FakeEvent, type FakeScp, type FakeScpScript } from '../support/fake-scp.ts';
import {
  CLI, NODE, assertExit, assertExplained, assertNoTemporaryFiles, assertReceived, describeRun, ensureBuilt, getArgs, listFiles,
  runDcmget, type RunResult,
} from '../support/fake-scp-run.ts';
import { syntheticInstance, type SyntheticInstance } from '../support/synthetic.ts';

const ROOT = '2.25.90817263541029384756102938475610';
const STUDY = `${ROOT}.1`;
const STUDY_KEYS = ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${STUDY}`];
const MiB = 1024 * 1024;
const STRACE_MISSING = 'strace is not installed: apt-get install -y strace';

let work = '';
let caseNo = 0;
const servers: FakeScp[] = [];
/** Mount points still mounted; unmounted in after(), whatever happened. */
const mounts: string[] = [];

before(async () => {
  ensureBuilt();
  work = await makeTempDir('local-io');
});

after(async () => {
  for (const s of servers) await s.stop().catch(() => {});
  const stuck: string[] = [];
  for (const m of mounts.splice(0).reverse()) {
    if (!unmount(m)) stuck.push(m);
  }
  // rm -r would empty a tmpfs still mounted and then fail on its mount point: leave it.
  if (work && stuck.length === 0) await removeDir(work);
  assert.deepEqual(stuck, [], 'tmpfs mounts that could not be unmounted');
});

function unmount(dir: string): boolean {
  for (const args of [[dir], ['-l', dir]]) {
    try {
      execFileSync('umount', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      return true;
    } catch {
      // try the lazy unmount next
    }
  }
  return false;
}

/** Mounts a tmpfs on dir (created); returns why it could not, or undefined when mounted. */
function mountTmpfs(dir: string, options: string): string | undefined {
  const uid = process.getuid?.();
  if (uid !== 0) return `not root (uid ${uid ?? '?'}): mounting a tmpfs needs root`;
  fs.mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    return `mount -t tmpfs -o ${options} failed: ${String(e.stderr ?? '').trim() || e.message}`;
  }
  mounts.push(dir);
  return undefined;
}

function caseDir(): string {
  const dir = path.join(work, `case-${++caseNo}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

async function fake(script: FakeScpScript): Promise<FakeScp> {
  const scp = await startFakeScp(script);
  servers.push(scp);
  return scp;
}

function instances(tag: number, count: number, sizeBytes: number): SyntheticInstance[] {
  return Array.from({ length: count }, (_, n) => syntheticInstance({ sopInstanceUid: `${ROOT}.${tag}.${n + 1}`, studyInstanceUid: STUDY, sizeBytes }));
}

const shaCache = new Map<string, string>();
function sha(i: SyntheticInstance): string {
  let h = shaCache.get(i.sopInstanceUid);
  if (!h) {
    h = createHash('sha256').update(i.read(0, i.length)).digest('hex');
    shaCache.set(i.sopInstanceUid, h);
  }
  return h;
}

const expectedOf = (list: SyntheticInstance[]) => list.map((i) => ({ sopInstanceUid: i.sopInstanceUid, datasetSha256: sha(i), transferSyntaxUid: i.transferSyntaxUid }));
const hex = (s: number) => `0x${s.toString(16).toUpperCase().padStart(4, '0')}`;
const isOutOfResources = (s: number) => s >= 0xa700 && s <= 0xa7ff;

/** Fails the test, saying why, when the tmpfs could not be mounted: a case not run is not a pass. */
function mountedOrFail(why: string | undefined): void {
  if (why !== undefined) assert.fail(`cannot mount a tmpfs here (${why}); this case needs root and mount permission, as the README's test command has`);
}

/** A run whose checks continue in a later test of the same describe block. */
interface LocalFailureRun { scp: FakeScp; r: RunResult; failedUids: string[] }
let diskFull: LocalFailureRun | undefined;

/**
 * A write that failed here is not the peer's doing: dcmget must say so, not send the peer further
 * C-GETs for it nor blame a transfer syntax (what the second pass concludes of instances it
 * asked for again and did not get).
 */
function assertNotBlamedOnThePeer(run: LocalFailureRun | undefined, cause: RegExp): void {
  if (!run) assert.fail('the case it checks did not run: see the test before this one');
  const { scp, r, failedUids } = run;
  for (const uid of failedUids) {
    const blame = r.stderr.split('\n').filter((l) => l.includes(uid) && /transfer syntax|--transfer-syntax|peer could not send/i.test(l));
    assert.deepEqual(blame, [], `a local write failure of ${uid} (${cause}) is blamed on the peer or a transfer syntax: ${describeRun(r, scp)}`);
  }
  const gets = scp.eventsOf('c-get-rq').length;
  assert.equal(gets, 1, `${gets} C-GETs for a retrieve whose only failures were local (${cause}): a second pass cannot help: ${describeRun(r, scp)}`);
}

describe('disk full', () => {
  test('a tmpfs of 8 MiB, three 3 MiB instances: the third answered 0xA7xx, exit 9 naming ENOSPC, the first two intact, nothing partial', async () => {
    const dir = caseDir();
    const out = path.join(dir, 'out');
    mountedOrFail(mountTmpfs(out, 'size=8m'));
    const big = instances(2, 3, 3 * MiB);
    const scp = await fake({ instances: big });
    const r = await runDcmget(getArgs(scp, out, STUDY_KEYS), { timeoutMs: 60_000 });
    const ctx = () => describeRun(r, scp);
    diskFull = { scp, r, failedUids: [big[2]!.sopInstanceUid] };

    assertExit(r, 9, scp);
    assertExplained(r, /ENOSPC/, scp);
    const reason = r.stderr.split('\n').find((l) => l.includes(big[2]!.sopInstanceUid) && /ENOSPC/.test(l));
    assert.ok(reason, `no stderr line names the instance that did not fit together with ENOSPC: ${ctx()}`);
    assert.match(reason, /space/i, `the reason does not say the disk is out of space: ${reason}`);

    // What the fake heard back, per instance (a second pass may ask for the third again).
    const rsps = scp.eventsOf('c-store-rsp');
    const statusesOf = (uid: string) => rsps.filter((e) => e.sopInstanceUid === uid).map((e) => e.status);
    for (const i of big.slice(0, 2)) {
      assert.deepEqual(statusesOf(i.sopInstanceUid).slice(0, 1), [0], `${i.sopInstanceUid} should have been stored: ${ctx()}`);
    }
    const third = statusesOf(big[2]!.sopInstanceUid);
    assert.ok(third.length >= 1, `no C-STORE-RSP for the instance that did not fit: ${ctx()}`);
    for (const s of third) assert.ok(isOutOfResources(s), `C-STORE-RSP ${hex(s)} for the instance that did not fit; expected 0xA700-0xA7FF (out of resources): ${ctx()}`);

    // The first two are whole, byte for byte; the third left nothing behind.
    assertReceived(out, expectedOf(big.slice(0, 2)));
    for (const i of big.slice(0, 2)) {
      const info = readPart10(path.join(out, `${i.sopInstanceUid}.dcm`));
      assert.equal(info.datasetLength, i.length, `${i.sopInstanceUid}: data set length`);
    }
    assertNoTemporaryFiles(out);
    assert.deepEqual(listFiles(out), big.slice(0, 2).map((i) => `${i.sopInstanceUid}.dcm`).sort(), `partial or stray files in ${out}: ${ctx()}`);
  });

  test('the full disk is not blamed on the peer: no second pass, no transfer syntax advice', () => {
    assertNotBlamedOnThePeer(diskFull, /ENOSPC/);
  });
});

describe('read-only output folder', () => {
  test('a read-only tmpfs as -od: exit 9 naming EROFS, nothing written, and no C-GET sent at all', async () => {
    const dir = caseDir();
    const out = path.join(dir, 'out');
    mountedOrFail(mountTmpfs(out, 'ro,size=1m'));
    const list = instances(3, 3, 100_000);
    const scp = await fake({ instances: list });
    const r = await runDcmget(getArgs(scp, out, STUDY_KEYS));
    const ctx = () => describeRun(r, scp);

    assertExit(r, 9, scp);
    assertExplained(r, /EROFS|read-only file system/i, scp);
    assert.deepEqual(listFiles(out), [], `something was written to a read-only folder: ${ctx()}`);
    // dcmget probes the folder before it connects: no sub-operation is accepted only to fail.
    assert.equal(scp.eventsOf('c-get-rq').length, 0, `a C-GET was sent to a folder that cannot take a file: ${ctx()}`);
    assert.equal(scp.eventsOf('c-store-rsp').length, 0, ctx());
  });

  test('an output folder to be created inside a read-only mount: exit 9 naming EROFS, before any C-GET', async () => {
    const dir = caseDir();
    const ro = path.join(dir, 'ro');
    mountedOrFail(mountTmpfs(ro, 'ro,size=1m'));
    const out = path.join(ro, 'new', 'out');
    const scp = await fake({ instances: instances(4, 1, 10_000) });
    const r = await runDcmget(getArgs(scp, out, STUDY_KEYS));
    assertExit(r, 9, scp);
    assertExplained(r, /EROFS|read-only file system/i, scp);
    assert.deepEqual(listFiles(ro), []);
    assert.equal(scp.eventsOf('c-get-rq').length, 0, `a C-GET was sent although the output folder cannot exist: ${summarizeEvents(scp.events)}`);
  });
});

// --- strace ---

interface Syscall {
  pid: string;
  name: string;
  args: string;
  ret: string;
  /** Line of the call's start and of its end (differ for <unfinished ...> / <... resumed>). */
  start: number;
  end: number;
}

/** Parses `strace -f -o` output (one call per line, pid first). */
function parseStrace(log: string): Syscall[] {
  const calls: Syscall[] = [];
  const open = new Map<string, { name: string; args: string; start: number }>();
  log.split('\n').forEach((line, n) => {
    let m = /^(\d+)\s+(\w+)\((.*) <unfinished \.\.\.>$/.exec(line);
    if (m) {
      open.set(m[1]!, { name: m[2]!, args: m[3]!, start: n });
      return;
    }
    m = /^(\d+)\s+<\.\.\. (\w+) resumed>(.*)\)\s+= (.*)$/.exec(line);
    if (m) {
      const o = open.get(m[1]!);
      open.delete(m[1]!);
      calls.push({ pid: m[1]!, name: m[2]!, args: (o?.args ?? '') + m[3]!, ret: m[4]!, start: o?.start ?? n, end: n });
      return;
    }
    m = /^(\d+)\s+(\w+)\((.*)\)\s+= (.*)$/.exec(line);
    if (m) calls.push({ pid: m[1]!, name: m[2]!, args: m[3]!, ret: m[4]!, start: n, end: n });
  });
  return calls;
}

/** The C-string literals of an strace argument list (`-x`), decoded to bytes. */
function stringArgs(args: string): Buffer[] {
  const out: Buffer[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(args); m; m = re.exec(args)) {
    const s = m[1]!;
    const bytes: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c !== '\\') {
        bytes.push(c.charCodeAt(0) & 0xff);
        continue;
      }
      const d = s[++i]!;
      if (d === 'x') {
        bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
        i += 2;
      } else if (/[0-7]/.test(d)) {
        let oct = d;
        while (oct.length < 3 && /[0-7]/.test(s[i + 1] ?? '')) oct += s[++i];
        bytes.push(parseInt(oct, 8));
      } else {
        bytes.push({ n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8 }[d as 'n'] ?? d.charCodeAt(0));
      }
    }
    out.push(Buffer.from(bytes));
  }
  return out;
}

/** rename(old, new) / renameat(dirfd, old, dirfd, new) / renameat2(...): [old, new]. */
function renamePaths(c: Syscall): [string, string] | undefined {
  if (!c.name.startsWith('rename') || !/^0\b/.test(c.ret)) return undefined;
  const s = stringArgs(c.args).map((b) => b.toString('latin1'));
  return s.length >= 2 ? [s[0]!, s[1]!] : undefined;
}

/** The -y annotation of a call's first argument: `fsync(21</a/b>)` → /a/b. */
function fdPath(c: Syscall): string | undefined {
  return /^\d+<(.*?)>/.exec(c.args)?.[1];
}

/** (0000,0100) Command Field, UL, 2 bytes: C-STORE-RSP (0x8001), as implicit VR LE writes it. */
const STORE_RSP_FIELD = Buffer.from([0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x80]);

/** The first socket write that carries the C-STORE-RSP for uid. */
function storeRspWrite(calls: Syscall[], uid: string): Syscall | undefined {
  const u = Buffer.from(uid, 'latin1');
  return calls.find((c) => /^(write|writev|sendto|sendmsg)$/.test(c.name) && /^\d+<(socket:|TCP)/.test(c.args)
    && (() => {
      const data = Buffer.concat(stringArgs(c.args));
      return data[0] === 0x04 && data.includes(STORE_RSP_FIELD) && data.includes(u);
    })());
}

interface TraceRun { r: RunResult; calls: Syscall[]; log: string }

/** dcmget under `strace -f -y -x -e trace=<syscalls> -o <log>`. */
function runTraced(syscalls: string[], args: string[], logFile: string, timeoutMs = 60_000): Promise<TraceRun> {
  const strace = requireBinary(['strace'], STRACE_MISSING);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(strace, ['-f', '-y', '-x', '-s', '4096', '-e', `trace=${syscalls.join(',')}`, '-o', logFile, NODE, CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
      resolve({ r: { code, signal, stdout, stderr, ms: performance.now() - started, timedOut }, calls: parseStrace(log), log });
    });
  });
}

function traceExcerpt(calls: Syscall[], max = 60): string {
  const lines = calls.map((c) => `${c.pid} ${c.name}(${c.args.length > 160 ? `${c.args.slice(0, 160)}…` : c.args}) = ${c.ret}`);
  return lines.length > max ? [...lines.slice(0, max), `… ${lines.length - max} more`].join('\n') : lines.join('\n');
}

/**
 * Runs a retrieve of five 1 MiB instances from the fake SCP, slowed down, and checks in its event
 * hook, at the moment each C-STORE-RSP arrives (before the fake sends anything more), where the
 * answered instance's data set is: `strict` (--fsync) wants it under its final name, whole, and no
 * temporary file holding data; otherwise it may also still be whole in its temporary file.
 */
async function checkAtEachSuccess(extra: string[], strict: boolean): Promise<void> {
  const dir = caseDir();
  const out = path.join(dir, 'out');
  const list = instances(strict ? 5 : 9, 4, 1 * MiB);
  // Slow mode spreads the sub-operations out; small fragments make each take many PDUs.
  const scp = await fake({ instances: list, get: { subOpDelayMs: 30, maxFragment: 64 * 1024 } });
  const seen: { uid: string; status: number; problem: string | undefined }[] = [];
  // The hook runs synchronously as the fake parses each response, before it sends anything more.
  const observe = (e: FakeEvent): boolean => {
    if (e.type === 'c-store-rsp') {
      const uid = e.sopInstanceUid ?? '';
      const inst = list.find((i) => i.sopInstanceUid === uid);
      const problem = e.status !== 0 ? undefined : !inst ? `Success for an unknown instance ${uid}` : whereAtSuccess(out, inst, strict);
      seen.push({ uid, status: e.status, problem });
    }
    // dcmget's plan (a C-FIND) comes on an association of its own: wait for the one that stored.
    return e.type === 'closed' && seen.length > 0;
  };
  // Hashing inside the hook needs the expected hashes ready beforehand.
  for (const i of list) sha(i);
  const closed = scp.waitFor(observe, 60_000);
  const r = await runDcmget(getArgs(scp, out, STUDY_KEYS, extra), { timeoutMs: 60_000 });
  await closed;
  assertExit(r, 0, scp);
  assertReceived(out, expectedOf(list));
  assertNoTemporaryFiles(out);
  assert.equal(seen.length, list.length, `C-STORE-RSPs seen: ${JSON.stringify(seen)}`);
  for (const s of seen) {
    assert.equal(s.status, 0, `C-STORE-RSP for ${s.uid}: ${hex(s.status)}`);
    assert.equal(s.problem, undefined, s.problem);
  }
}

/** Why the instance's data set is not where a Success says it is, or undefined. */
function whereAtSuccess(out: string, inst: SyntheticInstance, strict: boolean): string | undefined {
  const file = path.join(out, `${inst.sopInstanceUid}.dcm`);
  // Empty temporary files made in advance for the next instances are expected; one with bytes in
  // it is this instance's, not yet renamed (dcmget renames it meanwhile: the two looks race).
  const temps = listFiles(out).filter((f) => f.endsWith('.part') && (fs.statSync(path.join(out, f), { throwIfNoEntry: false })?.size ?? 0) > 0);
  if (strict && temps.length) return `Success received while temporary files hold data: ${temps.join(', ')}`;
  if (!strict && temps.length > 1) return `Success received while ${temps.length} temporary files hold data: ${temps.join(', ')}`;
  if (!strict && temps.length === 1) {
    const problem = wholeIn(path.join(out, temps[0]!), inst);
    if (problem !== 'gone') return problem;
  }
  if (!fs.existsSync(file)) return `Success received but ${file} does not exist yet (files: ${listFiles(out).join(', ')})`;
  const problem = wholeIn(file, inst);
  return problem === 'gone' ? `Success received but ${file} vanished` : problem;
}

/** Why `file` does not hold the instance whole, or undefined; 'gone' if it is not there (any more). */
function wholeIn(file: string, inst: SyntheticInstance): string | undefined {
  if (!fs.existsSync(file)) return 'gone';
  try {
    const info = readPart10(file);
    if (info.datasetLength !== inst.length) return `Success received with ${info.datasetLength} of ${inst.length} data set bytes in ${file}`;
    if (info.datasetSha256 !== sha(inst)) return `Success received but ${file} does not hold the data set sent (yet)`;
  } catch (err) {
    if (!fs.existsSync(file)) return 'gone';
    return `Success received but ${file} is not a whole Part 10 file yet: ${(err as Error).message}`;
  }
  return undefined;
}

describe('C-STORE-RSP Success only once the data set is whole', () => {
  test('when the fake SCP receives each Success, the whole data set is in its final file or, not yet renamed, in its one temporary file', async () => {
    await checkAtEachSuccess([], false);
  });

  test('syscall order (strace): the temporary file\'s last write ends before the C-STORE-RSP; its rename follows, then the "stored" event', async () => {
    const dir = caseDir();
    const out = path.join(dir, 'out');
    const list = instances(6, 4, 300_000);
    const scp = await fake({ instances: list });
    const { r, calls, log } = await runTraced(['pwritev', 'pwritev2', 'pwrite64', 'rename', 'renameat', 'renameat2', 'link', 'linkat', 'write', 'writev', 'sendto', 'sendmsg'],
      getArgs(scp, out, STUDY_KEYS, ['--ndjson']), path.join(dir, 'strace.log'));
    assertExit(r, 0, scp);
    assert.ok(log.length > 0, `strace wrote no log: ${describeRun(r)}`);
    assertReceived(out, expectedOf(list));
    const outReal = fs.realpathSync(out);
    for (const i of list) {
      const final = path.join(outReal, `${i.sopInstanceUid}.dcm`);
      const rename = calls.find((c) => {
        const p = renamePaths(c);
        return p !== undefined && path.resolve(REPO_ROOT, p[1]) === final;
      });
      const rsp = storeRspWrite(calls, i.sopInstanceUid);
      assert.ok(rename, `no successful rename to ${final} in the trace:\n${traceExcerpt(calls.filter((c) => c.name.startsWith('rename') || c.name.startsWith('link')))}`);
      assert.ok(rsp, `no socket write carrying the C-STORE-RSP for ${i.sopInstanceUid} in the trace`);
      const temp = path.resolve(REPO_ROOT, renamePaths(rename)![0]);
      assert.match(path.basename(temp), /^\.dcmget-.*\.part$/, 'renamed from a temporary file');
      const writes = calls.filter((c) => c.name.startsWith('pwrite') && fdPath(c) === temp);
      assert.ok(writes.length > 0, `no write to ${temp} in the trace`);
      const lastWrite = writes[writes.length - 1]!;
      assert.ok(lastWrite.end < rsp.start,
        `the C-STORE-RSP for ${i.sopInstanceUid} was written (strace line ${rsp.start + 1}) before the last write of its data (line ${lastWrite.end + 1})`);
      const stored = calls.find((c) => c.name === 'write' && /^1</.test(c.args)
        && ((text) => text.includes('"event":"stored"') && text.includes(i.sopInstanceUid))(Buffer.concat(stringArgs(c.args)).toString('latin1')));
      assert.ok(stored, `no "stored" event for ${i.sopInstanceUid} written to stdout in the trace`);
      assert.ok(rename.end < stored.start,
        `${i.sopInstanceUid} was reported stored (strace line ${stored.start + 1}) before its rename completed (line ${rename.end + 1})`);
    }
  });
});

describe('a rename that fails after the Success answer', () => {
  test('the final name taken by a folder: Success went out, the instance is reported not stored, exit 9, nothing left half-done', async () => {
    const dir = caseDir();
    const out = path.join(dir, 'out');
    const list = instances(10, 3, 100_000);
    const blocked = list[1]!;
    // rename(2) of a file onto a folder that holds something fails (EISDIR): after the answer,
    // since the name itself is fine and its folder exists.
    fs.mkdirSync(path.join(out, `${blocked.sopInstanceUid}.dcm`), { recursive: true });
    fs.writeFileSync(path.join(out, `${blocked.sopInstanceUid}.dcm`, 'keep.txt'), 'a folder in the way');
    const scp = await fake({ instances: list });
    const r = await runDcmget(getArgs(scp, out, STUDY_KEYS), { timeoutMs: 60_000 });
    assertExit(r, 9, scp);
    const uid = blocked.sopInstanceUid.replaceAll('.', '\\.');
    assertExplained(r, new RegExp(`${uid}: answered Success, then the rename to .*${uid}\\.dcm failed: EISDIR`), scp);
    assertExplained(r, new RegExp(`not stored: ${uid}: answered Success`), scp);
    const answers = scp.eventsOf('c-store-rsp');
    assert.deepEqual(answers.map((e) => e.status), [0, 0, 0], `the PACS was told: ${summarizeEvents(scp.events)}`);
    assertReceived(out, expectedOf([list[0]!, list[2]!]));
    assert.deepEqual(fs.readdirSync(path.join(out, `${blocked.sopInstanceUid}.dcm`)), ['keep.txt'], 'the folder in the way is untouched');
    assertNoTemporaryFiles(out);
  });
});

describe('--fsync', () => {
  test('when the fake SCP receives each Success, the final file is there, whole, and no temporary file holds data', async () => {
    await checkAtEachSuccess(['--fsync'], true);
  });

  test('each file: fsync of the temporary file, then its rename, then an fsync of the folder, then the C-STORE-RSP', async () => {
    const dir = caseDir();
    const out = path.join(dir, 'out');
    const list = instances(7, 3, 200_000);
    const scp = await fake({ instances: list });
    const { r, calls, log } = await runTraced(['fsync', 'fdatasync', 'rename', 'renameat', 'renameat2', 'write', 'writev', 'sendto', 'sendmsg'],
      getArgs(scp, out, STUDY_KEYS, ['--fsync']), path.join(dir, 'strace.log'));
    assertExit(r, 0, scp);
    assert.ok(log.length > 0, `strace wrote no log: ${describeRun(r)}`);
    assertReceived(out, expectedOf(list));
    assertNoTemporaryFiles(out);
    const outReal = fs.realpathSync(out);
    const syncs = calls.filter((c) => c.name === 'fsync' || c.name === 'fdatasync');
    const excerpt = () => traceExcerpt(calls.filter((c) => !/^(write|writev|sendto|sendmsg)$/.test(c.name)));
    for (const i of list) {
      const final = path.join(outReal, `${i.sopInstanceUid}.dcm`);
      const rename = calls.find((c) => {
        const p = renamePaths(c);
        return p !== undefined && path.resolve(REPO_ROOT, p[1]) === final;
      });
      assert.ok(rename, `no successful rename to ${final}:\n${excerpt()}`);
      const temp = path.resolve(REPO_ROOT, renamePaths(rename)![0]);
      const fileSync = syncs.find((c) => fdPath(c) === temp && /^0\b/.test(c.ret));
      assert.ok(fileSync, `no successful fsync of ${temp} (the temporary file of ${i.sopInstanceUid}):\n${excerpt()}`);
      assert.ok(fileSync.end < rename.start, `${i.sopInstanceUid}: the fsync of the file (line ${fileSync.end + 1}) did not end before its rename (line ${rename.start + 1})`);
      const dirSync = syncs.find((c) => fdPath(c) === outReal && c.start > rename.end);
      assert.ok(dirSync, `${i.sopInstanceUid}: no fsync of the folder ${outReal} after the rename (line ${rename.end + 1}):\n${excerpt()}`);
      const rsp = storeRspWrite(calls, i.sopInstanceUid);
      assert.ok(rsp, `no socket write carrying the C-STORE-RSP for ${i.sopInstanceUid}`);
      assert.ok(dirSync.end < rsp.start, `${i.sopInstanceUid}: the C-STORE-RSP (line ${rsp.start + 1}) was written before the folder's fsync ended (line ${dirSync.end + 1})`);
    }
  });

  test('without --fsync nothing is fsynced (the flag is what turns it on)', async () => {
    const dir = caseDir();
    const out = path.join(dir, 'out');
    const list = instances(8, 2, 100_000);
    const scp = await fake({ instances: list });
    const { r, calls } = await runTraced(['fsync', 'fdatasync'], getArgs(scp, out, STUDY_KEYS), path.join(dir, 'strace.log'));
    assertExit(r, 0, scp);
    assertReceived(out, expectedOf(list));
    const outReal = fs.realpathSync(out);
    const ours = calls.filter((c) => (fdPath(c) ?? '').startsWith(outReal));
    assert.deepEqual(ours.map((c) => `${c.name}(${c.args})`), [], 'fsync calls on the output folder without --fsync');
  });
});
