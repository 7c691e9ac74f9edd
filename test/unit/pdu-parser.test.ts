// The streaming PDU parser (PS3.8 9.3): control PDUs gathered, PDVs streamed, bounds enforced.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { PduParser, type PduParserOptions } from '../../src/ul/pdu-parser.ts';
import { encodeAssociateAc } from '../../src/ul/a-associate.ts';
import { PDU_TYPE, type ControlPdu } from '../../src/ul/pdu-types.ts';
import { ProtocolError } from '../../src/ul/protocol-error.ts';
import { pdu } from '../support/raw-peer.ts';


interface Pdv { contextId: number; control: number; data: Buffer }

/** A P-DATA-TF holding several PDV items (PS3.8 9.3.5 Table 9-22, 9.3.5.1 Table 9-23). */
function pDataTf(pdvs: Pdv[]): Buffer {
  return pdu(PDU_TYPE.P_DATA_TF, Buffer.concat(pdvs.map((p) => {
    const h = Buffer.alloc(6);
    h.writeUInt32BE(2 + p.data.length, 0);
    h[4] = p.contextId;
    h[5] = p.control;
    return Buffer.concat([h, p.data]);
  })));
}

type Event = { kind: 'control'; pdu: ControlPdu } | { kind: 'pdv'; contextId: number; control: number; data: Buffer };

