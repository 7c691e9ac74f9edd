// A-ASSOCIATE-RQ/AC/RJ, A-RELEASE and A-ABORT against byte vectors worked out by hand from
// PS3.8 9.3 and PS3.7 Annex D.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  decodeAssociateAc, decodeAssociateRq, encodeAssociateAc, encodeAssociateRq,
} from '../../src/ul/a-associate.ts';
import { REJECTION, decodeAssociateRj, describeRejection, encodeAssociateRj } from '../../src/ul/a-associate-rj.ts';
import { ABORT_REASON, ABORT_SOURCE, decodeAbort, describeAbort, encodeAbort, nameAbort } from '../../src/ul/a-abort.ts';
import { RELEASE_RP, RELEASE_RQ } from '../../src/ul/a-release.ts';
import { decodeControlPdu } from '../../src/ul/pdu-parser.ts';
import { PDU_TYPE, type AssociateAc, type AssociateRq } from '../../src/ul/pdu-types.ts';
import { ProtocolError } from '../../src/ul/protocol-error.ts';
import { hex, assertProtocolError } from '../support/bytes.ts';

const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

// ---------------------------------------------------------------------------------------------
// A-ASSOCIATE-RQ, PS3.8 9.3.2 Table 9-11. Body = 68 fixed + 25 + 83 + 58 + 132 = 366 = 0x16E.
// ---------------------------------------------------------------------------------------------
const RQ_VECTOR = hex(`
  01                                  // PDU-type 01H A-ASSOCIATE-RQ (9.3.2 Table 9-11, byte 1)
  00                                  // reserved (byte 2)
  00 00 01 6e                         // PDU-length 366, unsigned 32-bit big endian (bytes 3-6)
  00 01                               // Protocol-version: bit 0 set, version 1 (bytes 7-8)
  00 00                               // reserved (bytes 9-10)
  4f 52 54 48 41 4e 43 20 20 20 20 20 20 20 20 20  // Called-AE-title "ORTHANC", 16 bytes space padded (11-26)
  44 43 4d 47 45 54 20 20 20 20 20 20 20 20 20 20  // Calling-AE-title "DCMGET", 16 bytes space padded (27-42)
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  // reserved, 32 bytes of 00H (43-74)
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
  // Application Context Item (9.3.2.1 Table 9-12)
  10 00 00 15                         // item-type 10H, reserved, item-length 21
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 33 2e 31 2e 31 2e 31   // "1.2.840.10008.3.1.1.1" (Annex A.2.1)
  // Presentation Context Item (9.3.2.2 Table 9-13), 4 + 79 bytes
  20 00 00 4f                         // item-type 20H, reserved, item-length 79
  01 00 00 00                         // Presentation-context-ID 1, reserved x3
  30 00 00 1b                         // Abstract Syntax Sub-Item 30H (9.3.2.2.1 Table 9-14), length 27
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 35 2e 31 2e 34 2e 31 2e 32 2e 32 2e 33   // Study Root Q/R GET
  40 00 00 13                         // Transfer Syntax Sub-Item 40H (9.3.2.2.2 Table 9-15), length 19
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 31 2e 32 2e 31   // Explicit VR Little Endian
  40 00 00 11                         // Transfer Syntax Sub-Item 40H, length 17
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 31 2e 32         // Implicit VR Little Endian
  // Presentation Context Item, 4 + 54 bytes
  20 00 00 36                         // item-type 20H, reserved, item-length 54
  03 00 00 00                         // Presentation-context-ID 3 (odd, 9.3.2.2), reserved x3
  30 00 00 19                         // Abstract Syntax Sub-Item, length 25
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 35 2e 31 2e 34 2e 31 2e 31 2e 32         // CT Image Storage
  40 00 00 11                         // Transfer Syntax Sub-Item, length 17
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 31 2e 32         // Implicit VR Little Endian
  // User Information Item (9.3.2.3 Table 9-16), 4 + 128 bytes
  50 00 00 80                         // item-type 50H, reserved, item-length 128
  51 00 00 04 00 00 40 00             // Maximum Length Sub-Item (D.1 Table D.1-1): length 4, 16384
  52 00 00 07                         // Implementation Class UID Sub-Item (PS3.7 D.3.3.2 Table D.3-1), length 7
  31 2e 32 2e 33 2e 34                // "1.2.3.4"
  53 00 00 04 00 03 00 02             // Asynchronous Operations Window (PS3.7 D.3.3.3 Table D.3-7): invoked 3, performed 2
  54 00 00 1d                         // SCP/SCU Role Selection Sub-Item (PS3.7 D.3.3.4 Table D.3-9), length 29
  00 19                               //   UID-length 25
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 35 2e 31 2e 34 2e 31 2e 31 2e 32         //   CT Image Storage
  00                                  //   SCU-role 0: the requestor does not act as SCU for it
  01                                  //   SCP-role 1: the requestor acts as SCP (receives C-STOREs)
  55 00 00 0c                         // Implementation Version Name (PS3.7 D.3.3.2 Table D.3-3), length 12
  44 43 4d 47 45 54 5f 30 2e 31 2e 30 // "DCMGET_0.1.0"
  56 00 00 1e                         // SOP Class Extended Negotiation (PS3.7 D.3.3.5 Table D.3-11), length 30
  00 1b                               //   SOP-class-uid-length 27
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 35 2e 31 2e 34 2e 31 2e 32 2e 32 2e 33   //   Study Root Q/R GET
  01                                  //   Service-class-application-information (C.5.3: relational retrieval)
  58 00 00 0e                         // User Identity Negotiation RQ (PS3.7 D.3.3.7.1 Table D.3-14), length 14
  02                                  //   User-Identity-Type 2: username and passcode
  01                                  //   Positive-response-requested 1
  00 04 75 73 65 72                   //   Primary-field-length 4, "user"
  00 04 70 61 73 73                   //   Secondary-field-length 4, "pass"
`);

