// Builds the C-GET Identifiers (PS3.4 C.4.3.1.3, C.6) from what the user gave: -k keys, query
// files (as getscu), DICOM JSON (PS3.18 F.2), and the shortcuts that need no DICOM keys.
import fs from 'node:fs';
import type { DicomJsonDataset, DicomJsonElement } from '../dicom/dicom-json.ts';
import { buildIdentifier, getKeyValue, key, parseKey, type Key } from '../dicom/identifier.ts';
import { queryFileDataSet, readQueryDataSet } from '../dicom/query-file.ts';
import { withDeclaredCharacterSet } from '../dicom/data-set-writer.ts';
import { checkDataSet } from '../dicom/value-check.ts';
import { tagHex } from '../dicom/dictionary.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { UsageError } from '../dicom/usage-error.ts';
import { isValidUid } from '../dicom/uid.ts';

const QUERY_RETRIEVE_LEVEL = 0x00080052;
/** The most specific unique key present says the level, when the user gave none. */
const LEVEL_BY_KEY: [number, string][] = [
  [0x00080018, 'IMAGE'],
  [0x0020000e, 'SERIES'],
  [0x0020000d, 'STUDY'],
  [0x00100020, 'PATIENT'],
];

export interface QueryInput {
  keys: string[];
  queryFiles: string[];
  queryJson?: string | undefined;
  level?: string | undefined;
  patientIds: string[];
  studies: string[];
  series: string[];
  instances: string[];
  /** A file of UIDs (one a line), or '-' for standard input. */
  uidsFrom?: string | undefined;
  readStdin?: () => string;
  /** getscu --repeat: every C-GET this many times. */
  repeat?: number | undefined;
}

function readQueryFile(file: string): DicomJsonDataset {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read query file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const { bytes: dataSet, transferSyntaxUid } = queryFileDataSet(bytes);
    return readQueryDataSet(dataSet, transferSyntaxUid);
  } catch (err) {
    throw new UsageError(`query file ${file} is not a DICOM file dcmget can read: ${(err as Error).message} (write it with dump2dcm, as for getscu)`);
  }
}

