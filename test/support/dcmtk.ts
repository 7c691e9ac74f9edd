// Wrappers for DCMTK command-line tools used by tests (getscu as the reference
// SCU, dcmdump/dcmftest as independent checkers of what we write, dump2dcm to
// make fixtures) and a small Part 10 reader that checks files without DCMTK.

import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dcmtkBinary, peerEnv } from './peers.ts';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall time in ms. */
  ms: number;
  /** True when the tool was killed for exceeding the timeout. */
  timedOut: boolean;
}

export interface ToolOptions {
  timeoutMs?: number;
  cwd?: string;
  env?: Record<string, string>;
}

/** Run a DCMTK tool by name (throws "DCMTK is not installed" if absent) with
 * TCP_NODELAY=1 and a timeout (default 60 s). Never rejects for a non-zero exit. */
export function runDcmtk(tool: string, args: string[], opts: ToolOptions = {}): Promise<ToolResult> {
  const bin = dcmtkBinary(tool);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(
      bin,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', env: peerEnv(opts.env), maxBuffer: 256 * 1024 * 1024, ...(opts.cwd ? { cwd: opts.cwd } : {}) },
      (err, stdout, stderr) => {
        const ms = performance.now() - started;
        let code = 0;
        let timedOut = false;
        if (err) {
          const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string | null };
          timedOut = e.killed === true && e.signal === 'SIGKILL';
          code = typeof e.code === 'number' ? e.code : -1;
        }
        resolve({ code, stdout: String(stdout), stderr: String(stderr), ms, timedOut });
      },
    );
  });
}

/** getscu with the given arguments (TCP_NODELAY=1: without it getscu itself
 * adds ~40 ms per sub-operation through Nagle + delayed ACK). Note: getscu
 * uses the Patient Root model unless -S/-O is passed. */
export function runGetscu(args: string[], opts: ToolOptions = {}): Promise<ToolResult> {
  return runDcmtk('getscu', args, opts);
}

/** dcmftest: true when the file is a DICOM Part 10 file ("yes: <file>", exit 0). */
export async function dcmftest(file: string, opts: ToolOptions = {}): Promise<boolean> {
  const r = await runDcmtk('dcmftest', [file], { timeoutMs: 30_000, ...opts });
  return r.code === 0 && r.stdout.startsWith('yes:');
}

/** dcmdump parses the whole file without error (exit 0, no E:/F: lines). output is the dump. */
export async function dcmdumpOk(file: string, opts: ToolOptions & { args?: string[] } = {}): Promise<{ ok: boolean; output: string }> {
  const r = await runDcmtk('dcmdump', [...(opts.args ?? []), file], { timeoutMs: 60_000, ...opts });
  const ok = r.code === 0 && !/^[EF]: /m.test(r.stderr);
  return { ok, output: r.stdout + (r.stderr ? `\n${r.stderr}` : '') };
}

/** dump2dcm: write outFile from a dcmdump-style text. xfer: transfer syntax of the output. */
export async function dump2dcm(
  dumpText: string,
  outFile: string,
  xfer: 'little' | 'implicit' | 'big' = 'little',
): Promise<void> {
  const dumpFile = `${outFile}.dump`;
  await fs.promises.writeFile(dumpFile, dumpText);
  const flag = { little: '--write-xfer-little', implicit: '--write-xfer-implicit', big: '--write-xfer-big' }[xfer];
  const r = await runDcmtk('dump2dcm', [flag, dumpFile, outFile], { timeoutMs: 30_000 });
  await fs.promises.rm(dumpFile, { force: true });
  if (r.code !== 0) throw new Error(`dump2dcm failed (code ${r.code}) for ${outFile}: ${r.stderr}`);
}

export interface TinyCtOptions {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
  patientID?: string;
  patientName?: string;
  instanceNumber?: number;
  /** rows = columns; 16-bit pixels. Default 4. */
  size?: number;
  sopClassUID?: string;
  xfer?: 'little' | 'implicit' | 'big';
}

