// The disk limit: write files of the workload's names and sizes into a fresh
// folder, from memory, with plain write(2) calls of 1 MiB and no fsync (as
// dcmget without --fsync and getscu do). No network, no parsing: the time a
// receiver can not beat on this disk, start-up of a node process included.
//
//   node bench/disk-write.ts <workload.json> <output dir>

import fs from 'node:fs';
import path from 'node:path';

const [manifest, out] = process.argv.slice(2);
if (!manifest || !out) {
  console.error('usage: node bench/disk-write.ts <workload.json> <output dir>');
  process.exit(2);
}
const { files } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { files: { file: string; bytes: number }[] };
fs.mkdirSync(out, { recursive: true });
const chunk = Buffer.alloc(1 << 20, 0x5a);
for (const f of files) {
  const fd = fs.openSync(path.join(out, path.basename(f.file)), 'w');
  let left = f.bytes;
  while (left > 0) {
    const n = fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    left -= n;
  }
  fs.closeSync(fd);
}
