// PS3.4 C.4.3.1.3 (C-GET) / C.4.1.1.3 (C-FIND): the Identifier, a data set of keys, encoded
// in the transfer syntax of the presentation context it travels on by data-set-writer.ts, or by
// dcmjs for what that writer leaves (other transfer syntaxes, values of unexpected types).
import { encodeDataSet, textValues } from './data-set-writer.ts';
import { dcmjs } from './dcmjs-module.ts';
import type { DicomJsonDataset, DicomJsonElement } from './dicom-json.ts';
import { attributeByTag, formatTag, lookupAttribute, tagHex, type AttributeInfo } from './dictionary.ts';
import { UsageError } from './usage-error.ts';

export interface Key {
  /** Sequences leading to the attribute, each with its item index (empty at the top level). */
  path: { attribute: AttributeInfo; item: number }[];
  attribute: AttributeInfo;
  /** Backslash-separated values (PS3.5 6.4); empty means universal matching / return key. */
  values: string[];
}

const NUMERIC_VRS = new Set(['US', 'UL', 'SS', 'SL', 'FL', 'FD', 'SV', 'UV']);
const SEGMENT = /^(.+?)(?:\[(\d+)\])?$/;

function describe(a: AttributeInfo): string {
  return a.keyword ?? formatTag(a.tag);
}

/**
 * `Keyword=value`, `gggg,eeee=value`, `(gggg,eeee)=value`, a bare name for an empty key, and
 * nested paths into sequences: `ReferencedSeriesSequence[0].SeriesInstanceUID=…` or the
 * `Seq.Keyword=…` form dcm4che users type (item 0).
 */
export function parseKey(spec: string): Key {
  const eq = spec.indexOf('=');
  const name = (eq < 0 ? spec : spec.slice(0, eq)).trim();
  const value = eq < 0 ? '' : spec.slice(eq + 1);
  if (!name) throw new UsageError(`key "${spec}" names no attribute; write Keyword=value or gggg,eeee=value`);
  const segments = name.split('.').map((seg) => {
    const m = SEGMENT.exec(seg.trim());
    if (!m || !m[1]) throw new UsageError(`cannot read "${seg}" in key "${spec}"; write Sequence[0].Keyword=value`);
    return { attribute: lookupAttribute(m[1]), item: m[2] === undefined ? undefined : Number(m[2]) };
  });
  const leaf = segments.pop()!;
  if (leaf.item !== undefined) throw new UsageError(`"${spec}": an item index belongs to a sequence followed by an attribute, e.g. ${describe(leaf.attribute)}[0].SeriesInstanceUID=…`);
  for (const seg of segments) {
    if (seg.attribute.vr !== 'SQ') throw new UsageError(`"${spec}": ${describe(seg.attribute)} is not a sequence (its VR is ${seg.attribute.vr})`);
    if (seg.item !== undefined && seg.item > 1000) throw new UsageError(`"${spec}": item index ${seg.item} is implausible`);
  }
  if (leaf.attribute.vr === 'SQ' && value !== '') throw new UsageError(`${describe(leaf.attribute)} is a sequence and takes no value; give its items' keys as ${describe(leaf.attribute)}[0].Keyword=value`);
  return {
    path: segments.map((seg) => ({ attribute: seg.attribute, item: seg.item ?? 0 })),
    attribute: leaf.attribute,
    values: value === '' ? [] : value.split('\\'),
  };
}

/** A key whose value is set by the program (level, UIDs), not typed by the user. */
export function key(keywordOrTag: string, value: string | string[]): Key {
  return { path: [], attribute: lookupAttribute(keywordOrTag), values: Array.isArray(value) ? value : value === '' ? [] : value.split('\\') };
}

function elementFor(k: Key): DicomJsonElement {
  const { vr } = k.attribute;
  if (vr === 'SQ') return { vr, Value: [] };
  if (!NUMERIC_VRS.has(vr)) return { vr, Value: k.values };
  return {
    vr,
    Value: k.values.map((v) => {
      const n = Number(v);
      if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${describe(k.attribute)} (${vr}) needs a number, not "${v}"`);
      return n;
    }),
  };
}

/** Later keys replace earlier ones with the same tag (as getscu's -k does); sequences merge. */
export function buildIdentifier(keys: Key[], into: DicomJsonDataset = {}): DicomJsonDataset {
  const ds = into;
  for (const k of keys) {
    let level = ds;
    for (const step of k.path) {
      const hex = tagHex(step.attribute.tag);
      let seq = level[hex];
      if (!seq || seq.vr !== 'SQ') {
        seq = { vr: 'SQ', Value: [] };
        level[hex] = seq;
      }
      const items = seq.Value as DicomJsonDataset[];
      while (items.length <= step.item) items.push({});
      level = items[step.item]!;
    }
    level[tagHex(k.attribute.tag)] = elementFor(k);
  }
  return ds;
}

export function encodeIdentifier(ds: DicomJsonDataset, transferSyntaxUid: string): Buffer {
  return encodeDataSet(ds, transferSyntaxUid) ?? encodeWithDcmjs(ds, transferSyntaxUid);
}

export function encodeWithDcmjs(ds: DicomJsonDataset, transferSyntaxUid: string): Buffer {
  const { DicomMessage, WriteBufferStream } = dcmjs().data;
  const stream = new WriteBufferStream();
  DicomMessage.write(ds, stream, transferSyntaxUid, {});
  return Buffer.from(stream.getBuffer());
}

export function getKeyValue(ds: DicomJsonDataset, tag: number): string[] | undefined {
  const el = ds[tagHex(tag)];
  return el ? (el.Value ?? []).map((v) => String(v)) : undefined;
}

/** A dcmdump-like listing, for -v and --dry-run. */
export function formatIdentifier(ds: DicomJsonDataset, depth = 0): string {
  const indent = '  '.repeat(depth);
  return Object.keys(ds).sort().map((hex) => {
    const tag = parseInt(hex, 16);
    const info = attributeByTag(tag);
    const el = ds[hex]!;
    if (el.vr === 'SQ') {
      const items = (el.Value ?? []) as DicomJsonDataset[];
      const head = `${indent}${formatTag(tag)} SQ ${`(Sequence with ${items.length} item${items.length === 1 ? '' : 's'})`.padEnd(40)} # ${info.keyword ?? 'Unknown'}`;
      return [head, ...items.map((item, i) => `${indent}  (fffe,e000) item ${i}\n${formatIdentifier(item, depth + 2)}`)].join('\n');
    }
    const values = textValues(el) ?? (el.Value ?? []).map(String);
    const shown = values.length ? `[${values.join('\\')}]` : '(no value available)';
    return `${indent}${formatTag(tag)} ${el.vr} ${shown.padEnd(40)} # ${info.keyword ?? 'Unknown'}`;
  }).join('\n');
}
