// PS3.8 9.2.2, Tables 9-6 (AE), 9-7 (DT), 9-8 (AR) and 9-9 (AA): each action of the state machine,
// doing what the standard's text says, over the few primitives an association provides (UlMachine).
// Each returns the next state; association.ts looked the action up in state-table.ts.
import { ABORT_SOURCE, encodeAbort } from './a-abort.ts';
import { encodeAssociateRj } from './a-associate-rj.ts';
import { RELEASE_RP, RELEASE_RQ } from './a-release.ts';
import {
  ABORT_REASON, type Abort, type AssociateAc, type AssociateRj, type AssociateRq, type ControlPdu,
} from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';
import type { Action, State, UlEvent } from './state-table.ts';

/** A P-DATA request primitive: one message part, fragmented to the peer's Maximum Length. */
export interface PDataRequest {
  contextId: number;
  command: boolean;
  data: Buffer;
  more: boolean;
  /** `data` already framed as one P-DATA-TF (e.g. a command set, encodeCommandPdu): sent as is where the peer's Maximum Length allows. */
  pdu?: Buffer | undefined;
}

/** What came with the event. */
export interface EventInput {
  /** Set by the dispatcher: where the event arrived. */
  from: State;
  event: UlEvent;
  /** Evt3, 4, 6, 12, 13, 16: the PDU received. */
  pdu?: ControlPdu | undefined;
  /** Evt9 (and the P-DATA of AR-7). */
  pData?: PDataRequest | undefined;
  /** Evt7: the A-ASSOCIATE-AC to send; Evt8: the rejection to send. */
  ac?: Buffer | undefined;
  rejection?: Omit<AssociateRj, 'type'> | undefined;
  /** Evt15: why the local user aborts; Evt17: what the transport said; Evt19: the ProtocolError. */
  error?: Error | undefined;
}

/** The primitives an association gives its actions: the transport, the timers, the local user. */
export interface UlMachine {
  readonly isRequestor: boolean;
  connectTransport(): void;
  closeTransport(): void;
  send(pdu: Buffer): void;
  sendPData(request: PDataRequest): void;
  associateRq(): Buffer;
  /** AE-6: a rejection when the service provider itself cannot take the request (protocol version). */
  providerRejection(rq: AssociateRq): Omit<AssociateRj, 'type'> | undefined;
  /** ARTIM (PS3.8 9.1.5), restarted when already running. */
  startArtim(): void;
  /** The local user's own limits (not in the table): connecting (AE-1), awaiting AC/RJ (AE-2) or RP (AR-1). */
  startUserTimer(kind: 'connect' | 'associate' | 'release'): void;
  /** Stops whichever timer runs. */
  stopTimer(): void;
  /** Primitives to the local user. AE-3 throws ProtocolError when the AC is invalid (then Evt19). */
  confirmAssociate(ac: AssociateAc): void;
  confirmReject(rj: AssociateRj): void;
  indicateAssociate(rq: AssociateRq): void;
  confirmAccepted(): void;
  indicatePData(deliver: boolean): void;
  indicateRelease(): void;
  confirmRelease(): void;
  /** The association ended after A-RELEASE-RP was sent (AR-4). */
  releasedByPeer(): void;
  indicateAbort(abort: Abort): void;
  /** A-P-ABORT indication, or the end of the association for the local user for any other reason. */
  ended(error: Error | null): void;
  /** Words for an A-P-ABORT that the input explains. */
  describe(input: EventInput): Error;
}

type Perform = (m: UlMachine, input: EventInput) => State;

/** The Reason/Diag. of an A-ABORT we send as the service provider (PS3.8 Table 9-26). */
function providerReason(input: EventInput): number {
  return input.error instanceof ProtocolError ? input.error.abortReason : ABORT_REASON.UNEXPECTED_PDU;
}

