// Studies for the multi-study, shard and ledger tests, built at test time from the committed
// fixtures with DCMTK: five studies of three patients holding 14 storage SOP classes in eleven
// transfer syntaxes, and as many tiny one-series studies as a test asks for.
//
// Each instance is a fixture file (fixtures/README.md) taken to its target transfer syntax
// (decompressed first when it is stored compressed: dcmdrle, dcmdjpeg, dcmdjpls; then dcmconv
// +te/+ti/+tb/+td, dcmcrle, dcmcjpeg +eb/+ee/+el/+e1, dcmcjpls +el/+en, lossy ones with +un so
// that the UID is ours), then given its new identity with dcmodify: SOP Class UID, SOP Instance
// UID, Study/Series Instance UID, Patient ID and name (dcmodify rewrites the File Meta's Media
// Storage SOP Class/Instance UID with them, and keeps the transfer syntax). The UIDs are fixed
// (under STUDIES_ROOT), the tools deterministic: two builds give the same bytes. A class taken
// from another image (a CR from a CT slice) is not a valid IOD of that class; it is a valid
// data set of that class for every peer and for transport, which is all these tests need.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { encodeFileMetaInformation } from '../../src/dicom/part10.ts';
import { runDcmtk, readPart10 } from './dcmtk.ts';
import { FIXTURES } from './fixtures.ts';
import { syntheticInstance } from './synthetic.ts';

/** Every UID made here lies under this root (a UUID-derived root, PS3.5 B.2). */
export const STUDIES_ROOT = '2.25.118855395072190478232064735702434651';

export const TS = {
  explicit: '1.2.840.10008.1.2.1',
  implicit: '1.2.840.10008.1.2',
  bigEndian: '1.2.840.10008.1.2.2',
  deflated: '1.2.840.10008.1.2.1.99',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSv1: '1.2.840.10008.1.2.4.70',
  jpegLsLossless: '1.2.840.10008.1.2.4.80',
  jpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  rle: '1.2.840.10008.1.2.5',
} as const;

const UNCOMPRESSED_TS = new Set<string>([TS.explicit, TS.implicit, TS.bigEndian, TS.deflated]);

export const CLASS = {
  ct: '1.2.840.10008.5.1.4.1.1.2',
  mr: '1.2.840.10008.5.1.4.1.1.4',
  cr: '1.2.840.10008.5.1.4.1.1.1',
  dx: '1.2.840.10008.5.1.4.1.1.1.1',
  us: '1.2.840.10008.5.1.4.1.1.6.1',
  nm: '1.2.840.10008.5.1.4.1.1.20',
  pet: '1.2.840.10008.5.1.4.1.1.128',
  xa: '1.2.840.10008.5.1.4.1.1.12.1',
  sc: '1.2.840.10008.5.1.4.1.1.7',
  mfWordSc: '1.2.840.10008.5.1.4.1.1.7.3',
  comprehensiveSr: '1.2.840.10008.5.1.4.1.1.88.33',
  pdf: '1.2.840.10008.5.1.4.1.1.104.1',
  gsps: '1.2.840.10008.5.1.4.1.1.11.1',
  parametricMap: '1.2.840.10008.5.1.4.1.1.30',
} as const;

/** One instance to make: which fixture, as which class, in which syntax, where. */
interface Recipe {
  source: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  patient: number;
  study: number;
  series: number;
}

const PATIENTS = [
  { id: 'DCMGET-M1', name: 'MULTI^ONE' },
  { id: 'DCMGET-M2', name: 'MULTI^TWO' },
  { id: 'DCMGET-M3', name: 'MULTI^THREE' },
];

const CT = 'p1-s1-ct-explicit.dcm';
const MR = 'p2-s3-mr-explicit.dcm';
const RGB = 'p1-s2-sc-rgb-explicit.dcm';

