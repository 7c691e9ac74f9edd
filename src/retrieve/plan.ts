// The study-sized plan: before the C-GET, a C-FIND on the same peer asks what the match holds,
// so that exactly those storage classes are proposed (PS3.4 C.6.1.1.5 SOP Classes in Study,
// C.6.1.1.5/C.6.2.1.2 SOP Class UID at the instance level, PS3.4 C.6.1.1.5.1 Available Transfer
// Syntax UID where a peer answers it). A peer that answers none of these leaves the plan empty,
// and the caller falls back to the default proposal.
import type { DicomJsonDataset as DenaturalizedDataset } from '../dicom/dicom-json.ts';
import { buildIdentifier, encodeIdentifier, getKeyValue, key } from '../dicom/identifier.ts';
import { readStrings } from '../dicom/data-set-reader.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { tagHex } from '../dicom/dictionary.ts';
import { statusCategory } from '../dimse/status.ts';
import { QUERY_TRANSFER_SYNTAXES } from './presentation-contexts.ts';
import type { ScuSession, Response } from '../dimse/scu-session.ts';

export interface Inventory {
  sopClasses: string[];
  /** Stored syntaxes per class, where the peer answered Available Transfer Syntax UID. */
  syntaxes: Map<string, Set<string>>;
  /** How the classes were learnt. */
  method: 'SOPClassesInStudy' | 'SOPClassUID';
  /** Instances seen at the IMAGE level (when the plan went that deep). */
  instances: number | undefined;
}

const T = {
  level: 0x00080052, studyUid: 0x0020000d, seriesUid: 0x0020000e, sopInstanceUid: 0x00080018,
  sopClassUid: 0x00080016, sopClassesInStudy: 0x00080062, availableTs: 0x00083002, patientId: 0x00100020,
} as const;

/** Bounds so that a plan never costs more than the retrieve: a query per series at most this many. */
const MAX_SERIES_QUERIES = 200;

export function findContexts(model: RetrieveModel) {
  return model.find ? [{ id: 1, abstractSyntax: model.find, transferSyntaxes: QUERY_TRANSFER_SYNTAXES }] : [];
}

function values(r: Response, ts: string, tags: number[]): Map<number, string[]> {
  return r.dataSet ? readStrings(r.dataSet, ts, tags) : new Map();
}

type Finder = (ds: DenaturalizedDataset, tags: number[]) => Promise<Map<number, string[]>[]>;

/** A C-FIND on the model's FIND context returning the wanted tags of each match; undefined without that context. */
function finder(session: ScuSession, model: RetrieveModel): Finder | undefined {
  const context = model.find ? session.acceptedContext(model.find) : undefined;
  if (!context) return undefined;
  const ts = context.transferSyntax;
  return async (ds, tags) => {
    const rows: Map<number, string[]>[] = [];
    const final = await session.find(context, encodeIdentifier(ds, ts), (r) => rows.push(values(r, ts, tags)));
    const status = final.command.status ?? 0;
    if (statusCategory(status) !== 'success') throw new Error(`C-FIND answered 0x${status.toString(16).padStart(4, '0')}`);
    return rows;
  };
}

/**
 * Runs the plan's C-FINDs on an open session (whose contexts include the model's FIND class).
 * Returns undefined when the peer cannot say which classes the match holds.
 */
export async function survey(session: ScuSession, model: RetrieveModel, identifier: DenaturalizedDataset): Promise<Inventory | undefined> {
  if (!model.find) return undefined;
  const find = finder(session, model);
  if (!find) return undefined;
  const level = getKeyValue(identifier, T.level)?.[0] ?? 'STUDY';
  // The user's keys stay (they define the match); the plan adds its return keys.
  const withKeys = (lvl: string, extra: [string, string][]): DenaturalizedDataset => ({
    ...identifier,
    ...buildIdentifier([key('QueryRetrieveLevel', lvl), ...extra.map(([k, v]) => key(k, v))]),
  });

  if (level === 'PATIENT' || level === 'STUDY') {
    const studies = await find(withKeys('STUDY', [['StudyInstanceUID', getKeyValue(identifier, T.studyUid)?.join('\\') ?? ''], ['SOPClassesInStudy', '']]), [T.studyUid, T.sopClassesInStudy]);
    if (studies.length === 0) return { sopClasses: [], syntaxes: new Map(), method: 'SOPClassesInStudy', instances: 0 };
    if (studies.every((s) => (s.get(T.sopClassesInStudy)?.length ?? 0) > 0)) {
      const classes = new Set(studies.flatMap((s) => s.get(T.sopClassesInStudy)!));
      return { sopClasses: [...classes], syntaxes: new Map(), method: 'SOPClassesInStudy', instances: undefined };
    }
    return descend(find, identifier, studies.map((s) => s.get(T.studyUid)?.[0]).filter((u): u is string => !!u));
  }
  if (level === 'SERIES') {
    return descend(find, identifier, getKeyValue(identifier, T.studyUid) ?? [], getKeyValue(identifier, T.seriesUid));
  }
  return images(find, withKeys('IMAGE', [['SOPInstanceUID', getKeyValue(identifier, T.sopInstanceUid)?.join('\\') ?? '']]));
}