const RQ_VALUE: Omit<AssociateRq, 'type'> = {
  protocolVersion: 1,
  calledAeTitle: 'ORTHANC',
  callingAeTitle: 'DCMGET',
  applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, abstractSyntax: STUDY_ROOT_GET, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
    { id: 3, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [IMPLICIT_LE] },
  ],
  userInformation: {
    maxLength: 16384,
    implementationClassUid: '1.2.3.4',
    implementationVersionName: 'DCMGET_0.1.0',
    asyncOpsWindow: { invoked: 3, performed: 2 },
    roleSelections: [{ sopClassUid: CT_IMAGE_STORAGE, scuRole: false, scpRole: true }],
    extendedNegotiations: [{ sopClassUid: STUDY_ROOT_GET, info: Buffer.from([1]) }],
    userIdentityRq: {
      type: 2, positiveResponseRequested: true, primaryField: Buffer.from('user'), secondaryField: Buffer.from('pass'),
    },
    unknown: [],
  },
};

// ---------------------------------------------------------------------------------------------
// A-ASSOCIATE-AC, PS3.8 9.3.3 Table 9-17. Body = 68 + 25 + 31 + 29 + 12 + 103 = 268 = 0x10C.
// ---------------------------------------------------------------------------------------------
const AC_VECTOR = hex(`
  02 00                               // PDU-type 02H A-ASSOCIATE-AC, reserved (9.3.3 Table 9-17)
  00 00 01 0c                         // PDU-length 268
  00 01 00 00                         // Protocol-version 1, reserved
  4f 52 54 48 41 4e 43 20 20 20 20 20 20 20 20 20  // Called-AE-title echoed from the RQ, "ORTHANC"
  44 43 4d 47 45 54 20 20 20 20 20 20 20 20 20 20  // Calling-AE-title echoed, "DCMGET"
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  // reserved, 32 bytes
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
  10 00 00 15                         // Application Context Item (9.3.3.1), length 21
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 33 2e 31 2e 31 2e 31
  21 00 00 1b                         // Presentation Context Item AC 21H (9.3.3.2 Table 9-18), length 27
  01 00 00 00                         //   ID 1, reserved, Result/Reason 0 acceptance, reserved
  40 00 00 13                         //   Transfer Syntax Sub-Item (9.3.3.2.1), length 19
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 31 2e 32 2e 31   // Explicit VR Little Endian
  21 00 00 19                         // Presentation Context Item AC, length 25
  03 00 00 00                         //   ID 3, acceptance
  40 00 00 11                         //   Transfer Syntax Sub-Item, length 17
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 31 2e 32         // Implicit VR Little Endian
  21 00 00 08                         // Presentation Context Item AC, length 8
  05 00 03 00                         //   ID 5, Result/Reason 3: abstract-syntax-not-supported (provider rejection)
  40 00 00 00                         //   Transfer Syntax Sub-Item, empty (not significant when rejected)
  50 00 00 63                         // User Information Item (9.3.3.3), length 99
  51 00 00 04 00 01 00 00             //   Maximum Length (D.1): 65536
  52 00 00 1b                         //   Implementation Class UID, length 27
  31 2e 32 2e 32 37 36 2e 30 2e 37 32 33 30 30 31 30 2e 33 2e 30 2e 33 2e 36 2e 37   // DCMTK's
  54 00 00 1d 00 19                   //   SCP/SCU Role Selection (PS3.7 D.3.3.4 Table D.3-10), UID-length 25
  31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 35 2e 31 2e 34 2e 31 2e 31 2e 32         // CT Image Storage
  00 01                               //   SCU-role 0, SCP-role 1: the proposed SCP role is accepted
  55 00 00 0f                         //   Implementation Version Name, length 15
  4f 46 46 49 53 5f 44 43 4d 54 4b 5f 33 36 37   // "OFFIS_DCMTK_367"
  59 00 00 04                         //   User Identity Negotiation AC 59H (PS3.7 D.3.3.7.2 Table D.3-15), length 4
  00 02 6f 6b                         //   Server-response-length 2, "ok"
`);

