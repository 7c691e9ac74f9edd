// --layout values from the head of a data set (src/output/output-layout.ts): read further when
// the head ends before a placeholder's attribute, and a warning that names a missing one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileLayout, LAYOUT_HEAD_BYTES } from '../../src/output/output-layout.ts';
import { explicitElement } from '../support/bytes.ts';

const naming = { sopClassUid: '1.2.3', sopInstanceUid: '1.2.3.4', transferSyntaxUid: '1.2.840.10008.1.2.1' };
const dataSet = Buffer.concat([
  explicitElement(0x00080005, 'CS', Buffer.from('ISO_IR 100')),
  explicitElement(0x00090010, 'LO', Buffer.from('PRIVATE ')),
  explicitElement(0x00091001, 'OB', Buffer.alloc(90 * 1024)),
  explicitElement(0x00100010, 'PN', Buffer.from('M\xfcller ', 'latin1')),
  explicitElement(0x00100020, 'LO', Buffer.from('ID42')),
]);

describe('--layout beyond the head', () => {
  it('reads further from the file when the head ends inside a large element before the attribute', () => {
    const warnings: string[] = [];
    const layout = compileLayout('{PatientName}/{PatientID}/{SOPInstanceUID}.dcm', (m) => warnings.push(m));
    const head = dataSet.subarray(0, LAYOUT_HEAD_BYTES);
    const reads: number[] = [];
    const name = layout.render(naming, head, (length) => { reads.push(length); return dataSet.subarray(0, length); });
    assert.equal(name, 'Müller/ID42/1.2.3.4.dcm');
    assert.deepEqual(reads, [LAYOUT_HEAD_BYTES * 4], 'one bounded read');
    assert.deepEqual(warnings, []);
  });

  it('without a way to read further: named "unknown-…", with one warning that says which attribute and why', () => {
    const warnings: string[] = [];
    const layout = compileLayout('{PatientName}/{SOPInstanceUID}.dcm', (m) => warnings.push(m));
    const head = dataSet.subarray(0, LAYOUT_HEAD_BYTES);
    assert.equal(layout.render(naming, head), 'unknown-PatientName/1.2.3.4.dcm');
    assert.equal(layout.render(naming, head), 'unknown-PatientName/1.2.3.4.dcm');
    assert.deepEqual(warnings, ['--layout: PatientName (0010,0010) is not within the first 64 KiB read of instance 1.2.3.4; its file goes under "unknown-PatientName" (so do others like it)']);
  });
});
