// PS3.5 7.1: a flat data set of short text and binary-number values in Explicit or Implicit VR
// Little Endian, the shape of nearly every Identifier a retrieve sends. Written here, byte for
// byte as dcmjs writes it (test/unit/identifier.test.ts compares the two on generated data
// sets), so that a plain retrieve need not load dcmjs; anything else goes to dcmjs.
import type { DicomJsonDataset } from './dicom-json.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './transfer-syntaxes.ts';
import { padByte, paddedLength } from './value-padding.ts';

/**
 * Text VRs with a 2-byte length in explicit VR (PS3.5 Table 7.1-2), padded with a space (UI: NUL),
 * and the longest value each may hold here: PS3.5 Table 6.2-1's, as dcmjs checks them, with the
 * range matching form of DA, DT and TM (PS3.4 C.2.2.2.5) when the value holds a "-". A longer
 * value is dcmjs's to judge, as it always was.
 */
const TEXT_VRS = new Map([
  ['AE', 16], ['AS', 4], ['CS', 16], ['DA', 8], ['DS', 16], ['DT', 26], ['IS', 12], ['LO', 64],
  ['LT', 10240], ['PN', 64], ['SH', 16], ['ST', 1024], ['TM', 16], ['UI', 64],
]);
const RANGE_LENGTHS = new Map([['DA', 18], ['DT', 54], ['TM', 28]]);

/** Binary numbers (PS3.5 6.2), as [bytes per value, integers only, writer]. */
const NUMBER_VRS: Record<string, [number, boolean, (b: Buffer, v: number, at: number) => void]> = {
  US: [2, true, (b, v, at) => b.writeUInt16LE(v, at)],
  SS: [2, true, (b, v, at) => b.writeInt16LE(v, at)],
  UL: [4, true, (b, v, at) => b.writeUInt32LE(v, at)],
  SL: [4, true, (b, v, at) => b.writeInt32LE(v, at)],
  FL: [4, false, (b, v, at) => b.writeFloatLE(v, at)],
  FD: [8, false, (b, v, at) => b.writeDoubleLE(v, at)],
};
const TAG = /^[0-9A-Fa-f]{8}$/;
/** Printable ASCII: the default character repertoire without control characters (PS3.5 6.1.2). */
const PRINTABLE = /^[\x20-\x7e]*$/;

interface Element { tag: number; vr: string; value: Buffer }

/** The encoded data set, or undefined when it is not of that simple shape (the caller uses dcmjs). */
export function encodeFlatDataSet(ds: DicomJsonDataset, transferSyntaxUid: string): Buffer | undefined {
  const explicit = transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN;
  if (!explicit && transferSyntaxUid !== IMPLICIT_VR_LITTLE_ENDIAN) return undefined;
  const elements: Element[] = [];
  for (const [key, el] of Object.entries(ds)) {
    if (!TAG.test(key) || !el || (el.Value !== undefined && !Array.isArray(el.Value))) return undefined;
    const value = encodeValue(el.vr, el.Value ?? []);
    if (!value || value.length > 0xffff) return undefined;
    elements.push({ tag: parseInt(key, 16), vr: el.vr, value });
  }
  elements.sort((a, b) => a.tag - b.tag);
  // Tag, then VR and a 2-byte length (explicit, these VRs) or a 4-byte length (implicit): 8 bytes.
  const out = Buffer.alloc(elements.reduce((n, e) => n + 8 + e.value.length, 0));
  let at = 0;
  for (const e of elements) {
    out.writeUInt16LE(e.tag >>> 16, at);
    out.writeUInt16LE(e.tag & 0xffff, at + 2);
    if (explicit) {
      out.write(e.vr, at + 4, 'latin1');
      out.writeUInt16LE(e.value.length, at + 6);
    } else {
      out.writeUInt32LE(e.value.length, at + 4);
    }
    e.value.copy(out, at + 8);
    at += 8 + e.value.length;
  }
  return out;
}

function encodeValue(vr: string, values: unknown[]): Buffer | undefined {
  const longest = TEXT_VRS.get(vr);
  if (longest !== undefined) {
    const range = RANGE_LENGTHS.get(vr) ?? longest;
    const fits = (v: string) => v.length <= (v.includes('-') ? range : longest);
    if (!values.every((v): v is string => typeof v === 'string' && fits(v) && PRINTABLE.test(v))) return undefined;
    // dcmjs writes a PN's values without the empty ones (pnObjectToString); so do we.
    const text = (vr === 'PN' ? values.filter(Boolean) : values).join('\\');
    const out = Buffer.alloc(paddedLength(text.length)); // printable ASCII: a byte a character
    out.write(text, 0, 'latin1');
    if (out.length > text.length) out[text.length] = padByte(vr);
    return out;
  }
  const number = NUMBER_VRS[vr];
  if (!number) return undefined;
  const [size, integer, write] = number;
  if (!values.every((v): v is number => typeof v === 'number' && (integer ? Number.isInteger(v) : Number.isFinite(v)))) return undefined;
  const out = Buffer.alloc(size * values.length);
  try {
    values.forEach((v, i) => write(out, v, i * size));
  } catch {
    return undefined; // out of the VR's range: dcmjs decides what that means
  }
  return out;
}
