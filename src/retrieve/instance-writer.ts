// DESIGN.md "Nothing half-written looks finished": one C-STORE sub-operation's data set streams
// to a temporary file in the target folder, behind the Part 10 header built from the C-STORE-RQ,
// and is renamed to its final name only when its last byte is written (and flushed with --fsync).
// Only then is the C-STORE-RSP Success sent (PS3.4 B.2.3). Failures remove the temporary file.
import fs from 'node:fs';
import path from 'node:path';
import type { DatasetSink, Flow } from '../dimse/channel.ts';
import { encodeFileMetaInformation, type FileMetaInformation } from '../dicom/part10.ts';

export interface WrittenInstance {
  path: string;
  /** Bytes of the data set as received (the file adds its Part 10 header). */
  dataSetBytes: number;
  fileBytes: number;
}

export interface WriteFailure {
  /** PS3.4 B.2.3: 0xA700 out of resources (disk full), 0xC000-range otherwise. */
  status: number;
  message: string;
  error: NodeJS.ErrnoException | undefined;
}

export type WriteOutcome = { ok: true; instance: WrittenInstance } | { ok: false; failure: WriteFailure };

export interface InstanceWriterOptions {
  finalPath: string;
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

export class InstanceWriter implements DatasetSink {
  readonly tempPath: string;
  private readonly options: InstanceWriterOptions;
  private readonly stream: fs.WriteStream;
  private dataSetBytes = 0;
  private headerBytes: number;
  private failure: WriteFailure | undefined;
  private settled = false;
  private aborted = false;

  constructor(options: InstanceWriterOptions) {
    this.options = options;
    const dir = path.dirname(options.finalPath);
    this.tempPath = path.join(dir, `.${path.basename(options.finalPath)}.${process.pid}.${++sequence}.part`);
    const header = encodeFileMetaInformation(options.meta);
    this.headerBytes = header.length;
    this.stream = fs.createWriteStream(this.tempPath, {
      flags: 'wx', highWaterMark: options.highWaterMark ?? 4 * 1024 * 1024, flush: options.fsync,
    });
    this.stream.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    this.stream.on('drain', () => options.flow.resume());
    this.stream.write(header);
  }

  write(chunk: Buffer): boolean {
    this.dataSetBytes += chunk.length;
    if (this.failure || this.aborted) return true; // discard the rest; the failure is answered at the end
    return this.stream.write(chunk);
  }

  end(): void {
    if (this.failure) {
      this.settle();
      return;
    }
    // 'close' comes after the data is written and, with flush, fsync'd and the descriptor closed.
    this.stream.once('close', () => {
      if (this.failure || this.aborted) return;
      fs.rename(this.tempPath, this.options.finalPath, (err) => {
        if (err) {
          this.onError(err);
          return;
        }
        const done = () => {
          this.settled = true;
          this.options.onDone({
            ok: true,
            instance: { path: this.options.finalPath, dataSetBytes: this.dataSetBytes, fileBytes: this.headerBytes + this.dataSetBytes },
          });
        };
        if (this.options.fsync) fsyncDirectory(path.dirname(this.options.finalPath), done);
        else done();
      });
    });
    this.stream.end();
  }

  abort(): void {
    if (this.settled) return;
    this.aborted = true;
    this.settled = true;
    this.stream.destroy();
    this.options.flow.resume();
    // Synchronously: an abort is often followed by process exit, which must find nothing half-written.
    try {
      fs.rmSync(this.tempPath, { force: true });
    } catch {
      // The open may still be in flight; its stream was destroyed, and the close below retries.
    }
    this.stream.once('close', () => fs.rm(this.tempPath, { force: true }, () => {}));
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.failure || this.aborted) return;
    const outOfResources = OUT_OF_RESOURCES.has(err.code ?? '');
    this.failure = {
      status: outOfResources ? STATUS_OUT_OF_RESOURCES : STATUS_CANNOT_STORE,
      message: `cannot write ${this.options.finalPath}: ${err.code ?? ''} ${err.message}`.trim(),
      error: err,
    };
    this.stream.destroy();
    this.options.flow.resume();
    fs.rm(this.tempPath, { force: true }, () => {
      // If the data set already ended, answer now; otherwise end() will.
      if (this.endedBeforeFailure()) this.settle();
    });
  }

  private endedBeforeFailure(): boolean {
    return this.stream.writableEnded;
  }

  private settle(): void {
    if (this.settled || !this.failure) return;
    this.settled = true;
    // Make sure the temporary file is gone before the failure is reported.
    fs.rm(this.tempPath, { force: true }, () => this.options.onDone({ ok: false, failure: this.failure! }));
  }
}

/** So that the rename itself survives a power cut (--fsync). */
function fsyncDirectory(dir: string, done: () => void): void {
  fs.open(dir, 'r', (err, fd) => {
    if (err) return done();
    fs.fsync(fd, () => fs.close(fd, () => done()));
  });
}
