// The C-GET Identifier (PS3.4 C.4.3.1.3): keys from flags, encoding, and the minimal data set walker.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import type { DenaturalizedDataset } from 'dcmjs';

import { buildIdentifier, encodeIdentifier, encodeWithDcmjs, parseKey } from '../../src/dicom/identifier.ts';
import { encodeDataSet } from '../../src/dicom/data-set-writer.ts';
import { closestKeywords } from '../../src/dicom/dictionary.ts';
import { TruncatedDataSet, readStrings, walkDataSet } from '../../src/dicom/data-set-reader.ts';
import { UsageError } from '../../src/dicom/usage-error.ts';
import { hex } from '../support/bytes.ts';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

/** The top-level part of a key: its attribute and values (a top-level key has an empty path, if any). */
function plain(spec: string): { attribute: unknown; values: string[] } {
  const k = parseKey(spec);
  assert.deepEqual((k as { path?: unknown[] }).path ?? [], [], 'a top-level key');
  return { attribute: k.attribute, values: k.values };
}

describe('parseKey', () => {
  it('Keyword=value', () => {
    assert.deepEqual(plain('PatientID=123'), { attribute: { tag: 0x00100020, keyword: 'PatientID', vr: 'LO' }, values: ['123'] });
  });

  it('gggg,eeee=value and (gggg,eeee)=value name the same attribute', () => {
    const expected = { attribute: { tag: 0x00100020, keyword: 'PatientID', vr: 'LO' }, values: ['123'] };
    assert.deepEqual(plain('0010,0020=123'), expected);
    assert.deepEqual(plain('(0010,0020)=123'), expected);
    assert.deepEqual(parseKey('(0020,000d)=1.2').attribute, { tag: 0x0020000d, keyword: 'StudyInstanceUID', vr: 'UI' });
  });

  it('an empty value, or a bare name, is a return key with no values', () => {
    assert.deepEqual(plain('PatientName='), { attribute: { tag: 0x00100010, keyword: 'PatientName', vr: 'PN' }, values: [] });
    assert.deepEqual(parseKey('PatientName').values, []);
  });

  it('keeps "=" inside the value: only the first one splits', () => {
    assert.deepEqual(parseKey('StudyDescription=a=b=c').values, ['a=b=c']);
  });

  it('splits backslash lists (PS3.5 6.4 value multiplicity)', () => {
    assert.deepEqual(parseKey('ModalitiesInStudy=CT\\MR\\PT').values, ['CT', 'MR', 'PT']);
    assert.deepEqual(parseKey('SOPInstanceUID=1.2.3\\1.2.4').values, ['1.2.3', '1.2.4']);
  });

  it('an unknown keyword is a UsageError that suggests close keywords', () => {
    assert.throws(() => parseKey('StudyInstanceUi=1.2.3'), (err: unknown) => {
      assert.ok(err instanceof UsageError, String(err));
      assert.match(err.message, /StudyInstanceUi/);
      assert.match(err.message, /did you mean .*\bStudyInstanceUID\b/);
      return true;
    });
    assert.equal(closestKeywords('StudyInstanceUi', 3)[0], 'StudyInstanceUID');
    assert.equal(closestKeywords('patientid', 3)[0], 'PatientID');
  });

  it('no name at all, or a value for a sequence, is a UsageError', () => {
    assert.throws(() => parseKey('=123'), UsageError);
    assert.throws(() => parseKey('ReferencedSeriesSequence=1'), UsageError);
    assert.deepEqual(parseKey('ReferencedSeriesSequence').values, []);
  });
});

