// P-DATA-TF send side: PS3.8 9.3.5 (PDU and PDV item), D.1 (Maximum Length), E.2 (control header).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { UNLIMITED_SEND_FRAGMENT, encodePDataTf } from '../../src/ul/p-data-tf.ts';

interface ParsedPdu { pduLength: number; itemLength: number; contextId: number; control: number; data: Buffer }

/** Reads the PDUs back by hand: PDU header 6 bytes, then exactly one PDV item per PDU. */
function parse(parts: Buffer[]): ParsedPdu[] {
  assert.equal(parts.length % 2, 0, 'header and data views alternate');
  const out: ParsedPdu[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const header = parts[i]!;
    const data = parts[i + 1]!;
    assert.equal(header.length, 12, 'PDU header 6 + PDV header 6');
    assert.equal(header[0], 0x04, 'PDU-type 04H');
    assert.equal(header[1], 0x00, 'reserved');
    const pduLength = header.readUInt32BE(2);
    const itemLength = header.readUInt32BE(6);
    assert.equal(pduLength, 4 + itemLength, 'one PDV per PDU: the PDU length is the item plus its length field');
    assert.equal(itemLength, 2 + data.length, 'item length counts context ID, control header and data (9.3.5.1)');
    out.push({ pduLength, itemLength, contextId: header[10]!, control: header[11]!, data });
  }
  return out;
}

describe('encodePDataTf (PS3.8 9.3.5)', () => {
  it('writes the header bytes of a small single-PDV command PDU', () => {
    const data = Buffer.from('abcd');
    const parts = encodePDataTf(5, true, data, 16384);
    assert.equal(parts.length, 2);
    assert.equal(parts[0]!.toString('hex'), [
      '04', '00', '0000000a', // P-DATA-TF, reserved, PDU length 10 = PDV 4 + 2 + 4
      '00000006', '05', '03', // item length 6, context 5, control: command + last
    ].join(''));
    assert.equal(parts[1]!.toString(), 'abcd');
  });

  it("fragments to the peer's Maximum Length, which bounds the PDU's variable field (D.1)", () => {
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    for (const peerMax of [7, 16, 100, 106, 994, 1000, 1005, 1006, 1007, 4096]) {
      const pdus = parse(encodePDataTf(1, false, data, peerMax));
      const perFragment = peerMax - 6;
      assert.equal(pdus.length, Math.ceil(data.length / perFragment), `fragment count for ${peerMax}`);
      for (const [i, pdu] of pdus.entries()) {
        assert.ok(pdu.pduLength <= peerMax, `PDU length ${pdu.pduLength} over ${peerMax}`);
        if (i < pdus.length - 1) assert.equal(pdu.data.length, perFragment, 'every fragment but the last is full');
      }
      assert.deepEqual(Buffer.concat(pdus.map((p) => p.data)), data);
    }
  });

  it('uses the full Maximum Length: a part of exactly max - 6 bytes goes in one PDU', () => {
    const pdus = parse(encodePDataTf(1, false, Buffer.alloc(100), 106));
    assert.equal(pdus.length, 1);
    assert.equal(pdus[0]!.pduLength, 106);
    assert.equal(parse(encodePDataTf(1, false, Buffer.alloc(101), 106)).length, 2);
  });

  it('sets the message control header bits (E.2): bit 0 command, bit 1 last fragment', () => {
    const data = Buffer.alloc(25);
    for (const command of [true, false]) {
      const pdus = parse(encodePDataTf(3, command, data, 16)); // 10 data bytes per PDV: 3 fragments
      assert.deepEqual(pdus.map((p) => p.control), command ? [0x01, 0x01, 0x03] : [0x00, 0x00, 0x02]);
      assert.ok(pdus.every((p) => p.contextId === 3));
      assert.ok(pdus.every((p) => (p.control & 0xfc) === 0), 'bits 2-7 are 0');
    }
  });

  it('does not add an empty fragment when the data divides evenly', () => {
    const pdus = parse(encodePDataTf(1, true, Buffer.alloc(20), 16));
    assert.deepEqual(pdus.map((p) => [p.data.length, p.control]), [[10, 0x01], [10, 0x03]]);
  });

  it('sends zero-length data as one PDV with the last bit set', () => {
    const parts = encodePDataTf(7, false, Buffer.alloc(0), 16384);
    assert.equal(parts.length, 2);
    assert.equal(parts[0]!.toString('hex'), '04000000000600000002' + '07' + '02');
    assert.equal(parts[1]!.length, 0);
  });

  it('with no limit (Maximum Length 0, D.1), sends up to UNLIMITED_SEND_FRAGMENT per PDU', () => {
    const small = parse(encodePDataTf(1, false, Buffer.alloc(100_000), 0));
    assert.equal(small.length, 1);
    assert.equal(small[0]!.data.length, 100_000);
    const big = Buffer.alloc(2 * UNLIMITED_SEND_FRAGMENT + 5);
    const pdus = parse(encodePDataTf(1, false, big, 0));
    assert.deepEqual(pdus.map((p) => p.data.length), [UNLIMITED_SEND_FRAGMENT, UNLIMITED_SEND_FRAGMENT, 5]);
    assert.deepEqual(pdus.map((p) => p.control), [0, 0, 2]);
  });

  it('refuses a Maximum Length that leaves no room for data', () => {
    for (const peerMax of [1, 5, 6]) assert.throws(() => encodePDataTf(1, false, Buffer.alloc(1), peerMax), RangeError);
    assert.equal(parse(encodePDataTf(1, false, Buffer.alloc(3), 7)).length, 3);
  });

  it('copies nothing: the data parts are views of the input', () => {
    const data = Buffer.from('0123456789abcdefghij');
    const parts = encodePDataTf(1, false, data, 13); // 7 bytes per fragment
    const views = parts.filter((_, i) => i % 2 === 1);
    let expectedOffset = data.byteOffset;
    for (const view of views) {
      assert.equal(view.buffer, data.buffer, 'same ArrayBuffer');
      assert.equal(view.byteOffset, expectedOffset);
      expectedOffset += view.length;
    }
    data[0] = 0x5a; // a write to the input shows through the view
    assert.equal(views[0]![0], 0x5a);
  });
});
