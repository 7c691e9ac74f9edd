// --layout: where each instance lands under the output folder, e.g.
// `{PatientID}/{StudyInstanceUID}/{SeriesInstanceUID}/{SOPInstanceUID}.dcm`. Values come from the
// C-STORE-RQ (SOP Class/Instance UID) or from the head of the received data set, read without
// decoding the rest; every value is sanitised into one path component (output-path.ts).
import zlib from 'node:zlib';
import { attributeByTag, formatTag, lookupAttribute } from '../dicom/dictionary.ts';
import { walkDataSet } from '../dicom/data-set-reader.ts';
import { DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN } from '../dicom/transfer-syntaxes.ts';
import { UsageError } from '../dicom/usage-error.ts';
import { instanceFileName, safeComponent } from './output-path.ts';

export const DEFAULT_LAYOUT = '{SOPInstanceUID}.dcm';
const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;
/** The head kept in memory to read layout values from: group 0008-0020 fits well within it. */
export const LAYOUT_HEAD_BYTES = 64 * 1024;

export interface InstanceNaming {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
}

export interface Layout {
  template: string;
  /** Whether values must be read from the data set (anything but the two UIDs of the command). */
  needsDataSet: boolean;
  /** The relative path for an instance; `head` is the start of its data set. */
  render(naming: InstanceNaming, head: Buffer | undefined): string;
}

const PLACEHOLDER = /\{([^{}]+)\}/g;

export function compileLayout(template: string): Layout {
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
  const needsDataSet = tags.some((t) => t !== SOP_CLASS_UID && t !== SOP_INSTANCE_UID);
  return {
    template,
    needsDataSet,
    render(naming, head) {
      const values = needsDataSet && head ? readHead(head, naming.transferSyntaxUid, new Set(tags)) : new Map<number, string>();
      values.set(SOP_CLASS_UID, naming.sopClassUid);
      values.set(SOP_INSTANCE_UID, naming.sopInstanceUid);
      return template.replace(PLACEHOLDER, (_, name: string) => {
        const tag = lookupAttribute(name).tag;
        const value = values.get(tag);
        return value ? safeComponent(value) : `unknown-${attributeByTag(tag).keyword ?? formatTag(tag).replace(/[(),]/g, '')}`;
      });
    },
  };
}

/** Top-level string values of `tags` from the head of a data set; a truncated head is fine. */
function readHead(head: Buffer, transferSyntaxUid: string, tags: Set<number>): Map<number, string> {
  let bytes = head;
  if (transferSyntaxUid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN) {
    try {
      // Bounded: a small deflated head may claim to expand enormously.
      bytes = zlib.inflateRawSync(head, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: 4 * LAYOUT_HEAD_BYTES });
    } catch {
      return new Map();
    }
  }
  const out = new Map<number, string>();
  try {
    walkDataSet(bytes, transferSyntaxUid, (e) => {
      if (tags.has(e.tag) && e.value) out.set(e.tag, e.value.toString('latin1').replace(/[\0 ]+$/, '').trim());
      // Past every wanted tag (elements are in ascending order), or at the pixel data: stop.
      return e.tag < Math.max(...tags) && e.tag < 0x7fe00010;
    });
  } catch {
    // A head cut inside an element: what was read so far stands.
  }
  return out;
}
