// npm run bench [-- options]: dcmget against DCMTK getscu and the server and
// disk limits, on Orthanc 1.10 and DCMTK dcmqrscp over loopback (issue 5), or
// across a simulated round trip (--rtt, issue 16).
// See bench/README.md for what each tool and limit means.
//
//   --quick              A = 200 x 512 KiB, B = 3 x 100 MiB, D = 8 x 10 x 64 KiB
//                        (default 2000, 10 and 8 x 50)
//   --big                also workload C, one 2 GiB instance (or DCMGET_BENCH_BIG=1)
//   --workload A,B,C,D,E only these workloads (repeatable; C needs no --big then);
//                        E = one 64 KiB instance, the start-up of a retrieve: its rounds add
//                        "node -e 0" and print each tool's ms over it
//   --rtt MS             every retrieve through the bench's delay relay (bench/relay.ts),
//                        which adds MS of round trip; default workload D (8 series x 50 x
//                        64 KiB), tools getscu, dcmget and dcmget --parallel 2, 4, 8; also
//                        the relay's own cost (at 0 ms against a direct connection) and
//                        --observe
//   --no-relay-cost      with --rtt: skip the relay's own cost
//   --getscu-parallel N  a tool "getscu+BxN": N getscu +B processes started together, the
//                        series dealt out among them, one C-GET each (repeatable, N,M);
//                        default 4 with --rtt: the ideal parallel client, C's start-up and
//                        no plan, to tell what the server and machine allow from dcmget's cost
//   --observe            one more, untimed run of each tool per workload x server through a
//                        relay that records each association (bench/pdu-tap.ts; default with
//                        --rtt): busy/idle per association, the client's and the server's
//                        turnaround per instance; dcmget with --ndjson (per series figures)
//   --server orthanc,dcmqrscp
//   --tools dcmget,getscu,ignore,disk,getscu-par,floor,node   only these tools (default all;
//                        floor: bench/node-floor.mjs, the least a Node C-GET SCU can do;
//                        node: `node -e 0`, on workload E only)
//   --runs N             measured rounds (default 5)   --warmup N (default 1)
//   --dcmget-args "..."  extra flags for every dcmget run (e.g. "--max-pdu 131072")
//   --variant L=ARGS     an extra tool "dcmget[L]" run with ARGS (repeatable); ARGS that
//                        start with @PATH run PATH (a prototype's bin/dcmget.js) instead,
//                        and node flags may come first: L="--max-opt=2 @/tmp/p/bin/dcmget.js -x";
//                        each such launcher keeps its code caches in a folder of its own
//   --json FILE          all raw runs and the summary as JSON
//   --profile            one extra dcmget run on A against Orthanc under
//                        node --cpu-prof; prints the top self-time functions
//   --profile-only       only that (no measured rounds)
//   --keep-going         record a broken retrieve as failed instead of stopping
//   --output-fs loop|folder  where each run writes: a fresh loop-mounted ext4
//                        per run (default when root) or a folder in the temp dir
//   --keep               keep the temp dir (workloads, server dirs, profile)
//   --no-build           run bin/dcmget.js (dist/) as it is (default: build
//                        src/ into bench/.dist/ first and run that snapshot)
//   --dcmget PATH        run this launcher as "dcmget" instead, e.g. the code before a change,
//                        built by `node bench/build-at.ts REV` (no build here either)
//
// It never fails on speed; it exits 1 when a retrieve is broken (wrong file
// count, non-zero exit), since a benchmark of a broken retrieve is meaningless.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startOrthanc, type OrthancServer } from '../test/support/orthanc.ts';
import { startDcmqrscp, type DcmqrscpServer } from '../test/support/dcmqrscp.ts';
import { generateWorkload, workloadSpec, WORKLOAD_NAMES, type Workload, type WorkloadName } from './workloads.ts';
import { loopAvailable, outputDir, releaseAll, type OutputFsKind } from './output-fs.ts';
import { probeRelay, startRelay, type ProbeResult, type Relay } from './relay.ts';
import { observeRun, printObservation, type Observation } from './observe.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE = process.execPath;
// dcmget is built from src/ into bench/.dist/dist/ at start as `npm run build` builds dist/
// (tsc, then the bundle): a private snapshot, so that a rebuild of dist/ by someone else during
// the run cannot change what is measured. It runs through a copy of bin/dcmget.js beside it, as
// a user runs it: the launcher turns on V8's code cache, without which a start costs ~35 ms more.
// With --no-build the repo's bin/dcmget.js (dist/) runs instead.
const SNAPSHOT = path.join(ROOT, 'bench', '.dist');
let DCMGET = path.join(SNAPSHOT, 'bin', 'dcmget.js');
let UNBUNDLED = path.join(SNAPSHOT, 'dist', 'cli', 'run.js');
const DISK_WRITE = path.join(ROOT, 'bench', 'disk-write.ts');
const NODE_FLOOR = path.join(ROOT, 'bench', 'node-floor.mjs');
const TIME = '/usr/bin/time';
const ORTHANC_MAX_PDU = 131072; // the largest Orthanc 1.10.1 accepts ("must be smaller than 131072" above it)
const DCMQRSCP_MAX_PDU = 131072; // the largest dcmqrscp 3.6.7 accepts
const GETSCU_PDU = 131072; // the largest getscu 3.6.7 accepts
const RUN_TIMEOUT_MS = 15 * 60_000;

// ---- options ------------------------------------------------------------------

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    big: { type: 'boolean', default: false },
    workload: { type: 'string', multiple: true },
    server: { type: 'string', multiple: true },
    tools: { type: 'string', multiple: true },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    'dcmget-args': { type: 'string', default: '' },
    variant: { type: 'string', multiple: true },
    json: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'profile-only': { type: 'boolean', default: false },
    'keep-going': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    dcmget: { type: 'string' },
    'output-fs': { type: 'string' },
    rtt: { type: 'string' },
    'no-relay-cost': { type: 'boolean', default: false },
    'getscu-parallel': { type: 'string', multiple: true },
    observe: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  allowPositionals: false,
});

