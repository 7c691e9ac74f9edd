// The DIMSE command set (PS3.7 9.3, 6.3.1, Annex E): implicit VR little endian group 0000.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  DATA_SET_PRESENT, NO_DATA_SET, decodeCommandSet, encodeCommandPdu, encodeCommandSet, hasDataSet, type CommandSet,
} from '../../src/dimse/command-set.ts';
import { encodePDataTf } from '../../src/ul/p-data-tf.ts';
import fc from 'fast-check';
import { COMMAND_FIELD, PRIORITY, commandName } from '../../src/dimse/command-field.ts';
import { describeStatus, statusCategory } from '../../src/dimse/status.ts';
import { ProtocolError } from '../../src/ul/protocol-error.ts';
import { hex, assertProtocolError } from '../support/bytes.ts';

const VERIFICATION = '1.2.840.10008.1.1';
const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

// C-ECHO-RQ, PS3.7 9.3.5.1 Table 9.3-12; every element: tag (group, element) LE, 32-bit LE length
// (implicit VR, PS3.5 7.1.3), value. Group length = 26 + 10 + 10 + 10 = 56.
const C_ECHO_RQ = hex(`
  00 00 00 00  04 00 00 00  38 00 00 00      // (0000,0000) UL Command Group Length = 56 (E.1: first)
  00 00 02 00  12 00 00 00                   // (0000,0002) UI Affected SOP Class UID, length 18
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 31 2e 31 00   // "1.2.840.10008.1.1" + NUL pad (PS3.5 6.2 UI)
  00 00 00 01  02 00 00 00  30 00            // (0000,0100) US Command Field 0030H C-ECHO-RQ
  00 00 10 01  02 00 00 00  07 00            // (0000,0110) US Message ID 7
  00 00 00 08  02 00 00 00  01 01            // (0000,0800) US Command Data Set Type 0101H: no data set
`);

// C-GET-RSP, PS3.7 9.3.3.2 Table 9.3-6, final response with Warning and all four counters.
const C_GET_RSP = hex(`
  00 00 00 00  04 00 00 00  94 00 00 00      // (0000,0000) UL group length 148 = 36 + 4 x 10 + 12 + 20 + 4 x 10
  00 00 02 00  1c 00 00 00                   // (0000,0002) UI length 28
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 35 2e 31 2e 34 2e 31 2e 32 2e 32 2e 33 00
  00 00 00 01  02 00 00 00  10 80            // (0000,0100) Command Field 8010H C-GET-RSP
  00 00 20 01  02 00 00 00  05 00            // (0000,0120) Message ID Being Responded To 5
  00 00 00 08  02 00 00 00  01 01            // (0000,0800) Command Data Set Type: none
  00 00 00 09  02 00 00 00  00 b0            // (0000,0900) Status B000H
  00 00 01 09  04 00 00 00  10 00 20 00      // (0000,0901) AT Offending Element (0010,0020)
  00 00 02 09  0c 00 00 00                   // (0000,0902) LO Error Comment, length 12
  73 6f 6d 65 20 66 61 69 6c 65 64 20        // "some failed " (space pad, PS3.5 6.2 LO)
  00 00 20 10  02 00 00 00  00 00            // (0000,1020) Number of Remaining Sub-operations 0
  00 00 21 10  02 00 00 00  03 00            // (0000,1021) Number of Completed Sub-operations 3
  00 00 22 10  02 00 00 00  01 00            // (0000,1022) Number of Failed Sub-operations 1
  00 00 23 10  02 00 00 00  02 00            // (0000,1023) Number of Warning Sub-operations 2
`);

/** Walks group 0000 by hand: [tag, value] pairs. */
function elements(bytes: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  for (let o = 0; o < bytes.length;) {
    const tag = ((bytes.readUInt16LE(o) << 16) | bytes.readUInt16LE(o + 2)) >>> 0;
    const length = bytes.readUInt32LE(o + 4);
    out.push([tag, bytes.subarray(o + 8, o + 8 + length)]);
    o += 8 + length;
  }
  return out;
}

