// Temporary files made ahead of need. Creating a file is a directory update that took up to a
// millisecond on the benchmark machine's journal-less ext4 (bench/README.md), and takes a round
// trip on a network filesystem: time the SCP would spend waiting for our C-STORE-RSP, since it
// sends nothing more until then (PS3.7 9.1.1, no Asynchronous Operations Window). So the next
// instance's temporary file is created right after an answer has gone out (refill), while the
// SCP reads and sends the next instance, and an instance starts with a ready descriptor. It is
// created on the event loop, not the thread pool: that would add a thread hand-off and, on two
// cores, a third thread competing with the SCP and the event loop (measured: more futex calls per
// instance than system calls of our own).
//
// Names: `.dcmget-<random>-<n>.part`. The random part (randomPart(), drawn once per TempFiles and
// again on a collision) keeps apart processes of one host, of hosts sharing the folder, and of PID
// namespaces where every run is PID 1; a name taken already (EEXIST) draws a new one. A run killed
// before its cleanup leaves its files behind: the next run in that folder removes those older than
// STALE_AGE_MS (removeStaleTempFiles).
import fs from 'node:fs';
import path from 'node:path';

export interface TempFile {
  path: string;
  fd: number;
}

/**
 * 64 random bits as 16 hex digits: two runs drawing the same part is as likely as 2^-64 per pair.
 * From Math.random (V8 seeds it from the system's entropy in every process), not node:crypto:
 * the name needs to be unlikely to collide, not secret ('wx' settles any collision), and loading
 * node:crypto cost ~5 ms of every start (bench/README.md "Start-up").
 */
export function randomPart(): string {
  const half = () => Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0');
  return half() + half();
}
/** Names drawn in a row, each found taken, before the failure is reported. */
const MAX_ATTEMPTS = 8;
const TEMP_NAME = /^\.dcmget-.+\.part$/;

/**
 * A temporary file is stale after a day without a write. A live run writes its file as each
 * fragment arrives and makes the next one only after an answer, so its files are never that old;
 * a day leaves room for a slow archive, for clocks that differ between hosts sharing a folder,
 * and for a user who looks at what a killed run left before the next one clears it.
 */
export const STALE_AGE_MS = 24 * 60 * 60 * 1000;

let sequence = 0;
const open = new Set<TempFiles>();

// A process that exits (a second Ctrl-C, an error) must leave no temporary file behind.
process.on('exit', () => {
  for (const files of open) files.dispose();
});

export class TempFiles {
  private readonly root: string;
  /** Every name but its sequence number: drawn again when a name is found taken. */
  private prefix: string;
  /** How many files to keep created in advance once the first one was taken (0: none). */
  ahead: number;
  private readonly ready: TempFile[] = [];
  private disposed = false;
  private taken = false;

  constructor(root: string, ahead = 1) {
    this.root = root;
    this.prefix = this.drawPrefix();
    this.ahead = ahead;
  }

  private drawPrefix(): string {
    return path.join(this.root, `.dcmget-${randomPart()}-`);
  }

  /** A new, empty, open temporary file; throws as open(2) does when none can be made. */
  take(): TempFile {
    this.taken = true;
    return this.ready.shift() ?? this.createNow();
  }

  /**
   * Makes files in advance, up to `ahead`, once a first one was taken (a retrieve that stores
   * nothing makes none). Call it when the SCP is busy: right after a C-STORE-RSP went out.
   */
  refill(): void {
    if (this.disposed || !this.taken) return;
    open.add(this);
    try {
      while (this.ready.length < this.ahead) this.ready.push(this.createNow());
    } catch {
      // Left to take(): its own open reports the failure for the instance at hand.
    }
  }

  /** Closes and removes the files made in advance and not taken. Synchronous: it runs at exit too. */
  dispose(): void {
    this.disposed = true;
    open.delete(this);
    for (const file of this.ready.splice(0)) discard(file);
  }

  /** 'wx': never follows or replaces anything already there; a name taken means a new random part. */
  private createNow(): TempFile {
    for (let attempt = 1; ; attempt++) {
      const p = `${this.prefix}${++sequence}.part`;
      try {
        return { path: p, fd: fs.openSync(p, 'wx') };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt === MAX_ATTEMPTS) throw err;
        this.prefix = this.drawPrefix();
      }
    }
  }
}

/**
 * Removes the `.dcmget-*.part` files directly in `dir` not written for `maxAgeMs` (left by runs
 * that were killed), and returns their paths. Never follows a link; a file it cannot remove (or
 * a folder it cannot read) is left alone: the run goes on.
 */
export function removeStaleTempFiles(dir: string, maxAgeMs = STALE_AGE_MS): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => TEMP_NAME.test(n));
  } catch {
    return removed;
  }
  const before = Date.now() - maxAgeMs;
  for (const name of names) {
    const p = path.join(dir, name);
    try {
      const st = fs.lstatSync(p);
      if (!st.isFile() || st.mtimeMs > before) continue;
      fs.unlinkSync(p);
      removed.push(p);
    } catch {
      // Gone already (another run cleaning up), or not ours to remove.
    }
  }
  return removed;
}

function discard(file: TempFile): void {
  try { fs.closeSync(file.fd); } catch { /* already closed */ }
  rmQuietly(file.path);
}

function rmQuietly(p: string): void {
  try { fs.rmSync(p, { force: true }); } catch { /* nothing to remove */ }
}