describe('encodeIdentifier', () => {
  // QueryRetrieveLevel (0008,0052) CS "STUDY" and StudyInstanceUID (0020,000D) UI "1.2.3".
  const keys = () => [parseKey('StudyInstanceUID=1.2.3'), parseKey('QueryRetrieveLevel=STUDY')];

  it('Explicit VR Little Endian, ascending tags, CS padded with a space, UI with NUL (PS3.5 7.1.2, 6.2)', () => {
    const expected = hex(`
      08 00 52 00  43 53  06 00  53 54 55 44 59 20   // (0008,0052) "CS" length 6 "STUDY "
      20 00 0d 00  55 49  06 00  31 2e 32 2e 33 00   // (0020,000D) "UI" length 6 "1.2.3\\0"
    `);
    assert.equal(encodeIdentifier(buildIdentifier(keys()), EXPLICIT_LE).toString('hex'), expected.toString('hex'));
  });

  it('Implicit VR Little Endian: no VR, 32-bit lengths (PS3.5 7.1.3)', () => {
    const expected = hex(`
      08 00 52 00  06 00 00 00  53 54 55 44 59 20    // (0008,0052) length 6 "STUDY "
      20 00 0d 00  06 00 00 00  31 2e 32 2e 33 00    // (0020,000D) length 6 "1.2.3\\0"
    `);
    assert.equal(encodeIdentifier(buildIdentifier(keys()), IMPLICIT_LE).toString('hex'), expected.toString('hex'));
  });

  it('an empty key is a zero-length element', () => {
    const bytes = encodeIdentifier(buildIdentifier([parseKey('PatientName='), parseKey('PatientID=12')]), EXPLICIT_LE);
    assert.equal(bytes.toString('hex'), '10001000504e0000' + '100020004c4f02003132');
  });

  it('later keys with the same tag replace earlier ones', () => {
    const ds = buildIdentifier([parseKey('PatientID=1'), parseKey('0010,0020=22')]);
    assert.equal(encodeIdentifier(ds, EXPLICIT_LE).toString('hex'), '100020004c4f02003232');
  });

  it('a numeric VR needs a number', () => {
    assert.throws(() => buildIdentifier([parseKey('Rows=many')]), UsageError);
    assert.equal(encodeIdentifier(buildIdentifier([parseKey('Rows=512')]), EXPLICIT_LE).toString('hex'), '28001000555302000002');
  });
});

