// PS3.5 6.2 (Table 6.2-1): values that cannot be valid for their VR, found before anything
// connects, so that a typo is a usage error and not a C-GET the peer fails. Matching forms a query
// may use (PS3.4 C.2.2.2: wildcards, ranges, UID lists) are valid here. What the standard allows
// is allowed, however odd; only what it cannot mean is refused.
import type { DicomJsonDataset, DicomJsonElement } from './dicom-json.ts';
import { attributeByTag, formatTag } from './dictionary.ts';
import { characterSetTerms, encodeText } from './character-sets.ts';
import { encodedValue } from './encoded-value.ts';
import { textValues } from './data-set-writer.ts';
import { isValidUid } from './uid.ts';
import { UsageError } from './usage-error.ts';

/** PS3.5 6.2: every VR. */
export const VRS = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'OB', 'OD', 'OF', 'OL', 'OV', 'OW',
  'PN', 'SH', 'SL', 'SQ', 'SS', 'ST', 'SV', 'TM', 'UC', 'UI', 'UL', 'UN', 'UR', 'US', 'UT', 'UV',
]);

const DATE = '\\d{8}';
const TIME = '\\d{2}(?:\\d{2}(?:\\d{2}(?:\\.\\d{1,6})?)?)?';
const DATE_TIME = '\\d{4}(?:\\d{2}(?:\\d{2}(?:\\d{2}(?:\\d{2}(?:\\d{2}(?:\\.\\d{1,6})?)?)?)?)?)?(?:[+-]\\d{4})?';
/** PS3.4 C.2.2.2.5: a single value or a range, either end open. */
const range = (one: string) => new RegExp(`^(?:${one}|(?:${one})?-(?:${one})?)$`);
const CONTROL = /[\x00-\x08\x0a-\x1a\x1c-\x1f\x7f]/; // ESC (0x1B) is how ISO 2022 text switches sets

/** Each VR's check of one value: undefined when it can be valid, else what is wrong. */
const CHECKS: Record<string, (v: string) => string | undefined> = {
  AE: (v) => (v.length > 16 || CONTROL.test(v) ? 'is not an AE title (at most 16 characters, no control characters)' : undefined),
  AS: (v) => (/^\d{3}[DWMY]$/.test(v) ? undefined : 'is not an age (nnnD, nnnW, nnnM or nnnY)'),
  CS: (v) => (v.length <= 16 && /^[A-Z0-9 _*?]*$/.test(v) ? undefined : 'is not a code string (at most 16 of A-Z, 0-9, space and _)'),
  DA: (v) => (range(DATE).test(v.trim()) ? undefined : 'is not a date (YYYYMMDD) or a date range'),
  TM: (v) => (range(TIME).test(v.trim()) ? undefined : 'is not a time (HHMMSS.FFFFFF) or a time range'),
  DT: (v) => (range(DATE_TIME).test(v.trim()) ? undefined : 'is not a date-time (YYYYMMDDHHMMSS.FFFFFF&ZZXX) or a range'),
  DS: (v) => (v.length <= 16 && /^ *[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)? *$/.test(v) ? undefined : 'is not a decimal string (at most 16 characters)'),
  IS: (v) => (v.length <= 12 && /^ *[+-]?\d+ *$/.test(v) && Math.abs(Number(v)) <= 2 ** 31 ? undefined : 'is not an integer string (at most 12 characters, -2^31..2^31-1)'),
  LO: (v) => (v.length > 64 || CONTROL.test(v) ? 'is not a long string (at most 64 characters, no control characters)' : undefined),
  SH: (v) => (v.length > 16 || CONTROL.test(v) ? 'is not a short string (at most 16 characters, no control characters)' : undefined),
  UC: (v) => (CONTROL.test(v) ? 'holds control characters' : undefined),
  ST: (v) => (v.length > 1024 ? 'is longer than a short text\'s 1024 characters' : undefined),
  LT: (v) => (v.length > 10240 ? 'is longer than a long text\'s 10240 characters' : undefined),
  UT: () => undefined,
  UR: (v) => (/^[\x21-\x7e]*$/.test(v) ? undefined : 'is not a URI'),
  UI: (v) => (isValidUid(v) ? undefined : 'is not a UID (PS3.5 9.1: digits and dots, no leading zeros, at most 64 characters)'),
  PN: (v) => {
    const groups = v.split('=');
    if (groups.length > 3) return 'is not a person name (at most three component groups, alphabetic=ideographic=phonetic)';
    if (groups.some((g) => g.length > 64 || g.split('^').length > 5)) return 'is not a person name (at most 5 components and 64 characters a group)';
    return CONTROL.test(v) ? 'is not a person name (control characters)' : undefined;
  },
};

