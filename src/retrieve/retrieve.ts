// The retrieve job: open an association that proposes the model's C-GET SOP class and the
// storage contexts (with SCP role selection), send one C-GET-RQ with the Identifier, store each
// C-STORE sub-operation, follow the pending counters, and release.
import type tls from 'node:tls';
import type { UserIdentityRq } from '../ul/pdu-types.ts';
import type { NegotiatedContext, UlLogger } from '../ul/association.ts';
import { AssociationAbortedError, AssociationRejectedError, ConnectionError, TimeoutError } from '../ul/errors.ts';
import type { CommandSet } from '../dimse/command-set.ts';
import { describeStatus, statusCategory, type StatusCategory } from '../dimse/status.ts';
import type { DenaturalizedDataset } from 'dcmjs';
import { buildIdentifier, encodeIdentifier, getKeyValue, key } from '../dicom/identifier.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/implementation.ts';
import { readStrings } from '../dicom/data-set-reader.ts';
import { retrieveModelByName, retrieveModelByUid, type RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { UsageError } from '../dicom/usage-error.ts';
import { countContexts, MAX_PRESENTATION_CONTEXTS, planContexts, type StorageProposal } from './presentation-contexts.ts';
import { buildProposal, deferredClasses } from './storage-proposal.ts';
import { makeDirectory, probeWritable } from '../output/make-directory.ts';
import type { OnExists } from '../output/instance-writer.ts';
import { enumerateInstances, findContexts, imageLevelBySeries, listSeries, survey, type Inventory, type LocatedInstance } from './plan.ts';
import { DEFAULT_LAYOUT } from '../output/output-layout.ts';
import { instanceFileName } from '../output/output-path.ts';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { secondPass, type SecondPassReport } from './second-pass.ts';
import { ScuSession } from '../dimse/scu-session.ts';
import { StoreScp, type Ledger, type StoreFailure, type StoredFile } from './store-scp.ts';

export interface PeerOptions {
  host: string;
  port: number;
  /** Our AE title (getscu -aet); default DCMGET. */
  callingAeTitle?: string | undefined;
  /** The peer's AE title (getscu -aec); default ANY-SCP. */
  calledAeTitle?: string | undefined;
  /** Our receive Maximum Length (PS3.8 D.1); 0 for no limit. */
  maxPduLength?: number | undefined;
  connectTimeoutMs?: number | undefined;
  acseTimeoutMs?: number | undefined;
  dimseTimeoutMs?: number | undefined;
  /** DICOM over TLS (node:tls options: ca, cert, key, minVersion, ciphers, rejectUnauthorized…). */
  tls?: tls.ConnectionOptions | undefined;
  /** PS3.7 D.3.3.7 User Identity Negotiation. */
  userIdentity?: UserIdentityRq | undefined;
  logger?: UlLogger | undefined;
}

export interface SubOperationCounters {
  remaining: number | undefined;
  completed: number | undefined;
  failed: number | undefined;
  warning: number | undefined;
}

export type RetrieveEvent =
  | { type: 'plan'; inventory: Inventory | undefined; proposal: 'plan' | 'default' | 'given'; contexts: number }
  | { type: 'associated'; contexts: NegotiatedContext[]; peerMaxLength: number }
  | { type: 'pending'; status: number; counters: SubOperationCounters }
  | { type: 'stored'; file: StoredFile }
  | { type: 'failed'; failure: StoreFailure }
  | { type: 'cancelling' }
  | { type: 'final'; status: number; counters: SubOperationCounters }
  | { type: 'released' }
  | { type: 'second-pass'; report: SecondPassReport };

export interface RetrieveOptions extends PeerOptions {
  /** Query/Retrieve model: a name ('patient', 'study', 'patient-study-only', …) or a GET SOP Class UID. */
  model?: string | undefined;
  /**
   * One Identifier per C-GET, all sent in turn over one association (a query file each, as
   * getscu does); build them with buildIdentifier().
   */
  identifiers: DenaturalizedDataset[];
  outputDirectory: string;
  /** Storage contexts to propose; default: from the plan, else defaultStorageProposal(). */
  storage?: StorageProposal[] | undefined;
  /** Ask the peer with C-FIND what the match holds before the C-GET (default true; --no-plan). */
  plan?: boolean | undefined;
  /** Storage classes proposed whatever the plan finds (--storage-class). */
  extraStorageClasses?: string[] | undefined;
  /** The contexts each storage class gets, as lists of transfer syntaxes (--transfer-syntax). */
  contextSyntaxes?: string[][] | undefined;
  /** The transfer syntaxes of the C-GET context (getscu -xi, -xb); default explicit, then implicit VR LE. */
  getTransferSyntaxes?: string[] | undefined;
  /**
   * Associations at once (--parallel): a STUDY or PATIENT level retrieve is split by series (from
   * a C-FIND) and the series are shared out among them. Default 1.
   */
  parallel?: number | undefined;
  /** Ask again, at IMAGE level, for what the first C-GET did not bring (default true; --no-retry). */
  retry?: boolean | undefined;
  /** Relational retrieve by SOP Class Extended Negotiation (PS3.4 C.5.3). */
  relational?: boolean | undefined;
  /** Where files land under outputDirectory (output-layout.ts); default `{SOPInstanceUID}.dcm`. */
  layout?: string | undefined;
  onExists?: OnExists | undefined;
  fsync?: boolean | undefined;
  ignore?: boolean | undefined;
  onEvent?: ((event: RetrieveEvent) => void) | undefined;
  warn?: ((message: string) => void) | undefined;
  /** PS3.7 9.3.2.3: when it fires, C-CANCEL the C-GET, keep receiving until its final response, release. */
  cancelSignal?: AbortSignal | undefined;
  /** When it fires, A-ABORT at once; the file being written is removed. */
  abortSignal?: AbortSignal | undefined;
  /** Cancel (as cancelSignal) once this many instances have been stored. */
  cancelAfter?: number | undefined;
  /** A deadline for the whole retrieve; past it the association is aborted (TimeoutError 'total'). */
  totalTimeoutMs?: number | undefined;
}

/** How long after a C-CANCEL the peer may take to send its final response. */
export const CANCEL_GRACE_MS = 30_000;

/** The retrieve was stopped on request: by a second Ctrl-C, or an abortSignal. */
export class CancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancelledError';
  }
}

