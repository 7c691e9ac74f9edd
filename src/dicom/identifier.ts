// PS3.4 C.4.3.1.3 (C-GET) / C.4.1.1.3 (C-FIND): the Identifier, a data set of keys, encoded
// with dcmjs in the transfer syntax of the presentation context it travels on.
import dcmjs, { type DenaturalizedDataset } from 'dcmjs';
import { attributeByTag, formatTag, lookupAttribute, tagHex, type AttributeInfo } from './dictionary.ts';
import { UsageError } from './usage-error.ts';

const { DicomMessage, WriteBufferStream } = dcmjs.data;

export interface Key {
  attribute: AttributeInfo;
  /** Backslash-separated values (PS3.5 6.4); empty means universal matching / return key. */
  values: string[];
}

const NUMERIC_VRS = new Set(['US', 'UL', 'SS', 'SL', 'FL', 'FD', 'SV', 'UV']);

/** `Keyword=value`, `gggg,eeee=value`, `(gggg,eeee)=value`, or a bare name for an empty key. */
export function parseKey(spec: string): Key {
  const eq = spec.indexOf('=');
  const name = eq < 0 ? spec : spec.slice(0, eq);
  const value = eq < 0 ? '' : spec.slice(eq + 1);
  if (!name.trim()) throw new UsageError(`key "${spec}" names no attribute; write Keyword=value or gggg,eeee=value`);
  const attribute = lookupAttribute(name);
  if (attribute.vr === 'SQ' && value !== '') throw new UsageError(`${attribute.keyword ?? formatTag(attribute.tag)} is a sequence and takes no value here`);
  return { attribute, values: value === '' ? [] : value.split('\\') };
}

/** A key whose value is set by the program (level, UIDs), not typed by the user. */
export function key(keywordOrTag: string, value: string | string[]): Key {
  return { attribute: lookupAttribute(keywordOrTag), values: Array.isArray(value) ? value : value === '' ? [] : value.split('\\') };
}

/** Later keys replace earlier ones with the same tag, as getscu's -k does. */
export function buildIdentifier(keys: Key[]): DenaturalizedDataset {
  const ds: DenaturalizedDataset = {};
  for (const k of keys) {
    const { vr } = k.attribute;
    let values: unknown[] = k.values;
    if (NUMERIC_VRS.has(vr)) {
      values = k.values.map((v) => {
        const n = Number(v);
        if (!Number.isFinite(n)) throw new UsageError(`${k.attribute.keyword ?? formatTag(k.attribute.tag)} (${vr}) needs a number, not "${v}"`);
        return n;
      });
    }
    ds[tagHex(k.attribute.tag)] = vr === 'SQ' ? { vr, Value: [] } : { vr, Value: values };
  }
  return ds;
}

export function encodeIdentifier(ds: DenaturalizedDataset, transferSyntaxUid: string): Buffer {
  const stream = new WriteBufferStream();
  DicomMessage.write(ds, stream, transferSyntaxUid, {});
  return Buffer.from(stream.getBuffer());
}

export function getKeyValue(ds: DenaturalizedDataset, tag: number): string[] | undefined {
  const el = ds[tagHex(tag)];
  return el ? (el.Value ?? []).map((v) => String(v)) : undefined;
}

/** A dcmdump-like listing, for -v and --dry-run. */
export function formatIdentifier(ds: DenaturalizedDataset): string {
  return Object.keys(ds).sort().map((hex) => {
    const tag = parseInt(hex, 16);
    const info = attributeByTag(tag);
    const el = ds[hex]!;
    const values = (el.Value ?? []).map((v) => String(v));
    const shown = values.length ? `[${values.join('\\')}]` : '(no value available)';
    return `${formatTag(tag)} ${el.vr} ${shown.padEnd(40)} # ${info.keyword ?? 'Unknown'}`;
  }).join('\n');
}
