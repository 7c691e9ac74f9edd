// PS3.8 7 and 9.2: one association, as requestor (Association.connect) or acceptor
// (Association.accept), driven by the state machine of state-machine.ts. This is the face the
// layer above (DIMSE) uses: the negotiated contexts, P-DATA, release and abort.
import type net from 'node:net';
import type tls from 'node:tls';
import type { AcceptOptions, AssociateDecision, PeerAddress } from './acceptor.ts';
import { REJECTION } from './a-associate-rj.ts';
import { encodeAssociateAc, encodeAssociateRq } from './a-associate.ts';
import { contextsOfAnswer, type NegotiatedContext } from './negotiation.ts';
import { P_DATA_TF_HEADER_LENGTH } from './p-data-tf.ts';
import {
  DICOM_APPLICATION_CONTEXT,
  type AssociateRq, type ExtendedNegotiation, type PresentationContextRq, type RoleSelection, type UserIdentityRq,
} from './pdu-types.ts';
import { StateMachine, type DataListener, type Transition, type UlLogger } from './state-machine.ts';
import { actionFor, type State } from './state-table.ts';
import { configureSocket, openTransport } from './transport.ts';

export type { NegotiatedContext } from './negotiation.ts';
export { describeContextResult } from './negotiation.ts';
export type { DataListener, Transition, UlLogger } from './state-machine.ts';
export { pduName } from './state-machine.ts';

/** The timers of an association (PS3.8 9.1.5 ARTIM, and the local user's own limits). */
export interface AssociationTimers {
  /** Requestor: the TCP (and TLS) connection. */
  connectTimeoutMs?: number | undefined;
  /** Awaiting A-ASSOCIATE-AC/RJ or A-RELEASE-RP (then A-ABORT); acceptor: ARTIM awaiting A-ASSOCIATE-RQ. */
  acseTimeoutMs?: number | undefined;
  /** ARTIM awaiting the peer's transport close once the association is over (default 1 s). */
  artimMs?: number | undefined;
  logger?: UlLogger | undefined;
  /** Every transition of the state machine (tests, diagnostics). */
  trace?: ((t: Transition) => void) | undefined;
  /**
   * Requestor: the time from our A-RELEASE-RQ to the peer's A-RELEASE-RP (ms), when the peer
   * answers it: a round trip with next to no work on the peer's side.
   */
  onReleaseRoundTrip?: ((ms: number) => void) | undefined;
}

export interface AssociationRequest extends AssociationTimers {
  host: string;
  port: number;
  callingAeTitle: string;
  calledAeTitle: string;
  presentationContexts: PresentationContextRq[];
  /** Our Maximum Length (PS3.8 D.1); 0 for no limit. */
  maxReceiveLength: number;
  implementationClassUid: string;
  implementationVersionName?: string | undefined;
  roleSelections?: RoleSelection[] | undefined;
  asyncOpsWindow?: { invoked: number; performed: number } | undefined;
  extendedNegotiations?: ExtendedNegotiation[] | undefined;
  userIdentity?: UserIdentityRq | undefined;
  tls?: tls.ConnectionOptions | undefined;
}

export class Association {
  private readonly machine: StateMachine;

  private constructor(machine: StateMachine) {
    this.machine = machine;
  }

  /** PS3.8 Evt1: opens TCP (and TLS), sends A-ASSOCIATE-RQ and resolves on A-ASSOCIATE-AC. */
  static connect(request: AssociationRequest): Promise<Association> {
    const machine = new StateMachine({ ...request, role: 'requestor', target: request }, {
      connect: (onRead, connected) => openTransport(request, onRead, connected),
      associateRq: () => associateRq(request),
      proposed: { contexts: request.presentationContexts, roles: request.roleSelections ?? [] },
    });
    const association = new Association(machine);
    return new Promise((resolve, reject) => {
      machine.settleEstablish = { resolve: () => resolve(association), reject };
      machine.dispatch('Evt1');
    });
  }

  /**
   * PS3.8 Evt5: takes an incoming connection (from a net or tls Server), awaits its A-ASSOCIATE-RQ
   * (ARTIM), lets `options.decide` accept or reject it, and resolves once the A-ASSOCIATE-AC is
   * sent (Sta6). Rejects when the association was rejected, aborted or timed out.
   */
  static accept(socket: net.Socket, options: AcceptOptions): Promise<Association> {
    const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    const machine = new StateMachine({ ...options, role: 'acceptor', target: { host: peer.address, port: peer.port } }, {
      decide: async (rq) => answer(rq, await decideOn(rq, peer, options), options),
    });
    configureSocket(socket);
    machine.attach(socket);
    socket.on('data', (chunk: Buffer) => machine.onRead(chunk, chunk.length));
    const association = new Association(machine);
    return new Promise((resolve, reject) => {
      machine.settleEstablish = { resolve: () => resolve(association), reject };
      machine.dispatch('Evt5');
    });
  }