export interface RetrieveResult {
  /** The final C-GET-RSP status, or undefined when the association ended before it. */
  status: number | undefined;
  category: StatusCategory | 'error';
  statusText: string;
  errorComment: string | undefined;
  offendingElement: number[] | undefined;
  counters: SubOperationCounters;
  failedSopInstanceUids: string[];
  ledger: Ledger;
  /** True when a C-CANCEL was sent (on request, or by cancelAfter). */
  cancelled: boolean;
  /** The plan's C-FIND found no match at all (some PACS then fail the C-GET, e.g. Orthanc 0xC000). */
  planFoundNothing: boolean;
  /** What the second pass found missing, recovered, and could not (with reasons). */
  secondPass: SecondPassReport | undefined;
  files: StoredFile[];
  failures: StoreFailure[];
  contexts: NegotiatedContext[];
  /** What ended the association abnormally, if anything did. */
  error: Error | undefined;
  elapsedMs: number;
}

export function resolveModel(model: string | undefined): RetrieveModel {
  const m = retrieveModelByName(model ?? 'patient') ?? retrieveModelByUid(model ?? '');
  if (!m) throw new UsageError(`unknown query/retrieve model "${model}"; use patient, study or patient-study-only`);
  if (!m.get) throw new UsageError(`the ${m.name} has no C-GET SOP class`);
  return m;
}

