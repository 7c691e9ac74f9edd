// The Part 10 head written before each received data set: PS3.10 7.1, 7.3; PS3.5 7.1.2.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import fc from 'fast-check';
import { buildFileMetaInformation, decodeFileMetaInformation, encodeFileMetaInformation, type FileMetaInformation } from '../../src/dicom/part10.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../src/dicom/implementation.ts';
import { dcmtkBinary } from '../support/peers.ts';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2'; // 25 characters: odd, needs a pad
const EXPLICIT_LE = '1.2.840.10008.1.2.1'; // 19 characters
const META: FileMetaInformation = {
  mediaStorageSopClassUid: CT_IMAGE_STORAGE,
  mediaStorageSopInstanceUid: '1.2.3.4.5',
  transferSyntaxUid: EXPLICIT_LE,
  sourceAeTitle: 'ORTHANC',
};

interface Element { tag: number; vr: string; value: Buffer; headerLength: number; offset: number }

/** Explicit VR little endian walk of group 0002, by hand (PS3.5 7.1.2). */
function walkMeta(bytes: Buffer, from: number): Element[] {
  const out: Element[] = [];
  let o = from;
  while (o + 8 <= bytes.length && bytes.readUInt16LE(o) === 0x0002) {
    const tag = ((bytes.readUInt16LE(o) << 16) | bytes.readUInt16LE(o + 2)) >>> 0;
    const vr = bytes.toString('latin1', o + 4, o + 6);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
    const length = long ? bytes.readUInt32LE(o + 8) : bytes.readUInt16LE(o + 6);
    const headerLength = long ? 12 : 8;
    out.push({ tag, vr, value: bytes.subarray(o + headerLength, o + headerLength + length), headerLength, offset: o });
    o += headerLength + length;
  }
  return out;
}

describe('encodeFileMetaInformation (PS3.10 7.1)', () => {
  const bytes = encodeFileMetaInformation(META);
  const els = walkMeta(bytes, 132);

  it('starts with a 128-byte zero preamble and "DICM"', () => {
    assert.ok(bytes.subarray(0, 128).every((b) => b === 0));
    assert.equal(bytes.toString('latin1', 128, 132), 'DICM');
  });

  it('(0002,0000) UL comes first and equals the bytes of group 0002 that follow it', () => {
    assert.equal(bytes.subarray(132, 140).toString('hex'), '02000000' + '554c' + '0400'); // tag, "UL", length 4
    assert.equal(els[0]!.tag, 0x00020000);
    const groupLength = els[0]!.value.readUInt32LE(0);
    assert.equal(groupLength, bytes.length - (132 + 12));
    const last = els.at(-1)!;
    assert.equal(last.offset + last.headerLength + last.value.length, bytes.length, 'nothing after group 0002');
  });

  it('(0002,0001) is OB 00 01 with 2 reserved bytes and a 4-byte length (PS3.5 7.1.2)', () => {
    assert.equal(bytes.subarray(144, 158).toString('hex'), '02000100' + '4f42' + '0000' + '02000000' + '0001');
  });

  it('holds the Type 1 elements in ascending order with the right values', () => {
    assert.deepEqual(els.map((e) => [e.tag.toString(16).padStart(8, '0'), e.vr]), [
      ['00020000', 'UL'], ['00020001', 'OB'], ['00020002', 'UI'], ['00020003', 'UI'], ['00020010', 'UI'],
      ['00020012', 'UI'], ['00020013', 'SH'], ['00020016', 'AE'],
    ]);
    const value = (tag: number): string => els.find((e) => e.tag === tag)!.value.toString('latin1');
    assert.equal(value(0x00020002), CT_IMAGE_STORAGE + '\0');
    assert.equal(value(0x00020003), '1.2.3.4.5\0');
    assert.equal(value(0x00020010), EXPLICIT_LE + '\0');
    assert.equal(value(0x00020012).replace(/\0$/, ''), IMPLEMENTATION_CLASS_UID);
    assert.equal(value(0x00020013).trimEnd(), IMPLEMENTATION_VERSION_NAME);
    assert.equal(value(0x00020016), 'ORTHANC ');
  });

  it('pads every value to even length: UI with NUL, SH/AE with a space (PS3.5 6.2)', () => {
    for (const e of els) assert.equal(e.value.length % 2, 0, `(0002,${(e.tag & 0xffff).toString(16)}) odd`);
    const odd = encodeFileMetaInformation({ mediaStorageSopClassUid: '1.2', mediaStorageSopInstanceUid: '1.23', transferSyntaxUid: '1.2.840.10008.1.2', sourceAeTitle: 'AB' });
    const e = walkMeta(odd, 132);
    const byTag = new Map(e.map((x) => [x.tag, x.value.toString('latin1')]));
    assert.equal(byTag.get(0x00020002), '1.2\0');
    assert.equal(byTag.get(0x00020003), '1.23');
    assert.equal(byTag.get(0x00020010), '1.2.840.10008.1.2\0');
    assert.equal(byTag.get(0x00020016), 'AB');
    assert.ok(IMPLEMENTATION_VERSION_NAME.length <= 16, 'SH holds at most 16 characters');
  });

  it('leaves (0002,0016) out when no source AE title is known', () => {
    const noAe = encodeFileMetaInformation({ ...META, sourceAeTitle: undefined });
    assert.equal(walkMeta(noAe, 132).some((e) => e.tag === 0x00020016), false);
    assert.equal(noAe.length, bytes.length - (8 + 8));
  });
});

