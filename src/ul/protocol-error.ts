import { ABORT_REASON } from './pdu-types.ts';

/**
 * A violation of PS3.8 by the peer: malformed, oversized or unexpected PDUs.
 * The association is aborted with `abortReason` (PS3.8 Table 9-26) when one is raised.
 */
export class ProtocolError extends Error {
  readonly code = 'ERR_DCMGET_PROTOCOL';
  readonly abortReason: number;
  constructor(message: string, abortReason: number = ABORT_REASON.UNEXPECTED_PDU) {
    super(message);
    this.name = 'ProtocolError';
    this.abortReason = abortReason;
  }
}
