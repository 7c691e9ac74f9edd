// ARCHITECTURE.md "Nothing half-written looks finished": one C-STORE sub-operation's data set streams
// to a temporary file in the output folder, behind the Part 10 header built from the C-STORE-RQ,
// and is moved to its final name only when its last byte is written (and flushed with --fsync)
// and its structure checked whole (ARCHITECTURE.md "Every data set is checked"). The C-STORE-RSP
// Success (PS3.4 B.2.3) goes out once every byte is in the kernel's hands and its final name is
// decided; the close and the rename follow it (with --fsync, or when the name is not decided
// until the rename, they come first). The file counts as stored only under its final name.
// Failures remove the temporary file.
import fs from 'node:fs';
import path from 'node:path';
import { DataSetStructure } from '../dicom/data-set-structure.ts';
import { checkDeflatedDataSet } from '../dicom/deflated-data-set.ts';
import { encodeFileMetaInformation, type FileMetaInformation } from '../dicom/part10.ts';
import { transferSyntaxByUid } from '../dicom/transfer-syntaxes.ts';
import { absoluteRoot, resolveInside } from './output-path.ts';
import { makeDirectory } from './make-directory.ts';
import type { TempFile } from './temp-files.ts';

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
  /**
   * What the C-STORE-RSP said. PS3.4 B.2.3: 0xA700 out of resources (disk full), 0xC210 a data set
   * not whole, 0xC000 otherwise; 0x0000 when the close or the rename after a Success answer failed.
   */
  status: number;
  message: string;
  error: NodeJS.ErrnoException | undefined;
}

export type WriteOutcome = { ok: true; instance: WrittenInstance } | { ok: false; failure: WriteFailure };

export interface InstanceWriterOptions {
  /** The output folder: the final path must stay inside it. */
  root: string;
  /** The temporary file in root that the data set streams to; taken when the first byte is written. */
  openTemp(): TempFile;
  /**
   * The final path relative to root; called once the data set is complete, with its head, and a
   * way to read up to `length` bytes of the data set back from the file (--layout beyond the head).
   */
  finalName(head: Buffer | undefined, readDataSet: (length: number) => Buffer): string;
  /** How many bytes of the data set's head finalName needs (0: none). */
  headBytes: number;
  onExists: OnExists;
  meta: FileMetaInformation;
  fsync: boolean;
  /**
   * The C-STORE-RSP to send now: Success (no failure) once the data set is whole and every byte
   * written, or the failure to answer. Called once, before onDone, from a clean stack.
   */
  onAnswer(failure: WriteFailure | undefined): void;
  /**
   * Where the instance ended: under its final name, or not (a failure, which may come after a
   * Success answer when the close or the rename that follow it fail). Called once, after onAnswer.
   */
  onDone(outcome: WriteOutcome): void;
}

/** Out of space or quota: the standard's "out of resources" (PS3.4 B.2.3 0xA7xx). */
const OUT_OF_RESOURCES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'ENOMEM', 'EMFILE', 'ENFILE']);
export const STATUS_OUT_OF_RESOURCES = 0xa700;
/** PS3.4 B.2.3: "Cannot understand" is the 0xC000-range failure left for local trouble. */
export const STATUS_CANNOT_STORE = 0xc000;
/**
 * PS3.4 B.2.3 Table B.2-1 "Error: Cannot understand" (0xCxxx): the data set is not one whole data
 * set in its context's transfer syntax. 0xC210 is the code pynetdicom's Storage SCP gives a data
 * set it cannot decode, so a peer's log reads the same for both; 0xC000 stays for local trouble.
 */
export const STATUS_MALFORMED_DATA_SET = 0xc210;

/** Writers whose deflated data set is being checked (after end(), before the answer). */
const checking = new Set<InstanceWriter>();
let exitHook = false;

