// The streaming structure check of received data sets (src/dicom/data-set-structure.ts, PS3.5
// 7.1-7.5, A.4) and its deflated variant (src/dicom/deflated-data-set.ts, PS3.5 A.5): whole data
// sets pass in any fragmentation; cut, overrunning, padded, duplicated, mislabelled ones fail
// with a one-line reason.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { DataSetStructure, MAX_NESTING } from '../../src/dicom/data-set-structure.ts';
import { checkDeflatedDataSet } from '../../src/dicom/deflated-data-set.ts';
import { walkDataSet } from '../../src/dicom/data-set-reader.ts';
import { decodeFileMetaInformation } from '../../src/dicom/part10.ts';
import {
  DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_BIG_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, transferSyntaxByUid,
} from '../../src/dicom/transfer-syntaxes.ts';
import { hex } from '../support/bytes.ts';

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures', 'dicom');
const RLE = '1.2.840.10008.1.2.5';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

interface Fixture { name: string; ts: string; dataSet: Buffer }
const fixtures: Fixture[] = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.dcm')).sort().map((name) => {
  const bytes = fs.readFileSync(path.join(FIXTURES, name));
  const meta = decodeFileMetaInformation(bytes);
  return { name, ts: meta.transferSyntaxUid, dataSet: bytes.subarray(meta.dataSetOffset) };
});
const fixture = (name: string): Fixture => fixtures.find((f) => f.name === name)!;
const isDeflated = (ts: string): boolean => transferSyntaxByUid(ts)?.deflated === true;

/** The verdict for `bytes` fed in pieces of `size` bytes (whole when omitted). */
function verdict(bytes: Buffer, ts: string, size = bytes.length || 1): string | undefined {
  const check = new DataSetStructure(ts);
  for (let at = 0; at < bytes.length; at += size) check.write(bytes.subarray(at, at + size));
  return check.end();
}

/** The verdict for random fragment sizes from 1 to 40 bytes, seeded. */
function verdictRandomly(bytes: Buffer, ts: string, seed: number): string | undefined {
  const check = new DataSetStructure(ts);
  let s = seed;
  for (let at = 0; at < bytes.length;) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (s % 40);
    check.write(bytes.subarray(at, at + n));
    at += n;
  }
  return check.end();
}

/** Offsets at which the top-level elements start, and the end (where a cut leaves a whole data set). */
function topLevelBoundaries(f: Fixture): Set<number> {
  const out = new Set<number>([f.dataSet.length]);
  walkDataSet(f.dataSet, f.ts, (e) => { out.add(e.offset); });
  return out;
}

describe('whole data sets pass', () => {
  for (const f of fixtures.filter((x) => !isDeflated(x.ts))) {
    it(`${f.name}: whole, byte by byte, in 7-byte and random pieces`, () => {
      assert.equal(verdict(f.dataSet, f.ts), undefined);
      assert.equal(verdict(f.dataSet, f.ts, 1), undefined);
      assert.equal(verdict(f.dataSet, f.ts, 7), undefined);
      assert.equal(verdictRandomly(f.dataSet, f.ts, f.dataSet.length), undefined);
    });
  }

  for (const f of fixtures.filter((x) => isDeflated(x.ts))) {
    it(`${f.name}: inflated as a stream, in 5-byte pieces`, async () => {
      const pieces = Array.from({ length: Math.ceil(f.dataSet.length / 5) }, (_, i) => f.dataSet.subarray(i * 5, i * 5 + 5));
      assert.equal(await checkDeflatedDataSet(pieces, f.ts), undefined);
    });
  }

  it('Explicit VR Big Endian, with an undefined-length sequence and item', () => {
    const bytes = hex(`
      0008 0016 5549 0004 312e 3200           // (0008,0016) UI "1.2\\0"
      0040 a730 5351 0000 ffffffff            // (0040,A730) SQ, undefined length
        fffe e000 ffffffff                    //   item, undefined length
          0008 0100 5348 0002 4142            //     (0008,0100) SH "AB"
        fffe e00d 00000000                    //   Item Delimitation Item
      fffe e0dd 00000000                      // Sequence Delimitation Item
      7fe0 0010 4f57 0000 00000004 01020304   // (7FE0,0010) OW, 4 bytes`);
    assert.equal(verdict(bytes, EXPLICIT_VR_BIG_ENDIAN), undefined);
    assert.equal(verdict(bytes, EXPLICIT_VR_BIG_ENDIAN, 3), undefined);
  });

  it('a UN of undefined length holds implicit VR items (PS3.5 6.2.2); an unknown VR of two letters has a 32-bit length', () => {
    const bytes = hex(`
      0900 1010 554e 0000 ffffffff            // (0009,1010) UN, undefined length
        feff 00e0 ffffffff                    //   item, undefined length
          0800 0001 02000000 4142             //     (0008,0100) implicit VR, 2 bytes
        feff 0de0 00000000
      feff dde0 00000000
      0900 1020 5858 0000 03000000 010203     // (0009,1020) "XX": unknown VR, 32-bit length`);
    assert.equal(verdict(bytes, EXPLICIT_VR_LITTLE_ENDIAN), undefined);
    assert.equal(verdict(bytes, EXPLICIT_VR_LITTLE_ENDIAN, 1), undefined);
  });
});

