// The Storage SCP role dcmget takes during a C-GET (PS3.4 B.2.2, C.4.3.3) and for a C-MOVE's
// sub-operations (C.4.2.3, move-destination.ts): each C-STORE-RQ becomes a file; the answer waits
// for the file to be complete.
import type { DatasetSink } from '../dimse/channel.ts';
import { InstanceWriter, STATUS_CANNOT_STORE, type OnExists, type WriteFailure, type WrittenInstance } from '../output/instance-writer.ts';
import { TempFiles } from '../output/temp-files.ts';
import { compileLayout, DEFAULT_LAYOUT, LAYOUT_HEAD_BYTES, type Layout } from '../output/output-layout.ts';
import type { StoreRequestHandler } from '../dimse/scu-session.ts';
import { MAX_LISTED } from './result.ts';
import { nowMs } from './clock.ts';

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
  /** What the C-STORE-RSP said: a failure status, or 0x0000 when the close or rename after a Success failed. */
  status: number;
  message: string;
  errorCode: string | undefined;
}

/** What dcmget itself saw, beside the counters the SCP reports (which are optional, PS3.7 9.1.3.1). */
export interface Ledger {
  /** C-STORE-RQs that arrived. */
  received: number;
  /** Files written under their final names. */
  stored: number;
  failed: number;
  /** --on-exists skip: answered Success, the file already there kept (a resume counts those it did not ask for, too). */
  skipped: number;
  /** A second C-STORE of an instance already received in this run: answered Success, the copy dropped. */
  duplicates: number;
  bytes: number;
}

/** What one unit's C-STOREs came to, and what the Storage SCP must ask of the unit's request. */
export interface UnitTally {
  received: number;
  stored: number;
  kept: number;
  failed: number;
  /** Failures of our own (disk full, permissions): no reason to ask the peer again. */
  failedLocally: number;
  /** Answered Success without writing: a duplicate, or already here when recovery repeats a query. */
  dropped: number;
  /** When our last C-STORE-RSP went out (nowMs()), and the time from each to the next C-STORE-RQ. */
  answeredAt: number | undefined;
  waitedMs: number;
  /** The association the unit's C-GET runs on (the pool's number), for the stored and failed events. */
  association?: number | undefined;
  /**
   * Whether to write this instance: 'store'; 'duplicate' when this run already has it (reported);
   * 'drop' when a recovery re-asks a whole query and this one is already here (not reported).
   */
  admit(sopInstanceUid: string): 'store' | 'duplicate' | 'drop';
  /** It arrived and was answered Success (stored, or kept by --on-exists skip). */
  arrived(sopInstanceUid: string): void;
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
  /** `storingMs`: from the C-STORE-RQ to its answer, which has gone out when these are called. */
  onStored?: ((file: StoredFile, association: number | undefined, storingMs: number) => void) | undefined;
  onFailed?: ((failure: StoreFailure, association: number | undefined, storingMs: number) => void) | undefined;
  warn?: ((message: string) => void) | undefined;
  /** Details worth a line under -v only. */
  verbose?: ((message: string) => void) | undefined;
}

export class StoreScp {
  readonly failures: StoreFailure[] = [];
  readonly ledger: Ledger = { received: 0, stored: 0, failed: 0, skipped: 0, duplicates: 0, bytes: 0 };
  private readonly options: StoreScpOptions;
  private readonly layout: Layout;
  private warnedNoRole = new Set<number>();
  private readonly temp: TempFiles;

  constructor(options: StoreScpOptions) {
    this.options = options;
    this.layout = compileLayout(options.layout ?? DEFAULT_LAYOUT, options.warn);
    this.temp = new TempFiles(options.outputDirectory);
  }

  /** Drops the failures of instances that arrived after all (recovery asked again): the summary lists what is missing. */
  forgetFailures(arrived: ReadonlySet<string>): void {
    const kept = this.failures.filter((f) => !arrived.has(f.sopInstanceUid));
    this.failures.splice(0, this.failures.length, ...kept);
  }

  /** How many associations deliver C-STOREs at once (--parallel): one file ready for each. */
  setConcurrency(associations: number): void {
    this.temp.ahead = Math.max(1, associations);
  }

  /** Removes the temporary files made in advance; call when no more C-STORE can come. */
  close(): void {
    this.temp.dispose();
  }

  /**
   * The C-STORE-RQ handler for one unit's C-GET or C-MOVE. `sourceAeTitle`: the sender's AE title
   * where it is not the peer's (a C-MOVE SCP calls with its own), for the File Meta.
   */
  handlerFor(tally: UnitTally, sourceAeTitle = this.options.sourceAeTitle): StoreRequestHandler {
    return (command, context, respond) => this.onStore(tally, sourceAeTitle, command, context, respond);
  }

