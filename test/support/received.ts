// What arrived from a real peer, judged against the fixture it came from: readable by DCMTK,
// the right instance, and either the stored bytes or the same attributes. Peers that transcode
// (Orthanc decompresses, PixelMed converts Implicit to Explicit VR) or re-encode (dcmjs-dimse
// writes every data set again with dcmjs) send other bytes of the same data set; those are
// compared attribute by attribute (dcmjs reads both files; the File Meta, group 0002, is not
// compared), against the fixture decompressed by DCMTK where the peer decompressed it.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { dcmdumpOk, dcmftest, readPart10, runDcmtk, type Part10Info } from './dcmtk.ts';
import { BY_UID, checkReceived, DEFLATED, type FixtureInstance } from './fixtures.ts';

const EXPLICIT = '1.2.840.10008.1.2.1';
import { makeTempDir } from './peers.ts';

interface Element { vr: string; Value?: unknown[] }
type DataSet = Record<string, Element>;
interface Dcmjs {
  data: { DicomMessage: { readFile(b: ArrayBuffer, o?: Record<string, unknown>): { dict: DataSet } } };
  log: { setLevel(level: string): void };
}

let dcmjs: Dcmjs | undefined;
function readDataSet(file: string): DataSet {
  if (!dcmjs) {
    dcmjs = createRequire(import.meta.url)('dcmjs') as Dcmjs;
    dcmjs.log.setLevel('silent'); // it logs as errors what it reads on ("Invalid vr type ox - using OW")
  }
  const b = fs.readFileSync(file);
  return dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, { ignoreErrors: true }).dict;
}

/** Values as comparable JSON: bulk data as hex, text without its padding. */
function normalize(v: unknown): unknown {
  if (v instanceof ArrayBuffer) return Buffer.from(v).toString('hex');
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, normalize((v as Record<string, unknown>)[k])]));
  if (typeof v === 'string') return v.replace(/[\0 ]+$/, '');
  return v;
}

/** OB/OW and the like are one binary VR to compare: implicit VR readers guess between them. */
const sameVr = (a: string, b: string): boolean => a === b || (/^O[BW]$|^UN$/.test(a) && /^O[BW]$|^UN$/.test(b));

/**
 * Element by element (recursing into sequences), the differences between two data sets:
 * 'gggg,eeee missing' / 'added' / 'VR' / 'value'; [] when they hold the same attributes.
 */
export function attributeDifferences(original: string, received: string): string[] {
  return differences(readDataSet(original), readDataSet(received), '');
}

function differences(a: DataSet, b: DataSet, prefix: string): string[] {
  const out: string[] = [];
  const tag = (k: string) => `${prefix}${k.slice(0, 4)},${k.slice(4)}`.toLowerCase();
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[k];
    const y = b[k];
    if (!y) out.push(`${tag(k)} missing`);
    else if (!x) out.push(`${tag(k)} added`);
    else if (!sameVr(x.vr, y.vr)) out.push(`${tag(k)} VR ${x.vr} became ${y.vr}`);
    else if (x.vr === 'SQ') {
      const xs = (x.Value ?? []) as DataSet[];
      const ys = (y.Value ?? []) as DataSet[];
      if (xs.length !== ys.length) out.push(`${tag(k)} ${xs.length} items became ${ys.length}`);
      else xs.forEach((item, i) => out.push(...differences(item, ys[i]!, `${tag(k)}[${i}].`)));
    } else if (JSON.stringify(normalize(x.Value ?? [])) !== JSON.stringify(normalize(y.Value ?? []))) {
      out.push(`${tag(k)} value differs`);
    }
  }
  return out;
}

const DECOMPRESSORS: Record<string, string> = {
  '1.2.840.10008.1.2.5': 'dcmdrle',
  '1.2.840.10008.1.2.4.50': 'dcmdjpeg',
  '1.2.840.10008.1.2.4.51': 'dcmdjpeg',
  '1.2.840.10008.1.2.4.57': 'dcmdjpeg',
  '1.2.840.10008.1.2.4.70': 'dcmdjpeg',
  '1.2.840.10008.1.2.4.80': 'dcmdjpls',
  '1.2.840.10008.1.2.4.81': 'dcmdjpls',
};
const decompressed = new Map<string, Promise<string>>();
let scratch: Promise<string> | undefined;