describe('the data set writer (data-set-writer.ts) against dcmjs, on flat data sets', () => {
  // Attributes of every VR the writer takes, each with values of its kind.
  const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
  const texts = (longest: number) => fc.array(fc.string({ unit: printable, maxLength: longest }), { maxLength: 3 });
  const ints = (min: number, max: number) => fc.array(fc.integer({ min, max }), { maxLength: 3 });
  const ATTRIBUTES: [string, string, fc.Arbitrary<unknown[]>][] = [
    ['00080052', 'CS', texts(16)], ['0020000D', 'UI', texts(64)], ['00100010', 'PN', texts(64)], ['00080020', 'DA', texts(8)],
    ['00080030', 'TM', texts(16)], ['0008002A', 'DT', texts(26)], ['00101010', 'AS', texts(4)], ['00080054', 'AE', texts(16)],
    ['00101030', 'DS', texts(16)], ['00200013', 'IS', texts(12)], ['00100020', 'LO', texts(64)], ['00080050', 'SH', texts(16)],
    ['00081030', 'LO', texts(64)], ['00204000', 'LT', texts(200)], ['00321060', 'LO', texts(64)], ['00400280', 'ST', texts(200)],
    ['00080021', 'DA', fc.tuple(fc.string({ unit: printable, maxLength: 8 }), fc.string({ unit: printable, maxLength: 8 })).map(([a, b]) => [`${a}-${b}`])],
    ['00280010', 'US', ints(0, 0xffff)], ['00189219', 'SS', ints(-0x8000, 0x7fff)],
    ['00081160', 'UL', ints(0, 0xffffffff)], ['00189153', 'SL', ints(-0x80000000, 0x7fffffff)],
    ['00089459', 'FL', fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 3 })],
    ['00189087', 'FD', fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 3 })],
  ];
  const dataSet: fc.Arbitrary<DenaturalizedDataset> = fc.subarray(ATTRIBUTES, { minLength: 1 }).chain((picked) =>
    fc.tuple(...picked.map(([, , values]) => values)).map((valueLists) =>
      Object.fromEntries(picked.map(([tag, vr], i) => [tag, { vr, Value: valueLists[i] }])) as DenaturalizedDataset));

  for (const ts of [EXPLICIT_LE, IMPLICIT_LE]) {
    it(`${ts === EXPLICIT_LE ? 'Explicit' : 'Implicit'} VR Little Endian: byte for byte what dcmjs writes`, () => {
      fc.assert(fc.property(dataSet, (ds) => {
        const ours = encodeDataSet(ds, ts);
        assert.ok(ours, 'a flat data set of these VRs is written here');
        assert.equal(ours.toString('hex'), encodeWithDcmjs(structuredClone(ds), ts).toString('hex'));
      }), { seed: 0x1de7, numRuns: 400 });
    });
  }

  it('what it leaves to dcmjs: other syntaxes, values of other types, numbers out of range', () => {
    const flat: DenaturalizedDataset = { '00100010': { vr: 'PN', Value: ['Doe^John'] } };
    assert.equal(encodeDataSet({ '00280010': { vr: 'US', Value: [1.5] } }, EXPLICIT_LE), undefined);
    assert.equal(encodeDataSet({ '00280010': { vr: 'US', Value: [70000] } }, EXPLICIT_LE), undefined);
    assert.equal(encodeDataSet({ '00100020': { vr: 'LO', Value: 'ID1' as unknown as string[] } }, EXPLICIT_LE), undefined, 'a Value that is not an array (library callers)');
    assert.equal(encodeDataSet({ '00091010': { vr: 'OB', Value: [new ArrayBuffer(2)] } }, EXPLICIT_LE), undefined);
    assert.equal(encodeDataSet(flat, '1.2.840.10008.1.2.1.99'), undefined, 'deflated');
    // ...and encodeIdentifier still encodes them, through dcmjs.
    const odd = { '00280010': { vr: 'US', Value: [1.5] } } as DenaturalizedDataset;
    assert.equal(encodeIdentifier(odd, EXPLICIT_LE).toString('hex'), encodeWithDcmjs(structuredClone(odd), EXPLICIT_LE).toString('hex'));
  });

  it('sequences: items and sequence with defined lengths, as DCMTK getscu sends them (PS3.5 7.5)', () => {
    const ds = buildIdentifier([parseKey('ReferencedSeriesSequence[0].SeriesInstanceUID=1.2.3.4')]);
    assert.equal(encodeIdentifier(ds, EXPLICIT_LE).toString('hex'), hex(`
      08 00 15 11  53 51 00 00  18 00 00 00                   // (0008,1115) SQ, length 24
        fe ff 00 e0  10 00 00 00                              //   Item, length 16
          20 00 0e 00  55 49 08 00  31 2e 32 2e 33 2e 34 00   //     (0020,000E) UI "1.2.3.4"
    `).toString('hex'));
    assert.equal(encodeIdentifier(ds, IMPLICIT_LE).toString('hex'), hex(`
      08 00 15 11  18 00 00 00
        fe ff 00 e0  10 00 00 00
          20 00 0e 00  08 00 00 00  31 2e 32 2e 33 2e 34 00
    `).toString('hex'));
  });

  it('text beyond ASCII: in the declared character set; UTF-8 declared (ISO_IR 192) when none is', () => {
    const latin = encodeIdentifier(buildIdentifier([parseKey('SpecificCharacterSet=ISO_IR 100'), parseKey('PatientName=Müller')]), EXPLICIT_LE);
    assert.ok(latin.includes(Buffer.from('M\xfcller', 'latin1')), latin.toString('hex'));
    const utf8 = encodeIdentifier(buildIdentifier([parseKey('PatientName=Müller^Chärlie')]), EXPLICIT_LE);
    assert.equal(utf8.toString('hex'), hex(`
      08 00 05 00  43 53 0a 00  49 53 4f 5f 49 52 20 31 39 32   // (0008,0005) CS "ISO_IR 192"
      10 00 10 00  50 4e 10 00  4d c3 bc 6c 6c 65 72 5e 43 68 c3 a4 72 6c 69 65   // "Müller^Chärlie" in UTF-8
    `).toString('hex'));
    const object = encodeIdentifier({ '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }] } }, EXPLICIT_LE);
    assert.ok(object.includes(Buffer.from('Yamada^Tarou=山田^太郎', 'utf8')));
    assert.throws(() => encodeIdentifier(buildIdentifier([parseKey('SpecificCharacterSet=ISO_IR 144'), parseKey('PatientName=Müller')]), EXPLICIT_LE), /cannot be written in the character set ISO_IR 144/);
  });

  it('a plain retrieve\'s keys and Identifier never load dcmjs (~50 ms at every start)', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { buildIdentifier, encodeIdentifier, parseKey, key } = await import(${JSON.stringify(new URL('../../src/dicom/identifier.ts', import.meta.url).href)});
      const ds = buildIdentifier([key('QueryRetrieveLevel', 'STUDY'), parseKey('StudyInstanceUID=1.2.3'), parseKey('PatientID=12'), key('SOPClassesInStudy', '')]);
      encodeIdentifier(ds, '1.2.840.10008.1.2.1');
      encodeIdentifier(ds, '1.2.840.10008.1.2');
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('dcmjs'));
      parseKey('Rows=512'); // not a common attribute: now dcmjs is needed
      const after = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('dcmjs'));
      console.log(JSON.stringify({ loaded, after: after.length }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { loaded: string[]; after: number };
    assert.deepEqual(out.loaded, []);
    assert.ok(out.after > 0, 'control: a rarer keyword does load dcmjs, so the check above can see it');
  });
});