const AC_VALUE: Omit<AssociateAc, 'type'> = {
  protocolVersion: 1,
  calledAeTitle: 'ORTHANC',
  callingAeTitle: 'DCMGET',
  applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, result: 0, transferSyntax: EXPLICIT_LE },
    { id: 3, result: 0, transferSyntax: IMPLICIT_LE },
    { id: 5, result: 3, transferSyntax: '' },
  ],
  userInformation: {
    maxLength: 65536,
    implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
    implementationVersionName: 'OFFIS_DCMTK_367',
    roleSelections: [{ sopClassUid: CT_IMAGE_STORAGE, scuRole: false, scpRole: true }],
    extendedNegotiations: [],
    userIdentityAc: Buffer.from('ok'),
    unknown: [],
  },
};

/** A minimal RQ body (fixed fields only) followed by `items`. */
function rqBody(items: Buffer): Buffer {
  return Buffer.concat([RQ_VECTOR.subarray(6, 6 + 68), items]);
}

describe('A-ASSOCIATE-RQ (PS3.8 9.3.2)', () => {
  it('the hand-made vector is self-consistent', () => {
    assert.equal(RQ_VECTOR.length, 6 + 366);
    assert.equal(RQ_VECTOR.readUInt32BE(2), RQ_VECTOR.length - 6);
  });

  it('encodeAssociateRq writes the hand-made vector byte for byte', () => {
    const encoded = encodeAssociateRq(RQ_VALUE);
    assert.equal(encoded.toString('hex'), RQ_VECTOR.toString('hex'));
  });

  it('defaults the protocol version to 1 and the application context to the DICOM one', () => {
    const { protocolVersion: _v, applicationContext: _a, ...rest } = RQ_VALUE;
    assert.deepEqual(encodeAssociateRq(rest), RQ_VECTOR);
  });

  it('decodeAssociateRq reads the vector back (round trip)', () => {
    const decoded = decodeAssociateRq(RQ_VECTOR.subarray(6));
    assert.deepEqual(decoded, { type: PDU_TYPE.A_ASSOCIATE_RQ, ...RQ_VALUE });
    assert.deepEqual(encodeAssociateRq(decoded), RQ_VECTOR);
  });

  it('decodes through decodeControlPdu too', () => {
    const pdu = decodeControlPdu(PDU_TYPE.A_ASSOCIATE_RQ, RQ_VECTOR.subarray(6));
    assert.equal(pdu.type, PDU_TYPE.A_ASSOCIATE_RQ);
  });

  it('AE titles are 16 bytes padded with spaces; padding is not significant on decode', () => {
    const pdu = encodeAssociateRq({
      calledAeTitle: 'AE', callingAeTitle: 'ABCDEFGHIJKLMNOP', presentationContexts: [],
      userInformation: { maxLength: 0, implementationClassUid: '1.2', roleSelections: [], extendedNegotiations: [], unknown: [] },
    });
    assert.equal(pdu.toString('latin1', 10, 26), 'AE              '); // Called-AE-title, bytes 11-26
    assert.equal(pdu.toString('latin1', 26, 42), 'ABCDEFGHIJKLMNOP'); // Calling-AE-title, bytes 27-42
    const body = Buffer.from(RQ_VECTOR.subarray(6));
    Buffer.from('  ORTHANC       ', 'latin1').copy(body, 4); // leading spaces are not significant either
    assert.equal(decodeAssociateRq(body).calledAeTitle, 'ORTHANC');
  });

  it('omits absent optional sub-items', () => {
    const encoded = encodeAssociateRq({
      calledAeTitle: 'A', callingAeTitle: 'B', presentationContexts: [],
      userInformation: { maxLength: 0, implementationClassUid: '1.2', roleSelections: [], extendedNegotiations: [], unknown: [] },
    });
    // 68 fixed + 25 application context + (4 + 8 + 7) user information
    assert.equal(encoded.length, 6 + 68 + 25 + 19);
    assert.equal(encoded.subarray(6 + 68 + 25).toString('hex'), '5000000f' + '5100000400000000' + '52000003312e32');
  });

  it('a proposal larger than the 4 KB the writer starts with is written whole, every length in place', () => {
    const presentationContexts = Array.from({ length: 127 }, (_, i) => ({
      id: 2 * i + 1, abstractSyntax: `${CT_IMAGE_STORAGE}.${i}`, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE, `1.2.840.10008.1.2.4.${i}`],
    }));
    const roleSelections = presentationContexts.map((pc) => ({ sopClassUid: pc.abstractSyntax, scuRole: false, scpRole: true }));
    const rq = {
      calledAeTitle: 'ORTHANC', callingAeTitle: 'DCMGET', presentationContexts,
      userInformation: { maxLength: 16384, implementationClassUid: '1.2.3', roleSelections, extendedNegotiations: [], unknown: [] },
    };
    const encoded = encodeAssociateRq(rq);
    assert.ok(encoded.length > 16_384);
    assert.equal(encoded.readUInt32BE(2), encoded.length - 6);
    const back = decodeAssociateRq(encoded.subarray(6));
    assert.deepEqual(back.presentationContexts, presentationContexts);
    assert.deepEqual(back.userInformation.roleSelections, roleSelections);
  });

  it('an item over the 65535 bytes its length can say is refused, not written short', () => {
    const transferSyntaxes = Array.from({ length: 3000 }, () => EXPLICIT_LE);
    assert.throws(() => encodeAssociateRq({
      calledAeTitle: 'A', callingAeTitle: 'B', presentationContexts: [{ id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes }],
      userInformation: { maxLength: 0, implementationClassUid: '1.2', roleSelections: [], extendedNegotiations: [], unknown: [] },
    }), /item 0x20 is \d+ bytes, over the 65535 an item can hold/);
  });
});

