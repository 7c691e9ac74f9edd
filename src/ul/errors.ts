// Typed failures of the Upper Layer, so callers can map each to an exit code and a sentence.
import type { AssociateRj } from './pdu-types.ts';
import { describeRejection } from './a-associate-rj.ts';

/** TCP could not be opened or broke: refused, unreachable, reset. */
export class ConnectionError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'ConnectionError';
    this.code = code;
  }
}

/** One of the timers ran out: 'connect', 'acse' (ARTIM, PS3.8 9.1.5), 'dimse', or 'total'. */
export class TimeoutError extends Error {
  readonly timer: 'connect' | 'acse' | 'dimse' | 'total';
  constructor(timer: TimeoutError['timer'], message: string) {
    super(message);
    this.name = 'TimeoutError';
    this.timer = timer;
  }
}

export class AssociationRejectedError extends Error {
  readonly rejection: AssociateRj;
  constructor(rj: AssociateRj) {
    super(`association ${describeRejection(rj)}`);
    this.name = 'AssociationRejectedError';
    this.rejection = rj;
  }
}

/** The peer ended the association without an orderly release: A-ABORT, or the socket closed. */
export class AssociationAbortedError extends Error {
  readonly source: number | undefined;
  readonly reason: number | undefined;
  constructor(message: string, source?: number, reason?: number) {
    super(message);
    this.name = 'AssociationAbortedError';
    this.source = source;
    this.reason = reason;
  }
}
