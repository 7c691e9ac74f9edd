// Temporary files made ahead of need. Creating a file is a directory update that took up to a
// millisecond on the benchmark machine's journal-less ext4 (bench/README.md), and takes a round
// trip on a network filesystem: time the SCP would spend waiting for our C-STORE-RSP, since it
// sends nothing more until then (PS3.7 9.1.1, no Asynchronous Operations Window). So the next
// instance's temporary file is created right after an answer has gone out (refill), while the
// SCP reads and sends the next instance, and an instance starts with a ready descriptor. It is
// created on the event loop, not the thread pool: that would add a thread hand-off and, on two
// cores, a third thread competing with the SCP and the event loop (measured: more futex calls per
// instance than system calls of our own).
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
  /** Every name but its sequence number. */
  private readonly prefix: string;
  /** How many files to keep created in advance once the first one was taken (0: none). */
  ahead: number;
  private readonly ready: TempFile[] = [];
  private disposed = false;
  private taken = false;

  constructor(root: string, ahead = 1) {
    this.prefix = path.join(root, `.dcmget-${process.pid}-`);
    this.ahead = ahead;
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

  private nextPath(): string {
    return `${this.prefix}${++sequence}.part`;
  }

  /** 'wx': never follows or replaces anything already there (the name is ours, pid and sequence). */
  private createNow(): TempFile {
    const p = this.nextPath();
    return { path: p, fd: fs.openSync(p, 'wx') };
  }
}

function discard(file: TempFile): void {
  try { fs.closeSync(file.fd); } catch { /* already closed */ }
  rmQuietly(file.path);
}

function rmQuietly(p: string): void {
  try { fs.rmSync(p, { force: true }); } catch { /* nothing to remove */ }
}
