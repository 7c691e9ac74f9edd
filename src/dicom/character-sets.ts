// PS3.5 6.1 and PS3.3 C.12.1.1.2: text values in the character sets a Specific Character Set
// (0008,0005) names, decoded with Node's own TextDecoder (WHATWG encodings, full ICU), and ISO 2022
// code extensions (PS3.5 6.1.2.5) followed escape by escape. No decoder of our own and no
// dependency: each DICOM code element maps to an encoding TextDecoder has (CODE_ELEMENTS below;
// test/unit/character-sets.test.ts decodes a sample of each).

/** A code element (PS3.3 Table C.12-2 to C.12-5): how its bytes become text. */
interface CodeElement {
  /** Bytes per character. */
  width: 1 | 2;
  /** G0 (bytes 0x21-0x7E) or G1 (bytes 0xA1-0xFE). */
  plane: 0 | 1;
  decode(bytes: Buffer): string;
}

/** A TextDecoder by WHATWG label, made once; full ICU has them all, small ICU may not. */
const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    d = new TextDecoder(label);
    decoders.set(label, d);
  }
  return d;
}

const text = (label: string) => (bytes: Buffer) => decoder(label).decode(bytes);
// ISO 8859-1 proper: WHATWG's "iso-8859-1" label is windows-1252, which differs in 0x80-0x9F.
const latin1 = (bytes: Buffer) => bytes.toString('latin1');
const ascii: CodeElement = { width: 1, plane: 0, decode: latin1 };
/** JIS X 0208 / 0212 in G0: EUC-JP is the same code points with the high bit set (0x8F before 0212). */
const jis = (prefix: number[]) => (bytes: Buffer) => {
  const out: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) out.push(...prefix, bytes[i]! | 0x80, bytes[i + 1]! | 0x80);
  return decoder('euc-jp').decode(Buffer.from(out));
};

/**
 * The mapping from DICOM's terms to TextDecoder's encodings. The key is the ISO-IR number; the
 * escape sequence designates it under code extensions (PS3.3 Table C.12-3, C.12-4).
 */
export const CODE_ELEMENTS: Record<string, { escape: string; encoding: string; element: CodeElement; g0?: CodeElement }> = {
  'IR 6': { escape: '\x1b(B', encoding: 'ASCII (ISO 646)', element: ascii },
  'IR 100': { escape: '\x1b-A', encoding: 'ISO 8859-1 (Buffer latin1)', element: { width: 1, plane: 1, decode: latin1 } },
  'IR 101': { escape: '\x1b-B', encoding: 'iso-8859-2', element: { width: 1, plane: 1, decode: text('iso-8859-2') } },
  'IR 109': { escape: '\x1b-C', encoding: 'iso-8859-3', element: { width: 1, plane: 1, decode: text('iso-8859-3') } },
  'IR 110': { escape: '\x1b-D', encoding: 'iso-8859-4', element: { width: 1, plane: 1, decode: text('iso-8859-4') } },
  'IR 144': { escape: '\x1b-L', encoding: 'iso-8859-5', element: { width: 1, plane: 1, decode: text('iso-8859-5') } },
  'IR 127': { escape: '\x1b-G', encoding: 'iso-8859-6', element: { width: 1, plane: 1, decode: text('iso-8859-6') } },
  'IR 126': { escape: '\x1b-F', encoding: 'iso-8859-7', element: { width: 1, plane: 1, decode: text('iso-8859-7') } },
  'IR 138': { escape: '\x1b-H', encoding: 'iso-8859-8', element: { width: 1, plane: 1, decode: text('iso-8859-8') } },
  // windows-1254 and windows-874 equal ISO 8859-9 and TIS 620 in 0xA0-0xFF, where G1 lies.
  'IR 148': { escape: '\x1b-M', encoding: 'windows-1254', element: { width: 1, plane: 1, decode: text('windows-1254') } },
  'IR 203': { escape: '\x1b-b', encoding: 'iso-8859-15', element: { width: 1, plane: 1, decode: text('iso-8859-15') } },
  'IR 166': { escape: '\x1b-T', encoding: 'windows-874', element: { width: 1, plane: 1, decode: text('windows-874') } },
  // JIS X 0201: katakana in G1, romaji in G0 (ESC ( J); Shift_JIS has both as single bytes.
  'IR 13': {
    escape: '\x1b)I', encoding: 'shift_jis', element: { width: 1, plane: 1, decode: text('shift_jis') },
    g0: { width: 1, plane: 0, decode: text('shift_jis') },
  },
  'IR 87': { escape: '\x1b$B', encoding: 'euc-jp (JIS X 0208)', element: { width: 2, plane: 0, decode: jis([]) } },
  'IR 159': { escape: '\x1b$(D', encoding: 'euc-jp (JIS X 0212)', element: { width: 2, plane: 0, decode: jis([0x8f]) } },
  'IR 149': { escape: '\x1b$)C', encoding: 'euc-kr', element: { width: 2, plane: 1, decode: text('euc-kr') } },
  'IR 58': { escape: '\x1b$)A', encoding: 'gbk (GB 2312)', element: { width: 2, plane: 1, decode: text('gbk') } },
};
const JIS_ROMAJI_ESCAPE = '\x1b(J';