/** A small CT Image Storage Part 10 file made by dump2dcm. */
export async function writeTinyCt(outFile: string, o: TinyCtOptions): Promise<void> {
  const size = o.size ?? 4;
  const pixels = Array.from({ length: size * size }, (_, i) => (i * 37 + (o.instanceNumber ?? 1)) & 0x0fff);
  const dump = [
    `(0008,0016) UI [${o.sopClassUID ?? '1.2.840.10008.5.1.4.1.1.2'}]`,
    `(0008,0018) UI [${o.sopInstanceUID}]`,
    '(0008,0020) DA [20240101]',
    '(0008,0030) TM [120000]',
    '(0008,0060) CS [CT]',
    `(0010,0010) PN [${o.patientName ?? 'Smoke^Test'}]`,
    `(0010,0020) LO [${o.patientID ?? 'SMOKE'}]`,
    `(0020,000d) UI [${o.studyInstanceUID}]`,
    `(0020,000e) UI [${o.seriesInstanceUID}]`,
    '(0020,0010) SH [1]',
    '(0020,0011) IS [1]',
    `(0020,0013) IS [${o.instanceNumber ?? 1}]`,
    '(0028,0002) US 1',
    '(0028,0004) CS [MONOCHROME2]',
    `(0028,0010) US ${size}`,
    `(0028,0011) US ${size}`,
    '(0028,0100) US 16',
    '(0028,0101) US 12',
    '(0028,0102) US 11',
    '(0028,0103) US 0',
    `(7fe0,0010) OW ${pixels.map((p) => p.toString(16).padStart(4, '0')).join('\\')}`,
    '',
  ].join('\n');
  await fs.promises.mkdir(path.dirname(outFile), { recursive: true });
  await dump2dcm(dump, outFile, o.xfer ?? 'little');
}

// ---------------------------------------------------------------------------
// Part 10 reader (File Meta Information only; the data set is hashed, not parsed)

export interface MetaElement {
  tag: string; // 'gggg,eeee' lower-case hex
  vr: string;
  length: number;
  /** Byte offset of the value in the file. */
  offset: number;
  value: Buffer;
}

export interface Part10Info {
  file: string;
  fileSize: number;
  /** Value of (0002,0000), or undefined if the group has no length element. */
  metaGroupLength: number | undefined;
  /** Meta elements in file order. */
  metaElements: MetaElement[];
  /** Meta values as strings (trailing NUL/space trimmed), keyed 'gggg,eeee'. OB as hex, UL as decimal. */
  meta: Record<string, string>;
  mediaStorageSOPClassUID: string;
  mediaStorageSOPInstanceUID: string;
  transferSyntaxUID: string;
  implementationClassUID: string | undefined;
  implementationVersionName: string | undefined;
  /** Aliases of the media storage UIDs (what a C-STORE-RQ carried). */
  sopClassUID: string;
  sopInstanceUID: string;
  /** First byte after the meta group. */
  datasetOffset: number;
  datasetLength: number;
  /** SHA-256 (hex) of the bytes from datasetOffset to end of file. */
  datasetSha256: string;
}

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

function readExactly(fd: number, pos: number, len: number, file: string): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, buf, got, len - got, pos + got);
    if (n === 0) throw new Error(`${file}: truncated at byte ${pos + got} (wanted ${len} bytes at ${pos})`);
    got += n;
  }
  return buf;
}

function trimValue(v: Buffer): string {
  return v.toString('latin1').replace(/[\0 ]+$/, '');
}

/** Parse the preamble, 'DICM' and the group 0002 (Explicit VR Little Endian)
 * of a Part 10 file, and hash the data set that follows. Throws on anything
 * malformed. Synchronous, memory flat (hashes in 1 MiB chunks). */
