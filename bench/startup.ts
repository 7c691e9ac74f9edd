// Start-up experiments, outside src/ and the build: what brings `dcmget --version` near
// `node -e 0`? It times what `npm run bench` built (bench/.dist: scripts/bundle.mjs's bundle run
// through a copy of bin/dcmget.js, V8's code cache on: what users run), and makes from src/, into
// a temp dir, with esbuild as scripts/bundle.mjs does:
//   lazy       the same bundle, but the Node built-ins that a start does not need (child_process,
//              which commander imports for subcommands dcmget has none of; zlib; crypto; dns;
//              stream/promises) are loaded at their first use through process.getBuiltinModule
//              (an esbuild plugin);
//   direct     lazy, and every other built-in taken with process.getBuiltinModule, not imported
//              (an ES module's import of a built-in reads all its exports: node:fs's lazy
//              ReadStream getter loads the streams stack);
//   cjs        lazy, bundled as CommonJS (require() of a built-in builds no ESM facade);
//   snapshot   the lazy bundle as one CommonJS script, its module-level code run at build time
//              into a V8 start-up snapshot (node --build-snapshot), started with
//              `node --snapshot-blob dcmget.blob -- ARGS`;
//   snapshot+  the same, with the command line also built (and its code compiled) at build time;
//   prebuilt   the same, and the commander program built at build time is the one main() uses.
// and times them alternating with `node -e 0` (Node's floor) and `node -e "console.log(1)"` (the
// floor of a process that prints, as --version does), median of --runs, with peak RSS.
//
// --variant L=PATH adds a launcher (e.g. one built by bench/build-at.ts) to the same rounds;
// --no-prototypes leaves the prototypes out (today's bundle, the variants and Node's floors only).
//
//   node bench/startup.ts [--runs 21] [--keep] [--variant L=PATH] [--no-prototypes]   (after npm run bench, which builds bench/.dist)

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: {
  runs: { type: 'string', default: '21' }, keep: { type: 'boolean', default: false },
  variant: { type: 'string', multiple: true }, 'no-prototypes': { type: 'boolean', default: false },
} });
const built = path.join(ROOT, 'bench', '.dist');
const runs = Number(values.runs);
if (!fs.existsSync(path.join(built, 'dist', 'cli', 'dcmget.cjs'))) throw new Error(`${built}/dist/cli/dcmget.cjs missing: run npm run bench once`);
const SRC = path.join(ROOT, 'src');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-startup-'));
const NODE = process.execPath;

/**
 * Built-ins a start does not need, made lazy: the default export becomes a proxy, and each named
 * function export a function, that load the module at first use.
 */
const lazyBuiltins: Plugin = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(child_process|zlib|crypto|dns|stream\/promises)$/ }, (args) => (args.namespace === 'lazy' ? undefined : { path: args.path, namespace: 'lazy' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, async (args) => {
      const real = (await import(args.path)) as Record<string, unknown>;
      const functions = Object.keys(real).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k) && typeof real[k] === 'function');
      return {
        contents: `const load = () => process.getBuiltinModule(${JSON.stringify(args.path)});
          export default new Proxy({}, { get: (_, k) => load()[k] });
          ${functions.map((f) => `export function ${f}(...a) { return load().${f}(...a); }`).join('\n')}`,
        loader: 'js',
      };
    });
  },
};

/**
 * Every `node:*` import through process.getBuiltinModule() instead of Node's ESM loader: an ES
 * module that imports a built-in gets a facade of all its exports, and building it reads every
 * export, lazy getters included (node:fs's ReadStream getter loads the whole streams stack).
 */
