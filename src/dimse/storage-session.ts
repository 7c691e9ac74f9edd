// One association a peer opened to us, seen from the Storage SCP (PS3.4 B.2.2): a C-MOVE SCP's
// C-STORE sub-operations (PS3.4 C.4.2.3), C-ECHO (PS3.4 A.4), and the release the peer asks for.
// Anything else on it is a protocol error: the association was accepted for storage only.
import type { Association, NegotiatedContext } from '../ul/association.ts';
import { ProtocolError } from '../ul/protocol-error.ts';
import { ABORT_REASON } from '../ul/pdu-types.ts';
import { DimseChannel, type DatasetSink, type DimseLogger } from './channel.ts';
import { COMMAND_FIELD, commandName } from './command-field.ts';
import type { CommandSet } from './command-set.ts';
import { StoreResponder, type StoreRequestHandler } from './store-responder.ts';

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

export interface StorageSessionHandler {
  /** Each C-STORE-RQ: its sink, and the answer when the instance is written (or refused). */
  onStore: StoreRequestHandler;
  /** Bytes arrived on this association (once per socket read). */
  onActivity?(): void;
  /** The association ended: `error` null after an orderly release. */
  onClose?(error: Error | null): void;
}

export class StorageSession {
  readonly association: Association;
  private readonly channel: DimseChannel;
  private readonly stores: StoreResponder;
  private closedWith: Error | null | undefined;
  private readonly waiters: ((e: Error | null) => void)[] = [];

  /**
   * `dimseTimeoutMs`: the longest silence while a C-STORE's data set is arriving (then A-ABORT, the
   * file removed); between C-STOREs the peer may be silent (the C-MOVE it serves is timed on its own).
   */
  constructor(association: Association, handler: StorageSessionHandler, options: { logger?: DimseLogger | undefined; dimseTimeoutMs?: number | undefined } = {}) {
    this.association = association;
    this.channel = new DimseChannel(association, {
      onStoreRequest: (command, context) => this.onStoreRequest(handler, command, context),
      onMessage: (command, context) => this.onMessage(command, context),
      // PS3.8 7.2: the peer releases once its sub-operations are done; answers still being written go first.
      onReleaseRequested: () => this.stores.answered(),
      onActivity: handler.onActivity,
      onClose: (error) => {
        this.closedWith = error;
        this.stores.drop();
        handler.onClose?.(error);
        for (const w of this.waiters.splice(0)) w(error);
      },
    }, options);
    this.stores = new StoreResponder(this.channel, association);
  }

  /** Resolves when the association has ended, with the error that ended it (null: released). */
  closed(): Promise<Error | null> {
    if (this.closedWith !== undefined) return Promise.resolve(this.closedWith);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  abort(error?: Error): void {
    this.association.abort(error);
  }

  private onStoreRequest(handler: StorageSessionHandler, command: CommandSet, context: NegotiatedContext): DatasetSink {
    const sink = this.stores.take(handler.onStore, command, context);
    this.channel.watch(true);
    const done = () => this.channel.watch(false);
    return {
      write: (chunk) => sink.write(chunk),
      ...(sink.flush ? { flush: () => sink.flush!() } : {}),
      end: () => { done(); sink.end(); },
      abort: () => { done(); sink.abort(); },
    };
  }

  /** PS3.7 9.3.5: C-ECHO is answered Success; any other message has no place here. */
  private onMessage(command: CommandSet, context: NegotiatedContext): void {
    if (command.commandField === COMMAND_FIELD.C_ECHO_RQ && context.abstractSyntax === VERIFICATION_SOP_CLASS) {
      this.channel.send(context.id, {
        commandField: COMMAND_FIELD.C_ECHO_RSP, messageIdBeingRespondedTo: command.messageId,
        affectedSopClassUid: VERIFICATION_SOP_CLASS, status: 0x0000, commandDataSetType: 0x0101,
      });
      return;
    }
    const what = command.commandField === COMMAND_FIELD.C_STORE_RQ ? 'C-STORE-RQ without a data set' : `${commandName(command.commandField)} on an association accepted for storage`;
    throw new ProtocolError(what, ABORT_REASON.UNEXPECTED_PDU_PARAMETER);
  }
}