function assertWellFormed(bytes: Buffer): void {
  const els = elements(bytes);
  assert.equal(els[0]![0], 0x00000000, '(0000,0000) comes first');
  assert.equal(els[0]![1].readUInt32LE(0), bytes.length - 12, 'group length counts the bytes after it');
  const tags = els.map(([t]) => t);
  assert.deepEqual(tags, [...tags].sort((a, b) => a - b), 'ascending tag order');
  for (const [tag, value] of els) assert.equal(value.length % 2, 0, `(0000,${(tag & 0xffff).toString(16)}) has odd length`);
}

describe('encodeCommandSet', () => {
  it('writes a C-ECHO-RQ as the hand-made vector (PS3.7 9.3.5.1, E.1)', () => {
    assert.equal(C_ECHO_RQ.length, 12 + 56);
    const encoded = encodeCommandSet({
      commandField: COMMAND_FIELD.C_ECHO_RQ, messageId: 7, affectedSopClassUid: VERIFICATION, commandDataSetType: NO_DATA_SET,
    });
    assert.equal(encoded.toString('hex'), C_ECHO_RQ.toString('hex'));
    assert.deepEqual(decodeCommandSet(C_ECHO_RQ), {
      commandField: 0x0030, messageId: 7, affectedSopClassUid: VERIFICATION, commandDataSetType: 0x0101,
    });
  });

  const roundTrips: [string, CommandSet][] = [
    ['C-GET-RQ', {
      commandField: COMMAND_FIELD.C_GET_RQ, messageId: 1, affectedSopClassUid: STUDY_ROOT_GET,
      priority: PRIORITY.MEDIUM, commandDataSetType: DATA_SET_PRESENT,
    }],
    ['C-STORE-RSP', {
      commandField: COMMAND_FIELD.C_STORE_RSP, messageIdBeingRespondedTo: 0x1234, affectedSopClassUid: CT_IMAGE_STORAGE,
      affectedSopInstanceUid: '1.2.3.4.5', status: 0x0000, commandDataSetType: NO_DATA_SET,
    }],
    ['C-STORE-RSP with an error', {
      commandField: COMMAND_FIELD.C_STORE_RSP, messageIdBeingRespondedTo: 65535, affectedSopClassUid: CT_IMAGE_STORAGE,
      affectedSopInstanceUid: '1.2.3.4', status: 0xa700, errorComment: 'disk full', commandDataSetType: NO_DATA_SET,
    }],
    ['C-CANCEL-RQ', {
      commandField: COMMAND_FIELD.C_CANCEL_RQ, messageIdBeingRespondedTo: 1, commandDataSetType: NO_DATA_SET,
    }],
  ];
  for (const [name, command] of roundTrips) {
    it(`${name} round trips and is well formed`, () => {
      const encoded = encodeCommandSet(command);
      assertWellFormed(encoded);
      assert.deepEqual(decodeCommandSet(encoded), command);
    });
  }

  it('C-CANCEL-RQ carries exactly Command Field, Message ID Being Responded To, Data Set Type (PS3.7 9.3.2.3)', () => {
    const encoded = encodeCommandSet({ commandField: COMMAND_FIELD.C_CANCEL_RQ, messageIdBeingRespondedTo: 9, commandDataSetType: NO_DATA_SET });
    assert.equal(encoded.toString('hex'),
      '0000000004000000' + '1e000000' +
      '00000001' + '02000000' + 'ff0f' +
      '00002001' + '02000000' + '0900' +
      '00000008' + '02000000' + '0101');
  });

  it('pads UI with NUL and AE/LO with a space to even length', () => {
    const encoded = encodeCommandSet({
      commandField: COMMAND_FIELD.C_STORE_RSP, affectedSopInstanceUid: '1.2.3', errorComment: 'odd', moveDestination: 'AET',
      commandDataSetType: NO_DATA_SET,
    });
    const byTag = new Map(elements(encoded));
    assert.deepEqual(byTag.get(0x00001000), Buffer.from('1.2.3\0'));
    assert.deepEqual(byTag.get(0x00000902), Buffer.from('odd '));
    assert.deepEqual(byTag.get(0x00000600), Buffer.from('AET '));
  });
});

