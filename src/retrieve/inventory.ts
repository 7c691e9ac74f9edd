// Stage 2 of a retrieve: the inventory of one request, from C-FIND (PS3.4 C.4.1, C.6), asked
// only as deep as the job needs: studies (with SOP Classes in Study, PS3.4 C.6.1.1.5), then their
// series, then their instances (SOP Class UID, Available Transfer Syntax UID). Every answer is
// de-duplicated by UID, because some SCPs answer one row per instance at every level, and every
// weakness of a real PACS's C-FIND is recorded rather than trusted: a level refused, a failure or
// result limit after a partial listing, a listing that disagrees with the Number of Study/Series
// Related Instances the peer itself gives (PS3.4 C.6.1.1.4, C.6.1.1.5). Later stages rely on an
// instance listing only when it is `trusted`.
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { buildIdentifier, key, type Key } from '../dicom/identifier.ts';
import type { Finder, FindOutcome } from './finder.ts';
import { TAG, type Request } from './requests.ts';

export interface InstanceEntry { uid: string; sopClassUid: string | undefined; syntaxes: string[] }
export interface SeriesEntry { uid: string; instances: Map<string, InstanceEntry> | undefined; expected: number | undefined }
export interface StudyEntry {
  uid: string;
  patientId: string | undefined;
  /** From SOP Classes in Study, or from the instances' SOP Class UIDs. */
  sopClasses: string[] | undefined;
  series: Map<string, SeriesEntry> | undefined;
  expected: number | undefined;
}

/** How deep a request needs to be known: its classes (for the proposal), its series (to split it), its instances (to resume). */
export type Depth = 'classes' | 'series' | 'instances';

export interface Inventory {
  request: Request;
  /** Undefined when the peer could not list the match at all (no C-FIND, or it failed). */
  studies: Map<string, StudyEntry> | undefined;
  /** Every query answered Success and every count the peer gave agrees with what it listed. */
  trusted: boolean;
  /** Whether the instance counts could be checked against the peer's own totals. */
  counted: boolean;
  problems: string[];
}

/** Beyond this many series, a listing for classes alone is not worth its queries: the default proposal does. */
const MAX_SERIES_FOR_CLASSES = 200;

/**
 * The inventory of a request, as deep as `depth`; `from`, an earlier shallower inventory of the
 * same request, is deepened rather than asked again.
 */
export async function takeInventory(request: Request, finder: Finder, depth: Depth, from?: Inventory): Promise<Inventory> {
  const inv: Inventory = from?.studies ? { ...from, problems: [...from.problems] } : { request, studies: undefined, trusted: true, counted: false, problems: [] };
  const q = new Queries(finder, inv, request.patientId);
  if (!request.level || request.level === 'FRAME') return fail(inv, 'the request has no level a C-FIND can list');
  if (request.level === 'IMAGE') {
    if (!inv.studies) await q.instancesByKeys(request);
    return inv;
  }
  if (!inv.studies && request.level === 'SERIES') await q.seriesGiven(request);
  else if (!inv.studies) await q.studies(request.identifier);
  if (!inv.studies) return inv;
  const studies = [...inv.studies.values()];
  const classesKnown = () => studies.every((s) => s.sopClasses?.length);
  if (depth === 'classes' && classesKnown()) return inv;
  // Known from an earlier request of the run: the instances would not tell the classes either.
  if (depth === 'classes' && finder.classlessInstances) return fail(inv, CLASSLESS, false);
  for (const study of studies) if (!study.series) await q.series(study);
  if (depth === 'series' && classesKnown()) return inv;
  if (depth === 'series' && finder.classlessInstances) return fail(inv, CLASSLESS, false);
  const seriesCount = studies.reduce((n, s) => n + (s.series?.size ?? 0), 0);
  if (depth === 'classes' && seriesCount > MAX_SERIES_FOR_CLASSES) return fail(inv, `${seriesCount} series: too many to list for the storage classes alone`, false);
  for (const study of studies) {
    for (const series of study.series?.values() ?? []) {
      await q.instances(study, series);
      // A peer whose IMAGE level answers carry no SOP Class UID (dcmqrscp: not one of its keys)
      // cannot tell the classes, which is all this listing was for: the rest of it would only
      // cost queries (a 2,000-instance study from dcmqrscp: ~0.2 s). Without a whole listing,
      // later stages judge the request by its counters, as for a peer giving SOP Classes in Study.
      if (depth !== 'instances' && unclassed(series)) {
        finder.classlessInstances = true;
        return fail(inv, CLASSLESS, false);
      }
    }
    if (inv.trusted) settleClasses(study);
  }
  checkCounts(inv);
  return inv;
}

