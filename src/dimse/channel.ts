// PS3.7 9.2 / PS3.8 Annex E: DIMSE messages over an association. Command fragments are
// gathered (small, bounded); data set fragments of a C-STORE-RQ go straight to a sink as they
// arrive; other data sets (Identifiers) are gathered under a bound.
import type { Association, DataListener, NegotiatedContext } from '../ul/association.ts';
import { TimeoutError } from '../ul/errors.ts';
import { MESSAGE_CONTROL } from '../ul/pdu-types.ts';
import { ProtocolError } from '../ul/protocol-error.ts';
import { COMMAND_FIELD, commandName } from './command-field.ts';
import {
  DATA_SET_PRESENT, MAX_COMMAND_SET_LENGTH, NO_DATA_SET, decodeCommandSet, encodeCommandPdu, hasDataSet,
  type CommandSet,
} from './command-set.ts';

/**
 * Where a C-STORE data set streams to. There is no backpressure: a sink writes synchronously
 * (output/instance-writer.ts: one pwritev per read), and while it writes the socket is not read,
 * so the kernel's receive buffer fills and TCP's window throttles the peer. A sink that queued
 * asynchronously would need a pause/resume of the association's socket; none does.
 */
export interface DatasetSink {
  /** A fragment: a view of the socket's read buffer, valid until the next flush() (or end()) when the sink has flush, else only during the call. */
  write(chunk: Buffer): void;
  /** The views written since the last flush are about to become invalid: write or copy them now. */
  flush?(): void;
  /** The last fragment has arrived. */
  end(): void;
  /** The association ended before the data set did. */
  abort(): void;
}

export interface DimseHandler {
  onStoreRequest(command: CommandSet, context: NegotiatedContext): DatasetSink;
  onMessage(command: CommandSet, context: NegotiatedContext, dataSet: Buffer | undefined): void;
  onClose(error: Error | null): void;
  /** The peer asks to release (PS3.8 AR-2): A-RELEASE-RP waits for the promise (answers still being written). */
  onReleaseRequested?(): Promise<unknown> | void;
  /** Bytes arrived (once per socket read): the peer is at work. */
  onActivity?(): void;
}

export interface DimseLogger {
  debug?: ((message: string) => void) | undefined;
}

/** Bound on a gathered (non C-STORE) data set, e.g. a C-GET-RSP with a long Failed SOP Instance UID List. */
export const MAX_GATHERED_DATA_SET = 64 * 1024 * 1024;

export class DimseChannel implements DataListener {
  readonly association: Association;
  private readonly handler: DimseHandler;
  private readonly log: DimseLogger;
  private commandParts: Buffer[] = [];
  private commandLength = 0;
  private commandContext = 0;
  /** The message whose data set is arriving, if any. */
  private current: { command: CommandSet; context: NegotiatedContext; sink?: DatasetSink; parts?: Buffer[]; length: number } | undefined;
  private nextMessageId = 1;
  private dimseTimeoutMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private watching = false;
  private closed = false;

  constructor(association: Association, handler: DimseHandler, options: { dimseTimeoutMs?: number | undefined; logger?: DimseLogger | undefined } = {}) {
    this.association = association;
    this.handler = handler;
    this.log = options.logger ?? {};
    this.dimseTimeoutMs = options.dimseTimeoutMs ?? 0;
    association.setDataListener(this);
  }

  /** PS3.7 9.1.1.1.2 etc.: Message IDs unique among outstanding operations; wrap within US range. */
  newMessageId(): number {
    const id = this.nextMessageId;
    this.nextMessageId = id === 0xffff ? 1 : id + 1;
    return id;
  }

  /** A message: its command set as one P-DATA-TF (one socket write for a lone command, such as a C-STORE-RSP), then its data set. */
  send(contextId: number, command: CommandSet, dataSet?: Buffer): void {
    const dataSetType = dataSet ? (command.commandDataSetType !== NO_DATA_SET ? command.commandDataSetType : DATA_SET_PRESENT) : NO_DATA_SET;
    if (this.log.debug) this.log.debug(`→ ${commandName(command.commandField)} ctx ${contextId}${command.messageId !== undefined ? ` id ${command.messageId}` : ''}${dataSet ? ` + data set ${dataSet.length} bytes` : ''}`);
    this.association.sendCommandPdu(contextId, encodeCommandPdu(contextId, command, dataSetType), dataSet !== undefined);
    if (dataSet) this.association.send(contextId, false, dataSet);
  }

