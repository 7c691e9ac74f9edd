#!/usr/bin/env node
// dcmget needs Node.js 22.13 or newer (package.json "engines"; dcmjs, bundled in, asks as much);
// say so plainly instead of failing on syntax.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(`dcmget: Node.js ${process.versions.node} is too old; install Node.js 22.13 or newer\n`);
  process.exit(1);
}
// V8's code cache on disk (Node >= 22.1): dcmjs alone takes ~120 ms to compile at every start.
const { enableCompileCache } = await import('node:module');
try {
  enableCompileCache?.();
} catch {
  // No cache (read-only home, odd platform): only slower.
}
// The command line bundled into one module (scripts/bundle.mjs): ~40 ms less at every start.
await import('../dist/cli/dcmget.mjs');
