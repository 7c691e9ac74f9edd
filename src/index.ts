// dcmget as a library: `import { retrieve, echo, buildIdentifier, key } from 'dcmget'`.
export { retrieve, echo, resolveModel, previewContexts, CancelledError, DEFAULT_MAX_PDU, CANCEL_GRACE_MS } from './retrieve/retrieve.ts';
export type {
  RetrieveOptions, RetrieveResult, RetrieveEvent, PeerOptions, SubOperationCounters, EchoResult,
} from './retrieve/retrieve.ts';
export type { StoredFile, StoreFailure, Ledger } from './retrieve/store-scp.ts';
export type { StorageProposal } from './retrieve/presentation-contexts.ts';
export { proposalForClasses, defaultStorageProposal } from './retrieve/storage-proposal.ts';
export { buildIdentifier, parseKey, key, encodeIdentifier, formatIdentifier } from './dicom/identifier.ts';
export type { Key } from './dicom/identifier.ts';
export type { DicomJsonDataset, DicomJsonElement } from './dicom/dicom-json.ts';
export { describeStatus, statusCategory } from './dimse/status.ts';
export type { StatusCategory } from './dimse/status.ts';
export {
  ConnectionError, TimeoutError, AssociationRejectedError, AssociationAbortedError,
} from './ul/errors.ts';
export { ProtocolError } from './ul/protocol-error.ts';
export { UsageError } from './dicom/usage-error.ts';
export type { NegotiatedContext } from './ul/association.ts';
