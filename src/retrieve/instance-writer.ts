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

export class InstanceWriter implements DatasetSink {
  readonly tempPath: string;
  private readonly options: InstanceWriterOptions;
  private readonly headBytes: number;
  private readonly highWaterMark: number;
  private fd: number | undefined;
  private opening: Promise<number>;
  private block: Buffer;
  private fill = 0;
  /** Bytes copied out of the socket and not yet on disk: the backpressure measure. */
  private queued = 0;
  private position = 0;
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
    // A plain descriptor, not a FileHandle (which would close itself on garbage collection).
    this.opening = new Promise<number>((resolve, reject) => {
      fs.open(this.tempPath, 'wx', (err, fd) => {
        if (err) return reject(err);
        this.fd = fd;
        resolve(fd);
      });
    });
    this.opening.catch((err: NodeJS.ErrnoException) => this.onError(err));
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

  private flushBlock(): void {
    if (this.fill === 0) return;
    const block = this.block;
    const length = this.fill;
    const position = this.position;
    this.position += length;
    this.block = takeBlock();
    this.fill = 0;
    this.writes = this.writes.then(async () => {
      try {
        if (this.failure || this.aborted) return;
        const fd = this.fd ?? (await this.opening);
        let done = 0;
        while (done < length) {
          const { bytesWritten } = await writeAt(fd, block, done, length - done, position + done);
          done += bytesWritten;
        }
      } catch (err) {
        this.onError(err as NodeJS.ErrnoException);
      } finally {
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
    this.flushBlock();
    giveBlock(this.block);
    const head = this.headLength > 0 ? Buffer.concat(this.head, this.headLength) : undefined;
    this.head = [];
    void this.writes.then(async () => {
      if (this.failure || this.aborted) return;
      try {
        const mismatch = syntaxMismatch(head, this.options.meta.transferSyntaxUid);
        if (mismatch) throw Object.assign(new Error(mismatch), { code: undefined, syntax: true });
        const fd = this.fd ?? (await this.opening);
        if (this.options.fsync) await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
        await new Promise<void>((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())));
        this.fd = undefined;
        if (this.aborted) return;
        const placed = await this.place(head);
        if (this.options.fsync && !placed.skipped) await fsyncDirectory(path.dirname(placed.path));
        this.settled = true;
        this.options.onDone({
          ok: true,
          instance: { path: placed.path, dataSetBytes: this.dataSetBytes, fileBytes: this.headerBytes + this.dataSetBytes, skipped: placed.skipped },
        });
      } catch (err) {
        this.onError(err as NodeJS.ErrnoException);
      }
    });
  }

  /** Moves the complete temporary file to its final name, as --on-exists says. */
  private async place(head: Buffer | undefined): Promise<{ path: string; skipped: boolean }> {
    const finalPath = resolveInside(this.options.root, this.options.finalName(head));
    await makeDirectory(path.dirname(finalPath));
    if (this.options.onExists === 'overwrite') {
      await fs.promises.rename(this.tempPath, finalPath);
      return { path: finalPath, skipped: false };
    }
    // link() never replaces an existing file, so "exists" is decided atomically.
    const ext = path.extname(finalPath);
    const stem = finalPath.slice(0, finalPath.length - ext.length);
    for (let n = 0; ; n++) {
      const candidate = n === 0 ? finalPath : `${stem}-${n}${ext}`;
      try {
        await fs.promises.link(this.tempPath, candidate);
        await fs.promises.rm(this.tempPath, { force: true });
        return { path: candidate, skipped: false };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (this.options.onExists === 'skip') {
          await fs.promises.rm(this.tempPath, { force: true });
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
    try {
      fs.rmSync(this.tempPath, { force: true });
    } catch {
      // Nothing to remove yet; the open below cleans up when it lands.
    }
    void this.opening.then((fd) => {
      fs.close(fd, () => fs.rm(this.tempPath, { force: true }, () => {}));
    }, () => {});
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
    // Make sure the temporary file is gone before the failure is reported.
    const fd = this.fd;
    this.fd = undefined;
    const remove = () => fs.rm(this.tempPath, { force: true }, () => this.options.onDone({ ok: false, failure: this.failure! }));
    if (fd !== undefined) fs.close(fd, remove);
    else void this.opening.then((d) => fs.close(d, remove), remove);
  }
}

function writeAt(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }> {
  return new Promise((resolve, reject) => {
    fs.write(fd, buffer, offset, length, position, (err, bytesWritten) => (err ? reject(err) : resolve({ bytesWritten })));
  });
}

/** So that the rename itself survives a power cut (--fsync). */
async function fsyncDirectory(dir: string): Promise<void> {
  try {
    const h = await fs.promises.open(dir, 'r');
    await h.sync().catch(() => {});
    await h.close();
  } catch {
    // A directory that cannot be opened for fsync (some filesystems): the rename stands.
  }
}
