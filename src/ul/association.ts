// PS3.8 9.2: the association requestor. States follow Table 9-10 (Sta1 idle, Sta4 awaiting
// transport connection, Sta5 awaiting A-ASSOCIATE-AC/RJ, Sta6 established, Sta7 awaiting
// A-RELEASE-RP, Sta13 awaiting transport close); anything a state does not expect is an A-ABORT.
import net from 'node:net';
import { createRequire } from 'node:module';
import type tls from 'node:tls';
import { ABORT_SOURCE, describeAbort, encodeAbort } from './a-abort.ts';
import { encodeAssociateRq } from './a-associate.ts';
import { RELEASE_RP, RELEASE_RQ } from './a-release.ts';
import { AssociationAbortedError, AssociationRejectedError, ConnectionError, TimeoutError } from './errors.ts';
import { encodePDataTf } from './p-data-tf.ts';
import { PduParser, type PduHandler } from './pdu-parser.ts';
import {
  PDU_TYPE, PRESENTATION_CONTEXT_RESULT,
  type AssociateAc, type ControlPdu, type ExtendedNegotiation, type PresentationContextRq,
  type RoleSelection, type UserIdentityRq,
} from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';

/** node:tls costs ~10 ms to load; only associations over TLS need it. */
const loadTls = (): typeof tls => createRequire(import.meta.url)('node:tls') as typeof tls;

/** Up to this size a PDU is copied into one buffer and written at once (a command set is ~100 bytes). */
const SINGLE_WRITE_BYTES = 16 * 1024;

export interface UlLogger {
  /** Called only when set: no formatting work is done otherwise. */
  verbose?: ((message: string) => void) | undefined;
  debug?: ((message: string) => void) | undefined;
}

export interface AssociationRequest {
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
  connectTimeoutMs?: number | undefined;
  /** ARTIM (PS3.8 9.1.5): waiting for A-ASSOCIATE-AC/RJ and for A-RELEASE-RP. */
  acseTimeoutMs?: number | undefined;
  tls?: tls.ConnectionOptions | undefined;
  logger?: UlLogger | undefined;
}

export interface NegotiatedContext {
  id: number;
  abstractSyntax: string;
  proposedTransferSyntaxes: string[];
  /** PS3.8 Table 9-18 result; 0 is acceptance. */
  result: number;
  accepted: boolean;
  transferSyntax: string;
  /** PS3.7 D.3.3.4: our roles as the acceptor granted them (default: SCU only). */
  scuRole: boolean;
  scpRole: boolean;
}

/** What the layer above (DIMSE) gets: PDV fragments, and the end of the association. */
export interface DataListener {
  onPdv(contextId: number, control: number, data: Buffer, end: boolean): void;
  /** The views onPdv handed on since the last call become invalid when this returns (the read buffer is reused). */
  onChunkEnd?(): void;
  /** `error` is null after an orderly release. */
  onClose(error: Error | null): void;
}

const READ_BUFFER_SIZE = 256 * 1024;

/** OpenSSL's verdicts on a certificate chain that does not lead to a trusted CA (or is stale). */
const TLS_TRUST_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA',
]);

type State = 'Sta1' | 'Sta4' | 'Sta5' | 'Sta6' | 'Sta7' | 'Sta13';

const PRESENTATION_RESULT_WORDS: Record<number, string> = {
  [PRESENTATION_CONTEXT_RESULT.ACCEPTANCE]: 'accepted',
  [PRESENTATION_CONTEXT_RESULT.USER_REJECTION]: 'rejected by the user',
  [PRESENTATION_CONTEXT_RESULT.NO_REASON]: 'rejected, no reason given',
  [PRESENTATION_CONTEXT_RESULT.ABSTRACT_SYNTAX_NOT_SUPPORTED]: 'abstract syntax not supported',
  [PRESENTATION_CONTEXT_RESULT.TRANSFER_SYNTAXES_NOT_SUPPORTED]: 'transfer syntaxes not supported',
};

export function describeContextResult(result: number): string {
  return PRESENTATION_RESULT_WORDS[result] ?? `result ${result}`;
}

export class Association implements PduHandler {
  private readonly socket: net.Socket;
  private readonly parser: PduParser;
  private readonly request: AssociationRequest;
  private readonly log: UlLogger;
  private state: State = 'Sta4';
  private timer: NodeJS.Timeout | undefined;
  private listener: DataListener | undefined;
  private settleConnect: { resolve: (a: Association) => void; reject: (e: Error) => void } | undefined;
  private settleRelease: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private closeError: Error | null | undefined;
  private acceptance: AssociateAc | undefined;
  private negotiated = new Map<number, NegotiatedContext>();
  /** The peer's Maximum Length: the bound on each P-DATA-TF we send. */
  peerMaxLength = 0;

