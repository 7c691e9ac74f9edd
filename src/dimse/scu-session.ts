// One association seen from the SCU: the DIMSE-C operations dcmget requests (C-ECHO, C-FIND,
// C-GET, C-MOVE, C-CANCEL), and the C-STORE sub-operations the peer performs on us during a C-GET
// (PS3.4 C.4.3.3: on the same association, with the roles negotiated by PS3.7 D.3.3.4). A
// C-MOVE's sub-operations come on associations of their own (storage-session.ts).
import { Association, type AssociationRequest, type NegotiatedContext } from '../ul/association.ts';
import { ProtocolError } from '../ul/protocol-error.ts';
import { AssociationAbortedError } from '../ul/errors.ts';
import { DimseChannel, type DatasetSink } from './channel.ts';
import { COMMAND_FIELD, PRIORITY, commandName } from './command-field.ts';
import type { CommandSet } from './command-set.ts';
import { statusCategory } from './status.ts';
import { StoreResponder, type StoreRequestHandler } from './store-responder.ts';

export type { StoreRequestHandler } from './store-responder.ts';

export interface SessionOptions extends AssociationRequest {
  dimseTimeoutMs?: number | undefined;
}

export interface Response {
  command: CommandSet;
  context: NegotiatedContext;
  dataSet: Buffer | undefined;
}

interface Outstanding {
  messageId: number;
  rspField: number;
  /** The presentation context of the request: its C-CANCEL goes there too (PS3.7 9.3.2.3). */
  contextId: number;
  /** Whether anything (a response, a sub-operation) came back for it yet. */
  answered: boolean;
  onResponse(r: Response): void;
  reject(e: Error): void;
}

export class ScuSession {
  readonly association: Association;
  readonly channel: DimseChannel;
  private outstanding: Outstanding | undefined;
  private storeHandler: StoreRequestHandler | undefined;
  private readonly stores: StoreResponder;
  private closedWith: Error | null | undefined;
  private closeWaiters: ((e: Error | null) => void)[] = [];

  private readonly callingAeTitle: string;

  private constructor(association: Association, options: SessionOptions) {
    this.association = association;
    this.callingAeTitle = options.callingAeTitle;
    this.channel = new DimseChannel(association, {
      onStoreRequest: (command, context) => this.onStoreRequest(command, context),
      onMessage: (command, context, dataSet) => this.onMessage({ command, context, dataSet }),
      onClose: (error) => this.onClose(error),
    }, { dimseTimeoutMs: options.dimseTimeoutMs, logger: options.logger });
    this.stores = new StoreResponder(this.channel, association);
  }

  static async open(options: SessionOptions): Promise<ScuSession> {
    return new ScuSession(await Association.connect(options), options);
  }

  get contexts(): NegotiatedContext[] {
    return [...this.association.contexts.values()];
  }

  /** The accepted context for an abstract syntax, preferring the given transfer syntaxes' order. */
  acceptedContext(abstractSyntax: string): NegotiatedContext | undefined {
    return this.contexts.find((c) => c.accepted && c.abstractSyntax === abstractSyntax);
  }

  /** Whether the association has ended (released, aborted or lost). */
  get ended(): boolean {
    return this.closedWith !== undefined;
  }

  /** Resolves when the association has ended, with the error that ended it (null: released). */
  closed(): Promise<Error | null> {
    if (this.closedWith !== undefined) return Promise.resolve(this.closedWith);
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /**
   * Sends a request and calls `onResponse` for each response until it returns true (final).
   * `messageId`: one the caller chose (unique among its outstanding operations, PS3.7 9.1.1.1.2).
   */
  request(context: NegotiatedContext, command: Omit<CommandSet, 'messageId' | 'commandDataSetType'>, dataSet: Buffer | undefined,
    rspField: number, onResponse: (r: Response) => boolean, messageId = this.channel.newMessageId()): Promise<void> {
    if (this.outstanding) return Promise.reject(new Error(`a ${commandName(this.outstanding.rspField)} is still outstanding`));
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith ?? new Error('association already released'));
    return new Promise<void>((resolve, reject) => {
      this.outstanding = {
        messageId, rspField, contextId: context.id, answered: false,
        onResponse: (r) => {
          let final: boolean;
          try {
            final = onResponse(r);
          } catch (err) {
            this.outstanding = undefined;
            this.channel.watch(false);
            reject(err as Error);
            return;
          }
          if (final) {
            this.outstanding = undefined;
            this.channel.watch(false);
            resolve();
          }
        },
        reject,
      };
      this.channel.watch(true);
      this.channel.send(context.id, { ...command, messageId, commandDataSetType: 0x0101 }, dataSet);
    });
  }

  /** PS3.7 9.3.5: C-ECHO; resolves with the response status. */
  async echo(): Promise<number> {
    const context = this.acceptedContext('1.2.840.10008.1.1');
    if (!context) throw new Error('the peer did not accept the Verification SOP Class');
    let status = 0xffff;
    await this.request(context, { commandField: COMMAND_FIELD.C_ECHO_RQ, affectedSopClassUid: context.abstractSyntax },
      undefined, COMMAND_FIELD.C_ECHO_RSP, (r) => { status = r.command.status ?? 0xffff; return true; });
    return status;
  }