  private onStore(tally: UnitTally, sourceAeTitle: string, command: Parameters<StoreRequestHandler>[0],
    context: Parameters<StoreRequestHandler>[1], respond: Parameters<StoreRequestHandler>[2]): ReturnType<StoreRequestHandler> {
    this.ledger.received++;
    tally.received++;
    const requestedAt = nowMs();
    // The peer's turn: from our answer to its next request it works, and the network carries both.
    if (tally.answeredAt !== undefined) tally.waitedMs += requestedAt - tally.answeredAt;
    const sopClassUid = command.affectedSopClassUid ?? context.abstractSyntax;
    const sopInstanceUid = command.affectedSopInstanceUid ?? '';
    if (!context.scpRole && !this.warnedNoRole.has(context.id)) {
      this.warnedNoRole.add(context.id);
      // Orthanc does this for every class it does not know: harmless, so only under -v.
      this.options.verbose?.(`the peer sent a C-STORE on context ${context.id} (${context.abstractSyntax}) although it did not grant us the SCP role; storing it anyway`);
    }
    // The SCP sends nothing until it has our answer: it goes first; then, while the SCP works on
    // the next instance, the next temporary file and the bookkeeping. Returns our time on the
    // instance, from its C-STORE-RQ to the answer.
    const answer = (status: number, extra?: Parameters<typeof respond>[1]): number => {
      respond(status, extra);
      tally.answeredAt = nowMs();
      this.temp.refill();
      return tally.answeredAt - requestedAt;
    };
    const answerFailure = (failure: Omit<StoreFailure, 'sopClassUid' | 'sopInstanceUid'>): number =>
      answer(failure.status, { errorComment: failure.message.slice(0, 64) });
    const failed = (failure: Omit<StoreFailure, 'sopClassUid' | 'sopInstanceUid'>, storingMs: number) => {
      this.ledger.failed++;
      tally.failed++;
      if (failure.errorCode !== undefined) tally.failedLocally++;
      const f = { sopClassUid, sopInstanceUid, ...failure };
      if (this.failures.length < MAX_LISTED) this.failures.push(f);
      this.options.onFailed?.(f, tally.association, storingMs);
    };
    const fail = (failure: Omit<StoreFailure, 'sopClassUid' | 'sopInstanceUid'>) => failed(failure, answerFailure(failure));
    if (this.options.ignore) return this.ignoring(tally, sopInstanceUid, respond);
    if (!sopInstanceUid) return discard(() => fail({ status: STATUS_CANNOT_STORE, message: 'C-STORE-RQ without Affected SOP Instance UID', errorCode: undefined }));
    const admitted = tally.admit(sopInstanceUid);
    if (admitted !== 'store') {
      tally.dropped++;
      return discard(() => {
        if (admitted === 'duplicate') {
          this.ledger.duplicates++;
          this.options.warn?.(`the peer sent ${sopInstanceUid} a second time in this run; the first copy is kept, the second dropped`);
        }
        answer(0x0000);
      });
    }
    const naming = { sopClassUid, sopInstanceUid, transferSyntaxUid: context.transferSyntax };
    let storingMs = 0;
    return new InstanceWriter({
      root: this.options.outputDirectory,
      openTemp: () => this.temp.take(),
      finalName: (head, readDataSet) => this.layout.render(naming, head, readDataSet),
      headBytes: this.layout.needsDataSet ? LAYOUT_HEAD_BYTES : 0,
      onExists: this.options.onExists ?? 'overwrite',
      meta: {
        mediaStorageSopClassUid: sopClassUid,
        mediaStorageSopInstanceUid: sopInstanceUid,
        transferSyntaxUid: context.transferSyntax,
        sourceAeTitle,
      },
      fsync: this.options.fsync,
      onAnswer: (failure) => { storingMs = failure ? answerFailure(failureFields(failure)) : answer(0x0000); },
      // After the answer: a failure here may follow a Success (the close or the rename failed).
      onDone: (outcome) => {
        if (outcome.ok) this.stored(outcome.instance, naming, tally, storingMs);
        else failed(failureFields(outcome.failure), storingMs);
      },
    });
  }

  /** A file complete under its final name and answered Success, `storingMs` after its C-STORE-RQ: counted and reported. */
  private stored(instance: WrittenInstance, naming: Omit<StoredFile, 'path' | 'dataSetBytes' | 'fileBytes'>, tally: UnitTally, storingMs: number): void {
    tally.arrived(naming.sopInstanceUid);
    if (instance.skipped) {
      this.ledger.skipped++;
      tally.kept++;
      this.options.verbose?.(`kept the existing ${instance.path} (--on-exists skip)`);
      return;
    }
    const file: StoredFile = { path: instance.path, ...naming, dataSetBytes: instance.dataSetBytes, fileBytes: instance.fileBytes };
    this.ledger.stored++;
    tally.stored++;
    this.ledger.bytes += file.dataSetBytes;
    this.options.onStored?.(file, tally.association, storingMs);
  }

  private ignoring(tally: UnitTally, sopInstanceUid: string, respond: (status: number) => void): DatasetSink {
    let bytes = 0;
    return {
      write: (chunk) => { bytes += chunk.length; return true; },
      end: () => {
        this.ledger.stored++;
        tally.stored++;
        tally.arrived(sopInstanceUid);
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