// A C-STORE-RSP (PS3.7 9.3.1.2) as the P-DATA-TF that carries it: PS3.8 9.3.5 (PDU and PDV item
// headers), E.2 (message control header 03H: command, last fragment), then group 0000.
const C_STORE_RSP_PDU = hex(`
  04 00  00 00 00 6e                         // P-DATA-TF, reserved, PDU length 110 = 4 + item 106
  00 00 00 6a  01  03                        // PDV item length 106 = 2 + 104, context 1, command + last
  00 00 00 00  04 00 00 00  5c 00 00 00      // (0000,0000) UL group length 92 = 34 + 4 x 10 + 18
  00 00 02 00  1a 00 00 00                   // (0000,0002) UI Affected SOP Class UID, length 26
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 35 2e 31 2e 34 2e 31 2e 31 2e 32 00   // CT Image Storage + NUL
  00 00 00 01  02 00 00 00  01 80            // (0000,0100) Command Field 8001H C-STORE-RSP
  00 00 20 01  02 00 00 00  34 12            // (0000,0120) Message ID Being Responded To 1234H
  00 00 00 08  02 00 00 00  01 01            // (0000,0800) Command Data Set Type: none
  00 00 00 09  02 00 00 00  00 00            // (0000,0900) Status 0000H Success
  00 00 00 10  0a 00 00 00                   // (0000,1000) UI Affected SOP Instance UID, length 10
  31 2e 32 2e 33 2e 34 2e 35 00              // "1.2.3.4.5" + NUL
`);

describe('encodeCommandPdu (PS3.8 9.3.5 around PS3.7 E.1)', () => {
  const STORE_RSP: CommandSet = {
    commandField: COMMAND_FIELD.C_STORE_RSP, messageIdBeingRespondedTo: 0x1234, affectedSopClassUid: CT_IMAGE_STORAGE,
    affectedSopInstanceUid: '1.2.3.4.5', status: 0x0000, commandDataSetType: NO_DATA_SET,
  };

  it('writes a C-STORE-RSP as the hand-made vector', () => {
    assert.equal(encodeCommandPdu(1, STORE_RSP).toString('hex'), C_STORE_RSP_PDU.toString('hex'));
  });

  it('is the command set with the P-DATA-TF header encodePDataTf puts before it, on any context', () => {
    for (const command of [STORE_RSP, EXPECTED_GET_RSP_FOR_PDU, { ...STORE_RSP, status: 0xa700, errorComment: 'disk full' }]) {
      for (const contextId of [1, 3, 127, 255]) {
        assert.deepEqual(encodeCommandPdu(contextId, command), Buffer.concat(encodePDataTf(contextId, true, encodeCommandSet(command), 0)));
      }
    }
  });

  it('takes the Command Data Set Type it is given over the command\'s own, and leaves the command as it was', () => {
    const rq: CommandSet = { commandField: COMMAND_FIELD.C_GET_RQ, messageId: 1, affectedSopClassUid: STUDY_ROOT_GET, priority: PRIORITY.MEDIUM, commandDataSetType: NO_DATA_SET };
    const pdu = encodeCommandPdu(1, rq, DATA_SET_PRESENT);
    assert.deepEqual(pdu, Buffer.concat(encodePDataTf(1, true, encodeCommandSet({ ...rq, commandDataSetType: DATA_SET_PRESENT }), 0)));
    assert.equal(rq.commandDataSetType, NO_DATA_SET);
    assert.equal(decodeCommandSet(pdu.subarray(12)).commandDataSetType, DATA_SET_PRESENT);
  });

  it('is byte for byte the framed encodeCommandSet for many C-STORE-RSPs (fast-check)', () => {
    const uid = fc.array(fc.integer({ min: 0, max: 99999 }), { minLength: 1, maxLength: 12 }).map((parts) => parts.join('.'));
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 0xffff }), uid, uid, fc.integer({ min: 0, max: 0xffff }),
      fc.option(fc.string({ maxLength: 64 }).map((t) => t.replace(/[^ -~]/g, 'x')), { nil: undefined }),
      (contextId, messageId, classUid, instanceUid, status, errorComment) => {
        const command: CommandSet = {
          commandField: COMMAND_FIELD.C_STORE_RSP, messageIdBeingRespondedTo: messageId, affectedSopClassUid: classUid,
          affectedSopInstanceUid: instanceUid, status, commandDataSetType: NO_DATA_SET, errorComment,
        };
        const pdu = encodeCommandPdu(contextId, command);
        assert.deepEqual(pdu, Buffer.concat(encodePDataTf(contextId, true, encodeCommandSet(command), 0)));
        assertWellFormed(pdu.subarray(12));
      },
    ), { seed: 16, numRuns: 500 });
  });
});

