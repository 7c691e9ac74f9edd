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
// V8's code cache on disk (Node >= 22.1): dcmjs alone takes ~120 ms to compile at every start.
// node:module through process.getBuiltinModule (Node >= 22.3), not import(): no module facade.
try {
  process.getBuiltinModule('node:module').enableCompileCache?.();
} catch {
  // No cache (read-only home, odd platform): only slower.
}
// The command line bundled (scripts/bundle.mjs): ~40 ms less at every start. Compiled whole, not
// function by function as first called (V8's --no-lazy, until the bundle's first line sets --lazy
// back): the code cache above is made right after the compile, so only then does it hold the
// functions a start runs, which it would otherwise compile anew every time (a one-study retrieve:
// ~9 ms less; ~2 MB more RSS). src/cli/run.ts does the same for the engine a run loads.
const v8 = process.getBuiltinModule('node:v8');
v8.setFlagsFromString('--no-lazy');
// No TurboFan, V8's top compiler tier: a retrieve's JavaScript is a small hot path that waits on
// the network or the disk, and Maglev, the tier below, compiles it well enough. Without TurboFan
// the process holds ~6 MB less (its compile zones and code), spends less CPU compiling beside the
// PACS, and is no slower (bench/README.md, "Phase 7": D at 2 ms, A and B on loopback). Read at
// each tier-up decision, so it takes effect here; --max-opt would not (fixed when Node starts).
// V8 has had --turbofan since 10.x (Node 22 ships 12.4).
v8.setFlagsFromString('--no-turbofan');
import('../dist/cli/dcmget.mjs');
