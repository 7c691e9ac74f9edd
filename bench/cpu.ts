// CPU per instance: what each tool spends on one more instance, apart from its start-up. Each
// round retrieves one series (a tenth of workload A) and the whole study, with dcmget and
// getscu +B, in a shuffled order; the per-instance figure is the slope between the two sizes
// (user and system CPU: the rusage, through perf stat), so start-up and association cancel out. CPU time, not
// wall time: it is far steadier on a shared machine, and it is what the server waits for
// between an instance's last byte and its C-STORE-RSP.
//
// With --perf, more runs of each size of each tool under `perf record` (cpu-clock, all threads,
// node --perf-basic-prof for the JIT's symbols): the samples per symbol, whole study less one
// series, over the instances between them, give each function's microseconds per instance, and
// the same by thread and by kind of code (ours, Node's JavaScript, V8's builtins, C++, kernel).
//
// With --cpu-prof, the same difference from V8's own sampling profiler (main thread only, but
// with call stacks): each function's self and inclusive microseconds per instance, so that the
// cost of, say, answering a C-STORE-RQ is one figure however many builtins it calls.
//
// With --callgrind, each tool at each size once more under valgrind's callgrind (all threads): the
// instructions per instance, the same slope. Instructions do not drift with the machine's load as
// time does, so a change of a few microseconds shows; ~1 min per run of the study.
//
// --variant LABEL="ARGS" adds a tool run as `node ARGS <dcmget's arguments>`: a prototype built
// outside src/ (e.g. "/tmp/proto/bin/dcmget.js") or Node flags ("--max-opt=2 bench/.dist/bin/dcmget.js"),
// measured in the same shuffled rounds.
//
//   node bench/cpu.ts [--server dcmqrscp|orthanc] [--rounds 5] [--quick] [--perf] [--cpu-prof] [--callgrind [--keep-callgrind DIR]] [--perf-runs 3] [--dcmget PATH] [--variant L=ARGS]
//     (dcmget: default bench/.dist/bin/dcmget.js, as built by npm run bench)

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startOrthanc } from '../test/support/orthanc.ts';
import { startDcmqrscp } from '../test/support/dcmqrscp.ts';
import { generateWorkload, workloadSpec } from './workloads.ts';
import { loopAvailable, outputDir, releaseAll } from './output-fs.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    server: { type: 'string', default: 'dcmqrscp' },
    rounds: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    perf: { type: 'boolean', default: false },
    dcmget: { type: 'string', default: path.join(ROOT, 'bench', '.dist', 'bin', 'dcmget.js') },
    'dcmget-args': { type: 'string', default: '' },
    'perf-runs': { type: 'string', default: '3' },
    'cpu-prof': { type: 'boolean', default: false },
    callgrind: { type: 'boolean', default: false },
    'keep-callgrind': { type: 'string' },
    variant: { type: 'string', multiple: true },
  },
});
const rounds = Number(opt.rounds);
const dcmget = path.resolve(opt.dcmget!);
if (!fs.existsSync(dcmget)) throw new Error(`${dcmget} missing: run npm run bench once, or pass --dcmget bin/dcmget.js`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-cpu-'));
process.once('exit', () => {
  releaseAll();
  fs.rmSync(work, { recursive: true, force: true });
});
const kind = loopAvailable().ok ? 'loop' : 'folder';

const w = generateWorkload(workloadSpec('A', opt.quick ?? false), path.join(work, 'workloads'));
const seriesUid = w.files[0]!.seriesInstanceUid;
const perSeries = w.files.filter((f) => f.seriesInstanceUid === seriesUid).length;
const peer = opt.server === 'orthanc'
  ? await startOrthanc({ alwaysAllowGet: true, logFlags: [], extraConfig: { MaximumPduLength: 131072 } }).then((o) => ({ aet: o.aet, port: o.dicomPort, load: (f: string[]) => o.upload(f), stop: () => o.stop() }))
  : await startDcmqrscp({ maxPdu: 131072, logFlags: [] }).then((q) => ({ aet: q.aet, port: q.port, load: (f: string[]) => q.load(f), stop: () => q.stop() }));

interface Cpu { userS: number; sysS: number; wallMs: number }

/** Each tool: the command up to its retrieve arguments (node and its arguments for a dcmget). */
const tools = new Map<string, string[]>([['dcmget', [dcmget]], ['getscu', []]]);
for (const v of opt.variant ?? []) {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new Error(`--variant wants LABEL=ARGS, got ${v}`);
  // the runs' cwd is the work dir: a script's path is made absolute here
  tools.set(v.slice(0, eq), v.slice(eq + 1).split(/\s+/).filter(Boolean).map((a) => (a.endsWith('.js') || a.endsWith('.mjs') ? path.resolve(a) : a)));
}

/** prefix: a wrapper (perf record ... --); with `whole`, prefix is the whole command up to dcmget's arguments. */
function run(tool: string, size: 'series' | 'study', prefix: string[] = [], whole = false): Promise<Cpu> {
  const out = outputDir(kind, work, `${tool}-${size}-${Date.now()}`, size === 'study' ? w.totalBytes : w.totalBytes / 10);
  const keys = size === 'study'
    ? ['-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${w.studyInstanceUid}`]
    : ['-S', '-k', 'QueryRetrieveLevel=SERIES', '-k', `StudyInstanceUID=${w.studyInstanceUid}`, '-k', `SeriesInstanceUID=${seriesUid}`];
  const cmd = tool !== 'getscu'
    ? [...(whole ? prefix : [...prefix, process.execPath, ...(prefix.length ? ['--perf-basic-prof'] : []), ...tools.get(tool)!]), '-q', ...opt['dcmget-args']!.split(/\s+/).filter(Boolean), '-aet', 'DCMGET']
    : [...prefix, 'getscu', '+B', '-pdu', '131072', '-aet', 'GETSCU'];
  if (tool === 'getscu') fs.mkdirSync(out.dir, { recursive: true });
  const timeFile = path.join(work, 'time');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    // perf stat's user_time and system_time: the process's rusage in microseconds (GNU time prints 10 ms).
    const child = spawn('perf', ['stat', '-x,', '-o', timeFile, '-e', 'user_time,system_time', '--', ...cmd, '-aec', peer.aet, ...keys, '-od', out.dir, '127.0.0.1', String(peer.port)], { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TCP_NODELAY: '1' } }); // node --perf-basic-prof leaves isolate-*.log files in its cwd
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d; });
    child.once('exit', (code) => {
      const wallMs = performance.now() - started;
      const files = fs.readdirSync(out.dir, { recursive: true }).length;
      out.release();
      const stat = fs.readFileSync(timeFile, 'utf8');
      const ns = (event: string): number => Number(new RegExp(`^(\\d+),ns,${event},`, 'm').exec(stat)?.[1] ?? NaN);
      const userS = ns('user_time') / 1e9;
      const sysS = ns('system_time') / 1e9;
      const expected = size === 'study' ? w.instances : perSeries;
      if (code !== 0 || files < expected) reject(new Error(`${tool} ${size}: exit ${code}, ${files} files (expected ${expected}): ${err.slice(-500)}`));
      else resolve({ userS, sysS, wallMs });
    });
  });
}