const EXPECTED_GET_RSP_FOR_PDU: CommandSet = {
  commandField: 0x8010, affectedSopClassUid: STUDY_ROOT_GET, messageIdBeingRespondedTo: 5, commandDataSetType: NO_DATA_SET,
  status: 0xb000, offendingElement: [0x00100020], errorComment: 'some failed', remaining: 0, completed: 3, failed: 1, warning: 2,
};

describe('decodeCommandSet', () => {
  const EXPECTED_GET_RSP: CommandSet = {
    commandField: 0x8010, affectedSopClassUid: STUDY_ROOT_GET, messageIdBeingRespondedTo: 5, commandDataSetType: NO_DATA_SET,
    status: 0xb000, offendingElement: [0x00100020], errorComment: 'some failed',
    remaining: 0, completed: 3, failed: 1, warning: 2,
  };

  it('reads a C-GET-RSP with all four counters, Error Comment and Offending Element (AT)', () => {
    assert.equal(C_GET_RSP.readUInt32LE(8), C_GET_RSP.length - 12);
    const decoded = decodeCommandSet(C_GET_RSP);
    assert.deepEqual(decoded, EXPECTED_GET_RSP);
    assert.equal(hasDataSet(decoded), false);
    assert.deepEqual(encodeCommandSet(EXPECTED_GET_RSP), C_GET_RSP);
  });

  it('keeps a (0008,0058) Failed SOP Instance UID List that DCMTK puts after group 0000', () => {
    const quirk = Buffer.concat([C_GET_RSP, hex(`
      08 00 58 00  0c 00 00 00                   // (0008,0058) UI, implicit VR, length 12
      31 2e 32 2e 33 5c 31 2e 32 2e 34 00        // "1.2.3\\1.2.4" + NUL
    `)]);
    assert.deepEqual(decodeCommandSet(quirk), { ...EXPECTED_GET_RSP, failedSopInstanceUidList: ['1.2.3', '1.2.4'] });
  });

  it('ignores other trailing groups and unknown group 0000 elements', () => {
    const extra = Buffer.concat([C_ECHO_RQ, hex('00 00 99 09 02 00 00 00 ab cd  10 00 10 00 04 00 00 00 44 6f 65 20')]);
    assert.deepEqual(decodeCommandSet(extra), decodeCommandSet(C_ECHO_RQ));
  });

  it('hasDataSet is true for any Command Data Set Type but 0101H', () => {
    assert.equal(hasDataSet({ commandField: 1, commandDataSetType: 0x0000 }), true);
    assert.equal(hasDataSet({ commandField: 1, commandDataSetType: 0x0102 }), true);
    assert.equal(hasDataSet({ commandField: 1, commandDataSetType: 0x0101 }), false);
  });

  it('an element length overrunning the command set', () => {
    const bad = Buffer.from(C_ECHO_RQ);
    bad.writeUInt32LE(0xffffffff, 12 + 4); // (0000,0002) claims 4 GiB
    assertProtocolError(() => decodeCommandSet(bad), /claims/);
    assertProtocolError(() => decodeCommandSet(C_ECHO_RQ.subarray(0, C_ECHO_RQ.length - 1)));
  });

  it('a header cut short', () => {
    assertProtocolError(() => decodeCommandSet(Buffer.concat([C_ECHO_RQ, Buffer.from([0, 0, 0])])));
  });

  it('a US element of the wrong length', () => {
    const bad = hex(`
      00 00 00 01  04 00 00 00  30 00 00 00      // Command Field with 4 bytes
      00 00 00 08  02 00 00 00  01 01
    `);
    assertProtocolError(() => decodeCommandSet(bad), /US/);
    assertProtocolError(() => decodeCommandSet(hex('00 00 00 01 01 00 00 00 30  00 00 00 08 02 00 00 00 01 01')));
  });

  it('a command set with no Command Field', () => {
    assertProtocolError(() => decodeCommandSet(hex('00 00 10 01 02 00 00 00 07 00  00 00 00 08 02 00 00 00 01 01')), /Command Field/);
    assertProtocolError(() => decodeCommandSet(Buffer.alloc(0)), /Command Field/);
  });

  it('a command set with no Command Data Set Type', () => {
    assertProtocolError(() => decodeCommandSet(hex('00 00 00 01 02 00 00 00 30 00')), /Data Set Type/);
  });

  it('truncations and corruptions: ProtocolError or a value, never another error', () => {
    for (let cut = 0; cut < C_GET_RSP.length; cut++) {
      try { decodeCommandSet(C_GET_RSP.subarray(0, cut)); } catch (err) { assert.ok(err instanceof ProtocolError, `cut ${cut}: ${String(err)}`); }
    }
    for (let i = 0; i < C_GET_RSP.length; i++) {
      for (const v of [0x00, 0x01, 0x7f, 0xff]) {
        const b = Buffer.from(C_GET_RSP);
        b[i] = v;
        try { decodeCommandSet(b); } catch (err) { assert.ok(err instanceof ProtocolError, `byte ${i}=${v}: ${String(err)}`); }
      }
    }
  });

  it('commandName names the fields', () => {
    assert.equal(commandName(0x8010), 'C-GET-RSP');
    assert.equal(commandName(0x0fff), 'C-CANCEL-RQ');
    assert.equal(commandName(0x0123), 'command 0x0123');
  });
});