function sessionOptions(peer: PeerOptions) {
  return {
    host: peer.host,
    port: peer.port,
    callingAeTitle: peer.callingAeTitle ?? 'DCMGET',
    calledAeTitle: peer.calledAeTitle ?? 'ANY-SCP',
    maxReceiveLength: peer.maxPduLength ?? DEFAULT_MAX_PDU,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    connectTimeoutMs: peer.connectTimeoutMs ?? 30_000,
    acseTimeoutMs: peer.acseTimeoutMs ?? 30_000,
    dimseTimeoutMs: peer.dimseTimeoutMs ?? 0,
    tls: peer.tls,
    userIdentity: peer.userIdentity,
    logger: peer.logger,
  };
}

/** Our default receive Maximum Length: large PDUs cost the peer fewer writes and us fewer headers. */
export const DEFAULT_MAX_PDU = 1024 * 1024;

function counters(c: CommandSet): SubOperationCounters {
  return { remaining: c.remaining, completed: c.completed, failed: c.failed, warning: c.warning };
}

const FAILED_SOP_INSTANCE_UID_LIST = 0x00080058;

export async function retrieve(options: RetrieveOptions): Promise<RetrieveResult> {
  const started = performance.now();
  const model = resolveModel(options.model);
  const getUid = model.get!;
  const emit = options.onEvent ?? (() => {});
  if (!options.ignore) {
    makeDirectory(options.outputDirectory);
    probeWritable(options.outputDirectory);
  }
  let planFoundNothing = false;
  let deferred: string[] = [];
  const storage = await chooseStorage(options, model, (e) => {
    if (e.type === 'plan' && e.inventory && e.inventory.instances === 0 && e.inventory.sopClasses.length === 0) planFoundNothing = true;
    emit(e);
  }, (d) => { deferred = d; });
  if (options.cancelSignal?.aborted || options.abortSignal?.aborted) throw new CancelledError('cancelled before the C-GET started');
  const plan = planContexts([getUid], storage, options.getTransferSyntaxes);
  const openGet = () => ScuSession.open({
    ...sessionOptions(options), presentationContexts: plan.contexts, roleSelections: plan.roleSelections,
    // PS3.4 C.5.3 Table C.5-1: one byte, 1 = relational-retrieval supported.
    extendedNegotiations: options.relational ? [{ sopClassUid: getUid, info: Buffer.from([1]) }] : undefined,
  });
  const session = await openGet();
  const sessions = [session];
  emit({ type: 'associated', contexts: session.contexts, peerMaxLength: session.association.peerMaxLength });
  const store = new StoreScp({
    outputDirectory: options.outputDirectory,
    sourceAeTitle: options.calledAeTitle ?? 'ANY-SCP',
    fsync: options.fsync ?? false,
    ignore: options.ignore ?? false,
    layout: options.layout,
    onExists: options.onExists,
    onStored: (file) => {
      emit({ type: 'stored', file });
      if (options.cancelAfter !== undefined && store.ledger.stored >= options.cancelAfter) cancel();
    },
    onFailed: (failure) => emit({ type: 'failed', failure }),
    warn: options.warn,
    verbose: options.logger?.verbose,
  });
  const result: RetrieveResult = {
    status: undefined, category: 'error', statusText: '', errorComment: undefined, offendingElement: undefined,
    counters: { remaining: undefined, completed: undefined, failed: undefined, warning: undefined },
    failedSopInstanceUids: [], ledger: store.ledger, cancelled: false, planFoundNothing: false, secondPass: undefined, files: store.files, failures: store.failures,
    contexts: session.contexts, error: undefined, elapsedMs: 0,
  };
  result.planFoundNothing = planFoundNothing;
  const group = {
    abort: (error: Error) => { for (const s of sessions) s.abort(error); },
  };
  let grace: NodeJS.Timeout | undefined;
  const cancel = () => {
    if (result.cancelled) return;
    result.cancelled = true;
    emit({ type: 'cancelling' });
    for (const s of sessions) s.cancel();
    // PS3.7 lets the SCP finish the sub-operation in progress; one that ignores C-CANCEL
    // altogether is aborted after a grace period, so that a single SIGTERM always ends dcmget.
    grace = setTimeout(() => group.abort(new CancelledError(`the peer did not end the C-GET within ${CANCEL_GRACE_MS / 1000} s of the C-CANCEL; association aborted`)), CANCEL_GRACE_MS);
    grace.unref();
  };
  const stopWatching = watch(options, started, group, cancel);
  const getContext = session.acceptedContext(getUid);
  if (!getContext) {
    session.abort();
    await session.closed();
    stopWatching();
    throw new AssociationAbortedError(`the peer did not accept the ${model.name} - GET presentation context; it may not support C-GET (try -S or -P)`);
  }
  try {
    let units = options.identifiers;
    if (options.onExists === 'skip' && (options.layout ?? DEFAULT_LAYOUT) === DEFAULT_LAYOUT && !options.ignore) {
      const resumed = await onlyMissing(options, model, units).catch((err: Error) => {
        options.logger?.verbose?.(`resume: cannot list the match (${err.message}); instances already present are skipped as they arrive`);
        return undefined;
      });
      if (resumed) {
        units = resumed.units;
        store.ledger.skipped += resumed.present;
        options.logger?.verbose?.(`resume: ${resumed.present} instance(s) already in ${options.outputDirectory}; asking for the ${resumed.missing} missing`);
        if (resumed.missing === 0) {
          result.status = 0;
          result.category = 'success';
          result.statusText = `all ${resumed.present} instance(s) already present (--on-exists skip); nothing asked for`;
          result.counters = { remaining: undefined, completed: 0, failed: 0, warning: 0 };
        }
      }
    }
    const parallel = Math.max(1, options.parallel ?? 1);
    if (parallel > 1) {
      units = await splitBySeries(options, model, units).catch((err: Error) => {
        options.warn?.(`--parallel: cannot split the retrieve by series (${err.message}); one association it is`);
        return options.identifiers;
      });
      const extra = Math.min(parallel, units.length) - 1;
      if (extra > 0) {
        sessions.push(...await Promise.all(Array.from({ length: extra }, openGet)));
        store.setConcurrency(sessions.length);
        options.logger?.verbose?.(`--parallel: ${units.length} C-GET(s) over ${sessions.length} associations`);
      }
    }
    // Pending counters of C-GETs running side by side are summed for the display.
    const latest = new Map<number, SubOperationCounters>();
    const sum = (): SubOperationCounters => {
      const total: SubOperationCounters = { remaining: undefined, completed: undefined, failed: undefined, warning: undefined };
      for (const c of latest.values()) {
        for (const k of ['remaining', 'completed', 'failed', 'warning'] as const) if (c[k] !== undefined) total[k] = (total[k] ?? 0) + c[k]!;
      }
      return total;
    };
    let next = 0;
    const worker = async (s: ScuSession) => {
      const context = s.acceptedContext(getUid);
      if (!context) throw new AssociationAbortedError(`the peer did not accept the ${model.name} - GET presentation context on a further association`);
      while (next < units.length && !result.cancelled && !result.error) {
        const index = next++;
        const identifier = encodeIdentifier(units[index]!, context.transferSyntax);
        const final = await s.get(context, identifier, store.handler, (r) => {
          const status = r.command.status ?? 0;
          if (statusCategory(status) !== 'pending') return;
          latest.set(index, counters(r.command));
          emit({ type: 'pending', status, counters: sessions.length > 1 ? sum() : counters(r.command) });
        });
        const c = final.command;
        const status = c.status ?? 0;
        const failedUids = [...(c.failedSopInstanceUidList ?? []), ...readFailedList(final.dataSet, context.transferSyntax, options.warn)];
        latest.set(index, { ...counters(c), remaining: 0 });
        emit({ type: 'final', status, counters: counters(c) });
        mergeFinal(result, c, failedUids);
      }
    };
    const outcomes = await Promise.allSettled(sessions.map((s) => worker(s).catch((err: Error) => {
      group.abort(err);
      throw err;
    })));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    await Promise.all(sessions.map((s) => s.release().catch((err: Error) => options.warn?.(`release failed: ${err.message}`))));
    emit({ type: 'released' });
    const c = result.counters;
    const sentSome = (c.completed ?? 0) + (c.failed ?? 0) + (c.warning ?? 0) > 0 || store.ledger.received > 0;
    // Instances we failed to write ourselves are not the peer's to resend: no retry for them.
    const localFailures = new Set(store.failures.filter((f) => f.errorCode !== undefined).map((f) => f.sopInstanceUid));
    const peerFailed = result.failedSopInstanceUids.filter((u) => !localFailures.has(u));
    if (options.retry !== false && !options.ignore && !result.cancelled && !planFoundNothing && sentSome
      && localFailures.size === 0
      && (peerFailed.length > 0 || result.category === 'failure' || (c.failed ?? 0) > 0 || deferred.length > 0)) {
      result.secondPass = await secondPass({
        open: (p) => ScuSession.open({ ...sessionOptions(options), presentationContexts: p.contexts, roleSelections: p.roleSelections }),
        model,
        identifiers: options.identifiers,
        store,
        failedUids: peerFailed,
        mayHaveUnsent: result.category === 'failure' || result.failedSopInstanceUids.length < (c.failed ?? 0) || deferred.length > 0,
        firstContexts: result.contexts,
        extraStorageClasses: [...(options.extraStorageClasses ?? []), ...deferred],
        verbose: options.logger?.verbose,
        onPass: (pass, syntax, wanted) => options.logger?.verbose?.(`second pass ${pass}: asking for ${wanted} instance(s) with ${syntax} only`),
      });
      if (result.secondPass) emit({ type: 'second-pass', report: result.secondPass });
    }
  } catch (err) {
    result.error = err as Error;
    result.category = 'error';
    result.statusText = (err as Error).message;
    group.abort(err as Error);
    await Promise.all(sessions.map((s) => s.closed()));
  } finally {
    stopWatching();
    if (grace) clearTimeout(grace);
    store.close();
  }
  result.elapsedMs = performance.now() - started;
  return result;
}