if (opt.help) {
  const src = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
  console.log(src.slice(0, src.findIndex((l) => l.startsWith('import'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}

const list = (v: string[] | undefined): string[] => (v ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
const bigEnv = ['1', 'true', 'yes'].includes((process.env['DCMGET_BENCH_BIG'] ?? '').toLowerCase());
const rttMs = opt.rtt === undefined ? undefined : Number(opt.rtt);
if (rttMs !== undefined && !(Number.isFinite(rttMs) && rttMs >= 0 && rttMs <= 1000)) usage('--rtt wants a round trip in ms, 0 to 1000');
let workloadNames = list(opt.workload).map((w) => w.toUpperCase()) as WorkloadName[];
if (workloadNames.length === 0) workloadNames = rttMs !== undefined ? ['D'] : opt.big || bigEnv ? ['A', 'B', 'C'] : ['A', 'B'];
for (const w of workloadNames) if (!WORKLOAD_NAMES.includes(w)) usage(`unknown workload ${w} (${WORKLOAD_NAMES.join(', ')})`);
if (opt['profile-only'] && !workloadNames.includes('A')) workloadNames = ['A'];
let serverNames = list(opt.server).map((s) => s.toLowerCase());
if (serverNames.length === 0) serverNames = ['orthanc', 'dcmqrscp'];
for (const s of serverNames) if (!['orthanc', 'dcmqrscp'].includes(s)) usage(`unknown server ${s} (orthanc or dcmqrscp)`);
if (opt['profile-only'] && !serverNames.includes('orthanc')) serverNames = ['orthanc'];
const runs = Number(opt.runs);
const warmups = Number(opt.warmup);
if (!Number.isInteger(runs) || runs < 1) usage('--runs must be a positive integer');
if (!Number.isInteger(warmups) || warmups < 0) usage('--warmup must be a non-negative integer');
const loop = loopAvailable();
if (opt['output-fs'] !== undefined && !['loop', 'folder'].includes(opt['output-fs'])) usage('--output-fs must be loop or folder');
if (opt['output-fs'] === 'loop' && !loop.ok) usage(`--output-fs loop: ${loop.why}`);
const outputFs: OutputFsKind = (opt['output-fs'] as OutputFsKind | undefined) ?? (loop.ok ? 'loop' : 'folder');
const splitArgs = (s: string): string[] => s.split(/\s+/).filter(Boolean);
const dcmgetExtra = splitArgs(opt['dcmget-args'] ?? '');

function usage(msg: string): never {
  console.error(`bench: ${msg} (see npm run bench -- --help)`);
  process.exit(2);
}

// ---- tools --------------------------------------------------------------------

type ToolKind = 'dcmget' | 'getscu' | 'ignore' | 'disk' | 'getscu-par' | 'floor' | 'node';
/** How a tool reaches the server: directly, or through the relay at --rtt, or at 0 ms (its cost). */
type Route = 'direct' | 'relay' | 'relay0';

interface Tool {
  id: string; // stable key: dcmget, getscu+B, getscu--ignore, disk, dcmget[label]; @route in the relay-cost block
  kind: ToolKind;
  title: string;
  extra: string[];
  route: Route;
  /** dcmget only: node flags and the launcher to run instead of the snapshot's (--variant @PATH) */
  entry?: string[];
  /** getscu-par only: how many getscu processes run at once, the series dealt out among them. */
  processes?: number;
}

const mainRoute: Route = rttMs === undefined ? 'direct' : 'relay';
const ALL_TOOLS: Tool[] = [
  { id: 'dcmget', kind: 'dcmget', title: 'dcmget', extra: dcmgetExtra, route: mainRoute },
  { id: 'getscu+B', kind: 'getscu', title: `getscu +B -pdu ${GETSCU_PDU}`, extra: [], route: mainRoute },
  { id: 'getscu--ignore', kind: 'ignore', title: 'getscu --ignore (server limit)', extra: [], route: mainRoute },
  { id: 'disk', kind: 'disk', title: 'plain write (disk limit)', extra: [], route: 'direct' },
  // What Node itself costs: bench/node-floor.mjs, the least a Node C-GET SCU can do.
  { id: 'node-floor', kind: 'floor', title: 'node floor (bench/node-floor.mjs)', extra: [], route: mainRoute },
  // Node's own start and exit, in the same rounds as a one-instance retrieve (workload E only).
  { id: 'node', kind: 'node', title: 'node -e 0 (no retrieve)', extra: [], route: 'direct' },
];
const toolFilter = list(opt.tools).map((t) => t.toLowerCase());
const TOOL_ALIASES: Record<string, ToolKind> = { dcmget: 'dcmget', getscu: 'getscu', 'getscu+b': 'getscu', ignore: 'ignore', 'getscu--ignore': 'ignore', server: 'ignore', disk: 'disk', 'getscu-par': 'getscu-par', floor: 'floor', 'node-floor': 'floor', node: 'node' };
for (const t of toolFilter) if (!(t in TOOL_ALIASES)) usage(`unknown tool ${t} (dcmget, getscu, ignore, disk, getscu-par, floor, node)`);
// With --rtt the question is latency, not the disk: getscu, dcmget, the node floor and dcmget --parallel 2/4/8 unless told.
const defaultKinds: ToolKind[] = rttMs === undefined ? ['dcmget', 'getscu', 'ignore', 'disk', 'floor', 'node'] : ['dcmget', 'getscu', 'floor', 'node'];
const tools: Tool[] = ALL_TOOLS.filter((t) => (toolFilter.length === 0 ? defaultKinds.includes(t.kind) : toolFilter.some((f) => TOOL_ALIASES[f] === t.kind)));
// The ideal parallel client: N getscu processes started together, each one association and one
// C-GET for its share of the series (a list of Series Instance UIDs, PS3.4 C.2.2.2.2), with C's
// start-up instead of Node's. What it reaches is what the server and the machine allow.
const getscuParallel = list(opt['getscu-parallel'] ?? (rttMs === undefined ? [] : ['4'])).map(Number);
for (const n of getscuParallel) if (!Number.isInteger(n) || n < 2 || n > 64) usage('--getscu-parallel wants whole numbers from 2 to 64');
if (toolFilter.length === 0 || toolFilter.includes('getscu-par')) {
  for (const n of getscuParallel.length ? getscuParallel : toolFilter.includes('getscu-par') ? [4] : []) {
    tools.push({ id: `getscu+Bx${n}`, kind: 'getscu-par', title: `${n} x getscu +B at once`, extra: [], route: mainRoute, processes: n });
  }
}
const variants = opt.variant ?? (rttMs === undefined ? [] : ['p2=--parallel 2', 'p4=--parallel 4', 'p8=--parallel 8']);
for (const v of variants) {
  const eq = v.indexOf('=');
  if (eq <= 0) usage(`--variant wants LABEL=ARGS, got ${JSON.stringify(v)}`);
  const args = splitArgs(v.slice(eq + 1));
  const at = args.findIndex((a) => a.startsWith('@'));
  const entry = at < 0 ? undefined : [...args.slice(0, at), path.resolve(args[at]!.slice(1))];
  tools.push({ id: `dcmget[${v.slice(0, eq)}]`, kind: 'dcmget', title: `dcmget ${v.slice(eq + 1)}`, extra: [...dcmgetExtra, ...args.slice(at + 1)], route: mainRoute, ...(entry ? { entry } : {}) });
}
// The relay's own cost: getscu and dcmget straight to the server and through the relay at 0 ms, alternating.
const relayCostTools: Tool[] = rttMs === undefined || opt['no-relay-cost'] ? [] : ALL_TOOLS.filter((t) => t.kind === 'dcmget' || t.kind === 'getscu').flatMap((t) => [
  { ...t, id: `${t.id}@direct`, title: `${t.title}, direct`, route: 'direct' as const },
  { ...t, id: `${t.id}@relay0`, title: `${t.title}, through the relay at 0 ms`, route: 'relay0' as const },
]);
const observe = opt.observe || rttMs !== undefined;

// ---- servers ------------------------------------------------------------------

interface Peer {
  name: 'orthanc' | 'dcmqrscp';
  aet: string;
  port: number;
  config: string;
  load(files: string[]): Promise<void>;
  instanceCount(): Promise<number>;
  stop(): Promise<void>;
  logTail(): string;
}

async function startPeer(name: string): Promise<Peer> {
  if (name === 'orthanc') {
    const o: OrthancServer = await startOrthanc({
      alwaysAllowGet: true,
      logFlags: [], // Orthanc's default WARNING level, as in production (the tests use --verbose)
      extraConfig: { MaximumPduLength: ORTHANC_MAX_PDU },
    });
    return {
      name: 'orthanc',
      aet: o.aet,
      port: o.dicomPort,
      config: `Orthanc MaximumPduLength ${ORTHANC_MAX_PDU}, DicomAlwaysAllowGet, DicomThreadsCount 4, default log level`,
      load: (files) => o.upload(files),
      instanceCount: async () => (await o.rest<{ CountInstances: number }>('GET', '/statistics')).CountInstances,
      stop: () => o.stop(),
      logTail: () => o.logTail(30),
    };
  }
  const q: DcmqrscpServer = await startDcmqrscp({ maxPdu: DCMQRSCP_MAX_PDU, logFlags: [] });
  return {
    name: 'dcmqrscp',
    aet: q.aet,
    port: q.port,
    config: `dcmqrscp MaxPDUSize ${DCMQRSCP_MAX_PDU}, --fork, uncompressed syntaxes, default log level`,
    load: (files) => q.load(files),
    instanceCount: async () => (await q.instances()).length,
    stop: () => q.stop(),
    logTail: () => q.logTail(30),
  };
}

// ---- running one measured process ----------------------------------------------

interface Measured {
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  rssKB: number | undefined;
  /** User and system CPU seconds of the process and its children (GNU time %U %S). */
  userS: number | undefined;
  sysS: number | undefined;
  logFile: string;
  /** Date.now() at spawn: to place the run's own timestamps (--ndjson) after its start. */
  spawnedAt: number;
}

/** Spawns cmd under /usr/bin/time (peak RSS in KB, user and system CPU s to a file), output to logFile; wall time from spawn to exit. */
function measure(cmd: string, args: string[], p: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv }): Promise<Measured> {
  const rssFile = `${p.logFile}.rss`;
  const useTime = fs.existsSync(TIME);
  const [exe, argv] = useTime ? [TIME, ['-f', '%M %U %S', '-o', rssFile, cmd, ...args]] : [cmd, args];
  const fd = fs.openSync(p.logFile, 'w');
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const spawnedAt = Date.now();
    const child = spawn(exe, argv, { cwd: p.cwd, env: { ...process.env, TCP_NODELAY: '1', NO_COLOR: '1', ...p.env }, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const timer = setTimeout(() => {
      if (child.pid !== undefined) {
        try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    }, RUN_TIMEOUT_MS);
    child.once('error', (e) => { clearTimeout(timer); reject(e); });
    child.once('exit', (code, signal) => {
      const wallMs = performance.now() - started;
      clearTimeout(timer);
      let rssKB: number | undefined;
      let userS: number | undefined;
      let sysS: number | undefined;
      if (useTime) {
        // GNU time writes "Command exited with non-zero status N" before the figures in that case.
        const lines = (fs.existsSync(rssFile) ? fs.readFileSync(rssFile, 'utf8') : '').trim().split('\n');
        const [rss, user, sys] = (lines.at(-1) ?? '').split(' ').map(Number);
        rssKB = rss !== undefined && Number.isFinite(rss) && rss > 0 ? rss : undefined;
        userS = user !== undefined && Number.isFinite(user) ? user : undefined;
        sysS = sys !== undefined && Number.isFinite(sys) ? sys : undefined;
        // time exits with the child's status; a signal shows as 128+N in GNU time's own exit
      }
      resolve({ code, signal, wallMs, rssKB, userS, sysS, logFile: p.logFile, spawnedAt });
    });
  });
}

const STARTUP_RUNS = 11;

interface StartupFigures {
  /** Medians: wall ms from spawn to exit, peak RSS MB. */
  dcmgetMs: number;
  getscuMs: number;
  nodeMs: number;
  dcmgetRssMB: number | null;
  nodeRssMB: number | null;
  /** Node's idle RSS: a process that only waits 200 ms (the floor under any dcmget figure). */
  nodeIdleRssMB: number | null;
  /** min-max of each, ms */
  spread: Record<string, [number, number]>;
}

/**
 * The fixed cost of a start (process, modules, exit), which weighs most on short retrieves:
 * `dcmget --version`, `node -e 0` (Node's own floor) and `getscu --version`, alternated, after one
 * round that fills V8's code cache.
 */
async function measureStartup(work: string): Promise<StartupFigures> {
  const logFile = path.join(work, 'startup.log');
  const cmds: Record<string, [string, string[]]> = {
    dcmget: [NODE, [DCMGET, '--version']],
    node: [NODE, ['-e', '0']],
    getscu: ['getscu', ['--version']],
    idle: [NODE, ['-e', 'setTimeout(() => {}, 200)']],
  };
  const wall: Record<string, number[]> = {};
  const rss: Record<string, number[]> = {};
  for (let i = 0; i < STARTUP_RUNS + 1; i++) {
    for (const name of roundOrder(Object.keys(cmds), i)) {
      const [cmd, args] = cmds[name]!;
      const m = await measure(cmd, args, { cwd: work, logFile });
      if (m.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${tail(logFile)}`);
      if (i === 0) continue;
      (wall[name] ??= []).push(m.wallMs);
      if (m.rssKB) (rss[name] ??= []).push(m.rssKB);
    }
  }
  const mb = (xs: number[] | undefined): number | null => (xs?.length ? Math.round(median(xs) / 102.4) / 10 : null);
  const spread = Object.fromEntries(Object.entries(wall).map(([k, xs]) => [k, [Math.round(Math.min(...xs) * 10) / 10, Math.round(Math.max(...xs) * 10) / 10] as [number, number]]));
  return {
    dcmgetMs: median(wall['dcmget']!), getscuMs: median(wall['getscu']!), nodeMs: median(wall['node']!),
    dcmgetRssMB: mb(rss['dcmget']), nodeRssMB: mb(rss['node']), nodeIdleRssMB: mb(rss['idle']), spread,
  };
}

function tail(file: string, n = 25): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** Regular files under dir (recursive): count and bytes. */
function countFiles(dir: string): { files: number; bytes: number; names: string[] } {
  let files = 0;
  let bytes = 0;
  const names: string[] = [];
  if (!fs.existsSync(dir)) return { files, bytes, names };
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) {
      files++;
      const full = path.join(e.parentPath, e.name);
      bytes += fs.statSync(full).size;
      if (names.length < 5) names.push(path.relative(dir, full));
    }
  }
  return { files, bytes, names };
}

interface RunRecord {
  workload: WorkloadName;
  server: string;
  tool: string;
  route: Route;
  round: number; // 0-based; < warmups = warm-up
  warmup: boolean;
  wallMs: number;
  rssKB: number | null;
  userS: number | null;
  sysS: number | null;
  files: number;
  bytes: number;
  ok: boolean;
  error?: string;
  /** The run's log (stdout and stderr) and Date.now() at its spawn; not in the JSON. */
  logFile?: string;
  spawnedAt?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The order of the tools in a round: a shuffle, the same for a given round in every run of the
 * bench. Rotating the order kept each tool right behind the same one in every round, and on this
 * VM a run right after a large write (its flush at unmount still being absorbed by the host) was
 * slower, so a fixed predecessor is a bias; a shuffle varies position and predecessor both.
 */
function roundOrder<T>(tools: T[], round: number): T[] {
  let seed = 0x9e3779b9 ^ (round + 1);
  const random = (): number => { // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = [...tools];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * A shell script running `processes` getscu +B at once against the server ($1 its AE title, $2
 * the port, $3 the output folder), each retrieving its share of the workload's series (dealt out
 * in turn) with one SERIES-level C-GET whose Series Instance UID is a list; it exits 1 if any of
 * them fails.
 */
function getscuParallelScript(w: Workload, processes: number): string {
  const series = [...new Set(w.files.map((f) => f.seriesInstanceUid))];
  const shares = Array.from({ length: Math.min(processes, series.length) }, (_, i) => series.filter((_, k) => k % processes === i));
  const lines = shares.map((uids) => `getscu +B -pdu ${GETSCU_PDU} -aet GETSCU -aec "$1" -S -k QueryRetrieveLevel=SERIES -k StudyInstanceUID=${w.studyInstanceUid} -k 'SeriesInstanceUID=${uids.join('\\')}' -od "$3" 127.0.0.1 "$2" & pids="$pids $!"`);
  return ['pids=""', ...lines, 'rc=0', 'for p in $pids; do wait $p || rc=1; done', 'exit $rc'].join('\n');
}

/** The ports a tool reaches its server on: direct, through the relay at --rtt, through the relay at 0 ms. */
type Ports = Record<Route, number>;

interface RunExtra {
  /** Run dcmget under node --cpu-prof into this folder (unbundled). */
  profileDir?: string;
  /** Run dcmget with --ndjson (its stdout to the log) for observe.ts. */
  ndjson?: boolean;
}

/** One run of one tool into a fresh output filesystem (bench/output-fs.ts); checks the result; the output is released after, untimed. */
async function runTool(tool: Tool, w: Workload, peer: Peer, ports: Ports, work: string, round: number, extra: RunExtra = {}): Promise<RunRecord> {
  const { profileDir } = extra;
  const port = String(ports[tool.route]);
  const tag = `${w.name}-${peer.name}-${tool.id.replace(/[^A-Za-z0-9_.-]/g, '_')}-r${round}${extra.ndjson ? '-ndjson' : ''}`;
  const output = outputDir(outputFs, work, tag, w.totalBytes);
  const out = output.dir;
  const logFile = path.join(work, 'logs', `${tag}.log`);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const query = ['-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${w.studyInstanceUid}`];
  let m: Measured;
  let expectFiles = w.instances;
  switch (tool.kind) {
    case 'dcmget': {
      // The profile runs the unbundled modules, so that its time is told file by file.
      const entry = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, UNBUNDLED] : tool.entry ?? [DCMGET];
      const events = extra.ndjson ? ['--ndjson'] : [];
      // A code cache folder per launcher: bin/dcmget.js's V8 flags are in the hash a cache must
      // match, so two builds with other flags sharing one folder would reject and remake each
      // other's caches at every run (the builds' modules may have the same content-hashed names).
      const compileCache = path.join(work, 'compile-cache', tool.entry ? tool.id.replace(/[^\w-]/g, '_') : 'dcmget');
      m = await measure(NODE, [...entry, '-q', ...events, ...tool.extra, '-aet', 'DCMGET', '-aec', peer.aet, ...query, '-od', out, '127.0.0.1', port],
        { cwd: work, logFile, env: { NODE_COMPILE_CACHE: compileCache } });
      break;
    }
    case 'getscu':
      fs.mkdirSync(out, { recursive: true }); // getscu wants -od to exist
      m = await measure('getscu', ['+B', '-pdu', String(GETSCU_PDU), '-aet', 'GETSCU', '-aec', peer.aet, ...query, '-od', out, '127.0.0.1', port], { cwd: work, logFile });
      break;
    case 'ignore':
      // --ignore refuses -od; -v only to read the final counters (3 short log lines per instance).
      fs.mkdirSync(out, { recursive: true });
      m = await measure('getscu', ['--ignore', '-v', '-pdu', String(GETSCU_PDU), '-aet', 'GETSCU', '-aec', peer.aet, ...query, '127.0.0.1', port], { cwd: out, logFile });
      expectFiles = 0;
      break;
    case 'getscu-par':
      fs.mkdirSync(out, { recursive: true });
      m = await measure('sh', ['-c', getscuParallelScript(w, tool.processes!), 'getscu-par', peer.aet, port, out], { cwd: work, logFile });
      break;
    case 'floor':
      fs.mkdirSync(out, { recursive: true });
      m = await measure(NODE, [NODE_FLOOR, '127.0.0.1', port, peer.aet, w.studyInstanceUid, out, w.sopClassUid, String(GETSCU_PDU)], { cwd: work, logFile });
      break;
    case 'disk':
      m = await measure(NODE, [DISK_WRITE, path.join(path.dirname(w.dir), `${w.name}.json`), out], { cwd: work, logFile });
      break;
    case 'node':
      m = await measure(NODE, ['-e', '0'], { cwd: work, logFile });
      expectFiles = 0;
      break;
  }
  const got = countFiles(out);
  const problems: string[] = [];
  if (m.code !== 0 || m.signal !== null) problems.push(`exit ${m.code ?? m.signal}`);
  if (got.files !== expectFiles) problems.push(`${got.files} files in the output folder, expected ${expectFiles}`);
  if (expectFiles > 0 && got.files === expectFiles && got.bytes < w.pixelBytes) problems.push(`only ${got.bytes} bytes arrived, expected at least ${w.pixelBytes}`);
  if (tool.kind === 'ignore') {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    const completed = /Number of Completed Suboperations\s*:\s*(\d+)/.exec(log)?.[1];
    const failed = /Number of Failed Suboperations\s*:\s*(\d+)/.exec(log)?.[1];
    if (Number(completed) !== w.instances || Number(failed) !== 0) problems.push(`getscu --ignore reports completed ${completed ?? '?'}, failed ${failed ?? '?'}, expected ${w.instances} and 0`);
  }
  const rec: RunRecord = {
    workload: w.name,
    server: peer.name,
    tool: tool.id,
    route: tool.route,
    round,
    warmup: round < warmups,
    wallMs: Math.round(m.wallMs * 10) / 10,
    rssKB: m.rssKB ?? null,
    userS: m.userS ?? null,
    sysS: m.sysS ?? null,
    files: got.files,
    bytes: got.bytes,
    ok: problems.length === 0,
    logFile: m.logFile,
    spawnedAt: m.spawnedAt,
  };
  if (problems.length > 0) {
    rec.error = problems.join('; ');
    const msg = [
      `BROKEN RUN: ${tool.title} on workload ${w.name} (${w.label}) from ${peer.name}, round ${round}: ${rec.error}`,
      `--- ${path.basename(logFile)} (tail) ---`,
      tail(logFile),
      got.names.length > 0 ? `--- first files: ${got.names.join(', ')}` : '',
      `--- ${peer.name} log (tail) ---`,
      peer.logTail(),
    ].join('\n');
    console.error(msg);
  }
  output.release();
  // Let the disk settle after a large write before the next run starts (1 s per GB written).
  await sleep(200 + Math.round(got.bytes / 1e6));
  return rec;
}

// ---- statistics ---------------------------------------------------------------

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface ToolSummary {
  tool: string;
  title: string;
  runs: number;
  failed: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  mbPerS: number;
  instancesPerS: number;
  medianRssMB: number | null;
  maxRssMB: number | null;
  /** Median user and system CPU, s (the process and its children). */
  medianUserS: number | null;
  medianSysS: number | null;
}

interface Ratio {
  ofMedians: number;
  pairedMedian: number;
  /** min-max of the per-round ratios: the run-to-run spread. */
  pairedMin: number;
  pairedMax: number;
}

interface Summary {
  workload: WorkloadName;
  label: string;
  server: string;
  /** 'main', or 'relay-cost' (direct against the relay at 0 ms) */
  block: string;
  /** The round trip the relay added, ms (undefined: direct). */
  rttMs: number | undefined;
  instances: number;
  totalBytes: number;
  tools: ToolSummary[];
  ratios: Record<string, Ratio | null>;
  /** getscu +B's time over each dcmget tool's (with --rtt): how many times faster. */
  speedUps: Record<string, Ratio | null>;
  /** Workload E: each tool's ms over `node -e 0`, from the medians and round by round. */
  overNode: Record<string, Difference | null>;
}

/** A time minus another's, in ms: the difference of the medians, and the median and range of the per-round differences. */
type Difference = Ratio;

const median0 = (xs: number[]): number | null => (xs.length ? median(xs) : null);
const round2 = (x: number): number => Math.round(x * 100) / 100;

function summarise(w: Workload, server: string, records: RunRecord[], block: string, blockTools: Tool[]): Summary {
  const measured = records.filter((r) => r.workload === w.name && r.server === server && !r.warmup && blockTools.some((t) => t.id === r.tool));
  const toolSummaries: ToolSummary[] = [];
  for (const t of blockTools) {
    const rs = measured.filter((r) => r.tool === t.id);
    const ok = rs.filter((r) => r.ok);
    const times = ok.map((r) => r.wallMs);
    const rss = ok.map((r) => r.rssKB).filter((x): x is number => x !== null);
    const user = median0(ok.map((r) => r.userS).filter((x): x is number => x !== null));
    const sys = median0(ok.map((r) => r.sysS).filter((x): x is number => x !== null));
    const med = median(times);
    toolSummaries.push({
      tool: t.id,
      title: t.title,
      runs: ok.length,
      failed: rs.length - ok.length,
      medianMs: Math.round(med),
      minMs: Math.round(Math.min(...times)),
      maxMs: Math.round(Math.max(...times)),
      mbPerS: Math.round((w.totalBytes / 1e6 / (med / 1000)) * 10) / 10,
      instancesPerS: Math.round((w.instances / (med / 1000)) * 10) / 10,
      medianRssMB: rss.length ? Math.round(median(rss) / 102.4) / 10 : null,
      maxRssMB: rss.length ? Math.round(Math.max(...rss) / 102.4) / 10 : null,
      medianUserS: user,
      medianSysS: sys,
    });
  }
  /** a against b, as f(a's time, b's time): of the medians, and round by round (the same round's runs). */
  const paired = (a: string, b: string, f: (x: number, y: number) => number, round: (x: number) => number): Ratio | null => {
    const ta = measured.filter((r) => r.tool === a && r.ok);
    const tb = measured.filter((r) => r.tool === b && r.ok);
    if (!ta.length || !tb.length) return null;
    const rounds: number[] = [];
    for (const ra of ta) {
      const rb = tb.find((r) => r.round === ra.round);
      if (rb) rounds.push(f(ra.wallMs, rb.wallMs));
    }
    const ofMedians = f(median(ta.map((r) => r.wallMs)), median(tb.map((r) => r.wallMs)));
    return { ofMedians: round(ofMedians), pairedMedian: round(median(rounds)), pairedMin: round(Math.min(...rounds)), pairedMax: round(Math.max(...rounds)) };
  };
  const ratio = (a: string, b: string): Ratio | null => paired(a, b, (x, y) => x / y, round2);
  const ratios: Summary['ratios'] = {};
  const speedUps: Summary['speedUps'] = {};
  const overNode: Summary['overNode'] = {};
  if (blockTools.some((t) => t.kind === 'node')) {
    for (const t of blockTools.filter((x) => x.kind !== 'node')) overNode[t.id] = paired(t.id, 'node', (x, y) => x - y, (x) => Math.round(x * 10) / 10);
  }
  if (block === 'relay-cost') {
    for (const t of blockTools.filter((x) => x.route === 'relay0')) {
      const direct = t.id.replace('@relay0', '@direct');
      ratios[`${t.id}/${direct}`] = ratio(t.id, direct);
    }
  } else {
    for (const d of blockTools.filter((t) => t.kind === 'dcmget' || t.kind === 'getscu-par' || t.kind === 'floor')) {
      ratios[`${d.id}/getscu+B`] = ratio(d.id, 'getscu+B');
      ratios[`${d.id}/getscu--ignore`] = ratio(d.id, 'getscu--ignore');
      ratios[`${d.id}/disk`] = ratio(d.id, 'disk');
      if (rttMs !== undefined) speedUps[d.id] = ratio('getscu+B', d.id);
    }
  }
  return { workload: w.name, label: w.label, server, block, rttMs: block === 'main' ? rttMs : block === 'relay-cost' ? 0 : undefined, instances: w.instances, totalBytes: w.totalBytes, tools: toolSummaries, ratios, speedUps, overNode };
}

function printSummary(s: Summary): void {
  const gb = (s.totalBytes / 1e9).toFixed(2);
  const route = s.block === 'relay-cost' ? ', the relay\'s own cost' : s.rttMs !== undefined ? `, through the relay at +${s.rttMs} ms round trip` : '';
  console.log(`\n== workload ${s.workload}: ${s.label} (${gb} GB), server ${s.server}${route}, median of ${runs} ==`);
  const cpu = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
  const rows = [['tool', 'median s', 'min-max s', 'MB/s', 'inst/s', 'RSS MB', 'user s', 'sys s'], ...s.tools.map((t) => [
    t.title + (t.failed ? ` (${t.failed} FAILED)` : ''),
    (t.medianMs / 1000).toFixed(3),
    `${(t.minMs / 1000).toFixed(3)}-${(t.maxMs / 1000).toFixed(3)}`,
    String(t.mbPerS),
    String(t.instancesPerS),
    t.medianRssMB === null ? '-' : String(t.medianRssMB),
    cpu(t.medianUserS),
    cpu(t.medianSysS),
  ])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  const spread = (v: Ratio): string => `median of per-round ratios ${v.pairedMedian.toFixed(2)}, range ${v.pairedMin.toFixed(2)}-${v.pairedMax.toFixed(2)}`;
  for (const [k, v] of Object.entries(s.ratios)) {
    if (v) console.log(`  time ratio ${k.padEnd(30)} ${v.ofMedians.toFixed(2)}  (${spread(v)})`);
  }
  for (const [k, v] of Object.entries(s.speedUps)) {
    if (v) console.log(`  speed-up over getscu +B: ${k.padEnd(16)} ${v.ofMedians.toFixed(2)}x  (${spread(v)})`);
  }
  for (const [k, v] of Object.entries(s.overNode)) {
    const ms = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
    if (v) console.log(`  over node -e 0: ${k.padEnd(24)} ${ms(v.ofMedians)} ms  (median of per-round differences ${ms(v.pairedMedian)}, range ${ms(v.pairedMin)} to ${ms(v.pairedMax)})`);
  }
}

// ---- profile ------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

function topSelfTime(profileFile: string, n = 25): { name: string; where: string; ms: number; pct: number }[] {
  const prof = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i + 1] ?? 0; // the sample lasts until the next one
    const nd = byId.get(prof.samples[i]!);
    if (!nd) continue;
    total += dt;
    const cf = nd.callFrame;
    const file = cf.url.replace(`file://${ROOT}/`, '').replace('bench/.dist/dist/', 'dist/');
    const where = file ? `${file}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName}@${where}`;
    const e = self.get(key) ?? { name: cf.functionName || '(anonymous)', where, us: 0 };
    e.us += dt;
    self.set(key, e);
  }
  const round = (e: { name: string; where: string; us: number }): { name: string; where: string; ms: number; pct: number } =>
    ({ name: e.name, where: e.where, ms: Math.round(e.us / 100) / 10, pct: Math.round((e.us / total) * 1000) / 10 });
  return [...self.values()].sort((a, b) => b.us - a.us).slice(0, n).map(round);
}

/** Self time grouped by where the code lives: our dist/ files one by one, the rest by kind. */
function selfTimeByArea(profileFile: string): { area: string; ms: number; pct: number }[] {
  const prof = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]));
  const areas = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i + 1] ?? 0;
    const cf = byId.get(prof.samples[i]!)?.callFrame;
    if (!cf) continue;
    total += dt;
    const url = cf.url.replace(`file://${ROOT}/`, '').replace('bench/.dist/dist/', 'dist/');
    let area: string;
    if (url.startsWith('dist/') || url.startsWith('src/')) area = url;
    else if (url.startsWith('node_modules/')) area = `node_modules/${url.split('/')[1]}`;
    else if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/bootstrap') || cf.functionName.startsWith('compile')) area = 'node: module loading/compiling';
    else if (url.startsWith('node:')) area = 'node: other internals (streams, fs, net, timers)';
    else if (cf.functionName.startsWith('(')) area = cf.functionName;
    else area = 'native (fs/net bindings, builtins)';
    areas.set(area, (areas.get(area) ?? 0) + dt);
  }
  return [...areas.entries()].sort((a, b) => b[1] - a[1]).map(([area, us]) => ({ area, ms: Math.round(us / 100) / 10, pct: Math.round((us / total) * 1000) / 10 }));
}

