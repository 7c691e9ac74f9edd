// A streaming check that the bytes of a received data set are exactly one whole data set (PS3.5
// 7.1-7.5, A.4), walked as they pass and never decoded: element headers (tag, VR, length) are read,
// values are only counted past. Fed views of the socket's read buffer, it keeps none of them (a
// header split between two reads is copied into 12 bytes of its own) and allocates nothing from a
// length on the wire, so it costs no memory and a few microseconds per instance (ARCHITECTURE.md
// "Every data set is checked").
//
// What it accepts, and why:
// - Defined-length values are skipped by their length, sequences included: the lengths at the top
//   level must account for every byte exactly. Undefined-length values are walked: a sequence's
//   items (PS3.5 7.5.2), each item's elements up to its Item Delimitation Item (7.5.1), the
//   fragments of encapsulated Pixel Data (A.4; defined-length items only), each closed by its
//   Sequence Delimitation Item. A delimiter's own length is not skipped (7.5: it is always 0).
// - In explicit VR, the VR names the length's size (7.1.2); an unknown VR of two upper-case
//   letters has the 32-bit form (as DCMTK reads one); anything else is not explicit VR.
// - A UN value of undefined length holds implicit VR little endian (6.2.2).
// - Top-level Pixel Data (7FE0,0010) must be encapsulated (undefined length) exactly when the
//   context's transfer syntax is: otherwise the file's File Meta would name the wrong syntax.
// What it refuses, with a one-line reason: a data set that ends inside a header, a value or an
// open sequence or item (cut short, or a length that runs past the last byte); top-level elements
// out of ascending tag order (PS3.5 7.1.1: bytes past the last element, from a duplicated
// fragment or trailing garbage, are read as elements, and random or zero bytes almost never
// continue the order and end exactly at the last byte); an item or delimiter out of place;
// nesting deeper than MAX_NESTING; an empty data set.
import { transferSyntaxByUid, EXPLICIT_VR_BIG_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from './transfer-syntaxes.ts';

/** Undefined-length values open inside one another, at most (sequences and items both count). */
export const MAX_NESTING = 64;

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIMITATION = 0xfffee00d;
const SEQUENCE_DELIMITATION = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;

/** What is open: the data set itself, or an undefined-length value inside it. */
const Open = { DataSet: 0, Sequence: 1, Item: 2, Fragments: 3 } as const;
/** Or'ed into a frame: its content is in implicit VR (a UN sequence in explicit VR, PS3.5 6.2.2). */
const IMPLICIT = 4;

const vrCode = (vr: string): number => (vr.charCodeAt(0) << 8) | vr.charCodeAt(1);
/** PS3.5 Table 7.1-1/7.1-2: VRs with a 16-bit length in explicit VR; every other VR has 32 bits. */
const SHORT_VRS = 'AE AS AT CS DA DS DT FL FD IS LO LT PN SH SL SS ST TM UI UL US';
const LONG_VRS = 'OB OD OF OL OV OW SQ SV UC UN UR UT UV';
/** By VR code (two bytes, big-endian): 1 short, 2 long (known), 0 not a VR of PS3.5 Table 6.2-1. */
const VR_KIND = new Uint8Array(65536);
for (const vr of SHORT_VRS.split(' ')) VR_KIND[vrCode(vr)] = 1;
for (const vr of LONG_VRS.split(' ')) VR_KIND[vrCode(vr)] = 2;
const VR_SQ = vrCode('SQ');
const VR_UN = vrCode('UN');
const VR_OB = vrCode('OB');
const VR_OW = vrCode('OW');

const isUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;

/** "(7FE0,0010)" */
export function formatTag(tag: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${hex(tag >>> 16)},${hex(tag & 0xffff)})`;
}

/** How top-level Pixel Data must be encoded on a context of this syntax (PS3.5 A.4), if known. */
type PixelDataRule = 'native' | 'encapsulated' | undefined;

/**
 * Fed a data set's bytes in order, in fragments of any size (write), it says at the end whether
 * they were exactly one whole data set in the given transfer syntax (end). For a deflated syntax
 * (PS3.5 A.5), feed it the inflated bytes (./deflated-data-set.ts does).
 * Never throws for any bytes: a fault is remembered and reported by end().
 */
export class DataSetStructure {
  private readonly implicit: boolean;
  private readonly bigEndian: boolean;
  private readonly syntaxName: string;
  private readonly pixelData: PixelDataRule;
  /** Bytes received before the current fragment. */
  private received = 0;
  /** Bytes of the current value still to pass. */
  private skip = 0;
  /** The value being skipped, for the reason given when the data set ends inside it. */
  private valueTag = 0;
  private valueLength = 0;
  private valueOffset = 0;
  /** A header split between fragments: its first bytes. */
  private readonly header = Buffer.alloc(12);
  private have = 0;
  /** Open undefined-length values, innermost last: an Open kind (| IMPLICIT), and the element's tag. */
  private readonly frames: number[] = [];
  private readonly frameTags: number[] = [];
  private elements = 0;
  /** The last top-level tag: PS3.5 7.1 orders them, so bytes past the last element rarely pass as more. */
  private lastTag = -1;
  private fault: string | undefined;

  constructor(transferSyntaxUid: string) {
    const ts = transferSyntaxByUid(transferSyntaxUid);
    // PS3.5 10: every syntax but these two encodes the data set in Explicit VR Little Endian.
    this.implicit = ts?.uid === IMPLICIT_VR_LITTLE_ENDIAN;
    this.bigEndian = ts?.uid === EXPLICIT_VR_BIG_ENDIAN;
    this.syntaxName = ts?.name ?? transferSyntaxUid;
    this.pixelData = ts ? (ts.encapsulated ? 'encapsulated' : 'native') : undefined;
  }

  /** The next fragment; used during the call only, never kept. */
  write(chunk: Uint8Array): void {
    if (this.fault !== undefined) return;
    const n = chunk.length;
    let at = 0;
    while (at < n && this.fault === undefined) {
      if (this.skip > 0) {
        const step = Math.min(this.skip, n - at);
        this.skip -= step;
        at += step;
      } else if (this.have === 0 && n - at >= 12) {
        at += this.onHeader(chunk, at, this.received + at);
      } else {
        at = this.gather(chunk, at);
      }
    }
    this.received += n;
  }

  /** Copies header bytes into this.header until a whole header is there; returns the new offset. */
  private gather(chunk: Uint8Array, at: number): number {
    const want = this.have < 8 ? 8 : this.headerLength(this.header, 0);
    const take = Math.min(want - this.have, chunk.length - at);
    this.header.set(chunk.subarray(at, at + take), this.have);
    this.have += take;
    at += take;
    if (this.have >= 8 && this.have === this.headerLength(this.header, 0)) {
      const offset = this.received + at - this.have;
      this.have = 0;
      this.onHeader(this.header, 0, offset);
    }
    return at;
  }

  /** undefined when the bytes were exactly one whole data set; else why not, in one line. */
  end(): string | undefined {
    if (this.fault !== undefined) return this.fault;
    const total = this.received;
    if (this.have > 0) {
      const at = total - this.have;
      return `${this.have} byte${this.have === 1 ? '' : 's'} at offset ${at} of the ${total}-byte data set, too few for an element header: trailing bytes or a data set cut short`;
    }
    if (this.skip > 0) {
      return `the data set ends inside ${this.describeValue()}: ${this.valueLength} bytes declared at offset ${this.valueOffset}, ${this.valueLength - this.skip} received`;
    }
    const depth = this.frames.length;
    if (depth > 0) {
      const kind = this.frames[depth - 1]! & 3;
      const what = kind === Open.Item ? 'an item' : kind === Open.Fragments ? 'encapsulated Pixel Data' : 'a sequence';
      return `the data set ends inside ${what} of ${formatTag(this.frameTags[depth - 1]!)} of undefined length, with no ${kind === Open.Item ? 'Item' : 'Sequence'} Delimitation Item (PS3.5 7.5)`;
    }
    if (this.elements === 0) return 'the data set is empty';
    return undefined;
  }

  /** The value being skipped, in words. */
  private describeValue(): string {
    if (this.valueTag !== ITEM) return `the value of ${formatTag(this.valueTag)}`;
    const depth = this.frames.length;
    const outer = formatTag(this.frameTags[depth - 1]!);
    return (this.frames[depth - 1]! & 3) === Open.Fragments ? `a fragment of ${outer} (encapsulated)` : `an item of ${outer}`;
  }

  private fail(reason: string): number {
    this.fault ??= reason;
    return 0;
  }

  private u16(b: Uint8Array, o: number): number {
    return this.bigEndian ? (b[o]! << 8) | b[o + 1]! : b[o]! | (b[o + 1]! << 8);
  }

  private u32(b: Uint8Array, o: number): number {
    return this.bigEndian
      ? b[o]! * 0x1000000 + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!)
      : b[o + 3]! * 0x1000000 + ((b[o + 2]! << 16) | (b[o + 1]! << 8) | b[o]!);
  }

  /** The innermost open value's kind and implicit flag. */
  private get open(): number {
    const depth = this.frames.length;
    return depth === 0 ? (this.implicit ? IMPLICIT : 0) : this.frames[depth - 1]!;
  }

  /** 8 or 12: the length of the header starting at b[o], from its first 6 bytes (PS3.5 7.1.1-7.1.3). */
  private headerLength(b: Uint8Array, o: number): number {
    const open = this.open;
    if ((open & 3) === Open.Sequence || (open & 3) === Open.Fragments || open & IMPLICIT) return 8;
    if (this.u16(b, o) === 0xfffe) return 8; // PS3.5 7.5: items and delimiters carry no VR
    const vr = (b[o + 4]! << 8) | b[o + 5]!;
    const kind = VR_KIND[vr]!;
    if (kind === 1) return 8;
    return kind === 2 || (isUpper(b[o + 4]!) && isUpper(b[o + 5]!)) ? 12 : 8;
  }

  /** A whole header at b[o] (at least its headerLength is there); returns its length. */
  private onHeader(b: Uint8Array, o: number, offset: number): number {
    const length = this.headerLength(b, o);
    const tag = ((this.u16(b, o) << 16) | this.u16(b, o + 2)) >>> 0;
    const open = this.open;
    const kind = open & 3;
    if (kind === Open.Sequence || kind === Open.Fragments) return this.onItem(tag, this.u32(b, o + 4), kind, open, offset);
    if ((tag >>> 16) === 0xfffe) {
      if (tag === ITEM_DELIMITATION && kind === Open.Item) {
        this.close();
        return 8;
      }
      return this.fail(`${formatTag(tag)} at offset ${offset}, where a data element should be${kind === Open.DataSet ? ' (top level)' : ''} (PS3.5 7.5)`);
    }
    let vr = 0;
    let valueLength: number;
    if (open & IMPLICIT) {
      valueLength = this.u32(b, o + 4);
    } else {
      vr = (b[o + 4]! << 8) | b[o + 5]!;
      if (length === 8 && VR_KIND[vr] !== 1) return this.fail(this.notExplicit(tag, b, o, offset));
      valueLength = length === 8 ? this.u16(b, o + 6) : this.u32(b, o + 8);
    }
    if (kind === Open.DataSet) {
      if (this.elements++ === 0) {
        const mismatch = this.firstElement(b, o);
        if (mismatch) return this.fail(mismatch);
      } else if (tag <= this.lastTag) {
        return this.fail(`${formatTag(tag)} at offset ${offset} after ${formatTag(this.lastTag)}: top-level elements are in ascending tag order (PS3.5 7.1.1), so these are bytes past the last element`);
      }
      this.lastTag = tag;
    }
    if (kind === Open.DataSet && tag === PIXEL_DATA) {
      const mislabelled = this.pixelDataMismatch(valueLength === UNDEFINED_LENGTH);
      if (mislabelled) return this.fail(mislabelled);
    }
    if (valueLength !== UNDEFINED_LENGTH) {
      this.skipValue(tag, valueLength, offset + length);
      return length;
    }
    return this.openValue(tag, vr, open, offset) ? length : 0;
  }

  /** Inside a sequence or encapsulated Pixel Data: an item, or the delimiter that closes it. */
  private onItem(tag: number, length: number, kind: number, open: number, offset: number): number {
    if (tag === SEQUENCE_DELIMITATION) {
      this.close();
      return 8;
    }
    const where = kind === Open.Fragments ? 'encapsulated Pixel Data' : `the sequence ${formatTag(this.frameTags[this.frameTags.length - 1]!)}`;
    if (tag !== ITEM) return this.fail(`${formatTag(tag)} at offset ${offset} inside ${where}, where an item or a Sequence Delimitation Item should be (PS3.5 7.5)`);
    if (length !== UNDEFINED_LENGTH) {
      this.skipValue(tag, length, offset + 8);
      return 8;
    }
    // PS3.5 A.4: each fragment is an item of defined length.
    if (kind === Open.Fragments) return this.fail(`an item of undefined length at offset ${offset} inside encapsulated Pixel Data (PS3.5 A.4: fragments have a defined length)`);
    return this.push(Open.Item | (open & IMPLICIT), this.frameTags[this.frameTags.length - 1]!, offset) ? 8 : 0;
  }

  private skipValue(tag: number, length: number, valueOffset: number): void {
    this.skip = length;
    this.valueTag = tag;
    this.valueLength = length;
    this.valueOffset = valueOffset;
  }

  /** An element of undefined length: a sequence, or encapsulated Pixel Data (PS3.5 7.1.1, 7.5, A.4). */
  private openValue(tag: number, vr: number, open: number, offset: number): boolean {
    if (open & IMPLICIT) return this.push((tag === PIXEL_DATA ? Open.Fragments : Open.Sequence) | IMPLICIT, tag, offset);
    if (vr === VR_SQ) return this.push(Open.Sequence, tag, offset);
    if (vr === VR_UN) return this.push(Open.Sequence | IMPLICIT, tag, offset); // PS3.5 6.2.2
    if (vr === VR_OB || vr === VR_OW) return this.push(Open.Fragments, tag, offset);
    this.fail(`${formatTag(tag)} ${String.fromCharCode(vr >>> 8, vr & 0xff)} at offset ${offset} has an undefined length, which only SQ, UN and encapsulated OB/OW may have (PS3.5 7.1.1)`);
    return false;
  }

  private push(frame: number, tag: number, offset: number): boolean {
    if (this.frames.length >= MAX_NESTING) {
      this.fail(`sequences and items nested over ${MAX_NESTING} deep at offset ${offset}`);
      return false;
    }
    this.frames.push(frame);
    this.frameTags.push(tag);
    return true;
  }

  private close(): void {
    this.frames.pop();
    this.frameTags.pop();
  }

  /** Why a header with no VR where explicit VR needs one: a whole data set in implicit VR, or garbage. */
  private notExplicit(tag: number, b: Uint8Array, o: number, offset: number): string {
    if (this.elements === 0) return `the data set is not in explicit VR, as ${this.syntaxName} (its presentation context's syntax) requires`;
    const bytes = `${b[o + 4]!.toString(16).padStart(2, '0')} ${b[o + 5]!.toString(16).padStart(2, '0')}`;
    return `${formatTag(tag)} at offset ${offset} has no VR (bytes ${bytes}): not an element of an explicit VR data set`;
  }

  /**
   * PS3.5 7.1.3: in implicit VR the bytes after the first tag are a 32-bit length, which for the
   * short first elements of a data set never spells a VR; an explicit VR data set sent on an
   * implicit VR context does (a first element over 16 KiB whose length spells one is let through).
   */
  private firstElement(b: Uint8Array, o: number): string | undefined {
    if (!this.implicit || this.frames.length > 0) return undefined;
    if (VR_KIND[(b[o + 4]! << 8) | b[o + 5]!] === 0) return undefined;
    return `the data set is in explicit VR, not the ${this.syntaxName} its presentation context was accepted with`;
  }

  private pixelDataMismatch(encapsulated: boolean): string | undefined {
    if (this.pixelData === 'native' && encapsulated) {
      return `encapsulated (compressed) Pixel Data on a context accepted with ${this.syntaxName}, a native syntax: the data set is not in its context's transfer syntax (PS3.5 A.4)`;
    }
    if (this.pixelData === 'encapsulated' && !encapsulated) {
      return `native Pixel Data (defined length) on a context accepted with ${this.syntaxName}, an encapsulated syntax: the data set is not in its context's transfer syntax (PS3.5 A.4)`;
    }
    return undefined;
  }
}