/** The five studies: patient 1 has studies 1 and 2, patient 2 studies 3 and 4, patient 3 study 5. */
const RECIPES: Recipe[] = [
  // Study 1: CT in five syntaxes, a presentation state, a deflated SR.
  { source: CT, sopClassUid: CLASS.ct, transferSyntaxUid: TS.explicit, patient: 1, study: 1, series: 1 },
  { source: CT, sopClassUid: CLASS.ct, transferSyntaxUid: TS.implicit, patient: 1, study: 1, series: 1 },
  { source: CT, sopClassUid: CLASS.ct, transferSyntaxUid: TS.bigEndian, patient: 1, study: 1, series: 1 },
  { source: CT, sopClassUid: CLASS.ct, transferSyntaxUid: TS.jpegExtended, patient: 1, study: 1, series: 1 },
  { source: CT, sopClassUid: CLASS.ct, transferSyntaxUid: TS.rle, patient: 1, study: 1, series: 1 },
  { source: 'p1-s2-gsps-explicit.dcm', sopClassUid: CLASS.gsps, transferSyntaxUid: TS.explicit, patient: 1, study: 1, series: 2 },
  { source: 'p1-s2-sr-deflated.dcm', sopClassUid: CLASS.comprehensiveSr, transferSyntaxUid: TS.deflated, patient: 1, study: 1, series: 3 },
  // Study 2: MR in four syntaxes, a parametric map, a PDF in big endian.
  { source: MR, sopClassUid: CLASS.mr, transferSyntaxUid: TS.jpegLsNearLossless, patient: 1, study: 2, series: 1 },
  { source: MR, sopClassUid: CLASS.mr, transferSyntaxUid: TS.jpegLsLossless, patient: 1, study: 2, series: 1 },
  { source: MR, sopClassUid: CLASS.mr, transferSyntaxUid: TS.jpegLosslessSv1, patient: 1, study: 2, series: 1 },
  { source: 'p1-s2-mr-implicit.dcm', sopClassUid: CLASS.mr, transferSyntaxUid: TS.implicit, patient: 1, study: 2, series: 1 },
  { source: 'p1-s2-pmap-explicit.dcm', sopClassUid: CLASS.parametricMap, transferSyntaxUid: TS.explicit, patient: 1, study: 2, series: 2 },
  { source: 'p1-s2-pdf-explicit.dcm', sopClassUid: CLASS.pdf, transferSyntaxUid: TS.bigEndian, patient: 1, study: 2, series: 3 },
  // Study 3: projection radiography and secondary capture.
  { source: CT, sopClassUid: CLASS.cr, transferSyntaxUid: TS.jpegLossless, patient: 2, study: 3, series: 1 },
  { source: CT, sopClassUid: CLASS.cr, transferSyntaxUid: TS.explicit, patient: 2, study: 3, series: 1 },
  { source: MR, sopClassUid: CLASS.dx, transferSyntaxUid: TS.jpegLsNearLossless, patient: 2, study: 3, series: 2 },
  { source: MR, sopClassUid: CLASS.dx, transferSyntaxUid: TS.bigEndian, patient: 2, study: 3, series: 2 },
  { source: RGB, sopClassUid: CLASS.sc, transferSyntaxUid: TS.jpegBaseline, patient: 2, study: 3, series: 3 },
  { source: RGB, sopClassUid: CLASS.sc, transferSyntaxUid: TS.deflated, patient: 2, study: 3, series: 3 },
  // Study 4: nuclear medicine, PET, a multi-frame secondary capture.
  { source: CT, sopClassUid: CLASS.nm, transferSyntaxUid: TS.rle, patient: 2, study: 4, series: 1 },
  { source: MR, sopClassUid: CLASS.pet, transferSyntaxUid: TS.jpegExtended, patient: 2, study: 4, series: 2 },
  { source: MR, sopClassUid: CLASS.pet, transferSyntaxUid: TS.implicit, patient: 2, study: 4, series: 2 },
  { source: 'p1-s2-sc-multiframe-rle.dcm', sopClassUid: CLASS.mfWordSc, transferSyntaxUid: TS.rle, patient: 2, study: 4, series: 3 },
  { source: 'p1-s2-sc-multiframe-rle.dcm', sopClassUid: CLASS.mfWordSc, transferSyntaxUid: TS.jpegLsLossless, patient: 2, study: 4, series: 3 },
  // Study 5: ultrasound, angiography, and a CT of another patient in JPEG-LS near-lossless.
  { source: RGB, sopClassUid: CLASS.us, transferSyntaxUid: TS.rle, patient: 3, study: 5, series: 1 },
  { source: RGB, sopClassUid: CLASS.us, transferSyntaxUid: TS.explicit, patient: 3, study: 5, series: 1 },
  { source: MR, sopClassUid: CLASS.xa, transferSyntaxUid: TS.jpegLosslessSv1, patient: 3, study: 5, series: 2 },
  { source: MR, sopClassUid: CLASS.xa, transferSyntaxUid: TS.bigEndian, patient: 3, study: 5, series: 2 },
  { source: CT, sopClassUid: CLASS.ct, transferSyntaxUid: TS.jpegLsNearLossless, patient: 3, study: 5, series: 3 },
];

