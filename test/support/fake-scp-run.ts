// Running the built dcmget CLI as a subprocess against the fake SCP, and the checks every
// fault test makes: exit code, one-line explanation without a stack trace, files intact,
// no temporary file left, nothing written outside the output folder.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readPart10 } from './dcmtk.ts';
import { after, before } from 'node:test';
import { REPO_ROOT, startFakeScp, summarizeEvents, type FakeScp, type FakeScpScript } from './fake-scp.ts';
import { makeTempDir, removeDir } from './peers.ts';

export const NODE = fs.existsSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'node'))
  ? path.join(REPO_ROOT, 'node_modules', '.bin', 'node')
  : process.execPath;
export const CLI = path.join(REPO_ROOT, 'bin', 'dcmget.js');

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith(ext)) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The bundled command line that bin/dcmget.js runs (scripts/bundle.mjs writes it last). */
export const BUNDLE = path.join(REPO_ROOT, 'dist', 'cli', 'dcmget.cjs');

/** Builds dist/ (the library with tsc, then the bundles) when it is missing or older than src/. */
export function ensureBuilt(): void {
  const built = fs.existsSync(BUNDLE) ? fs.statSync(BUNDLE).mtimeMs : 0;
  if (built >= newestMtime(path.join(REPO_ROOT, 'src'), '.ts')) return;
  try {
    execFileSync(NODE, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(REPO_ROOT, 'tsconfig.lib.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync(NODE, [path.join(REPO_ROOT, 'scripts', 'bundle.mjs'), path.join(REPO_ROOT, 'dist')], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`dist/ is older than src/ and its build failed, so the CLI under test would be stale:\n${String(e.stdout ?? '')}${String(e.stderr ?? '')}`);
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Killed by the hang guard. */
  timedOut: boolean;
}

export interface RunOptions {
  /** Hang guard: SIGKILL after this many ms (default 20 s). */
  timeoutMs?: number;
  nodeArgs?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Written to the child's standard input (which is closed otherwise). */
  input?: string;
  onSpawn?: (child: ChildProcess) => void;
  /** A command that runs node for us, e.g. ['unshare', '--pid', '--fork', '--kill-child']. */
  wrapper?: string[];
}

/** `node bin/dcmget.js ...args`, never rejects. NO_COLOR so that stderr can be matched. */
export function runDcmget(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve) => {
    const command = [...(opts.wrapper ?? []), NODE, ...(opts.nodeArgs ?? []), CLI, ...args];
    const child = spawn(command[0]!, command.slice(1), {
      cwd: opts.cwd ?? REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (opts.input !== undefined) {
      // dcmget may exit (a usage error) before reading its input: that is no error of the test's.
      child.stdin!.on('error', () => {});
      child.stdin!.end(opts.input);
    }
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }, timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started, timedOut });
    });
    opts.onSpawn?.(child);
  });
}

/** The usual arguments: study root, -aec FAKE, the given keys, -od out. */
export function getArgs(scp: FakeScp, out: string, keys: string[], extra: string[] = []): string[] {
  return ['-S', '-aec', scp.aeTitle, ...extra, ...keys.flatMap((k) => ['-k', k]), '-od', out, scp.host, String(scp.port)];
}

export function describeRun(r: RunResult, scp?: FakeScp): string {
  return `exit ${r.code}${r.signal ? ` signal ${r.signal}` : ''}${r.timedOut ? ' (KILLED BY HANG GUARD)' : ''} after ${r.ms.toFixed(0)} ms\n` +
    `--- stderr ---\n${r.stderr}--- stdout ---\n${r.stdout}${scp ? `--- fake SCP events ---\n${summarizeEvents(scp.events)}\n` : ''}`;
}

/** Every file under dir (relative paths), recursively. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

export function assertExit(r: RunResult, expected: number | number[], scp?: FakeScp): void {
  assert.equal(r.timedOut, false, `dcmget hung: ${describeRun(r, scp)}`);
  const ok = Array.isArray(expected) ? expected.includes(r.code ?? -1) : r.code === expected;
  assert.ok(ok, `expected exit ${JSON.stringify(expected)}, got ${describeRun(r, scp)}`);
}

/** A one-line explanation matching `explanation` on stderr, and no stack trace. */
export function assertExplained(r: RunResult, explanation: RegExp, scp?: FakeScp): void {
  assert.doesNotMatch(r.stderr, /^ {4}at /m, `stack trace on stderr: ${describeRun(r, scp)}`);
  assert.doesNotMatch(r.stderr, /internal error/i, `internal error: ${describeRun(r, scp)}`);
  const lines = r.stderr.split('\n');
  assert.ok(lines.some((l) => explanation.test(l)), `no stderr line matches ${explanation}: ${describeRun(r, scp)}`);
}

/** No temporary file (".<name>.part") anywhere under dir. */
export function assertNoTemporaryFiles(dir: string): void {
  const temps = listFiles(dir).filter((f) => /(^|\/)\.[^/]*\.part$/.test(f) || f.endsWith('.part'));
  assert.deepEqual(temps, [], `temporary files left in ${dir}`);
}

/**
 * What arrived is intact: each expected instance is a file whose data set hashes to the expected
 * value, whose meta names the instance; returns the files found, by SOP Instance UID.
 */
export function assertReceived(out: string, expected: { sopInstanceUid: string; datasetSha256: string; transferSyntaxUid?: string }[]): Map<string, string> {
  const byUid = new Map<string, string>();
  for (const f of listFiles(out).filter((n) => n.endsWith('.dcm'))) {
    const info = readPart10(path.join(out, f));
    byUid.set(info.sopInstanceUID, path.join(out, f));
    const want = expected.find((e) => e.sopInstanceUid === info.sopInstanceUID);
    if (want) {
      assert.equal(info.datasetSha256, want.datasetSha256, `${f}: data set differs from what was sent`);
      if (want.transferSyntaxUid) assert.equal(info.transferSyntaxUID, want.transferSyntaxUid, `${f}: transfer syntax`);
    }
  }
  for (const e of expected) assert.ok(byUid.has(e.sopInstanceUid), `${e.sopInstanceUid} not received; files: ${listFiles(out).join(', ')}`);
  return byUid;
}

/**
 * A test file's fake SCPs and case folders: the build checked and a temporary folder made before
 * its tests, every SCP stopped and the folder removed after them.
 */
export function fakeScpCases(prefix: string) {
  let work = '';
  let caseNo = 0;
  const servers: FakeScp[] = [];
  before(async () => {
    ensureBuilt();
    work = await makeTempDir(prefix);
  });
  after(async () => {
    for (const s of servers) await s.stop();
    if (work) await removeDir(work);
  });
  return {
    async start(script: FakeScpScript): Promise<FakeScp> {
      const scp = await startFakeScp(script);
      servers.push(scp);
      return scp;
    },
    /** A new, empty folder for one case. */
    folder(): string {
      const dir = path.join(work, `case-${++caseNo}`);
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    },
  };
}
