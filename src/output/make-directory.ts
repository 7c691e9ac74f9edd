// mkdir -p that reports the real reason: Node's recursive mkdir turns EROFS (and others) into
// ENOENT (nodejs/node#47098), which would send a user looking for a missing parent folder.
// Synchronous: it runs once per retrieve and once per new folder of a --layout.
import fs from 'node:fs';
import path from 'node:path';
import { randomPart } from './temp-files.ts';

/** Folders known to exist already (a layout puts many files in each). */
const made = new Set<string>();

export function makeDirectory(dir: string): void {
  const absolute = path.resolve(dir);
  if (made.has(absolute)) return;
  try {
    if (!fs.statSync(absolute).isDirectory()) {
      const e: NodeJS.ErrnoException = new Error(`${absolute} is not a directory`);
      e.code = 'ENOTDIR';
      throw e;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const parent = path.dirname(absolute);
    if (parent !== absolute) makeDirectory(parent);
    try {
      fs.mkdirSync(absolute);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  made.add(absolute);
}

/** Fails now, with the real reason, if files cannot be created in `dir` (read-only, no permission). */
export function probeWritable(dir: string): void {
  // A random name, not the PID: PIDs repeat across containers and reruns, and a probe left by a
  // run killed at that instant must not block the next one.
  const probe = path.join(dir, `.dcmget-probe-${randomPart()}`);
  fs.closeSync(fs.openSync(probe, 'wx'));
  fs.rmSync(probe, { force: true });
}