describe('a data set cut short fails, wherever the cut is inside an element', () => {
  for (const name of ['p1-s2-gsps-explicit.dcm', 'p1-s1-ct-rle.dcm', 'p1-s2-mr-implicit.dcm', 'p1-s2-pdf-explicit.dcm']) {
    it(`${name}: every cut but those between top-level elements`, () => {
      const f = fixture(name);
      const boundaries = topLevelBoundaries(f);
      const step = f.dataSet.length > 5000 ? 37 : 1;
      let cuts = 0;
      for (let at = 1; at < f.dataSet.length; at += step) {
        const v = verdict(f.dataSet.subarray(0, at), f.ts);
        // A cut exactly between two top-level elements leaves a whole, shorter data set: a
        // structure check cannot tell it from one that was sent that way.
        if (boundaries.has(at)) assert.equal(v, undefined, `cut at ${at}`);
        else assert.equal(typeof v, 'string', `cut at ${at} passed`);
        cuts++;
      }
      assert.ok(cuts > 100);
    });
  }

  it('Pixel Data declared 1 MiB with 1 KB sent: the reason says how much arrived', () => {
    const header = hex('e07f 1000 4f57 0000 00001000'); // (7FE0,0010) OW, 1048576 bytes
    const bytes = Buffer.concat([fixture('p1-s1-ct-explicit.dcm').dataSet.subarray(0, 956 - 12), header, Buffer.alloc(1024)]);
    assert.equal(verdict(bytes, EXPLICIT_VR_LITTLE_ENDIAN, 100), 'the data set ends inside the value of (7FE0,0010): 1048576 bytes declared at offset 956, 1024 received');
  });

  it('a header cut short', () => {
    const f = fixture('p1-s1-ct-explicit.dcm');
    assert.match(verdict(f.dataSet.subarray(0, 956 - 5), f.ts)!, /^7 bytes at offset 944 of the 951-byte data set, too few for an element header/);
  });

  it('an undefined-length sequence or item left open', () => {
    const open = hex('4000 30a7 5351 0000 ffffffff  feff 00e0 ffffffff  0800 0001 5348 0200 4142');
    assert.match(verdict(open, EXPLICIT_VR_LITTLE_ENDIAN)!, /inside an item of \(0040,A730\).*no Item Delimitation Item/);
    const closedItem = Buffer.concat([open, hex('feff 0de0 00000000')]);
    assert.match(verdict(closedItem, EXPLICIT_VR_LITTLE_ENDIAN)!, /inside a sequence of \(0040,A730\).*no Sequence Delimitation Item/);
    assert.equal(verdict(Buffer.concat([closedItem, hex('feff dde0 00000000')]), EXPLICIT_VR_LITTLE_ENDIAN), undefined);
  });

  it('encapsulated Pixel Data without its Sequence Delimitation Item', () => {
    const f = fixture('p1-s1-ct-rle.dcm');
    assert.match(verdict(f.dataSet.subarray(0, f.dataSet.length - 8), f.ts)!, /inside encapsulated Pixel Data of \(7FE0,0010\)/);
  });

  it('an empty data set', () => {
    assert.equal(verdict(Buffer.alloc(0), EXPLICIT_VR_LITTLE_ENDIAN), 'the data set is empty');
  });
});