const CLASSLESS = 'the peer\'s IMAGE level C-FIND answers no SOP Class UID: the classes cannot be learnt from it';

/** Instances listed, none with a SOP Class UID. */
function unclassed(series: SeriesEntry): boolean {
  const listed = [...series.instances?.values() ?? []];
  return listed.length > 0 && listed.every((i) => !i.sopClassUid);
}

function fail(inv: Inventory, problem: string, untrusted = true): Inventory {
  inv.problems.push(problem);
  if (untrusted) inv.trusted = false;
  return inv;
}

/**
 * The classes of a study learnt from its instances, where SOP Classes in Study was not answered;
 * only from a listing every query of which ended in Success (a cut listing may miss a class).
 */
function settleClasses(study: StudyEntry): void {
  if (study.sopClasses?.length) return;
  const all = [...study.series?.values() ?? []].flatMap((s) => [...s.instances?.values() ?? []]);
  if (all.length > 0 && all.every((i) => i.sopClassUid)) study.sopClasses = [...new Set(all.map((i) => i.sopClassUid!))];
}

/** A listing that disagrees with the peer's own Number of … Related Instances is not to be trusted. */
function checkCounts(inv: Inventory): void {
  for (const study of inv.studies?.values() ?? []) {
    let listed = 0;
    for (const series of study.series?.values() ?? []) {
      const n = series.instances?.size;
      if (n === undefined) return;
      listed += n;
      if (series.expected !== undefined) {
        inv.counted = true;
        if (series.expected !== n) fail(inv, `series ${series.uid}: the peer counts ${series.expected} instance(s) but listed ${n}`);
      }
    }
    if (study.expected !== undefined) {
      inv.counted = true;
      if (study.expected !== listed) fail(inv, `study ${study.uid}: the peer counts ${study.expected} instance(s) but listed ${listed}`);
    }
  }
}

/** The C-FINDs of one inventory, each adding what it learns to `inv`. */
class Queries {
  private readonly finder: Finder;
  private readonly inv: Inventory;
  private readonly patientId: string | undefined;

  constructor(finder: Finder, inv: Inventory, patientId: string | undefined) {
    this.finder = finder;
    this.inv = inv;
    this.patientId = patientId;
  }

  /** A query; undefined (and the inventory marked) when the peer has no C-FIND or refused it. */
  private async ask(keys: Key[], tags: number[], base: DicomJsonDataset = {}): Promise<FindOutcome | undefined> {
    // A shallow copy: the keys set here are all top-level (a query file's values may not be cloneable).
    const outcome = await this.finder.find(buildIdentifier(keys, { ...base }), tags);
    if (!outcome) {
      fail(this.inv, this.finder.unavailableReason ?? 'no C-FIND');
      return undefined;
    }
    if (!outcome.complete) fail(this.inv, outcome.problem!);
    return outcome;
  }

  /** Unique keys of the levels above (PS3.4 C.4.1.3.1.1, hierarchical search): the patient's where known. */
  private above(study: StudyEntry | undefined): Key[] {
    const patientId = study?.patientId ?? this.patientId;
    return [...(patientId ? [key('PatientID', patientId)] : []), ...(study ? [key('StudyInstanceUID', study.uid)] : [])];
  }

