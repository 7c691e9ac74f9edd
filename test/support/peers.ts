// Shared plumbing for the real-peer harness (Orthanc, dcmqrscp): binaries,
// temp dirs, child processes with their output in a log file, readiness
// polling, and stopping by PID. Every process started here is also killed
// (SIGKILL, by PID) when the test process exits, so a crashed test does not
// leave servers behind.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Environment for every DICOM process we start: DCMTK (also inside Orthanc)
 * leaves Nagle's algorithm on unless TCP_NODELAY=1, which costs ~40 ms per
 * request/response turn on loopback (measured: getscu of 3 instances from
 * Orthanc 0.23 s without, 0.05 s with). */
export function peerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, TCP_NODELAY: '1', ...extra };
}

/** Set DCMGET_KEEP_PEER_DIRS=1 to keep server temp dirs (config, storage, logs) after stop(). */
export function keepPeerDirs(): boolean {
  const v = process.env['DCMGET_KEEP_PEER_DIRS'];
  return v !== undefined && v !== '' && v !== '0';
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Absolute path of the first executable found: each candidate as given if it
 * contains a slash, else looked up in PATH and then /usr/bin, /usr/sbin, /usr/local/bin.
 * Throws Error(missingMessage) when none exists (tests must fail, not skip). */
export function requireBinary(candidates: string[], missingMessage: string): string {
  const dirs = [...(process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const c of candidates) {
    if (c.includes('/')) {
      if (isExecutable(c)) return c;
      continue;
    }
    for (const d of dirs) {
      const p = path.join(d, c);
      if (isExecutable(p)) return p;
    }
  }
  throw new Error(missingMessage);
}

export const DCMTK_MISSING = 'DCMTK is not installed: apt-get install -y dcmtk';
export const ORTHANC_MISSING = 'Orthanc is not installed: apt-get install -y orthanc';

/** Path of a DCMTK command-line tool, or throw the "DCMTK is not installed" error. */
export function dcmtkBinary(name: string): string {
  return requireBinary([name], `${DCMTK_MISSING} (missing: ${name})`);
}

const tempDirs = new Set<string>();

/** A fresh directory under the OS temp dir, e.g. /tmp/dcmget-orthanc-XXXXXX.
 * Removed by removeDir(), or at process exit if still there (unless DCMGET_KEEP_PEER_DIRS). */
export async function makeTempDir(prefix: string): Promise<string> {
  installExitHooks();
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `dcmget-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 3 });
  tempDirs.delete(dir);
}

/** Last maxLines lines of a text file ('' if it cannot be read). */
export function tailFile(file: string, maxLines = 60): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      const lines = buf.toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      return lines.slice(-maxLines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly command: string;
  readonly logFile: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  exitInfo(): ExitInfo | undefined;
}

const live = new Set<ManagedProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const p of live) {
    if (p.exitInfo() === undefined) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
  if (!keepPeerDirs()) {
    for (const dir of tempDirs) {
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
      } catch {
        // best effort: a just-killed server may still be closing files
      }
    }
  }
  tempDirs.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllNow();
      // If nobody else handles the signal, fall back to its default action.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/** Spawn cmd with stdout+stderr appended to logFile, stdin closed, env TCP_NODELAY=1. */
export function spawnLogged(
  cmd: string,
  args: string[],
  opts: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv },
): ManagedProcess {
  installExitHooks();
  const fd = fs.openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? peerEnv(), stdio: ['ignore', fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  let info: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (error) => {
      if (info === undefined) info = { code: null, signal: null, error };
      // 'exit' may not follow a spawn error
      if (child.pid === undefined) resolve(info);
    });
    child.once('exit', (code, signal) => {
      info = { code, signal, ...(info?.error ? { error: info.error } : {}) };
      resolve(info);
    });
  });
  if (child.pid === undefined) {
    // spawn failed synchronously (ENOENT...): surface through exited
    return {
      pid: -1,
      child,
      command: `${cmd} ${args.join(' ')}`,
      logFile: opts.logFile,
      exited,
      exitInfo: () => info ?? { code: null, signal: null, error: new Error(`could not spawn ${cmd}`) },
    };
  }
  const proc: ManagedProcess = {
    pid: child.pid,
    child,
    command: `${cmd} ${args.join(' ')}`,
    logFile: opts.logFile,
    exited,
    exitInfo: () => info,
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return proc;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** proc.exited, or 'timeout' after ms (the timer is cleared either way). */
async function exitedWithin(proc: ManagedProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), ms);
  });
  try {
    return (await Promise.race([proc.exited, timeout])) !== 'timeout';
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM by PID, wait up to graceMs for exit, then SIGKILL and wait again.
 * graceMs 0 sends SIGKILL at once. */
export async function stopProcess(proc: ManagedProcess, graceMs = 10_000): Promise<void> {
  if (proc.exitInfo() !== undefined || proc.pid < 0) return;
  const signalIt = (sig: NodeJS.Signals): void => {
    try {
      process.kill(proc.pid, sig);
    } catch {
      // exited in between
    }
  };
  if (graceMs > 0) {
    signalIt('SIGTERM');
    if (await exitedWithin(proc, graceMs)) return;
  }
  signalIt('SIGKILL');
  if (!(await exitedWithin(proc, 5_000))) {
    throw new Error(`process ${proc.pid} (${proc.command}) did not exit after SIGKILL`);
  }
}

/** What every started peer offers the tests. */
export interface PeerServer {
  readonly aet: string;
  readonly host: '127.0.0.1';
  /** Its temp dir: configuration, storage, log. */
  readonly dir: string;
  readonly pid: number;
  readonly logFile: string;
  /** Milliseconds from spawn to ready. */
  readonly startupMs: number;
  /** The last lines of its log (for failing tests). */
  logTail(lines?: number): string;
  /** SIGTERM by PID, SIGKILL after graceMs (0 = at once), then remove the temp dir. Idempotent. */
  stop(opts?: { graceMs?: number }): Promise<void>;
}

/** A C-GET SCP on one DICOM port, loaded with instances. */
export interface LoadedPeer extends PeerServer {
  readonly port: number;
  /** The peer's release, e.g. '3.6.7'. */
  readonly version: string;
  /** SOP Instance UIDs it holds (sorted). */
  instances(): Promise<string[]>;
}

/** PeerServer.stop for a process and its temp dir: once, however often it is called. */
export function stopOnce(proc: ManagedProcess, dir: string, defaultGraceMs: number): PeerServer['stop'] {
  let stopped: Promise<void> | undefined;
  return (o) => {
    stopped ??= (async () => {
      await stopProcess(proc, o?.graceMs ?? defaultGraceMs);
      if (!keepPeerDirs()) await removeDir(dir);
    })();
    return stopped;
  };
}

/** A hard link (the fixtures are read-only to the peers), or a copy across file systems. */
export async function linkOrCopy(src: string, dest: string): Promise<void> {
  try {
    await fs.promises.link(src, dest);
  } catch {
    await fs.promises.copyFile(src, dest);
  }
}

export class PeerStartError extends Error {
  readonly logTail: string;
  /** The process exited during start-up (as opposed to: did not get ready in time). */
  readonly exited: boolean;
  constructor(message: string, logTail: string, exited: boolean) {
    super(logTail ? `${message}\n--- log tail ---\n${logTail}` : message);
    this.name = 'PeerStartError';
    this.logTail = logTail;
    this.exited = exited;
  }
}

/** Poll ready() every intervalMs until it returns true. Throws PeerStartError
 * (with the log tail) when proc exits first or timeoutMs passes. */
export async function waitUntilReady(
  proc: ManagedProcess,
  what: string,
  ready: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; logTail?: () => string },
): Promise<number> {
  const started = performance.now();
  const logTail = opts.logTail ?? ((): string => tailFile(proc.logFile));
  const interval = opts.intervalMs ?? 25;
  for (;;) {
    const exit = proc.exitInfo();
    if (exit !== undefined) {
      const how = exit.error ? exit.error.message : exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
      throw new PeerStartError(`${what} exited during start-up (${how}); command: ${proc.command}`, logTail(), true);
    }
    if (await ready()) return performance.now() - started;
    if (performance.now() - started > opts.timeoutMs) {
      throw new PeerStartError(`${what} not ready after ${opts.timeoutMs} ms; command: ${proc.command}`, logTail(), false);
    }
    await sleep(interval);
  }
}

/** The server's log says its port was taken. */
export function looksLikePortConflict(err: unknown): boolean {
  return err instanceof PeerStartError && err.exited && /already in use|EADDRINUSE/i.test(err.logTail);
}

/** Start-up with a few retries when the server exits because its port is in
 * use: a port from freePort() can be taken by someone else before the server
 * binds it. Other failures are thrown at once. */
export async function withStartRetries<T>(attempts: number, start: (attempt: number) => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 1; i <= attempts; i++) {
    try {
      return await start(i);
    } catch (err) {
      last = err;
      if (!looksLikePortConflict(err)) throw err;
    }
  }
  throw last;
}
