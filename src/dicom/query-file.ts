// A getscu query file (PS3.10 file, or a bare data set, as dump2dcm or dcmodify write it) as an
// Identifier: every element, at any depth, with its value decoded for people and checks (the
// DICOM JSON model, PS3.18 F.2, in the file's Specific Character Set) and its encoded bytes kept
// (encoded-value.ts), so that it is sent as getscu sends it: the same values, byte for byte.
import zlib from 'node:zlib';
import type { DicomJsonDataset, DicomJsonElement } from './dicom-json.ts';
import { walkDataSet, type ElementVisit } from './data-set-reader.ts';
import { tagHex } from './dictionary.ts';
import { characterSetTerms, decodeText, UnknownCharacterSet } from './character-sets.ts';
import { keepEncoded } from './encoded-value.ts';
import {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, transferSyntaxByUid,
} from './transfer-syntaxes.ts';

const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const SPECIFIC_CHARACTER_SET = 0x00080005;
/** Text VRs: their bytes mean the same in either byte order. */
const TEXT = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
const SINGLE_VALUED = new Set(['LT', 'ST', 'UT', 'UR']);
const NUMBERS: Record<string, [number, (b: Buffer, at: number, le: boolean) => number]> = {
  US: [2, (b, at, le) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at))],
  SS: [2, (b, at, le) => (le ? b.readInt16LE(at) : b.readInt16BE(at))],
  UL: [4, (b, at, le) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at))],
  SL: [4, (b, at, le) => (le ? b.readInt32LE(at) : b.readInt32BE(at))],
  FL: [4, (b, at, le) => (le ? b.readFloatLE(at) : b.readFloatBE(at))],
  FD: [8, (b, at, le) => (le ? b.readDoubleLE(at) : b.readDoubleBE(at))],
};

export class QueryFileError extends Error {}

interface Syntax { uid: string; littleEndian: boolean }

/** The data set of a query file, and the transfer syntax it is in. */
export function queryFileDataSet(file: Buffer): { bytes: Buffer; transferSyntaxUid: string } {
  if (file.length >= 132 && file.toString('latin1', 128, 132) === 'DICM') {
    let uid = EXPLICIT_VR_LITTLE_ENDIAN;
    let start = file.length - 132;
    walkDataSet(file.subarray(132), EXPLICIT_VR_LITTLE_ENDIAN, (e) => {
      if (e.tag >>> 16 !== 0x0002) {
        start = e.offset;
        return false;
      }
      if (e.tag === 0x00020010 && e.value) uid = e.value.toString('latin1').replace(/[\0 ]+$/, '');
      return true;
    });
    const rest = file.subarray(132 + start);
    if (uid !== DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) return { bytes: rest, transferSyntaxUid: uid };
    return { bytes: zlib.inflateRawSync(rest, { maxOutputLength: 64 * 1024 * 1024 }), transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN };
  }
  // A bare data set (dcmodify, dump2dcm -F…): explicit VR if a VR follows the first tag, as DCMTK guesses.
  const explicit = file.length >= 6 && /^[A-Z]{2}$/.test(file.toString('latin1', 4, 6));
  return { bytes: file, transferSyntaxUid: explicit ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN };
}

/** The query file's data set as an Identifier (see the top of this file). */
export function readQueryDataSet(bytes: Buffer, transferSyntaxUid: string): DicomJsonDataset {
  const ts = transferSyntaxByUid(transferSyntaxUid);
  if (!ts || ts.encapsulated || ts.deflated) throw new QueryFileError(`transfer syntax ${transferSyntaxUid} is not one a query file is written in`);
  return readItem(bytes, { uid: transferSyntaxUid, littleEndian: transferSyntaxUid !== EXPLICIT_VR_BIG_ENDIAN }, [], 0);
}

function readItem(bytes: Buffer, syntax: Syntax, inherited: string[], depth: number): DicomJsonDataset {
  if (depth > 16) throw new QueryFileError('sequences nested over 16 deep');
  const visits: ElementVisit[] = [];
  walkDataSet(bytes, syntax.uid, (e) => { visits.push(e); });
  const charset = visits.find((e) => e.tag === SPECIFIC_CHARACTER_SET)?.value;
  // PS3.5 7.5: an item without its own Specific Character Set inherits the enclosing one.
  const terms = charset ? characterSetTerms(charset.toString('latin1').replace(/[\0 ]+$/, '')) : inherited;
  const ds: DicomJsonDataset = {};
  visits.forEach((e, i) => {
    if (e.tag >>> 16 === 0x0002 || e.tag >>> 16 === 0xfffe) return;
    const end = i + 1 < visits.length ? visits[i + 1]!.offset : bytes.length;
    ds[tagHex(e.tag)] = e.vr === 'SQ' ? sequence(bytes, e, end, syntax, terms, depth) : element(e, syntax, terms);
  });
  return ds;
}

