// PS3.8 9.3.2 (A-ASSOCIATE-RQ), 9.3.3 (A-ASSOCIATE-AC) and Annex D (user information sub-items).
import { ItemWriter } from './item-writer.ts';
import { paddedTextAt } from './padded-text.ts';
import {
  ABORT_REASON, DICOM_APPLICATION_CONTEXT, ITEM_TYPE, PDU_TYPE,
  type AssociateAc, type AssociateRq, type PresentationContextAc, type PresentationContextRq,
  type UserInformation,
} from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';

const FIXED_FIELDS_LENGTH = 68; // version 2, reserved 2, called AE 16, calling AE 16, reserved 32

function writeUserInformation(w: ItemWriter, ui: UserInformation, forAc: boolean): void {
  const at = w.begin(ITEM_TYPE.USER_INFORMATION);
  const max = w.begin(ITEM_TYPE.MAXIMUM_LENGTH); // PS3.8 D.1
  w.u32(ui.maxLength >>> 0);
  w.end(max);
  w.textItem(ITEM_TYPE.IMPLEMENTATION_CLASS_UID, ui.implementationClassUid); // PS3.7 D.3.3.2
  if (ui.asyncOpsWindow) { // PS3.7 D.3.3.3
    const window = w.begin(ITEM_TYPE.ASYNCHRONOUS_OPERATIONS_WINDOW);
    w.u16(ui.asyncOpsWindow.invoked);
    w.u16(ui.asyncOpsWindow.performed);
    w.end(window);
  }
  for (const role of ui.roleSelections) { // PS3.7 D.3.3.4
    const item = w.begin(ITEM_TYPE.SCP_SCU_ROLE_SELECTION);
    w.lengthPrefixed(role.sopClassUid);
    w.u8(role.scuRole ? 1 : 0);
    w.u8(role.scpRole ? 1 : 0);
    w.end(item);
  }
  if (ui.implementationVersionName) w.textItem(ITEM_TYPE.IMPLEMENTATION_VERSION_NAME, ui.implementationVersionName);
  for (const ext of ui.extendedNegotiations) { // PS3.7 D.3.3.5
    const item = w.begin(ITEM_TYPE.SOP_CLASS_EXTENDED_NEGOTIATION);
    w.lengthPrefixed(ext.sopClassUid);
    w.bytes(ext.info);
    w.end(item);
  }
  if (!forAc && ui.userIdentityRq) { // PS3.7 D.3.3.7.1
    const id = ui.userIdentityRq;
    const item = w.begin(ITEM_TYPE.USER_IDENTITY_RQ);
    w.u8(id.type);
    w.u8(id.positiveResponseRequested ? 1 : 0);
    w.lengthPrefixed(id.primaryField);
    w.lengthPrefixed(id.secondaryField);
    w.end(item);
  }
  if (forAc && ui.userIdentityAc) { // PS3.7 D.3.3.7.2
    const item = w.begin(ITEM_TYPE.USER_IDENTITY_AC);
    w.lengthPrefixed(ui.userIdentityAc);
    w.end(item);
  }
  w.end(at);
}

/** The PDU header and fixed fields of an A-ASSOCIATE-RQ or -AC, and its application context item. */
function startAssociate(type: number, protocolVersion: number, called: string, calling: string, applicationContext: string): ItemWriter {
  const w = new ItemWriter();
  w.beginPdu(type);
  w.u16(protocolVersion);
  w.zeros(2);
  w.aeTitle(called);
  w.aeTitle(calling);
  w.zeros(32);
  w.textItem(ITEM_TYPE.APPLICATION_CONTEXT, applicationContext);
  return w;
}

/** PS3.8 9.3.2 */
export function encodeAssociateRq(rq: Omit<AssociateRq, 'type' | 'protocolVersion' | 'applicationContext'> &
  Partial<Pick<AssociateRq, 'protocolVersion' | 'applicationContext'>>): Buffer {
  const w = startAssociate(PDU_TYPE.A_ASSOCIATE_RQ, rq.protocolVersion ?? 1, rq.calledAeTitle, rq.callingAeTitle,
    rq.applicationContext ?? DICOM_APPLICATION_CONTEXT);
  for (const pc of rq.presentationContexts) { // PS3.8 9.3.2.2
    const at = w.begin(ITEM_TYPE.PRESENTATION_CONTEXT_RQ);
    w.u8(pc.id);
    w.zeros(3);
    w.textItem(ITEM_TYPE.ABSTRACT_SYNTAX, pc.abstractSyntax);
    for (const ts of pc.transferSyntaxes) w.textItem(ITEM_TYPE.TRANSFER_SYNTAX, ts);
    w.end(at);
  }
  writeUserInformation(w, rq.userInformation, false);
  return w.endPdu();
}

