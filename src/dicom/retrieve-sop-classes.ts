/**
 * Query/Retrieve information models and their FIND / MOVE / GET SOP Classes.
 *
 * Source: DICOM PS3.4 (2025/2026 editions) Annex C (Query/Retrieve Service
 * Class: Patient Root, Study Root, Patient/Study Only, and the Repository Query
 * SOP Class of C.6.4), Annex U (Hanging Protocol Q/R), Annex X (Color Palette
 * Q/R), Annex Y (Composite Instance Root Retrieve), Annex Z (Composite Instance
 * Retrieve Without Bulk Data), Annex BB (Implant Template Q/R), Annex HH
 * (Defined Procedure Protocol Q/R), Annex II (Protocol Approval Q/R) and Annex
 * JJ (Inventory Q/R); UIDs, names and keywords from PS3.6 Table A-1.
 *
 * `levels` lists the values of Query/Retrieve Level (0008,0052) a model
 * allows. It is empty for the non-patient models (Hanging Protocol, Color
 * Palette, Implant Templates, Defined Procedure Protocol, Protocol Approval,
 * Inventory): for them PS3.4 says Query/Retrieve Level "is not relevant ... and
 * therefore shall not be present in the Identifier"; the unique key is the SOP
 * Instance UID.
 *
 * Worklist-style query services that are not Query/Retrieve information models
 * (Modality Worklist, UPS Query, Relevant Patient Information Query, Product
 * Characteristics / Substance Approval Query) are not listed.
 */

/** Short, CLI-friendly name of a Query/Retrieve information model. */
export type RetrieveModelName =
  | 'patient'
  | 'study'
  | 'patient-study-only'
  | 'composite-instance'
  | 'without-bulk-data'
  | 'repository'
  | 'hanging-protocol'
  | 'color-palette'
  | 'generic-implant-template'
  | 'implant-assembly-template'
  | 'implant-template-group'
  | 'defined-procedure-protocol'
  | 'protocol-approval'
  | 'inventory';

/** A value of Query/Retrieve Level (0008,0052). */
export type QueryRetrieveLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE' | 'FRAME';

/** One Query/Retrieve information model with the SOP Classes that use it. */
export interface RetrieveModel {
  /** Short CLI name, e.g. 'study'. */
  readonly model: RetrieveModelName;
  /** Information model name, as the PS3.6 SOP Class names without the " - FIND/MOVE/GET" suffix. */
  readonly name: string;
  /** Common stem of the PS3.6 keywords (append Find, Move or Get for the SOP Class keyword). */
  readonly keyword: string;
  /** C-FIND SOP Class UID, when the model has one. */
  readonly find?: string;
  /** C-GET SOP Class UID, when the model has one. */
  readonly get?: string;
  /** C-MOVE SOP Class UID, when the model has one. */
  readonly move?: string;
  /** Allowed Query/Retrieve Level values, top down; empty when the Identifier carries no level. */
  readonly levels: readonly QueryRetrieveLevel[];
  /** Retired from the standard. */
  readonly retired: boolean;
}

/** The DIMSE-C operation a Query/Retrieve SOP Class is for. */
export type RetrieveOperation = 'find' | 'get' | 'move';

