// PS3.10 7.1: the DICOM file format: a 128-byte preamble, "DICM", then the File Meta
// Information (group 0002, always Explicit VR Little Endian, PS3.10 Table 7.1-1), then the data set
// exactly as it arrived in the negotiated transfer syntax.
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './implementation.ts';
import { padByte, paddedLength } from './value-padding.ts';

export interface FileMetaInformation {
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  transferSyntaxUid: string;
  /** (0002,0016): the AE that sent the instance to us. */
  sourceAeTitle?: string | undefined;
}

const PREAMBLE_AND_PREFIX = 132;

/** An element of group 0002 as written: strings padded to an even length (PS3.5 6.2). */
interface MetaElement { element: number; vr: 'OB' | 'UL' | 'UI' | 'SH' | 'AE'; text?: string; bytes?: readonly number[] }

function valueLength(e: MetaElement): number {
  return e.bytes ? e.bytes.length : paddedLength(Buffer.byteLength(e.text!, 'latin1'));
}

/** PS3.5 7.1.2: OB (and the other long VRs) take 2 reserved bytes and a 4-byte length. */
const headerLength = (e: MetaElement): number => (e.vr === 'OB' ? 12 : 8);

/**
 * The bytes that go before the received data set, element by element: the reference that
 * encodeFileMetaInformation's templates are cut from (and checked against in the tests).
 */
export function buildFileMetaInformation(meta: FileMetaInformation): Buffer {
  const elements: MetaElement[] = [
    { element: 0x0001, vr: 'OB', bytes: [0x00, 0x01] }, // File Meta Information Version
    { element: 0x0002, vr: 'UI', text: meta.mediaStorageSopClassUid },
    { element: 0x0003, vr: 'UI', text: meta.mediaStorageSopInstanceUid },
    { element: 0x0010, vr: 'UI', text: meta.transferSyntaxUid },
    { element: 0x0012, vr: 'UI', text: IMPLEMENTATION_CLASS_UID },
    { element: 0x0013, vr: 'SH', text: IMPLEMENTATION_VERSION_NAME },
  ];
  const sourceAeTitle = meta.sourceAeTitle?.trim();
  if (sourceAeTitle) elements.push({ element: 0x0016, vr: 'AE', text: sourceAeTitle });
  let groupLength = 0;
  for (const e of elements) groupLength += headerLength(e) + valueLength(e);
  // A slice of Node's shared pool, zeroed (the preamble is zeros): Buffer.alloc gives each its own
  // ArrayBuffer, ~10 us of malloc and GC handles for every instance received.
  const out = Buffer.allocUnsafe(PREAMBLE_AND_PREFIX + 12 + groupLength).fill(0);
  out.write('DICM', 128, 'latin1');
  let offset = PREAMBLE_AND_PREFIX;
  // (0002,0000) File Meta Information Group Length, UL
  out.writeUInt16LE(0x0002, offset);
  out.write('UL', offset + 4, 'latin1');
  out.writeUInt16LE(4, offset + 6);
  out.writeUInt32LE(groupLength, offset + 8);
  offset += 12;
  for (const e of elements) {
    const length = valueLength(e);
    out.writeUInt16LE(0x0002, offset);
    out.writeUInt16LE(e.element, offset + 2);
    out.write(e.vr, offset + 4, 'latin1');
    if (e.vr === 'OB') out.writeUInt32LE(length, offset + 8);
    else out.writeUInt16LE(length, offset + 6);
    offset += headerLength(e);
    if (e.bytes) {
      out.set(e.bytes, offset);
    } else {
      const n = out.write(e.text!, offset, 'latin1');
      if (n < length) out[offset + n] = padByte(e.vr);
    }
    offset += length;
  }
  return out;
}

/** Where (0002,0000)'s value is: after the preamble, "DICM", and its tag, VR and length. */
const GROUP_LENGTH_AT = PREAMBLE_AND_PREFIX + 8;
/** (0002,0003) UI: its tag, VR and 2-byte length (PS3.5 7.1.2). */
const INSTANCE_UID_HEADER = 8;

/** A File Meta header less its Media Storage SOP Instance UID: what every instance of one kind shares. */
interface MetaTemplate {
  /** Up to (0002,0003): preamble, "DICM", (0002,0000), (0002,0001), (0002,0002). */
  head: Buffer;
  /** After (0002,0003): (0002,0010) to the end of the group. */
  tail: Buffer;
  /** (0002,0000) with an empty (0002,0003). */
  groupLength: number;
}

/**
 * Per SOP class, transfer syntax and source AE title. Bounded: the keys come from the peer (a
 * retrieve meets a few SOP classes; a peer sending endless new ones only makes us rebuild).
 */
const templates = new Map<string, MetaTemplate>();
const MAX_TEMPLATES = 64;

/** The template used last: a retrieve stores run after run of one kind. */
let last: { sopClassUid: string; transferSyntaxUid: string; ae: string; template: MetaTemplate } | undefined;