/** Defined terms without code extensions that are not single ISO-IR code elements (PS3.3 Table C.12-5). */
const WHOLE_ENCODINGS: Record<string, string> = { 'ISO_IR 192': 'utf-8', GB18030: 'gb18030', GBK: 'gbk' };

/** The DICOM defined term (either spelling) → the TextDecoder encoding: the table a reader checks. */
export function encodingOf(term: string): string | undefined {
  const t = term.trim();
  if (WHOLE_ENCODINGS[t]) return WHOLE_ENCODINGS[t];
  const m = /^ISO(?:_| 2022 )(IR \d+)$/.exec(t);
  return m ? CODE_ELEMENTS[m[1]!]?.encoding : t === '' ? CODE_ELEMENTS['IR 6']!.encoding : undefined;
}

export class UnknownCharacterSet extends Error {}

/** The Specific Character Set as its values; an absent or empty one is the default repertoire. */
export function characterSetTerms(value: string | undefined): string[] {
  return (value ?? '').split('\\').map((t) => t.trim());
}

/** VRs whose values the Specific Character Set applies to (PS3.5 6.1.2.3); the rest are ASCII. */
export const CHARSET_VRS = new Set(['SH', 'LO', 'UC', 'ST', 'LT', 'UT', 'PN']);

/**
 * Decodes a text value (all of its backslash-separated values) in the character sets named by
 * `terms`. Throws UnknownCharacterSet for a term this table lacks (the caller decides the fallback).
 */
export function decodeText(bytes: Buffer, terms: string[], vr: string): string {
  if (!CHARSET_VRS.has(vr)) return latin1(bytes);
  const first = terms[0] ?? '';
  const whole = WHOLE_ENCODINGS[first];
  if (whole) return decoder(whole).decode(bytes);
  const initial = initialState(first);
  const extensions = terms.length > 1 || first.startsWith('ISO 2022');
  if (!extensions) return decodeRun(bytes, initial);
  const elements = new Map<string, CodeElement>([[CODE_ELEMENTS['IR 6']!.escape, ascii]]);
  for (const t of terms) {
    const ir = /^ISO 2022 (IR \d+)$/.exec(t)?.[1];
    if (t !== '' && !ir) throw new UnknownCharacterSet(`Specific Character Set "${t}" with code extensions`);
    const e = ir ? CODE_ELEMENTS[ir] : undefined;
    if (ir && !e) throw new UnknownCharacterSet(`Specific Character Set "${t}"`);
    if (e) elements.set(e.escape, e.element);
    if (e?.g0) elements.set(JIS_ROMAJI_ESCAPE, e.g0);
  }
  return decodeExtended(bytes, initial, elements, vr === 'PN');
}