describe('A-ASSOCIATE-AC (PS3.8 9.3.3)', () => {
  it('the hand-made vector is self-consistent', () => {
    assert.equal(AC_VECTOR.length, 6 + 268);
    assert.equal(AC_VECTOR.readUInt32BE(2), AC_VECTOR.length - 6);
  });

  it('decodeAssociateAc reads results per context, role selection and user identity AC', () => {
    const ac = decodeAssociateAc(AC_VECTOR.subarray(6));
    assert.deepEqual(ac, { type: PDU_TYPE.A_ASSOCIATE_AC, ...AC_VALUE });
    assert.deepEqual(ac.presentationContexts.map((pc) => [pc.id, pc.result]), [[1, 0], [3, 0], [5, 3]]);
    assert.deepEqual(ac.userInformation.roleSelections, [{ sopClassUid: CT_IMAGE_STORAGE, scuRole: false, scpRole: true }]);
    assert.equal(ac.userInformation.userIdentityAc?.toString(), 'ok');
    assert.equal(ac.userInformation.asyncOpsWindow, undefined);
  });

  it('encodeAssociateAc writes the same bytes (round trip)', () => {
    assert.equal(encodeAssociateAc(AC_VALUE).toString('hex'), AC_VECTOR.toString('hex'));
    assert.deepEqual(encodeAssociateAc(decodeAssociateAc(AC_VECTOR.subarray(6))), AC_VECTOR);
  });

  it('an AC never carries the RQ user identity sub-item, nor an RQ the AC one', () => {
    const withRq = encodeAssociateAc({ ...AC_VALUE, userInformation: { ...AC_VALUE.userInformation, userIdentityRq: RQ_VALUE.userInformation.userIdentityRq } });
    assert.deepEqual(withRq, AC_VECTOR);
    const rq = encodeAssociateRq({ ...RQ_VALUE, userInformation: { ...RQ_VALUE.userInformation, userIdentityAc: Buffer.from('x') } });
    assert.deepEqual(rq, RQ_VECTOR);
  });

  it('keeps unknown user information sub-items for logging', () => {
    const ui = hex('50 00 00 0e  51 00 00 04 00 00 10 00  57 00 00 02 ab cd');
    const ac = decodeAssociateAc(rqBody(ui));
    assert.equal(ac.userInformation.maxLength, 4096);
    assert.deepEqual(ac.userInformation.unknown, [{ type: 0x57, length: 2 }]);
  });
});

