// dcmget as a library: `import { retrieve, startRetrieve, echo, buildIdentifier, key } from 'dcmget'`.
// The README's "Library" section shows it at work; docs/api/ is the reference made from these types.
export { retrieve, echo, resolveModel, DEFAULT_MAX_PDU, CANCEL_GRACE_MS } from './retrieve/retrieve.ts';
export { startRetrieve, RetrieveJob } from './retrieve/job.ts';
export { AbortError, CancelledError } from './retrieve/control.ts';
export type {
  RetrieveOptions, RetrieveResult, RetrieveEvent, PeerOptions, MoveOptions, Via, SubOperationCounters, EchoResult,
} from './retrieve/retrieve.ts';
export type { RetrieveEventMap, RetrieveEventType, RetrieveEventOf, RequestRef, UnitInfo } from './retrieve/events.ts';
export type { RecoveryReport } from './retrieve/recovery.ts';
export type { Shard } from './retrieve/shard.ts';
export type { StoredFile, StoreFailure, Ledger } from './retrieve/store-scp.ts';
export type { OnExists } from './output/instance-writer.ts';
export type { StorageProposal } from './retrieve/presentation-contexts.ts';
export { proposalForClasses, defaultStorageProposal } from './retrieve/storage-proposal.ts';
export { buildIdentifier, parseKey, key, encodeIdentifier, formatIdentifier } from './dicom/identifier.ts';
export type { Key } from './dicom/identifier.ts';
export type { AttributeInfo } from './dicom/dictionary.ts';
export type { DicomJsonDataset, DicomJsonElement } from './dicom/dicom-json.ts';
export type { RetrieveModel, RetrieveModelName, QueryRetrieveLevel } from './dicom/retrieve-sop-classes.ts';
export { describeStatus, statusCategory } from './dimse/status.ts';
export type { StatusCategory, Service } from './dimse/status.ts';
export {
  ConnectionError, TimeoutError, AssociationRejectedError, AssociationAbortedError,
} from './ul/errors.ts';
export type { Rejection } from './ul/errors.ts';
export { ProtocolError } from './ul/protocol-error.ts';
export { UsageError } from './dicom/usage-error.ts';
export type { NegotiatedContext, UlLogger } from './ul/association.ts';
export type { UserIdentityRq } from './ul/pdu-types.ts';