  async studies(identifier: DicomJsonDataset): Promise<void> {
    const r = await this.ask([key('QueryRetrieveLevel', 'STUDY'), ...missing(identifier, ['StudyInstanceUID', 'PatientID']),
      key('SOPClassesInStudy', ''), key('NumberOfStudyRelatedInstances', '')],
    [TAG.studyUid, TAG.patientId, TAG.sopClassesInStudy, TAG.studyInstances], identifier);
    if (!r) return;
    const studies = new Map<string, StudyEntry>();
    for (const row of r.rows) {
      const uid = row.get(TAG.studyUid)?.[0];
      if (!uid) continue;
      const s = studies.get(uid) ?? { uid, patientId: row.get(TAG.patientId)?.[0] || this.patientId, sopClasses: undefined, series: undefined, expected: count(row, TAG.studyInstances) };
      const classes = row.get(TAG.sopClassesInStudy) ?? [];
      if (classes.length) s.sopClasses = [...new Set([...s.sopClasses ?? [], ...classes])];
      studies.set(uid, s);
    }
    this.inv.studies = studies;
  }

  async series(study: StudyEntry): Promise<void> {
    const r = await this.ask([key('QueryRetrieveLevel', 'SERIES'), ...this.above(study), key('SeriesInstanceUID', ''), key('NumberOfSeriesRelatedInstances', '')],
      [TAG.seriesUid, TAG.seriesInstances]);
    study.series = new Map();
    for (const row of r?.rows ?? []) {
      const uid = row.get(TAG.seriesUid)?.[0];
      if (uid && !study.series.has(uid)) study.series.set(uid, { uid, instances: undefined, expected: count(row, TAG.seriesInstances) });
    }
  }

  async instances(study: StudyEntry, series: SeriesEntry): Promise<void> {
    const r = await this.ask([key('QueryRetrieveLevel', 'IMAGE'), ...this.above(study), key('SeriesInstanceUID', series.uid),
      key('SOPInstanceUID', ''), key('SOPClassUID', ''), key('AvailableTransferSyntaxUID', '')],
    [TAG.sopInstanceUid, TAG.sopClassUid, TAG.availableTs]);
    if (!r) return;
    series.instances = new Map();
    for (const row of r.rows) addInstance(series.instances, row);
  }

  /** A SERIES level request: its series as given, under studies the request names or a query finds. */
  async seriesGiven(request: Request): Promise<void> {
    const studyOf = new Map<string, string>();
    if (request.studyUids.length === 1) for (const s of request.seriesUids) studyOf.set(s, request.studyUids[0]!);
    else {
      const r = await this.ask([key('QueryRetrieveLevel', 'SERIES'), ...this.above(undefined), key('SeriesInstanceUID', request.seriesUids), key('StudyInstanceUID', request.studyUids)],
        [TAG.seriesUid, TAG.studyUid]);
      for (const row of r?.rows ?? []) {
        const s = row.get(TAG.seriesUid)?.[0];
        const st = row.get(TAG.studyUid)?.[0];
        if (s && st) studyOf.set(s, st);
      }
    }
    const studies = new Map<string, StudyEntry>();
    for (const [seriesUid, studyUid] of studyOf) {
      const study = studies.get(studyUid) ?? { uid: studyUid, patientId: this.patientId, sopClasses: undefined, series: new Map(), expected: undefined };
      study.series!.set(seriesUid, { uid: seriesUid, instances: undefined, expected: undefined });
      studies.set(studyUid, study);
    }
    if (studyOf.size < request.seriesUids.length) fail(this.inv, 'the peer\'s C-FIND does not return every series asked for');
    this.inv.studies = studies;
  }