export interface MadeInstance {
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  patientId: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  datasetOffset: number;
  datasetSha256: string;
}

export const studyUid = (study: number) => `${STUDIES_ROOT}.1.${study}`;
const seriesUid = (study: number, series: number) => `${STUDIES_ROOT}.2.${study}.${series}`;
const instanceUid = (study: number, series: number, n: number) => `${STUDIES_ROOT}.3.${study}.${series}.${n}`;

async function tool(name: string, args: string[]): Promise<void> {
  const r = await runDcmtk(name, args, { timeoutMs: 60_000 });
  if (r.code !== 0 || /^[EF]: /m.test(r.stderr)) throw new Error(`${name} ${args.join(' ')} failed (code ${r.code}): ${r.stderr}${r.stdout}`);
}

/** How each target syntax is written from an uncompressed (or deflated) file. */
const ENCODE: Record<string, [string, string[]]> = {
  [TS.explicit]: ['dcmconv', ['+te']],
  [TS.implicit]: ['dcmconv', ['+ti']],
  [TS.bigEndian]: ['dcmconv', ['+tb']],
  [TS.deflated]: ['dcmconv', ['+td']],
  [TS.rle]: ['dcmcrle', []],
  [TS.jpegBaseline]: ['dcmcjpeg', ['+eb', '+un']],
  [TS.jpegExtended]: ['dcmcjpeg', ['+ee', '+un']],
  [TS.jpegLossless]: ['dcmcjpeg', ['+el']],
  [TS.jpegLosslessSv1]: ['dcmcjpeg', ['+e1']],
  [TS.jpegLsLossless]: ['dcmcjpls', ['+el']],
  [TS.jpegLsNearLossless]: ['dcmcjpls', ['+en', '+un']],
};

const DECODE: Record<string, string> = {
  [TS.rle]: 'dcmdrle', [TS.jpegLossless]: 'dcmdjpeg', [TS.jpegLosslessSv1]: 'dcmdjpeg', [TS.jpegBaseline]: 'dcmdjpeg',
  [TS.jpegExtended]: 'dcmdjpeg', [TS.jpegLsLossless]: 'dcmdjpls', [TS.jpegLsNearLossless]: 'dcmdjpls',
};

/** `source` (a fixture) written in `ts` to `out`. */
async function transcode(source: string, ts: string, out: string): Promise<void> {
  const from = readPart10(source).transferSyntaxUID;
  if (from === ts) {
    fs.copyFileSync(source, out);
    return;
  }
  let input = source;
  if (!UNCOMPRESSED_TS.has(from)) {
    const decoder = DECODE[from];
    if (!decoder) throw new Error(`no decoder for ${from} (${source})`);
    input = `${out}.plain`;
    await tool(decoder, [source, input]);
  }
  const encode = ENCODE[ts];
  if (!encode) throw new Error(`no encoder for ${ts}`);
  await tool(encode[0], [...encode[1], input, out]);
  if (input !== source) fs.rmSync(input);
}

async function identify(file: string, keys: Record<string, string>): Promise<void> {
  await tool('dcmodify', ['-nb', ...Object.entries(keys).flatMap(([tag, v]) => ['-m', `${tag}=${v}`]), file]);
}

