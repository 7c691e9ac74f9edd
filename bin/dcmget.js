#!/usr/bin/env node
// A CommonJS script (bin/package.json): Node's CommonJS loader starts it ~1 ms sooner than its ES
// module loader would.
//
// dcmget needs Node.js 22.13 or newer (package.json "engines"; dcmjs, bundled in, asks as much);
// say so plainly instead of failing on syntax (so no syntax here that an old Node.js cannot parse:
// no top-level await). Exit 2, the "usage or environment error" of the exit-code table
// (src/cli/exit-codes.ts): an old Node.js is not a bug in dcmget (1).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`dcmget: Node.js ${process.versions.node} is too old; install Node.js 22.13 or newer\n`);
  process.exit(2);
}
const nodeModule = process.getBuiltinModule('node:module');
const fs = process.getBuiltinModule('node:fs');
const path = process.getBuiltinModule('node:path');
const vm = process.getBuiltinModule('node:vm');
// V8's code cache on disk (Node >= 22.1) for what Node loads itself: dcmjs alone takes ~120 ms
// to compile at every start. node:module through process.getBuiltinModule (Node >= 22.3), not
// import(): no module facade.
try {
  nodeModule.enableCompileCache?.();
} catch {
  // No cache (read-only home, odd platform): only slower.
}
// No TurboFan, V8's top compiler tier: a retrieve's JavaScript is a small hot path that waits on
// the network or the disk, and Maglev, the tier below, compiles it well enough. Without TurboFan
// the process holds ~6 MB less (its compile zones and code), spends less CPU compiling beside the
// PACS, and is no slower (bench/README.md, "Phase 7": D at 2 ms, A and B on loopback). Read at
// each tier-up decision, so it takes effect here; --max-opt would not (fixed when Node starts).
// V8 has had --turbofan since 10.x (Node 22 ships 12.4).
//
// And Maglev's finished compile jobs freed at once, on this thread: by default V8 hands them to a
// background task, and their zones (the compiler's working memory, MBs for a function that
// inlines Node's Buffer methods) pile up until it runs. On 2,000 instances of 512 KiB that was
// the peak RSS's last ~1.5 MB (V8's peak malloced memory 2.9-4.5 MB, 1.5-2.8 with the flag), at
// no cost in time (bench/README.md, "Phase 9"). An internal flag, so only where it was measured:
// V8 12 and 13 (Node 22 to 24); elsewhere V8 would print "unrecognized flag" at every start.
// Every flag set here is in V8's flag hash, which a code cache must match: set before any cache is
// read, and never changed afterwards.
const v8Major = Number(process.versions.v8.split('.')[0]);
const measuredV8 = v8Major >= 12 && v8Major <= 13;
process.getBuiltinModule('node:v8').setFlagsFromString(measuredV8 ? '--no-turbofan --no-maglev-destroy-on-background' : '--no-turbofan');

// The command line (scripts/bundle.mjs): three CommonJS-style modules in dist/cli/, dcmget.cjs the
// entry, chunk-<hash>.cjs what it shares with main-<hash>.cjs, the engine a run loads. Each is
// compiled here with node:vm, not by Node's loader, for its code cache: a vm.Script's cache can be
// made at exit, when it holds the functions the run called and no others, where Node's loader
// makes one right after the compile, when it holds only what was compiled by then (every function,
// compiled eagerly, or none): 0.61 MB of cache where Node's held 0.91 MB, and a one-instance
// retrieve ~2.5 ms sooner (bench/README.md, "Phase 8").
const CLI = path.join(__dirname, '..', 'dist', 'cli');
// Only a content-hashed name has a cache: V8 checks a cache against its source's length, not its
// text, so the name is what ties a cache to the code it was made from.
const HASHED = /^[a-z]+-[A-Z0-9]{8}\.cjs$/;
const cacheDir = codeCacheDir();
const loaded = new Map();
let engineLoaded = false;

/**
 * dcmget's folder in Node's compile cache directory (NODE_COMPILE_CACHE, by default under the
 * temporary folder; none when NODE_DISABLE_COMPILE_CACHE is set), made private to this user: a
 * code cache is code, so none is read from a folder that someone else owns or may write to.
 */
function codeCacheDir() {
  const root = nodeModule.getCompileCacheDir?.();
  if (!root) return undefined;
  const dir = path.join(root, 'dcmget');
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.statSync(dir);
    const mine = process.platform === 'win32' || (stat.uid === process.getuid() && (stat.mode & 0o022) === 0);
    return mine ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A module's cache file, by what the run that made it got as far as: a retrieve that stored an
 * instance ("retrieve": the cache holds the whole path of a retrieve), any other run of the engine
 * ("run": --echo, --dry-run, a retrieve that never reached its PACS), a start that did not load
 * the engine ("cli": --help, --version, a usage error). The best there is is read; a run that got
 * further than the cache it read makes its own. Node names the folder by its version and platform.
 */
const KINDS = ['retrieve', 'run', 'cli'];
function cacheFile(name, kind) {
  return path.join(cacheDir, `${name}.${kind}`);
}

function readCache(name) {
  if (!cacheDir || !HASHED.test(name)) return undefined;
  for (const kind of KINDS) {
    try {
      return { kind, data: fs.readFileSync(cacheFile(name, kind)) };
    } catch {
      // Not made yet.
    }
  }
  return undefined;
}

/** A module of dist/cli/, compiled (from its cache when there is a good one) and run once. */
function load(name) {
  const known = loaded.get(name);
  if (known) return known.module.exports;
  if (name.startsWith('main-')) engineLoaded = true;
  const filename = path.join(CLI, name);
  const source = fs.readFileSync(filename, 'latin1');
  const cache = readCache(name);
  // Node's CommonJS wrapper.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename,
    cachedData: cache?.data,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} };
  loaded.set(name, { script, module, kind: cache && !script.cachedDataRejected ? cache.kind : undefined });
  script.runInThisContext()(module.exports, requireFromCli, module, filename, CLI);
  return module.exports;
}

/**
 * A module's require(): its siblings in dist/cli/ from load(); anything else (the bundles ask for
 * nothing else today) as Node would for a file in dist/cli/, with one require made at first need.
 */
let nodeRequire;
function requireFromCli(id) {
  const sibling = /^\.\/([\w-]+\.cjs)$/.exec(id);
  if (sibling) return load(sibling[1]);
  nodeRequire ??= nodeModule.createRequire(path.join(CLI, 'dcmget.cjs'));
  return nodeRequire(id);
}

/**
 * At exit, the cache of each module that had none, or a worse one than this run can make: the
 * functions this run called, as V8 compiled them. Written whole under a temporary name first, so
 * that a dcmget starting meanwhile reads the old one or the new one. As with Node's own compile
 * cache, those of older builds stay until the folder is cleaned. Any failure only means a slower
 * next start.
 */
function saveCaches() {
  if (!cacheDir) return;
  const kind = loaded.get('dcmget.cjs')?.module.exports.codeCacheHint?.storedAnInstance ? 'retrieve' : engineLoaded ? 'run' : 'cli';
  for (const [name, { script, kind: had }] of loaded) {
    if (!HASHED.test(name) || (had && KINDS.indexOf(had) <= KINDS.indexOf(kind))) continue;
    const file = cacheFile(name, kind);
    const temp = `${file}.${process.pid}`;
    try {
      fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(temp, file);
    } catch {
      // Full, read-only, or gone: the next start compiles. No half-written file stays.
      try { fs.rmSync(temp, { force: true }); } catch { /* the folder itself is gone */ }
    }
  }
}

process.on('exit', saveCaches);
load('dcmget.cjs');