/**
 * The write path, measured against DCMTK getscu (bench/README.md). The SCP sends nothing while it
 * waits for our C-STORE-RSP, so a thread-pool round trip before the answer is time lost, and a
 * write thread beside the event loop only competes with it for the CPU: queueing 1 MiB copies to
 * the thread pool took twice the kernel time of writing each large PDV fragment straight from the
 * socket's read buffer (10 x 100 MiB from Orthanc: 2.0-2.7 s against 0.9-1.0 s, and 1.2-1.4x
 * the wall time), with --parallel 4 as well. So every write is a synchronous call, as in getscu:
 * the socket waits meanwhile and its kernel buffer keeps the SCP sending. The fragments of one
 * socket read are kept as views of the read buffer, not copied, and go to the file in one pwritev
 * when the channel says that buffer is about to be reused (flush): a read holding several PDVs
 * costs one system call. Memory stays flat: a read is on disk before the next one is taken.
 */
/** Shaped as the DIMSE channel's data set sink (write, flush, end, abort) without depending on it. */
export class InstanceWriter {
  /** Set once the temporary file exists. */
  tempPath: string | undefined;
  private readonly options: InstanceWriterOptions;
  private readonly headBytes: number;
  private fd: number | undefined;
  /** In file order, what is still to be written: the Part 10 header, views of the socket's read buffer. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private position = 0;
  private dataSetBytes = 0;
  private readonly headerBytes: number;
  private head: Buffer[] = [];
  private headLength = 0;
  private failure: WriteFailure | undefined;
  private settled = false;
  private aborted = false;
  /** The structure check, fed as the data set passes; none for a deflated syntax (checked at the end). */
  private readonly structure: DataSetStructure | undefined;

  constructor(options: InstanceWriterOptions) {
    this.options = options;
    this.headBytes = options.headBytes;
    const ts = options.meta.transferSyntaxUid;
    this.structure = transferSyntaxByUid(ts)?.deflated ? undefined : new DataSetStructure(ts);
    const header = encodeFileMetaInformation(options.meta);
    this.headerBytes = header.length;
    this.queue(header);
  }

  write(chunk: Buffer): boolean {
    this.dataSetBytes += chunk.length;
    if (this.headLength < this.headBytes) {
      const part = Buffer.from(chunk.subarray(0, this.headBytes - this.headLength));
      this.head.push(part);
      this.headLength += part.length;
    }
    if (this.failure || this.aborted) return true; // discard the rest; the failure is answered at the end
    this.structure?.write(chunk);
    this.queue(chunk);
    return true;
  }

  /** The channel is about to reuse the read buffer that the queued views point into. */
  flush(): void {
    // The Part 10 header alone is our own buffer, not a view: it waits to leave in the same
    // call as the first fragment (the C-STORE-RQ command often arrives in a read of its own).
    if (this.dataSetBytes === 0) return;
    this.writePending();
  }

  private queue(view: Buffer): void {
    this.pending.push(view);
    this.pendingBytes += view.length;
  }