function describe(file: string, patientId: string, studyUidValue: string, seriesUidValue: string): MadeInstance {
  const info = readPart10(file);
  return {
    path: file, sopClassUid: info.sopClassUID, sopInstanceUid: info.sopInstanceUID, transferSyntaxUid: info.transferSyntaxUID,
    patientId, studyInstanceUid: studyUidValue, seriesInstanceUid: seriesUidValue,
    datasetOffset: info.datasetOffset, datasetSha256: info.datasetSha256,
  };
}

/**
 * The five mixed studies, written into `dir` (29 instances, 14 SOP classes, 11 transfer syntaxes).
 * Each file's File Meta names its class, instance and syntax; none is a committed fixture's UID.
 */
export async function buildMixedStudies(dir: string): Promise<MadeInstance[]> {
  fs.mkdirSync(dir, { recursive: true });
  const counts = new Map<string, number>();
  const made: MadeInstance[] = [];
  for (const r of RECIPES) {
    const k = `${r.study}.${r.series}`;
    const n = (counts.get(k) ?? 0) + 1;
    counts.set(k, n);
    const patient = PATIENTS[r.patient - 1]!;
    const file = path.join(dir, `s${r.study}-${r.series}-${n}.dcm`);
    await transcode(path.join(FIXTURES, 'dicom', r.source), r.transferSyntaxUid, file);
    await identify(file, {
      '(0008,0016)': r.sopClassUid, '(0008,0018)': instanceUid(r.study, r.series, n),
      '(0010,0010)': patient.name, '(0010,0020)': patient.id,
      '(0020,000d)': studyUid(r.study), '(0020,000e)': seriesUid(r.study, r.series),
    });
    const m = describe(file, patient.id, studyUid(r.study), seriesUid(r.study, r.series));
    if (m.transferSyntaxUid !== r.transferSyntaxUid || m.sopClassUid !== r.sopClassUid) {
      throw new Error(`${file}: made as ${m.sopClassUid} in ${m.transferSyntaxUid}, wanted ${r.sopClassUid} in ${r.transferSyntaxUid}`);
    }
    made.push(m);
  }
  return made;
}

export const MIXED_STUDY_COUNT = 5;

/**
 * `count` tiny studies (studies 101, 102, …), each of `perStudy` 8×8 single-frame instances in
 * one series, all of patient DCMGET-T, in explicit VR little endian. Written here (synthetic.ts
 * and the Part 10 header of src/), not by DCMTK: a test that needs hundreds makes them in
 * milliseconds.
 */
export function buildTinyStudies(dir: string, count: number, perStudy = 2, first = 101): MadeInstance[] {
  fs.mkdirSync(dir, { recursive: true });
  const made: MadeInstance[] = [];
  for (let s = first; s < first + count; s++) {
    for (let n = 1; n <= perStudy; n++) {
      const inst = syntheticInstance({
        sopInstanceUid: instanceUid(s, 1, n), studyInstanceUid: studyUid(s), seriesInstanceUid: seriesUid(s, 1),
        patientId: 'DCMGET-T', rows: 8, columns: 8, frames: 1,
      });
      const file = path.join(dir, `t${s}-${n}.dcm`);
      const meta = encodeFileMetaInformation({ mediaStorageSopClassUid: inst.sopClassUid, mediaStorageSopInstanceUid: inst.sopInstanceUid, transferSyntaxUid: inst.transferSyntaxUid });
      fs.writeFileSync(file, Buffer.concat([meta, inst.read(0, inst.length)]));
      made.push(describe(file, 'DCMGET-T', studyUid(s), seriesUid(s, 1)));
    }
  }
  return made;
}

/** The data set bytes after the File Meta, inflated when the syntax is deflated. */
export function dataSetBytes(file: string): Buffer {
  const info = readPart10(file);
  const raw = fs.readFileSync(file).subarray(info.datasetOffset);
  return info.transferSyntaxUID === TS.deflated ? zlib.inflateRawSync(raw) : raw;
}

/** Study Instance UIDs of `instances`, in order of first appearance. */
export function studyUids(instances: MadeInstance[]): string[] {
  return [...new Set(instances.map((i) => i.studyInstanceUid))];
}