/** PS3.18 F.2: an object keyed by 8-hex-digit tags with "vr" and "Value"; an array for several. */
function readQueryJson(file: string): DicomJsonDataset[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read DICOM JSON from ${file}: ${(err as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((ds, i) => validateJson(ds, `${file}${list.length > 1 ? `[${i}]` : ''}`));
}

function validateJson(ds: unknown, where: string): DicomJsonDataset {
  if (typeof ds !== 'object' || ds === null || Array.isArray(ds)) throw new UsageError(`${where}: a DICOM JSON data set is an object keyed by tags (PS3.18 F.2)`);
  const out: DicomJsonDataset = {};
  for (const [tag, el] of Object.entries(ds as Record<string, unknown>)) {
    if (!/^[0-9A-Fa-f]{8}$/.test(tag)) throw new UsageError(`${where}: "${tag}" is not a tag; DICOM JSON keys are 8 hex digits such as "0020000D"`);
    const e = el as { vr?: unknown; Value?: unknown; InlineBinary?: unknown };
    if (typeof e !== 'object' || e === null || typeof e.vr !== 'string') throw new UsageError(`${where}: element ${tag} needs a "vr"`);
    if (e.Value !== undefined && !Array.isArray(e.Value)) throw new UsageError(`${where}: element ${tag}'s "Value" must be an array`);
    // Each value is checked against its VR once the Identifier is built (value-check.ts).
    const values = e.vr === 'SQ' ? ((e.Value ?? []) as unknown[]).map((item, i) => validateJson(item, `${where} ${tag}[${i}]`)) : (e.Value ?? []);
    out[tag.toUpperCase()] = { vr: e.vr, Value: values as unknown[], ...(typeof e.InlineBinary === 'string' ? { InlineBinary: e.InlineBinary } : {}) } as DicomJsonElement;
  }
  return out;
}

function readUids(source: string, readStdin: (() => string) | undefined): string[] {
  let text: string;
  try {
    text = source === '-' ? (readStdin ?? (() => fs.readFileSync(0, 'utf8')))() : fs.readFileSync(source, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read UIDs from ${source === '-' ? 'standard input' : source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  // Line numbers count every line, comments and blank ones included, as an editor shows them.
  const lines = text.split(/\r?\n/).map((l, i) => ({ uid: l.replace(/#.*/, '').trim(), line: i + 1 })).filter((l) => l.uid);
  for (const { uid, line } of lines) {
    if (!isValidUid(uid)) throw new UsageError(`${source === '-' ? 'standard input' : source}, line ${line}: "${uid.slice(0, 80)}" is not a UID (digits and dots, at most 64 characters)`);
  }
  const uids = lines.map((l) => l.uid);
  if (uids.length === 0) throw new UsageError(`no UID in ${source === '-' ? 'standard input' : source}`);
  return uids;
}

const SHORTCUTS = [
  { flag: '--patient-id', field: 'patientIds', keyword: 'PatientID', level: 'PATIENT', uid: false },
  { flag: '--study', field: 'studies', keyword: 'StudyInstanceUID', level: 'STUDY', uid: true },
  { flag: '--series', field: 'series', keyword: 'SeriesInstanceUID', level: 'SERIES', uid: true },
  { flag: '--instance', field: 'instances', keyword: 'SOPInstanceUID', level: 'IMAGE', uid: true },
] as const;

/** Whether the shortcuts ask for a study-root-only retrieve (no patient ID to anchor patient root). */
export function shortcutsWantStudyRoot(input: QueryInput): boolean {
  return input.patientIds.length === 0 && (input.studies.length + input.series.length + input.instances.length > 0 || !!input.uidsFrom);
}

export function buildIdentifiers(input: QueryInput, model: RetrieveModel): DicomJsonDataset[] {
  const keys: Key[] = input.keys.map(parseKey);
  let bases: DicomJsonDataset[] = [
    ...input.queryFiles.map(readQueryFile),
    ...(input.queryJson ? readQueryJson(input.queryJson) : []),
  ];
  if (bases.length === 0) bases = [{}];

  // Shortcuts: one value is set on every Identifier; several values of the most specific
  // shortcut (and --uids-from) make one C-GET each, all over one association.
  const given = SHORTCUTS.map((s) => ({ ...s, values: [...input[s.field]] })).filter((s) => s.values.length > 0);
  const levelFromFlag = input.level?.toUpperCase();
  if (input.uidsFrom) {
    const uids = readUids(input.uidsFrom, input.readStdin);
    const target = SHORTCUTS.find((s) => s.level === (levelFromFlag === 'FRAME' ? 'IMAGE' : levelFromFlag) && s.uid) ?? given.at(-1) ?? SHORTCUTS[1];
    const existing = given.find((g) => g.field === target.field);
    if (existing) existing.values.push(...uids);
    else given.push({ ...target, values: uids });
    given.sort((a, b) => SHORTCUTS.findIndex((s) => s.field === a.field) - SHORTCUTS.findIndex((s) => s.field === b.field));
  }
  for (const g of given) {
    if (g.uid) for (const v of g.values) if (!isValidUid(v)) throw new UsageError(`${g.flag} "${v}" is not a UID (digits and dots, at most 64 characters)`);
  }
  const fanned = given.filter((g) => g.values.length > 1);
  if (fanned.length > 1 || (fanned.length === 1 && fanned[0] !== given.at(-1))) {
    throw new UsageError(`several values are allowed for the most specific of ${given.map((g) => g.flag).join(', ')} only (${given.at(-1)!.flag})`);
  }
  const fan = fanned[0];
  const identifiers: DicomJsonDataset[] = [];
  for (const base of bases) {
    for (const value of fan ? fan.values : [undefined]) {
      const shortcutKeys = given.map((g) => key(g.keyword, g === fan ? value! : g.values[0]!));
      const levelKeys = levelFromFlag ? [key('QueryRetrieveLevel', levelFromFlag)] : [];
      // Explicit -k keys win over shortcuts, which win over query files.
      identifiers.push(buildIdentifier([...shortcutKeys, ...levelKeys, ...keys], copyItems(base)));
    }
  }
  const settled = identifiers.map((ds) => {
    const out = withDeclaredCharacterSet(settleLevel(ds, model));
    checkDataSet(out);
    return out;
  });
  // getscu --repeat n: the whole list n times, over the one association.
  return Array.from({ length: input.repeat ?? 1 }, () => settled).flat();
}

/**
 * A copy whose data sets and sequences are new (buildIdentifier adds to them) and whose other
 * elements are the same objects: a query file's element keeps its encoded bytes (encoded-value.ts).
 */
function copyItems(ds: DicomJsonDataset): DicomJsonDataset {
  return Object.fromEntries(Object.entries(ds).map(([tag, el]) => [tag, el.vr === 'SQ'
    ? { ...el, Value: ((el.Value ?? []) as DicomJsonDataset[]).map(copyItems) }
    : el]));
}

function settleLevel(ds: DicomJsonDataset, model: RetrieveModel): DicomJsonDataset {
  const hex = tagHex(QUERY_RETRIEVE_LEVEL);
  if (model.levels.length === 0) {
    // PS3.4 U.4.3, HH, JJ…: the non-patient models carry no Query/Retrieve Level.
    delete ds[hex];
    if (Object.keys(ds).length === 0) throw new UsageError(`nothing to retrieve: give the keys of what to get from the ${model.name}, e.g. -k SOPInstanceUID=1.2.3`);
    return ds;
  }
  if (!getKeyValue(ds, QUERY_RETRIEVE_LEVEL)?.length) {
    const inferred = LEVEL_BY_KEY.find(([tag]) => getKeyValue(ds, tag)?.length);
    if (!inferred) {
      throw new UsageError('nothing to retrieve: name it with --study UID (or --patient-id, --series, --instance), or with keys such as -k QueryRetrieveLevel=STUDY -k StudyInstanceUID=1.2.3, or a query file');
    }
    buildIdentifier([key('QueryRetrieveLevel', inferred[1])], ds);
  }
  const level = getKeyValue(ds, QUERY_RETRIEVE_LEVEL)![0]!.trim().toUpperCase();
  if (!model.levels.includes(level as never)) {
    throw new UsageError(`QueryRetrieveLevel ${level} is not a level of the ${model.name} (use one of ${model.levels.join(', ')}${level === 'PATIENT' ? ', or -P for patient root' : ''})`);
  }
  ds[hex] = { vr: 'CS', Value: [level] };
  return ds;
}