const builtinsDirect: Plugin = {
  name: 'builtins-direct',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.namespace === 'builtin' ? undefined : { path: args.path, namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/** A variant's folder: bin/, dist/cli/, and dist/vendor/ (the vendored packages npm run bench built). */
function variantDir(name: string): string {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
  if (fs.existsSync(path.join(built, 'dist', 'vendor'))) fs.symlinkSync(path.join(built, 'dist', 'vendor'), path.join(dir, 'dist', 'vendor'));
  return dir;
}

// The command line bundled as scripts/bundle.mjs bundles it (its options repeated here: this
// script may not change the build), with plugins.
const BANNER = "import { createRequire as dcmgetCreateRequire } from 'node:module'; const require = dcmgetCreateRequire(import.meta.url);";
async function esm(name: string, plugins: Plugin[], format: 'esm' | 'cjs' = 'esm'): Promise<string> {
  const dir = variantDir(name);
  const out = path.join(dir, 'dist', 'cli', format === 'esm' ? 'dcmget.mjs' : 'dcmget.cjs');
  await build({
    entryPoints: [path.join(SRC, 'cli', 'run.ts')], outfile: out, bundle: true, platform: 'node', format,
    target: 'node22', logLevel: 'error', plugins,
    ...(format === 'esm' ? { banner: { js: BANNER } } : {
      // CommonJS: import.meta.url for the lazy createRequire() calls is this file's URL
      define: { 'import.meta.url': 'DCMGET_MODULE_URL' }, banner: { js: 'var DCMGET_MODULE_URL = require("node:url").pathToFileURL(__filename).href;' },
    }),
  });
  fs.writeFileSync(path.join(dir, 'bin', 'dcmget.js'), prototypeLauncher(path.basename(out)));
  return path.join(dir, 'bin', 'dcmget.js');
}

/**
 * A prototype's launcher: the phase-2 bin/dcmget.js these prototypes were measured with (Node's
 * compile cache on, the bundle imported), not today's, which loads dist/cli/*.cjs with node:vm.
 */
function prototypeLauncher(bundle: string): string {
  return `process.getBuiltinModule('node:module').enableCompileCache?.();\nimport('../dist/cli/${bundle}');\n`;
}

/**
 * For the snapshot only: buildProgram() hands out a program built at snapshot time (each process
 * starts from its own copy of the heap, so it is used once), else builds one. A prototype of
 * "build the commander program once, at build time", which src/ would do by letting main() take it.
 */
const prebuiltProgram: Plugin = {
  name: 'prebuilt-program',
  setup(b) {
    b.onLoad({ filter: /[\\/]cli[\\/]program\.ts$/ }, (args) => ({
      contents: `${fs.readFileSync(args.path, 'utf8').replace('export function buildProgram(): Command', 'function buildProgramFresh(): Command')}
let prebuilt;
export function prebuildProgram() { prebuilt = buildProgramFresh(); }
export function buildProgram() { const p = prebuilt ?? buildProgramFresh(); prebuilt = undefined; return p; }`,
      loader: 'ts',
      resolveDir: path.dirname(args.path),
    }));
  },
};

/**
 * A snapshot of the command line: main() is what the snapshot starts. `warm`: a program built
 * and compiled at build time too; `prebuilt`: the program built at build time is the one used.
 */
async function snapshot(name: string, warm: boolean, prebuilt = false): Promise<string> {
  const dir = variantDir(name);
  const entry = path.join(dir, 'entry.mts');
  // What src/cli/run.ts does, but main() runs when the snapshot is started, not when it is built.
  fs.writeFileSync(entry, `
import v8 from 'node:v8';
import { main } from ${JSON.stringify(path.join(SRC, 'cli', 'main.ts'))};
import { processOutputs } from ${JSON.stringify(path.join(SRC, 'cli', 'output-streams.ts'))};
import * as program from ${JSON.stringify(path.join(SRC, 'cli', 'program.ts'))};
${warm ? 'program.buildProgram(); // compiles commander and our option table into the snapshot\'s heap' : ''}
${prebuilt ? 'program.prebuildProgram(); // the program main() will use' : ''}
v8.startupSnapshot.setDeserializeMainFunction(() => {
  const { stderr } = processOutputs();
  // A snapshot's process.argv is [node, ...the arguments after --]: no script name at [1].
  main(process.argv.slice(1)).then((code) => { process.exitCode = code; }, (err) => {
    stderr.write('dcmget: internal error: ' + (err?.message ?? String(err)) + '\\n');
    process.exitCode = 1;
  });
});
`);
  const bundle = path.join(dir, 'dist', 'cli', 'dcmget.cjs');
  // A snapshot's entry must be one script that requires built-ins only. import.meta.url names the
  // bundle's own place, for the lazy createRequire() calls (../vendor/*.cjs, node:tls).
  await build({
    entryPoints: [entry], outfile: bundle, bundle: true, platform: 'node', format: 'cjs', target: 'node22', logLevel: 'error',
    plugins: prebuilt ? [lazyBuiltins, prebuiltProgram] : [lazyBuiltins], define: { 'import.meta.url': 'DCMGET_MODULE_URL' },
    banner: { js: `var DCMGET_MODULE_URL = ${JSON.stringify(`file://${bundle}`)};` },
  });
  const blob = path.join(dir, 'dcmget.blob');
  execFileSync(NODE, ['--snapshot-blob', blob, '--build-snapshot', bundle], { stdio: ['ignore', 'ignore', 'ignore'] });
  return blob;
}

const bundled = path.join(built, 'bin', 'dcmget.js');
const commands: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'node -e "console.log(1)"': ['-e', 'console.log(1)'],
  'bundle (today)': [bundled, '--version'],
};
let blob: string | undefined;
let buildMs = 0;
if (!values['no-prototypes']) {
  commands['lazy built-ins'] = [await esm('lazy', [lazyBuiltins]), '--version'];
  commands['lazy, getBuiltinModule'] = [await esm('direct', [lazyBuiltins, builtinsDirect]), '--version'];
  commands['lazy, CommonJS bundle'] = [await esm('cjs', [lazyBuiltins], 'cjs'), '--version'];
  const t0 = performance.now();
  blob = await snapshot('snapshot', false);
  buildMs = performance.now() - t0;
  commands['snapshot'] = ['--snapshot-blob', blob, '--', '--version'];
  commands['snapshot, program built'] = ['--snapshot-blob', await snapshot('snapshot-warm', true), '--', '--version'];
  commands['snapshot, program prebuilt'] = ['--snapshot-blob', await snapshot('snapshot-prebuilt', true, true), '--', '--version'];
}
for (const v of values.variant ?? []) {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new Error(`--variant wants LABEL=PATH, got ${v}`);
  commands[v.slice(0, eq)] = [path.resolve(v.slice(eq + 1)), '--version'];
}
for (const [name, args] of Object.entries(commands)) {
  const r = spawnSync(NODE, args, { encoding: 'utf8' });
  if (r.status !== 0 || (name.includes('node') ? false : r.stdout.trim() !== '0.1.0' && !/^\d+\.\d+\.\d+/.test(r.stdout.trim()))) throw new Error(`${name} does not run: ${r.stderr}`);
  if (!name.startsWith('node') && r.stderr.trim()) console.log(`  (${name} wrote on stderr: ${r.stderr.trim().split('\n')[0]})`);
}
const times: Record<string, number[]> = {};
const rss: Record<string, number[]> = {};
const rssFile = path.join(work, 'rss');
for (let i = 0; i <= runs; i++) {
  const names = Object.keys(commands).sort(() => Math.random() - 0.5); // alternating, in a new order each round
  for (const name of names) {
    const s = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, NODE, ...commands[name]!], { encoding: 'utf8' });
    const ms = performance.now() - s;
    if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
    if (i === 0) continue; // the first round fills the code cache
    (times[name] ??= []).push(ms);
    (rss[name] ??= []).push(Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)));
  }
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const floor = med(times['node -e 0']!);
console.log(`start-up, median of ${runs} alternating runs (min-max), wall ms from spawn to exit${blob ? `; snapshot blob ${(fs.statSync(blob).size / 2 ** 20).toFixed(1)} MB, built in ${(buildMs / 1000).toFixed(1)} s` : ''}`);
for (const [name, xs] of Object.entries(times)) {
  console.log(`  ${name.padEnd(26)} ${med(xs).toFixed(1).padStart(6)} ms  (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})  +${(med(xs) - floor).toFixed(1).padStart(5)} ms over node -e 0   peak RSS ${(med(rss[name]!) / 1024).toFixed(1)} MB`);
}
if (values.keep) console.log(`kept ${work}`);
else fs.rmSync(work, { recursive: true, force: true });