describe('encodeFileMetaInformation from a template per SOP class, transfer syntax and source AE', () => {
  const uid = fc.array(fc.integer({ min: 0, max: 99999 }), { minLength: 1, maxLength: 16 }).map((parts) => parts.join('.'));
  // The peer's strings may hold any byte: Latin-1 characters, the separators a key might use.
  const anyText = fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 });
  const meta = fc.record({
    mediaStorageSopClassUid: fc.oneof(fc.constantFrom(CT_IMAGE_STORAGE, '1.2', '1.2.840.10008.5.1.4.1.1.7', '1\\2', '1.2\\'), uid, anyText),
    mediaStorageSopInstanceUid: fc.oneof(uid, anyText),
    transferSyntaxUid: fc.oneof(fc.constantFrom(EXPLICIT_LE, '1.2.840.10008.1.2', '1.2.840.10008.1.2.1.99', '2\\3', '\\3'), anyText),
    sourceAeTitle: fc.option(fc.oneof(fc.constantFrom('ORTHANC', 'AB', ' PAD ', '', '3'), anyText), { nil: undefined }),
  });

  it('is byte for byte the element-by-element encoding, for many inputs in any order (fast-check)', () => {
    fc.assert(fc.property(fc.array(meta, { minLength: 1, maxLength: 30 }), (metas) => {
      for (const m of metas) assert.deepEqual(encodeFileMetaInformation(m), buildFileMetaInformation(m));
    }), { seed: 16, numRuns: 300 });
  });

  it('keeps kinds apart whose fields, run together, read the same', () => {
    const a = { mediaStorageSopClassUid: '1.2', mediaStorageSopInstanceUid: '9', transferSyntaxUid: '3.4', sourceAeTitle: undefined };
    const b = { mediaStorageSopClassUid: '1.23', mediaStorageSopInstanceUid: '9', transferSyntaxUid: '.4', sourceAeTitle: undefined };
    const c = { mediaStorageSopClassUid: '1.2', mediaStorageSopInstanceUid: '9', transferSyntaxUid: '3', sourceAeTitle: '.4' };
    for (const m of [a, b, c, a, c, b]) assert.deepEqual(encodeFileMetaInformation(m), buildFileMetaInformation(m));
  });

  it('stays right past the bound on templates (more kinds than it keeps)', () => {
    for (let i = 0; i < 200; i++) {
      const m = { ...META, mediaStorageSopClassUid: `1.2.${i}`, mediaStorageSopInstanceUid: `1.3.${i * 7}` };
      assert.deepEqual(encodeFileMetaInformation(m), buildFileMetaInformation(m));
    }
    assert.deepEqual(encodeFileMetaInformation(META), buildFileMetaInformation(META));
  });
});