export function readPart10(file: string): Part10Info {
  const fd = fs.openSync(file, 'r');
  try {
    const fileSize = fs.fstatSync(fd).size;
    if (fileSize < 132) throw new Error(`${file}: ${fileSize} bytes, too short for a Part 10 file`);
    const magic = readExactly(fd, 128, 4, file).toString('latin1');
    if (magic !== 'DICM') throw new Error(`${file}: no 'DICM' prefix at byte 128 (found ${JSON.stringify(magic)})`);

    const elements: MetaElement[] = [];
    let pos = 132;
    let end: number | undefined;
    for (;;) {
      if (end !== undefined && pos >= end) break;
      if (pos + 8 > fileSize) {
        if (end === undefined) break; // meta without group length running to EOF (no data set)
        throw new Error(`${file}: meta group truncated at byte ${pos}`);
      }
      const head = readExactly(fd, pos, 8, file);
      const group = head.readUInt16LE(0);
      const elem = head.readUInt16LE(2);
      if (group !== 0x0002) {
        if (end !== undefined) throw new Error(`${file}: element (${group.toString(16)},${elem.toString(16)}) inside the meta group length`);
        break; // no group length: meta ends at the first non-0002 element
      }
      const vr = head.toString('latin1', 4, 6);
      if (!/^[A-Z]{2}$/.test(vr)) throw new Error(`${file}: meta element (0002,${elem.toString(16).padStart(4, '0')}) has no explicit VR (got ${JSON.stringify(vr)}) at byte ${pos}`);
      let length: number;
      let valueOffset: number;
      if (LONG_VRS.has(vr)) {
        length = readExactly(fd, pos + 8, 4, file).readUInt32LE(0);
        valueOffset = pos + 12;
      } else {
        length = head.readUInt16LE(6);
        valueOffset = pos + 8;
      }
      if (length === 0xffffffff) throw new Error(`${file}: undefined length in meta element (0002,${elem.toString(16)})`);
      if (valueOffset + length > fileSize) throw new Error(`${file}: meta element (0002,${elem.toString(16)}) of ${length} bytes overruns the file`);
      if (length > 1 << 20) throw new Error(`${file}: meta element (0002,${elem.toString(16)}) of ${length} bytes is not sane`);
      const value = readExactly(fd, valueOffset, length, file);
      const tag = `0002,${elem.toString(16).padStart(4, '0')}`;
      elements.push({ tag, vr, length, offset: valueOffset, value });
      pos = valueOffset + length;
      if (elem === 0x0000 && elements.length === 1) {
        if (vr !== 'UL' || length !== 4) throw new Error(`${file}: (0002,0000) must be UL of 4 bytes (got ${vr}, ${length})`);
        end = pos + value.readUInt32LE(0);
        if (end > fileSize) throw new Error(`${file}: meta group length ${value.readUInt32LE(0)} runs past end of file`);
      }
    }
    const datasetOffset = end ?? pos;

    const meta: Record<string, string> = {};
    for (const e of elements) {
    meta[e.tag] =
      e.vr === 'UL' && e.length === 4 ? String(e.value.readUInt32LE(0)) : e.vr === 'OB' ? e.value.toString('hex') : trimValue(e.value);
  }
    const need = (tag: string, name: string): string => {
      const v = meta[tag];
      if (v === undefined || v === '') throw new Error(`${file}: meta has no ${name} (${tag})`);
      return v;
    };
    const mediaStorageSOPClassUID = need('0002,0002', 'Media Storage SOP Class UID');
    const mediaStorageSOPInstanceUID = need('0002,0003', 'Media Storage SOP Instance UID');
    const transferSyntaxUID = need('0002,0010', 'Transfer Syntax UID');

    const hash = crypto.createHash('sha256');
    const chunk = Buffer.alloc(1 << 20);
    for (let p = datasetOffset; p < fileSize; ) {
      const n = fs.readSync(fd, chunk, 0, Math.min(chunk.length, fileSize - p), p);
      if (n === 0) throw new Error(`${file}: short read at ${p}`);
      hash.update(chunk.subarray(0, n));
      p += n;
    }
    const groupLength = elements[0]?.tag === '0002,0000' ? elements[0].value.readUInt32LE(0) : undefined;
    return {
      file,
      fileSize,
      metaGroupLength: groupLength,
      metaElements: elements,
      meta,
      mediaStorageSOPClassUID,
      mediaStorageSOPInstanceUID,
      transferSyntaxUID,
      implementationClassUID: meta['0002,0012'],
      implementationVersionName: meta['0002,0013'],
      sopClassUID: mediaStorageSOPClassUID,
      sopInstanceUID: mediaStorageSOPInstanceUID,
      datasetOffset,
      datasetLength: fileSize - datasetOffset,
      datasetSha256: hash.digest('hex'),
    };
  } finally {
    fs.closeSync(fd);
  }
}
