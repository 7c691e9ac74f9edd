// PS3.8 9.2: the Upper Layer state machine of one association, requestor or acceptor. Every PDU
// received, every request of the local user and every transport or timer event is an event (Evt1..19)
// looked up in Table 9-10 (state-table.ts) and handled by the action found there (actions.ts);
// this file is the dispatcher and the primitives those actions use: the socket, the timers, the
// PDU parser, and the indications and confirmations handed to the local user.
import type net from 'node:net';
import { ABORT_SOURCE, describeAbort, nameAbort } from './a-abort.ts';
import { REJECTION } from './a-associate-rj.ts';
import { PERFORM, type EventInput, type PDataRequest, type UlMachine } from './actions.ts';
import { AssociationAbortedError, AssociationRejectedError, ConnectionError, TimeoutError } from './errors.ts';
import { contextsOfAc, type NegotiatedContext } from './negotiation.ts';
import { encodePDataTf, fitsMaxLength } from './p-data-tf.ts';
import { PduParser, type PduHandler } from './pdu-parser.ts';
import {
  ABORT_REASON, PDU_TYPE,
  type Abort, type AssociateAc, type AssociateRj, type AssociateRq, type ControlPdu, type PresentationContextRq, type RoleSelection,
} from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';
import {
  EVENTS, PDU_EVENT, STATES, actionFor, blankCell, type Action, type BlankCell, type State, type UlEvent,
} from './state-table.ts';
import { describeSocketError, type TransportTarget } from './transport.ts';

export interface UlLogger {
  /** Called only when set: no formatting work is done otherwise. */
  verbose?: ((message: string) => void) | undefined;
  debug?: ((message: string) => void) | undefined;
}

/** One step of the machine: the table's action, or for a blank cell what blankCell() says of it. */
export interface Transition { from: State; event: UlEvent; action: Action | BlankCell; to: State }

/** What the layer above (DIMSE) gets: PDV fragments, release requests, and the end of the association. */
export interface DataListener {
  onPdv(contextId: number, control: number, data: Buffer, end: boolean): void;
  /** The views onPdv handed on since the last call become invalid when this returns (the read buffer is reused). */
  onChunkEnd?(): void;
  /**
   * A-RELEASE indication (AR-2; AR-8 in a release collision): the peer asks to release. A-RELEASE-RP
   * is sent when this returns, or when the promise it returns settles; until then send() still
   * works (Sta8, AR-7), e.g. for a response still being written. Without it the answer is at once.
   */
  onReleaseRequested?(): void | Promise<unknown>;
  /** `error` is null after an orderly release. */
  onClose(error: Error | null): void;
}

export interface MachineOptions {
  role: 'requestor' | 'acceptor';
  /** Our Maximum Length (PS3.8 D.1); 0 for no limit. */
  maxReceiveLength: number;
  /** Who the peer is: for messages, and where a requestor connects. */
  target: TransportTarget;
  connectTimeoutMs?: number | undefined;
  /** The local user's limit on awaiting A-ASSOCIATE-AC/RJ and A-RELEASE-RP; ARTIM while awaiting A-ASSOCIATE-RQ. */
  acseTimeoutMs?: number | undefined;
  /** ARTIM while awaiting the transport close (Sta13). */
  artimMs?: number | undefined;
  logger?: UlLogger | undefined;
  trace?: ((t: Transition) => void) | undefined;
  /** Requestor: the time from our A-RELEASE-RQ to the peer's A-RELEASE-RP (ms), when it answers. */
  onReleaseRoundTrip?: ((ms: number) => void) | undefined;
}

/** The role-specific parts: how the requestor opens and proposes, how the acceptor decides. */
export interface RoleHooks {
  connect?(onRead: (buffer: Buffer, length: number) => void, connected: () => void): net.Socket;
  associateRq?(): Buffer;
  proposed?: { contexts: readonly PresentationContextRq[]; roles: readonly RoleSelection[] };
  /** Acceptor: from the A-ASSOCIATE-RQ to Evt7 (with the AC) or Evt8 (with the rejection). */
  decide?(rq: AssociateRq): Promise<{ ac: Buffer; contexts: Map<number, NegotiatedContext> } | { rejection: Omit<AssociateRj, 'type'> }>;
}