describe('decodeFileMetaInformation', () => {
  it('reads back what encodeFileMetaInformation wrote, and where the data set starts', () => {
    const head = encodeFileMetaInformation(META);
    const dataSet = Buffer.from('0800160055491a00', 'hex');
    const parsed = decodeFileMetaInformation(Buffer.concat([head, dataSet]));
    assert.deepEqual(parsed, { ...META, dataSetOffset: head.length });
  });

  it('without a source AE title', () => {
    const head = encodeFileMetaInformation({ ...META, sourceAeTitle: undefined });
    assert.deepEqual(decodeFileMetaInformation(head), { ...META, sourceAeTitle: undefined, dataSetOffset: head.length });
  });

  it('refuses a file without "DICM" and a truncated head', () => {
    const head = encodeFileMetaInformation(META);
    const noMagic = Buffer.from(head);
    noMagic.write('DICX', 128, 'latin1');
    assert.throws(() => decodeFileMetaInformation(noMagic), /DICM/);
    assert.throws(() => decodeFileMetaInformation(head.subarray(0, 200)), /truncated|lacks/);
  });
});

describe('DCMTK reads the files (dcmftest, dcmdump)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dcmget-part10-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // A tiny Explicit VR Little Endian data set, in ascending tag order.
  const dataSet = Buffer.concat([
    Buffer.from('08001600' + '5549' + '1a00', 'hex'), Buffer.from(CT_IMAGE_STORAGE + '\0', 'latin1'), // (0008,0016) UI
    Buffer.from('08001800' + '5549' + '0a00', 'hex'), Buffer.from('1.2.3.4.5\0', 'latin1'), // (0008,0018) UI
    Buffer.from('10001000' + '504e' + '0800', 'hex'), Buffer.from('Doe^John', 'latin1'), // (0010,0010) PN
    Buffer.from('10002000' + '4c4f' + '0400', 'hex'), Buffer.from('ID12', 'latin1'), // (0010,0020) LO
  ]);
  const file = path.join(dir, 'tiny.dcm');
  writeFileSync(file, Buffer.concat([encodeFileMetaInformation(META), dataSet]));

  it('dcmftest says it is a DICOM file', () => {
    const out = execFileSync(dcmtkBinary('dcmftest'), [file], { encoding: 'utf8' });
    assert.match(out, /^yes:/);
  });

  it('dcmdump reads meta and data set without a warning', () => {
    const run = spawnSync(dcmtkBinary('dcmdump'), ['-M', '+L', file], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, '', 'no warnings or errors');
    const out = run.stdout;
    const head = encodeFileMetaInformation(META);
    assert.match(out, new RegExp(`\\(0002,0000\\) UL ${head.length - 144} `));
    assert.match(out, /\(0002,0001\) OB 00\\01/);
    assert.match(out, /\(0002,0002\) UI =CTImageStorage/);
    assert.match(out, /\(0002,0003\) UI \[1\.2\.3\.4\.5\]/);
    assert.match(out, /\(0002,0010\) UI =LittleEndianExplicit/);
    assert.match(out, new RegExp(`\\(0002,0012\\) UI \\[${IMPLEMENTATION_CLASS_UID.replace(/\./g, '\\.')}\\]`));
    assert.match(out, new RegExp(`\\(0002,0013\\) SH \\[${IMPLEMENTATION_VERSION_NAME.replace(/\./g, '\\.')}\\]`));
    assert.match(out, /\(0002,0016\) AE \[ORTHANC\]/);
    assert.match(out, /\(0010,0010\) PN \[Doe\^John\]/);
    assert.match(out, /\(0010,0020\) LO \[ID12\]/);
  });

  it('control: dcmdump does warn when (0002,0000) is off by 2, so the clean run above means something', () => {
    const head = Buffer.from(encodeFileMetaInformation(META));
    head.writeUInt32LE(head.readUInt32LE(140) - 2, 140);
    const bad = path.join(dir, 'bad-group-length.dcm');
    writeFileSync(bad, Buffer.concat([head, dataSet]));
    const run = spawnSync(dcmtkBinary('dcmdump'), [bad], { encoding: 'utf8' });
    assert.match(run.stderr, /Group Length of Meta Information Header has incorrect value/);
  });
});
