// PS3.8 9.3.8: A-ABORT, and the names of its Source and Reason/Diag. values (Table 9-26).
import { ABORT_REASON, PDU_TYPE, type Abort } from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';

/** PS3.8 Table 9-26, Source. 1 is reserved. */
export const ABORT_SOURCE = { SERVICE_USER: 0, SERVICE_PROVIDER: 2 } as const;

export { ABORT_REASON };

export function encodeAbort(source: number, reason: number): Buffer {
  return Buffer.from([PDU_TYPE.A_ABORT, 0, 0, 0, 0, 4, 0, 0, source, reason]);
}

export function decodeAbort(body: Buffer): Abort {
  if (body.length !== 4) throw new ProtocolError(`A-ABORT body is ${body.length} bytes, not 4`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  return { type: PDU_TYPE.A_ABORT, source: body[2]!, reason: body[3]! };
}

const PROVIDER_REASONS: Record<number, string> = {
  [ABORT_REASON.NOT_SPECIFIED]: 'reason not specified',
  [ABORT_REASON.UNRECOGNIZED_PDU]: 'unrecognized PDU',
  [ABORT_REASON.UNEXPECTED_PDU]: 'unexpected PDU',
  [ABORT_REASON.UNRECOGNIZED_PDU_PARAMETER]: 'unrecognized PDU parameter',
  [ABORT_REASON.UNEXPECTED_PDU_PARAMETER]: 'unexpected PDU parameter',
  [ABORT_REASON.INVALID_PDU_PARAMETER_VALUE]: 'invalid PDU parameter value',
};

/** "service provider, unexpected PDU": the source and reason of an A-ABORT in words. */
export function nameAbort(abort: Pick<Abort, 'source' | 'reason'>): string {
  if (abort.source === ABORT_SOURCE.SERVICE_PROVIDER) return `service provider, ${PROVIDER_REASONS[abort.reason] ?? `reason ${abort.reason}`}`;
  if (abort.source === ABORT_SOURCE.SERVICE_USER) return 'service user';
  return `source ${abort.source}, reason ${abort.reason}`;
}

/** How a received A-ABORT reads in an error message. */
export function describeAbort(abort: Pick<Abort, 'source' | 'reason'>): string {
  if (abort.source === ABORT_SOURCE.SERVICE_PROVIDER) {
    return `aborted by the peer's service provider: ${PROVIDER_REASONS[abort.reason] ?? `reason ${abort.reason}`}`;
  }
  if (abort.source === ABORT_SOURCE.SERVICE_USER) return 'aborted by the peer (service user)';
  return `aborted by the peer (source ${abort.source}, reason ${abort.reason})`;
}