/** Wires the cancel and abort signals and the total deadline to the session; returns the unwiring. */
function watch(options: RetrieveOptions, started: number, session: { abort(error: Error): void }, cancel: () => void): () => void {
  const onCancel = () => cancel();
  const onAbort = () => session.abort(new CancelledError('aborted at once on a second interrupt; the file being received was removed'));
  options.cancelSignal?.addEventListener('abort', onCancel, { once: true });
  options.abortSignal?.addEventListener('abort', onAbort, { once: true });
  if (options.cancelSignal?.aborted) queueMicrotask(onCancel);
  if (options.abortSignal?.aborted) queueMicrotask(onAbort);
  let timer: NodeJS.Timeout | undefined;
  if (options.totalTimeoutMs && options.totalTimeoutMs > 0) {
    const left = Math.max(0, options.totalTimeoutMs - (performance.now() - started));
    timer = setTimeout(() => session.abort(new TimeoutError('total', `the retrieve did not finish within the total timeout of ${options.totalTimeoutMs! / 1000} s; association aborted`)), left);
  }
  return () => {
    options.cancelSignal?.removeEventListener('abort', onCancel);
    options.abortSignal?.removeEventListener('abort', onAbort);
    if (timer) clearTimeout(timer);
  };
}

const SEVERITY: Record<StatusCategory | 'error', number> = { success: 0, pending: 1, warning: 2, cancel: 3, failure: 4, error: 5 };