// ---- machine ------------------------------------------------------------------

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    const err = e as { stdout?: string };
    return (err.stdout ?? '').trim();
  }
}

function machine(): Record<string, string> {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?';
  return {
    nproc: sh('nproc', []),
    memory: sh('free', ['-h']).split('\n')[1]?.replace(/\s+/g, ' ') ?? '?',
    cpu,
    kernel: os.release(),
    node: process.version,
    dcmtk: /v\d+\.\d+\.\d+/.exec(sh('getscu', ['--version']))?.[0] ?? '?',
    orthanc: sh('/usr/sbin/Orthanc', ['--version']).split('\n')[0] ?? '?',
    filesystem: sh('df', ['-hT', os.tmpdir()]).split('\n')[1]?.replace(/\s+/g, ' ') ?? '?',
    commit: opt.dcmget
      ? `${builtFrom(opt.dcmget)} (--dcmget ${opt.dcmget})`
      : `${sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'])}${sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src']) ? ' + uncommitted src/ changes' : ''}`,
  };
}

/** What bench/build-at.ts wrote beside a launcher it built. */
function builtFrom(launcher: string): string {
  try {
    return fs.readFileSync(path.join(path.dirname(path.dirname(path.resolve(launcher))), 'BUILT-FROM'), 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

// ---- main ---------------------------------------------------------------------

async function main(): Promise<void> {
  if (opt.dcmget) {
    DCMGET = path.resolve(opt.dcmget);
    // The entry of a build: dcmget.cjs since phase 8, dcmget.mjs before it.
    const cli = path.join(path.dirname(path.dirname(DCMGET)), 'dist', 'cli');
    UNBUNDLED = path.join(cli, fs.existsSync(path.join(cli, 'dcmget.mjs')) ? 'dcmget.mjs' : 'dcmget.cjs');
    if (!fs.existsSync(UNBUNDLED)) throw new Error(`${UNBUNDLED} is missing: --dcmget wants a launcher beside a built dist/ (node bench/build-at.ts REV)`);
  } else if (opt['no-build']) {
    DCMGET = path.join(ROOT, 'bin', 'dcmget.js');
    // dist/ holds the command line only bundled: --cpu-prof profiles the bundle.
    UNBUNDLED = path.join(ROOT, 'dist', 'cli', 'dcmget.cjs');
    if (!fs.existsSync(UNBUNDLED)) throw new Error('dist/ is missing: build first (npm run build)');
  } else {
    console.log(`building src/ into ${path.relative(ROOT, SNAPSHOT)}/ (tsc) ...`);
    fs.rmSync(SNAPSHOT, { recursive: true, force: true });
    execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', ROOT, '--noEmit', 'false', '--outDir', path.join(SNAPSHOT, 'dist'), '--declaration', 'false', '--sourceMap', 'false'], { stdio: 'inherit', cwd: ROOT });
    execFileSync(NODE, [path.join(ROOT, 'scripts', 'bundle.mjs'), path.join(SNAPSHOT, 'dist')], { stdio: 'inherit', cwd: ROOT });
    fs.mkdirSync(path.dirname(DCMGET), { recursive: true });
    fs.cpSync(path.join(ROOT, 'bin'), path.dirname(DCMGET), { recursive: true }); // with bin/package.json
  }
  if (!fs.existsSync(TIME)) console.warn(`bench: ${TIME} missing (apt-get install time): no peak RSS figures`);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-bench-'));
  const cleanup = (): void => {
    releaseAll();
    if (!opt.keep) fs.rmSync(work, { recursive: true, force: true });
  };
  process.once('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));

  const mach = machine();
  console.log(`machine: ${mach['nproc']} cpus, ${mach['cpu']}, kernel ${mach['kernel']}, node ${mach['node']}, DCMTK ${mach['dcmtk']}, ${mach['orthanc']}`);
  console.log(`dcmget: ${path.relative(ROOT, DCMGET)} built from ${mach['commit']}`);
  console.log(`work dir: ${work}${opt.keep ? ' (kept)' : ' (removed at exit; --keep to keep)'}`);
  console.log(outputFs === 'loop'
    ? 'output: a fresh loop-mounted ext4 (mkfs defaults, journal) per run, unmounted after it, untimed'
    : `output: a folder in the work dir, removed and synced after each run${loop.ok ? '' : ` (no loop filesystem: ${loop.why})`}`);
  console.log(`workloads ${workloadNames.join(',')}${opt.quick ? ' (quick)' : ''}; servers ${serverNames.join(',')}; tools ${tools.map((t) => t.id).join(', ')}; ${warmups} warm-up + ${runs} measured round(s)`);

  const startup = await measureStartup(work);
  const sp = (k: string): string => `${startup.spread[k]![0]}-${startup.spread[k]![1]}`;
  console.log(`start-up (median of ${STARTUP_RUNS}, min-max ms): dcmget --version ${startup.dcmgetMs.toFixed(1)} ms (${sp('dcmget')}), node -e 0 ${startup.nodeMs.toFixed(1)} ms (${sp('node')}), getscu --version ${startup.getscuMs.toFixed(1)} ms (${sp('getscu')}): dcmget is ${(startup.dcmgetMs - startup.nodeMs).toFixed(1)} ms over Node's floor, a fixed cost inside every dcmget figure below`);
  console.log(`peak RSS: dcmget --version ${startup.dcmgetRssMB ?? '-'} MB, node -e 0 ${startup.nodeRssMB ?? '-'} MB, Node idle 200 ms ${startup.nodeIdleRssMB ?? '-'} MB`);
  let probes: { rttMs: number; probe: ProbeResult }[] = [];
  if (rttMs !== undefined) {
    // What the relay adds to one exchange, measured as a 1-byte ping-pong to a local echo server.
    probes = [{ rttMs: 0, probe: await probeRelay(0) }, ...(rttMs > 0 ? [{ rttMs, probe: await probeRelay(rttMs) }] : [])];
    for (const { rttMs: r, probe } of probes) {
      console.log(`relay at +${r} ms: a 1-byte ping-pong takes ${probe.relayMs.median} ms (p90 ${probe.relayMs.p90}) through it, ${probe.directMs.median} ms direct: it adds ${probe.addedMs} ms a round trip (median of ${probe.rounds})`);
    }
  }

  const workloads: Workload[] = [];
  for (const name of workloadNames) {
    const w = generateWorkload(workloadSpec(name, opt.quick ?? false), path.join(work, 'workloads'));
    console.log(`generated ${w.name}: ${w.label}, ${w.files.length} files, ${(w.totalBytes / 1e6).toFixed(0)} MB in ${(w.generateMs / 1000).toFixed(1)} s`);
    workloads.push(w);
  }
  execFileSync('sync');

  const records: RunRecord[] = [];
  const summaries: Summary[] = [];
  const observations: Observation[] = [];
  const loads: { server: string; workload: string; ms: number }[] = [];
  const servers: { name: string; config: string }[] = [];
  let profile: { file: string; wallMs: number; top: ReturnType<typeof topSelfTime>; byArea: ReturnType<typeof selfTimeByArea> } | undefined;
  let broken = false;
  const skipped: { server: string; workload: string; reason: string }[] = [];
  // the JSON is written at the end whatever happens (partial when the run stopped early)
  process.once('exit', () => {
    if (!opt.json) return;
    const doc = {
      date: new Date().toISOString(),
      complete: !broken && finished,
      machine: mach,
      startup,
      relayProbes: probes,
      options: { outputFs, quick: opt.quick, workloads: workloadNames, servers: serverNames, runs, warmups, dcmgetArgs: dcmgetExtra, variants, rttMs: rttMs ?? null },
      servers,
      workloads: workloads.map((w) => ({ name: w.name, label: w.label, instances: w.instances, series: w.series, sopClassUid: w.sopClassUid, totalBytes: w.totalBytes, pixelBytes: w.pixelBytes, studyInstanceUid: w.studyInstanceUid, generateMs: w.generateMs })),
      loads,
      skipped,
      tools: [...tools, ...relayCostTools].map((t) => ({ id: t.id, title: t.title, args: t.extra, route: t.route })),
      summaries,
      runs: records.map(({ logFile: _log, spawnedAt: _at, ...r }) => r),
      observations,
      profile,
    };
    fs.writeFileSync(opt.json, JSON.stringify(doc, null, 2));
    console.log(`\nwrote ${opt.json}${doc.complete ? '' : ' (partial)'}`);
  });
  let finished = false;

  for (const sname of serverNames) {
    const peer = await startPeer(sname);
    servers.push({ name: peer.name, config: peer.config });
    console.log(`\nstarted ${peer.name} (${peer.config}) on port ${peer.port}`);
    /** relays[0]: the one observed runs go through (at --rtt, else at 0 ms) */
    const relays: Relay[] = [];
    try {
      const ports: Ports = { direct: peer.port, relay: peer.port, relay0: peer.port };
      if (rttMs !== undefined || observe) {
        const relay0 = await startRelay({ targetHost: '127.0.0.1', targetPort: peer.port, rttMs: 0 });
        ports.relay0 = relay0.port;
        if (rttMs !== undefined) {
          const relay = await startRelay({ targetHost: '127.0.0.1', targetPort: peer.port, rttMs });
          relays.push(relay);
          ports.relay = relay.port;
          console.log(`relay: port ${relay.port} adds ${rttMs} ms of round trip to ${peer.name}; port ${relay0.port} relays with no delay (its own cost)`);
        }
        relays.push(relay0);
      }
      for (const w of workloads) {
        if (w.name === 'C' && peer.name === 'dcmqrscp') {
          // dcmqrscp 3.6.7 caps a study at 1024 MB (its largest quota), and dcmqridx
          // silently leaves out a single file above that: a 2 GiB instance cannot be served.
          console.log(`skipping C on dcmqrscp: dcmqrscp 3.6.7 cannot hold an instance over 1 GiB (per-study quota max 1024 MB; dcmqridx drops the file silently)`);
          skipped.push({ server: peer.name, workload: w.name, reason: 'dcmqrscp 3.6.7 per-study quota max 1024 MB: a 2 GiB instance is not indexed' });
          continue;
        }
        const t0 = performance.now();
        const before = await peer.instanceCount();
        await peer.load(w.files.map((f) => f.file));
        const after = await peer.instanceCount();
        const ms = Math.round(performance.now() - t0);
        loads.push({ server: peer.name, workload: w.name, ms });
        console.log(`loaded ${w.name} into ${peer.name}: ${w.files.length} files in ${(ms / 1000).toFixed(1)} s (${((w.totalBytes / 1e6) / (ms / 1000)).toFixed(0)} MB/s)`);
        if (after - before !== w.instances) throw new Error(`${peer.name} holds ${after - before} new instances after loading ${w.name}, expected ${w.instances}`);
        execFileSync('sync');

        /** Warm-up and measured rounds of these tools, each round in its own shuffled order. */
        const rounds = async (blockTools: Tool[], block: string): Promise<void> => {
          const total = warmups + runs;
          for (let round = 0; round < total; round++) {
            const line: string[] = [];
            for (const tool of roundOrder(blockTools, round)) {
              const r = await runTool(tool, w, peer, ports, work, round);
              records.push(r);
              line.push(`${tool.id} ${(r.wallMs / 1000).toFixed(2)}s${r.rssKB ? `/${Math.round(r.rssKB / 1024)}MB` : ''}${r.ok ? '' : ' BROKEN'}`);
              if (!r.ok) {
                broken = true;
                if (!opt['keep-going']) throw new Error(`stopping: a broken retrieve makes the benchmark meaningless (--keep-going to go on)`);
              }
            }
            console.log(`  ${w.name}/${peer.name}${block === 'main' ? '' : ` ${block}`} ${round < warmups ? 'warm-up' : `round ${round - warmups + 1}/${runs}`}: ${line.join(', ')}`);
          }
          const s = summarise(w, peer.name, records, block, blockTools);
          summaries.push(s);
          printSummary(s);
        };
        if (!opt['profile-only']) {
          if (relayCostTools.length > 0) await rounds(relayCostTools, 'relay-cost');
          // `node -e 0` belongs to the one-instance retrieve (E), where it is the start's floor.
          await rounds(tools.filter((t) => t.kind !== 'node' || w.name === 'E'), 'main');
        }
        if (observe && !opt['profile-only']) {
          // One more run of each network tool, untimed, through a relay that records what each
          // association carries (pdu-tap.ts; at 0 ms without --rtt); dcmget with --ndjson too
          // (a JSON line per instance costs CPU): per association busy/idle and turnarounds.
          const tapped = relays[0]!;
          for (const tool of tools.filter((t) => t.kind !== 'disk' && t.kind !== 'node')) {
            const via: Tool = { ...tool, route: rttMs === undefined ? 'relay0' : 'relay' };
            tapped.record();
            const r = await runTool(via, w, peer, ports, work, -2, { ndjson: tool.kind === 'dcmget' });
            const taps = tapped.recorded();
            if (!r.ok) {
              broken = true;
              throw new Error(`stopping: the observed run of ${tool.id} was broken`);
            }
            const o = observeRun(tool.kind === 'dcmget' ? fs.readFileSync(r.logFile!, 'utf8') : '', w, taps, { workload: w.name, server: peer.name, tool: tool.id, rttMs, wallMs: r.wallMs, spawnedAt: r.spawnedAt! });
            observations.push(o);
            printObservation(o);
          }
        }

        if ((opt.profile || opt['profile-only']) && w.name === 'A' && peer.name === 'orthanc') {
          const dir = path.join(work, 'profile');
          fs.mkdirSync(dir, { recursive: true });
          const dcmget = tools.find((t) => t.id === 'dcmget') ?? ALL_TOOLS[0]!;
          const r = await runTool(dcmget, w, peer, ports, work, -1, { profileDir: dir });
          if (!r.ok) {
            broken = true;
            throw new Error('stopping: the profiled dcmget run was broken');
          }
          const file = fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f))[0];
          if (!file) throw new Error('node --cpu-prof wrote no profile');
          const keptFile = path.join(os.tmpdir(), `dcmget-bench-A-orthanc-${Date.now()}.cpuprofile`);
          fs.copyFileSync(file, keptFile);
          const top = topSelfTime(file);
          profile = { file: keptFile, wallMs: r.wallMs, top, byArea: selfTimeByArea(file) };
          console.log(`\n== profile: dcmget on A (${w.label}) from orthanc, ${(r.wallMs / 1000).toFixed(2)} s under --cpu-prof; ${keptFile} ==`);
          console.log('  self ms   self %  function  (location)');
          for (const e of profile.top) console.log(`  ${e.ms.toFixed(1).padStart(7)}  ${e.pct.toFixed(1).padStart(6)}  ${e.name}  ${e.where ? `(${e.where})` : ''}`);
          console.log('  by area:');
          for (const e of profile.byArea) console.log(`  ${e.ms.toFixed(1).padStart(7)}  ${e.pct.toFixed(1).padStart(6)}  ${e.area}`);
        }
      }
    } finally {
      for (const r of relays) await r.close();
      await peer.stop();
    }
  }

  finished = true;
  if (broken) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