const RANGES: Record<string, [number, number]> = {
  US: [0, 0xffff], SS: [-0x8000, 0x7fff], UL: [0, 0xffffffff], SL: [-0x80000000, 0x7fffffff],
  FL: [-3.4028234663852886e38, 3.4028234663852886e38], FD: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

/** Throws UsageError for the first value of `ds` (at any depth) that cannot be valid. */
export function checkDataSet(ds: DicomJsonDataset, inherited: string[] = [], path = ''): void {
  const own = ds['00080005'];
  const terms = own ? characterSetTerms(textValues(own)?.join('\\')) : inherited;
  for (const [key, el] of Object.entries(ds)) {
    const tag = parseInt(key, 16);
    const info = attributeByTag(tag);
    const name = `${path}${info.keyword ?? formatTag(tag)} ${formatTag(tag)}`;
    const problem = checkElement(el, info.vr, terms, name);
    if (problem) throw new UsageError(`${name} ${problem}`);
  }
}

function checkElement(el: DicomJsonElement, dictionaryVr: string, terms: string[], name: string): string | undefined {
  if (typeof el !== 'object' || el === null || typeof el.vr !== 'string') return 'needs a "vr"';
  if (!VRS.has(el.vr)) return `has VR "${el.vr}", which is not a VR (PS3.5 6.2)`;
  // The dictionary's VR, where it has exactly one (private and "US or SS" attributes take any).
  if (!['UN', 'OB', 'OW', 'US', 'SS'].includes(dictionaryVr) && el.vr !== dictionaryVr && el.vr !== 'UN') {
    return `has VR ${el.vr}, but the attribute is ${dictionaryVr} (PS3.6)`;
  }
  if (el.Value !== undefined && !Array.isArray(el.Value)) return 'has a "Value" that is not a list';
  if (el.vr === 'SQ') {
    for (const [i, item] of (el.Value ?? []).entries()) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) return `item ${i} is not a data set`;
      checkDataSet(item as DicomJsonDataset, terms, `${name}[${i}].`);
    }
    return undefined;
  }
  if (CHECKS[el.vr]) return checkText(el, terms);
  const limits = RANGES[el.vr];
  if (limits) {
    const integer = !el.vr.startsWith('F');
    const bad = (el.Value ?? []).find((v) => typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < limits[0] || v > limits[1]);
    return bad === undefined ? undefined : `${JSON.stringify(bad)} is not ${integer ? `a whole number from ${limits[0]} to ${limits[1]}` : 'a number'} (${el.vr})`;
  }
  if (el.vr === 'AT') {
    const bad = (el.Value ?? []).find((v) => typeof v !== 'string' || !/^[0-9A-Fa-f]{8}$/.test(v));
    return bad === undefined ? undefined : `${JSON.stringify(bad)} is not a tag (8 hex digits)`;
  }
  return undefined;
}

function checkText(el: DicomJsonElement, terms: string[]): string | undefined {
  const values = textValues(el);
  if (!values) return `has a value that is not ${el.vr === 'PN' ? 'a name or {"Alphabetic": …}' : el.vr === 'IS' || el.vr === 'DS' ? 'a number or a string' : 'a string'}`;
  for (const v of values) {
    const trimmed = el.vr === 'UI' ? v : v.replace(/ +$/, '');
    // An empty value, or "*" alone: universal matching (PS3.4 C.2.2.2.3), valid in any VR.
    if (trimmed === '' || (trimmed === '*' && el.vr !== 'UI')) continue;
    if (values.length > 1 && ['LT', 'ST', 'UT', 'UR'].includes(el.vr)) return 'has several values; its VR allows one';
    const problem = CHECKS[el.vr]!(trimmed);
    if (problem) return `"${v.slice(0, 80)}" ${problem}`;
    if (!encodedValue(el) && !encodeText(v, terms, el.vr)) {
      return `"${v.slice(0, 80)}" cannot be written in the Specific Character Set ${terms.join('\\') || '(none: ASCII)'}; dcmget writes text beyond ASCII as ISO_IR 192 (UTF-8) or ISO_IR 100`;
    }
  }
  return undefined;
}
