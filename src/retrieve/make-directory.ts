// mkdir -p that reports the real reason: Node's recursive mkdir turns EROFS (and others) into
// ENOENT (nodejs/node#47098), which would send a user looking for a missing parent folder.
import fs from 'node:fs/promises';
import path from 'node:path';

export async function makeDirectory(dir: string): Promise<void> {
  const absolute = path.resolve(dir);
  const missing: string[] = [];
  let at = absolute;
  for (;;) {
    try {
      const st = await fs.stat(at);
      if (!st.isDirectory()) {
        const e: NodeJS.ErrnoException = new Error(`${at} is not a directory`);
        e.code = 'ENOTDIR';
        throw e;
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.push(at);
      const parent = path.dirname(at);
      if (parent === at) break;
      at = parent;
    }
  }
  for (const d of missing.reverse()) {
    try {
      await fs.mkdir(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Fails now, with the real reason, if files cannot be created in `dir` (read-only, no permission). */
export async function probeWritable(dir: string): Promise<void> {
  const probe = path.join(dir, `.dcmget-probe-${process.pid}`);
  const h = await fs.open(probe, 'wx');
  await h.close();
  await fs.rm(probe, { force: true });
}