  /**
   * While an operation is outstanding, the peer must send something within the DIMSE timeout;
   * silence longer than that aborts the association (`-td`).
   */
  watch(active: boolean): void {
    this.watching = active;
    this.rearm();
  }

  /** Activity the peer shows elsewhere (a C-MOVE's C-STOREs on another association) restarts the DIMSE timeout. */
  touch(): void {
    if (this.watching && this.timer) this.timer.refresh();
  }

  private rearm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.watching || this.dimseTimeoutMs <= 0 || this.closed) return;
    const ms = this.dimseTimeoutMs;
    this.timer = setTimeout(() => {
      this.association.abort(new TimeoutError('dimse', `no DIMSE message from the peer within ${ms} ms (DIMSE timeout); association aborted`));
    }, ms);
    this.timer.unref?.();
  }

  onChunkEnd(): void {
    this.current?.sink?.flush?.();
    this.handler.onActivity?.();
  }

  onReleaseRequested(): Promise<unknown> | void {
    return this.handler.onReleaseRequested?.();
  }

  onPdv(contextId: number, control: number, data: Buffer, end: boolean): void {
    if (this.watching && this.timer) this.timer.refresh();
    const context = this.association.contexts.get(contextId);
    if (!context || !context.accepted) throw new ProtocolError(`PDV on presentation context ${contextId}, which was not accepted`, 0x06);
    if (control & MESSAGE_CONTROL.COMMAND) {
      if (this.current) throw new ProtocolError(`command fragment on context ${contextId} while the data set of a ${commandName(this.current.command.commandField)} is incomplete`, 0x05);
      if (this.commandParts.length > 0 && contextId !== this.commandContext) throw new ProtocolError('command fragments on two presentation contexts interleaved', 0x05);
      this.commandContext = contextId;
      this.commandLength += data.length;
      if (this.commandLength > MAX_COMMAND_SET_LENGTH) throw new ProtocolError(`command set over ${MAX_COMMAND_SET_LENGTH} bytes`, 0x06);
      const last = end && (control & MESSAGE_CONTROL.LAST) !== 0;
      if (last && this.commandParts.length === 0) {
        // The usual case, the whole command set in one fragment: decoded from the view at once
        // (decodeCommandSet copies every value it keeps out of the read buffer).
        this.commandLength = 0;
        this.onCommand(context, data);
        return;
      }
      if (data.length > 0) this.commandParts.push(Buffer.from(data)); // views die with the call; commands are tiny
      if (last) {
        const bytes = Buffer.concat(this.commandParts, this.commandLength);
        this.commandParts = [];
        this.commandLength = 0;
        this.onCommand(context, bytes);
      }
      return;
    }
    const current = this.current;
    if (!current) throw new ProtocolError(`data set fragment on context ${contextId} with no command before it`, 0x05);
    if (current.context.id !== contextId) throw new ProtocolError(`data set fragment on context ${contextId} for a command sent on context ${current.context.id}`, 0x05);
    current.length += data.length;
    const last = end && (control & MESSAGE_CONTROL.LAST) !== 0;
    if (current.sink) {
      if (data.length > 0) current.sink.write(data);
      if (last) {
        this.current = undefined;
        current.sink.end();
      }
      return;
    }
    if (current.length > MAX_GATHERED_DATA_SET) throw new ProtocolError(`data set of ${commandName(current.command.commandField)} over ${MAX_GATHERED_DATA_SET} bytes`, 0x06);
    if (data.length > 0) current.parts!.push(Buffer.from(data));
    if (last) {
      this.current = undefined;
      this.handler.onMessage(current.command, current.context, Buffer.concat(current.parts!, current.length));
    }
  }

  private onCommand(context: NegotiatedContext, bytes: Buffer): void {
    const command = decodeCommandSet(bytes);
    if (this.log.debug) this.log.debug(`← ${commandName(command.commandField)} ctx ${context.id}${command.status !== undefined ? ` status 0x${command.status.toString(16).padStart(4, '0')}` : ''}`);
    if (!hasDataSet(command)) {
      this.handler.onMessage(command, context, undefined);
      return;
    }
    if (command.commandField === COMMAND_FIELD.C_STORE_RQ) {
      this.current = { command, context, sink: this.handler.onStoreRequest(command, context), length: 0 };
    } else {
      this.current = { command, context, parts: [], length: 0 };
    }
  }

  onClose(error: Error | null): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const current = this.current;
    this.current = undefined;
    current?.sink?.abort();
    this.handler.onClose(error);
  }
}
