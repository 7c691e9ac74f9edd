// The DIMSE channel's receive side (PS3.7 9.2, PS3.8 Annex E): command fragments gathered or,
// in one fragment, decoded from the read buffer's view. The view dies with the call (the socket's
// read buffer is reused), so what the layer above is handed must own its values.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { DimseChannel, type DatasetSink } from '../../src/dimse/channel.ts';
import { COMMAND_FIELD } from '../../src/dimse/command-field.ts';
import { DATA_SET_PRESENT, encodeCommandSet, type CommandSet } from '../../src/dimse/command-set.ts';
import type { Association, DataListener, NegotiatedContext } from '../../src/ul/association.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const CONTEXT: NegotiatedContext = {
  id: 1, abstractSyntax: CT, proposedTransferSyntaxes: ['1.2.840.10008.1.2.1'], result: 0, accepted: true,
  transferSyntax: '1.2.840.10008.1.2.1', scuRole: false, scpRole: true,
};
const STORE_RQ: CommandSet = {
  commandField: COMMAND_FIELD.C_STORE_RQ, messageId: 7, affectedSopClassUid: CT, priority: 0,
  commandDataSetType: DATA_SET_PRESENT, affectedSopInstanceUid: '1.2.826.0.1.3680043.2.1125.1.12345678901234567890',
  moveOriginatorAeTitle: 'ORIGIN',
};
const COMMAND = 0x01;
const LAST = 0x02;

/** The channel over the one thing it needs below it: an association's accepted contexts. */
function channel(): { listener: DataListener; stores: CommandSet[]; sinks: Buffer[][] } {
  let listener!: DataListener;
  const association = { contexts: new Map([[1, CONTEXT]]), setDataListener: (l: DataListener) => { listener = l; } } as unknown as Association;
  const stores: CommandSet[] = [];
  const sinks: Buffer[][] = [];
  new DimseChannel(association, {
    onStoreRequest: (command): DatasetSink => {
      stores.push(command);
      const got: Buffer[] = [];
      sinks.push(got);
      return { write: (c) => got.push(Buffer.from(c)), end: () => {}, abort: () => {} };
    },
    onMessage: () => {},
    onClose: () => {},
  });
  return { listener, stores, sinks };
}

describe('DimseChannel: a received command set', () => {
  const bytes = encodeCommandSet(STORE_RQ);

  it('in one fragment: decoded from the view, and every value outlives the read buffer', () => {
    const c = channel();
    const readBuffer = Buffer.from(bytes);
    c.listener.onPdv(1, COMMAND | LAST, readBuffer, true);
    readBuffer.fill(0xff); // the socket's next read
    assert.deepEqual(c.stores, [STORE_RQ]);
  });

  for (const cuts of [[1], [12, 40], [bytes.length - 1]]) {
    it(`in ${cuts.length + 1} fragments (cut at ${cuts.join(', ')}): gathered, then decoded`, () => {
      const c = channel();
      const edges = [0, ...cuts, bytes.length];
      for (let i = 0; i + 1 < edges.length; i++) {
        const readBuffer = Buffer.from(bytes.subarray(edges[i], edges[i + 1]));
        const last = i + 2 === edges.length;
        // Each fragment a PDV of its own (PS3.8 E.2: only the last has the last-fragment bit).
        c.listener.onPdv(1, COMMAND | (last ? LAST : 0), readBuffer, true);
        readBuffer.fill(0xff);
      }
      assert.deepEqual(c.stores, [STORE_RQ]);
    });
  }

  it('a PDV split across two reads (end false, then true) is gathered too', () => {
    const c = channel();
    const first = Buffer.from(bytes.subarray(0, 30));
    c.listener.onPdv(1, COMMAND | LAST, first, false);
    first.fill(0xff);
    c.listener.onPdv(1, COMMAND | LAST, Buffer.from(bytes.subarray(30)), true);
    assert.deepEqual(c.stores, [STORE_RQ]);
  });

  it('the next command after a one-fragment one starts afresh', () => {
    const c = channel();
    c.listener.onPdv(1, COMMAND | LAST, Buffer.from(bytes), true);
    c.listener.onPdv(1, LAST, Buffer.from('data'), true);
    const second = { ...STORE_RQ, messageId: 8 };
    c.listener.onPdv(1, COMMAND | LAST, encodeCommandSet(second), true);
    assert.deepEqual(c.stores, [STORE_RQ, second]);
    assert.deepEqual(c.sinks[0]!.map(String), ['data']);
  });
});
