// Runs the built CLI (bin/dcmget.js → dist/) as a user would, as a subprocess.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './fixtures.ts';
import { BUNDLE, runDcmget as run } from './fake-scp-run.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export const DCMGET = path.join(ROOT, 'bin', 'dcmget.js');

/** The CLI as a subprocess: the runner of fake-scp-run.ts, with a longer hang guard by default. */
export async function runDcmget(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  if (!fs.existsSync(BUNDLE)) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  }
  const r = await run(args, { timeoutMs: options.timeoutMs ?? 60_000, env: options.env as Record<string, string> | undefined, input: options.input ?? '' });
  return { code: r.code, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
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