describe('bytes past the last element fail', () => {
  for (const name of ['p1-s1-ct-explicit.dcm', 'p1-s1-ct-rle.dcm', 'p1-s2-mr-implicit.dcm']) {
    it(`${name}: 1 to 11 trailing bytes, zeros or not`, () => {
      const f = fixture(name);
      for (let n = 1; n < 12; n++) {
        for (const fill of [0x00, 0x20, 0xff]) {
          const v = verdict(Buffer.concat([f.dataSet, Buffer.alloc(n, fill)]), f.ts);
          assert.equal(typeof v, 'string', `${n} bytes of ${fill} passed`);
        }
      }
    });

    it(`${name}: a fragment of the data set received twice (a duplicated P-DATA-TF)`, () => {
      const f = fixture(name);
      let seed = 7;
      for (let k = 0; k < 200; k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const from = seed % f.dataSet.length;
        const length = 1 + ((seed >>> 8) % Math.min(16384, f.dataSet.length - from));
        const twice = Buffer.concat([f.dataSet.subarray(0, from + length), f.dataSet.subarray(from)]);
        assert.equal(typeof verdict(twice, f.ts, 4096), 'string', `bytes ${from}..${from + length} twice passed`);
      }
    });
  }
});

describe('items and delimiters out of place fail', () => {
  it('top-level elements out of ascending tag order (bytes past the last element, PS3.5 7.1.1)', () => {
    const f = fixture('p1-s2-mr-implicit.dcm');
    assert.match(verdict(Buffer.concat([f.dataSet, Buffer.alloc(8)]), f.ts)!, /^\(0000,0000\) at offset \d+ after \(7FE0,0010\): top-level elements are in ascending tag order/);
    assert.match(verdict(hex('0800 0001 4c54 0200 4142  0800 0001 4c54 0200 4142'), EXPLICIT_VR_LITTLE_ENDIAN)!, /\(0008,0100\) at offset 10 after \(0008,0100\)/);
  });

  it('an item at the top level, a delimiter with nothing open', () => {
    assert.match(verdict(hex('feff 00e0 02000000 4142'), EXPLICIT_VR_LITTLE_ENDIAN)!, /\(FFFE,E000\) at offset 0, where a data element should be \(top level\)/);
    assert.match(verdict(hex('feff dde0 00000000'), IMPLICIT_VR_LITTLE_ENDIAN)!, /\(FFFE,E0DD\) at offset 0/);
  });

  it('an element where an item should be', () => {
    assert.match(verdict(hex('4000 30a7 5351 0000 ffffffff  0800 0001 5348 0200 4142'), EXPLICIT_VR_LITTLE_ENDIAN)!,
      /\(0008,0100\) at offset 12 inside the sequence \(0040,A730\), where an item or a Sequence Delimitation Item should be/);
  });

  it('a fragment of undefined length in encapsulated Pixel Data (PS3.5 A.4)', () => {
    assert.match(verdict(hex('e07f 1000 4f42 0000 ffffffff  feff 00e0 ffffffff'), RLE)!, /undefined length at offset 12 inside encapsulated Pixel Data/);
  });

  it('undefined length on a VR that cannot have one', () => {
    assert.match(verdict(hex('0800 0001 4c54 0200 4142  0800 0201 0000 0000'), EXPLICIT_VR_LITTLE_ENDIAN)!, /\(0008,0102\) at offset 10 has no VR \(bytes 00 00\)/);
    assert.match(verdict(hex('0800 0001 5554 0000 ffffffff'), EXPLICIT_VR_LITTLE_ENDIAN)!, /\(0008,0100\) UT at offset 0 has an undefined length/);
  });

  it(`nesting over ${MAX_NESTING} deep fails without exhausting the stack`, () => {
    const level = hex('4000 30a7 5351 0000 ffffffff  feff 00e0 ffffffff');
    const deep = Buffer.concat(Array.from({ length: 5000 }, () => level));
    assert.match(verdict(deep, EXPLICIT_VR_LITTLE_ENDIAN, 13)!, new RegExp(`nested over ${MAX_NESTING} deep`));
    const ok = Buffer.concat([...Array.from({ length: 32 }, () => level), ...Array.from({ length: 32 }, () => hex('feff 0de0 00000000  feff dde0 00000000'))]);
    assert.equal(verdict(ok, EXPLICIT_VR_LITTLE_ENDIAN), undefined);
  });
});

