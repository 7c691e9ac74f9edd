// The parts of the package that esbuild makes (tsc emits the library, dist/index.js and its
// modules, before this runs):
// - dist/cli/: the command line as three modules, from src/cli/run.ts, with commander and chalk
//   in them. node:module's loader costs ~0.7 ms per module resolved and linked, and the CLI is ~60
//   of them: bundled, a start takes 40 ms less (`dcmget --version` 0.165 -> 0.125 s, measured
//   beside the unbundled modules). dcmget.cjs is the entry and answers --help, --version and usage
//   errors with the code in chunk-*.cjs; main-*.cjs, everything a run needs (~70 % of the code),
//   loads only for a run (`--version` ~13 ms less, a retrieve the same: bench/README.md, "Phase 4").
//   CommonJS, for bin/dcmget.js to compile with node:vm (writeScript below says why).
// - dist/vendor/dcmjs.cjs and dist/vendor/cli-progress.cjs: the two packages loaded on first need
//   (src/dicom/vendored.ts), one file each, so that installing dcmget installs nothing else: no
//   dependency, no install script (dcmjs depends on core-js-pure, whose postinstall npm 11 warns
//   about), no 30 MB of node_modules. Not minified, so that a stack trace stays readable. dcmjs
//   is taken from its ES build, which lets esbuild leave out what dcmget does not use (its SR,
//   segmentation and normalizer code): 0.95 MB instead of its 1.4 MB CommonJS build.
// - dist/THIRD-PARTY-LICENSES.md: the licence of every package whose code is in those files
//   (MIT and the like ask that their notice travel with the code).
// Usage: node scripts/bundle.mjs [distDir]   (default: dist)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.resolve(process.argv[2] ?? 'dist');
const common = { bundle: true, platform: 'node', target: 'node22', logLevel: 'warning', metafile: true, legalComments: 'eof' };

/**
 * Node built-ins that a start does not need, loaded at their first use instead of at load:
 * node:child_process (commander's, for executable subcommands, which dcmget has none of),
 * node:zlib (deflated syntaxes, gzipped query files), node:crypto (temporary names, hashed
 * names), node:dns (the peer's address), node:stream/promises. An ES module's imports of them are
 * all loaded and linked before the first line runs: ~6-9 ms of every start (bench/README.md,
 * "Start-up"). Each becomes a module whose default export is a proxy and whose named function
 * exports are wrappers, all reaching the real module through process.getBuiltinModule (Node
 * >= 22.3; the package asks 22.13) when first called.
 */
const LAZY_BUILTINS = /^node:(child_process|zlib|crypto|dns|stream\/promises)$/;
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: LAZY_BUILTINS }, (args) => (args.namespace === 'lazy-builtin' ? undefined : { path: args.path, namespace: 'lazy-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, async (args) => {
      const real = await import(args.path);
      const functions = Object.keys(real).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k) && typeof real[k] === 'function');
      return {
        contents: [
          `let loaded;`,
          `const load = () => (loaded ??= process.getBuiltinModule(${JSON.stringify(args.path)}));`,
          `export default new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });`,
          ...functions.map((f) => `export function ${f}(...args) { return load().${f}(...args); }`),
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

/**
 * The names a file imports from a built-in (`import fs, { a, b as c } from 'node:x'`), read from
 * its source: only those become named exports of its shim, so none is read before it is used.
 * undefined for `import * as`, which gets every plain data property.
 */
function importedNames(importer, id) {
  const source = fs.readFileSync(importer, 'utf8');
  const quoted = id.replace(/[/]/g, '\\/');
  if (new RegExp(`import\\s*\\*\\s*as\\s+\\w+\\s+from\\s*['"]${quoted}['"]`).test(source)) return undefined;
  const names = new Set();
  const statement = new RegExp(`(?:import|export)\\s*(?:type\\s+)?(?:[\\w$]+\\s*,\\s*)?\\{([^}]*)\\}\\s*from\\s*['"]${quoted}['"]`, 'g');
  for (const m of source.matchAll(statement)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0].trim();
      if (name) names.add(name);
    }
  }
  return [...names].sort();
}

/**
 * Every other Node built-in the bundled code imports, without the ES module facade: Node builds a
 * built-in's facade by reading each of its exports, which runs the lazy getters behind them
 * (node:process's stdin, stdout and allowedNodeEnvironmentFlags; node:fs's ReadStream, which loads
 * the streams; node:util's TextDecoder): ~7 ms of every start, for streams dcmget mostly never
 * uses. Each importing file gets a module reaching the real one through process.getBuiltinModule,
 * with the names it imports as named exports.
 */
