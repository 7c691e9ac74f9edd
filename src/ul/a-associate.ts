// PS3.8 9.3.2 (A-ASSOCIATE-RQ), 9.3.3 (A-ASSOCIATE-AC) and Annex D (user information sub-items).
import { decodePaddedText } from './padded-text.ts';
import {
  ABORT_REASON, DICOM_APPLICATION_CONTEXT, ITEM_TYPE, PDU_TYPE,
  type AssociateAc, type AssociateRq, type PresentationContextAc, type PresentationContextRq,
  type UserInformation,
} from './pdu-types.ts';
import { ProtocolError } from './protocol-error.ts';

const FIXED_FIELDS_LENGTH = 68; // version 2, reserved 2, called AE 16, calling AE 16, reserved 32

function ascii(value: string): Buffer {
  return Buffer.from(value, 'latin1');
}

function item(type: number, body: Buffer): Buffer {
  if (body.length > 0xffff) throw new RangeError(`item 0x${type.toString(16)} is ${body.length} bytes, over the 65535 an item can hold`);
  const header = Buffer.alloc(4);
  header[0] = type;
  header.writeUInt16BE(body.length, 2);
  return Buffer.concat([header, body]);
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

function lengthPrefixed(value: Buffer): Buffer {
  return Buffer.concat([u16(value.length), value]);
}

/** PS3.8 9.3.2: AE titles are 16 bytes, padded with spaces. */
export function encodeAeTitle(aeTitle: string): Buffer {
  const b = Buffer.alloc(16, 0x20);
  b.write(aeTitle, 0, 16, 'latin1');
  return b;
}

function encodeUserInformation(ui: UserInformation, forAc: boolean): Buffer {
  const subItems: Buffer[] = [];
  const max = Buffer.alloc(4);
  max.writeUInt32BE(ui.maxLength >>> 0);
  subItems.push(item(ITEM_TYPE.MAXIMUM_LENGTH, max)); // PS3.8 D.1
  subItems.push(item(ITEM_TYPE.IMPLEMENTATION_CLASS_UID, ascii(ui.implementationClassUid))); // PS3.7 D.3.3.2
  if (ui.asyncOpsWindow) {
    subItems.push(item(ITEM_TYPE.ASYNCHRONOUS_OPERATIONS_WINDOW,
      Buffer.concat([u16(ui.asyncOpsWindow.invoked), u16(ui.asyncOpsWindow.performed)]))); // PS3.7 D.3.3.3
  }
  for (const role of ui.roleSelections) { // PS3.7 D.3.3.4
    subItems.push(item(ITEM_TYPE.SCP_SCU_ROLE_SELECTION, Buffer.concat([
      lengthPrefixed(ascii(role.sopClassUid)), Buffer.from([role.scuRole ? 1 : 0, role.scpRole ? 1 : 0]),
    ])));
  }
  if (ui.implementationVersionName) {
    subItems.push(item(ITEM_TYPE.IMPLEMENTATION_VERSION_NAME, ascii(ui.implementationVersionName)));
  }
  for (const ext of ui.extendedNegotiations) { // PS3.7 D.3.3.5
    subItems.push(item(ITEM_TYPE.SOP_CLASS_EXTENDED_NEGOTIATION,
      Buffer.concat([lengthPrefixed(ascii(ext.sopClassUid)), ext.info])));
  }
  if (!forAc && ui.userIdentityRq) { // PS3.7 D.3.3.7.1
    const id = ui.userIdentityRq;
    subItems.push(item(ITEM_TYPE.USER_IDENTITY_RQ, Buffer.concat([
      Buffer.from([id.type, id.positiveResponseRequested ? 1 : 0]),
      lengthPrefixed(id.primaryField), lengthPrefixed(id.secondaryField),
    ])));
  }
  if (forAc && ui.userIdentityAc) { // PS3.7 D.3.3.7.2
    subItems.push(item(ITEM_TYPE.USER_IDENTITY_AC, lengthPrefixed(ui.userIdentityAc)));
  }
  return item(ITEM_TYPE.USER_INFORMATION, Buffer.concat(subItems));
}

function encodeFixedFields(protocolVersion: number, called: string, calling: string): Buffer {
  const fixed = Buffer.alloc(FIXED_FIELDS_LENGTH);
  fixed.writeUInt16BE(protocolVersion, 0);
  encodeAeTitle(called).copy(fixed, 4);
  encodeAeTitle(calling).copy(fixed, 20);
  return fixed;
}

function pdu(type: number, body: Buffer): Buffer {
  const header = Buffer.alloc(6);
  header[0] = type;
  header.writeUInt32BE(body.length, 2);
  return Buffer.concat([header, body]);
}

/** PS3.8 9.3.2 */
export function encodeAssociateRq(rq: Omit<AssociateRq, 'type' | 'protocolVersion' | 'applicationContext'> &
  Partial<Pick<AssociateRq, 'protocolVersion' | 'applicationContext'>>): Buffer {
  const parts = [
    encodeFixedFields(rq.protocolVersion ?? 1, rq.calledAeTitle, rq.callingAeTitle),
    item(ITEM_TYPE.APPLICATION_CONTEXT, ascii(rq.applicationContext ?? DICOM_APPLICATION_CONTEXT)),
  ];
  for (const pc of rq.presentationContexts) { // PS3.8 9.3.2.2
    const subItems = [item(ITEM_TYPE.ABSTRACT_SYNTAX, ascii(pc.abstractSyntax))];
    for (const ts of pc.transferSyntaxes) subItems.push(item(ITEM_TYPE.TRANSFER_SYNTAX, ascii(ts)));
    parts.push(item(ITEM_TYPE.PRESENTATION_CONTEXT_RQ, Buffer.concat([Buffer.from([pc.id, 0, 0, 0]), ...subItems])));
  }
  parts.push(encodeUserInformation(rq.userInformation, false));
  return pdu(PDU_TYPE.A_ASSOCIATE_RQ, Buffer.concat(parts));
}

/** PS3.8 9.3.3 */
export function encodeAssociateAc(ac: Omit<AssociateAc, 'type' | 'protocolVersion' | 'applicationContext'> &
  Partial<Pick<AssociateAc, 'protocolVersion' | 'applicationContext'>>): Buffer {
  const parts = [
    encodeFixedFields(ac.protocolVersion ?? 1, ac.calledAeTitle, ac.callingAeTitle),
    item(ITEM_TYPE.APPLICATION_CONTEXT, ascii(ac.applicationContext ?? DICOM_APPLICATION_CONTEXT)),
  ];
  for (const pc of ac.presentationContexts) { // PS3.8 9.3.3.2
    parts.push(item(ITEM_TYPE.PRESENTATION_CONTEXT_AC, Buffer.concat([
      Buffer.from([pc.id, 0, pc.result, 0]), item(ITEM_TYPE.TRANSFER_SYNTAX, ascii(pc.transferSyntax)),
    ])));
  }
  parts.push(encodeUserInformation(ac.userInformation, true));
  return pdu(PDU_TYPE.A_ASSOCIATE_AC, Buffer.concat(parts));
}

interface RawItem { type: number; value: Buffer }

function* items(body: Buffer, where: string): Generator<RawItem> {
  let offset = 0;
  while (offset < body.length) {
    if (offset + 4 > body.length) throw new ProtocolError(`truncated item header in ${where}`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
    const type = body[offset]!;
    const length = body.readUInt16BE(offset + 2);
    const end = offset + 4 + length;
    if (end > body.length) {
      throw new ProtocolError(`item 0x${type.toString(16)} in ${where} claims ${length} bytes but only ${body.length - offset - 4} remain`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
    }
    yield { type, value: body.subarray(offset + 4, end) };
    offset = end;
  }
}

function readLengthPrefixed(value: Buffer, offset: number, what: string): [Buffer, number] {
  if (offset + 2 > value.length) throw new ProtocolError(`truncated ${what}`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  const length = value.readUInt16BE(offset);
  const end = offset + 2 + length;
  if (end > value.length) throw new ProtocolError(`${what} claims ${length} bytes but only ${value.length - offset - 2} remain`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  return [value.subarray(offset + 2, end), end];
}

function decodeUserInformation(body: Buffer): UserInformation {
  const ui: UserInformation = {
    maxLength: 0, implementationClassUid: '', roleSelections: [], extendedNegotiations: [], unknown: [],
  };
  for (const sub of items(body, 'User Information')) {
    const v = sub.value;
    switch (sub.type) {
      case ITEM_TYPE.MAXIMUM_LENGTH:
        if (v.length !== 4) throw new ProtocolError(`Maximum Length sub-item has ${v.length} bytes, not 4`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
        ui.maxLength = v.readUInt32BE(0);
        break;
      case ITEM_TYPE.IMPLEMENTATION_CLASS_UID:
        ui.implementationClassUid = decodePaddedText(v);
        break;
      case ITEM_TYPE.IMPLEMENTATION_VERSION_NAME:
        ui.implementationVersionName = decodePaddedText(v);
        break;
      case ITEM_TYPE.ASYNCHRONOUS_OPERATIONS_WINDOW:
        if (v.length !== 4) throw new ProtocolError('Asynchronous Operations Window sub-item is not 4 bytes', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
        ui.asyncOpsWindow = { invoked: v.readUInt16BE(0), performed: v.readUInt16BE(2) };
        break;
      case ITEM_TYPE.SCP_SCU_ROLE_SELECTION: {
        const [uid, end] = readLengthPrefixed(v, 0, 'SCP/SCU Role Selection UID');
        if (end + 2 > v.length) throw new ProtocolError('truncated SCP/SCU Role Selection sub-item', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
        ui.roleSelections.push({ sopClassUid: decodePaddedText(uid), scuRole: v[end] === 1, scpRole: v[end + 1] === 1 });
        break;
      }
      case ITEM_TYPE.SOP_CLASS_EXTENDED_NEGOTIATION: {
        const [uid, end] = readLengthPrefixed(v, 0, 'SOP Class Extended Negotiation UID');
        ui.extendedNegotiations.push({ sopClassUid: decodePaddedText(uid), info: Buffer.from(v.subarray(end)) });
        break;
      }
      case ITEM_TYPE.USER_IDENTITY_RQ: {
        if (v.length < 2) throw new ProtocolError('truncated User Identity sub-item', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
        const [primary, end] = readLengthPrefixed(v, 2, 'User Identity primary field');
        const [secondary] = readLengthPrefixed(v, end, 'User Identity secondary field');
        ui.userIdentityRq = { type: v[0]!, positiveResponseRequested: v[1] === 1, primaryField: Buffer.from(primary), secondaryField: Buffer.from(secondary) };
        break;
      }
      case ITEM_TYPE.USER_IDENTITY_AC: {
        const [response] = readLengthPrefixed(v, 0, 'User Identity server response');
        ui.userIdentityAc = Buffer.from(response);
        break;
      }
      default:
        ui.unknown.push({ type: sub.type, length: v.length });
    }
  }
  return ui;
}

function decodeFixed(body: Buffer, what: string) {
  if (body.length < FIXED_FIELDS_LENGTH) throw new ProtocolError(`${what} is ${body.length} bytes, shorter than its fixed fields`, ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  return {
    protocolVersion: body.readUInt16BE(0),
    calledAeTitle: decodePaddedText(body.subarray(4, 20)),
    callingAeTitle: decodePaddedText(body.subarray(20, 36)),
  };
}

/** PS3.8 9.3.2; `body` is the PDU after its 6-byte header. */
export function decodeAssociateRq(body: Buffer): AssociateRq {
  const fixed = decodeFixed(body, 'A-ASSOCIATE-RQ');
  const rq: AssociateRq = {
    type: PDU_TYPE.A_ASSOCIATE_RQ, ...fixed, applicationContext: '', presentationContexts: [],
    userInformation: { maxLength: 0, implementationClassUid: '', roleSelections: [], extendedNegotiations: [], unknown: [] },
  };
  for (const it of items(body.subarray(FIXED_FIELDS_LENGTH), 'A-ASSOCIATE-RQ')) {
    if (it.type === ITEM_TYPE.APPLICATION_CONTEXT) rq.applicationContext = decodePaddedText(it.value);
    else if (it.type === ITEM_TYPE.PRESENTATION_CONTEXT_RQ) {
      if (it.value.length < 4) throw new ProtocolError('truncated Presentation Context item', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
      const pc: PresentationContextRq = { id: it.value[0]!, abstractSyntax: '', transferSyntaxes: [] };
      for (const sub of items(it.value.subarray(4), 'Presentation Context item')) {
        if (sub.type === ITEM_TYPE.ABSTRACT_SYNTAX) pc.abstractSyntax = decodePaddedText(sub.value);
        else if (sub.type === ITEM_TYPE.TRANSFER_SYNTAX) pc.transferSyntaxes.push(decodePaddedText(sub.value));
      }
      rq.presentationContexts.push(pc);
    } else if (it.type === ITEM_TYPE.USER_INFORMATION) rq.userInformation = decodeUserInformation(it.value);
  }
  return rq;
}

/** PS3.8 9.3.3; `body` is the PDU after its 6-byte header. */
export function decodeAssociateAc(body: Buffer): AssociateAc {
  const fixed = decodeFixed(body, 'A-ASSOCIATE-AC');
  const ac: AssociateAc = {
    type: PDU_TYPE.A_ASSOCIATE_AC, ...fixed, applicationContext: '', presentationContexts: [],
    userInformation: { maxLength: 0, implementationClassUid: '', roleSelections: [], extendedNegotiations: [], unknown: [] },
  };
  for (const it of items(body.subarray(FIXED_FIELDS_LENGTH), 'A-ASSOCIATE-AC')) {
    if (it.type === ITEM_TYPE.APPLICATION_CONTEXT) ac.applicationContext = decodePaddedText(it.value);
    else if (it.type === ITEM_TYPE.PRESENTATION_CONTEXT_AC) {
      if (it.value.length < 4) throw new ProtocolError('truncated Presentation Context item', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
      const pc: PresentationContextAc = { id: it.value[0]!, result: it.value[2]!, transferSyntax: '' };
      for (const sub of items(it.value.subarray(4), 'Presentation Context item')) {
        if (sub.type === ITEM_TYPE.TRANSFER_SYNTAX) pc.transferSyntax = decodePaddedText(sub.value);
      }
      ac.presentationContexts.push(pc);
    } else if (it.type === ITEM_TYPE.USER_INFORMATION) ac.userInformation = decodeUserInformation(it.value);
  }
  return ac;
}
