// The Storage SCP's side of C-STORE (PS3.7 9.1.1, PS3.4 B.2.2): each C-STORE-RQ gets a sink from
// the layer above, and its C-STORE-RSP goes out when the layer above answers. The same on a C-GET
// association (PS3.4 C.4.3.3) and on an association a C-MOVE SCP opens to us (PS3.4 C.4.2.3).
import type { Association, NegotiatedContext } from '../ul/association.ts';
import type { DatasetSink, DimseChannel } from './channel.ts';
import { COMMAND_FIELD } from './command-field.ts';
import { NO_DATA_SET, type CommandSet } from './command-set.ts';

/** What the layer above does with a C-STORE-RQ: a sink for its data set and, later, the answer. */
export type StoreRequestHandler = (
  command: CommandSet,
  context: NegotiatedContext,
  respond: (status: number, extra?: Partial<CommandSet>) => void,
) => DatasetSink;

/** A C-STORE-RQ whose answer has not been sent yet. */
interface PendingStore { done: Promise<void>; settle(): void }

export class StoreResponder {
  private readonly channel: DimseChannel;
  private readonly association: Association;
  private readonly pending = new Set<PendingStore>();

  constructor(channel: DimseChannel, association: Association) {
    this.channel = channel;
    this.association = association;
  }

  /** The sink for one C-STORE-RQ, from `handler`; its answer is sent when the handler responds. */
  take(handler: StoreRequestHandler, command: CommandSet, context: NegotiatedContext): DatasetSink {
    let settle!: () => void;
    const done = new Promise<void>((r) => { settle = r; });
    const pending: PendingStore = { done, settle };
    this.pending.add(pending);
    return handler(command, context, (status, extra) => {
      this.pending.delete(pending);
      pending.settle();
      // PS3.8 AR-7: P-DATA still goes out while the peer's release waits for our answer (Sta8).
      if (!this.association.established && this.association.state !== 'Sta8') return;
      // PS3.7 9.3.1.2: the C-STORE-RSP echoes the request's class, instance and message ID.
      const rsp: CommandSet = {
        commandField: COMMAND_FIELD.C_STORE_RSP,
        messageIdBeingRespondedTo: command.messageId,
        affectedSopClassUid: command.affectedSopClassUid,
        affectedSopInstanceUid: command.affectedSopInstanceUid,
        status,
        commandDataSetType: NO_DATA_SET,
      };
      // Sent for every instance: the usual answer, Success with nothing extra, is not copied.
      this.channel.send(context.id, extra ? { ...rsp, ...extra } : rsp);
    });
  }

  /** Resolves once every C-STORE taken so far has been answered (or the association ended). */
  async answered(): Promise<void> {
    await Promise.allSettled([...this.pending].map((p) => p.done));
  }

  /** The association ended: the writers were aborted with it, nobody is left to answer them. */
  drop(): void {
    for (const p of this.pending) p.settle();
    this.pending.clear();
  }
}