const ENTRIES: readonly RetrieveModel[] = [
  {
    model: 'patient',
    name: 'Patient Root Query/Retrieve Information Model',
    keyword: 'PatientRootQueryRetrieveInformationModel',
    find: '1.2.840.10008.5.1.4.1.2.1.1',
    move: '1.2.840.10008.5.1.4.1.2.1.2',
    get: '1.2.840.10008.5.1.4.1.2.1.3',
    levels: ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'],
    retired: false,
  },
  {
    model: 'study',
    name: 'Study Root Query/Retrieve Information Model',
    keyword: 'StudyRootQueryRetrieveInformationModel',
    find: '1.2.840.10008.5.1.4.1.2.2.1',
    move: '1.2.840.10008.5.1.4.1.2.2.2',
    get: '1.2.840.10008.5.1.4.1.2.2.3',
    levels: ['STUDY', 'SERIES', 'IMAGE'],
    retired: false,
  },
  {
    model: 'patient-study-only',
    name: 'Patient/Study Only Query/Retrieve Information Model',
    keyword: 'PatientStudyOnlyQueryRetrieveInformationModel',
    find: '1.2.840.10008.5.1.4.1.2.3.1',
    move: '1.2.840.10008.5.1.4.1.2.3.2',
    get: '1.2.840.10008.5.1.4.1.2.3.3',
    levels: ['PATIENT', 'STUDY'],
    retired: true,
  },
  {
    // PS3.4 Annex Y: retrieve by SOP Instance UID (IMAGE) or of selected frames (FRAME).
    model: 'composite-instance',
    name: 'Composite Instance Root Retrieve',
    keyword: 'CompositeInstanceRootRetrieve',
    move: '1.2.840.10008.5.1.4.1.2.4.2',
    get: '1.2.840.10008.5.1.4.1.2.4.3',
    levels: ['IMAGE', 'FRAME'],
    retired: false,
  },
  {
    // PS3.4 Annex Z: C-GET only; the Identifier holds SOP Instance UID(s) at the IMAGE level.
    model: 'without-bulk-data',
    name: 'Composite Instance Retrieve Without Bulk Data',
    keyword: 'CompositeInstanceRetrieveWithoutBulkData',
    get: '1.2.840.10008.5.1.4.1.2.5.3',
    levels: ['IMAGE'],
    retired: false,
  },
  {
    // PS3.4 C.6.4: C-FIND only, against the Study Root information model.
    model: 'repository',
    name: 'Repository Query',
    keyword: 'RepositoryQuery',
    find: '1.2.840.10008.5.1.4.1.1.201.6',
    levels: ['STUDY', 'SERIES', 'IMAGE'],
    retired: false,
  },
  {
    model: 'hanging-protocol',
    name: 'Hanging Protocol Information Model',
    keyword: 'HangingProtocolInformationModel',
    find: '1.2.840.10008.5.1.4.38.2',
    move: '1.2.840.10008.5.1.4.38.3',
    get: '1.2.840.10008.5.1.4.38.4',
    levels: [],
    retired: false,
  },
  {
    model: 'color-palette',
    name: 'Color Palette Query/Retrieve Information Model',
    keyword: 'ColorPaletteQueryRetrieveInformationModel',
    find: '1.2.840.10008.5.1.4.39.2',
    move: '1.2.840.10008.5.1.4.39.3',
    get: '1.2.840.10008.5.1.4.39.4',
    levels: [],
    retired: false,
  },
  {
    model: 'generic-implant-template',
    name: 'Generic Implant Template Information Model',
    keyword: 'GenericImplantTemplateInformationModel',
    find: '1.2.840.10008.5.1.4.43.2',
    move: '1.2.840.10008.5.1.4.43.3',
    get: '1.2.840.10008.5.1.4.43.4',
    levels: [],
    retired: false,
  },
  {
    model: 'implant-assembly-template',
    name: 'Implant Assembly Template Information Model',
    keyword: 'ImplantAssemblyTemplateInformationModel',
    find: '1.2.840.10008.5.1.4.44.2',
    move: '1.2.840.10008.5.1.4.44.3',
    get: '1.2.840.10008.5.1.4.44.4',
    levels: [],
    retired: false,
  },
  {
    model: 'implant-template-group',
    name: 'Implant Template Group Information Model',
    keyword: 'ImplantTemplateGroupInformationModel',
    find: '1.2.840.10008.5.1.4.45.2',
    move: '1.2.840.10008.5.1.4.45.3',
    get: '1.2.840.10008.5.1.4.45.4',
    levels: [],
    retired: false,
  },
  {
    model: 'defined-procedure-protocol',
    name: 'Defined Procedure Protocol Information Model',
    keyword: 'DefinedProcedureProtocolInformationModel',
    find: '1.2.840.10008.5.1.4.20.1',
    move: '1.2.840.10008.5.1.4.20.2',
    get: '1.2.840.10008.5.1.4.20.3',
    levels: [],
    retired: false,
  },
  {
    model: 'protocol-approval',
    name: 'Protocol Approval Information Model',
    keyword: 'ProtocolApprovalInformationModel',
    find: '1.2.840.10008.5.1.4.1.1.200.4',
    move: '1.2.840.10008.5.1.4.1.1.200.5',
    get: '1.2.840.10008.5.1.4.1.1.200.6',
    levels: [],
    retired: false,
  },
  {
    // PS3.6 names these "Inventory - FIND/MOVE/GET" (keywords InventoryFind/Move/Get).
    model: 'inventory',
    name: 'Inventory',
    keyword: 'Inventory',
    find: '1.2.840.10008.5.1.4.1.1.201.2',
    move: '1.2.840.10008.5.1.4.1.1.201.3',
    get: '1.2.840.10008.5.1.4.1.1.201.4',
    levels: [],
    retired: false,
  },
];