async function descend(find: Finder, identifier: DenaturalizedDataset, studies: string[], seriesGiven?: string[]): Promise<Inventory | undefined> {
  const patientId = getKeyValue(identifier, T.patientId)?.[0];
  const base = (lvl: string, study: string): DenaturalizedDataset => buildIdentifier([
    key('QueryRetrieveLevel', lvl), key('StudyInstanceUID', study), ...(patientId ? [key('PatientID', patientId)] : []),
  ]);
  const series: [string, string][] = [];
  if (seriesGiven?.length) {
    for (const s of seriesGiven) series.push([studies[0] ?? '', s]);
  } else {
    for (const study of studies) {
      for (const r of await find({ ...base('SERIES', study), [tagHex(T.seriesUid)]: { vr: 'UI', Value: [] } }, [T.seriesUid])) {
        const uid = r.get(T.seriesUid)?.[0];
        if (uid) series.push([study, uid]);
      }
      if (series.length > MAX_SERIES_QUERIES) return undefined;
    }
  }
  const inv: Inventory = { sopClasses: [], syntaxes: new Map(), method: 'SOPClassUID', instances: 0 };
  for (const [study, s] of series) {
    const ds = { ...base('IMAGE', study), ...buildIdentifier([key('SeriesInstanceUID', s), key('SOPInstanceUID', ''), key('SOPClassUID', ''), key('AvailableTransferSyntaxUID', '')]) };
    if (!study) delete ds[tagHex(T.studyUid)];
    const part = await images(find, ds);
    if (!part) return undefined;
    merge(inv, part);
  }
  return inv;
}

async function images(find: Finder, ds: DenaturalizedDataset): Promise<Inventory | undefined> {
  const query = { ...ds, ...buildIdentifier([key('SOPClassUID', ''), key('AvailableTransferSyntaxUID', '')]) };
  const rows = await find(query, [T.sopClassUid, T.availableTs]);
  const inv: Inventory = { sopClasses: [], syntaxes: new Map(), method: 'SOPClassUID', instances: rows.length };
  for (const r of rows) {
    const cls = r.get(T.sopClassUid)?.[0];
    if (!cls) return undefined; // the peer does not return SOP Class UID (dcmqrscp): no plan
    if (!inv.sopClasses.includes(cls)) inv.sopClasses.push(cls);
    const avail = r.get(T.availableTs) ?? [];
    if (avail.length) {
      const set = inv.syntaxes.get(cls) ?? new Set<string>();
      for (const t of avail) set.add(t);
      inv.syntaxes.set(cls, set);
    }
  }
  return inv;
}

function merge(into: Inventory, part: Inventory): void {
  for (const c of part.sopClasses) if (!into.sopClasses.includes(c)) into.sopClasses.push(c);
  for (const [c, s] of part.syntaxes) {
    const set = into.syntaxes.get(c) ?? new Set<string>();
    for (const t of s) set.add(t);
    into.syntaxes.set(c, set);
  }
  into.instances = (into.instances ?? 0) + (part.instances ?? 0);
}

export interface LocatedInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  /** Where the peer answers SOP Class UID at the instance level. */
  sopClassUid: string | undefined;
}

/**
 * Every instance of the match, with its study and series (PS3.4 C.6.1.2 hierarchical search:
 * studies, then their series, then their instances). Used by the second pass, whose IMAGE-level
 * C-GETs need the higher levels' unique keys. Undefined when the match is too large to walk.
 */