/** PS3.8 9.3.3 */
export function encodeAssociateAc(ac: Omit<AssociateAc, 'type' | 'protocolVersion' | 'applicationContext'> &
  Partial<Pick<AssociateAc, 'protocolVersion' | 'applicationContext'>>): Buffer {
  const w = startAssociate(PDU_TYPE.A_ASSOCIATE_AC, ac.protocolVersion ?? 1, ac.calledAeTitle, ac.callingAeTitle,
    ac.applicationContext ?? DICOM_APPLICATION_CONTEXT);
  for (const pc of ac.presentationContexts) { // PS3.8 9.3.3.2
    const at = w.begin(ITEM_TYPE.PRESENTATION_CONTEXT_AC);
    w.u8(pc.id);
    w.u8(0);
    w.u8(pc.result);
    w.u8(0);
    w.textItem(ITEM_TYPE.TRANSFER_SYNTAX, pc.transferSyntax);
    w.end(at);
  }
  writeUserInformation(w, ac.userInformation, true);
  return w.endPdu();
}

/**
 * Calls `each` with every item in body[from, to) (PS3.8 9.3.1): its type, and where its value
 * starts and ends. Offsets, not a Buffer per item: a full AC holds ~400 items.
 */
function forEachItem(body: Buffer, from: number, to: number, where: string, each: (type: number, start: number, end: number) => void): void {
  let offset = from;
  while (offset < to) {
    if (offset + 4 > to) throw new ProtocolError(`truncated item header in ${where}`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
    const type = body[offset]!;
    const length = body.readUInt16BE(offset + 2);
    const end = offset + 4 + length;
    if (end > to) {
      throw new ProtocolError(`item 0x${type.toString(16)} in ${where} claims ${length} bytes but only ${to - offset - 4} remain`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
    }
    each(type, offset + 4, end);
    offset = end;
  }
}

/** A field of a 2-byte length and its bytes, at `offset`, inside [.., to): where the bytes end. */
function lengthPrefixedEnd(body: Buffer, offset: number, to: number, what: string): number {
  if (offset + 2 > to) throw new ProtocolError(`truncated ${what}`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  const length = body.readUInt16BE(offset);
  const end = offset + 2 + length;
  if (end > to) throw new ProtocolError(`${what} claims ${length} bytes but only ${to - offset - 2} remain`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  return end;
}

/** What a PDU without a User Information item is read as, and where one's sub-items are added. */
function emptyUserInformation(): UserInformation {
  return { maxLength: 0, implementationClassUid: '', roleSelections: [], extendedNegotiations: [], unknown: [] };
}

function decodeUserInformation(body: Buffer, from: number, to: number): UserInformation {
  const ui = emptyUserInformation();
  forEachItem(body, from, to, 'User Information', (type, start, end) => {
    switch (type) {
      case ITEM_TYPE.MAXIMUM_LENGTH:
        if (end - start !== 4) throw new ProtocolError(`Maximum Length sub-item has ${end - start} bytes, not 4`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
        ui.maxLength = body.readUInt32BE(start);
        break;
      case ITEM_TYPE.IMPLEMENTATION_CLASS_UID:
        ui.implementationClassUid = paddedTextAt(body, start, end);
        break;
      case ITEM_TYPE.IMPLEMENTATION_VERSION_NAME:
        ui.implementationVersionName = paddedTextAt(body, start, end);
        break;
      case ITEM_TYPE.ASYNCHRONOUS_OPERATIONS_WINDOW:
        if (end - start !== 4) throw new ProtocolError('Asynchronous Operations Window sub-item is not 4 bytes', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
        ui.asyncOpsWindow = { invoked: body.readUInt16BE(start), performed: body.readUInt16BE(start + 2) };
        break;
      case ITEM_TYPE.SCP_SCU_ROLE_SELECTION: {
        const uidEnd = lengthPrefixedEnd(body, start, end, 'SCP/SCU Role Selection UID');
        if (uidEnd + 2 > end) throw new ProtocolError('truncated SCP/SCU Role Selection sub-item', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
        ui.roleSelections.push({ sopClassUid: paddedTextAt(body, start + 2, uidEnd), scuRole: body[uidEnd] === 1, scpRole: body[uidEnd + 1] === 1 });
        break;
      }
      case ITEM_TYPE.SOP_CLASS_EXTENDED_NEGOTIATION: {
        const uidEnd = lengthPrefixedEnd(body, start, end, 'SOP Class Extended Negotiation UID');
        ui.extendedNegotiations.push({ sopClassUid: paddedTextAt(body, start + 2, uidEnd), info: Buffer.from(body.subarray(uidEnd, end)) });
        break;
      }
      case ITEM_TYPE.USER_IDENTITY_RQ: {
        if (end - start < 2) throw new ProtocolError('truncated User Identity sub-item', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
        const primaryEnd = lengthPrefixedEnd(body, start + 2, end, 'User Identity primary field');
        const secondaryEnd = lengthPrefixedEnd(body, primaryEnd, end, 'User Identity secondary field');
        ui.userIdentityRq = {
          type: body[start]!, positiveResponseRequested: body[start + 1] === 1,
          primaryField: Buffer.from(body.subarray(start + 4, primaryEnd)), secondaryField: Buffer.from(body.subarray(primaryEnd + 2, secondaryEnd)),
        };
        break;
      }
      case ITEM_TYPE.USER_IDENTITY_AC: {
        const responseEnd = lengthPrefixedEnd(body, start, end, 'User Identity server response');
        ui.userIdentityAc = Buffer.from(body.subarray(start + 2, responseEnd));
        break;
      }
      default:
        ui.unknown.push({ type, length: end - start });
    }
  });
  return ui;
}

function decodeFixed(body: Buffer, what: string) {
  if (body.length < FIXED_FIELDS_LENGTH) throw new ProtocolError(`${what} is ${body.length} bytes, shorter than its fixed fields`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  return {
    protocolVersion: body.readUInt16BE(0),
    calledAeTitle: paddedTextAt(body, 4, 20),
    callingAeTitle: paddedTextAt(body, 20, 36),
  };
}

/**
 * What an A-ASSOCIATE-RQ and -AC share (PS3.8 9.3.2, 9.3.3): the fixed fields, the application
 * context and user information items; `readContext` reads the presentation context items of
 * type `contextType`, whose 4 leading bytes are checked here.
 */
function decodeAssociate<Context>(body: Buffer, what: string, contextType: number, readContext: (start: number, end: number) => Context) {
  const decoded = {
    ...decodeFixed(body, what), applicationContext: '', presentationContexts: [] as Context[],
    userInformation: emptyUserInformation(),
  };
  forEachItem(body, FIXED_FIELDS_LENGTH, body.length, what, (type, start, end) => {
    if (type === ITEM_TYPE.APPLICATION_CONTEXT) decoded.applicationContext = paddedTextAt(body, start, end);
    else if (type === contextType) {
      if (end - start < 4) throw new ProtocolError('truncated Presentation Context item', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
      decoded.presentationContexts.push(readContext(start, end));
    } else if (type === ITEM_TYPE.USER_INFORMATION) decoded.userInformation = decodeUserInformation(body, start, end);
  });
  return decoded;
}

/** PS3.8 9.3.2; `body` is the PDU after its 6-byte header. */
export function decodeAssociateRq(body: Buffer): AssociateRq {
  const decoded = decodeAssociate(body, 'A-ASSOCIATE-RQ', ITEM_TYPE.PRESENTATION_CONTEXT_RQ, (start, end) => {
    const pc: PresentationContextRq = { id: body[start]!, abstractSyntax: '', transferSyntaxes: [] };
    forEachItem(body, start + 4, end, 'Presentation Context item', (type, from, to) => {
      if (type === ITEM_TYPE.ABSTRACT_SYNTAX) pc.abstractSyntax = paddedTextAt(body, from, to);
      else if (type === ITEM_TYPE.TRANSFER_SYNTAX) pc.transferSyntaxes.push(paddedTextAt(body, from, to));
    });
    return pc;
  });
  return { type: PDU_TYPE.A_ASSOCIATE_RQ, ...decoded };
}

/** PS3.8 9.3.3; `body` is the PDU after its 6-byte header. */
export function decodeAssociateAc(body: Buffer): AssociateAc {
  const decoded = decodeAssociate(body, 'A-ASSOCIATE-AC', ITEM_TYPE.PRESENTATION_CONTEXT_AC, (start, end) => {
    const pc: PresentationContextAc = { id: body[start]!, result: body[start + 2]!, transferSyntax: '' };
    forEachItem(body, start + 4, end, 'Presentation Context item', (type, from, to) => {
      if (type === ITEM_TYPE.TRANSFER_SYNTAX) pc.transferSyntax = paddedTextAt(body, from, to);
    });
    return pc;
  });
  return { type: PDU_TYPE.A_ASSOCIATE_AC, ...decoded };
}
