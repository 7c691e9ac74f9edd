// Deterministic benchmark workloads: DICOM Part 10 files (Explicit VR Little
// Endian) written directly from a fixed header + pixel data, fast enough for
// 2000 files or one 2 GiB file (no dump2dcm per file).
//
//   A  many small:  2000 CT Image Storage instances x 512 KiB pixel data
//                   (512x512x16 bit), one study, 10 series x 200 instances
//   B  large:       10 multi-frame instances x 100 MiB (200 frames of
//                   512x512x16 bit), Multi-frame Grayscale Word SC, one study,
//                   5 series x 2 instances
//   C  huge:        1 instance x 2 GiB (4096 frames of 512x512x16 bit), same
//                   class as B: the memory workload
//   D  many series of small instances: 400 CT Image Storage instances x 64 KiB
//                   pixel data (128 rows x 256 columns x 16 bit), one study,
//                   8 series x 50: the latency workload (`--rtt`), where each
//                   C-STORE sub-operation costs a round trip and parallel
//                   associations can each take a series
//
// Same parameters -> byte-identical files (UIDs are 2.25.<decimal of a hash of
// the workload name and position>, pixel data is xorshift noise from a fixed
// seed with the instance number stamped in its first 8 bytes).

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const MF_GRAYSCALE_WORD_SC = '1.2.840.10008.5.1.4.1.1.7.3';
const IMPLEMENTATION_CLASS_UID = '2.25.163920155372405542513898036620128651266';
export type WorkloadName = 'A' | 'B' | 'C' | 'D' | 'E';
export const WORKLOAD_NAMES: readonly WorkloadName[] = ['A', 'B', 'C', 'D', 'E'];

export interface WorkloadSpec {
  name: WorkloadName;
  label: string;
  instances: number;
  series: number;
  framesPerInstance: number;
  /** Frame size: 16-bit pixels, rows x columns (512 x 512 = 512 KiB a frame unless said). */
  rows: number;
  columns: number;
  sopClassUid: string;
}

export interface WorkloadFile {
  file: string;
  bytes: number;
  sopInstanceUid: string;
  seriesInstanceUid: string;
}

export interface Workload extends WorkloadSpec {
  dir: string;
  studyInstanceUid: string;
  files: WorkloadFile[];
  /** Sum of file sizes (Part 10, as on disk). */
  totalBytes: number;
  /** Sum of pixel data bytes (what "512 KB", "100 MB" refer to). */
  pixelBytes: number;
  generateMs: number;
}

/** Full size per issues 5 and 16; quick mode scales A to 200, B to 3 and D to 8 x 10 instances. */
export function workloadSpec(name: WorkloadName, quick: boolean): WorkloadSpec {
  const frame = { rows: 512, columns: 512 };
  switch (name) {
    case 'A': {
      const instances = quick ? 200 : 2000;
      return { name, label: `${instances} x 512 KiB`, instances, series: 10, framesPerInstance: 1, ...frame, sopClassUid: CT_IMAGE_STORAGE };
    }
    case 'B': {
      const instances = quick ? 3 : 10;
      return { name, label: `${instances} x 100 MiB`, instances, series: Math.min(5, instances), framesPerInstance: 200, ...frame, sopClassUid: MF_GRAYSCALE_WORD_SC };
    }
    case 'C':
      return { name, label: '1 x 2 GiB', instances: 1, series: 1, framesPerInstance: 4096, ...frame, sopClassUid: MF_GRAYSCALE_WORD_SC };
    case 'D': {
      const perSeries = quick ? 10 : 50;
      return { name, label: `8 series x ${perSeries} x 64 KiB`, instances: 8 * perSeries, series: 8, framesPerInstance: 1, rows: 128, columns: 256, sopClassUid: CT_IMAGE_STORAGE };
    }
    case 'E':
      // One of D's instances alone: a retrieve that is all start, plan and negotiation (issue 16's
      // "a one-instance retrieve within 15 ms of node -e 0").
      return { name, label: '1 x 64 KiB', instances: 1, series: 1, framesPerInstance: 1, rows: 128, columns: 256, sopClassUid: CT_IMAGE_STORAGE };
  }
}