export async function enumerateInstances(session: ScuSession, model: RetrieveModel, identifier: DenaturalizedDataset): Promise<LocatedInstance[] | undefined> {
  if (model.levels.length === 0) return undefined;
  const find = finder(session, model);
  if (!find) return undefined;
  const patientId = getKeyValue(identifier, T.patientId)?.[0];
  const withPatient = patientId ? [key('PatientID', patientId)] : [];
  const level = getKeyValue(identifier, T.level)?.[0] ?? 'STUDY';
  let studies = getKeyValue(identifier, T.studyUid) ?? [];
  if (level === 'PATIENT' || studies.length === 0) {
    const rows = await find({ ...identifier, ...buildIdentifier([key('QueryRetrieveLevel', 'STUDY'), key('StudyInstanceUID', studies.join('\\'))]) }, [T.studyUid]);
    studies = rows.map((r) => r.get(T.studyUid)?.[0]).filter((u): u is string => !!u);
  }
  const out: LocatedInstance[] = [];
  const wantedSeries = level === 'SERIES' || level === 'IMAGE' ? getKeyValue(identifier, T.seriesUid) : undefined;
  const wantedInstances = level === 'IMAGE' ? new Set(getKeyValue(identifier, T.sopInstanceUid) ?? []) : undefined;
  let seriesQueries = 0;
  for (const study of studies) {
    let series = wantedSeries;
    if (!series?.length) {
      const rows = await find(buildIdentifier([key('QueryRetrieveLevel', 'SERIES'), key('StudyInstanceUID', study), key('SeriesInstanceUID', ''), ...withPatient]), [T.seriesUid]);
      series = rows.map((r) => r.get(T.seriesUid)?.[0]).filter((u): u is string => !!u);
    }
    for (const s of series) {
      if (++seriesQueries > MAX_SERIES_QUERIES) return undefined;
      const rows = await find(buildIdentifier([
        key('QueryRetrieveLevel', 'IMAGE'), key('StudyInstanceUID', study), key('SeriesInstanceUID', s),
        key('SOPInstanceUID', ''), key('SOPClassUID', ''), ...withPatient,
      ]), [T.sopInstanceUid, T.sopClassUid]);
      for (const r of rows) {
        const sop = r.get(T.sopInstanceUid)?.[0];
        if (!sop || (wantedInstances?.size && !wantedInstances.has(sop))) continue;
        out.push({ studyInstanceUid: study, seriesInstanceUid: s, sopInstanceUid: sop, sopClassUid: r.get(T.sopClassUid)?.[0] });
      }
    }
  }
  return out;
}

/** [study, series] pairs of the match (STUDY or PATIENT level Identifier), by C-FIND. */
export async function listSeries(session: ScuSession, model: RetrieveModel, identifier: DenaturalizedDataset): Promise<[string, string][]> {
  const find = finder(session, model);
  if (!find) throw new Error(`the peer did not accept ${model.name} - FIND`);
  const patientId = getKeyValue(identifier, T.patientId)?.[0];
  let studies = getKeyValue(identifier, T.studyUid) ?? [];
  if (studies.length === 0 || getKeyValue(identifier, T.level)?.[0] === 'PATIENT') {
    studies = (await find({ ...identifier, ...buildIdentifier([key('QueryRetrieveLevel', 'STUDY'), key('StudyInstanceUID', studies.join('\\'))]) }, [T.studyUid]))
      .map((r) => r.get(T.studyUid)?.[0]).filter((u): u is string => !!u);
  }
  const out: [string, string][] = [];
  for (const study of studies) {
    const rows = await find(buildIdentifier([key('QueryRetrieveLevel', 'SERIES'), key('StudyInstanceUID', study), key('SeriesInstanceUID', ''), ...(patientId ? [key('PatientID', patientId)] : [])]), [T.seriesUid]);
    for (const r of rows) {
      const s = r.get(T.seriesUid)?.[0];
      if (s) out.push([study, s]);
    }
  }
  return out;
}

/**
 * IMAGE level Identifiers for the given instances, one per series (with the higher levels'
 * unique keys, which hierarchical SCPs such as dcmqrscp require), and the PatientID when the
 * user's Identifiers agree on one (patient root).
 */
export function imageLevelBySeries(instances: LocatedInstance[], userIdentifiers: DenaturalizedDataset[]): { series: string; count: number; identifier: DenaturalizedDataset }[] {
  const groups = new Map<string, LocatedInstance[]>();
  for (const l of instances) {
    const k = `${l.studyInstanceUid}|${l.seriesInstanceUid}`;
    groups.set(k, [...(groups.get(k) ?? []), l]);
  }
  const patientIds = new Set(userIdentifiers.map((d) => getKeyValue(d, T.patientId)?.[0]).filter(Boolean));
  const patient = patientIds.size === 1 ? [key('PatientID', [...patientIds][0]!)] : [];
  return [...groups.values()].map((ls) => ({
    series: ls[0]!.seriesInstanceUid,
    count: ls.length,
    identifier: buildIdentifier([
      key('QueryRetrieveLevel', 'IMAGE'), key('StudyInstanceUID', ls[0]!.studyInstanceUid), key('SeriesInstanceUID', ls[0]!.seriesInstanceUid),
      key('SOPInstanceUID', ls.map((l) => l.sopInstanceUid)), ...patient,
    ]),
  }));
}
