// PS3.8 9.3.4: A-ASSOCIATE-RJ and the words for its Result/Source/Reason (Table 9-21).
import { PDU_TYPE, type AssociateRj } from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';

export function encodeAssociateRj(rj: Omit<AssociateRj, 'type'>): Buffer {
  return Buffer.from([PDU_TYPE.A_ASSOCIATE_RJ, 0, 0, 0, 0, 4, 0, rj.result, rj.source, rj.reason]);
}

export function decodeAssociateRj(body: Buffer): AssociateRj {
  if (body.length !== 4) throw new ProtocolError(`A-ASSOCIATE-RJ body is ${body.length} bytes, not 4`, 0x06);
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
