// Stage 3 of a retrieve: units. A unit is one C-GET (PS3.4 C.4.3) whose storage contexts fit one
// association (PS3.8 9.3.2.2: at most 128 presentation contexts, one of them the GET class's).
// Each class of a unit gets a context for every syntax it may be stored in, so that a peer that
// picks the context by stored syntax sends every instance unchanged; a request whose classes do
// not all fit that way is split by study, and a unit is split by series for --parallel.
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { buildIdentifier, key } from '../dicom/identifier.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { inventoryClasses, inventorySyntaxes, type Inventory, type Located } from './inventory.ts';
import { countContexts, MAX_PRESENTATION_CONTEXTS, type StorageProposal } from './presentation-contexts.ts';
import { buildProposal, proposalForClasses } from './storage-proposal.ts';
import type { Request } from './requests.ts';

export interface Unit {
  id: number;
  request: Request;
  identifier: DicomJsonDataset;
  storage: StorageProposal[];
  /** For messages and --ndjson: `study 1.2.3`, `series 1.2.3.4`, `3 instances of series 1.2.3.4`. */
  label: string;
  /** Stable within the request, for --ledger: the study or series UID, or the request itself. */
  key: string;
  /** How many instances the inventory listed for it, when it did. */
  expected: number | undefined;
  /** The SOP Instance UIDs it asks for, for an IMAGE level unit. */
  instances?: string[] | undefined;
  /** Asked by recovery: its counters and status are recovery's, not the request's first answer. */
  recovery?: boolean | undefined;
}

/** The storage contexts one association holds beside the C-GET class's own. */
export const STORAGE_BUDGET = MAX_PRESENTATION_CONTEXTS - 1;

export interface ProposalInput {
  /** Given whole (--storage-config): used as it is. */
  storage: StorageProposal[] | undefined;
  extraStorageClasses: string[] | undefined;
  contextSyntaxes: string[][] | undefined;
}

/**
 * The proposal for a set of classes with every candidate syntax each (undefined when that does
 * not fit one association), or the default set when the classes are unknown.
 */
export function proposalFor(classes: string[] | undefined, syntaxes: Map<string, Set<string>>, input: ProposalInput): StorageProposal[] | undefined {
  if (input.storage) return input.storage;
  if (!classes) return buildProposal({ extra: input.extraStorageClasses, contexts: input.contextSyntaxes });
  const all = [...new Set([...input.extraStorageClasses ?? [], ...classes])];
  if (input.contextSyntaxes) {
    const p = all.map((sopClassUid) => ({ sopClassUid, contexts: input.contextSyntaxes! }));
    return countContexts(p, 0) <= STORAGE_BUDGET ? p : undefined;
  }
  // A budget that never binds gives each class every candidate context.
  const full = proposalForClasses(all, syntaxes, Number.MAX_SAFE_INTEGER);
  return countContexts(full, 0) <= STORAGE_BUDGET ? full : undefined;
}

/** Shares one association among more classes than get every syntax: fewer syntaxes each. */
export function sharedProposal(classes: string[], syntaxes: Map<string, Set<string>>, input: ProposalInput): StorageProposal[] {
  return buildProposal({ planned: classes, syntaxesByClass: syntaxes, extra: input.extraStorageClasses, contexts: input.contextSyntaxes });
}

let nextUnitId = 1;

function unit(request: Request, identifier: DicomJsonDataset, storage: StorageProposal[], label: string, unitKey: string, expected?: number): Unit {
  return { id: nextUnitId++, request, identifier, storage, label, key: unitKey, expected };
}

/** Unique keys above a level that hierarchical SCPs require (PS3.4 C.4.3.1.3.1). */
function patientKey(model: RetrieveModel, patientId: string | undefined) {
  return model.model === 'patient' && patientId ? [key('PatientID', patientId)] : [];
}

export interface UnitNotes {
  /** Something a user should know about how the request was split or proposed (-v). */
  note(message: string): void;
}