/** 2.25.<decimal of 128 bits of SHA-256(key)>: a valid, deterministic UID. */
export function uidFor(key: string): string {
  const h = crypto.createHash('sha256').update(`dcmget-bench/${key}`).digest();
  return `2.25.${BigInt(`0x${h.subarray(0, 16).toString('hex')}`).toString(10)}`;
}

// ---- a tiny Explicit VR LE element writer ---------------------------------

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'SQ', 'UC', 'UN', 'UR', 'UT']);
const PAD_NUL = new Set(['UI', 'OB']);

function element(group: number, elem: number, vr: string, value: string | Buffer): Buffer {
  let v = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
  if (v.length % 2 === 1) v = Buffer.concat([v, Buffer.from([PAD_NUL.has(vr) ? 0 : 0x20])]);
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(v.length, 8);
  else head.writeUInt16LE(v.length, 6);
  return Buffer.concat([head, v]);
}

const us = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};

/** Preamble + DICM + File Meta + data set up to and including the Pixel Data element header. */
function header(p: {
  spec: WorkloadSpec;
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  seriesNumber: number;
  instanceNumber: number;
  pixelBytes: number;
}): Buffer {
  const { spec } = p;
  const meta = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', spec.sopClassUid),
    element(0x0002, 0x0003, 'UI', p.sopUid),
    element(0x0002, 0x0010, 'UI', EXPLICIT_VR_LITTLE_ENDIAN),
    element(0x0002, 0x0012, 'UI', IMPLEMENTATION_CLASS_UID),
    element(0x0002, 0x0013, 'SH', 'DCMGET_BENCH'),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(meta.length);
  const ct = spec.sopClassUid === CT_IMAGE_STORAGE;
  const ds: Buffer[] = [
    element(0x0008, 0x0008, 'CS', ct ? 'ORIGINAL\\PRIMARY\\AXIAL' : 'DERIVED\\SECONDARY'),
    element(0x0008, 0x0016, 'UI', spec.sopClassUid),
    element(0x0008, 0x0018, 'UI', p.sopUid),
    element(0x0008, 0x0020, 'DA', '20240101'),
    element(0x0008, 0x0030, 'TM', '120000'),
    element(0x0008, 0x0050, 'SH', `BENCH${spec.name}`),
    element(0x0008, 0x0060, 'CS', ct ? 'CT' : 'OT'),
  ];
  if (!ct) ds.push(element(0x0008, 0x0064, 'CS', 'WSD'));
  ds.push(
    element(0x0008, 0x0070, 'LO', 'dcmget bench'),
    element(0x0008, 0x103e, 'LO', `bench ${spec.name} series ${p.seriesNumber}`),
    element(0x0010, 0x0010, 'PN', `BENCH^${spec.name}`),
    element(0x0010, 0x0020, 'LO', `BENCH-${spec.name}`),
    element(0x0010, 0x0030, 'DA', '19700101'),
    element(0x0010, 0x0040, 'CS', 'O'),
  );
  if (ct) ds.push(element(0x0018, 0x0050, 'DS', '1'));
  ds.push(
    element(0x0020, 0x000d, 'UI', p.studyUid),
    element(0x0020, 0x000e, 'UI', p.seriesUid),
    element(0x0020, 0x0010, 'SH', `B${spec.name}`),
    element(0x0020, 0x0011, 'IS', String(p.seriesNumber)),
    element(0x0020, 0x0013, 'IS', String(p.instanceNumber)),
  );
  if (ct) {
    ds.push(
      element(0x0020, 0x0032, 'DS', `0\\0\\${p.instanceNumber}`),
      element(0x0020, 0x0037, 'DS', '1\\0\\0\\0\\1\\0'),
    );
  }
  ds.push(
    element(0x0028, 0x0002, 'US', us(1)),
    element(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
  );
  if (spec.framesPerInstance > 1 || !ct) ds.push(element(0x0028, 0x0008, 'IS', String(spec.framesPerInstance)));
  ds.push(
    element(0x0028, 0x0010, 'US', us(spec.rows)),
    element(0x0028, 0x0011, 'US', us(spec.columns)),
    element(0x0028, 0x0100, 'US', us(16)),
    element(0x0028, 0x0101, 'US', us(16)),
    element(0x0028, 0x0102, 'US', us(15)),
    element(0x0028, 0x0103, 'US', us(0)),
  );
  if (ct) ds.push(element(0x0028, 0x1052, 'DS', '-1024'), element(0x0028, 0x1053, 'DS', '1'));
  const pixelHead = Buffer.alloc(12);
  pixelHead.writeUInt16LE(0x7fe0, 0);
  pixelHead.writeUInt16LE(0x0010, 2);
  pixelHead.write('OW', 4, 'latin1');
  pixelHead.writeUInt32LE(p.pixelBytes, 8);
  ds.push(pixelHead);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    element(0x0002, 0x0000, 'UL', groupLength),
    meta,
    ...ds,
  ]);
}

