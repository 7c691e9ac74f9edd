// A request is one thing the user asked for: one Identifier (a --study, a line of --uids-from, a
// query file). Its key names it stably, for --shard and --ledger: the level and unique keys when
// that is all it holds (`STUDY 1.2.3`), else the level and every key in tag order.
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { getKeyValue } from '../dicom/identifier.ts';
import type { QueryRetrieveLevel } from '../dicom/retrieve-sop-classes.ts';

export const TAG = {
  level: 0x00080052, patientId: 0x00100020, studyUid: 0x0020000d, seriesUid: 0x0020000e,
  sopInstanceUid: 0x00080018, sopClassUid: 0x00080016, sopClassesInStudy: 0x00080062,
  availableTs: 0x00083002, studyInstances: 0x00201208, seriesInstances: 0x00201209,
  failedList: 0x00080058,
} as const;

const UNIQUE = [TAG.level, TAG.patientId, TAG.studyUid, TAG.seriesUid, TAG.sopInstanceUid].map((t) => t.toString(16).padStart(8, '0').toUpperCase());

export interface Request {
  /** Position in the user's list, from 0. */
  index: number;
  identifier: DicomJsonDataset;
  /** undefined for the models without levels (PS3.4 U, HH, …). */
  level: QueryRetrieveLevel | undefined;
  key: string;
  patientId: string | undefined;
  studyUids: string[];
  seriesUids: string[];
  sopInstanceUids: string[];
}

export function toRequest(identifier: DicomJsonDataset, index: number): Request {
  const level = getKeyValue(identifier, TAG.level)?.[0]?.trim().toUpperCase() as QueryRetrieveLevel | undefined;
  const values = (tag: number) => (getKeyValue(identifier, tag) ?? []).map((v) => v.trim()).filter(Boolean);
  return {
    index, identifier, level, key: requestKey(identifier, level),
    patientId: values(TAG.patientId)[0],
    studyUids: values(TAG.studyUid), seriesUids: values(TAG.seriesUid), sopInstanceUids: values(TAG.sopInstanceUid),
  };
}

function requestKey(identifier: DicomJsonDataset, level: string | undefined): string {
  const tags = Object.keys(identifier).sort();
  const onlyUnique = tags.every((t) => UNIQUE.includes(t.toUpperCase()));
  const valuesOf = (t: string) => (identifier[t]!.Value ?? []).map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)).trim()).join('\\');
  if (onlyUnique) {
    const unique = tags.filter((t) => t.toUpperCase() !== UNIQUE[0]).map(valuesOf).filter(Boolean);
    return `${level ?? '-'} ${unique.join(' ')}`.trim();
  }
  return `${level ?? '-'} ${JSON.stringify(tags.map((t) => [t.toUpperCase(), identifier[t]!.vr, identifier[t]!.Value ?? []]))}`;
}