/**
 * The units of one request: the request itself when its classes fit one association (or are
 * unknown), else one per study; one per series with --parallel.
 */
export function unitsFor(inv: Inventory | undefined, request: Request, model: RetrieveModel, input: ProposalInput, bySeries: boolean, notes: UnitNotes): Unit[] {
  const syntaxes = inv ? inventorySyntaxes(inv) : new Map<string, Set<string>>();
  const classes = inv ? inventoryClasses(inv) : undefined;
  const whole = proposalFor(classes, syntaxes, input);
  const studies = inv?.studies ? [...inv.studies.values()] : undefined;
  const splittable = studies && studies.length > 0 && (request.level === 'PATIENT' || request.level === 'STUDY');
  if (!splittable || (whole && !bySeries)) {
    return [unit(request, request.identifier, whole ?? sharedProposal(classes!, syntaxes, input), `${request.level?.toLowerCase() ?? 'request'} ${request.key.replace(/^\S+ /, '')}`, request.key)];
  }
  const out: Unit[] = [];
  for (const study of studies) {
    const own = study.sopClasses ? proposalFor(study.sopClasses, syntaxes, input) : whole;
    let storage = own;
    if (!storage) {
      storage = sharedProposal(study.sopClasses ?? classes!, syntaxes, input);
      notes.note(`study ${study.uid}: its ${study.sopClasses?.length ?? '?'} storage classes do not all fit one association with every transfer syntax; fewer syntaxes each (an instance stored in another may come transcoded, or be recovered after)`);
    }
    const base = [key('QueryRetrieveLevel', 'STUDY'), ...patientKey(model, study.patientId), key('StudyInstanceUID', study.uid)];
    if (!bySeries || !study.series || study.series.size <= 1) {
      out.push(unit(request, buildIdentifier(base), storage, `study ${study.uid}`, study.uid));
      continue;
    }
    for (const series of study.series.values()) {
      const id = buildIdentifier([...base, key('QueryRetrieveLevel', 'SERIES'), key('SeriesInstanceUID', series.uid)]);
      out.push(unit(request, id, storage, `series ${series.uid}`, series.uid, series.instances?.size ?? series.expected));
    }
  }
  return out;
}

/**
 * IMAGE level units for given instances (a resume, recovery): one per series (PS3.4 C.4.3.1.3.1
 * wants the study and series keys above an IMAGE level request), each UID once, `perGet` UIDs
 * at most per C-GET (1 for a peer that refuses lists).
 */
export function instanceUnits(request: Request, located: Located[], model: RetrieveModel, storage: StorageProposal[], perGet: number, why: string): Unit[] {
  const bySeries = new Map<string, Located[]>();
  const seen = new Set<string>();
  for (const l of located) {
    if (seen.has(l.instance.uid)) continue;
    seen.add(l.instance.uid);
    const k = `${l.studyUid}|${l.seriesUid}`;
    bySeries.set(k, [...bySeries.get(k) ?? [], l]);
  }
  const out: Unit[] = [];
  for (const group of bySeries.values()) {
    const first = group[0]!;
    for (let i = 0; i < group.length; i += perGet) {
      const chunk = group.slice(i, i + perGet);
      const id = buildIdentifier([
        key('QueryRetrieveLevel', 'IMAGE'), ...patientKey(model, first.patientId), key('StudyInstanceUID', first.studyUid),
        key('SeriesInstanceUID', first.seriesUid), key('SOPInstanceUID', chunk.map((l) => l.instance.uid)),
      ]);
      const label = `${chunk.length === 1 ? `instance ${chunk[0]!.instance.uid}` : `${chunk.length} instances`} of series ${first.seriesUid} (${why})`;
      const u = unit(request, id, storage, label, `${first.seriesUid}:${chunk.map((l) => l.instance.uid).join(',')}`, chunk.length);
      u.instances = chunk.map((l) => l.instance.uid);
      out.push(u);
    }
  }
  return out;
}