/**
 * PS3.8 9.1.5 leaves ARTIM's value to the implementation. Awaiting the transport close (Sta13) the
 * association no longer exists and the peer has only to close; a longer wait only delays our exit
 * when the peer is frozen.
 */
export const DEFAULT_ARTIM_MS = 1_000;
/**
 * Sta13, awaiting the peer's close: how long the process stays up after the peer last sent
 * anything. Closing a socket with bytes unread makes the kernel answer with RST, and a peer that
 * gets RST may lose the A-ABORT still unread in its own buffer; so what the peer still sends (the
 * rest of a PDU we refused) is read and dropped until it has been quiet this long. A silent peer
 * costs the exit this much, not ARTIM.
 */
const LINGER_QUIET_MS = 50;
/** Awaiting the A-ASSOCIATE-RQ (Sta2) and the answers to ours: DCMTK's and our CLI's ACSE timeout. */
export const DEFAULT_ACSE_TIMEOUT_MS = 30_000;

/** An error thrown by the local user from a callback: the user's A-ABORT request (Evt15), not the peer's fault. */
class UserError extends Error {
  readonly error: Error;
  constructor(error: unknown) {
    super(String(error));
    this.error = error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * What the user is told when it aborts from a callback. A ProtocolError there is the layer above
 * finding the peer at fault (PS3.7: a command set it cannot read, a response to nothing): the peer's
 * protocol error, although the A-ABORT is the user's (AA-1, source service user).
 */
function userAbortError(error: Error): Error {
  return error instanceof ProtocolError ? new AssociationAbortedError(`protocol error from the peer: ${error.message}; association aborted`) : error;
}

const SINGLE_WRITE_BYTES = 16 * 1024;

export function pduName(type: number): string {
  return ['', 'A-ASSOCIATE-RQ', 'A-ASSOCIATE-AC', 'A-ASSOCIATE-RJ', 'P-DATA-TF', 'A-RELEASE-RQ', 'A-RELEASE-RP', 'A-ABORT'][type] ?? `PDU 0x${type.toString(16)}`;
}

export class StateMachine implements UlMachine, PduHandler {
  readonly isRequestor: boolean;
  private current: State = 'Sta1';
  private socket: net.Socket | undefined;
  private closedByUs = false;
  private readonly parser: PduParser;
  private readonly o: MachineOptions;
  private readonly hooks: RoleHooks;
  private readonly log: UlLogger;
  private timer: NodeJS.Timeout | undefined;
  /** Sta13: keeps the process up while the peer still sends (LINGER_QUIET_MS). */
  private linger: NodeJS.Timeout | undefined;
  private listener: DataListener | undefined;
  private transportError: Error | undefined;
  /** Whether the PDVs of the current P-DATA-TF go to the user (DT-2, AR-6) or nowhere (AA-6, aborts). */
  private delivering = false;
  private checkedContext = -1;
  private releaseAnswer: Promise<unknown> | undefined;
  private readonly pending: (() => void)[] = [];
  private flushing = false;
  private readonly pDataEvent: Partial<EventInput> = {};
  private closeError: Error | null | undefined;
  settleEstablish: { resolve: () => void; reject: (e: Error) => void } | undefined;
  settleRelease: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | undefined;
  contexts = new Map<number, NegotiatedContext>();
  peerMaxLength = 0;
  /** When AR-1 sent A-RELEASE-RQ (process.hrtime), for onReleaseRoundTrip. */
  private releaseSentAt: bigint | undefined;

  constructor(options: MachineOptions, hooks: RoleHooks) {
    this.o = options;
    this.hooks = hooks;
    this.isRequestor = options.role === 'requestor';
    this.log = options.logger ?? {};
    this.parser = new PduParser(this, { maxPDataLength: options.maxReceiveLength });
  }

  get state(): State {
    return this.current;
  }

  /** Whether the local user has been told the association is over. */
  get over(): boolean {
    return this.closeError !== undefined;
  }

  setDataListener(listener: DataListener): void {
    this.listener = listener;
    if (this.closeError !== undefined) listener.onClose(this.closeError);
  }

  /** Looks `event` up in Table 9-10 and performs the action; throws for a refused local request. */
  dispatch(event: UlEvent, input: Partial<EventInput> = {}): void {
    const from = this.current;
    const action = actionFor(from, event);
    if (!action) return this.blank(event, input);
    let to: State;
    input.from = from;
    input.event = event;
    try {
      to = PERFORM[action](this, input as EventInput);
    } catch (err) {
      // AE-3 found the A-ASSOCIATE-AC invalid (a context never proposed...): an invalid PDU, Evt19.
      if (err instanceof ProtocolError && event !== 'Evt19') return this.dispatch('Evt19', { error: err });
      throw err;
    }
    this.current = to;
    this.o.trace?.({ from, event, action, to });
    if (this.log.debug && event !== 'Evt9' && event !== 'Evt10') this.log.debug(`${from} + ${event} (${EVENTS[event]}) → ${action} → ${to}`);
    this.flush();
  }

  private blank(event: UlEvent, input: Partial<EventInput>): void {
    const from = this.current;
    const kind = blankCell(from, event);
    if (kind === 'refused') throw new AssociationAbortedError(`${EVENTS[event]} refused: the association is in ${from} (${STATES[from]})`);
    if (kind === 'abort-closes' && from === 'Sta1') return;
    if (kind !== 'abort-closes') this.log.debug?.(`${event} in ${from}: a blank cell of PS3.8 Table 9-10 (${kind}); transport closed`);
    this.stopTimer();
    // Sta13 with the peer still sending after our A-ABORT: closed once what it sends has been read
    // (LINGER_QUIET_MS), not now, when its unread bytes would make our close a RST ahead of them.
    if (kind === 'abort-closes' && from === 'Sta13' && this.linger) this.closeAfterLinger();
    else this.closeTransport();
    this.current = 'Sta1';
    this.o.trace?.({ from, event, action: kind ?? 'no-transport', to: 'Sta1' });
    this.ended(input.error ?? new AssociationAbortedError(`${EVENTS[event]} in ${from}: association closed`));
    this.flush();
  }

  /** Runs the indications the last action queued, now that the state is the new one. */
  private flush(): void {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        try {
          this.pending.shift()!();
        } catch (err) {
          throw err instanceof UserError ? err : new UserError(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private queue(fn: () => void): void {
    this.pending.push(fn);
  }

  // --- the transport ------------------------------------------------------------------------

  /** An accepted connection (Evt5 follows), or the one AE-1 opens. */
  attach(socket: net.Socket): void {
    this.socket = socket;
    socket.on('error', (err: NodeJS.ErrnoException) => { this.transportError = this.socketError(err); });
    socket.on('close', () => {
      this.stopLinger();
      if (!this.closedByUs) this.dispatch('Evt17', { error: this.transportError });
    });
  }

  readonly onRead = (buffer: Buffer, length: number): void => {
    this.linger?.refresh();
    try {
      this.parser.push(length === buffer.length ? buffer : buffer.subarray(0, length));
      if (this.delivering) this.listener?.onChunkEnd?.();
    } catch (err) {
      // Whatever threw, the rest of this read was not parsed: the PDU framing is lost.
      this.parser.stop();
      if (err instanceof UserError) this.dispatch('Evt15', { error: userAbortError(err.error) });
      else if (err instanceof ProtocolError) this.dispatch('Evt19', { error: err });
      else this.dispatch('Evt15', { error: err instanceof Error ? err : new Error(String(err)) });
    }
  };

  private socketError(err: NodeJS.ErrnoException): Error {
    const message = describeSocketError(err, this.o.target, this.current === 'Sta4');
    return this.current === 'Sta4' || (this.current === 'Sta5' && err.code !== 'ECONNRESET')
      ? new ConnectionError(message, err.code)
      : new AssociationAbortedError(message);
  }

  connectTransport(): void {
    this.attach(this.hooks.connect!(this.onRead, () => this.dispatch('Evt2')));
  }

  closeTransport(): void {
    this.stopLinger();
    this.stopReading();
    this.socket?.destroy();
  }

  /** Nothing more is parsed or handed on, and the transport's close is ours, not the peer's (no Evt17). */
  private stopReading(): void {
    this.parser.stop();
    this.delivering = false;
    this.closedByUs = true;
  }

  send(pdu: Buffer): void {
    if (this.log.debug) this.log.debug(`→ ${pduName(pdu[0]!)}${pdu[0] === PDU_TYPE.A_ABORT ? ` (${nameAbort({ source: pdu[8]!, reason: pdu[9]! })})` : ''}, ${pdu.length} bytes`);
    this.socket!.write(pdu);
  }

  /** Message parts as P-DATA-TF PDUs fragmented to the peer's Maximum Length. */
  sendPData(r: PDataRequest): void {
    const socket = this.socket!;
    const whole = r.pdu !== undefined && fitsMaxLength(r.pdu.length, this.peerMaxLength);
    const parts = whole ? [r.pdu!] : encodePDataTf(r.contextId, r.command, r.data, this.peerMaxLength);
    if (this.log.debug) this.log.debug(`→ P-DATA-TF ctx ${r.contextId} ${r.command ? 'command' : 'dataset'} ${r.data.length} bytes in ${whole ? 1 : parts.length / 2} PDU(s)`);
    if (!r.more && (whole || (parts.length === 2 && r.data.length <= SINGLE_WRITE_BYTES))) {
      // A lone command (a C-STORE-RSP, on which the SCP waits): one write now, not a cork
      // released on the next tick.
      socket.write(whole ? r.pdu! : Buffer.concat(parts));
      return;
    }
    socket.cork();
    for (const part of parts) socket.write(part);
    // Uncorking on the next tick lets a command and its data set leave in one segment.
    process.nextTick(() => socket.uncork());
  }

  // --- the parser's events ------------------------------------------------------------------

  onControlPdu(pdu: ControlPdu): void {
    if (this.log.debug) this.log.debug(`← ${pduName(pdu.type)}${pdu.type === PDU_TYPE.A_ABORT ? ` (${nameAbort(pdu)})` : ''}`);
    this.dispatch(PDU_EVENT[pdu.type]!, { pdu });
  }

  onPDataTf(): void {
    // Once per P-DATA-TF: the one event on the hot path, so its input object is reused.
    this.dispatch('Evt10', this.pDataEvent);
  }

  onPdv(contextId: number, control: number, data: Buffer, end: boolean): void {
    if (!this.delivering) return;
    if (contextId !== this.checkedContext) {
      // PS3.8 9.3.5.1: a PDV's presentation context is one the association accepted.
      if (!this.contexts.get(contextId)?.accepted) {
        throw new ProtocolError(`PDV on presentation context ${contextId}, which was not accepted`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
      }
      this.checkedContext = contextId;
    }
    try {
      this.listener?.onPdv(contextId, control, data, end);
    } catch (err) {
      throw new UserError(err);
    }
  }

  // --- timers -------------------------------------------------------------------------------

  private arm(ms: number | undefined, onExpiry: () => void): void {
    this.stopTimer();
    if (!ms || ms <= 0) return;
    this.timer = setTimeout(onExpiry, ms);
    this.timer.unref?.();
  }

  stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  startArtim(): void {
    // Only AE-5 starts ARTIM from Sta1: the transport is open and the A-ASSOCIATE-RQ awaited.
    const awaitingRq = this.current === 'Sta1';
    const ms = awaitingRq ? this.o.acseTimeoutMs ?? DEFAULT_ACSE_TIMEOUT_MS : this.o.artimMs ?? DEFAULT_ARTIM_MS;
    // Awaiting only the peer's close (Sta13), nothing more is owed to anyone: a process that is
    // done need not stay up for it (the A-ABORT already went to the kernel, which delivers it),
    // once nothing the peer sends is left unread (lingerForPeer).
    if (!awaitingRq) {
      this.socket?.unref();
      this.lingerForPeer();
    }
    this.arm(ms, () => this.dispatch('Evt18', {
      error: awaitingRq
        ? new TimeoutError('acse', `no A-ASSOCIATE-RQ from ${this.where} within ${ms} ms of the connection (ARTIM)`)
        : undefined,
    }));
  }

  /**
   * Sta13: the transport stays open for the peer to close (PS3.8 9.2: ARTIM bounds the wait), and
   * what it still sends is read and dropped; see LINGER_QUIET_MS.
   */
  private lingerForPeer(): void {
    if (!this.socket || this.socket.destroyed) return;
    this.linger ??= setTimeout(() => { this.linger = undefined; }, LINGER_QUIET_MS);
  }

  private closeAfterLinger(): void {
    this.stopReading();
    const close = () => this.closeTransport();
    clearTimeout(this.linger);
    this.linger = setTimeout(close, LINGER_QUIET_MS);
    // A peer that never stops sending holds nothing up for longer than ARTIM would have.
    this.arm(this.o.artimMs ?? DEFAULT_ARTIM_MS, close);
  }

  private stopLinger(): void {
    clearTimeout(this.linger);
    this.linger = undefined;
  }

  startUserTimer(kind: 'connect' | 'associate' | 'release'): void {
    // AR-1 sends A-RELEASE-RQ, then arms this: the exchange's time is a round trip to the peer
    // with next to no work on its side (the latency hint tells the network from the PACS by it).
    if (kind === 'release') this.releaseSentAt = process.hrtime.bigint();
    const { target } = this.o;
    const ms = kind === 'connect' ? this.o.connectTimeoutMs : this.o.acseTimeoutMs;
    const message = kind === 'connect' ? `no TCP connection to ${target.host}:${target.port} within ${ms} ms`
      : kind === 'associate' ? `no answer to A-ASSOCIATE-RQ within ${ms} ms (ACSE timeout)`
        : `no A-RELEASE-RP within ${ms} ms`;
    this.arm(ms, () => this.dispatch('Evt15', { error: new TimeoutError(kind === 'connect' ? 'connect' : 'acse', message) }));
  }

  private get where(): string {
    return `${this.o.target.host}:${this.o.target.port}`;
  }

  // --- establishment ------------------------------------------------------------------------

  associateRq(): Buffer {
    return this.hooks.associateRq!();
  }

  providerRejection(rq: AssociateRq): Omit<AssociateRj, 'type'> | undefined {
    // PS3.8 9.3.2: bit 0 of the Protocol-version field is version 1, the only one there is.
    return (rq.protocolVersion & 1) === 0 ? REJECTION.PROTOCOL_VERSION_NOT_SUPPORTED : undefined;
  }

  confirmAssociate(ac: AssociateAc): void {
    const proposed = this.hooks.proposed!;
    this.contexts = contextsOfAc(proposed.contexts, proposed.roles, ac); // throws ProtocolError: Evt19
    this.peerMaxLength = ac.userInformation.maxLength;
    this.log.verbose?.(`association accepted by ${ac.calledAeTitle || this.o.target.host}: peer Maximum Length ${ac.userInformation.maxLength || 'unlimited'}, implementation ${ac.userInformation.implementationClassUid}${ac.userInformation.implementationVersionName ? ` (${ac.userInformation.implementationVersionName})` : ''}`);
    this.queue(() => this.established());
  }

  confirmReject(rj: AssociateRj): void {
    this.queue(() => this.finish(new AssociationRejectedError(rj)));
  }

  indicateAssociate(rq: AssociateRq): void {
    this.peerMaxLength = rq.userInformation.maxLength;
    this.queue(() => {
      this.hooks.decide!(rq).then((decision) => {
        if (this.current !== 'Sta3') return; // the association ended while the user decided
        if ('rejection' in decision) {
          this.dispatch('Evt8', { rejection: decision.rejection });
          return;
        }
        this.contexts = decision.contexts;
        this.dispatch('Evt7', { ac: decision.ac });
      }).catch((err: unknown) => {
        if (this.current === 'Sta3') this.dispatch('Evt15', { error: err instanceof Error ? err : new Error(String(err)) });
      });
    });
  }

  confirmAccepted(): void {
    this.queue(() => this.established());
  }

  private established(): void {
    const settle = this.settleEstablish;
    this.settleEstablish = undefined;
    settle?.resolve();
  }

  // --- data transfer and release -----------------------------------------------------------

  indicatePData(deliver: boolean): void {
    this.delivering = deliver;
  }

  indicateRelease(): void {
    const listener = this.listener;
    this.queue(() => {
      this.releaseAnswer = Promise.resolve(listener?.onReleaseRequested?.());
      // Sta8 and Sta9 await the user's answer; in Sta10 it waits for A-RELEASE-RP first (AR-10).
      if (this.current === 'Sta8' || this.current === 'Sta9') this.answerRelease();
    });
  }

  /** The A-RELEASE response primitive (Evt14), once the user's answer has settled. */
  private answerRelease(): void {
    (this.releaseAnswer ?? Promise.resolve()).then(
      () => { if (actionFor(this.current, 'Evt14')) this.dispatch('Evt14'); },
      (err: unknown) => { if (actionFor(this.current, 'Evt15')) this.dispatch('Evt15', { error: err instanceof Error ? err : new Error(String(err)) }); },
    );
  }

  confirmRelease(): void {
    if (this.current === 'Sta7' && this.releaseSentAt !== undefined) this.o.onReleaseRoundTrip?.(Number(process.hrtime.bigint() - this.releaseSentAt) / 1e6);
    this.queue(() => {
      if (this.current === 'Sta12') this.answerRelease(); // AR-10: the collision's last step is ours
      else this.finish(null);
    });
  }

  releasedByPeer(): void {
    // A requestor releases; an acceptor is released. The acceptor releasing first is legal (PS3.8
    // 7.2) but leaves the requestor's operation unfinished.
    this.queue(() => this.finish(this.isRequestor
      ? new AssociationAbortedError('the peer released the association before the operation ended')
      : null));
  }

  // --- the end ------------------------------------------------------------------------------

  indicateAbort(abort: Abort): void {
    this.ended(new AssociationAbortedError(`association ${describeAbort(abort)}`, abort.source, abort.reason));
  }

  ended(error: Error | null): void {
    this.queue(() => this.finish(error));
  }

  describe(input: EventInput): Error {
    if (input.rejection) return new AssociationRejectedError(input.rejection);
    switch (input.event) {
      case 'Evt15': return input.error ?? new AssociationAbortedError('association aborted by dcmget');
      case 'Evt16': return new AssociationAbortedError(`association ${describeAbort(input.pdu as Abort)}`, (input.pdu as Abort).source, (input.pdu as Abort).reason);
      case 'Evt17': return input.error ?? this.closedError(input.from);
      case 'Evt18': return input.error ?? new TimeoutError('acse', `the peer did not close the connection (ARTIM) in ${input.from}`);
      case 'Evt19': {
        const reason = input.error instanceof ProtocolError ? input.error.abortReason : ABORT_REASON.NOT_SPECIFIED;
        return new AssociationAbortedError(`protocol error from the peer: ${input.error?.message}; association aborted (A-ABORT: ${nameAbort({ source: ABORT_SOURCE.SERVICE_PROVIDER, reason })})`, undefined, undefined, { cause: input.error });
      }
      default: {
        const type = input.event === 'Evt10' ? PDU_TYPE.P_DATA_TF : input.pdu?.type ?? 0;
        return new AssociationAbortedError(`unexpected ${pduName(type)} from the peer in ${input.from} (${STATES[input.from]}); association aborted (A-ABORT: ${nameAbort({ source: ABORT_SOURCE.SERVICE_PROVIDER, reason: ABORT_REASON.UNEXPECTED_PDU })})`);
      }
    }
  }

  private closedError(from: State): Error {
    if (from === 'Sta4') return new ConnectionError(`connection to ${this.where} closed before it was established`);
    if (from === 'Sta2') return new AssociationAbortedError(`${this.where} closed the connection before sending A-ASSOCIATE-RQ`);
    const where = from === 'Sta5' ? ' before answering A-ASSOCIATE-RQ' : this.parser.idle ? '' : ' in the middle of a PDU';
    return new AssociationAbortedError(`the peer closed the connection${where} without releasing the association`, undefined, undefined, { unanswered: from === 'Sta5' });
  }

  private finish(error: Error | null): void {
    if (this.closeError !== undefined) return;
    this.closeError = error;
    const establish = this.settleEstablish;
    this.settleEstablish = undefined;
    establish?.reject(error ?? new AssociationAbortedError('association closed before it was accepted'));
    const release = this.settleRelease;
    this.settleRelease = undefined;
    if (release) {
      if (error) release.reject(error);
      else release.resolve();
    }
    this.listener?.onClose(error);
  }
}
