// PS3.7 9.1 / E.1: the command set (group 0000), always Implicit VR Little Endian, led by
// Command Group Length (0000,0000). Only these small structures are ever decoded on the
// receive path; data sets pass through untouched.
import { padByte, paddedLength } from '../dicom/value-padding.ts';
import { P_DATA_TF_HEADER_LENGTH, writePDataTfHeader } from '../ul/p-data-tf.ts';
import { decodePaddedText } from '../ul/padded-text.ts';
import { ProtocolError } from '../ul/protocol-error.ts';

/** PS3.7 Table E.1-1 (the fields this SCU uses or may meet). */
export interface CommandSet {
  commandField: number;
  messageId?: number | undefined;
  messageIdBeingRespondedTo?: number | undefined;
  affectedSopClassUid?: string | undefined;
  requestedSopClassUid?: string | undefined;
  affectedSopInstanceUid?: string | undefined;
  requestedSopInstanceUid?: string | undefined;
  moveDestination?: string | undefined;
  priority?: number | undefined;
  /** 0x0101 means no data set follows (PS3.7 E.1). */
  commandDataSetType: number;
  status?: number | undefined;
  offendingElement?: number[] | undefined;
  errorComment?: string | undefined;
  errorId?: number | undefined;
  remaining?: number | undefined;
  completed?: number | undefined;
  failed?: number | undefined;
  warning?: number | undefined;
  moveOriginatorAeTitle?: string | undefined;
  moveOriginatorMessageId?: number | undefined;
  /**
   * Not of PS3.7: DCMTK-based SCPs (Orthanc among them) put the Failed SOP Instance UID List
   * (0008,0058) of a final C-GET-RSP inside the command PDV, after group 0000, with Command
   * Data Set Type "none". Kept so that the list is not lost.
   */
  failedSopInstanceUidList?: string[] | undefined;
}

export const NO_DATA_SET = 0x0101;
/** PS3.7 E.1: any other value says a data set follows; DCMTK and most peers send 0x0000 or 0x0102. */
export const DATA_SET_PRESENT = 0x0000;

type Vr = 'UL' | 'US' | 'UI' | 'AE' | 'LO' | 'AT';
type Field = Exclude<keyof CommandSet, never>;

// Tag order matters: elements are written in ascending tag order (PS3.5 7.1).
const ELEMENTS: readonly [number, Vr, Field][] = [
  [0x00000002, 'UI', 'affectedSopClassUid'],
  [0x00000003, 'UI', 'requestedSopClassUid'],
  [0x00000100, 'US', 'commandField'],
  [0x00000110, 'US', 'messageId'],
  [0x00000120, 'US', 'messageIdBeingRespondedTo'],
  [0x00000600, 'AE', 'moveDestination'],
  [0x00000700, 'US', 'priority'],
  [0x00000800, 'US', 'commandDataSetType'],
  [0x00000900, 'US', 'status'],
  [0x00000901, 'AT', 'offendingElement'],
  [0x00000902, 'LO', 'errorComment'],
  [0x00000903, 'US', 'errorId'],
  [0x00001000, 'UI', 'affectedSopInstanceUid'],
  [0x00001001, 'UI', 'requestedSopInstanceUid'],
  [0x00001020, 'US', 'remaining'],
  [0x00001021, 'US', 'completed'],
  [0x00001022, 'US', 'failed'],
  [0x00001023, 'US', 'warning'],
  [0x00001030, 'AE', 'moveOriginatorAeTitle'],
  [0x00001031, 'US', 'moveOriginatorMessageId'],
];
const BY_TAG = new Map(ELEMENTS.map(([tag, vr, field]) => [tag, { vr, field }]));

/** Bound on a received command set: real ones are a few hundred bytes. */
export const MAX_COMMAND_SET_LENGTH = 64 * 1024;

/** Bytes of the value as encoded (PS3.5 6.2: strings padded to an even length). */
function valueLength(vr: Vr, value: unknown): number {
  switch (vr) {
    case 'UL': return 4;
    case 'US': return 2;
    case 'AT': return 4 * (value as number[]).length;
    default: return paddedLength(Buffer.byteLength(value as string, 'latin1'));
  }
}

function writeValue(out: Buffer, offset: number, vr: Vr, value: unknown, length: number): void {
  switch (vr) {
    case 'UL': out.writeUInt32LE(value as number, offset); return;
    case 'US': out.writeUInt16LE(value as number, offset); return;
    case 'AT': {
      const tags = value as number[];
      for (let i = 0; i < tags.length; i++) {
        out.writeUInt16LE(tags[i]! >>> 16, offset + 4 * i);
        out.writeUInt16LE(tags[i]! & 0xffff, offset + 4 * i + 2);
      }
      return;
    }
    default: {
      const n = out.write(value as string, offset, 'latin1');
      if (n < length) out[offset + n] = padByte(vr);
    }
  }
}