/** Feeds `chunks` and folds PDV fragments into whole PDVs, checking the fragment contract on the way. */
function run(chunks: Buffer[], options: PduParserOptions = { maxPDataLength: 0 }): Event[] {
  const events: Event[] = [];
  let open: { contextId: number; control: number; parts: Buffer[] } | undefined;
  const parser = new PduParser({
    onControlPdu(p) {
      assert.equal(open, undefined, 'a control PDU inside an unfinished PDV');
      events.push({ kind: 'control', pdu: p });
    },
    onPdv(contextId, control, data, end) {
      if (open) {
        assert.equal(contextId, open.contextId, 'context changed inside one PDV');
        assert.equal(control, open.control, 'control header changed inside one PDV');
      } else {
        open = { contextId, control, parts: [] };
      }
      assert.ok(data.length > 0 || (end && open.parts.length === 0), 'an empty fragment that is not a whole empty PDV');
      open.parts.push(Buffer.from(data)); // the view is valid only during the call
      if (end) {
        events.push({ kind: 'pdv', contextId, control, data: Buffer.concat(open.parts) });
        open = undefined;
      }
    },
  }, options);
  for (const c of chunks) parser.push(c);
  assert.equal(open, undefined, 'stream ended inside a PDV');
  assert.ok(parser.idle, 'parser idle at the end of the stream');
  return events;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomChunks(stream: Buffer, random: () => number, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < stream.length;) {
    const size = 1 + Math.floor(random() * maxChunk);
    chunks.push(stream.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

const AC = encodeAssociateAc({
  calledAeTitle: 'SCP', callingAeTitle: 'SCU',
  presentationContexts: [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2.1' }, { id: 3, result: 4, transferSyntax: '' }],
  userInformation: { maxLength: 16384, implementationClassUid: '1.2.3', roleSelections: [], extendedNegotiations: [], unknown: [] },
});

const BIG = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));

const EXPECTED_PDVS: Pdv[] = [
  { contextId: 1, control: 0x03, data: Buffer.from('command set, whole') },
  { contextId: 1, control: 0x00, data: Buffer.from('data part one ') },
  { contextId: 1, control: 0x00, data: Buffer.from('data part two ') },
  { contextId: 1, control: 0x02, data: Buffer.from('data part three, last') },
  { contextId: 3, control: 0x01, data: Buffer.from('cmd frag 1 ') },
  { contextId: 3, control: 0x03, data: Buffer.alloc(0) }, // zero-length PDV
  { contextId: 5, control: 0x02, data: BIG },
];

const STREAM = Buffer.concat([
  AC,
  pDataTf(EXPECTED_PDVS.slice(0, 2)),
  pDataTf(EXPECTED_PDVS.slice(2, 4)),
  pDataTf(EXPECTED_PDVS.slice(4, 6)),
  pDataTf(EXPECTED_PDVS.slice(6)),
  pdu(PDU_TYPE.A_RELEASE_RP, [0, 0, 0, 0]),
  pdu(PDU_TYPE.A_ABORT, [0, 0, 2, 1]),
]);

function summary(events: Event[]): unknown[] {
  return events.map((e) => e.kind === 'control' ? ['control', e.pdu.type] : ['pdv', e.contextId, e.control, e.data.toString('hex')]);
}

const EXPECTED_SUMMARY = [
  ['control', PDU_TYPE.A_ASSOCIATE_AC],
  ...EXPECTED_PDVS.map((p) => ['pdv', p.contextId, p.control, p.data.toString('hex')]),
  ['control', PDU_TYPE.A_RELEASE_RP],
  ['control', PDU_TYPE.A_ABORT],
];

describe('PduParser: a stream of PDUs', () => {
  it('fed whole: the control PDUs and every PDV in order', () => {
    const events = run([STREAM]);
    assert.deepEqual(summary(events), EXPECTED_SUMMARY);
    const ac = events[0]!;
    assert.ok(ac.kind === 'control' && ac.pdu.type === PDU_TYPE.A_ASSOCIATE_AC);
    assert.deepEqual(ac.pdu.presentationContexts.map((pc) => [pc.id, pc.result]), [[1, 0], [3, 4]]);
    const abort = events.at(-1)!;
    assert.deepEqual(abort.kind === 'control' && abort.pdu, { type: PDU_TYPE.A_ABORT, source: 2, reason: 1 });
  });

  it('fed byte by byte: the same', () => {
    const chunks: Buffer[] = [];
    for (let i = 0; i < STREAM.length; i++) chunks.push(STREAM.subarray(i, i + 1));
    assert.deepEqual(summary(run(chunks)), EXPECTED_SUMMARY);
  });

  it('fed in random chunk sizes, 200 seeds: the same', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = mulberry32(seed);
      const chunks = randomChunks(STREAM, random, seed % 3 === 0 ? 7 : seed % 3 === 1 ? 64 : 1500);
      assert.deepEqual(summary(run(chunks)), EXPECTED_SUMMARY, `seed ${seed}`);
    }
  });

  it('hands PDV data on as views of the pushed chunk, not copies', () => {
    const stream = pDataTf([{ contextId: 1, control: 2, data: Buffer.from('hello') }]);
    const seen: Buffer[] = [];
    const parser = new PduParser({ onControlPdu() {}, onPdv(_c, _k, data) { seen.push(data); } }, { maxPDataLength: 0 });
    parser.push(stream);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.buffer, stream.buffer);
    assert.equal(seen[0]!.byteOffset, stream.byteOffset + 12);
  });

  it('a zero-length PDV is one call with empty data and end true', () => {
    const calls: [number, number, number, boolean][] = [];
    const parser = new PduParser({ onControlPdu() {}, onPdv(c, k, d, e) { calls.push([c, k, d.length, e]); } }, { maxPDataLength: 0 });
    parser.push(pDataTf([{ contextId: 9, control: 0x02, data: Buffer.alloc(0) }]));
    assert.deepEqual(calls, [[9, 0x02, 0, true]]);
    assert.ok(parser.idle);
  });

  it('announces each P-DATA-TF before its PDVs (onPDataTf: the state machine\'s Evt10), byte by byte too', () => {
    for (const step of [STREAM.length, 1]) {
      const seen: string[] = [];
      const parser = new PduParser({
        onControlPdu(p) { seen.push(`pdu ${p.type}`); },
        onPDataTf() { seen.push('P-DATA-TF'); },
        onPdv(c, _k, _d, end) { if (end) seen.push(`pdv ${c}`); },
      }, { maxPDataLength: 0 });
      for (let i = 0; i < STREAM.length; i += step) parser.push(STREAM.subarray(i, i + step));
      assert.deepEqual(seen, ['pdu 2', 'P-DATA-TF', 'pdv 1', 'pdv 1', 'P-DATA-TF', 'pdv 1', 'pdv 1', 'P-DATA-TF', 'pdv 3', 'pdv 3', 'P-DATA-TF', 'pdv 5', 'pdu 6', 'pdu 7'], `step ${step}`);
    }
  });

  it('is not idle mid-PDU', () => {
    const parser = new PduParser({ onControlPdu() {}, onPdv() {} }, { maxPDataLength: 0 });
    parser.push(STREAM.subarray(0, 3));
    assert.equal(parser.idle, false);
    parser.push(STREAM.subarray(3, AC.length));
    assert.equal(parser.idle, true);
  });
});

function assertProtocolError(chunks: Buffer[], options: PduParserOptions, abortReason?: number): void {
  const parser = new PduParser({ onControlPdu() {}, onPdv() {} }, options);
  assert.throws(() => { for (const c of chunks) parser.push(c); }, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    if (abortReason !== undefined) assert.equal(err.abortReason, abortReason);
    return true;
  });
}