describe('A-ASSOCIATE-RJ (PS3.8 9.3.4)', () => {
  const RJ_VECTOR = hex(`
    03 00          // PDU-type 03H, reserved (Table 9-21)
    00 00 00 04    // PDU-length 4
    00             // reserved
    01             // Result 1: rejected-permanent
    01             // Source 1: DICOM UL service-user
    07             // Reason 7: called-AE-title-not-recognized
  `);

  it('encodes and decodes the vector', () => {
    assert.deepEqual(encodeAssociateRj({ result: 1, source: 1, reason: 7 }), RJ_VECTOR);
    assert.deepEqual(decodeAssociateRj(RJ_VECTOR.subarray(6)), { type: PDU_TYPE.A_ASSOCIATE_RJ, result: 1, source: 1, reason: 7 });
  });

  it('refuses a body that is not 4 bytes', () => {
    assertProtocolError(() => decodeAssociateRj(Buffer.alloc(3)));
    assertProtocolError(() => decodeAssociateRj(Buffer.alloc(5)));
  });

  const cases: [number, number, number, RegExp][] = [
    [1, 1, 1, /permanently.*service user.*no reason given/],
    [1, 1, 2, /service user.*application context name not supported/],
    [1, 1, 3, /service user.*calling AE title not recognized/],
    [1, 1, 7, /service user.*called AE title not recognized/],
    [2, 2, 1, /transiently.*service provider \(ACSE\).*no reason given/],
    [1, 2, 2, /service provider \(ACSE\).*protocol version not supported/],
    [2, 3, 1, /transiently.*service provider \(presentation\).*temporary congestion/],
    [2, 3, 2, /service provider \(presentation\).*local limit exceeded/],
  ];
  for (const [result, source, reason, words] of cases) {
    it(`describeRejection result ${result} source ${source} reason ${reason} (Table 9-21)`, () => {
      assert.match(describeRejection({ result, source, reason }), words);
    });
  }

  it('REJECTION names the Table 9-21 triples an acceptor sends', () => {
    assert.deepEqual(Object.fromEntries(Object.entries(REJECTION).map(([k, v]) => [k, encodeAssociateRj(v).subarray(7).toString('hex')])), {
      NO_REASON: '010101', APPLICATION_CONTEXT_NOT_SUPPORTED: '010102', CALLING_AE_TITLE_NOT_RECOGNIZED: '010103',
      CALLED_AE_TITLE_NOT_RECOGNIZED: '010107', PROTOCOL_VERSION_NOT_SUPPORTED: '010202',
      TEMPORARY_CONGESTION: '020301', LOCAL_LIMIT_EXCEEDED: '020302',
    });
    assert.match(describeRejection(REJECTION.PROTOCOL_VERSION_NOT_SUPPORTED), /permanently by the service provider \(ACSE\): protocol version not supported/);
  });

  it('describeRejection names reserved reasons by number', () => {
    assert.match(describeRejection({ result: 1, source: 1, reason: 4 }), /reason 4$/);
    assert.match(describeRejection({ result: 1, source: 3, reason: 0 }), /reason 0$/);
    assert.match(describeRejection({ result: 9, source: 1, reason: 1 }), /result 9/);
  });
});