  /** An IMAGE level request: its instances, with the study and series each lives in. */
  async instancesByKeys(request: Request): Promise<void> {
    const r = await this.ask([key('QueryRetrieveLevel', 'IMAGE'), key('StudyInstanceUID', request.studyUids), key('SeriesInstanceUID', request.seriesUids),
      key('SOPInstanceUID', request.sopInstanceUids), key('SOPClassUID', ''), key('AvailableTransferSyntaxUID', '')],
    [TAG.studyUid, TAG.seriesUid, TAG.sopInstanceUid, TAG.sopClassUid, TAG.availableTs], request.identifier);
    if (!r) return;
    const studies = new Map<string, StudyEntry>();
    for (const row of r.rows) {
      const studyUid = row.get(TAG.studyUid)?.[0] || request.studyUids[0] || '';
      const seriesUid = row.get(TAG.seriesUid)?.[0] || request.seriesUids[0] || '';
      const study = studies.get(studyUid) ?? { uid: studyUid, patientId: this.patientId, sopClasses: undefined, series: new Map(), expected: undefined };
      const series = study.series!.get(seriesUid) ?? { uid: seriesUid, instances: new Map(), expected: undefined };
      addInstance(series.instances!, row);
      study.series!.set(seriesUid, series);
      studies.set(studyUid, study);
    }
    if (this.inv.trusted) for (const s of studies.values()) settleClasses(s);
    this.inv.studies = studies;
  }
}

function addInstance(into: Map<string, InstanceEntry>, row: Map<number, string[]>): void {
  const uid = row.get(TAG.sopInstanceUid)?.[0];
  if (!uid || into.has(uid)) return;
  into.set(uid, { uid, sopClassUid: row.get(TAG.sopClassUid)?.[0] || undefined, syntaxes: row.get(TAG.availableTs) ?? [] });
}

function count(row: Map<number, string[]>, tag: number): number | undefined {
  const v = row.get(tag)?.[0];
  return v !== undefined && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
}

/** Return keys the user's Identifier does not already give (its own values define the match). */
function missing(identifier: DicomJsonDataset, keywords: string[]): Key[] {
  const hex: Record<string, number> = { StudyInstanceUID: TAG.studyUid, PatientID: TAG.patientId };
  return keywords.filter((k) => !identifier[hex[k]!.toString(16).padStart(8, '0').toUpperCase()]).map((k) => key(k, ''));
}

/** Every instance the inventory lists, with where it lives. */
export interface Located { studyUid: string; seriesUid: string; patientId: string | undefined; instance: InstanceEntry }

export function listedInstances(inv: Inventory): Located[] | undefined {
  if (!inv.studies) return undefined;
  const out: Located[] = [];
  for (const study of inv.studies.values()) {
    if (!study.series) return undefined;
    for (const series of study.series.values()) {
      if (!series.instances) return undefined;
      for (const instance of series.instances.values()) out.push({ studyUid: study.uid, seriesUid: series.uid, patientId: study.patientId, instance });
    }
  }
  return out;
}

/** The storage classes of the match, when every study's are known. */
export function inventoryClasses(inv: Inventory): string[] | undefined {
  if (!inv.studies || inv.studies.size === 0) return undefined;
  const studies = [...inv.studies.values()];
  if (!studies.every((s) => s.sopClasses?.length)) return undefined;
  return [...new Set(studies.flatMap((s) => s.sopClasses!))];
}

/** Stored transfer syntaxes per class, where the peer answered Available Transfer Syntax UID for every instance of it in a listing checked against its counts. */
export function inventorySyntaxes(inv: Inventory): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  // A listing that could not be checked against the peer's own counts may miss the one instance
  // of a class stored in another syntax: then every candidate syntax is proposed instead.
  if (!inv.trusted || !inv.counted) return out;
  const unknown = new Set<string>();
  for (const l of listedInstances(inv) ?? []) {
    const cls = l.instance.sopClassUid;
    if (!cls) continue;
    if (l.instance.syntaxes.length === 0) unknown.add(cls);
    const set = out.get(cls) ?? new Set<string>();
    for (const t of l.instance.syntaxes) set.add(t);
    out.set(cls, set);
  }
  for (const cls of unknown) out.delete(cls);
  return out;
}