describe('a data set in another transfer syntax than its context fails', () => {
  it('implicit VR on an explicit VR context, and the reverse', () => {
    assert.match(verdict(fixture('p1-s1-ct-implicit.dcm').dataSet, EXPLICIT_VR_LITTLE_ENDIAN)!, /^the data set is not in explicit VR, as Explicit VR Little Endian/);
    assert.match(verdict(fixture('p1-s1-ct-explicit.dcm').dataSet, IMPLICIT_VR_LITTLE_ENDIAN)!, /^the data set is in explicit VR, not the Implicit VR Little Endian/);
    assert.match(verdict(fixture('p1-s1-ct-explicit.dcm').dataSet, EXPLICIT_VR_BIG_ENDIAN)!, /./);
  });

  it('encapsulated Pixel Data on a native context (issue 12: compressed data sent as Explicit VR LE)', () => {
    for (const name of ['p1-s1-ct-rle.dcm', 'p1-s2-ct-jpeg-lossless.dcm', 'p1-s2-mr-jpegls.dcm', 'p1-s2-sc-multiframe-rle.dcm']) {
      assert.match(verdict(fixture(name).dataSet, EXPLICIT_VR_LITTLE_ENDIAN, 1000)!,
        /^encapsulated \(compressed\) Pixel Data on a context accepted with Explicit VR Little Endian, a native syntax/, name);
    }
  });

  it('native Pixel Data on an encapsulated context', () => {
    assert.match(verdict(fixture('p1-s1-ct-explicit.dcm').dataSet, JPEG_BASELINE)!,
      /^native Pixel Data \(defined length\) on a context accepted with JPEG Baseline \(Process 1\), an encapsulated syntax/);
    // No Pixel Data at all (a PDF, an SR) is fine on any context.
    assert.equal(verdict(fixture('p1-s2-pdf-explicit.dcm').dataSet, JPEG_BASELINE), undefined);
  });
});

describe('deflated data sets (PS3.5 A.5)', () => {
  const f = fixtures.find((x) => x.name === 'p2-s3-mr-deflated.dcm')!;

  it('a deflate stream cut short', async () => {
    assert.match((await checkDeflatedDataSet([f.dataSet.subarray(0, f.dataSet.length - 10)], f.ts))!, /not a whole deflate stream .*unexpected end of file/);
  });

  it('bytes after the end of the deflate stream', async () => {
    assert.equal(await checkDeflatedDataSet([f.dataSet, Buffer.from('xy')], f.ts), `2 bytes after the end of the deflate stream (PS3.5 A.5), which ends at offset ${f.dataSet.length}`);
  });

  it('a deflate stream of odd length padded with one 00H byte to even length (as DCMTK and Orthanc send it) passes; other padding does not', async () => {
    const inflated = zlib.inflateRawSync(f.dataSet);
    // Deflate the same data set until its stream has an odd length (levels differ in output).
    const odd = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((level) => zlib.deflateRawSync(inflated, { level })).find((d) => d.length % 2 === 1)!;
    assert.ok(odd, 'no deflate level gave an odd length');
    assert.equal(await checkDeflatedDataSet([odd], f.ts), undefined);
    assert.equal(await checkDeflatedDataSet([odd, Buffer.from([0])], f.ts), undefined);
    assert.match((await checkDeflatedDataSet([odd, Buffer.from([1])], f.ts))!, /^1 bytes after the end of the deflate stream/);
    assert.match((await checkDeflatedDataSet([odd, Buffer.from([0, 0, 0])], f.ts))!, /^3 bytes after the end of the deflate stream/);
    const even = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((level) => zlib.deflateRawSync(inflated, { level })).find((d) => d.length % 2 === 0)!;
    assert.match((await checkDeflatedDataSet([even, Buffer.from([0])], f.ts))!, /^1 bytes after the end of the deflate stream/);
  });

  it('not deflate at all', async () => {
    assert.match((await checkDeflatedDataSet([fixture('p1-s2-gsps-explicit.dcm').dataSet], DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN))!, /not a whole deflate stream/);
  });

  it('a whole deflate stream of a data set cut short', async () => {
    const cut = zlib.deflateRawSync(fixture('p1-s2-gsps-explicit.dcm').dataSet.subarray(0, 1000));
    assert.match((await checkDeflatedDataSet([cut], DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN))!, /the data set ends inside/);
  });

  it('a source that fails rejects with its own error', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield f.dataSet.subarray(0, 10);
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    await assert.rejects(checkDeflatedDataSet(failing(), f.ts), { code: 'EIO' });
  });
});
