// PS3.5 7.1-7.5: an Identifier-sized data set in Explicit VR Little Endian, Implicit VR Little
// Endian or Explicit VR Big Endian: text values in the data set's Specific Character Set (or
// kept as a query file encoded them, encoded-value.ts), binary numbers, tags, and sequences of
// items with defined lengths, as DCMTK getscu writes them (test/integration/query-files.test.ts
// compares the bytes). A flat data set of printable values comes out byte for byte as dcmjs
// writes it (test/unit/identifier.test.ts), so that a plain retrieve need not load dcmjs; what
// this writer does not take (other transfer syntaxes, values of unexpected types) goes to dcmjs.
import type { DicomJsonDataset, DicomJsonElement } from './dicom-json.ts';
import { EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './transfer-syntaxes.ts';
import { padByte, paddedLength } from './value-padding.ts';
import { characterSetTerms, encodeText, UTF8_TERM } from './character-sets.ts';
import { encodedValue } from './encoded-value.ts';

const TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
/** PS3.5 Table 7.1-1: these carry a 4-byte length in explicit VR. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const SPECIFIC_CHARACTER_SET = '00080005';
const TAG = /^[0-9A-Fa-f]{8}$/;

/** Binary numbers (PS3.5 6.2), as [bytes per value, integers only, writer]. */
const NUMBER_VRS: Record<string, [number, boolean, (b: Buffer, v: number, at: number, le: boolean) => void]> = {
  US: [2, true, (b, v, at, le) => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at))],
  SS: [2, true, (b, v, at, le) => (le ? b.writeInt16LE(v, at) : b.writeInt16BE(v, at))],
  UL: [4, true, (b, v, at, le) => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at))],
  SL: [4, true, (b, v, at, le) => (le ? b.writeInt32LE(v, at) : b.writeInt32BE(v, at))],
  FL: [4, false, (b, v, at, le) => (le ? b.writeFloatLE(v, at) : b.writeFloatBE(v, at))],
  FD: [8, false, (b, v, at, le) => (le ? b.writeDoubleLE(v, at) : b.writeDoubleBE(v, at))],
};

interface Syntax { explicit: boolean; littleEndian: boolean }
const SYNTAXES: Record<string, Syntax> = {
  [EXPLICIT_VR_LITTLE_ENDIAN]: { explicit: true, littleEndian: true },
  [IMPLICIT_VR_LITTLE_ENDIAN]: { explicit: false, littleEndian: true },
  [EXPLICIT_VR_BIG_ENDIAN]: { explicit: true, littleEndian: false },
};

/** A value this writer does not take: dcmjs gets the data set. */
class NotOurs extends Error {}

/** The encoded data set, or undefined when it holds what this writer leaves to dcmjs. */
export function encodeDataSet(ds: DicomJsonDataset, transferSyntaxUid: string): Buffer | undefined {
  const syntax = SYNTAXES[transferSyntaxUid];
  if (!syntax) return undefined;
  try {
    return Buffer.concat(item(withDeclaredCharacterSet(ds), syntax, []));
  } catch (err) {
    if (err instanceof NotOurs) return undefined;
    throw err;
  }
}

/** Text values as strings: a person name's groups joined by "=" (PS3.5 6.2), numbers as typed. */
export function textValues(el: DicomJsonElement): string[] | undefined {
  const out: string[] = [];
  for (const v of el.Value ?? []) {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' && (el.vr === 'IS' || el.vr === 'DS') && Number.isFinite(v)) out.push(String(v));
    else if (el.vr === 'PN' && typeof v === 'object' && v !== null) {
      const p = v as Record<string, unknown>;
      const groups = [p.Alphabetic, p.Ideographic, p.Phonetic].map((g) => (g === undefined ? '' : g));
      if (!groups.every((g) => typeof g === 'string')) return undefined;
      out.push((groups as string[]).join('=').replace(/=+$/, ''));
    } else return undefined;
  }
  return out;
}

/**
 * The data set as sent: with (0008,0005) ISO_IR 192 added when a value typed in (not kept from a
 * query file) needs more than ASCII and nothing declares a character set (PS3.5 6.1.2.3).
 */
export function withDeclaredCharacterSet(ds: DicomJsonDataset): DicomJsonDataset {
  if (ds[SPECIFIC_CHARACTER_SET] || !needsMoreThanAscii(ds)) return ds;
  return { [SPECIFIC_CHARACTER_SET]: { vr: 'CS', Value: [UTF8_TERM] }, ...ds };
}

function needsMoreThanAscii(ds: DicomJsonDataset): boolean {
  return Object.values(ds).some((el) => {
    if (!el) return false;
    if (el.vr === 'SQ') return ((el.Value ?? []) as DicomJsonDataset[]).some((i) => typeof i === 'object' && i !== null && !i[SPECIFIC_CHARACTER_SET] && needsMoreThanAscii(i));
    if (!TEXT_VRS.has(el.vr) || encodedValue(el)) return false;
    return (textValues(el) ?? []).some((v) => /[^\x00-\x7f]/.test(v));
  });
}

