#!/usr/bin/env node
// dcmget needs Node.js 22.13 or newer (package.json "engines"; dcmjs, bundled in, asks as much);
// say so plainly instead of failing on syntax (so no syntax here that an old Node.js cannot parse:
// no top-level await). Exit 2, the "usage or environment error" of the exit-code table
// (src/cli/exit-codes.ts): an old Node.js is not a bug in dcmget (1).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`dcmget: Node.js ${process.versions.node} is too old; install Node.js 22.13 or newer\n`);
  process.exit(2);
}
import('node:module').then(({ enableCompileCache }) => {
  // V8's code cache on disk (Node >= 22.1): dcmjs alone takes ~120 ms to compile at every start.
  try {
    if (enableCompileCache) enableCompileCache();
  } catch {
    // No cache (read-only home, odd platform): only slower.
  }
  // The command line bundled into one module (scripts/bundle.mjs): ~40 ms less at every start.
  return import('../dist/cli/dcmget.mjs');
});