// An Explicit VR Little Endian data set with an undefined-length sequence (nested items, a nested
// undefined-length sequence, a decoy (0020,000D) inside) before the wanted top-level tags. PS3.5 7.5.
const EXPLICIT_DS = hex(`
  08 00 52 00  43 53 06 00  53 54 55 44 59 20                  // (0008,0052) CS "STUDY "
  08 00 58 00  55 49 0c 00  31 2e 32 2e 33 5c 31 2e 32 2e 34 00 // (0008,0058) UI "1.2.3\\1.2.4"
  08 00 15 11  53 51 00 00  ff ff ff ff                        // (0008,1115) SQ, undefined length
    fe ff 00 e0  ff ff ff ff                                   //   Item, undefined length
      08 00 40 11  53 51 00 00  ff ff ff ff                    //     (0008,1140) SQ, undefined length
        fe ff 00 e0  0c 00 00 00                               //       Item, length 12
          08 00 55 11  55 49 04 00  31 2e 35 35                //         (0008,1155) UI "1.55"
        fe ff dd e0  00 00 00 00                               //       Sequence Delimitation Item
      20 00 0d 00  55 49 04 00  39 2e 39 39                    //     decoy (0020,000D) UI "9.99"
    fe ff 0d e0  00 00 00 00                                   //   Item Delimitation Item
    fe ff 00 e0  0a 00 00 00                                   //   Item, length 10
      20 00 0e 00  55 49 02 00  34 32                          //     (0020,000E) UI "42"
  fe ff dd e0  00 00 00 00                                     // Sequence Delimitation Item
  20 00 0d 00  55 49 06 00  31 2e 32 2e 33 00                  // (0020,000D) UI "1.2.3"
  20 00 0e 00  55 49 04 00  37 2e 37 37                        // (0020,000E) UI "7.77"
`);

// The same in Implicit VR Little Endian (PS3.5 7.1.3, 7.5.1).
const IMPLICIT_DS = hex(`
  08 00 52 00  06 00 00 00  53 54 55 44 59 20
  08 00 58 00  0c 00 00 00  31 2e 32 2e 33 5c 31 2e 32 2e 34 00
  08 00 15 11  ff ff ff ff                                     // (0008,1115), undefined length
    fe ff 00 e0  ff ff ff ff
      08 00 40 11  ff ff ff ff
        fe ff 00 e0  0c 00 00 00
          08 00 55 11  04 00 00 00  31 2e 35 35
        fe ff dd e0  00 00 00 00
      20 00 0d 00  04 00 00 00  39 2e 39 39                    //     decoy
    fe ff 0d e0  00 00 00 00
    fe ff 00 e0  0a 00 00 00
      20 00 0e 00  02 00 00 00  34 32
  fe ff dd e0  00 00 00 00
  20 00 0d 00  06 00 00 00  31 2e 32 2e 33 00
  20 00 0e 00  04 00 00 00  37 2e 37 37
`);

const WANTED = [0x00080058, 0x0020000d, 0x0020000e];
const EXPECTED = new Map([[0x00080058, ['1.2.3', '1.2.4']], [0x0020000d, ['1.2.3']], [0x0020000e, ['7.77']]]);
const TOP_LEVEL = [0x00080052, 0x00080058, 0x00081115, 0x0020000d, 0x0020000e];