describe('PduParser: limits and malformed PDUs', () => {
  it('a P-DATA-TF longer than the Maximum Length we announced (D.1)', () => {
    const ok = pDataTf([{ contextId: 1, control: 0, data: Buffer.alloc(94) }]); // PDU length 100
    assert.equal(ok.readUInt32BE(2), 100);
    assert.deepEqual(summary(run([ok], { maxPDataLength: 100 })), [['pdv', 1, 0, Buffer.alloc(94).toString('hex')]]);
    const over = pDataTf([{ contextId: 1, control: 0, data: Buffer.alloc(95) }]); // 101
    assertProtocolError([over], { maxPDataLength: 100 }, 0x06);
    // refused on the header alone, before any of the body arrives
    assertProtocolError([over.subarray(0, 6)], { maxPDataLength: 100 });
  });

  it('a PDV item length overrunning its PDU', () => {
    const body = Buffer.alloc(6 + 4);
    body.writeUInt32BE(20, 0); // claims 20, the PDU holds 2 + 4
    body[4] = 1;
    assertProtocolError([pdu(PDU_TYPE.P_DATA_TF, body)], { maxPDataLength: 0 });
    assertProtocolError([pdu(PDU_TYPE.P_DATA_TF, body)], { maxPDataLength: 16384 });
    // by a single byte: the item length field (4) + item length 7 = 11 > the PDU's 10; seen on the
    // PDV header alone, before the next PDU arrives
    body.writeUInt32BE(7, 0);
    assertProtocolError([pdu(PDU_TYPE.P_DATA_TF, body).subarray(0, 12)], { maxPDataLength: 0 });
    body.writeUInt32BE(6, 0); // exact fit
    assert.deepEqual(summary(run([pdu(PDU_TYPE.P_DATA_TF, body)])), [['pdv', 1, 0, '00000000']]);
  });

  it('a PDV item length below 2 (no room for context ID and control header)', () => {
    for (const itemLength of [0, 1]) {
      const body = Buffer.alloc(6);
      body.writeUInt32BE(itemLength, 0);
      assertProtocolError([pdu(PDU_TYPE.P_DATA_TF, body)], { maxPDataLength: 0 });
    }
  });

  it('a P-DATA-TF too short to hold a PDV header', () => {
    for (const length of [0, 1, 5]) assertProtocolError([pdu(PDU_TYPE.P_DATA_TF, Buffer.alloc(length))], { maxPDataLength: 0 });
  });

  it('bytes left in a P-DATA-TF after its PDVs that cannot form a PDV', () => {
    const pdata = pDataTf([{ contextId: 1, control: 2, data: Buffer.from('x') }]);
    const padded = Buffer.concat([pdata, Buffer.from([0, 0, 0])]);
    padded.writeUInt32BE(pdata.length - 6 + 3, 2);
    assertProtocolError([padded, pdu(PDU_TYPE.A_RELEASE_RP, [0, 0, 0, 0])], { maxPDataLength: 0 });
  });

  it('an unknown PDU type 0x0A: abort reason 1, unrecognized PDU (Table 9-26)', () => {
    assertProtocolError([pdu(0x0a, [0, 0, 0, 0])], { maxPDataLength: 0 }, 0x01);
    assertProtocolError([pdu(0x00, [0, 0, 0, 0])], { maxPDataLength: 0 }, 0x01);
  });

  it('a control PDU over the bound is refused on its header, before any allocation', () => {
    const header = Buffer.from([PDU_TYPE.A_ASSOCIATE_AC, 0, 0, 0, 0x03, 0xe9]); // 1001
    assertProtocolError([header], { maxPDataLength: 0, maxControlPduLength: 1000 });
    assertProtocolError([Buffer.from([PDU_TYPE.A_ASSOCIATE_RQ, 0, 0xff, 0xff, 0xff, 0xff])], { maxPDataLength: 0 });
    assert.equal(run([AC], { maxPDataLength: 0, maxControlPduLength: AC.length - 6 }).length, 1);
  });

  it('A-ABORT, A-RELEASE and A-ASSOCIATE-RJ with a length other than 4', () => {
    for (const type of [PDU_TYPE.A_ABORT, PDU_TYPE.A_RELEASE_RQ, PDU_TYPE.A_RELEASE_RP, PDU_TYPE.A_ASSOCIATE_RJ]) {
      for (const length of [0, 3, 5]) assertProtocolError([pdu(type, Buffer.alloc(length))], { maxPDataLength: 0 }, 0x06);
    }
  });

  it('a malformed A-ASSOCIATE-AC body is a ProtocolError from the parser too', () => {
    assertProtocolError([pdu(PDU_TYPE.A_ASSOCIATE_AC, Buffer.alloc(10))], { maxPDataLength: 0 });
    const bad = Buffer.from(AC);
    bad.writeUInt16BE(0xffff, 6 + 68 + 2); // application context item length overruns
    assertProtocolError([bad], { maxPDataLength: 0 });
  });

  it('random garbage gives ProtocolError or nothing, never another error (100 seeds)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const random = mulberry32(seed);
      const junk = Buffer.from(Array.from({ length: 200 }, () => Math.floor(random() * 256)));
      junk[0] = 1 + Math.floor(random() * 7); // mostly known PDU types
      const parser = new PduParser({ onControlPdu() {}, onPdv() {} }, { maxPDataLength: 16384, maxControlPduLength: 4096 });
      try {
        for (const c of randomChunks(junk, random, 17)) parser.push(c);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `seed ${seed}: ${String(err)}`);
      }
    }
  });
});