  /** Writes everything queued at the current position; a failure is kept and answered at the end. */
  private writePending(): void {
    if (this.pendingBytes === 0) return;
    let views = this.pending;
    const total = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.failure) return;
    try {
      const fd = this.openFile();
      let done = 0;
      while (done < total) {
        const n = fs.writevSync(fd, views, this.position + done);
        done += n;
        if (done < total) views = remainder(views, n);
      }
      this.position += total;
    } catch (err) {
      this.onError(err as NodeJS.ErrnoException);
    }
  }

  private openFile(): number {
    if (this.fd === undefined) {
      const temp = this.options.openTemp();
      this.tempPath = temp.path;
      this.fd = temp.fd;
    }
    return this.fd;
  }

  end(): void {
    const head = this.headLength > 0 ? Buffer.concat(this.head, this.headLength) : undefined;
    this.head = [];
    if (!this.failure && this.structure) this.judge(this.structure.end());
    this.writePending();
    if (!this.failure && !this.aborted && !this.structure) {
      this.checkDeflated(head);
      return;
    }
    this.finish(head);
  }

  /** A data set that is not whole fails its sub-operation (ARCHITECTURE.md "Every data set is checked"). */
  private judge(verdict: string | undefined): void {
    if (verdict !== undefined) this.onError(Object.assign(new Error(verdict), { code: undefined, malformed: true }));
  }

  /**
   * A deflated data set is inflated from the complete temporary file (PS3.5 A.5): the socket's
   * read buffer cannot wait for an inflater on the thread pool, and a copy of every fragment
   * queued for it would make memory grow with the instance.
   */
  private checkDeflated(head: Buffer | undefined): void {
    if (!exitHook) {
      exitHook = true;
      // A process that exits meanwhile leaves no temporary file behind.
      process.on('exit', () => { for (const w of checking) w.abort(); });
    }
    checking.add(this);
    const source = fs.createReadStream(this.tempPath!, { start: this.headerBytes, highWaterMark: 64 * 1024 });
    checkDeflatedDataSet(source, this.options.meta.transferSyntaxUid)
      .then((verdict) => this.judge(verdict), (err: unknown) => this.onError(err as NodeJS.ErrnoException))
      .finally(() => {
        checking.delete(this);
        if (!this.aborted) this.finish(head);
      });
  }

  /** Answers a complete, checked temporary file and gives it its final name; or answers the failure. */
  private finish(head: Buffer | undefined): void {
    if (this.failure || this.aborted) {
      this.settle();
      return;
    }
    try {
      if (this.options.fsync || this.options.onExists !== 'overwrite') this.placeThenAnswer(head);
      else this.answerThenPlace(head);
    } catch (err) {
      this.onError(err as NodeJS.ErrnoException);
      this.settle();
    }
  }

  /**
   * The usual case (no --fsync, --on-exists overwrite): the SCP sends nothing until it has our
   * answer, so it goes as soon as the data set is whole in the kernel and its final name and
   * folder are settled; the close and the rename (~0.1 ms an instance, ~2 % of a study at a 2 ms
   * round trip: bench/README.md, "Phase 7") follow it. Without --fsync a Success never meant the
   * file was on disk, only that the kernel had it; a close or rename that fails after it is
   * counted and reported as the failure it is.
   */
  private answerThenPlace(head: Buffer | undefined): void {
    this.openFile();
    const temp = this.tempPath!;
    const finalPath = this.finalPath(head, temp);
    this.settled = true;
    afterThisRead(() => {
      this.options.onAnswer(undefined);
      try {
        this.closeFile();
        fs.renameSync(temp, finalPath);
      } catch (err) {
        this.removeTemp();
        this.options.onDone({ ok: false, failure: failedAfterSuccess(err as NodeJS.ErrnoException, temp, finalPath) });
        return;
      }
      this.options.onDone({ ok: true, instance: this.written(finalPath, false) });
    });
  }

  /** --fsync, or an --on-exists that decides the name by trying it: the file is placed before the answer. */
  private placeThenAnswer(head: Buffer | undefined): void {
    const fd = this.openFile();
    if (this.options.fsync) fs.fsyncSync(fd);
    this.closeFile();
    const placed = this.place(head);
    if (this.options.fsync && !placed.skipped) fsyncDirectory(path.dirname(placed.path));
    this.settled = true;
    const instance = this.written(placed.path, placed.skipped);
    afterThisRead(() => {
      this.options.onAnswer(undefined);
      this.options.onDone({ ok: true, instance });
    });
  }

  private written(filePath: string, skipped: boolean): WrittenInstance {
    return { path: filePath, dataSetBytes: this.dataSetBytes, fileBytes: this.headerBytes + this.dataSetBytes, skipped };
  }

  /** The final path, checked to stay inside the output folder, with its folder made. */
  private finalPath(head: Buffer | undefined, temp: string): string {
    const finalPath = resolveInside(this.options.root, this.options.finalName(head, (length) => this.readBack(temp, length)));
    const dir = path.dirname(finalPath);
    if (dir !== absoluteRoot(this.options.root)) makeDirectory(dir);
    return finalPath;
  }

  /** Moves the complete temporary file to its final name, as --on-exists says. */
  private place(head: Buffer | undefined): { path: string; skipped: boolean } {
    const temp = this.tempPath!;
    const finalPath = this.finalPath(head, temp);
    if (this.options.onExists === 'overwrite') {
      fs.renameSync(temp, finalPath);
      return { path: finalPath, skipped: false };
    }
    // link() never replaces an existing file, so "exists" is decided atomically.
    const ext = path.extname(finalPath);
    const stem = finalPath.slice(0, finalPath.length - ext.length);
    for (let n = 0; ; n++) {
      const candidate = n === 0 ? finalPath : `${stem}-${n}${ext}`;
      try {
        fs.linkSync(temp, candidate);
        fs.rmSync(temp, { force: true });
        return { path: candidate, skipped: false };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (this.options.onExists === 'skip') {
          fs.rmSync(temp, { force: true });
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

  /** The first `length` bytes of the data set, from the complete temporary file. */
  private readBack(temp: string, length: number): Buffer {
    const out = Buffer.alloc(Math.min(length, this.dataSetBytes));
    const fd = fs.openSync(temp, 'r');
    try {
      let done = 0;
      while (done < out.length) {
        const n = fs.readSync(fd, out, done, out.length - done, this.headerBytes + done);
        if (n === 0) break;
        done += n;
      }
      return out.subarray(0, done);
    } finally {
      fs.closeSync(fd);
    }
  }

  abort(): void {
    if (this.settled) return;
    this.aborted = true;
    this.settled = true;
    // Synchronously: an abort is often followed by process exit, which must find nothing half-written.
    this.removeTemp();
  }

  /**
   * Closes the temporary file once. Linux releases the descriptor even when close(2) fails (an
   * NFS write error surfaces there), so it is forgotten first: closing its number again could close
   * the next temporary file, made meanwhile under the same number.
   */
  private closeFile(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) fs.closeSync(fd);
  }

  private removeTemp(): void {
    try { this.closeFile(); } catch { /* the temporary file goes anyway */ }
    try {
      if (this.tempPath) fs.rmSync(this.tempPath, { force: true });
    } catch {
      // Nothing to remove.
    }
  }

  private onError(err: NodeJS.ErrnoException & { malformed?: boolean }): void {
    if (this.failure || this.aborted) return;
    if (err.malformed) {
      this.failure = { status: STATUS_MALFORMED_DATA_SET, message: err.message, error: undefined };
      return;
    }
    const outOfResources = OUT_OF_RESOURCES.has(err.code ?? '');
    this.failure = {
      status: outOfResources ? STATUS_OUT_OF_RESOURCES : STATUS_CANNOT_STORE,
      // Node's messages start with the code already ("ENOSPC: no space left on device, write").
      message: err.code === 'EEXIST' ? err.message : `cannot write ${this.tempPath ?? `a temporary file in ${this.options.root}`}: ${err.message}`,
      error: err,
    };
  }

  /** Answers a failure once the data set has ended; the temporary file is gone before. */
  private settle(): void {
    if (this.settled || !this.failure) return;
    this.settled = true;
    this.removeTemp();
    const failure = this.failure;
    // From a clean stack, not from inside the parser's dispatch of this fragment. A microtask,
    // not process.nextTick: Node builds an async-hooks record for every tick (~13 us here,
    // measured with perf), once per instance on the path the SCP waits on.
    afterThisRead(() => {
      this.options.onAnswer(failure);
      this.options.onDone({ ok: false, failure });
    });
  }
}

/** The close or the rename that follow a Success answer failed: the file is not stored, the error says why. */
function failedAfterSuccess(err: NodeJS.ErrnoException, temp: string, finalPath: string): WriteFailure {
  // Node's message repeats both paths ("EISDIR: illegal operation on a directory, rename 'a' -> 'b'").
  const what = err.syscall === 'close' ? `closing ${temp}` : `the rename to ${finalPath}`;
  return { status: 0x0000, message: `answered Success, then ${what} failed: ${err.message.split(', ')[0]}`, error: err };
}

const settled = Promise.resolve();

/** Runs `fn` once the current socket read has been dispatched (a microtask). */
function afterThisRead(fn: () => void): void {
  void settled.then(fn);
}

/** The views left after a short write of n bytes. */
function remainder(views: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (n >= views[i]!.length) n -= views[i++]!.length;
  return [views[i]!.subarray(n), ...views.slice(i + 1)];
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
