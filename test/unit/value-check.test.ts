// PS3.5 6.2: Identifier values that cannot be valid for their VR (src/dicom/value-check.ts), and
// the matching forms of PS3.4 C.2.2.2 that are.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DenaturalizedDataset } from 'dcmjs';
import { checkDataSet } from '../../src/dicom/value-check.ts';
import { UsageError } from '../../src/dicom/usage-error.ts';

const one = (tag: string, vr: string, Value: unknown[]): DenaturalizedDataset => ({ [tag]: { vr, Value } });
const ok = (ds: DenaturalizedDataset) => assert.doesNotThrow(() => checkDataSet(ds));
const bad = (ds: DenaturalizedDataset, pattern: RegExp) => assert.throws(() => checkDataSet(ds), (err: unknown) => err instanceof UsageError && pattern.test(err.message));

describe('checkDataSet', () => {
  it('valid values, matching forms included', () => {
    ok(one('0020000D', 'UI', ['1.2.3', '1.2.840.10008.5.1.4.1.1.2']));
    ok(one('00080020', 'DA', ['20240131']));
    ok(one('00080020', 'DA', ['20240101-']));
    ok(one('00080020', 'DA', ['-20240101']));
    ok(one('00080030', 'TM', ['1015']));
    ok(one('00080030', 'TM', ['101500.123456-1200']));
    ok(one('0008002A', 'DT', ['20240131101500.000000+0100']));
    ok({ '00080005': { vr: 'CS', Value: ['ISO_IR 192'] }, ...one('00100010', 'PN', ['Doe*', { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }]) });
    ok(one('00080061', 'CS', ['CT', 'MR']));
    ok(one('00200011', 'IS', [' 0012', 12]));
    ok(one('00101030', 'DS', ['1.50', '-2e3', 72.5]));
    ok(one('00280010', 'US', [512]));
    ok(one('00100020', 'LO', []));
    ok(one('00100020', 'LO', ['*']));
    ok({ '00081115': { vr: 'SQ', Value: [one('0020000E', 'UI', ['1.2'])] } });
    ok({ '00090010': { vr: 'LO', Value: ['PRIVATE'] }, '00091001': { vr: 'UT', Value: ['any'] } });
  });

  it('values that cannot be valid, each named with its attribute and the rule', () => {
    bad(one('0020000D', 'UI', ['1.2.3.abc']), /^StudyInstanceUID \(0020,000D\) "1\.2\.3\.abc" is not a UID/);
    bad(one('0020000D', 'UI', ['1.02.3']), /is not a UID/);
    bad(one('0020000D', 'UI', ['*']), /"\*" is not a UID/);
    bad(one('00080020', 'DA', ['2024-01-31']), /StudyDate \(0008,0020\) "2024-01-31" is not a date/);
    bad(one('00080030', 'TM', ['25:00']), /is not a time/);
    bad(one('00080061', 'CS', ['ct']), /is not a code string/);
    bad(one('00200011', 'IS', ['12.5']), /is not an integer string/);
    bad(one('00101030', 'DS', ['abc']), /is not a decimal string/);
    bad(one('00280010', 'US', [-1]), /Rows \(0028,0010\) -1 is not a whole number from 0 to 65535/);
    bad(one('00280010', 'US', ['512']), /"512" is not a whole number/);
    bad(one('00080050', 'SH', ['12345678901234567']), /is not a short string/);
    bad(one('00100010', 'PN', ['a=b=c=d']), /at most three component groups/);
  });

  it('VRs: unknown ones, and ones the attribute does not have', () => {
    bad(one('0020000D', 'XX', [1]), /has VR "XX", which is not a VR/);
    bad(one('0020000D', 'LO', ['1.2.3']), /has VR LO, but the attribute is UI/);
    ok(one('0020000D', 'UN', []));
  });

  it('values of the wrong type', () => {
    bad(one('0020000D', 'UI', [12]), /has a value that is not a string/);
    bad(one('00100010', 'PN', [{ Alphabetic: 3 }]), /is not a name or \{"Alphabetic": …\}/);
    bad({ '00081115': { vr: 'SQ', Value: ['x'] } }, /item 0 is not a data set/);
    bad({ '00081115': { vr: 'SQ', Value: [one('0020000E', 'UI', ['x'])] } }, /^ReferencedSeriesSequence \(0008,1115\)\[0\]\.SeriesInstanceUID \(0020,000E\) "x" is not a UID/);
  });

  it('text the declared character set cannot carry', () => {
    bad({ '00080005': { vr: 'CS', Value: ['ISO_IR 144'] }, '00100010': { vr: 'PN', Value: ['Müller'] } }, /cannot be written in the Specific Character Set ISO_IR 144/);
    ok({ '00080005': { vr: 'CS', Value: ['ISO_IR 100'] }, '00100010': { vr: 'PN', Value: ['Müller'] } });
  });
});
