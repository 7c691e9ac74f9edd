// Which storage contexts to propose when nothing is known about what the retrieve will bring.
import { STORAGE_SOP_CLASSES } from '../dicom/storage-sop-classes.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../dicom/transfer-syntaxes.ts';
import { MAX_PRESENTATION_CONTEXTS, type StorageProposal } from './presentation-contexts.ts';

export function defaultStorageProposal(): StorageProposal[] {
  return STORAGE_SOP_CLASSES.filter((c) => !c.retired)
    .slice(0, MAX_PRESENTATION_CONTEXTS - 1)
    .map((c) => ({ sopClassUid: c.uid, contexts: [[EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN]] }));
}