interface State { g0: CodeElement; g1: CodeElement | undefined }

function initialState(first: string): State {
  if (first === '') return { g0: ascii, g1: undefined };
  const ir = /^ISO(?:_| 2022 )(IR \d+)$/.exec(first)?.[1];
  const e = ir ? CODE_ELEMENTS[ir] : undefined;
  if (!e) throw new UnknownCharacterSet(`Specific Character Set "${first}"`);
  if (e.element.plane === 0) return { g0: e.element, g1: undefined };
  return { g0: e.g0 ?? ascii, g1: e.element };
}

/** Bytes with no escape in them: G0 below 0x80, G1 above. */
function decodeRun(bytes: Buffer, s: State): string {
  if (!s.g1 || s.g0.decode === s.g1.decode) return (s.g1 ?? s.g0).decode(bytes);
  let out = '';
  let start = 0;
  for (let i = 1; i <= bytes.length; i++) {
    if (i === bytes.length || (bytes[i]! >= 0x80) !== (bytes[start]! >= 0x80)) {
      const part = bytes.subarray(start, i);
      out += (part[0]! >= 0x80 ? s.g1 : s.g0).decode(part);
      start = i;
    }
  }
  return out;
}

/**
 * PS3.5 6.1.2.5.3: escape sequences switch G0 or G1; each value starts in the initial state, and
 * so does each component of a person name (the encoder switches back before "\", "^" and "=").
 */
function decodeExtended(bytes: Buffer, initial: State, elements: Map<string, CodeElement>, personName: boolean): string {
  let s = { ...initial };
  let out = '';
  let run: number[] = [];
  const flush = () => {
    if (run.length) out += decodeRun(Buffer.from(run), s);
    run = [];
  };
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    if (b === 0x1b) {
      flush();
      const escape = [4, 3].map((n) => bytes.toString('latin1', i, i + n)).find((e) => elements.has(e));
      if (!escape) {
        out += '\ufffd';
        i++;
        continue;
      }
      const e = elements.get(escape)!;
      s = e.plane === 0 ? { ...s, g0: e } : { ...s, g1: e };
      i += escape.length;
      continue;
    }
    const single = b >= 0x80 ? (s.g1?.width ?? 1) === 1 : s.g0.width === 1;
    if (single && (b === 0x5c || (personName && (b === 0x5e || b === 0x3d)))) {
      flush();
      out += String.fromCharCode(b);
      s = { ...initial };
      i++;
      continue;
    }
    const width = single ? 1 : 2;
    run.push(...bytes.subarray(i, i + width));
    i += width;
  }
  flush();
  return out;
}

/** The one term dcmget declares for text it writes beyond ASCII (PS3.3 C.12.1.1.2: UTF-8). */
export const UTF8_TERM = 'ISO_IR 192';

/**
 * Text typed by a person (-k, --query-json) as the bytes of the character set the data set
 * declares: ASCII in any; beyond it, UTF-8 (ISO_IR 192) or Latin-1 (ISO_IR 100) only, the two a
 * Node.js Buffer writes. Undefined when the text cannot be written in that character set.
 */
export function encodeText(value: string, terms: string[], vr: string): Buffer | undefined {
  if (/^[\x00-\x7f]*$/.test(value)) return Buffer.from(value, 'latin1');
  if (!CHARSET_VRS.has(vr)) return undefined;
  const first = terms[0] ?? '';
  if (first === UTF8_TERM) return Buffer.from(value, 'utf8');
  if ((first === 'ISO_IR 100' || first === 'ISO 2022 IR 100') && /^[\x00-\xff]*$/.test(value)) return Buffer.from(value, 'latin1');
  return undefined;
}
