// Peak memory of a large retrieve: does dcmget's memory stay flat as the instance count grows?
// The fake SCP (bench/memory-scp.ts, a process of its own) serves tiny synthetic instances; dcmget
// retrieves them over loopback, as the library (bench/memory-library.mjs: startRetrieve, a 'stored'
// listener that does nothing) and as the command line, each under /usr/bin/time (peak RSS).
// The library also runs with --expose-gc, for the live heap as the run grows (see memory-library.mjs).
// Shapes: one study of N instances (one request: its instance UIDs are held while it runs, to
// find duplicates and what is missing), and N/100 studies of 100 (a list of requests: nothing per
// instance outlives its request); and 100 instances, the fixed cost.
//
//   node bench/memory.ts [--instances 20000] [--repo DIR] [--runs 1]
//   --repo DIR   measure another checkout's dist/ and bin/ (built), e.g. an older commit
// Prints a Markdown table. Never fails on a figure; exits 1 if a retrieve is incomplete.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STUDY_ROOT = '1.2.826.0.1.3680043.10.1338.99.5';
const { values: opt } = parseArgs({ options: { instances: { type: 'string', default: '20000' }, repo: { type: 'string' }, runs: { type: 'string', default: '1' } } });
const N = Number(opt.instances);
const repo = path.resolve(opt.repo ?? ROOT);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-memory-'));

interface Scp { port: number; aeTitle: string; stop(): void }

async function startScp(studies: number, perStudy: number): Promise<Scp> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'memory-scp.ts'), String(studies), String(perStudy)], {
    stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, TCP_NODELAY: '1' },
  });
  const first = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the fake SCP exited (${code})`)));
  });
  const { port, aeTitle } = JSON.parse(first) as { port: number; aeTitle: string };
  return { port, aeTitle, stop: () => child.stdin!.end() };
}

interface Measure { stored: number; seconds: number; rssMB: number; heap: string }
interface LibraryReport { stored: number; heap: [number, number][]; heapAfterMB: number | undefined }

function timed(runner: string, args: string[], parse: (stdout: string) => Omit<Measure, 'seconds' | 'rssMB'>): Measure {
  const rssFile = path.join(work, 'rss');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${runner} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return { ...parse(r.stdout), seconds, rssMB: Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) / 1024 };
}

/** The live heap (MB, after a full GC) at the first and last sample, and once the retrieve is over. */
function library(stdout: string): Omit<Measure, 'seconds' | 'rssMB'> {
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as LibraryReport;
  const at = (s: [number, number] | undefined) => (s ? `${s[1].toFixed(2)} at ${s[0]}` : '–');
  return { stored: r.stored, heap: r.heap.length ? `${at(r.heap[0])} → ${at(r.heap.at(-1))}; ${r.heapAfterMB!.toFixed(2)} after` : '' };
}

async function shape(label: string, studies: number, perStudy: number): Promise<string[]> {
  const scp = await startScp(studies, perStudy);
  const uids = path.join(work, 'uids.txt');
  fs.writeFileSync(uids, Array.from({ length: studies }, (_, s) => `${STUDY_ROOT}.${s + 1}\n`).join(''));
  const rows: string[] = [];
  try {
    for (let run = 0; run < Number(opt.runs); run++) {
      // The heap samples (gc() every 2,000 instances) cost time and trim the peak: a run of their own.
      for (const runner of ['library', 'CLI', 'library --expose-gc'] as const) {
        const out = path.join(work, 'out');
        fs.rmSync(out, { recursive: true, force: true });
        const lib = [path.join(ROOT, 'bench', 'memory-library.mjs'), path.join(repo, 'dist', 'index.js'), '127.0.0.1', String(scp.port), scp.aeTitle, uids, out];
        const m = runner === 'CLI'
          ? timed(runner, [path.join(repo, 'bin', 'dcmget.js'), '-S', '-q', '--no-progress', '-aec', scp.aeTitle, '--uids-from', uids, '-od', out, '127.0.0.1', String(scp.port)],
            () => ({ stored: fs.readdirSync(out).length, heap: '' }))
          : timed(runner, runner === 'library' ? lib : ['--expose-gc', ...lib], library);
        if (m.stored !== studies * perStudy) throw new Error(`${runner}: ${m.stored} of ${studies * perStudy} instances stored`);
        rows.push(`| ${label} | ${runner} | ${m.stored} | ${m.seconds.toFixed(1)} | ${runner.includes('gc') ? '' : m.rssMB.toFixed(1)} | ${m.heap} |`);
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
  } finally {
    scp.stop();
  }
  return rows;
}

const rows = [
  ...await shape('100 instances, 1 study', 1, 100),
  ...await shape(`${N} instances, 1 study`, 1, N),
  ...await shape(`${N} instances, ${N / 100} studies of 100`, N / 100, 100),
];
fs.rmSync(work, { recursive: true, force: true });
const head = spawnSync('git', ['-C', repo, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).stdout.trim().slice(0, 80);
process.stdout.write(`dcmget at ${head}; Node ${process.version}; ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}; ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB\n\n`);
process.stdout.write('| shape | runner | instances | seconds | peak RSS MB | live heap MB (after a full GC) |\n|---|---|---|---|---|---|\n');
process.stdout.write(`${rows.join('\n')}\n`);
