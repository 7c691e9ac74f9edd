// Synthetic DICOM instances of any size, generated on the fly: a valid Explicit VR Little Endian
// data set (SOP Common, Patient/Study/Series keys, Image Pixel module) whose bulk (Pixel Data, OB
// or OW, plus private OB elements beyond the 4 GiB an element length can hold) is a deterministic
// pattern produced on demand, so that a test can serve several GB without holding them and later
// spot-check any byte of what was received.
//
//   const inst = syntheticInstance({ sopInstanceUid: '1.2.3.4', sizeBytes: 2 * 1024 ** 3 });
//   inst.length            // exact data set length in bytes
//   inst.read(offset, n)   // a fresh Buffer with bytes [offset, offset + n) of the data set
//
// The bulk pattern: at every absolute data set offset o inside a bulk value, the byte is
// PATTERN[o % 4093], except the 8 bytes at each 64 KiB boundary (o % 65536 < 8), which hold
// floor(o / 65536) little endian, so misplaced or repeated fragments show up in a spot check.

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Multi-frame Grayscale Byte / Word Secondary Capture Image Storage. */
export const MF_GRAYSCALE_BYTE_SC = '1.2.840.10008.5.1.4.1.1.7.2';
export const MF_GRAYSCALE_WORD_SC = '1.2.840.10008.5.1.4.1.1.7.3';

/** What a served instance is, for the fake SCP (test/support/fake-scp.ts). */
export interface InstanceSource {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Data set length in bytes (no File Meta Information). */
  length: number;
  /** Matching keys by keyword (PatientID, StudyInstanceUID, SeriesInstanceUID, SOPInstanceUID). */
  keys: Record<string, string>;
  /** A fresh buffer with the data set bytes [offset, offset + length). */
  read(offset: number, length: number): Buffer;
  /** For reports. */
  label: string;
}

export interface SyntheticSpec {
  sopInstanceUid: string;
  /** Default: Multi-frame Grayscale Byte (8 bits) or Word (16 bits) SC. */
  sopClassUid?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  patientId?: string;
  rows?: number;
  columns?: number;
  /** 8 (Pixel Data OB) or 16 (OW); default 8. */
  bitsAllocated?: 8 | 16;
  /** Number of frames; or give sizeBytes and the frames are derived (at least 1). */
  frames?: number;
  /** Approximate data set size: frames = round(sizeBytes / frame size). */
  sizeBytes?: number;
}

export const SYNTHETIC_ROOT = '1.2.826.0.1.3680043.10.1338.99';

const PERIOD = 4093;
const MARKER_STRIDE = 65536;
const PATTERN = Buffer.alloc(PERIOD);
for (let i = 0; i < PERIOD; i++) PATTERN[i] = (i * 131 + (i >>> 3) * 7 + 0x5a) & 0xff;
/** Pattern repeated so that any window of up to MAX_PATTERN_WINDOW bytes is one subarray. */
const MAX_PATTERN_WINDOW = 4 * 1024 * 1024;
let repeated: Buffer | undefined;
function patternWindow(start: number, length: number): Buffer {
  if (!repeated) {
    repeated = Buffer.allocUnsafe(PERIOD + MAX_PATTERN_WINDOW);
    for (let o = 0; o < repeated.length; o += PERIOD) PATTERN.copy(repeated, o, 0, Math.min(PERIOD, repeated.length - o));
  }
  const s = start % PERIOD;
  return repeated.subarray(s, s + length);
}

/** The bulk byte at absolute data set offset `o` (see the header comment). */
export function bulkByteAt(o: number): number {
  const within = o % MARKER_STRIDE;
  if (within < 8) return Math.floor(Math.floor(o / MARKER_STRIDE) / 2 ** (8 * within)) & 0xff;
  return PATTERN[o % PERIOD]!;
}

/** Fills `out` with the bulk bytes of absolute offsets [start, start + out.length). */
function fillBulk(out: Buffer, start: number): void {
  for (let done = 0; done < out.length;) {
    const n = Math.min(MAX_PATTERN_WINDOW, out.length - done);
    patternWindow(start + done, n).copy(out, done);
    done += n;
  }
  // Markers: the first 64 KiB boundary at or before start, up to the end.
  const end = start + out.length;
  for (let m = Math.floor(start / MARKER_STRIDE) * MARKER_STRIDE; m < end; m += MARKER_STRIDE) {
    for (let k = 0; k < 8; k++) {
      const o = m + k;
      if (o >= start && o < end) out[o - start] = bulkByteAt(o);
    }
  }
}

// --- Explicit VR Little Endian element encoding (PS3.5 7.1.2) ---

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'SQ', 'UC', 'UN', 'UR', 'UT']);

