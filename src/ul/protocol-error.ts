/**
 * A violation of PS3.8 by the peer: malformed, oversized or unexpected PDUs.
 * The association is aborted with `abortReason` (PS3.8 Table 9-26) when one is raised.
 */
export class ProtocolError extends Error {
  readonly code = 'ERR_DCMGET_PROTOCOL';
  readonly abortReason: number;
  constructor(message: string, abortReason = 0x02 /* unexpected PDU, PS3.8 Table 9-26 */) {
    super(message);
    this.name = 'ProtocolError';
    this.abortReason = abortReason;
  }
}