const directBuiltins = {
  name: 'direct-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (args.namespace === 'direct-builtin' || LAZY_BUILTINS.test(args.path)) return undefined;
      const names = args.importer ? importedNames(args.importer, args.path) : undefined;
      return { path: `${args.path}#${names ? names.join(',') : '*'}`, namespace: 'direct-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'direct-builtin' }, (args) => {
      const [id, list] = args.path.split('#');
      const real = process.getBuiltinModule(id);
      const names = list === '*' ? Object.keys(real).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k)) : list.split(',').filter(Boolean);
      return {
        contents: [
          `const m = process.getBuiltinModule(${JSON.stringify(id)});`,
          `export default m;`,
          names.length ? `export const { ${names.join(', ')} } = m;` : '',
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

// Content-hashed chunk names: the folder is emptied first, so that no stale one stays beside them.
fs.rmSync(path.join(dist, 'cli'), { recursive: true, force: true });
const cli = await build({
  ...common,
  entryPoints: { dcmget: path.join(ROOT, 'src', 'cli', 'run.ts') },
  outdir: path.join(dist, 'cli'),
  outExtension: { '.js': '.mjs' },
  // run.ts's import('./main.ts') becomes a module of its own, loaded only for a run; code both
  // need goes to a third. Content-hashed names: bin/dcmget.js keys each one's code cache by its
  // name, so a stale cache is never taken for the current code. esbuild splits ES modules only;
  // each is made a CommonJS one below.
  splitting: true,
  chunkNames: '[name]-[hash]',
  format: 'esm',
  write: false,
  // What import.meta.url was: each module's own URL (vendored.ts finds dist/vendor/ from it), from
  // the __filename that Node's CommonJS loader and bin/dcmget.js both give it; made at first use,
  // since node:url's first pathToFileURL() costs ~0.8 ms.
  define: { 'import.meta.url': '__dcmgetModule.url' },
  banner: { js: 'var __dcmgetModule = { get url() { return process.getBuiltinModule("node:url").pathToFileURL(__filename).href; } };' },
  plugins: [lazyBuiltins, directBuiltins],
});
fs.mkdirSync(path.join(dist, 'cli'), { recursive: true });
for (const out of cli.outputFiles) await writeScript(out);

/**
 * One module of the command line as a CommonJS module, for bin/dcmget.js to compile with node:vm
 * (`node dist/cli/dcmget.cjs` runs it too, with no code cache of dcmget's own): a vm.Script's code
 * cache can be made after a run, so that it holds the functions a run called and no others (~1/3
 * smaller than one made at compile time with every function compiled; a retrieve ~2.5 ms quicker
 * to start: bench/README.md, "Phase 8"). Its imports of the other modules, static or dynamic,
 * become require() calls of their .cjs names, which the launcher serves.
 *
 * ASCII only. esbuild escapes what is not ASCII in strings, but a comment it keeps (a class
 * field's, for one) may still hold a "…"; and V8 holds a source with any character past
 * Latin-1 as two bytes per character: a second copy's worth of the engine (~0.35 MB) on the heap
 * for the whole run. Escaped, the character reads the same in a comment, a string or a regex.
 */
async function writeScript(out) {
  const { code } = await transform(out.text, { format: 'cjs', loader: 'js', platform: 'node', target: 'node22', legalComments: 'eof' });
  // Strict, as the ES module it was: a CommonJS module is sloppy unless it says otherwise.
  const text = `"use strict";\n${code}`
    .replace(/require\("\.\/([\w-]+)\.mjs"\)/g, 'require("./$1.cjs")')
    .replace(/\bimport\("\.\/([\w-]+)\.mjs"\)/g, 'Promise.resolve().then(() => require("./$1.cjs"))')
    .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (/(?:require|import)\("\.\/[\w-]+\.mjs"\)/.test(text)) throw new Error(`bundle: ${out.path} still names an ES module`);
  fs.writeFileSync(out.path.replace(/\.mjs$/, '.cjs'), text);
}

// Each vendored package: an entry that names what dcmget uses of it.
const VENDORED = {
  dcmjs: "export { data, log } from 'dcmjs';",
  'cli-progress': "module.exports = require('cli-progress');",
};
const vendored = [];
for (const [name, contents] of Object.entries(VENDORED)) {
  vendored.push(await build({
    ...common,
    stdin: { contents, resolveDir: ROOT, sourcefile: `vendor-${name}.js` },
    outfile: path.join(dist, 'vendor', `${name}.cjs`),
    format: 'cjs',
  }));
}

/** The package a bundled input file belongs to, by its node_modules path. */
function packageOf(input) {
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m?.[1];
}

/**
 * The packages whose code is in the bundles: those esbuild read files from, and the dependencies
 * each declares (a package shipped prebuilt, such as dcmjs, carries its own dependencies inside).
 */
function bundledPackages(results) {
  const names = new Set();
  const add = (name) => {
    if (names.has(name)) return;
    names.add(name);
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
    for (const dep of Object.keys(manifest.dependencies ?? {})) add(dep);
  };
  for (const r of results) for (const input of Object.keys(r.metafile.inputs)) {
    const name = packageOf(input);
    if (name) add(name);
  }
  return [...names].sort();
}

function licenseText(name) {
  const dir = path.join(ROOT, 'node_modules', name);
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)([.-]|$)/i.test(f));
  if (!file) throw new Error(`bundle: ${name} has no licence file to ship with its code`);
  return fs.readFileSync(path.join(dir, file), 'utf8').trim();
}

const sections = bundledPackages([cli, ...vendored]).map((name) => {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8'));
  return `## ${name} ${manifest.version} (${manifest.license})\n\n\`\`\`\n${licenseText(name)}\n\`\`\``;
});
fs.writeFileSync(path.join(dist, 'THIRD-PARTY-LICENSES.md'), `# Third-party licences\n\ndcmget's bundles (dist/cli/, dist/vendor/) contain code of these packages.\n\n${sections.join('\n\n')}\n`);
