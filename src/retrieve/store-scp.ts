// The Storage SCP role dcmget takes during a C-GET (PS3.4 B.2.2, C.4.3.3): each C-STORE-RQ
// becomes a file; the answer waits for the file to be complete.
import type { DatasetSink } from '../dimse/channel.ts';
import { InstanceWriter, STATUS_CANNOT_STORE, type OnExists, type WriteFailure } from '../output/instance-writer.ts';
import { TempFiles } from '../output/temp-files.ts';
import { compileLayout, LAYOUT_HEAD_BYTES, type Layout } from '../output/output-layout.ts';
import type { StoreRequestHandler } from '../dimse/scu-session.ts';

export interface StoredFile {
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  dataSetBytes: number;
  fileBytes: number;
}

export interface StoreFailure {
  sopClassUid: string;
  sopInstanceUid: string;
  status: number;
  message: string;
  errorCode: string | undefined;
}

/** What dcmget itself saw, beside the counters the SCP reports (which are optional, PS3.7 9.1.3.1). */
export interface Ledger {
  received: number;
  stored: number;
  failed: number;
  /** --on-exists skip: answered Success, the file already there kept. */
  skipped: number;
  bytes: number;
}

export interface StoreScpOptions {
  outputDirectory: string;
  /** The peer's AE title, recorded as Source Application Entity Title (0002,0016). */
  sourceAeTitle: string;
  fsync: boolean;
  /** --ignore: answer Success, keep nothing (as getscu --ignore). */
  ignore: boolean;
  /** --layout template; default `{SOPInstanceUID}.dcm`. */
  layout?: string | undefined;
  onExists?: OnExists | undefined;
  onStored?: ((file: StoredFile) => void) | undefined;
  onFailed?: ((failure: StoreFailure) => void) | undefined;
  warn?: ((message: string) => void) | undefined;
  /** Details worth a line under -v only. */
  verbose?: ((message: string) => void) | undefined;
}

export class StoreScp {
  readonly files: StoredFile[] = [];
  readonly failures: StoreFailure[] = [];
  readonly ledger: Ledger = { received: 0, stored: 0, failed: 0, skipped: 0, bytes: 0 };
  private readonly options: StoreScpOptions;
  private readonly layout: Layout;
  private warnedNoRole = new Set<number>();
  private readonly temp: TempFiles;

  constructor(options: StoreScpOptions) {
    this.options = options;
    this.layout = compileLayout(options.layout ?? '{SOPInstanceUID}.dcm');
    this.temp = new TempFiles(options.outputDirectory);
  }

  /** How many associations deliver C-STOREs at once (--parallel): one file ready for each. */
  setConcurrency(associations: number): void {
    this.temp.ahead = Math.max(1, associations);
  }

  /** Removes the temporary files made in advance; call when no more C-STORE can come. */
  close(): void {
    this.temp.dispose();
  }

  readonly handler: StoreRequestHandler = (command, context, respond) => {
    this.ledger.received++;
    const sopClassUid = command.affectedSopClassUid ?? context.abstractSyntax;
    const sopInstanceUid = command.affectedSopInstanceUid ?? '';
    if (!context.scpRole && !this.warnedNoRole.has(context.id)) {
      this.warnedNoRole.add(context.id);
      // Orthanc does this for every class it does not know: harmless, so only under -v.
      this.options.verbose?.(`the peer sent a C-STORE on context ${context.id} (${context.abstractSyntax}) although it did not grant us the SCP role; storing it anyway`);
    }
    // The SCP sends nothing until it has our answer: it goes first; then, while the SCP works on
    // the next instance, the next temporary file and the bookkeeping.
    const answer: typeof respond = (status, extra) => {
      respond(status, extra);
      this.temp.refill();
    };
    const fail = (failure: Omit<StoreFailure, 'sopClassUid' | 'sopInstanceUid'>) => {
      answer(failure.status, { errorComment: failure.message.slice(0, 64) });
      this.ledger.failed++;
      const f = { sopClassUid, sopInstanceUid, ...failure };
      this.failures.push(f);
      this.options.onFailed?.(f);
    };
    if (this.options.ignore) return this.ignoring(respond);
    if (!sopInstanceUid) return discard(() => fail({ status: STATUS_CANNOT_STORE, message: 'C-STORE-RQ without Affected SOP Instance UID', errorCode: undefined }));
    const naming = { sopClassUid, sopInstanceUid, transferSyntaxUid: context.transferSyntax };
    return new InstanceWriter({
      root: this.options.outputDirectory,
      openTemp: () => this.temp.take(),
      finalName: (head) => this.layout.render(naming, head),
      headBytes: this.layout.needsDataSet ? LAYOUT_HEAD_BYTES : 0,
      onExists: this.options.onExists ?? 'overwrite',
      meta: {
        mediaStorageSopClassUid: sopClassUid,
        mediaStorageSopInstanceUid: sopInstanceUid,
        transferSyntaxUid: context.transferSyntax,
        sourceAeTitle: this.options.sourceAeTitle,
      },
      fsync: this.options.fsync,
      onDone: (outcome) => {
        if (!outcome.ok) {
          fail(failureFields(outcome.failure));
          return;
        }
        const file: StoredFile = {
          path: outcome.instance.path, sopClassUid, sopInstanceUid, transferSyntaxUid: context.transferSyntax,
          dataSetBytes: outcome.instance.dataSetBytes, fileBytes: outcome.instance.fileBytes,
        };
        answer(0x0000);
        if (outcome.instance.skipped) {
          this.ledger.skipped++;
          this.options.verbose?.(`kept the existing ${file.path} (--on-exists skip)`);
          return;
        }
        this.ledger.stored++;
        this.ledger.bytes += file.dataSetBytes;
        this.files.push(file);
        this.options.onStored?.(file);
      },
    });
  };

  private ignoring(respond: (status: number) => void): DatasetSink {
    let bytes = 0;
    return {
      write: (chunk) => { bytes += chunk.length; return true; },
      end: () => {
        this.ledger.stored++;
        this.ledger.bytes += bytes;
        respond(0x0000);
      },
      abort: () => {},
    };
  }
}

function failureFields(f: WriteFailure): Omit<StoreFailure, 'sopClassUid' | 'sopInstanceUid'> {
  return { status: f.status, message: f.message, errorCode: f.error?.code };
}

/** Swallows a data set we will not keep, then answers. */
function discard(answer: () => void): DatasetSink {
  return { write: () => true, end: answer, abort: () => {} };
}

