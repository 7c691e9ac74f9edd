// --layout: where each instance lands under the output folder, e.g.
// `{PatientID}/{StudyInstanceUID}/{SeriesInstanceUID}/{SOPInstanceUID}.dcm`. Values come from the
// C-STORE-RQ (SOP Class/Instance UID) or from the head of the received data set, read without
// decoding the rest, and decoded in the instance's Specific Character Set (PS3.5 6.1,
// dicom/character-sets.ts); every value is sanitised into one path component (output-path.ts).
import zlib from 'node:zlib';
import { attributeByTag, formatTag, lookupAttribute } from '../dicom/dictionary.ts';
import { TruncatedDataSet, walkDataSet } from '../dicom/data-set-reader.ts';
import { characterSetTerms, decodeText, UnknownCharacterSet } from '../dicom/character-sets.ts';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN } from '../dicom/transfer-syntaxes.ts';
import { UsageError } from '../dicom/usage-error.ts';
import { instanceFileName, safeComponent } from './output-path.ts';

export const DEFAULT_LAYOUT = '{SOPInstanceUID}.dcm';
const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;
const SPECIFIC_CHARACTER_SET = 0x00080005;
const PIXEL_DATA = 0x7fe00010;
/** The head kept in memory to read layout values from: group 0008-0020 fits well within it. */
export const LAYOUT_HEAD_BYTES = 64 * 1024;
/**
 * How far into the file a placeholder is looked for when the head ends before it (large private
 * elements first): read back from the complete file in growing steps, at most this much.
 */
export const LAYOUT_MAX_BYTES = 16 * 1024 * 1024;

export interface InstanceNaming {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
}

export interface Layout {
  template: string;
  /** Whether values must be read from the data set (anything but the two UIDs of the command). */
  needsDataSet: boolean;
  /** The relative path for an instance; `head` is the start of its data set, `readDataSet` reads further. */
  render(naming: InstanceNaming, head: Buffer | undefined, readDataSet?: (length: number) => Buffer): string;
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

export function compileLayout(template: string, warn: (message: string) => void = () => {}): Layout {
  if (template === DEFAULT_LAYOUT) {
    return { template, needsDataSet: false, render: (n) => instanceFileName(n.sopInstanceUid).name };
  }
  if (template.startsWith('/') || template.split('/').some((part) => part === '..' || part === '.')) {
    throw new UsageError(`--layout "${template}" must be a relative path without "." or ".." parts`);
  }
  if (!/\{[^{}]+\}/.test(template.split('/').at(-1) ?? '')) {
    throw new UsageError(`--layout "${template}": the file name needs a placeholder (e.g. {SOPInstanceUID}.dcm), or every instance would land on one file`);
  }
  const tags: number[] = [];
  for (const m of template.matchAll(PLACEHOLDER)) {
    const info = lookupAttribute(m[1]!);
    if (info.vr === 'SQ') throw new UsageError(`--layout: ${info.keyword ?? formatTag(info.tag)} is a sequence, not a value`);
    tags.push(info.tag);
  }
  const wanted = new Set(tags.filter((t) => t !== SOP_CLASS_UID && t !== SOP_INSTANCE_UID));
  const warned = new Set<string>();
  const warnOnce = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    warn(message);
  };
  return {
    template,
    needsDataSet: wanted.size > 0,
    render(naming, head, readDataSet) {
      const found = wanted.size && head ? readValues(head, naming.transferSyntaxUid, wanted, readDataSet, warnOnce) : { values: new Map<number, string>(), cutShort: false, read: 0 };
      found.values.set(SOP_CLASS_UID, naming.sopClassUid);
      found.values.set(SOP_INSTANCE_UID, naming.sopInstanceUid);
      return template.replace(PLACEHOLDER, (_, name: string) => {
        const tag = lookupAttribute(name).tag;
        const value = found.values.get(tag);
        if (value) return safeComponent(value);
        const keyword = attributeByTag(tag).keyword ?? formatTag(tag).replace(/[(),]/g, '');
        warnOnce(`missing ${tag}`, `--layout: ${keyword} ${formatTag(tag)} is ${found.cutShort ? `not within the first ${kib(found.read)} read of` : 'empty or absent in'} instance ${naming.sopInstanceUid}; its file goes under "unknown-${keyword}" (so do others like it)`);
        return `unknown-${keyword}`;
      });
    },
  };
}

type Found = { values: Map<number, string>; cutShort: boolean; read: number };

/** The head, then (if it ends before a wanted tag) more of the data set, in growing steps. */
function readValues(head: Buffer, transferSyntaxUid: string, wanted: Set<number>, readDataSet: ((length: number) => Buffer) | undefined, warn: (key: string, m: string) => void): Found {
  let found = readHead(head, transferSyntaxUid, wanted, warn, head.length < LAYOUT_HEAD_BYTES);
  for (let length = LAYOUT_HEAD_BYTES * 4; found.cutShort && readDataSet && length <= LAYOUT_MAX_BYTES; length *= 4) {
    const more = readDataSet(length);
    found = readHead(more, transferSyntaxUid, wanted, warn, more.length < length);
  }
  return found;
}

/**
 * Top-level string values of `wanted` from the start of a data set (`whole`: all of it); a start
 * cut short is fine, and says so when a wanted tag may lie beyond it.
 */
function readHead(head: Buffer, transferSyntaxUid: string, wanted: Set<number>, warn: (key: string, m: string) => void, whole: boolean): Found {
  let bytes = head;
  if (transferSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) {
    try {
      // Bounded: a small deflated head may claim to expand enormously.
      bytes = zlib.inflateRawSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: LAYOUT_MAX_BYTES });
    } catch {
      return { values: new Map(), cutShort: false, read: head.length };
    }
  }
  const values = new Map<number, string>();
  const last = Math.max(...wanted);
  let terms: string[] = [];
  let stopped = false;
  try {
    walkDataSet(bytes, transferSyntaxUid, (e) => {
      if (e.tag === SPECIFIC_CHARACTER_SET && e.value) terms = characterSetTerms(e.value.toString('latin1').replace(/[\0 ]+$/, ''));
      if (wanted.has(e.tag) && e.value) values.set(e.tag, decodeValue(e.value, terms, e.vr, warn));
      // Past every wanted tag (elements are in ascending order), or at the pixel data: stop.
      stopped = e.tag >= last || e.tag >= PIXEL_DATA;
      return !stopped;
    });
  } catch (err) {
    // A head cut inside an element: what was read so far stands, and more may be read.
    if (!(err instanceof TruncatedDataSet)) throw err;
    return { values, cutShort: !whole, read: head.length };
  }
  return { values, cutShort: !stopped && !whole, read: head.length };
}

function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / 1024 / 1024} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

function decodeValue(value: Buffer, terms: string[], vr: string, warn: (key: string, m: string) => void): string {
  let text: string;
  try {
    text = decodeText(value, terms, vr);
  } catch (err) {
    if (!(err instanceof UnknownCharacterSet) && !(err instanceof RangeError)) throw err;
    // An unknown term, or a Node.js built with small ICU: the bytes as Latin-1, and a word why.
    warn(`charset ${terms.join('\\')}`, `--layout: ${err.message}: values decoded as ISO_IR 100 (Latin-1)`);
    text = value.toString('latin1');
  }
  return text.replace(/[\0 ]+$/, '').trim();
}