/** Every Query/Retrieve information model, frozen. */
export const RETRIEVE_MODELS: readonly RetrieveModel[] = Object.freeze(
  ENTRIES.map((entry) => Object.freeze({ ...entry, levels: Object.freeze([...entry.levels]) })),
);

/** The CLI names of all models, in table order. */
export const RETRIEVE_MODEL_NAMES: readonly RetrieveModelName[] = Object.freeze(RETRIEVE_MODELS.map((m) => m.model));

const BY_NAME: ReadonlyMap<string, RetrieveModel> = new Map(RETRIEVE_MODELS.map((m) => [m.model, m]));

/** One SOP Class of a model: which model, which operation. */
export interface RetrieveSopClass {
  readonly uid: string;
  readonly operation: RetrieveOperation;
  readonly model: RetrieveModel;
  /** PS3.6 SOP Class name, e.g. 'Study Root Query/Retrieve Information Model - GET'. */
  readonly name: string;
  /** PS3.6 keyword, e.g. 'StudyRootQueryRetrieveInformationModelGet'. */
  readonly keyword: string;
}

const OPERATIONS: readonly RetrieveOperation[] = ['find', 'move', 'get'];

const BY_UID: ReadonlyMap<string, RetrieveSopClass> = new Map(
  RETRIEVE_MODELS.flatMap((model) =>
    OPERATIONS.flatMap((operation): [string, RetrieveSopClass][] => {
      const uid = model[operation];
      if (uid === undefined) return [];
      const suffix = operation.toUpperCase();
      const keywordSuffix = suffix.charAt(0) + suffix.slice(1).toLowerCase();
      const sopClass: RetrieveSopClass = Object.freeze({
        uid,
        operation,
        model,
        name: model.model === 'repository' ? model.name : `${model.name} - ${suffix}`,
        keyword: model.model === 'repository' ? model.keyword : `${model.keyword}${keywordSuffix}`,
      });
      return [[uid, sopClass]];
    }),
  ),
);

/** The model with this CLI name (case-insensitive), or undefined. */
export function retrieveModelByName(name: string): RetrieveModel | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

/** The model whose FIND, GET or MOVE SOP Class has this UID, or undefined. */
export function retrieveModelByUid(uid: string): RetrieveModel | undefined {
  return BY_UID.get(uid.replace(/[\0 ]+$/, ''))?.model;
}

/** The Query/Retrieve SOP Class with this UID (model, operation, PS3.6 name and keyword), or undefined. */
export function retrieveSopClassByUid(uid: string): RetrieveSopClass | undefined {
  return BY_UID.get(uid.replace(/[\0 ]+$/, ''));
}

/** Every Query/Retrieve SOP Class of the table (FIND, MOVE and GET). */
export const RETRIEVE_SOP_CLASSES: readonly RetrieveSopClass[] = Object.freeze([...BY_UID.values()]);