const HZ = 4999;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  await peer.load(w.files.map((f) => f.file));
  console.log(`${opt.server}: workload A ${w.label}; one series = ${perSeries} instances; ${rounds} rounds, shuffled; CPU from perf stat (rusage)`);
  const got: Record<string, Cpu[]> = {};
  const jobs = [...tools.keys()].flatMap((t) => (['series', 'study'] as const).map((s) => [t, s] as const));
  for (let r = -1; r < rounds; r++) {
    const order = [...jobs].sort(() => Math.random() - 0.5);
    for (const [t, s] of order) {
      const c = await run(t, s);
      if (r >= 0) (got[`${t} ${s}`] ??= []).push(c);
    }
  }
  const extra = w.instances - perSeries;
  const perInstance = new Map<string, number>();
  for (const t of rounds > 0 ? tools.keys() : []) {
    const study = got[`${t} study`]!;
    const series = got[`${t} series`]!;
    const slope = (k: 'userS' | 'sysS'): number => ((median(study.map((c) => c[k])) - median(series.map((c) => c[k]))) / extra) * 1e6;
    // the spread: slopes of each round's pair
    const pairs = study.map((c, i) => ((c.userS - series[i]!.userS) / extra) * 1e6).sort((a, b) => a - b);
    perInstance.set(t, slope('userS'));
    console.log(`  ${t.padEnd(7)} user ${median(series.map((c) => c.userS)).toFixed(2)} s (series) ${median(study.map((c) => c.userS)).toFixed(2)} s (study); per instance: user ${slope('userS').toFixed(0)} us (rounds ${pairs[0]!.toFixed(0)}-${pairs.at(-1)!.toFixed(0)}), system ${slope('sysS').toFixed(0)} us; wall ${(median(study.map((c) => c.wallMs)) / 1000).toFixed(2)} s (study)`);
  }

  if (perInstance.size > 2) {
    const base = perInstance.get('dcmget')!;
    for (const [t, us] of perInstance) if (t !== 'dcmget' && t !== 'getscu') console.log(`  ${t}: ${(us - base).toFixed(0)} us of user CPU per instance against dcmget`);
  }
  if (opt.perf) await perfPerInstance(extra);
  if (opt['cpu-prof']) await cpuProfPerInstance(extra);
  if (opt.callgrind) await callgrindPerInstance(extra);
} finally {
  await peer.stop();
}