describe('walkDataSet / readStrings (PS3.5 7.1, 7.5)', () => {
  for (const [name, bytes, ts] of [['explicit', EXPLICIT_DS, EXPLICIT_LE], ['implicit', IMPLICIT_DS, IMPLICIT_LE]] as const) {
    it(`${name}: visits only the top-level elements, skipping nested items`, () => {
      const seen: [number, string, boolean][] = [];
      walkDataSet(bytes, ts, (e) => { seen.push([e.tag, e.vr, e.value !== undefined]); });
      assert.deepEqual(seen.map(([t]) => t), TOP_LEVEL);
      assert.deepEqual(seen[2], [0x00081115, 'SQ', false], 'an undefined-length sequence has no value view');
    });

    it(`${name}: readStrings finds the tags after the sequence, not the decoy inside it`, () => {
      assert.deepEqual(readStrings(bytes, ts, WANTED), EXPECTED);
      assert.deepEqual(readStrings(bytes, ts, [0x0020000d]), new Map([[0x0020000d, ['1.2.3']]]));
      assert.deepEqual(readStrings(bytes, ts, [0x00100010]), new Map());
    });

    it(`${name}: visit returning false stops the walk`, () => {
      const seen: number[] = [];
      walkDataSet(bytes, ts, (e) => { seen.push(e.tag); return seen.length < 2; });
      assert.deepEqual(seen, TOP_LEVEL.slice(0, 2));
    });

    it(`${name}: stops once every wanted tag is found, so a head is enough`, () => {
      const head = bytes.subarray(0, 40); // cut inside the sequence, after (0008,0058)
      assert.deepEqual(readStrings(head, ts, [0x00080058]), new Map([[0x00080058, ['1.2.3', '1.2.4']]]));
      assert.throws(() => readStrings(head, ts, [0x00080058, 0x0020000d]), TruncatedDataSet);
    });

    it(`${name}: truncated input throws TruncatedDataSet, never another error`, () => {
      const boundaries = new Set<number>();
      walkDataSet(bytes, ts, (e) => { boundaries.add(e.offset); });
      boundaries.add(bytes.length);
      const sequenceStart = 34;
      const sequenceEnd = bytes.length - 26; // the two top-level elements after it: 14 + 12 bytes
      for (let cut = 1; cut < bytes.length; cut++) {
        const head = bytes.subarray(0, cut);
        let threw: unknown;
        try {
          readStrings(head, ts, WANTED);
        } catch (err) {
          threw = err;
        }
        if (boundaries.has(cut)) {
          assert.equal(threw, undefined, `cut at element boundary ${cut}`);
        } else {
          assert.ok(threw instanceof TruncatedDataSet, `cut ${cut}: ${String(threw)}`);
        }
        if (cut > sequenceStart && cut < sequenceEnd) assert.ok(threw instanceof TruncatedDataSet, `cut ${cut} inside the sequence`);
      }
    });
  }

  it('an explicit UN of undefined length holds implicit VR inside (PS3.5 6.2.2)', () => {
    const bytes = hex(`
      09 00 00 10  55 4e 00 00  ff ff ff ff                    // (0009,1000) UN, undefined length
        fe ff 00 e0  ff ff ff ff                               //   Item, undefined length
          08 00 00 01  04 00 00 00  41 42 43 44                //     implicit (0008,0100) "ABCD"
        fe ff 0d e0  00 00 00 00
      fe ff dd e0  00 00 00 00
      20 00 0d 00  55 49 06 00  31 2e 32 2e 33 00
    `);
    assert.deepEqual(readStrings(bytes, EXPLICIT_LE, [0x0020000d]), new Map([[0x0020000d, ['1.2.3']]]));
  });

  it('encapsulated Pixel Data fragments are skipped (PS3.5 A.4)', () => {
    const bytes = hex(`
      20 00 0d 00  55 49 06 00  31 2e 32 2e 33 00
      e0 7f 10 00  4f 42 00 00  ff ff ff ff                    // (7FE0,0010) OB, undefined length
        fe ff 00 e0  00 00 00 00                               //   Basic Offset Table, empty
        fe ff 00 e0  04 00 00 00  de ad be ef                  //   fragment
      fe ff dd e0  00 00 00 00
      fc ff fc ff  4f 42 00 00  02 00 00 00  00 00             // (FFFC,FFFC) Data Set Trailing Padding
    `);
    const seen: number[] = [];
    walkDataSet(bytes, '1.2.840.10008.1.2.4.50', (e) => { seen.push(e.tag); });
    assert.deepEqual(seen, [0x0020000d, 0x7fe00010, 0xfffcfffc]);
  });

  it('an element length past the end throws TruncatedDataSet', () => {
    const bytes = hex('20 00 0d 00  55 49 40 00  31 2e 32');
    assert.throws(() => readStrings(bytes, EXPLICIT_LE, [0x0020000d]), TruncatedDataSet);
    const implicit = hex('20 00 0d 00  00 00 00 80  31 2e 32');
    assert.throws(() => readStrings(implicit, IMPLICIT_LE, [0x0020000d]), TruncatedDataSet);
  });
});
