// The fuzz oracle for src/dicom/data-set-structure.ts: the same rules, written again from PS3.5
// 7.1-7.5 and A.4 as a plain recursive walk over a whole buffer (no streaming, no state machine),
// so that the streaming check can be compared with it on any input. It also says whether it met
// an unknown VR, the one place where its rules and those of dicom/data-set-reader.ts differ in
// what a header looks like (the reader gives every VR it does not know a 16-bit length).
import { EXPLICIT_VR_BIG_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, transferSyntaxByUid } from '../../src/dicom/transfer-syntaxes.ts';

export interface ReferenceVerdict {
  whole: boolean;
  /** An explicit VR element with an upper-case VR not in PS3.5 Table 6.2-1 was read (32-bit length). */
  unknownVr: boolean;
  /** The top-level tags, in order, as far as the walk got. */
  tags: number[];
}

const SHORT = new Set('AE AS AT CS DA DS DT FL FD IS LO LT PN SH SL SS ST TM UI UL US'.split(' '));
const LONG = new Set('OB OD OF OL OV OW SQ SV UC UN UR UT UV'.split(' '));
const UNDEFINED = 0xffffffff;
const NESTING = 64;

class NotWhole extends Error {}

export function referenceStructure(bytes: Buffer, transferSyntaxUid: string): ReferenceVerdict {
  const ts = transferSyntaxByUid(transferSyntaxUid);
  const implicitSyntax = ts?.uid === IMPLICIT_VR_LITTLE_ENDIAN;
  const be = ts?.uid === EXPLICIT_VR_BIG_ENDIAN;
  const verdict: ReferenceVerdict = { whole: false, unknownVr: false, tags: [] };
  const need = (o: number, n: number): void => { if (o + n > bytes.length) throw new NotWhole(); };
  const u16 = (o: number): number => (be ? bytes.readUInt16BE(o) : bytes.readUInt16LE(o));
  const u32 = (o: number): number => (be ? bytes.readUInt32BE(o) : bytes.readUInt32LE(o));
  const tagAt = (o: number): number => ((u16(o) << 16) | u16(o + 2)) >>> 0;

  /** Items of a sequence up to its Sequence Delimitation Item; returns the offset after it. */
  const sequence = (o: number, implicit: boolean, depth: number): number => {
    for (;;) {
      need(o, 8);
      const tag = tagAt(o);
      const length = u32(o + 4);
      if (tag === 0xfffee0dd) return o + 8;
      if (tag !== 0xfffee000) throw new NotWhole();
      o += 8;
      if (length === UNDEFINED) {
        if (depth >= NESTING) throw new NotWhole();
        o = elements(o, implicit, depth + 1, false);
      } else {
        need(o, length);
        o += length;
      }
    }
  };

  /** PS3.5 A.4: defined-length items up to the Sequence Delimitation Item. */
  const fragments = (o: number): number => {
    for (;;) {
      need(o, 8);
      const tag = tagAt(o);
      const length = u32(o + 4);
      if (tag === 0xfffee0dd) return o + 8;
      if (tag !== 0xfffee000 || length === UNDEFINED) throw new NotWhole();
      need(o + 8, length);
      o += 8 + length;
    }
  };

  /** Elements up to the end of the buffer (top) or an Item Delimitation Item; returns the offset after. */
  const elements = (o: number, implicit: boolean, depth: number, top: boolean): number => {
    for (let count = 0; ; count++) {
      if (top && o === bytes.length) {
        if (count === 0) throw new NotWhole();
        return o;
      }
      need(o, 8);
      const tag = tagAt(o);
      if (tag >>> 16 === 0xfffe) {
        if (!top && tag === 0xfffee00d) return o + 8;
        throw new NotWhole();
      }
      let vr = '';
      let length: number;
      let header = 8;
      if (implicit) {
        length = u32(o + 4);
      } else {
        vr = bytes.toString('latin1', o + 4, o + 6);
        if (SHORT.has(vr)) {
          length = u16(o + 6);
        } else if (LONG.has(vr) || /^[A-Z]{2}$/.test(vr)) {
          if (!LONG.has(vr)) verdict.unknownVr = true;
          need(o, 12);
          length = u32(o + 8);
          header = 12;
        } else {
          throw new NotWhole();
        }
      }
      if (top) {
        // PS3.5 7.1.3 heuristic: an implicit VR data set's first length never spells a VR.
        if (count === 0 && implicitSyntax && (SHORT.has(bytes.toString('latin1', o + 4, o + 6)) || LONG.has(bytes.toString('latin1', o + 4, o + 6)))) throw new NotWhole();
        if (count > 0 && tag <= verdict.tags.at(-1)!) throw new NotWhole();
        verdict.tags.push(tag);
        if (tag === 0x7fe00010 && ts && ts.encapsulated !== (length === UNDEFINED)) throw new NotWhole();
      }
      o += header;
      if (length !== UNDEFINED) {
        need(o, length);
        o += length;
        continue;
      }
      if (depth >= NESTING) throw new NotWhole();
      if (implicit) o = tag === 0x7fe00010 ? fragments(o) : sequence(o, true, depth + 1);
      else if (vr === 'SQ') o = sequence(o, false, depth + 1);
      else if (vr === 'UN') o = sequence(o, true, depth + 1);
      else if (vr === 'OB' || vr === 'OW') o = fragments(o);
      else throw new NotWhole();
    }
  };

  try {
    elements(0, implicitSyntax, 0, true);
    verdict.whole = true;
  } catch (err) {
    if (!(err instanceof NotWhole)) throw err;
  }
  return verdict;
}
