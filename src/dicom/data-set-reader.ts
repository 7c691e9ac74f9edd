// PS3.5 7.1-7.5: a minimal walker over an encoded data set, for the few attributes dcmget
// reads from small data sets (C-GET/C-FIND response Identifiers) and from the head of a received
// instance. It never materialises values it is not asked for, and it bounds every length.
import { EXPLICIT_VR_BIG_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './transfer-syntaxes.ts';
import { attributeByTag } from './dictionary.ts';

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const UNDEFINED = 0xffffffff;

export class TruncatedDataSet extends Error {}

export interface ElementVisit {
  tag: number;
  vr: string;
  /** The value bytes (undefined-length sequences and encapsulated pixel data excepted). */
  value: Buffer | undefined;
  offset: number;
}

/**
 * Visits the top-level elements of `bytes`; `visit` returns false to stop. Throws TruncatedDataSet
 * when an element runs past the end (the caller may be looking at a head only).
 */
interface Header { tag: number; vr: string; length: number; valueOffset: number }

class Walker {
  private readonly bytes: Buffer;
  private readonly bigEndian: boolean;
  constructor(bytes: Buffer, bigEndian: boolean) {
    this.bytes = bytes;
    this.bigEndian = bigEndian;
  }

  private u16(o: number): number { return this.bigEndian ? this.bytes.readUInt16BE(o) : this.bytes.readUInt16LE(o); }
  private u32(o: number): number { return this.bigEndian ? this.bytes.readUInt32BE(o) : this.bytes.readUInt32LE(o); }

  header(offset: number, implicit: boolean): Header {
    const bytes = this.bytes;
    if (offset + 8 > bytes.length) throw new TruncatedDataSet('data set ends inside an element header');
    const tag = ((this.u16(offset) << 16) | this.u16(offset + 2)) >>> 0;
    // PS3.5 7.5: item and delimitation tags never carry a VR.
    if (implicit || (tag >>> 16) === 0xfffe) return { tag, vr: attributeByTag(tag).vr, length: this.u32(offset + 4), valueOffset: offset + 8 };
    const vr = bytes.toString('latin1', offset + 4, offset + 6);
    if (!LONG_VRS.has(vr)) return { tag, vr, length: this.u16(offset + 6), valueOffset: offset + 8 };
    if (offset + 12 > bytes.length) throw new TruncatedDataSet('data set ends inside an element header');
    return { tag, vr, length: this.u32(offset + 8), valueOffset: offset + 12 };
  }

  /** End offset of an undefined-length value: a sequence's items or encapsulated fragments (PS3.5 7.5, A.4). */
  skipUndefined(start: number, implicit: boolean, depth: number): number {
    if (depth > 64) throw new TruncatedDataSet('sequences nested over 64 deep');
    let offset = start;
    for (;;) {
      const h = this.header(offset, true);
      if (h.tag === 0xfffee0dd) return h.valueOffset; // Sequence Delimitation Item
      if (h.tag !== 0xfffee000) throw new TruncatedDataSet(`expected an item, found ${h.tag.toString(16)}`);
      offset = h.length === UNDEFINED ? this.skipItem(h.valueOffset, implicit, depth + 1) : h.valueOffset + h.length;
      if (offset > this.bytes.length) throw new TruncatedDataSet('item runs past the data');
    }
  }

  private skipItem(start: number, implicit: boolean, depth: number): number {
    let offset = start;
    for (;;) {
      const h = this.header(offset, implicit);
      if (h.tag === 0xfffee00d) return h.valueOffset; // Item Delimitation Item
      offset = this.valueEnd(h, implicit, depth);
    }
  }

  valueEnd(h: Header, implicit: boolean, depth: number): number {
    if (h.length !== UNDEFINED) {
      const end = h.valueOffset + h.length;
      if (end > this.bytes.length) throw new TruncatedDataSet(`element ${h.tag.toString(16)} runs past the data`);
      return end;
    }
    // PS3.5 6.2.2: a UN of undefined length holds implicit VR little endian.
    return this.skipUndefined(h.valueOffset, implicit || h.vr === 'UN', depth + 1);
  }
}

/**
 * Visits the top-level elements of `bytes`; `visit` returns false to stop. Throws TruncatedDataSet
 * when an element runs past the end (the caller may be looking at a head only).
 */
export function walkDataSet(bytes: Buffer, transferSyntaxUid: string, visit: (e: ElementVisit) => boolean | void): void {
  const implicit = transferSyntaxUid === IMPLICIT_VR_LITTLE_ENDIAN;
  const walker = new Walker(bytes, transferSyntaxUid === EXPLICIT_VR_BIG_ENDIAN);
  let offset = 0;
  while (offset < bytes.length) {
    const h = walker.header(offset, implicit);
    const defined = h.length !== UNDEFINED;
    if (defined && h.valueOffset + h.length > bytes.length) throw new TruncatedDataSet(`element ${h.tag.toString(16)} runs past the data`);
    const value = defined ? bytes.subarray(h.valueOffset, h.valueOffset + h.length) : undefined;
    if (visit({ tag: h.tag, vr: h.vr, value, offset }) === false) return;
    offset = walker.valueEnd(h, implicit, 0);
  }
}

/** The string values of the given tags at the top level, e.g. the Failed SOP Instance UID List. */
export function readStrings(bytes: Buffer, transferSyntaxUid: string, tags: number[]): Map<number, string[]> {
  const wanted = new Set(tags);
  const out = new Map<number, string[]>();
  walkDataSet(bytes, transferSyntaxUid, (e) => {
    if (wanted.has(e.tag) && e.value) {
      const text = e.value.toString('latin1').replace(/[\0 ]+$/, '');
      out.set(e.tag, text === '' ? [] : text.split('\\').map((s) => s.trim()));
    }
    return out.size < wanted.size;
  });
  return out;
}
