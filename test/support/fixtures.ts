// The committed fixtures (fixtures/manifest.json) and the checks every received file must pass.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dcmdumpOk, dcmftest, readPart10, type Part10Info } from './dcmtk.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES = path.join(ROOT, 'fixtures');

export interface FixtureInstance {
  file: string;
  path: string;
  sopClassUID: string;
  sopClassName: string;
  sopInstanceUID: string;
  transferSyntaxUID: string;
  patientID: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  modality: string;
  frames: number;
  private: boolean;
  bytes: number;
  datasetOffset: number;
  datasetSha256: string;
}

export const INSTANCES: FixtureInstance[] = (JSON.parse(fs.readFileSync(path.join(FIXTURES, 'manifest.json'), 'utf8')).instances as Omit<FixtureInstance, 'path'>[])
  .map((i) => ({ ...i, path: path.join(FIXTURES, i.file) }));

export const BY_UID = new Map(INSTANCES.map((i) => [i.sopInstanceUID, i]));

export function studies(): string[] {
  return [...new Set(INSTANCES.map((i) => i.studyInstanceUID))].sort();
}

export const DEFLATED = '1.2.840.10008.1.2.1.99';
export const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']);

function dataSet(file: string, offset: number): Buffer {
  return fs.readFileSync(file).subarray(offset);
}

export interface CheckedFile {
  info: Part10Info;
  original: FixtureInstance;
  /** True when the data set bytes equal the original's (after inflating both, for deflated). */
  identical: boolean;
}

/**
 * Checks one received file against its original: DCMTK reads it, its File Meta names the right
 * class, instance and syntax; where the syntax is the stored one, the data set is byte-identical.
 * (A deflated data set is compared after inflating: a sender that re-deflates, as Orthanc does,
 * makes different compressed bytes of the same data set.)
 */
export async function checkReceived(file: string, options: { requireIdentical?: boolean } = {}): Promise<CheckedFile> {
  assert.ok(await dcmftest(file), `dcmftest rejects ${file}`);
  const dump = await dcmdumpOk(file);
  assert.ok(dump.ok, `dcmdump cannot read ${file}:\n${dump.output.slice(0, 2000)}`);
  const info = readPart10(file);
  const original = BY_UID.get(info.sopInstanceUID);
  assert.ok(original, `${file} holds ${info.sopInstanceUID}, which is not a fixture`);
  assert.equal(info.mediaStorageSOPClassUID, original.sopClassUID, `${file}: Media Storage SOP Class UID`);
  assert.equal(path.basename(file), `${original.sopInstanceUID}.dcm`);
  let identical = false;
  if (info.transferSyntaxUID === original.transferSyntaxUID) {
    if (info.transferSyntaxUID === DEFLATED) {
      const a = zlib.inflateRawSync(dataSet(file, info.datasetOffset));
      const b = zlib.inflateRawSync(dataSet(original.path, original.datasetOffset));
      identical = a.equals(b);
    } else {
      identical = info.datasetSha256 === original.datasetSha256;
    }
    assert.ok(identical, `${file}: data set differs from ${original.file} although both are ${info.transferSyntaxUID}`);
  } else if (options.requireIdentical) {
    assert.fail(`${file}: arrived as ${info.transferSyntaxUID}, stored as ${original.transferSyntaxUID}`);
  }
  return { info, original, identical };
}

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Files in a folder, recursively, as paths; temporary and hidden files included so tests can see leftovers. */
export function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath, d.name))
    .sort();
}