describe('A-RELEASE-RQ / A-RELEASE-RP (PS3.8 9.3.6, 9.3.7)', () => {
  it('are type, reserved, length 4, four reserved bytes', () => {
    assert.deepEqual(RELEASE_RQ, hex('05 00  00 00 00 04  00 00 00 00'));
    assert.deepEqual(RELEASE_RP, hex('06 00  00 00 00 04  00 00 00 00'));
    assert.deepEqual(decodeControlPdu(PDU_TYPE.A_RELEASE_RQ, RELEASE_RQ.subarray(6)), { type: PDU_TYPE.A_RELEASE_RQ });
    assert.deepEqual(decodeControlPdu(PDU_TYPE.A_RELEASE_RP, RELEASE_RP.subarray(6)), { type: PDU_TYPE.A_RELEASE_RP });
  });
});

describe('A-ABORT (PS3.8 9.3.8)', () => {
  const ABORT_VECTOR = hex(`
    07 00          // PDU-type 07H, reserved (Table 9-26)
    00 00 00 04    // PDU-length 4
    00 00          // reserved x2
    02             // Source 2: DICOM UL service-provider
    06             // Reason/Diag 6: invalid-PDU-parameter value
  `);

  it('encodes and decodes the vector', () => {
    assert.deepEqual(encodeAbort(ABORT_SOURCE.SERVICE_PROVIDER, 6), ABORT_VECTOR);
    assert.deepEqual(decodeAbort(ABORT_VECTOR.subarray(6)), { type: PDU_TYPE.A_ABORT, source: 2, reason: 6 });
    assert.deepEqual(encodeAbort(ABORT_SOURCE.SERVICE_USER, 0), hex('07 00 00 00 00 04 00 00 00 00'));
  });

  it('refuses a body that is not 4 bytes', () => {
    assertProtocolError(() => decodeAbort(Buffer.alloc(0)));
    assertProtocolError(() => decodeAbort(Buffer.alloc(6)));
  });

  const providerReasons: [number, RegExp][] = [
    [0, /reason not specified/],
    [1, /unrecognized PDU$/],
    [2, /unexpected PDU$/],
    [4, /unrecognized PDU parameter/],
    [5, /unexpected PDU parameter/],
    [6, /invalid PDU parameter value/],
  ];
  for (const [reason, words] of providerReasons) {
    it(`describeAbort service provider reason ${reason} (Table 9-26)`, () => {
      const text = describeAbort({ source: 2, reason });
      assert.match(text, /service provider/);
      assert.match(text, words);
    });
  }

  it('describeAbort for the service user and reserved values', () => {
    assert.match(describeAbort({ source: 0, reason: 0 }), /service user/);
    assert.match(describeAbort({ source: 2, reason: 3 }), /reason 3/);
    assert.match(describeAbort({ source: 1, reason: 0 }), /source 1/);
  });

  it('ABORT_REASON and nameAbort: the Table 9-26 values by name', () => {
    assert.deepEqual(ABORT_REASON, {
      NOT_SPECIFIED: 0, UNRECOGNIZED_PDU: 1, UNEXPECTED_PDU: 2, UNRECOGNIZED_PDU_PARAMETER: 4,
      UNEXPECTED_PDU_PARAMETER: 5, INVALID_PDU_PARAMETER_VALUE: 6,
    });
    assert.deepEqual(ABORT_SOURCE, { SERVICE_USER: 0, SERVICE_PROVIDER: 2 });
    assert.equal(nameAbort({ source: 2, reason: ABORT_REASON.UNEXPECTED_PDU }), 'service provider, unexpected PDU');
    assert.equal(nameAbort({ source: 2, reason: 6 }), 'service provider, invalid PDU parameter value');
    assert.equal(nameAbort({ source: 0, reason: 0 }), 'service user');
    assert.equal(nameAbort({ source: 1, reason: 9 }), 'source 1, reason 9');
  });
});