/** Bytes of the command set's elements after (0000,0000). */
function elementsLength(command: CommandSet): number {
  let length = 0;
  for (const [, vr, field] of ELEMENTS) {
    const value = command[field];
    if (value !== undefined) length += 8 + valueLength(vr, value);
  }
  return length;
}

/**
 * Writes the command set at `start` of `out` (zero-filled, 12 + `length` bytes from there), with
 * `dataSetType` as its Command Data Set Type (0000,0800).
 */
function writeCommandSet(out: Buffer, start: number, command: CommandSet, dataSetType: number, length: number): void {
  out.writeUInt32LE(4, start + 4); // (0000,0000) UL, length 4
  out.writeUInt32LE(length, start + 8);
  let offset = start + 12;
  for (const [tag, vr, field] of ELEMENTS) {
    const value = tag === 0x00000800 ? dataSetType : command[field];
    if (value === undefined) continue;
    const n = valueLength(vr, value);
    out.writeUInt16LE(tag & 0xffff, offset + 2);
    out.writeUInt32LE(n, offset + 4);
    writeValue(out, offset + 8, vr, value, n);
    offset += 8 + n;
  }
}

/**
 * One allocation per command set, a slice of Node's shared pool (allocUnsafe, under 4 KiB), zeroed:
 * Buffer.alloc would give each its own ArrayBuffer (a malloc, a backing store, a handle for the GC
 * to free: ~10 us), and a C-STORE-RSP goes out for every instance received.
 */
export function encodeCommandSet(command: CommandSet): Buffer {
  const length = elementsLength(command);
  const out = Buffer.allocUnsafe(12 + length).fill(0);
  writeCommandSet(out, 0, command, command.commandDataSetType, length);
  return out;
}

/**
 * The command set as one P-DATA-TF PDU holding one PDV (PS3.8 9.3.5, E.2: command and last
 * fragment) on `contextId`: one buffer to write to the socket, for Association.sendCommandPdu.
 * `dataSetType` overrides the command's Command Data Set Type without copying the command.
 */
export function encodeCommandPdu(contextId: number, command: CommandSet, dataSetType = command.commandDataSetType): Buffer {
  const length = elementsLength(command);
  const out = Buffer.allocUnsafe(P_DATA_TF_HEADER_LENGTH + 12 + length).fill(0); // as encodeCommandSet
  writePDataTfHeader(out, contextId, true, true, 12 + length);
  writeCommandSet(out, P_DATA_TF_HEADER_LENGTH, command, dataSetType, length);
  return out;
}

export function decodeCommandSet(bytes: Buffer): CommandSet {
  const out: Record<string, unknown> = {};
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 8 > bytes.length) throw new ProtocolError('command set ends inside an element header', 0x06);
    const group = bytes.readUInt16LE(offset);
    const element = bytes.readUInt16LE(offset + 2);
    const length = bytes.readUInt32LE(offset + 4);
    if (length > bytes.length - offset - 8) throw new ProtocolError(`command element (0000,${hex4(element)}) claims ${length} bytes, more than the command set holds`, 0x06);
    const value = bytes.subarray(offset + 8, offset + 8 + length);
    offset += 8 + length;
    if (group !== 0x0000) {
      // See failedSopInstanceUidList above; any other trailing element is ignored.
      if (group === 0x0008 && element === 0x0058) out.failedSopInstanceUidList = decodePaddedText(value).split('\\').filter(Boolean);
      continue;
    }
    const known = BY_TAG.get(element);
    if (!known) continue; // group length and fields this SCU does not use
    switch (known.vr) {
      case 'US':
        if (length !== 2) throw new ProtocolError(`command element (0000,${hex4(element)}) is US but ${length} bytes long`, 0x06);
        out[known.field] = value.readUInt16LE(0);
        break;
      case 'UL':
        if (length !== 4) throw new ProtocolError(`command element (0000,${hex4(element)}) is UL but ${length} bytes long`, 0x06);
        out[known.field] = value.readUInt32LE(0);
        break;
      case 'AT': {
        const tags: number[] = [];
        for (let i = 0; i + 4 <= length; i += 4) tags.push(((value.readUInt16LE(i) << 16) | value.readUInt16LE(i + 2)) >>> 0);
        out[known.field] = tags;
        break;
      }
      default:
        out[known.field] = decodePaddedText(value);
    }
  }
  if (typeof out.commandField !== 'number') throw new ProtocolError('command set has no Command Field (0000,0100)', 0x06);
  if (typeof out.commandDataSetType !== 'number') throw new ProtocolError('command set has no Command Data Set Type (0000,0800)', 0x06);
  return out as unknown as CommandSet;
}

export function hasDataSet(command: CommandSet): boolean {
  return command.commandDataSetType !== NO_DATA_SET;
}

export function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
