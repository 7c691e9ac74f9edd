// Both sides' view of what an association settles (src/ul/negotiation.ts): the presentation
// contexts of PS3.8 9.3.2.2 / 9.3.3.2 and the roles of PS3.7 D.3.3.4.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { answerContexts, contextsOfAc, contextsOfAnswer } from '../../src/ul/negotiation.ts';
import { PDU_TYPE, type AssociateAc, type AssociateRq } from '../../src/ul/pdu-types.ts';
import { ProtocolError } from '../../src/ul/protocol-error.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const JPEG = '1.2.840.10008.1.2.4.50';

const ui = { maxLength: 0, implementationClassUid: '1.2', roleSelections: [], extendedNegotiations: [], unknown: [] };
const RQ: AssociateRq = {
  type: PDU_TYPE.A_ASSOCIATE_RQ, protocolVersion: 1, calledAeTitle: 'US', callingAeTitle: 'PACS', applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, abstractSyntax: CT, transferSyntaxes: [IMPLICIT, EXPLICIT] },
    { id: 3, abstractSyntax: CT, transferSyntaxes: [JPEG] },
    { id: 5, abstractSyntax: '1.2.3.4', transferSyntaxes: [EXPLICIT] },
    { id: 7, abstractSyntax: MR, transferSyntaxes: [IMPLICIT] },
  ],
  userInformation: { ...ui, roleSelections: [{ sopClassUid: MR, scuRole: true, scpRole: true }] },
};

describe('acceptor: answerContexts and contextsOfAnswer', () => {
  const storage = (abstractSyntax: string) => (abstractSyntax === CT || abstractSyntax === MR ? [EXPLICIT, IMPLICIT] : undefined);

  it('our preference among the proposed syntaxes; 4 where none fits; 3 for an abstract syntax we do not take', () => {
    assert.deepEqual(answerContexts(RQ, storage), [
      { id: 1, result: 0, transferSyntax: EXPLICIT },
      { id: 3, result: 4, transferSyntax: '' },
      { id: 5, result: 3, transferSyntax: '' },
      { id: 7, result: 0, transferSyntax: IMPLICIT },
    ]);
  });

  it('our roles mirror the requestor\'s granted ones (PS3.7 D.3.3.4); the default makes us SCP', () => {
    const contexts = contextsOfAnswer(RQ, { contexts: answerContexts(RQ, storage), roles: [{ sopClassUid: MR, scuRole: false, scpRole: true }] });
    assert.deepEqual([...contexts.values()].map((c) => [c.id, c.accepted, c.transferSyntax, c.scuRole, c.scpRole]), [
      [1, true, EXPLICIT, false, true], [3, false, '', false, true], [5, false, '', false, true], [7, true, IMPLICIT, true, false],
    ]);
  });

  it('refuses an answer PS3.8 9.3.3.2 or PS3.7 D.3.3.4 forbids', () => {
    const all = answerContexts(RQ, storage);
    assert.throws(() => contextsOfAnswer(RQ, { contexts: all.slice(1), roles: [] }), /context 1 was not answered/);
    assert.throws(() => contextsOfAnswer(RQ, { contexts: [...all, all[0]!], roles: [] }), /answered twice/);
    assert.throws(() => contextsOfAnswer(RQ, { contexts: [...all, { id: 9, result: 0, transferSyntax: EXPLICIT }], roles: [] }), /never proposed/);
    assert.throws(() => contextsOfAnswer(RQ, { contexts: [{ id: 3, result: 0, transferSyntax: EXPLICIT }, ...all.filter((c) => c.id !== 3)], roles: [] }), /not proposed/);
    assert.throws(() => contextsOfAnswer(RQ, { contexts: all, roles: [{ sopClassUid: CT, scuRole: true, scpRole: false }] }), /did not ask for/);
  });
});

describe('requestor: contextsOfAc', () => {
  const ac = (presentationContexts: AssociateAc['presentationContexts'], roles = [] as AssociateAc['userInformation']['roleSelections']): AssociateAc => ({
    type: PDU_TYPE.A_ASSOCIATE_AC, protocolVersion: 1, calledAeTitle: 'PACS', callingAeTitle: 'US', applicationContext: '1.2.840.10008.3.1.1.1',
    presentationContexts, userInformation: { ...ui, roleSelections: roles },
  });

  it('an answer to a context never proposed, or a syntax never proposed: invalid PDU parameter value (reason 6)', () => {
    for (const bad of [[{ id: 9, result: 0, transferSyntax: EXPLICIT }], [{ id: 3, result: 0, transferSyntax: EXPLICIT }]]) {
      assert.throws(() => contextsOfAc(RQ.presentationContexts, [], ac(bad)), (e: unknown) => e instanceof ProtocolError && e.abortReason === 6);
    }
  });

  it('a role counts only where we asked for it; no role item: SCU only', () => {
    const asked = [{ sopClassUid: MR, scuRole: false, scpRole: true }];
    const granted = [{ sopClassUid: MR, scuRole: true, scpRole: true }];
    const contexts = contextsOfAc(RQ.presentationContexts, asked, ac([{ id: 1, result: 0, transferSyntax: EXPLICIT }, { id: 7, result: 0, transferSyntax: IMPLICIT }], granted));
    assert.deepEqual([...contexts.values()].map((c) => [c.id, c.scuRole, c.scpRole]), [[1, true, false], [7, false, true]]);
  });
});
