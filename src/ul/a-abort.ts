// PS3.8 9.3.8: A-ABORT, and the words for its Source/Reason (Table 9-26).
import { PDU_TYPE, type Abort } from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';

export const ABORT_SOURCE = { SERVICE_USER: 0, SERVICE_PROVIDER: 2 } as const;

export function encodeAbort(source: number, reason: number): Buffer {
  return Buffer.from([PDU_TYPE.A_ABORT, 0, 0, 0, 0, 4, 0, 0, source, reason]);
}

export function decodeAbort(body: Buffer): Abort {
  if (body.length !== 4) throw new ProtocolError(`A-ABORT body is ${body.length} bytes, not 4`, 0x06);
  return { type: PDU_TYPE.A_ABORT, source: body[2]!, reason: body[3]! };
}

const PROVIDER_REASONS: Record<number, string> = {
  0: 'reason not specified',
  1: 'unrecognized PDU',
  2: 'unexpected PDU',
  4: 'unrecognized PDU parameter',
  5: 'unexpected PDU parameter',
  6: 'invalid PDU parameter value',
};

export function describeAbort(abort: Pick<Abort, 'source' | 'reason'>): string {
  if (abort.source === ABORT_SOURCE.SERVICE_PROVIDER) {
    return `aborted by the peer's service provider: ${PROVIDER_REASONS[abort.reason] ?? `reason ${abort.reason}`}`;
  }
  if (abort.source === ABORT_SOURCE.SERVICE_USER) return 'aborted by the peer (service user)';
  return `aborted by the peer (source ${abort.source}, reason ${abort.reason})`;
}
