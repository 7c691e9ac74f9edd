// Temporary files made ahead of need. Creating a file is a directory update that took up to a
// millisecond per file on the benchmark's ext4 disk (bench/README.md): time the SCP spends
// waiting for our C-STORE-RSP, since it sends nothing more until then (PS3.7 9.1.1, no
// Asynchronous Operations Window). So the temporary files of the next instances are created on
// the thread pool while the current one arrives, and an instance starts with a ready descriptor.
import fs from 'node:fs';
import path from 'node:path';

export interface TempFile {
  path: string;
  fd: number;
}

let sequence = 0;
const open = new Set<TempFiles>();

// A process that exits (a second Ctrl-C, an error) must leave no temporary file behind.
process.on('exit', () => {
  for (const files of open) files.dispose();
});

export class TempFiles {
  private readonly root: string;
  /** How many files to keep created in advance once the first one was taken (0: none). */
  ahead: number;
  private readonly ready: TempFile[] = [];
  private readonly creating = new Set<string>();
  private disposed = false;
  private refillQueued = false;

  constructor(root: string, ahead = 2) {
    this.root = root;
    this.ahead = ahead;
  }

  /** A new, empty, open temporary file; throws as open(2) does when none can be made. */
  take(): TempFile {
    const file = this.ready.shift() ?? this.createNow();
    // Not now: this instance is about to be written, closed and renamed in the same folder, and a
    // create beside it contends for the folder's lock and the CPU. After the C-STORE-RSP has gone
    // out (setImmediate runs after this turn's I/O), the SCP is busy and we are idle.
    if (!this.refillQueued) {
      this.refillQueued = true;
      setImmediate(() => {
        this.refillQueued = false;
        this.refill();
      });
    }
    return file;
  }

  /** Closes and removes the files made in advance and not taken. Synchronous: it runs at exit too. */
  dispose(): void {
    this.disposed = true;
    open.delete(this);
    for (const file of this.ready.splice(0)) discard(file);
    // An open(2) still on the thread pool: its file is removed when it lands (or here, if it did).
    for (const p of this.creating) rmQuietly(p);
  }

  private nextPath(): string {
    return path.join(this.root, `.dcmget-${process.pid}-${++sequence}.part`);
  }

  /** 'wx': never follows or replaces anything already there (the name is ours, pid and sequence). */
  private createNow(): TempFile {
    const p = this.nextPath();
    return { path: p, fd: fs.openSync(p, 'wx') };
  }

  private refill(): void {
    if (this.disposed) return;
    open.add(this);
    while (this.ready.length + this.creating.size < this.ahead) {
      const p = this.nextPath();
      this.creating.add(p);
      fs.open(p, 'wx', (err, fd) => {
        this.creating.delete(p);
        // A failure here is left to take(): its synchronous open reports it for the instance at hand.
        if (err) return;
        if (this.disposed) discard({ path: p, fd });
        else this.ready.push({ path: p, fd });
      });
    }
  }
}

function discard(file: TempFile): void {
  try { fs.closeSync(file.fd); } catch { /* already closed */ }
  rmQuietly(file.path);
}

function rmQuietly(p: string): void {
  try { fs.rmSync(p, { force: true }); } catch { /* nothing to remove */ }
}