  private constructor(request: AssociationRequest) {
    this.request = request;
    this.log = request.logger ?? {};
    this.parser = new PduParser(this, { maxPDataLength: request.maxReceiveLength });
    const { host, port } = request;
    // Without TLS, reads land in one reused buffer (no allocation per read, so memory stays flat
    // on a multi-GB instance); everything after the parser that outlives a read copies what it keeps.
    this.socket = request.tls
      ? loadTls().connect({ ...request.tls, host, port, servername: request.tls.servername ?? (net.isIP(host) ? undefined : host) })
      : net.connect({
        host, port,
        onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_SIZE), callback: (n: number, buf: Uint8Array) => { this.onData(buf as Buffer, n); return undefined as unknown as boolean; } },
      });
    // Without TCP_NODELAY, each small C-STORE-RSP waits on the peer's delayed ACK (~40 ms a sub-operation).
    this.socket.setNoDelay(true);
  }

  /** Opens TCP (and TLS), sends A-ASSOCIATE-RQ and resolves on A-ASSOCIATE-AC. */
  static connect(request: AssociationRequest): Promise<Association> {
    const association = new Association(request);
    return new Promise((resolve, reject) => {
      association.settleConnect = { resolve, reject };
      association.start();
    });
  }

  get acceptedPdu(): AssociateAc {
    if (!this.acceptance) throw new Error('association not established');
    return this.acceptance;
  }

  get contexts(): ReadonlyMap<number, NegotiatedContext> {
    return this.negotiated;
  }

  get established(): boolean {
    return this.state === 'Sta6';
  }

  setDataListener(listener: DataListener): void {
    this.listener = listener;
    if (this.closeError !== undefined) listener.onClose(this.closeError);
  }

  private start(): void {
    const { socket, request } = this;
    const connectEvent = request.tls ? 'secureConnect' : 'connect';
    this.arm('connect', request.connectTimeoutMs, `no TCP connection to ${request.host}:${request.port} within ${request.connectTimeoutMs} ms`);
    socket.once(connectEvent, () => this.onTransportConfirm());
    if (request.tls) socket.on('data', (chunk: Buffer) => this.onData(chunk, chunk.length));
    socket.on('error', (err: NodeJS.ErrnoException) => this.onSocketError(err));
    socket.on('close', () => this.onSocketClose());
  }

  private arm(timer: TimeoutError['timer'], ms: number | undefined, message: string): void {
    this.disarm();
    if (!ms || ms <= 0) return;
    this.timer = setTimeout(() => this.fail(new TimeoutError(timer, message), true), ms);
    this.timer.unref?.();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  // AE-2: transport connected, send A-ASSOCIATE-RQ, start ARTIM.
  private onTransportConfirm(): void {
    const r = this.request;
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
    this.state = 'Sta5';
    this.log.debug?.(`→ A-ASSOCIATE-RQ ${rq.length} bytes, ${r.presentationContexts.length} presentation contexts, calling ${r.callingAeTitle} called ${r.calledAeTitle}`);
    this.arm('acse', r.acseTimeoutMs, `no answer to A-ASSOCIATE-RQ within ${r.acseTimeoutMs} ms (ACSE timeout)`);
    this.socket.write(rq);
  }

  private onData(buffer: Buffer, length: number): void {
    try {
      this.parser.push(length === buffer.length ? buffer : buffer.subarray(0, length));
      this.listener?.onChunkEnd?.();
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.fail(new AssociationAbortedError(`protocol error from the peer: ${err.message}; association aborted`), true, err.abortReason, ABORT_SOURCE.SERVICE_PROVIDER);
      } else {
        // A failure of our own layer above (a sink, a callback): abort as the service user.
        this.fail(err instanceof Error ? err : new Error(String(err)), true);
      }
    }
  }

  onPdv(contextId: number, control: number, data: Buffer, end: boolean): void {
    if (this.state !== 'Sta6' && this.state !== 'Sta7') {
      throw new ProtocolError(`P-DATA-TF received in state ${this.state}`, 0x02);
    }
    this.listener?.onPdv(contextId, control, data, end);
  }

  onControlPdu(pdu: ControlPdu): void {
    if (this.log.debug) this.log.debug(`← ${pduName(pdu.type)}`);
    switch (pdu.type) {
      case PDU_TYPE.A_ASSOCIATE_AC:
        if (this.state !== 'Sta5') throw new ProtocolError(`A-ASSOCIATE-AC received in state ${this.state}`, 0x02);
        this.onAssociateAc(pdu);
        return;
      case PDU_TYPE.A_ASSOCIATE_RJ:
        if (this.state !== 'Sta5') throw new ProtocolError(`A-ASSOCIATE-RJ received in state ${this.state}`, 0x02);
        this.fail(new AssociationRejectedError(pdu), false);
        return;
      case PDU_TYPE.A_RELEASE_RP:
        if (this.state !== 'Sta7') throw new ProtocolError(`A-RELEASE-RP received in state ${this.state}`, 0x02);
        this.disarm();
        this.state = 'Sta1';
        this.finish(null);
        // PS3.8 9.2.3 AR-3: on A-RELEASE-RP the requestor closes the transport connection. At
        // once: a half-close would wait for the peer's FIN, which some SCPs send seconds later
        // (PixelMed: ~5 s), with nothing left to receive.
        this.socket.destroy();
        return;
      case PDU_TYPE.A_RELEASE_RQ:
        // The acceptor asking for release is unusual but allowed (PS3.8 9.2, AR-2); in Sta7 it is a
        // release collision, which the requestor settles by answering too (AR-8/AR-10).
        if (this.state !== 'Sta6' && this.state !== 'Sta7') throw new ProtocolError(`A-RELEASE-RQ received in state ${this.state}`, 0x02);
        this.socket.write(RELEASE_RP);
        this.state = 'Sta13';
        this.finish(this.settleRelease ? null : new AssociationAbortedError('the peer released the association before the operation ended'));
        return;
      case PDU_TYPE.A_ABORT:
        this.fail(new AssociationAbortedError(`association ${describeAbort(pdu)}`, pdu.source, pdu.reason), false);
        return;
      case PDU_TYPE.A_ASSOCIATE_RQ:
        throw new ProtocolError('A-ASSOCIATE-RQ received by the requestor', 0x02);
    }
  }

  private onAssociateAc(ac: AssociateAc): void {
    this.disarm();
    this.acceptance = ac;
    this.peerMaxLength = ac.userInformation.maxLength;
    const grantedRoles = new Map(ac.userInformation.roleSelections.map((r) => [r.sopClassUid, r]));
    const proposed = new Map(this.request.presentationContexts.map((pc) => [pc.id, pc]));
    const requestedRoles = new Map((this.request.roleSelections ?? []).map((r) => [r.sopClassUid, r]));
    for (const pc of ac.presentationContexts) {
      const rq = proposed.get(pc.id);
      if (!rq) throw new ProtocolError(`A-ASSOCIATE-AC answers presentation context ${pc.id}, which was never proposed`, 0x06);
      const accepted = pc.result === PRESENTATION_CONTEXT_RESULT.ACCEPTANCE;
      if (accepted && !rq.transferSyntaxes.includes(pc.transferSyntax)) {
        throw new ProtocolError(`presentation context ${pc.id} accepted with transfer syntax ${pc.transferSyntax}, which was not proposed`, 0x06);
      }
      // PS3.7 D.3.3.4: no role item in the answer means the default roles (requestor is SCU only).
      // A granted role is only valid where it was asked for.
      const granted = grantedRoles.get(rq.abstractSyntax);
      const asked = requestedRoles.get(rq.abstractSyntax);
      this.negotiated.set(pc.id, {
        id: pc.id, abstractSyntax: rq.abstractSyntax, proposedTransferSyntaxes: rq.transferSyntaxes,
        result: pc.result, accepted, transferSyntax: accepted ? pc.transferSyntax : '',
        scuRole: granted ? granted.scuRole && (asked?.scuRole ?? false) : true,
        scpRole: granted ? granted.scpRole && (asked?.scpRole ?? false) : false,
      });
    }
    this.state = 'Sta6';
    this.log.verbose?.(`association accepted by ${ac.calledAeTitle || this.request.calledAeTitle}: peer Maximum Length ${ac.userInformation.maxLength || 'unlimited'}, implementation ${ac.userInformation.implementationClassUid}${ac.userInformation.implementationVersionName ? ` (${ac.userInformation.implementationVersionName})` : ''}`);
    const settle = this.settleConnect;
    this.settleConnect = undefined;
    settle?.resolve(this);
  }

  /**
   * Sends a message part as P-DATA-TF PDUs fragmented to the peer's Maximum Length. `more`: another
   * part (the data set) follows at once, and should leave in the same segment.
   */
  send(contextId: number, command: boolean, data: Buffer, more = false): void {
    if (this.state !== 'Sta6') throw new AssociationAbortedError(`cannot send: association is not established (${this.state})`);
    const parts = encodePDataTf(contextId, command, data, this.peerMaxLength);
    if (this.log.debug) this.log.debug(`→ P-DATA-TF ctx ${contextId} ${command ? 'command' : 'dataset'} ${data.length} bytes in ${parts.length / 2} PDU(s)`);
    if (!more && parts.length === 2 && data.length <= SINGLE_WRITE_BYTES) {
      // A lone command (a C-STORE-RSP, on which the SCP waits): one write now, not a cork
      // released on the next tick.
      this.socket.write(Buffer.concat(parts));
      return;
    }
    this.socket.cork();
    for (const part of parts) this.socket.write(part);
    // Uncorking on the next tick lets a command and its data set leave in one segment.
    process.nextTick(() => this.socket.uncork());
  }

  /** Backpressure from the sink: stop reading the socket until resume(). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** PS3.8 7.2: orderly release. Resolves on A-RELEASE-RP. */
  release(): Promise<void> {
    if (this.state !== 'Sta6') return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.settleRelease = { resolve, reject };
      this.state = 'Sta7';
      this.log.debug?.('→ A-RELEASE-RQ');
      this.socket.write(RELEASE_RQ);
      this.arm('acse', this.request.acseTimeoutMs, `no A-RELEASE-RP within ${this.request.acseTimeoutMs} ms`);
    });
  }

  /** PS3.8 7.3: A-ABORT as the service user; the socket is closed right after. */
  abort(error?: Error): void {
    this.fail(error ?? new AssociationAbortedError('association aborted by dcmget'), true, 0, ABORT_SOURCE.SERVICE_USER);
  }

  private fail(error: Error, sendAbort: boolean, reason = 0, source: number = ABORT_SOURCE.SERVICE_USER): void {
    if (this.closeError !== undefined) return;
    this.disarm();
    this.parser.stop();
    if (sendAbort && (this.state === 'Sta5' || this.state === 'Sta6' || this.state === 'Sta7') && !this.socket.destroyed) {
      this.log.debug?.(`→ A-ABORT source ${source} reason ${reason}`);
      this.socket.end(encodeAbort(source, reason));
      // Give the A-ABORT a moment to leave, then cut the connection whatever the peer does.
      setTimeout(() => this.socket.destroy(), 100).unref();
    } else {
      this.socket.destroy();
    }
    this.state = 'Sta1';
    this.finish(error);
  }

  private finish(error: Error | null): void {
    if (this.closeError !== undefined) return;
    this.closeError = error;
    this.disarm();
    const connect = this.settleConnect;
    this.settleConnect = undefined;
    if (connect) connect.reject(error ?? new AssociationAbortedError('association closed before it was accepted'));
    const release = this.settleRelease;
    this.settleRelease = undefined;
    if (release) {
      if (error) release.reject(error);
      else release.resolve();
    }
    this.listener?.onClose(error);
  }

  private onSocketError(err: NodeJS.ErrnoException): void {
    const where = `${this.request.host}:${this.request.port}`;
    let message: string;
    switch (err.code) {
      case 'ECONNREFUSED': message = `connection refused by ${where}: is a DICOM server listening on that port?`; break;
      case 'ENOTFOUND': case 'EAI_AGAIN': message = `cannot resolve host ${this.request.host}`; break;
      case 'EHOSTUNREACH': case 'ENETUNREACH': message = `${where} is unreachable`; break;
      case 'ECONNRESET': case 'EPIPE': message = `connection to ${where} reset by the peer${this.request.tls && this.state === 'Sta4' ? ' during the TLS handshake (does it want a client certificate: --tls-cert/--tls-key?)' : ''}`; break;
      case 'ERR_TLS_CERT_ALTNAME_INVALID': message = `TLS: the certificate of ${where} is not valid for that name (${err.message}); connect by the name it carries, or give it with --tls-servername`; break;
      default:
        message = TLS_TRUST_ERRORS.has(err.code ?? '')
          ? `TLS: the certificate of ${where} is not trusted (${err.code}: ${err.message}); give the CA that signed it with --tls-ca`
          : `connection to ${where} failed: ${err.message}`;
    }
    const error = this.state === 'Sta4' || this.state === 'Sta5' && err.code !== 'ECONNRESET'
      ? new ConnectionError(message, err.code)
      : new AssociationAbortedError(message);
    this.fail(error, false);
  }

  private onSocketClose(): void {
    this.disarm();
    if (this.state === 'Sta13' || this.state === 'Sta1') {
      this.state = 'Sta1';
      this.finish(null);
      return;
    }
    const where = this.state === 'Sta5' ? ' before answering A-ASSOCIATE-RQ' : this.parser.idle ? '' : ' in the middle of a PDU';
    const error = this.state === 'Sta4'
      ? new ConnectionError(`connection to ${this.request.host}:${this.request.port} closed before it was established`)
      : new AssociationAbortedError(`the peer closed the connection${where} without releasing the association`);
    this.state = 'Sta1';
    this.finish(error);
  }
}

export function pduName(type: number): string {
  return ['', 'A-ASSOCIATE-RQ', 'A-ASSOCIATE-AC', 'A-ASSOCIATE-RJ', 'P-DATA-TF', 'A-RELEASE-RQ', 'A-RELEASE-RP', 'A-ABORT'][type] ?? `PDU 0x${type.toString(16)}`;
}
