// PS3.8 9.3: the seven PDU types of the DICOM Upper Layer protocol and the
// item/sub-item types they carry (PS3.8 9.3.2, 9.3.3, Annex D).

export const PDU_TYPE = {
  A_ASSOCIATE_RQ: 0x01,
  A_ASSOCIATE_AC: 0x02,
  A_ASSOCIATE_RJ: 0x03,
  P_DATA_TF: 0x04,
  A_RELEASE_RQ: 0x05,
  A_RELEASE_RP: 0x06,
  A_ABORT: 0x07,
} as const;

export const ITEM_TYPE = {
  APPLICATION_CONTEXT: 0x10,
  PRESENTATION_CONTEXT_RQ: 0x20,
  PRESENTATION_CONTEXT_AC: 0x21,
  ABSTRACT_SYNTAX: 0x30,
  TRANSFER_SYNTAX: 0x40,
  USER_INFORMATION: 0x50,
  MAXIMUM_LENGTH: 0x51,
  IMPLEMENTATION_CLASS_UID: 0x52,
  ASYNCHRONOUS_OPERATIONS_WINDOW: 0x53,
  SCP_SCU_ROLE_SELECTION: 0x54,
  IMPLEMENTATION_VERSION_NAME: 0x55,
  SOP_CLASS_EXTENDED_NEGOTIATION: 0x56,
  SOP_CLASS_COMMON_EXTENDED_NEGOTIATION: 0x57,
  USER_IDENTITY_RQ: 0x58,
  USER_IDENTITY_AC: 0x59,
} as const;

// PS3.7 Annex A.2.1: the only application context name defined by DICOM.
export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

export const PDU_HEADER_LENGTH = 6;
// PS3.8 9.3.5: each PDV item header is a 4-byte length, context ID and control header.
export const PDV_HEADER_LENGTH = 6;

/** PS3.8 D.3.3.3: role of the requestor for one SOP class. */
export interface RoleSelection {
  sopClassUid: string;
  scuRole: boolean;
  scpRole: boolean;
}

/** PS3.7 D.3.3.6: the service-class-specific application information for one SOP class. */
export interface ExtendedNegotiation {
  sopClassUid: string;
  info: Buffer;
}

/** PS3.7 D.3.3.7: User Identity Negotiation, request side. */
export interface UserIdentityRq {
  /** 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT */
  type: number;
  positiveResponseRequested: boolean;
  primaryField: Buffer;
  secondaryField: Buffer;
}

export interface UserInformation {
  /** PS3.8 D.1: 0 means no limit. */
  maxLength: number;
  implementationClassUid: string;
  implementationVersionName?: string | undefined;
  /** PS3.7 D.3.3.3: 0 means unlimited; absent means 1/1. */
  asyncOpsWindow?: { invoked: number; performed: number } | undefined;
  roleSelections: RoleSelection[];
  extendedNegotiations: ExtendedNegotiation[];
  userIdentityRq?: UserIdentityRq | undefined;
  /** A-ASSOCIATE-AC only: the server response of user identity negotiation. */
  userIdentityAc?: Buffer | undefined;
  /** Sub-items we do not interpret, kept for logging. */
  unknown: { type: number; length: number }[];
}

export interface PresentationContextRq {
  /** Odd integer 1..255 (PS3.8 9.3.2.2). */
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

/** PS3.8 9.3.3.2 Table 9-18: Result/Reason of a presentation context. */
export const PRESENTATION_CONTEXT_RESULT = {
  ACCEPTANCE: 0,
  USER_REJECTION: 1,
  NO_REASON: 2,
  ABSTRACT_SYNTAX_NOT_SUPPORTED: 3,
  TRANSFER_SYNTAXES_NOT_SUPPORTED: 4,
} as const;

export interface PresentationContextAc {
  id: number;
  result: number;
  /** Meaningful only when result is acceptance. */
  transferSyntax: string;
}

export interface AssociateRq {
  type: typeof PDU_TYPE.A_ASSOCIATE_RQ;
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  presentationContexts: PresentationContextRq[];
  userInformation: UserInformation;
}

export interface AssociateAc {
  type: typeof PDU_TYPE.A_ASSOCIATE_AC;
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  presentationContexts: PresentationContextAc[];
  userInformation: UserInformation;
}

export interface AssociateRj {
  type: typeof PDU_TYPE.A_ASSOCIATE_RJ;
  result: number;
  source: number;
  reason: number;
}

export interface ReleaseRq { type: typeof PDU_TYPE.A_RELEASE_RQ }
export interface ReleaseRp { type: typeof PDU_TYPE.A_RELEASE_RP }

export interface Abort {
  type: typeof PDU_TYPE.A_ABORT;
  source: number;
  reason: number;
}

/** Every PDU but P-DATA-TF, which the parser streams as PDV fragments instead. */
export type ControlPdu = AssociateRq | AssociateAc | AssociateRj | ReleaseRq | ReleaseRp | Abort;

/** PS3.8 Table 9-26, A-ABORT Reason/Diag.: significant only when the source is the service provider (else 0). 3 is reserved. */
export const ABORT_REASON = {
  NOT_SPECIFIED: 0,
  UNRECOGNIZED_PDU: 1,
  UNEXPECTED_PDU: 2,
  UNRECOGNIZED_PDU_PARAMETER: 4,
  UNEXPECTED_PDU_PARAMETER: 5,
  INVALID_PDU_PARAMETER_VALUE: 6,
} as const;

/** PS3.8 E.2: message control header bits. */
export const MESSAGE_CONTROL = { COMMAND: 0x01, LAST: 0x02 } as const;