describe('malformed A-ASSOCIATE PDUs give ProtocolError', () => {
  it('a body shorter than its fixed fields', () => {
    assertProtocolError(() => decodeAssociateRq(RQ_VECTOR.subarray(6, 6 + 67)));
    assertProtocolError(() => decodeAssociateAc(Buffer.alloc(0)));
  });

  it('a truncated item header', () => {
    assertProtocolError(() => decodeAssociateRq(rqBody(hex('10 00 00'))), /truncated item header/);
  });

  it('an item length overrunning the PDU', () => {
    assertProtocolError(() => decodeAssociateRq(rqBody(hex('10 00 00 16 31 2e 32'))), /claims 22 bytes/);
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('21 00 ff ff 01 00 00 00'))));
  });

  it('a sub-item overrunning its presentation context item', () => {
    assertProtocolError(() => decodeAssociateRq(rqBody(hex('20 00 00 08  01 00 00 00  30 00 00 05'))));
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('21 00 00 08  01 00 00 00  40 00 00 01'))));
  });

  it('a presentation context item too short for its fixed fields', () => {
    assertProtocolError(() => decodeAssociateRq(rqBody(hex('20 00 00 02 01 00'))));
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('21 00 00 03 01 00 00'))));
  });

  it('a Maximum Length sub-item whose length is not 4 (PS3.8 D.1)', () => {
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('50 00 00 06  51 00 00 02 40 00'))), /Maximum Length/);
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('50 00 00 09  51 00 00 05 00 00 40 00 00'))), /Maximum Length/);
  });

  it('a user information sub-item overrunning its item', () => {
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('50 00 00 08  51 00 00 08 00 00 40 00'))));
  });

  it('an Asynchronous Operations Window sub-item that is not 4 bytes', () => {
    assertProtocolError(() => decodeAssociateRq(rqBody(hex('50 00 00 06  53 00 00 02 00 01'))));
  });

  it('an SCP/SCU Role Selection with a UID length overrun or no role bytes', () => {
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('50 00 00 08  54 00 00 04 00 09 31 2e'))));
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('50 00 00 09  54 00 00 05 00 02 31 2e 01'))));
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('50 00 00 05  54 00 00 01 00'))));
  });

  it('a User Identity RQ or AC sub-item with overrunning fields', () => {
    assertProtocolError(() => decodeAssociateRq(rqBody(hex('50 00 00 05  58 00 00 01 02'))));
    assertProtocolError(() => decodeAssociateRq(rqBody(hex('50 00 00 08  58 00 00 04 02 00 00 05'))));
    assertProtocolError(() => decodeAssociateRq(rqBody(hex('50 00 00 0a  58 00 00 06 02 00 00 00 00 01'))));
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('50 00 00 06  59 00 00 02 00 01'))));
    assertProtocolError(() => decodeAssociateAc(rqBody(hex('50 00 00 05  59 00 00 01 00'))));
  });

  it('an Extended Negotiation sub-item with a UID length overrun', () => {
    assertProtocolError(() => decodeAssociateRq(rqBody(hex('50 00 00 07  56 00 00 03 00 05 31'))));
  });

  it('every truncation of the RQ and AC vectors: a ProtocolError or a value, never another error', () => {
    for (const [vector, decode] of [[RQ_VECTOR, decodeAssociateRq], [AC_VECTOR, decodeAssociateAc]] as const) {
      for (let cut = 0; cut < vector.length - 6; cut++) {
        const body = vector.subarray(6, 6 + cut);
        try {
          decode(body);
        } catch (err) {
          assert.ok(err instanceof ProtocolError, `cut at ${cut}: ${String(err)}`);
        }
      }
    }
  });

  it('random corruption of the vectors: a ProtocolError or a value, never another error', () => {
    let seed = 0x2545f491;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (let round = 0; round < 3000; round++) {
      const [vector, decode] = round % 2 ? [RQ_VECTOR, decodeAssociateRq] as const : [AC_VECTOR, decodeAssociateAc] as const;
      const body = Buffer.from(vector.subarray(6));
      const flips = 1 + Math.floor(random() * 4);
      for (let i = 0; i < flips; i++) body[68 + Math.floor(random() * (body.length - 68))] = Math.floor(random() * 256);
      try {
        decode(body);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `round ${round}: ${String(err)}`);
      }
    }
  });
});