/** Several C-GETs on one association add their counters; the worst status stands for them all. */
function mergeFinal(result: RetrieveResult, c: CommandSet, failedUids: string[]): void {
  const status = c.status ?? 0;
  const category = statusCategory(status);
  const first = result.status === undefined;
  const add = (a: number | undefined, b: number | undefined) => (a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0));
  result.counters = first ? counters(c) : {
    remaining: add(result.counters.remaining, c.remaining), completed: add(result.counters.completed, c.completed),
    failed: add(result.counters.failed, c.failed), warning: add(result.counters.warning, c.warning),
  };
  result.failedSopInstanceUids.push(...failedUids);
  if (first || SEVERITY[category] > SEVERITY[result.category]) {
    result.status = status;
    result.category = category;
    result.statusText = describeStatus(status, 'C-GET');
    result.errorComment = c.errorComment;
    result.offendingElement = c.offendingElement;
  }
}

function readFailedList(dataSet: Buffer | undefined, transferSyntaxUid: string, warn: ((m: string) => void) | undefined): string[] {
  if (!dataSet || dataSet.length === 0) return [];
  try {
    return readStrings(dataSet, transferSyntaxUid, [FAILED_SOP_INSTANCE_UID_LIST]).get(FAILED_SOP_INSTANCE_UID_LIST) ?? [];
  } catch (err) {
    warn?.(`could not read the final response's Identifier: ${(err as Error).message}`);
    return [];
  }
}