function elementHeader(tag: number, vr: string, length: number): Buffer {
  const long = LONG_VRS.has(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(length, 8);
  else {
    if (length > 0xffff) throw new RangeError(`value of ${vr} too long`);
    h.writeUInt16LE(length, 6);
  }
  return h;
}

function textElement(tag: number, vr: string, value: string): Buffer {
  const padded = value.length % 2 ? value + (vr === 'UI' ? '\0' : ' ') : value;
  const v = Buffer.from(padded, 'latin1');
  return Buffer.concat([elementHeader(tag, vr, v.length), v]);
}

function usElement(tag: number, value: number): Buffer {
  const v = Buffer.alloc(2);
  v.writeUInt16LE(value);
  return Buffer.concat([elementHeader(tag, 'US', 2), v]);
}

type Segment = { start: number; length: number } & ({ bytes: Buffer } | { bulk: true });

/** Largest even value an element length can hold (0xFFFFFFFF means undefined length). */
const MAX_ELEMENT = 0xfffffffe;

export interface SyntheticInstance extends InstanceSource {
  /** Where the bulk values lie: [start, end) pairs in data set offsets. */
  bulkRanges: [number, number][];
  rows: number;
  columns: number;
  frames: number;
  bitsAllocated: 8 | 16;
}

export function syntheticInstance(spec: SyntheticSpec): SyntheticInstance {
  const bits = spec.bitsAllocated ?? 8;
  const rows = spec.rows ?? 256;
  const columns = spec.columns ?? 256;
  const frameBytes = rows * columns * (bits / 8);
  const frames = spec.frames ?? Math.max(1, Math.round((spec.sizeBytes ?? frameBytes) / frameBytes));
  let pixelBytes = frames * frameBytes;
  if (pixelBytes % 2) pixelBytes += 1; // PS3.5 8.1.1: padded to even length
  const sopClassUid = spec.sopClassUid ?? (bits === 8 ? MF_GRAYSCALE_BYTE_SC : MF_GRAYSCALE_WORD_SC);
  const studyInstanceUid = spec.studyInstanceUid ?? `${SYNTHETIC_ROOT}.1`;
  const seriesInstanceUid = spec.seriesInstanceUid ?? `${studyInstanceUid}.1`;
  const patientId = spec.patientId ?? 'SYNTHETIC';

  // Beyond 4 GiB, the excess goes in private OB elements (0009,10xx) ahead of the pixel data
  // (Rows x Columns x Frames then says more than Pixel Data holds: fine for a transfer test).
  const privateBulk: number[] = [];
  let pixelLength = pixelBytes;
  while (pixelLength > MAX_ELEMENT) {
    const n = Math.min(MAX_ELEMENT, pixelLength - MAX_ELEMENT); // both even, so n is even
    privateBulk.push(n);
    pixelLength -= n;
  }
  if (privateBulk.length > 255) throw new RangeError('synthetic instance too large');

  const group08 = Buffer.concat([
    textElement(0x00080016, 'UI', sopClassUid),
    textElement(0x00080018, 'UI', spec.sopInstanceUid),
    textElement(0x00080060, 'CS', 'OT'),
    textElement(0x00080064, 'CS', 'WSD'),
  ]);
  const privateCreator = privateBulk.length ? textElement(0x00090010, 'LO', 'DCMGET SYNTHETIC') : Buffer.alloc(0);
  const rest = Buffer.concat([
    textElement(0x00100010, 'PN', 'SYNTHETIC^LARGE'),
    textElement(0x00100020, 'LO', patientId),
    textElement(0x0020000d, 'UI', studyInstanceUid),
    textElement(0x0020000e, 'UI', seriesInstanceUid),
    textElement(0x00200013, 'IS', '1'),
    usElement(0x00280002, 1),
    textElement(0x00280004, 'CS', 'MONOCHROME2'),
    textElement(0x00280008, 'IS', String(frames)),
    usElement(0x00280010, rows),
    usElement(0x00280011, columns),
    usElement(0x00280100, bits),
    usElement(0x00280101, bits),
    usElement(0x00280102, bits - 1),
    usElement(0x00280103, 0),
  ]);

  const segments: Segment[] = [];
  const bulkRanges: [number, number][] = [];
  let offset = 0;
  const addBytes = (bytes: Buffer): void => {
    if (bytes.length === 0) return;
    segments.push({ start: offset, length: bytes.length, bytes });
    offset += bytes.length;
  };
  const addBulk = (length: number): void => {
    segments.push({ start: offset, length, bulk: true });
    bulkRanges.push([offset, offset + length]);
    offset += length;
  };
  addBytes(Buffer.concat([group08, privateCreator]));
  privateBulk.forEach((n, i) => {
    addBytes(elementHeader(0x00091000 + i, 'OB', n));
    addBulk(n);
  });
  addBytes(rest);
  addBytes(elementHeader(0x7fe00010, bits === 8 ? 'OB' : 'OW', pixelLength));
  addBulk(pixelLength);
  const length = offset;

  return {
    sopClassUid,
    sopInstanceUid: spec.sopInstanceUid,
    transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
    length,
    keys: { PatientID: patientId, StudyInstanceUID: studyInstanceUid, SeriesInstanceUID: seriesInstanceUid, SOPInstanceUID: spec.sopInstanceUid },
    label: `synthetic ${spec.sopInstanceUid} (${length} bytes)`,
    bulkRanges,
    rows, columns, frames, bitsAllocated: bits,
    read(start: number, n: number): Buffer {
      if (start < 0 || n < 0 || start + n > length) throw new RangeError(`read [${start}, ${start + n}) outside the ${length}-byte data set`);
      const out = Buffer.allocUnsafe(n);
      const end = start + n;
      for (const seg of segments) {
        const a = Math.max(start, seg.start);
        const b = Math.min(end, seg.start + seg.length);
        if (a >= b) continue;
        if ('bytes' in seg) seg.bytes.copy(out, a - start, a - seg.start, b - seg.start);
        else fillBulk(out.subarray(a - start, b - start), a);
      }
      return out;
    },
  };
}