  /**
   * PS3.7 9.1.3 / PS3.4 C.4.3: C-GET. `onResponse` sees every C-GET-RSP; the promise resolves
   * after the final one and after every C-STORE sub-operation it announced has been answered.
   */
  async get(context: NegotiatedContext, identifier: Buffer, onStore: StoreRequestHandler, onResponse: (r: Response) => void): Promise<Response> {
    this.storeHandler = onStore;
    let final: Response | undefined;
    try {
      await this.request(context, {
        commandField: COMMAND_FIELD.C_GET_RQ, affectedSopClassUid: context.abstractSyntax, priority: PRIORITY.MEDIUM,
      }, identifier, COMMAND_FIELD.C_GET_RSP, (r) => {
        onResponse(r);
        if (statusCategory(r.command.status ?? 0) === 'pending') return false;
        final = r;
        return true;
      });
    } finally {
      // Answer every C-STORE that is still being written before reporting the end.
      await this.stores.answered();
      this.storeHandler = undefined;
    }
    return final!;
  }

  /**
   * PS3.7 9.1.4 / PS3.4 C.4.2: C-MOVE to `destination` (Move Destination, 0000,0600), with the
   * Message ID the C-STOREs of its sub-operations will name as Move Originator Message ID
   * (0000,1031). `onResponse` sees every C-MOVE-RSP; the promise resolves with the final one.
   */
  async move(context: NegotiatedContext, identifier: Buffer, destination: string, messageId: number, onResponse: (r: Response) => void): Promise<Response> {
    let final: Response | undefined;
    await this.request(context, {
      commandField: COMMAND_FIELD.C_MOVE_RQ, affectedSopClassUid: context.abstractSyntax, priority: PRIORITY.MEDIUM, moveDestination: destination,
    }, identifier, COMMAND_FIELD.C_MOVE_RSP, (r) => {
      onResponse(r);
      if (statusCategory(r.command.status ?? 0) === 'pending') return false;
      final = r;
      return true;
    }, messageId);
    return final!;
  }

  /** The peer is busy on the outstanding operation elsewhere (a C-MOVE's C-STOREs): its DIMSE timeout starts again. */
  touch(): void {
    this.channel.touch();
  }

  /** PS3.7 9.3.2.3 etc.: C-FIND, one call of `onMatch` per pending response's Identifier. */
  async find(context: NegotiatedContext, identifier: Buffer, onMatch: (r: Response) => void): Promise<Response> {
    let final: Response | undefined;
    await this.request(context, {
      commandField: COMMAND_FIELD.C_FIND_RQ, affectedSopClassUid: context.abstractSyntax, priority: PRIORITY.MEDIUM,
    }, identifier, COMMAND_FIELD.C_FIND_RSP, (r) => {
      if (statusCategory(r.command.status ?? 0) === 'pending') {
        onMatch(r);
        return false;
      }
      final = r;
      return true;
    });
    return final!;
  }

  /** PS3.7 9.3.2.3: C-CANCEL-RQ for the outstanding operation; its final response follows. */
  cancel(): boolean {
    const o = this.outstanding;
    if (!o || !this.association.established) return false;
    this.channel.send(o.contextId, { commandField: COMMAND_FIELD.C_CANCEL_RQ, messageIdBeingRespondedTo: o.messageId, commandDataSetType: 0x0101 });
    return true;
  }

  release(): Promise<void> {
    return this.association.release();
  }

  abort(error?: Error): void {
    this.association.abort(error);
  }

  private onStoreRequest(command: CommandSet, context: NegotiatedContext): DatasetSink {
    const handler = this.storeHandler;
    if (!handler) throw new ProtocolError('C-STORE-RQ received while no C-GET is outstanding', 0x05);
    if (this.outstanding) this.outstanding.answered = true;
    return this.stores.take(handler, command, context);
  }

  private onMessage(r: Response): void {
    const o = this.outstanding;
    if (r.command.commandField === COMMAND_FIELD.C_STORE_RQ) {
      throw new ProtocolError('C-STORE-RQ without a data set', 0x06);
    }
    if (o) o.answered = true;
    if (!o || r.command.commandField !== o.rspField || r.command.messageIdBeingRespondedTo !== o.messageId) {
      throw new ProtocolError(`unexpected ${commandName(r.command.commandField)}${r.command.messageIdBeingRespondedTo !== undefined ? ` for message ${r.command.messageIdBeingRespondedTo}` : ''}`, 0x05);
    }
    o.onResponse(r);
  }

  private onClose(error: Error | null): void {
    this.closedWith = error;
    const o = this.outstanding;
    this.outstanding = undefined;
    if (o) o.reject(explainAbort(error, o, this.callingAeTitle) ?? new Error('association released while an operation was outstanding'));
    this.stores.drop();
    for (const w of this.closeWaiters.splice(0)) w(error);
  }
}

/**
 * An abort that answers a request before anything else came back is how several PACS refuse a
 * caller they do not know (Orthanc 1.10 does exactly this for a calling AE title missing from
 * DicomModalities): say so, and what fixes it.
 */
function explainAbort(error: Error | null, o: Outstanding, callingAeTitle: string): Error | null {
  if (!(error instanceof AssociationAbortedError) || o.answered) return error;
  const what = commandName(o.rspField).replace('-RSP', '');
  return new AssociationAbortedError(
    `${error.message} right after the ${what} request: the peer refused it, most likely because calling AE title "${callingAeTitle}" may not ${what === 'C-FIND' ? 'query' : 'retrieve'} there; use -aet with an AE title the PACS knows, or register "${callingAeTitle}" on the PACS (Orthanc: DicomModalities, or DicomAlwaysAllowGet)`,
    error.source, error.reason,
  );
}