/** 1 MiB of xorshift32 noise from a fixed seed (incompressible, deterministic). */
function noise(): Buffer {
  const b = Buffer.alloc(1 << 20);
  let x = 0x9e3779b9;
  for (let i = 0; i < b.length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b.writeUInt32LE(x, i);
  }
  return b;
}

/**
 * Writes the workload's files into `root/<name>/` (created; any older content
 * replaced) and returns their description. Plain writes, no fsync.
 */
export function generateWorkload(spec: WorkloadSpec, root: string): Workload {
  const started = performance.now();
  const dir = path.join(root, spec.name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const studyUid = uidFor(`${spec.name}/${spec.instances}/study`);
  const pixelBytes = spec.framesPerInstance * spec.rows * spec.columns * 2;
  const src = noise();
  const stamp = Buffer.alloc(8);
  const files: WorkloadFile[] = [];
  const perSeries = Math.ceil(spec.instances / spec.series);
  for (let i = 0; i < spec.instances; i++) {
    const seriesNumber = Math.floor(i / perSeries) + 1;
    const instanceNumber = (i % perSeries) + 1;
    const seriesUid = uidFor(`${spec.name}/${spec.instances}/series/${seriesNumber}`);
    const sopUid = uidFor(`${spec.name}/${spec.instances}/instance/${i + 1}`);
    const head = header({ spec, studyUid, seriesUid, sopUid, seriesNumber, instanceNumber, pixelBytes });
    const file = path.join(dir, `${spec.name}${String(i + 1).padStart(5, '0')}.dcm`);
    const fd = fs.openSync(file, 'w');
    try {
      fs.writeSync(fd, head);
      let left = pixelBytes;
      let offset = (i * 4099) % (src.length / 2); // a different window of the noise per instance
      offset -= offset % 2;
      let first = true;
      while (left > 0) {
        const n = Math.min(left, src.length - offset);
        if (first) {
          stamp.writeBigUInt64LE(BigInt(i + 1));
          fs.writeSync(fd, stamp);
          fs.writeSync(fd, src, offset + 8, n - 8);
          first = false;
        } else {
          fs.writeSync(fd, src, offset, n);
        }
        left -= n;
        offset = 0;
      }
    } finally {
      fs.closeSync(fd);
    }
    files.push({ file, bytes: head.length + pixelBytes, sopInstanceUid: sopUid, seriesInstanceUid: seriesUid });
  }
  const totalBytes = files.reduce((s, f) => s + f.bytes, 0);
  const w: Workload = {
    ...spec,
    dir,
    studyInstanceUid: studyUid,
    files,
    totalBytes,
    pixelBytes: pixelBytes * spec.instances,
    generateMs: Math.round(performance.now() - started),
  };
  fs.writeFileSync(path.join(root, `${spec.name}.json`), JSON.stringify({ ...w, files: w.files.map((f) => ({ ...f, file: path.basename(f.file) })) }, null, 2));
  return w;
}