const ESTABLISHMENT: Record<Extract<Action, `AE-${number}`>, Perform> = {
  'AE-1': (m) => { m.connectTransport(); m.startUserTimer('connect'); return 'Sta4'; },
  'AE-2': (m) => { m.send(m.associateRq()); m.startUserTimer('associate'); return 'Sta5'; },
  'AE-3': (m, i) => { m.confirmAssociate(i.pdu as AssociateAc); m.stopTimer(); return 'Sta6'; },
  'AE-4': (m, i) => { m.stopTimer(); m.confirmReject(i.pdu as AssociateRj); m.closeTransport(); return 'Sta1'; },
  'AE-5': (m) => { m.startArtim(); return 'Sta2'; },
  'AE-6': (m, i) => {
    m.stopTimer();
    const rq = i.pdu as AssociateRq;
    const rejection = m.providerRejection(rq);
    if (!rejection) {
      m.indicateAssociate(rq);
      return 'Sta3';
    }
    m.send(encodeAssociateRj(rejection));
    m.ended(m.describe({ ...i, rejection }));
    m.startArtim();
    return 'Sta13';
  },
  'AE-7': (m, i) => { m.send(i.ac!); m.confirmAccepted(); return 'Sta6'; },
  'AE-8': (m, i) => { m.send(encodeAssociateRj(i.rejection!)); m.ended(m.describe(i)); m.startArtim(); return 'Sta13'; },
};

const DATA_TRANSFER: Record<Extract<Action, `DT-${number}`>, Perform> = {
  'DT-1': (m, i) => { m.sendPData(i.pData!); return 'Sta6'; },
  'DT-2': (m) => { m.indicatePData(true); return 'Sta6'; },
};

const RELEASE: Record<Extract<Action, `AR-${number}`>, Perform> = {
  'AR-1': (m) => { m.send(RELEASE_RQ); m.startUserTimer('release'); return 'Sta7'; },
  'AR-2': (m) => { m.indicateRelease(); return 'Sta8'; },
  // PS3.8 9.2.3 AR-3: on A-RELEASE-RP the requestor closes the transport connection. At once: a
  // half-close would wait for the peer's FIN, which some SCPs send seconds later (PixelMed: ~5 s).
  'AR-3': (m) => { m.stopTimer(); m.confirmRelease(); m.closeTransport(); return 'Sta1'; },
  'AR-4': (m) => { m.send(RELEASE_RP); m.releasedByPeer(); m.startArtim(); return 'Sta13'; },
  'AR-5': (m) => { m.stopTimer(); m.ended(null); return 'Sta1'; },
  'AR-6': (m) => { m.indicatePData(true); return 'Sta7'; },
  'AR-7': (m, i) => { m.sendPData(i.pData!); return 'Sta8'; },
  'AR-8': (m) => { m.indicateRelease(); return m.isRequestor ? 'Sta9' : 'Sta10'; },
  'AR-9': (m) => { m.send(RELEASE_RP); return 'Sta11'; },
  'AR-10': (m) => { m.stopTimer(); m.confirmRelease(); return 'Sta12'; },
};

const ABORT: Record<Extract<Action, `AA-${number}`>, Perform> = {
  // Service-user source: the Reason/Diag. is not significant and is sent as 0 (PS3.8 9.3.8).
  'AA-1': (m, i) => {
    m.indicatePData(false);
    m.send(encodeAbort(ABORT_SOURCE.SERVICE_USER, ABORT_REASON.NOT_SPECIFIED));
    m.ended(m.describe(i));
    m.startArtim();
    return 'Sta13';
  },
  'AA-2': (m, i) => { m.stopTimer(); m.closeTransport(); m.ended(m.describe(i)); return 'Sta1'; },
  'AA-3': (m, i) => { m.stopTimer(); m.closeTransport(); m.indicateAbort(i.pdu as Abort); return 'Sta1'; },
  'AA-4': (m, i) => { m.stopTimer(); m.closeTransport(); m.ended(m.describe(i)); return 'Sta1'; },
  'AA-5': (m, i) => { m.stopTimer(); m.closeTransport(); m.ended(m.describe(i)); return 'Sta1'; },
  'AA-6': (m) => { m.indicatePData(false); return 'Sta13'; },
  'AA-7': (m, i) => { m.send(encodeAbort(ABORT_SOURCE.SERVICE_PROVIDER, providerReason(i))); return 'Sta13'; },
  'AA-8': (m, i) => {
    m.indicatePData(false);
    m.send(encodeAbort(ABORT_SOURCE.SERVICE_PROVIDER, providerReason(i)));
    m.ended(m.describe(i));
    m.startArtim();
    return 'Sta13';
  },
};

/** Every action of PS3.8 Tables 9-6..9-9, by its name. */
export const PERFORM: Readonly<Record<Action, Perform>> = { ...ESTABLISHMENT, ...DATA_TRANSFER, ...RELEASE, ...ABORT };