function templateFor(meta: FileMetaInformation): MetaTemplate {
  const ae = meta.sourceAeTitle ?? '';
  // Three string comparisons, where a key would be built and hashed for every instance.
  if (last && last.sopClassUid === meta.mediaStorageSopClassUid && last.transferSyntaxUid === meta.transferSyntaxUid && last.ae === ae) {
    return last.template;
  }
  // Lengths first: the peer's strings may hold any character, a separator would be ambiguous.
  const key = `${meta.mediaStorageSopClassUid.length}.${meta.transferSyntaxUid.length}.${meta.mediaStorageSopClassUid}${meta.transferSyntaxUid}${ae}`;
  let t = templates.get(key);
  if (!t) t = buildTemplate(meta, key);
  last = { sopClassUid: meta.mediaStorageSopClassUid, transferSyntaxUid: meta.transferSyntaxUid, ae, template: t };
  return t;
}

function buildTemplate(meta: FileMetaInformation, key: string): MetaTemplate {
  const whole = buildFileMetaInformation({ ...meta, mediaStorageSopInstanceUid: '' });
  // Elements in ascending order (PS3.10 Table 7.1-1): (0002,0003) follows (0002,0002).
  const at = PREAMBLE_AND_PREFIX + 12 + 14 + 8 + paddedLength(Buffer.byteLength(meta.mediaStorageSopClassUid, 'latin1'));
  const t = { head: whole.subarray(0, at), tail: whole.subarray(at + INSTANCE_UID_HEADER), groupLength: whole.readUInt32LE(GROUP_LENGTH_AT) };
  if (templates.size >= MAX_TEMPLATES) templates.clear();
  templates.set(key, t);
  return t;
}

/**
 * The bytes that go before the received data set, built for every instance: the template of its
 * kind with its own SOP Instance UID and the group length written in (byte for byte what
 * buildFileMetaInformation makes; one allocation from Node's pool, two copies).
 */
export function encodeFileMetaInformation(meta: FileMetaInformation): Buffer {
  const t = templateFor(meta);
  const uid = meta.mediaStorageSopInstanceUid;
  const uidLength = paddedLength(Buffer.byteLength(uid, 'latin1'));
  const at = t.head.length;
  const out = Buffer.allocUnsafe(at + INSTANCE_UID_HEADER + uidLength + t.tail.length);
  t.head.copy(out, 0);
  out.writeUInt32LE(t.groupLength + uidLength, GROUP_LENGTH_AT);
  out.writeUInt16LE(0x0002, at);
  out.writeUInt16LE(0x0003, at + 2);
  out.write('UI', at + 4, 'latin1');
  out.writeUInt16LE(uidLength, at + 6);
  const n = out.write(uid, at + INSTANCE_UID_HEADER, 'latin1');
  if (n < uidLength) out[at + INSTANCE_UID_HEADER + n] = padByte('UI');
  t.tail.copy(out, at + INSTANCE_UID_HEADER + uidLength);
  return out;
}

export interface ParsedFileMeta extends FileMetaInformation {
  /** Where the data set starts in the file. */
  dataSetOffset: number;
}

/** Reads the File Meta Information of a Part 10 file held in `bytes` (at least its head). */
export function decodeFileMetaInformation(bytes: Buffer): ParsedFileMeta {
  if (bytes.length < PREAMBLE_AND_PREFIX + 12 || bytes.toString('latin1', 128, 132) !== 'DICM') {
    throw new Error('not a DICOM Part 10 file (no "DICM" after the 128-byte preamble)');
  }
  const values = new Map<number, string>();
  let offset = PREAMBLE_AND_PREFIX;
  let end = Infinity;
  while (offset + 8 <= bytes.length && offset < end && bytes.readUInt16LE(offset) === 0x0002) {
    const el = bytes.readUInt16LE(offset + 2);
    const vr = bytes.toString('latin1', offset + 4, offset + 6);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'UC', 'UR', 'OD', 'OL', 'OV'].includes(vr);
    if (long && offset + 12 > bytes.length) throw new Error('File Meta Information is truncated');
    const length = long ? bytes.readUInt32LE(offset + 8) : bytes.readUInt16LE(offset + 6);
    const start = offset + (long ? 12 : 8);
    if (start + length > bytes.length) throw new Error('File Meta Information is truncated');
    const value = bytes.subarray(start, start + length);
    if (el === 0x0000 && length === 4) end = start + 4 + value.readUInt32LE(0);
    else values.set(el, value.toString('latin1').replace(/[\0 ]+$/, ''));
    offset = start + length;
  }
  const get = (el: number): string => {
    const v = values.get(el);
    if (v === undefined) throw new Error(`File Meta Information lacks (0002,${el.toString(16).padStart(4, '0')})`);
    return v;
  };
  return {
    mediaStorageSopClassUid: get(0x0002),
    mediaStorageSopInstanceUid: get(0x0003),
    transferSyntaxUid: get(0x0010),
    sourceAeTitle: values.get(0x0016),
    dataSetOffset: offset,
  };
}