/** The fixture as DCMTK decompresses it (Explicit VR LE), what a transcoding peer should send. */
function decompressedFixture(f: FixtureInstance): Promise<string> {
  const tool = DECOMPRESSORS[f.transferSyntaxUID];
  if (!tool) return Promise.resolve(f.path);
  let p = decompressed.get(f.file);
  if (!p) {
    p = (async () => {
      scratch ??= makeTempDir('decompressed');
      const out = path.join(await scratch, path.basename(f.file));
      const r = await runDcmtk(tool, ['+te', f.path, out]);
      if (r.code !== 0) throw new Error(`${tool} ${f.file}: ${r.stderr}`);
      return out;
    })();
    decompressed.set(f.file, p);
  }
  return p;
}

export interface Received {
  file: string;
  info: Part10Info;
  original: FixtureInstance;
  /** The data set bytes after the File Meta are the fixture's; for a fixture stored Deflated,
   * its inflated bytes, whether they arrive deflated again or as Explicit VR LE (PS3.5 A.5). */
  identical: boolean;
  /** [] when the attributes are the fixture's; else what differs. */
  differences: string[];
  /** Nothing lost or changed (an attribute a decompressing peer added, such as Planar
   * Configuration, is listed in differences but leaves the instance intact). */
  intact: boolean;
}

/**
 * Judges one received file. Throws when it is not a readable Part 10 file of a fixture
 * instance under its own name: that is never a peer's limit.
 */
export async function judgeReceived(file: string): Promise<Received> {
  if (!(await dcmftest(file))) throw new Error(`dcmftest rejects ${file}`);
  const dump = await dcmdumpOk(file);
  if (!dump.ok) throw new Error(`dcmdump cannot read ${file}:\n${dump.output.slice(0, 2000)}`);
  const info = readPart10(file);
  const original = BY_UID.get(info.sopInstanceUID);
  if (!original) throw new Error(`${file} holds ${info.sopInstanceUID}, which is not a fixture`);
  if (info.mediaStorageSOPClassUID !== original.sopClassUID) throw new Error(`${file}: Media Storage SOP Class UID ${info.mediaStorageSOPClassUID}, not ${original.sopClassUID}`);
  let identical = false;
  const bytes = (f: string, offset: number, ts: string) => (ts === DEFLATED ? zlib.inflateRawSync(fs.readFileSync(f).subarray(offset)) : fs.readFileSync(f).subarray(offset));
  if (info.transferSyntaxUID === original.transferSyntaxUID && info.transferSyntaxUID !== DEFLATED) {
    identical = info.datasetSha256 === original.datasetSha256;
  } else if (original.transferSyntaxUID === DEFLATED && (info.transferSyntaxUID === DEFLATED || info.transferSyntaxUID === EXPLICIT)) {
    // PS3.5 A.5: Deflated is the Explicit VR Little Endian encoding, deflated. The same data set
    // re-deflated (Orthanc) or sent inflated, as Explicit VR LE, is the same bytes once inflated.
    identical = bytes(file, info.datasetOffset, info.transferSyntaxUID).equals(bytes(original.path, original.datasetOffset, DEFLATED));
  }
  const reference = DECOMPRESSORS[original.transferSyntaxUID] && !DECOMPRESSORS[info.transferSyntaxUID] ? await decompressedFixture(original) : original.path;
  const differences = identical ? [] : attributeDifferences(reference, file);
  return { file, info, original, identical, differences, intact: differences.every((d) => d.endsWith(' added')) };
}

/**
 * What Orthanc 1.10 sends of a fixture: the stored bytes, except for a Deflated fixture. dcmget
 * proposes no Deflated context unless its plan saw Deflated instances, Orthanc's C-FIND answers
 * no Available Transfer Syntax UID, and Orthanc transcodes to Implicit VR LE first: the same
 * attributes, other bytes (docs/peers.md).
 */
export async function assertFromOrthanc(file: string): Promise<void> {
  const c = await checkReceived(file);
  if (c.original.transferSyntaxUID === DEFLATED) {
    assert.equal(c.info.transferSyntaxUID, '1.2.840.10008.1.2', `${file}: a Deflated fixture arrives as Implicit VR LE`);
    assert.deepEqual(attributeDifferences(c.original.path, file), [], `${file}: the fixture's attributes`);
  } else {
    assert.ok(c.identical, `${file}: arrived as ${c.info.transferSyntaxUID}, stored as ${c.original.transferSyntaxUID}`);
  }
}