describe('C-GET statuses (PS3.4 C.4.3.1.4, PS3.7 Annex C)', () => {
  const cases: [number, ReturnType<typeof statusCategory>, RegExp][] = [
    [0x0000, 'success', /^0x0000 Success$/],
    [0xff00, 'pending', /^0xFF00 Pending: sub-operations are continuing/],
    [0xfe00, 'cancel', /^0xFE00 Cancel/],
    [0xb000, 'warning', /^0xB000 Warning: sub-operations complete, one or more failures or warnings/],
    [0xa701, 'failure', /^0xA701 Failure: .*out of resources.*number of matches/],
    [0xa702, 'failure', /^0xA702 Failure: .*out of resources.*sub-operations/],
    [0xa900, 'failure', /^0xA900 Failure: identifier does not match SOP Class/],
    [0xaa00, 'failure', /^0xAA00 Failure: none of the frames/],
    [0xaa01, 'failure', /^0xAA01 Failure: unable to create new object/],
    [0xaa02, 'failure', /^0xAA02 Failure: unable to extract frames/],
    [0xaa03, 'failure', /^0xAA03 Failure: time-based request/],
    [0xaa04, 'failure', /^0xAA04 Failure: invalid request/],
    [0xc000, 'failure', /^0xC000 Failure: unable to process/],
    [0xc123, 'failure', /^0xC123 Failure: unable to process/],
    [0xcfff, 'failure', /^0xCFFF Failure: unable to process/],
    [0x0122, 'failure', /^0x0122 Failure: refused, SOP Class not supported/],
    [0x0124, 'failure', /^0x0124 Failure: refused, not authorized/],
    [0xc411, 'failure', /^0xC411 Failure: refused/],
  ];
  for (const [status, category, words] of cases) {
    it(`0x${status.toString(16).padStart(4, '0')} is ${category}`, () => {
      assert.equal(statusCategory(status), category);
      assert.match(describeStatus(status, 'C-GET'), words);
    });
  }

  it('other services keep their own meanings for shared codes', () => {
    assert.match(describeStatus(0xb000, 'C-STORE'), /coercion/);
    assert.match(describeStatus(0xa700, 'C-STORE'), /out of resources/);
    assert.match(describeStatus(0xff01, 'C-FIND'), /optional keys/);
    assert.equal(statusCategory(0xff01), 'pending');
    assert.equal(statusCategory(0x0001), 'warning');
    assert.equal(statusCategory(0xb007), 'warning');
    assert.equal(statusCategory(0xa700), 'failure');
  });
});
