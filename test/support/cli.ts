// Runs the built CLI (bin/dcmget.js → dist/) as a user would, as a subprocess.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './fixtures.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const DCMGET = path.join(ROOT, 'bin', 'dcmget.js');

export function runDcmget(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'run.js'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DCMGET, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export function tempDir(prefix = 'dcmget-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** The counters of the last line naming them, e.g. from "0x0000 Success  (remaining –, completed 11, …)". */
export function finalCounters(stderr: string): { completed: number; failed: number; warning: number } | undefined {
  const lines = stderr.split('\n').filter((l) => /^0x[0-9A-F]{4} /.test(l));
  const m = /completed (\d+), failed (\d+), warning (\d+)/.exec(lines.at(-1) ?? '');
  return m ? { completed: Number(m[1]), failed: Number(m[2]), warning: Number(m[3]) } : undefined;
}
