// What differs between a retrieve over C-GET (PS3.4 C.4.3) and over C-MOVE (C.4.2): the SOP class
// of the request, the contexts of its association, and where the C-STOREs arrive. Units, the
// pool, recovery and the result are the same for both (ARCHITECTURE.md "The stages of a retrieve").
import type { NegotiatedContext } from '../ul/association.ts';
import type { Response, ScuSession } from '../dimse/scu-session.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { planContexts, type ContextPlan, type StorageProposal } from './presentation-contexts.ts';
import type { StoreScp, UnitTally } from './store-scp.ts';
import type { Unit } from './units.ts';

/** What a C-MOVE's destination saw of the associations the PACS opened to it while the C-MOVE ran. */
export interface IncomingAssociations {
  accepted: number;
  /** Each refused one, in words (where from, as whom, why). */
  refused: string[];
}

export interface Operation {
  readonly service: 'C-GET' | 'C-MOVE';
  readonly via: 'get' | 'move';
  /** The model's GET or MOVE SOP Class UID: the context each request goes on. */
  readonly sopClassUid: string;
  /**
   * Whether the C-STOREs come back on the association itself (C-GET): an association then serves
   * only units whose storage contexts it proposed. A C-MOVE association proposes its class alone.
   */
  readonly storageOnAssociation: boolean;
  /** The presentation contexts (and role selections) of an association for units with this storage proposal. */
  plan(storage: StorageProposal[]): ContextPlan;
  /**
   * One request of a unit: every response to `onResponse`; resolves with the final one once every
   * C-STORE it brought is answered. `incoming`: for a C-MOVE, what came to its destination.
   */
  send(session: ScuSession, context: NegotiatedContext, identifier: Buffer, unit: Unit, tally: UnitTally,
    onResponse: (r: Response) => void): Promise<{ final: Response; incoming?: IncomingAssociations | undefined }>;
}

/** PS3.4 C.4.3: C-GET, the C-STOREs on the same association, with the SCP role asked for each storage class. */
export function getOperation(model: RetrieveModel, store: StoreScp, querySyntaxes?: string[]): Operation {
  return {
    service: 'C-GET',
    via: 'get',
    sopClassUid: model.get!,
    storageOnAssociation: true,
    plan: (storage) => planContexts([model.get!], storage, querySyntaxes),
    send: async (session, context, identifier, _unit, tally, onResponse) => ({
      final: await session.get(context, identifier, store.handlerFor(tally), onResponse),
    }),
  };
}