// ---- perf ---------------------------------------------------------------------


/** One sample's place: thread, kind of code, function (JIT tiers merged: *, +, ^, ~ are one function). */
function classify(comm: string, sym: string, dso: string): { thread: string; kind: string; fn: string } {
  const fn = sym.replace(/^JS:[*+^~']*/, 'JS:').replace(/ (?:file:\/\/)?\S*\/((?:dcmget|chunk-\w+|main-\w+)\.[cm]js:\d+):\d+$/, ' $1').replace(/ (node:\S+?):\d+:\d+$/, ' $1') || `[${path.basename(dso)}]`;
  let kind: string;
  if (dso.includes('kernel')) kind = 'kernel';
  else if (/\/dist\/cli\/|dcmget\.mjs/.test(sym)) kind = 'dcmget JavaScript';
  else if (sym.startsWith('JS:')) kind = 'Node\'s JavaScript (node:*)';
  else if (sym.startsWith('Builtins_') || sym.startsWith('Bytecodes')) kind = 'V8 builtins and interpreter';
  else if (/libc\.so|ld-linux/.test(dso)) kind = 'libc';
  else if (/\/node$/.test(dso)) kind = /^(node::|uv_|uv__)/.test(sym) ? 'Node and libuv C++' : 'V8 C++ (compiler, GC, runtime)';
  else if (/libdcm|libof|liboflog|libi2d|libdcmdata|libdcmnet/.test(dso)) kind = 'DCMTK';
  else if (/libstdc\+\+/.test(dso)) kind = 'libstdc++';
  else kind = dso ? path.basename(dso) : 'unknown';
  return { thread: comm.replace(/[0-9]+$/, ''), kind, fn };
}

type Tally = Map<string, number>;

function tally(data: string, into: { fn: Tally; kind: Tally; thread: Tally }): void {
  const text = execFileSync('perf', ['script', '-i', data, '-F', 'comm,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 1024 * 2 ** 20, stdio: ['ignore', 'pipe', 'ignore'] });
  for (const line of text.split('\n')) {
    const m = /^\s*(.+?)\s+[0-9a-f]+\s+(.*)\s+\(([^()]*)\)\s*$/.exec(line);
    if (!m) continue;
    const c = classify(m[1]!, m[2]!, m[3]!);
    for (const [t, k] of [[into.fn, `${c.kind === 'kernel' ? '[k] ' : ''}${c.fn}`], [into.kind, c.kind], [into.thread, c.thread]] as const) t.set(k, (t.get(k) ?? 0) + 1);
  }
}

async function perfPerInstance(extra: number): Promise<void> {
  const perfRuns = Number(opt['perf-runs']);
  for (const tool of tools.keys()) {
    const bySize: Record<string, { fn: Tally; kind: Tally; thread: Tally }> = {};
    for (const size of ['series', 'study'] as const) {
      const t = (bySize[size] = { fn: new Map(), kind: new Map(), thread: new Map() });
      for (let i = 0; i < perfRuns; i++) {
        const data = path.join(work, `perf-${tool}-${size}-${i}.data`);
        await run(tool, size, ['perf', 'record', '-q', '-F', String(HZ), '-e', 'cpu-clock', '-o', data, '--']);
        tally(data, t);
        fs.rmSync(data);
      }
    }
    // microseconds per instance: (study samples - series samples) / runs / Hz / instances between
    const per = (k: keyof (typeof bySize)['study']): [string, number][] => [...new Set([...bySize['study']![k].keys(), ...bySize['series']![k].keys()])]
      .map((key) => [key, (((bySize['study']![k].get(key) ?? 0) - (bySize['series']![k].get(key) ?? 0)) / perfRuns / HZ / extra) * 1e6] as [string, number])
      .sort((a, b) => b[1] - a[1]);
    const total = per('kind').reduce((s, [, us]) => s + us, 0);
    const fmt = (rows: [string, number][], n: number): string => rows.slice(0, n).map(([k, us]) => `    ${us.toFixed(1).padStart(7)}  ${k}`).join('\n');
    console.log(`\n  perf: ${tool}, microseconds of CPU per instance (study less series, ${perfRuns} runs each, cpu-clock ${HZ} Hz, all threads): ${total.toFixed(0)} us in all`);
    console.log(`   by thread:\n${fmt(per('thread'), 6)}`);
    console.log(`   by kind of code:\n${fmt(per('kind'), 12)}`);
    console.log(`   by function, user space:\n${fmt(per('fn').filter(([k]) => !k.startsWith('[k]')), 45)}`);
    console.log(`   by function, kernel:\n${fmt(per('fn').filter(([k]) => k.startsWith('[k]')), 15)}`);
  }
}

// ---- V8's profiler ------------------------------------------------------------

interface ProfNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }

/**
 * Self and inclusive microseconds by function (a recursive function counted once a sample), and
 * inclusive again without the samples that fell in a native call (a system call: the profiler
 * counts wall time, and on loopback a write that wakes the server may sit there while the server
 * runs) or in idle/GC/program: what is left is the main thread's time in JavaScript.
 */
function profileTotals(file: string, self: Tally, incl: Tally, inJs: Tally): void {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as { nodes: ProfNode[]; samples: number[]; timeDeltas: number[] };
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const name = (n: ProfNode): string => {
    const f = n.callFrame;
    const where = f.url.replace(/^.*\/(dcmget\.mjs)$/, '$1').replace(/^file:\/\/.*\//, '');
    return `${f.functionName || '(anonymous)'}${where ? ` ${where}:${f.lineNumber + 1}` : ''}`;
  };
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i + 1] ?? 0;
    let id: number | undefined = prof.samples[i]!;
    const leaf = byId.get(id)!;
    self.set(name(leaf), (self.get(name(leaf)) ?? 0) + dt);
    const native = leaf.callFrame.url === '' || leaf.callFrame.functionName.startsWith('(');
    const seen = new Set<string>();
    for (; id !== undefined; id = parent.get(id)) {
      const k = name(byId.get(id)!);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
      if (!native) inJs.set(k, (inJs.get(k) ?? 0) + dt);
    }
  }
}

async function cpuProfPerInstance(extra: number): Promise<void> {
  const perfRuns = Number(opt['perf-runs']);
  const got: Record<string, { self: Tally; incl: Tally; inJs: Tally }> = {};
  for (const size of ['series', 'study'] as const) {
    const t = (got[size] = { self: new Map(), incl: new Map(), inJs: new Map() });
    for (let i = 0; i < perfRuns; i++) {
      const dir = path.join(work, `prof-${size}-${i}`);
      fs.mkdirSync(dir);
      await run('dcmget', size, [process.execPath, '--cpu-prof', '--cpu-prof-interval', '100', `--cpu-prof-dir=${dir}`, dcmget], true);
      for (const f of fs.readdirSync(dir)) profileTotals(path.join(dir, f), t.self, t.incl, t.inJs);
    }
  }
  const per = (k: 'self' | 'incl' | 'inJs'): [string, number][] => [...new Set([...got['study']![k].keys(), ...got['series']![k].keys()])]
    .map((key) => [key, ((got['study']![k].get(key) ?? 0) - (got['series']![k].get(key) ?? 0)) / perfRuns / extra] as [string, number])
    .sort((a, b) => b[1] - a[1]);
  const fmt = (rows: [string, number][], n: number): string => rows.slice(0, n).map(([k, us]) => `    ${us.toFixed(1).padStart(7)}  ${k}`).join('\n');
  console.log(`\n  node --cpu-prof (main thread, 100 us interval): microseconds per instance, study less series, ${perfRuns} runs each`);
  console.log(`   self:\n${fmt(per('self'), 40)}`);
  console.log(`   inclusive:\n${fmt(per('incl'), 50)}`);
  console.log(`   inclusive, JavaScript only (samples in native calls, idle, GC left out):\n${fmt(per('inJs'), 60)}`);
}

// ---- callgrind ----------------------------------------------------------------

/** Instructions of a run: all threads, and the main thread alone (callgrind --separate-threads=yes, one file each). */
async function instructions(tool: string, size: 'series' | 'study'): Promise<{ all: number; main: number }> {
  const file = path.join(work, `callgrind-${tool}-${size}.out`);
  const vg = ['valgrind', '--tool=callgrind', '--smc-check=all', '--separate-threads=yes', `--callgrind-out-file=${file}`, '--'];
  await run(tool, size, tool === 'getscu' ? vg : [...vg, process.execPath, ...tools.get(tool)!], true);
  let all = 0;
  let main = NaN;
  for (const f of fs.readdirSync(work).filter((n) => n.startsWith(`${path.basename(file)}-`))) {
    const text = fs.readFileSync(path.join(work, f), 'utf8');
    // --keep-callgrind DIR: the output files kept, for callgrind_annotate (the last run of each wins)
    if (opt['keep-callgrind']) fs.copyFileSync(path.join(work, f), path.join(path.resolve(opt['keep-callgrind']), f));
    fs.rmSync(path.join(work, f));
    const m = /^(?:summary|totals): (\d+)/m.exec(text);
    if (!m) throw new Error(`callgrind: no summary in ${f}`);
    all += Number(m[1]);
    if (f.endsWith('-01')) main = Number(m[1]);
  }
  return { all, main };
}

async function callgrindPerInstance(extra: number): Promise<void> {
  const n = Number(opt['perf-runs']);
  console.log(`\n  callgrind (valgrind --tool=callgrind): thousands of instructions per instance, study less series, ${n} run(s) each, shuffled; all threads (V8's compiler threads vary from run to run) and the main thread alone`);
  const got = new Map<string, { all: number; main: number }[]>();
  const jobs = [...tools.keys()].flatMap((t) => (['series', 'study'] as const).map((s) => [t, s] as const));
  for (let i = 0; i < n; i++) {
    for (const [t, s] of [...jobs].sort(() => Math.random() - 0.5)) {
      const k = `${t} ${s}`;
      if (!got.has(k)) got.set(k, []);
      got.get(k)!.push(await instructions(t, s));
    }
  }
  const per = new Map<string, { all: number; main: number }>();
  for (const t of tools.keys()) {
    const study = got.get(`${t} study`)!;
    const series = got.get(`${t} series`)!;
    const slope = (k: 'all' | 'main'): number => (median(study.map((c) => c[k])) - median(series.map((c) => c[k]))) / extra / 1000;
    const each = (k: 'all' | 'main'): string => {
      const xs = study.map((c, i) => (c[k] - series[i]![k]) / extra / 1000).sort((a, b) => a - b);
      return `${xs[0]!.toFixed(1)}-${xs.at(-1)!.toFixed(1)}`;
    };
    per.set(t, { all: slope('all'), main: slope('main') });
    console.log(`  ${t.padEnd(7)} all threads ${slope('all').toFixed(1)} k (runs ${each('all')}), main thread ${slope('main').toFixed(1)} k (runs ${each('main')}) instructions per instance`);
  }
  const base = per.get('dcmget')!;
  for (const [t, k] of per) {
    if (t === 'dcmget' || t === 'getscu') continue;
    console.log(`  ${t}: ${(k.all - base.all).toFixed(1)} k (${(((k.all - base.all) / base.all) * 100).toFixed(1)} %) all threads, ${(k.main - base.main).toFixed(1)} k (${(((k.main - base.main) / base.main) * 100).toFixed(1)} %) main thread, per instance against dcmget`);
  }
}