  /** PS3.8 9.2 state (Sta1..Sta13). */
  get state(): State {
    return this.machine.state;
  }

  get contexts(): ReadonlyMap<number, NegotiatedContext> {
    return this.machine.contexts;
  }

  get established(): boolean {
    return this.machine.state === 'Sta6';
  }

  /** The peer's Maximum Length: the bound on each P-DATA-TF we send. */
  get peerMaxLength(): number {
    return this.machine.peerMaxLength;
  }

  setDataListener(listener: DataListener): void {
    this.machine.setDataListener(listener);
  }

  /**
   * P-DATA request (Evt9): a message part as P-DATA-TF PDUs fragmented to the peer's Maximum Length.
   * `more`: another part (the data set) follows at once, and should leave in the same segment.
   * Throws where PS3.8 allows no P-DATA (anywhere but Sta6, and Sta8 while a release is answered).
   */
  send(contextId: number, command: boolean, data: Buffer, more = false): void {
    this.machine.dispatch('Evt9', { pData: { contextId, command, data, more } });
  }

  /**
   * P-DATA request (Evt9) of a whole command set already framed as one P-DATA-TF (`pdu`, with
   * the command set from byte P_DATA_TF_HEADER_LENGTH on: dimse/command-set.ts encodeCommandPdu):
   * one socket write, no copy. Refused where send() is; fragmented as send() does when the
   * peer's Maximum Length is smaller than the PDU.
   */
  sendCommandPdu(contextId: number, pdu: Buffer, more = false): void {
    this.machine.dispatch('Evt9', { pData: { contextId, command: true, data: pdu.subarray(P_DATA_TF_HEADER_LENGTH), more, pdu } });
  }

  /**
   * PS3.8 7.2: A-RELEASE request (Evt11). Resolves on A-RELEASE-RP (or once a release collision is
   * settled), rejects if the association ends otherwise. Where the table has no A-RELEASE request
   * (a blank cell: refused, nothing is sent): the release already under way; the end of the
   * association, when the peer is releasing it; at once, when it is over.
   */
  release(): Promise<void> {
    const machine = this.machine;
    if (machine.settleRelease) return machine.settleRelease.promise;
    if (machine.over) return Promise.resolve();
    let settle!: { resolve: () => void; reject: (e: Error) => void };
    const promise = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
    machine.settleRelease = { promise, ...settle };
    if (actionFor(machine.state, 'Evt11')) machine.dispatch('Evt11');
    return promise;
  }

  /** PS3.8 7.3: A-ABORT request (Evt15); `error` is what the layer above is told. */
  abort(error?: Error): void {
    this.machine.dispatch('Evt15', { error });
  }
}

function associateRq(r: AssociationRequest): Buffer {
  const rq = encodeAssociateRq({
    calledAeTitle: r.calledAeTitle,
    callingAeTitle: r.callingAeTitle,
    presentationContexts: r.presentationContexts,
    userInformation: {
      maxLength: r.maxReceiveLength,
      implementationClassUid: r.implementationClassUid,
      implementationVersionName: r.implementationVersionName,
      asyncOpsWindow: r.asyncOpsWindow,
      roleSelections: r.roleSelections ?? [],
      extendedNegotiations: r.extendedNegotiations ?? [],
      userIdentityRq: r.userIdentity,
      unknown: [],
    },
  });
  r.logger?.debug?.(`A-ASSOCIATE-RQ ${rq.length} bytes, ${r.presentationContexts.length} presentation contexts, calling ${r.callingAeTitle} called ${r.calledAeTitle}`);
  return rq;
}

/** PS3.8 9.3.2: the application context is the DICOM one (PS3.7 A.2.1), or the request is rejected. */
async function decideOn(rq: AssociateRq, peer: PeerAddress, options: AcceptOptions): Promise<AssociateDecision> {
  if (rq.applicationContext !== DICOM_APPLICATION_CONTEXT) return { reject: REJECTION.APPLICATION_CONTEXT_NOT_SUPPORTED };
  return options.decide(rq, peer);
}

/** The decision as the machine takes it: the A-ASSOCIATE-AC (checked against the RQ) or the rejection. */
function answer(rq: AssociateRq, decision: AssociateDecision, options: AcceptOptions) {
  if ('reject' in decision) return { rejection: decision.reject };
  const contexts = contextsOfAnswer(rq, decision.accept);
  // PS3.8 9.3.3: the AE titles are those of the A-ASSOCIATE-RQ, sent back unchanged.
  const ac = encodeAssociateAc({
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    presentationContexts: decision.accept.contexts,
    userInformation: {
      maxLength: options.maxReceiveLength,
      implementationClassUid: options.implementationClassUid,
      implementationVersionName: options.implementationVersionName,
      roleSelections: decision.accept.roles,
      extendedNegotiations: [],
      userIdentityAc: decision.accept.userIdentityAc,
      unknown: [],
    },
  });
  return { ac, contexts };
}