/** The storage proposal: given whole, from the plan's C-FIND, or the default set; plus classes by hand. */
async function chooseStorage(options: RetrieveOptions, model: RetrieveModel, emit: (e: RetrieveEvent) => void, onDeferred: (classes: string[]) => void = () => {}): Promise<StorageProposal[]> {
  if (options.storage) {
    emit({ type: 'plan', inventory: undefined, proposal: 'given', contexts: countContexts(options.storage, 1) });
    return options.storage;
  }
  let inventory: Inventory | undefined;
  if (options.plan !== false && model.find) {
    inventory = await planByFind(options, model).catch((err: Error) => {
      // A peer that rejects the association or cannot be reached will not take the C-GET's either.
      if (err instanceof AssociationRejectedError || err instanceof ConnectionError || err instanceof CancelledError) throw err;
      options.warn?.('plan: the C-FIND before the C-GET was refused or failed; proposing the default storage classes (-v says why)');
      options.logger?.verbose?.(`plan: ${err.message}`);
      return undefined;
    });
  }
  const planned = inventory && inventory.sopClasses.length > 0 ? inventory.sopClasses : undefined;
  let storage: StorageProposal[];
  try {
    const request = { planned, syntaxesByClass: inventory?.syntaxes, extra: options.extraStorageClasses, contexts: options.contextSyntaxes };
    storage = buildProposal(request);
    const deferred = deferredClasses(request);
    if (deferred.length) {
      onDeferred(deferred);
      options.logger?.verbose?.(`plan: ${deferred.length} storage class(es) beyond the ${MAX_PRESENTATION_CONTEXTS - 1} contexts of one association; the second pass fetches their instances on further associations`);
      if (options.retry === false) options.warn?.(`${deferred.length} storage class(es) do not fit one association and --no-retry is set: their instances will be missing`);
    }
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new UsageError(`${err.message}; narrow the retrieve (e.g. by series) or the classes (--storage-class)`);
  }
  emit({ type: 'plan', inventory, proposal: planned ? 'plan' : 'default', contexts: countContexts(storage, 1) });
  return storage;
}

/**
 * --on-exists skip as a resume: list the match at IMAGE level (C-FIND), and ask only for the
 * instances whose file is not there yet, series by series.
 */