function item(ds: DicomJsonDataset, syntax: Syntax, inherited: string[]): Buffer[] {
  const own = ds[SPECIFIC_CHARACTER_SET];
  const terms = own ? characterSetTerms(textValues(own)?.join('\\')) : inherited;
  const elements = Object.entries(ds).map(([key, el]) => {
    if (!TAG.test(key) || !el || typeof el !== 'object') throw new NotOurs();
    return { tag: parseInt(key, 16), el };
  }).sort((a, b) => a.tag - b.tag);
  const out: Buffer[] = [];
  for (const { tag, el } of elements) {
    const value = el.vr === 'SQ' ? sequence(el, syntax, terms) : encodeValue(el, syntax, terms);
    out.push(header(tag, el.vr, value.length, syntax), value);
  }
  return out;
}

function header(tag: number, vr: string, length: number, s: Syntax): Buffer {
  const long = !s.explicit || LONG_VRS.has(vr);
  if (!long && length > 0xffff) throw new NotOurs();
  const h = Buffer.alloc(s.explicit && long ? 12 : 8);
  const u16 = (v: number, at: number) => (s.littleEndian ? h.writeUInt16LE(v, at) : h.writeUInt16BE(v, at));
  const u32 = (v: number, at: number) => (s.littleEndian ? h.writeUInt32LE(v, at) : h.writeUInt32BE(v, at));
  u16(tag >>> 16, 0);
  u16(tag & 0xffff, 2);
  if (!s.explicit) u32(length, 4);
  else {
    h.write(vr, 4, 'latin1');
    if (long) u32(length, 8);
    else u16(length, 6);
  }
  return h;
}

/** PS3.5 7.5: each item with its length, the sequence with its length, as DCMTK sends them. */
function sequence(el: DicomJsonElement, syntax: Syntax, terms: string[]): Buffer {
  const items = el.Value ?? [];
  if (!Array.isArray(items) || !items.every((i) => typeof i === 'object' && i !== null && !Array.isArray(i))) throw new NotOurs();
  return Buffer.concat((items as DicomJsonDataset[]).flatMap((i) => {
    const body = Buffer.concat(item(i, syntax, terms));
    return [header(0xfffee000, '', body.length, { ...syntax, explicit: false }), body];
  }));
}

function encodeValue(el: DicomJsonElement, syntax: Syntax, terms: string[]): Buffer {
  const kept = encodedValue(el);
  if (kept) return padded(kept, el.vr);
  const inline = (el as { InlineBinary?: unknown }).InlineBinary;
  if (typeof inline === 'string' && syntax.littleEndian) return padded(Buffer.from(inline, 'base64'), el.vr);
  if (el.Value !== undefined && !Array.isArray(el.Value)) throw new NotOurs();
  if (TEXT_VRS.has(el.vr)) {
    const values = textValues(el);
    if (!values) throw new NotOurs();
    // dcmjs writes a PN's values without the empty ones (pnObjectToString); so do we.
    const parts = (el.vr === 'PN' ? values.filter(Boolean) : values).map((v) => {
      const bytes = encodeText(v, terms, el.vr);
      if (!bytes) throw new Error(`"${v}" cannot be written in the character set ${terms.join('\\') || 'ISO_IR 6 (ASCII)'}`);
      return bytes;
    });
    return padded(Buffer.concat(parts.flatMap((p, i) => (i ? [Buffer.from('\\'), p] : [p]))), el.vr);
  }
  if (el.vr === 'AT') return tags(el.Value ?? [], syntax.littleEndian);
  const number = NUMBER_VRS[el.vr];
  if (!number) throw new NotOurs();
  const [size, integer, write] = number;
  const values = el.Value ?? [];
  if (!values.every((v): v is number => typeof v === 'number' && (integer ? Number.isInteger(v) : Number.isFinite(v)))) throw new NotOurs();
  const out = Buffer.alloc(size * values.length);
  try {
    values.forEach((v, i) => write(out, v, i * size, syntax.littleEndian));
  } catch {
    throw new NotOurs(); // out of the VR's range: dcmjs decides what that means
  }
  return out;
}

function tags(values: unknown[], littleEndian: boolean): Buffer {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => {
    if (typeof v !== 'string' || !TAG.test(v)) throw new NotOurs();
    const t = parseInt(v, 16);
    if (littleEndian) {
      out.writeUInt16LE(t >>> 16, 4 * i);
      out.writeUInt16LE(t & 0xffff, 4 * i + 2);
    } else {
      out.writeUInt16BE(t >>> 16, 4 * i);
      out.writeUInt16BE(t & 0xffff, 4 * i + 2);
    }
  });
  return out;
}

/** PS3.5 6.2: every value has an even length. */
function padded(bytes: Buffer, vr: string): Buffer {
  if (bytes.length === paddedLength(bytes.length)) return bytes;
  return Buffer.concat([bytes, Buffer.from([TEXT_VRS.has(vr) ? padByte(vr) : 0])]);
}
