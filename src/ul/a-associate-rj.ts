// PS3.8 9.3.4: A-ASSOCIATE-RJ and the words for its Result/Source/Reason (Table 9-21).
import { ABORT_REASON, PDU_TYPE, type AssociateRj } from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';

/** PS3.8 Table 9-21: the rejections an acceptor sends, by name (Result, Source, Reason/Diag.). */
export const REJECTION = {
  NO_REASON: { result: 1, source: 1, reason: 1 },
  APPLICATION_CONTEXT_NOT_SUPPORTED: { result: 1, source: 1, reason: 2 },
  CALLING_AE_TITLE_NOT_RECOGNIZED: { result: 1, source: 1, reason: 3 },
  CALLED_AE_TITLE_NOT_RECOGNIZED: { result: 1, source: 1, reason: 7 },
  /** Source 2: the ACSE part of the service provider. */
  PROTOCOL_VERSION_NOT_SUPPORTED: { result: 1, source: 2, reason: 2 },
  /** Source 3: the presentation part of the service provider; transient, worth a retry. */
  TEMPORARY_CONGESTION: { result: 2, source: 3, reason: 1 },
  LOCAL_LIMIT_EXCEEDED: { result: 2, source: 3, reason: 2 },
} as const satisfies Record<string, Omit<AssociateRj, 'type'>>;

export function encodeAssociateRj(rj: Omit<AssociateRj, 'type'>): Buffer {
  return Buffer.from([PDU_TYPE.A_ASSOCIATE_RJ, 0, 0, 0, 0, 4, 0, rj.result, rj.source, rj.reason]);
}

export function decodeAssociateRj(body: Buffer): AssociateRj {
  if (body.length !== 4) throw new ProtocolError(`A-ASSOCIATE-RJ body is ${body.length} bytes, not 4`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  return { type: PDU_TYPE.A_ASSOCIATE_RJ, result: body[1]!, source: body[2]!, reason: body[3]! };
}

const SERVICE_USER_REASONS: Record<number, string> = {
  1: 'no reason given',
  2: 'application context name not supported',
  3: 'calling AE title not recognized',
  7: 'called AE title not recognized',
};
const ACSE_REASONS: Record<number, string> = { 1: 'no reason given', 2: 'protocol version not supported' };
const PRESENTATION_REASONS: Record<number, string> = { 1: 'temporary congestion', 2: 'local limit exceeded' };

/** "rejected permanently by the service user: called AE title not recognized" */
export function describeRejection(rj: Pick<AssociateRj, 'result' | 'source' | 'reason'>): string {
  const result = rj.result === 1 ? 'permanently' : rj.result === 2 ? 'transiently' : `(result ${rj.result})`;
  let source: string;
  let reason: string | undefined;
  switch (rj.source) {
    case 1: source = 'the service user'; reason = SERVICE_USER_REASONS[rj.reason]; break;
    case 2: source = 'the service provider (ACSE)'; reason = ACSE_REASONS[rj.reason]; break;
    case 3: source = 'the service provider (presentation)'; reason = PRESENTATION_REASONS[rj.reason]; break;
    default: source = `source ${rj.source}`;
  }
  return `rejected ${result} by ${source}: ${reason ?? `reason ${rj.reason}`}`;
}
