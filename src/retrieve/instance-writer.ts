// DESIGN.md "Nothing half-written looks finished": one C-STORE sub-operation's data set streams
// to a temporary file in the output folder, behind the Part 10 header built from the C-STORE-RQ,
// and is moved to its final name only when its last byte is written (and flushed with --fsync).
// Only then is the C-STORE-RSP Success sent (PS3.4 B.2.3). Failures remove the temporary file.
import fs from 'node:fs';
import path from 'node:path';
import type { DatasetSink, Flow } from '../dimse/channel.ts';
import { encodeFileMetaInformation, type FileMetaInformation } from '../dicom/part10.ts';
import { resolveInside } from './output-path.ts';
import { makeDirectory } from './make-directory.ts';
import { BLOCK_SIZE, giveBlock, takeBlock } from './block-pool.ts';
import { syntaxMismatch } from './syntax-check.ts';

export type OnExists = 'overwrite' | 'skip' | 'rename' | 'fail';

export interface WrittenInstance {
  path: string;
  /** Bytes of the data set as received (the file adds its Part 10 header). */
  dataSetBytes: number;
  fileBytes: number;
  /** --on-exists skip found the file there already; the received copy was dropped. */
  skipped: boolean;
}

export interface WriteFailure {
  /** PS3.4 B.2.3: 0xA700 out of resources (disk full), 0xC000-range otherwise. */
  status: number;
  message: string;
  error: NodeJS.ErrnoException | undefined;
}

export type WriteOutcome = { ok: true; instance: WrittenInstance } | { ok: false; failure: WriteFailure };

export interface InstanceWriterOptions {
  /** The output folder: the temporary file is made here, and the final path must stay inside it. */
  root: string;
  /** The final path relative to root; called once the data set is complete, with its head. */
  finalName(head: Buffer | undefined): string;
  /** How many bytes of the data set's head finalName needs (0: none). */
  headBytes: number;
  onExists: OnExists;
  meta: FileMetaInformation;
  flow: Flow;
  fsync: boolean;
  /** Queue size before the socket is paused. */
  highWaterMark?: number | undefined;
  onDone(outcome: WriteOutcome): void;
}

let sequence = 0;

/** Out of space or quota: the standard's "out of resources" (PS3.4 B.2.3 0xA7xx). */
const OUT_OF_RESOURCES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'ENOMEM', 'EMFILE', 'ENFILE']);
export const STATUS_OUT_OF_RESOURCES = 0xa700;
/** PS3.4 B.2.3: "Cannot understand" is the 0xC000-range failure left for local trouble. */
export const STATUS_CANNOT_STORE = 0xc000;

/** Bytes of the data set's head always kept: the syntax check needs its first element. */
const CHECK_HEAD_BYTES = 16;

/**
 * The write path, measured against DCMTK getscu (bench/): every thread-pool round trip between
 * an instance's last fragment and its C-STORE-RSP is time the SCP waits. So full 1 MiB blocks go
 * to disk asynchronously while the data set keeps arriving (a large instance never stalls the
 * socket on the disk), and the end of an instance (the last partial block, close, rename) is done
 * with synchronous calls that take microseconds on a local disk: an instance smaller than a block
 * costs no thread-pool round trip at all.
 */
export class InstanceWriter implements DatasetSink {
  readonly tempPath: string;
  private readonly options: InstanceWriterOptions;
  private readonly headBytes: number;
  private readonly highWaterMark: number;
  private fd: number | undefined;
  private block: Buffer;
  private fill = 0;
  /** Bytes copied out of the socket and not yet on disk: the backpressure measure. */
  private queued = 0;
  private position = 0;
  private inFlight = 0;
  private writes: Promise<void> = Promise.resolve();
  private dataSetBytes = 0;
  private readonly headerBytes: number;
  private head: Buffer[] = [];
  private headLength = 0;
  private failure: WriteFailure | undefined;
  private settled = false;
  private aborted = false;
  private ended = false;
  private waitingDrain = false;

