// PS3.10 7.1: the DICOM file format: a 128-byte preamble, "DICM", then the File Meta
// Information (group 0002, always Explicit VR Little Endian, PS3.10 Table 7.1-1), then the data set
// exactly as it arrived in the negotiated transfer syntax.
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './implementation.ts';

export interface FileMetaInformation {
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  transferSyntaxUid: string;
  /** (0002,0016): the AE that sent the instance to us. */
  sourceAeTitle?: string | undefined;
}

const PREAMBLE_AND_PREFIX = 132;

function element(tagElement: number, vr: string, value: Buffer): Buffer {
  // PS3.5 7.1.2: OB (and the other long VRs) take 2 reserved bytes and a 4-byte length.
  const long = vr === 'OB';
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(0x0002, 0);
  header.writeUInt16LE(tagElement, 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32LE(value.length, 8);
  else header.writeUInt16LE(value.length, 6);
  return Buffer.concat([header, value]);
}

function text(value: string, padding: '\0' | ' '): Buffer {
  return Buffer.from(value.length % 2 ? value + padding : value, 'latin1');
}

/** The bytes that go before the received data set. */
export function encodeFileMetaInformation(meta: FileMetaInformation): Buffer {
  const elements = [
    element(0x0001, 'OB', Buffer.from([0x00, 0x01])), // File Meta Information Version
    element(0x0002, 'UI', text(meta.mediaStorageSopClassUid, '\0')),
    element(0x0003, 'UI', text(meta.mediaStorageSopInstanceUid, '\0')),
    element(0x0010, 'UI', text(meta.transferSyntaxUid, '\0')),
    element(0x0012, 'UI', text(IMPLEMENTATION_CLASS_UID, '\0')),
    element(0x0013, 'SH', text(IMPLEMENTATION_VERSION_NAME, ' ')),
  ];
  if (meta.sourceAeTitle) elements.push(element(0x0016, 'AE', text(meta.sourceAeTitle.trim(), ' ')));
  const groupLength = elements.reduce((n, e) => n + e.length, 0);
  const lengthValue = Buffer.alloc(4);
  lengthValue.writeUInt32LE(groupLength);
  const head = Buffer.alloc(PREAMBLE_AND_PREFIX);
  head.write('DICM', 128, 'latin1');
  return Buffer.concat([head, element(0x0000, 'UL', lengthValue), ...elements]);
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
