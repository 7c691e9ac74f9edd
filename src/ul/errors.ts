// Typed failures of the Upper Layer, so callers can map each to an exit code and a sentence.
// Each has a stable `code` (the README's error table): a program tests `err.code`, not the
// message, which may be reworded.
import { describeRejection } from './a-associate-rj.ts';

/** TCP (or TLS) could not be opened or broke: refused, unreachable, reset, an untrusted certificate. */
export class ConnectionError extends Error {
  readonly code = 'ERR_DCMGET_CONNECTION';
  /** The socket's own error code, when it gave one: 'ECONNREFUSED', 'EHOSTUNREACH', 'ECONNRESET', a TLS code… */
  readonly socketCode: string | undefined;
  constructor(message: string, socketCode?: string) {
    super(message);
    this.name = 'ConnectionError';
    this.socketCode = socketCode;
  }
}

/** One of the timers ran out: 'connect', 'acse' (ARTIM, PS3.8 9.1.5), 'dimse', or 'total'. */
export class TimeoutError extends Error {
  readonly code = 'ERR_DCMGET_TIMEOUT';
  readonly timer: 'connect' | 'acse' | 'dimse' | 'total';
  constructor(timer: TimeoutError['timer'], message: string) {
    super(message);
    this.name = 'TimeoutError';
    this.timer = timer;
  }
}

/** PS3.8 Table 9-21: an A-ASSOCIATE-RJ's Result (1 permanent, 2 transient), Source and Reason/Diag. */
export interface Rejection {
  result: number;
  source: number;
  reason: number;
}

/** The peer answered A-ASSOCIATE-RJ (PS3.8 9.3.4). */
export class AssociationRejectedError extends Error {
  readonly code = 'ERR_DCMGET_ASSOCIATION_REJECTED';
  readonly rejection: Rejection;
  constructor(rj: Rejection) {
    super(`association ${describeRejection(rj)}`);
    this.name = 'AssociationRejectedError';
    this.rejection = rj;
  }
}

/** The peer ended the association without an orderly release: A-ABORT, or the socket closed. */
export class AssociationAbortedError extends Error {
  readonly code = 'ERR_DCMGET_ASSOCIATION_ABORTED';
  /** PS3.8 Table 9-26, when an A-ABORT gave them: source 0 (service user) or 2 (service provider), and the reason. */
  readonly source: number | undefined;
  readonly reason: number | undefined;
  /** The peer closed the connection while dcmget awaited its A-ASSOCIATE-AC (Sta5): nothing was asked yet. */
  readonly unanswered: boolean;
  /** `options.cause`: what made dcmget abort, e.g. the peer's ProtocolError. */
  constructor(message: string, source?: number, reason?: number, options?: ErrorOptions & { unanswered?: boolean }) {
    super(message, options);
    this.name = 'AssociationAbortedError';
    this.source = source;
    this.reason = reason;
    this.unanswered = options?.unanswered ?? false;
  }
}