  constructor(options: InstanceWriterOptions) {
    this.options = options;
    this.headBytes = Math.max(options.headBytes, CHECK_HEAD_BYTES);
    this.highWaterMark = options.highWaterMark ?? 4 * BLOCK_SIZE;
    this.tempPath = path.join(options.root, `.dcmget-${process.pid}-${++sequence}.part`);
    this.block = takeBlock();
    const header = encodeFileMetaInformation(options.meta);
    this.headerBytes = header.length;
    this.copy(header);
  }

  write(chunk: Buffer): boolean {
    this.dataSetBytes += chunk.length;
    if (this.headLength < this.headBytes) {
      const part = Buffer.from(chunk.subarray(0, this.headBytes - this.headLength));
      this.head.push(part);
      this.headLength += part.length;
    }
    if (this.failure || this.aborted) return true; // discard the rest; the failure is answered at the end
    this.copy(chunk);
    if (this.queued >= this.highWaterMark) {
      this.waitingDrain = true;
      return false;
    }
    return true;
  }

  /** Copies into the current block; a full block goes to disk. The chunk is not kept. */
  private copy(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      const n = chunk.copy(this.block, this.fill, offset);
      this.fill += n;
      offset += n;
      this.queued += n;
      if (this.fill === this.block.length) this.flushBlock();
    }
  }

  /** 'wx': never follows or replaces anything already there (the name is ours, pid and sequence). */
  private openFile(): number {
    this.fd ??= fs.openSync(this.tempPath, 'wx');
    return this.fd;
  }

  private flushBlock(): void {
    if (this.fill === 0 || this.failure) return;
    const block = this.block;
    const length = this.fill;
    const position = this.position;
    this.position += length;
    this.block = takeBlock();
    this.fill = 0;
    let fd: number;
    try {
      fd = this.openFile();
    } catch (err) {
      giveBlock(block);
      this.queued -= length;
      this.onError(err as NodeJS.ErrnoException);
      return;
    }
    this.inFlight++;
    this.writes = this.writes.then(async () => {
      try {
        if (this.failure || this.aborted) return;
        let done = 0;
        while (done < length) done += await writeAt(fd, block, done, length - done, position + done);
      } catch (err) {
        this.onError(err as NodeJS.ErrnoException);
      } finally {
        this.inFlight--;
        giveBlock(block);
        this.queued -= length;
        if (this.waitingDrain && this.queued < this.highWaterMark / 2) {
          this.waitingDrain = false;
          this.options.flow.resume();
        }
      }
    });
  }

  end(): void {
    this.ended = true;
    if (this.failure) {
      this.settle();
      return;
    }
    const head = this.headLength > 0 ? Buffer.concat(this.head, this.headLength) : undefined;
    this.head = [];
    const mismatch = syntaxMismatch(head, this.options.meta.transferSyntaxUid);
    if (mismatch) {
      this.onError(Object.assign(new Error(mismatch), { code: undefined, syntax: true }));
      return;
    }
    const finish = () => {
      if (this.failure || this.aborted) return;
      try {
        const fd = this.openFile();
        // The last partial block, synchronously: small, and the SCP is waiting for our answer.
        let done = 0;
        while (done < this.fill) done += fs.writeSync(fd, this.block, done, this.fill - done, this.position + done);
        this.position += this.fill;
        this.queued -= this.fill;
        this.fill = 0;
        giveBlock(this.block);
        if (this.options.fsync) fs.fsyncSync(fd);
        fs.closeSync(fd);
        this.fd = undefined;
        const placed = this.place(head);
        if (this.options.fsync && !placed.skipped) fsyncDirectory(path.dirname(placed.path));
        this.settled = true;
        const outcome: WriteOutcome = {
          ok: true,
          instance: { path: placed.path, dataSetBytes: this.dataSetBytes, fileBytes: this.headerBytes + this.dataSetBytes, skipped: placed.skipped },
        };
        // Answer from a clean stack, not from inside the parser's dispatch of this fragment.
        process.nextTick(() => this.options.onDone(outcome));
      } catch (err) {
        this.onError(err as NodeJS.ErrnoException);
      }
    };
    if (this.inFlight === 0) finish();
    else void this.writes.then(finish);
  }

  /** Moves the complete temporary file to its final name, as --on-exists says. */
  private place(head: Buffer | undefined): { path: string; skipped: boolean } {
    const finalPath = resolveInside(this.options.root, this.options.finalName(head));
    const dir = path.dirname(finalPath);
    if (dir !== path.resolve(this.options.root)) makeDirectory(dir);
    if (this.options.onExists === 'overwrite') {
      fs.renameSync(this.tempPath, finalPath);
      return { path: finalPath, skipped: false };
    }
    // link() never replaces an existing file, so "exists" is decided atomically.
    const ext = path.extname(finalPath);
    const stem = finalPath.slice(0, finalPath.length - ext.length);
    for (let n = 0; ; n++) {
      const candidate = n === 0 ? finalPath : `${stem}-${n}${ext}`;
      try {
        fs.linkSync(this.tempPath, candidate);
        fs.rmSync(this.tempPath, { force: true });
        return { path: candidate, skipped: false };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (this.options.onExists === 'skip') {
          fs.rmSync(this.tempPath, { force: true });
          return { path: candidate, skipped: true };
        }
        if (this.options.onExists === 'fail') {
          const e: NodeJS.ErrnoException = new Error(`${candidate} exists (--on-exists fail)`);
          e.code = 'EEXIST';
          throw e;
        }
        if (n > 10_000) throw err;
      }
    }
  }

  abort(): void {
    if (this.settled) return;
    this.aborted = true;
    this.settled = true;
    this.options.flow.resume();
    // Synchronously: an abort is often followed by process exit, which must find nothing half-written.
    this.closeQuietly();
    try {
      fs.rmSync(this.tempPath, { force: true });
    } catch {
      // Nothing to remove.
    }
  }

  private closeQuietly(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    // Writes still in flight hold the descriptor: close once they are done.
    if (this.inFlight === 0) {
      try { fs.closeSync(fd); } catch { /* already gone */ }
    } else {
      void this.writes.then(() => fs.close(fd, () => {}));
    }
  }

  private onError(err: NodeJS.ErrnoException & { syntax?: boolean }): void {
    if (this.failure || this.aborted) return;
    const outOfResources = OUT_OF_RESOURCES.has(err.code ?? '');
    this.failure = {
      status: outOfResources ? STATUS_OUT_OF_RESOURCES : STATUS_CANNOT_STORE,
      // Node's messages start with the code already ("ENOSPC: no space left on device, write").
      message: err.code === 'EEXIST' || err.syntax ? err.message : `cannot write ${this.tempPath}: ${err.message}`,
      error: err.syntax ? undefined : err,
    };
    if (this.waitingDrain) {
      this.waitingDrain = false;
      this.options.flow.resume();
    }
    // If the data set already ended, answer now; otherwise end() will.
    if (this.ended) this.settle();
  }

  private settle(): void {
    if (this.settled || !this.failure) return;
    this.settled = true;
    // The temporary file is gone before the failure is reported.
    this.closeQuietly();
    void this.writes.then(() => fs.rm(this.tempPath, { force: true }, () => this.options.onDone({ ok: false, failure: this.failure! })));
  }
}

function writeAt(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.write(fd, buffer, offset, length, position, (err, bytesWritten) => (err ? reject(err) : resolve(bytesWritten)));
  });
}

/** So that the rename itself survives a power cut (--fsync). */
function fsyncDirectory(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
  } catch {
    // A directory that cannot be opened for fsync (some filesystems): the rename stands.
  }
}
