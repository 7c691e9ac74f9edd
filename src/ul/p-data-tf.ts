// PS3.8 9.3.5 (P-DATA-TF) and Annex E (the message control header): the send side.
// The receive side streams PDVs in pdu-parser.ts.
import { MESSAGE_CONTROL, PDU_TYPE, PDV_HEADER_LENGTH, PDU_HEADER_LENGTH } from './pdu-types.ts';

/** How large a single P-DATA-TF we send when the peer announced no limit (PS3.8 D.1: 0). */
export const UNLIMITED_SEND_FRAGMENT = 4 * 1024 * 1024;

/** A P-DATA-TF of one PDV: the PDU header and the PDV item's header before the fragment. */
export const P_DATA_TF_HEADER_LENGTH = PDU_HEADER_LENGTH + PDV_HEADER_LENGTH;

/**
 * Writes, at the start of `out`, the header of a P-DATA-TF PDU holding one PDV of `length` bytes
 * (PS3.8 9.3.5: PDU length and PDV item length; Annex E.2: the message control header).
 */
export function writePDataTfHeader(out: Buffer, contextId: number, command: boolean, last: boolean, length: number): void {
  out[0] = PDU_TYPE.P_DATA_TF;
  out[1] = 0;
  out.writeUInt32BE(PDV_HEADER_LENGTH + length, 2);
  out.writeUInt32BE(2 + length, 6); // PDV item length counts context ID and control header
  out[10] = contextId;
  out[11] = (command ? MESSAGE_CONTROL.COMMAND : 0) | (last ? MESSAGE_CONTROL.LAST : 0);
}

/** Whether a P-DATA-TF of `pduBytes` in all fits the peer's Maximum Length (PS3.8 D.1: it bounds the variable field; 0: no limit). */
export function fitsMaxLength(pduBytes: number, peerMaxLength: number): boolean {
  return peerMaxLength === 0 || pduBytes - PDU_HEADER_LENGTH <= peerMaxLength;
}

/**
 * Splits one message part (the command set, or the data set) into P-DATA-TF PDUs of one PDV each,
 * none longer than the peer's Maximum Length (which bounds the PDU's variable field, PS3.8 D.1).
 * Returns header buffers interleaved with views of `data`: nothing is copied.
 */
export function encodePDataTf(contextId: number, command: boolean, data: Buffer, peerMaxLength: number): Buffer[] {
  const maxData = peerMaxLength === 0 ? UNLIMITED_SEND_FRAGMENT : peerMaxLength - PDV_HEADER_LENGTH;
  if (maxData < 1) throw new RangeError(`the peer's Maximum Length ${peerMaxLength} leaves no room for data`);
  const out: Buffer[] = [];
  let offset = 0;
  do {
    const length = Math.min(maxData, data.length - offset);
    const last = offset + length === data.length;
    const header = Buffer.allocUnsafe(P_DATA_TF_HEADER_LENGTH);
    writePDataTfHeader(header, contextId, command, last, length);
    out.push(header, data.subarray(offset, offset + length));
    offset += length;
  } while (offset < data.length);
  return out;
}
