// A cheap check that a received data set is in the transfer syntax of its presentation context
// (PS3.5 7.1): in explicit VR the bytes after the first tag are a VR; in implicit VR they are the
// low bytes of a 32-bit length, never two upper-case letters of a VR. A file whose File Meta
// named the wrong syntax would be unreadable, so such a sub-operation fails instead.
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, transferSyntaxByUid } from '../dicom/transfer-syntaxes.ts';

/** The VRs of PS3.5 Table 6.2-1, each as its two bytes read big-endian: no string per instance. */
const VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV'].map((vr) => (vr.charCodeAt(0) << 8) | vr.charCodeAt(1)));

/** undefined when the head fits the syntax (or cannot be judged); else what is wrong. */
export function syntaxMismatch(head: Buffer | undefined, transferSyntaxUid: string): string | undefined {
  if (!head || head.length < 8) return undefined;
  if (transferSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN || transferSyntaxUid === EXPLICIT_VR_BIG_ENDIAN) return undefined;
  const ts = transferSyntaxByUid(transferSyntaxUid);
  if (!ts || ts.deflated || !ts.littleEndian) return undefined;
  const looksExplicit = VRS.has((head[4]! << 8) | head[5]!);
  if (transferSyntaxUid === IMPLICIT_VR_LITTLE_ENDIAN && looksExplicit) return 'the data set is in explicit VR, not the Implicit VR Little Endian its presentation context was accepted with';
  if (ts.explicitVR && !looksExplicit) return `the data set is not in explicit VR, as ${ts.name} (its presentation context's syntax) requires`;
  return undefined;
}
