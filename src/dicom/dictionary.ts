// Data dictionary look-ups (PS3.6 Table 6-1): the common attributes from a small table, every
// other one from dcmjs's dictionary, loaded on first need.
import { COMMON_ATTRIBUTES } from './common-attributes.ts';
import { dcmjs } from './dcmjs-module.ts';
import { UsageError } from './usage-error.ts';

const metaDictionary = () => dcmjs().data.DicomMetaDictionary;

export interface AttributeInfo {
  tag: number;
  keyword: string | undefined;
  vr: string;
}

export function tagHex(tag: number): string {
  return tag.toString(16).toUpperCase().padStart(8, '0');
}

export function formatTag(tag: number): string {
  const h = tagHex(tag);
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

/** `gggg,eeee`, `(gggg,eeee)` or `ggggeeee` → tag number, or undefined if it is not of that form. */
export function parseTagText(text: string): number | undefined {
  const m = /^\(?([0-9a-fA-F]{4}),?([0-9a-fA-F]{4})\)?$/.exec(text.trim());
  return m ? parseInt(m[1]! + m[2]!, 16) : undefined;
}

const COMMON_BY_TAG = new Map(COMMON_ATTRIBUTES.map(([keyword, tag, vr]) => [tag, { tag, keyword, vr }]));
const COMMON_BY_KEYWORD = new Map(COMMON_ATTRIBUTES.map(([keyword, tag, vr]) => [keyword, { tag, keyword, vr }]));

export function attributeByTag(tag: number): AttributeInfo {
  const common = COMMON_BY_TAG.get(tag);
  if (common) return { ...common };
  const entry = metaDictionary().dictionary[formatTag(tag)];
  if (entry) return { tag, keyword: entry.name, vr: entry.vr.split(' ')[0] ?? 'UN' };
  // PS3.5 7.1: private tags and repeating groups the dictionary does not list go as UN.
  return { tag, keyword: undefined, vr: (tag & 0xffff) === 0 ? 'UL' : 'UN' };
}

export function attributeByKeyword(keyword: string): AttributeInfo | undefined {
  const common = COMMON_BY_KEYWORD.get(keyword);
  if (common) return { ...common };
  const entry = metaDictionary().nameMap[keyword];
  if (!entry) return undefined;
  const tag = parseTagText(entry.tag);
  if (tag === undefined) return undefined; // repeating-group entries like (60xx,3000)
  return { tag, keyword: entry.name, vr: entry.vr.split(' ')[0] ?? 'UN' };
}

/** A keyword, or a tag in any of its usual spellings. */
export function lookupAttribute(name: string): AttributeInfo {
  const tag = parseTagText(name);
  if (tag !== undefined) return attributeByTag(tag);
  const info = attributeByKeyword(name.trim());
  if (info) return info;
  const close = closestKeywords(name.trim(), 3);
  throw new UsageError(`unknown attribute keyword "${name}"${close.length ? `; did you mean ${close.join(', ')}?` : ''} (or give the tag as gggg,eeee)`);
}

let keywords: string[] | undefined;

/** Keywords nearest by edit distance (case-insensitive), for "did you mean". */
export function closestKeywords(name: string, count: number): string[] {
  keywords ??= Object.keys(metaDictionary().nameMap).filter((k) => /^[A-Za-z][A-Za-z0-9]*$/.test(k));
  const target = name.toLowerCase();
  const scored: [number, string][] = [];
  for (const k of keywords) {
    const lk = k.toLowerCase();
    if (Math.abs(lk.length - target.length) > 6) continue;
    scored.push([editDistance(lk, target) - (lk.includes(target) || target.includes(lk) ? 3 : 0), k]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].length - b[1].length);
  return scored.filter(([d]) => d <= Math.max(3, target.length / 3)).slice(0, count).map(([, k]) => k);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