async function onlyMissing(options: RetrieveOptions, model: RetrieveModel, identifiers: DenaturalizedDataset[]): Promise<{ units: DenaturalizedDataset[]; present: number; missing: number } | undefined> {
  if (!model.find) return undefined;
  const session = await ScuSession.open({ ...sessionOptions(options), presentationContexts: findContexts(model) });
  const located: LocatedInstance[] = [];
  try {
    for (const id of identifiers) {
      const found = await enumerateInstances(session, model, id);
      if (!found) return undefined;
      located.push(...found);
    }
  } finally {
    await session.release().catch(() => session.abort());
  }
  const missing = located.filter((l) => !existsSync(path.join(options.outputDirectory, instanceFileName(l.sopInstanceUid).name)));
  const units = imageLevelBySeries(missing, identifiers).map((u) => u.identifier);
  return { units, present: located.length - missing.length, missing: missing.length };
}

/**
 * --parallel: STUDY and PATIENT level Identifiers become one SERIES level Identifier per series
 * (PS3.4 C.4.3.1.3: the series is a unit a C-GET can name), from a C-FIND of the match.
 */
async function splitBySeries(options: RetrieveOptions, model: RetrieveModel, identifiers: DenaturalizedDataset[]): Promise<DenaturalizedDataset[]> {
  if (!model.find || !model.levels.includes('SERIES')) return identifiers;
  const session = await ScuSession.open({ ...sessionOptions(options), presentationContexts: findContexts(model) });
  try {
    const out: DenaturalizedDataset[] = [];
    for (const id of identifiers) {
      const level = getKeyValue(id, 0x00080052)?.[0];
      if (level !== 'STUDY' && level !== 'PATIENT') {
        out.push(id);
        continue;
      }
      const series = await listSeries(session, model, id);
      const patientId = getKeyValue(id, 0x00100020)?.[0];
      for (const [study, s] of series) {
        out.push(buildIdentifier([key('QueryRetrieveLevel', 'SERIES'), key('StudyInstanceUID', study), key('SeriesInstanceUID', s), ...(patientId ? [key('PatientID', patientId)] : [])]));
      }
    }
    return out;
  } finally {
    await session.release().catch(() => session.abort());
  }
}

async function planByFind(options: RetrieveOptions, model: RetrieveModel): Promise<Inventory | undefined> {
  const session = await ScuSession.open({ ...sessionOptions(options), presentationContexts: findContexts(model) });
  try {
    let all: Inventory | undefined;
    for (const identifier of options.identifiers) {
      const inv = await survey(session, model, identifier);
      if (!inv) return undefined;
      if (!all) all = inv;
      else {
        for (const c of inv.sopClasses) if (!all.sopClasses.includes(c)) all.sopClasses.push(c);
        for (const [c, s] of inv.syntaxes) all.syntaxes.set(c, new Set([...(all.syntaxes.get(c) ?? []), ...s]));
      }
    }
    return all;
  } finally {
    await session.release().catch(() => session.abort());
  }
}

/** What --dry-run shows: the contexts a retrieve would propose when the plan cannot run. */
export function previewContexts(options: Pick<RetrieveOptions, 'model' | 'extraStorageClasses' | 'contextSyntaxes' | 'getTransferSyntaxes'>) {
  const model = resolveModel(options.model);
  return planContexts([model.get!], buildProposal({ extra: options.extraStorageClasses, contexts: options.contextSyntaxes }), options.getTransferSyntaxes);
}

export interface EchoResult {
  status: number;
  elapsedMs: number;
}

const VERIFICATION = '1.2.840.10008.1.1';

/** PS3.4 A: C-ECHO, the reachability check (`dcmget --echo`). */
export async function echo(peer: PeerOptions): Promise<EchoResult> {
  const started = performance.now();
  const session = await ScuSession.open({
    ...sessionOptions(peer),
    presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'] }],
  });
  try {
    const status = await session.echo();
    await session.release();
    return { status, elapsedMs: performance.now() - started };
  } catch (err) {
    session.abort();
    throw err;
  }
}
