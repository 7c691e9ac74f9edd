// Builds dcmget's bundle of one git revision (or of the working tree) into a directory of its own,
// so that a change can be measured against the code before it in the same shuffled rounds:
//
//   node bench/build-at.ts REV [--out DIR]     e.g. HEAD~1, main, a commit
//   node bench/build-at.ts --worktree [--out DIR]
//
// It prints the launcher's path (DIR/bin/dcmget.js), for `--variant L=@PATH` (npm run bench) or
// `--variant L=PATH` (bench/cpu.ts). The revision's src/, scripts/, bin/ and package.json are
// taken with `git archive` (no worktree, no checkout: the repository is left as it is) into DIR
// (default $TMPDIR/dcmget-at-<commit>), node_modules is linked from this checkout, and its own
// scripts/bundle.mjs builds dist/ there, as `npm run build` does for the command line.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PARTS = ['src', 'scripts', 'bin', 'package.json'];

const { values: opt, positionals } = parseArgs({
  options: { out: { type: 'string' }, worktree: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const rev = positionals[0];
if (!opt.worktree && !rev) {
  console.error('usage: node bench/build-at.ts REV|--worktree [--out DIR]');
  process.exit(2);
}

const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
const commit = opt.worktree ? `${git('rev-parse', '--short', 'HEAD')}-worktree` : git('rev-parse', '--short', `${rev}^{commit}`);
const out = path.resolve(opt.out ?? path.join(os.tmpdir(), `dcmget-at-${commit}`));
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
if (opt.worktree) {
  for (const p of PARTS) fs.cpSync(path.join(ROOT, p), path.join(out, p), { recursive: true });
} else {
  const tar = execFileSync('git', ['archive', '--format=tar', commit, ...PARTS], { cwd: ROOT, maxBuffer: 256 * 2 ** 20 });
  execFileSync('tar', ['-x', '-C', out], { input: tar });
}
fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
execFileSync(process.execPath, [path.join(out, 'scripts', 'bundle.mjs'), path.join(out, 'dist')], { cwd: out, stdio: ['ignore', 'ignore', 'inherit'] });
fs.writeFileSync(path.join(out, 'BUILT-FROM'), `${commit}\n`);
console.log(path.join(out, 'bin', 'dcmget.js'));