function element(e: ElementVisit, syntax: Syntax, terms: string[]): DicomJsonElement {
  const value = e.value ?? Buffer.alloc(0);
  if (TEXT.has(e.vr)) {
    let text: string;
    try {
      text = decodeText(value, terms, e.vr);
    } catch (err) {
      if (!(err instanceof UnknownCharacterSet)) throw err;
      throw new QueryFileError(`${err.message} is not one dcmget knows (PS3.3 C.12.1.1.2)`);
    }
    const trimmed = text.replace(e.vr === 'UI' ? /[\0 ]+$/ : / +$/, '');
    const values = trimmed === '' ? [] : SINGLE_VALUED.has(e.vr) ? [trimmed] : trimmed.split('\\');
    const Value = e.vr === 'PN' ? values.map(personName) : values;
    return keepEncoded({ vr: e.vr, Value }, value);
  }
  const number = NUMBERS[e.vr];
  if (number) {
    const [size, read] = number;
    if (value.length % size !== 0) throw new QueryFileError(`element (${tagHex(e.tag).replace(/^(.{4})/, '$1,')}) ${e.vr} has ${value.length} bytes`);
    const Value: number[] = [];
    for (let at = 0; at < value.length; at += size) Value.push(read(value, at, syntax.littleEndian));
    return { vr: e.vr, Value };
  }
  if (e.vr === 'AT') {
    const Value: string[] = [];
    for (let at = 0; at + 4 <= value.length; at += 4) {
      const [g, el] = syntax.littleEndian ? [value.readUInt16LE(at), value.readUInt16LE(at + 2)] : [value.readUInt16BE(at), value.readUInt16BE(at + 2)];
      Value.push(tagHex(((g << 16) | el) >>> 0));
    }
    return { vr: 'AT', Value };
  }
  // OB, UN and the other binary VRs: kept as bytes (little endian files only: byte order matters).
  if (!syntax.littleEndian && e.vr !== 'OB' && e.vr !== 'UN') throw new QueryFileError(`a ${e.vr} element in a big endian query file`);
  return keepEncoded({ vr: e.vr, InlineBinary: value.toString('base64') } as DicomJsonElement, value);
}

/** PS3.18 F.2.2: a person name as its component groups. */
function personName(value: string): Record<string, string> {
  const [alphabetic, ideographic, phonetic] = value.split('=');
  return Object.fromEntries(Object.entries({ Alphabetic: alphabetic, Ideographic: ideographic, Phonetic: phonetic }).filter(([, v]) => v !== undefined && v !== '')) as Record<string, string>;
}

function sequence(bytes: Buffer, e: ElementVisit, end: number, syntax: Syntax, terms: string[], depth: number): DicomJsonElement {
  // The value: a defined length one as the walker saw it; an undefined length one up to its delimiter.
  const header = syntax.uid === IMPLICIT_VR_LITTLE_ENDIAN ? 8 : 12;
  const value = e.value ?? bytes.subarray(e.offset + header, end - 8);
  const items: DicomJsonDataset[] = [];
  const u32 = (at: number) => (syntax.littleEndian ? value.readUInt32LE(at) : value.readUInt32BE(at));
  const tag = (at: number) => (((syntax.littleEndian ? value.readUInt16LE(at) : value.readUInt16BE(at)) << 16 | (syntax.littleEndian ? value.readUInt16LE(at + 2) : value.readUInt16BE(at + 2))) >>> 0);
  for (let at = 0; at + 8 <= value.length;) {
    const t = tag(at);
    if (t === SEQUENCE_DELIMITATION) break;
    if (t !== ITEM) throw new QueryFileError(`a sequence holds ${tagHex(t)} where an item belongs`);
    const length = u32(at + 4);
    let body: Buffer;
    if (length !== UNDEFINED) {
      body = value.subarray(at + 8, at + 8 + length);
      at += 8 + length;
    } else {
      let stop = value.length - at - 8;
      walkDataSet(value.subarray(at + 8), syntax.uid, (x) => {
        if (x.tag !== ITEM_DELIMITATION) return true;
        stop = x.offset;
        return false;
      });
      body = value.subarray(at + 8, at + 8 + stop);
      at += 8 + stop + 8;
    }
    items.push(readItem(body, syntax, terms, depth + 1));
  }
  return { vr: 'SQ', Value: items };
}
