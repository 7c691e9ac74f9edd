// The retrieve job (ARCHITECTURE.md "The stages of a retrieve"): options resolved once → for each
// request, its inventory (one C-FIND association for the whole run) → units sized to an
// association → a pool of C-GET associations → recovery → the result. The same path serves one
// instance and a list of ten thousand studies.
import { AssociationAbortedError } from '../ul/errors.ts';
import { ScuSession } from '../dimse/scu-session.ts';
import { makeDirectory, probeWritable } from '../output/make-directory.ts';
import { removeStaleTempFiles } from '../output/temp-files.ts';
import type { StorageProposal } from './presentation-contexts.ts';
import { planContexts } from './presentation-contexts.ts';
import { buildProposal } from './storage-proposal.ts';
import { Finder, findContexts } from './finder.ts';
import { LedgerFile } from './ledger-file.ts';
import { associationBasics, DEFAULTS, resolveModel, resolveOptions, type MoveOptions, type PeerOptions, type Resolved, type RetrieveOptions, type Via } from './options.ts';
import { Pool } from './pool.ts';
import { isFatal, runRequest, type JobContext } from './request-job.ts';
import type { RequestState } from './request-state.ts';
import { toRequest, type Request } from './requests.ts';
import { emptyResult, latencyHint, mergeFinal, mergeWaits, RunningCounters, sampleRoundTrip, unitNotes, type RetrieveResult } from './result.ts';
import { inShard } from './shard.ts';
import { StoreScp } from './store-scp.ts';
import type { RetrieveEvent } from './events.ts';
import type { UnitRunner } from './unit-get.ts';
import { ViaChoice } from './via.ts';
import { abortedBeforeStart, AbortError, CancelledError, Control, firedSignal, GuardedListener } from './control.ts';
import { nowMs } from './clock.ts';

export { resolveModel, DEFAULTS, AbortError, CancelledError };
export type { RetrieveOptions, PeerOptions, MoveOptions, Via, RetrieveResult, RetrieveEvent };
export type { SubOperationCounters } from './unit-get.ts';
/** The default of `maxPduLength`: the Maximum Length dcmget announces (PS3.8 D.1), 1 MiB. */
export const DEFAULT_MAX_PDU = DEFAULTS.maxPduLength;
/** The default of `cancelGraceMs`: how long a peer may take to end a C-GET after a C-CANCEL, 30 s. */
export const CANCEL_GRACE_MS = DEFAULTS.cancelGraceMs;

/** The requests of a run, less those of other shards and those a --ledger file lists as complete. */
function selectRequests(o: Resolved, result: RetrieveResult, ledger: LedgerFile | undefined): Request[] {
  const all = o.identifiers.map((id, i) => toRequest(id, i));
  result.requests.total = all.length;
  const mine = all.filter((r) => inShard(r.key, o.shard));
  result.requests.outOfShard = all.length - mine.length;
  const todo = mine.filter((r) => !ledger?.isComplete(r.key));
  result.requests.skippedByLedger = mine.length - todo.length;
  if (result.requests.skippedByLedger) o.logger?.verbose?.(`--ledger ${ledger!.path}: ${result.requests.skippedByLedger} request(s) already complete, skipped`);
  return todo;
}

/**
 * Retrieves what `options.identifiers` name into `options.outputDirectory`; events go to
 * `options.onEvent`. Resolves with the result, also when the peer or the network failed
 * (`result.error`); rejects with a UsageError for options that cannot be used, an AbortError
 * when `signal` or `abortNowSignal` fired, or what an event listener threw.
 */
export function retrieve(options: RetrieveOptions): Promise<RetrieveResult> {
  return runRetrieve(options, options.onEvent);
}

/** The retrieve, every event to `listener` (onEvent, or a RetrieveJob's emitter). */
export async function runRetrieve(options: RetrieveOptions, listener: ((event: RetrieveEvent) => void) | undefined): Promise<RetrieveResult> {
  const started = nowMs();
  const o = resolveOptions(options);
  const fired = firedSignal(o);
  if (fired) throw abortedBeforeStart(fired);
  const listening = new GuardedListener(listener, (err) => control.fail(err));
  const emit = listening.emit;
  prepareOutput(o);
  const ledger = o.ledgerFile ? new LedgerFile(o.ledgerFile, o.fsync) : undefined;
  const store = storeFor(o, emit, () => control.cancel());
  const result = emptyResult(store.ledger);
  const requests = selectRequests(o, result, ledger);
  result.nothingMatched = requests.length > 0;
  const basics = associationBasics(o);
  // Each association's A-RELEASE exchange times the network's round trip (the latency hint).
  const roundTrip = (ms: number) => sampleRoundTrip(result, ms);
  const finder = o.modelInfo.find ? new Finder(o.modelInfo, () => ScuSession.open({ ...basics, presentationContexts: findContexts(o.modelInfo), onReleaseRoundTrip: roundTrip })) : undefined;
  const states = new Map<number, RequestState>();
  const via = new ViaChoice(o, store, emit);
  const pool = poolFor(o, finder, via, runner(o, states, result, emit), store, emit, roundTrip);
  const control = new Control(o, started, {
    cancel: () => {
      result.cancelled = true;
      emit({ type: 'cancelling' });
      pool.cancel();
      pool.stop(new CancelledError('cancelled'));
      finder?.cancel(new CancelledError('cancelled'));
    },
    abort: (e) => {
      // After a C-CANCEL the units end quietly; what cut the wait short is the run's error.
      if (control.cancelled) result.error ??= e;
      pool.abort(e);
      finder?.abort(e);
    },
  });
  if (finder) finder.makeRoom = () => pool.releaseIdle();
  let inventoriesLeft = requests.length;
  const ctx: JobContext = {
    o, finder, pool, result, ledger, states, emit, cancelled: () => control.cancelled,
    settled: (arrived) => store.forgetFailures(arrived),
    judge: (outcomes, matched) => via.judge(outcomes, matched),
    // An idle C-FIND association holds one of the PACS's association slots (Orthanc serves 4 at
    // once): once no request waits for its inventory, it is released (recovery opens another if
    // it needs to ask), so that every C-GET association of --parallel runs at once.
    inventoried: () => {
      if (--inventoriesLeft === 0) void finder?.close().catch(() => undefined);
    },
    proposal: { storage: o.storage, extraStorageClasses: o.extraStorageClasses, contextSyntaxes: o.contextSyntaxes },
  };
  try {
    pool.use(await via.first());
    await runAll(requests, o.parallel + 1, ctx);
    await Promise.all([pool.close(), finder?.close()]);
  } catch (err) {
    result.error = err as Error;
    result.category = 'error';
    result.statusText = (err as Error).message;
    control.abort(err as Error);
    await finder?.close().catch(() => undefined);
  } finally {
    control.dispose();
    // The C-MOVE's Storage SCP never outlives the run.
    await via.close().catch(() => undefined);
    store.close();
    ledger?.close();
  }
  return control.settle(finish(result, pool, finder, store, via, started), listening.thrown);
}

function prepareOutput(o: Resolved): void {
  if (o.ignore) return;
  makeDirectory(o.outputDirectory);
  probeWritable(o.outputDirectory);
  for (const stale of removeStaleTempFiles(o.outputDirectory)) o.logger?.verbose?.(`removed ${stale}, a temporary file left by an earlier run`);
}

/** The Storage SCP role: C-GET's and C-MOVE's C-STOREs both end here. */
function storeFor(o: Resolved, emit: (e: RetrieveEvent) => void, cancel: () => void): StoreScp {
  const store: StoreScp = new StoreScp({
    outputDirectory: o.outputDirectory, sourceAeTitle: o.calledAeTitle, fsync: o.fsync, ignore: o.ignore, layout: o.layout, onExists: o.onExists,
    onStored: (file, association, storingMs) => {
      emit({ type: 'stored', file, association, storingMs });
      if (o.cancelAfter !== undefined && store.ledger.stored >= o.cancelAfter) cancel();
    },
    onFailed: (failure, association, storingMs) => emit({ type: 'failed', failure, association, storingMs }), warn: o.warn, verbose: o.logger?.verbose,
  });
  return store;
}

function poolFor(o: Resolved, finder: Finder | undefined, via: ViaChoice, unitRunner: UnitRunner, store: StoreScp, emit: (e: RetrieveEvent) => void, roundTrip: (ms: number) => void): Pool {
  const basics = associationBasics(o);
  return new Pool({
    size: o.parallel, model: o.modelInfo, runner: unitRunner, fallback: via.fallback,
    open: (plan, op) => ScuSession.open({
      ...basics, roleSelections: plan.roleSelections, presentationContexts: plan.contexts, onReleaseRoundTrip: roundTrip,
      // PS3.4 C.5.3 Table C.5-1: one byte, 1 = relational-retrieval supported.
      extendedNegotiations: o.relational ? [{ sopClassUid: op.sopClassUid, info: Buffer.from([1]) }] : undefined,
    }),
    // A peer that takes one association per caller: the idle C-FIND association makes room.
    onLimit: async () => {
      if (!finder?.holdsAssociation) return false;
      await finder.close();
      return true;
    },
    onAssociated: (id, s, negotiationMs) => {
      store.setConcurrency(Math.min(o.parallel, id));
      emit({ type: 'associated', association: id, contexts: s.contexts, peerMaxLength: s.association.peerMaxLength, negotiationMs });
    },
    onOperation: (op) => via.using(op),
    onReleased: (id) => emit({ type: 'released', association: id }),
  });
}

function finish(result: RetrieveResult, pool: Pool, finder: Finder | undefined, store: StoreScp, via: ViaChoice, started: number): RetrieveResult {
  result.via = via.used?.via;
  result.failures = store.failures;
  result.contexts = pool.firstContexts;
  result.associations = {
    find: finder?.associations ?? 0, get: pool.opened['C-GET'], move: pool.opened['C-MOVE'],
    incoming: via.incoming.accepted, refused: via.incoming.refused,
  };
  result.queries = finder?.queries ?? 0;
  result.complete = !result.error && !result.cancelled && result.requests.incomplete === 0;
  // "Nothing matched" is a finding about every request, so only a run that settled them all makes it.
  const r = result.requests;
  if (result.error || r.complete + r.incomplete < r.total - r.skippedByLedger - r.outOfShard) result.nothingMatched = false;
  result.hint = latencyHint(result, pool.size);
  result.elapsedMs = nowMs() - started;
  return result;
}

/** Runs the requests, `limit` at a time, so that the next one's inventory overlaps this one's C-GETs. */
async function runAll(requests: Request[], limit: number, ctx: JobContext): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async () => {
    while (next < requests.length && failure === undefined && !ctx.cancelled()) {
      const request = requests[next++]!;
      try {
        await runRequest(request, ctx);
      } catch (err) {
        if (ctx.cancelled() && !(err instanceof AssociationAbortedError) && !isFatal(err)) continue;
        failure ??= err;
        ctx.pool.abort(err as Error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, requests.length) }, lane));
  if (failure !== undefined) throw failure;
}

function runner(o: Resolved, states: Map<number, RequestState>, result: RetrieveResult, emit: (e: RetrieveEvent) => void): UnitRunner {
  const running = new RunningCounters();
  const info = (u: Parameters<UnitRunner['onStart']>[0]) => ({ id: u.id, label: u.label, request: u.request.index, expected: u.expected });
  return {
    warn: o.warn,
    verbose: o.logger?.verbose,
    tallyFor: (unit) => states.get(unit.request.index)!.tally(),
    onStart: (unit, association, service) => {
      o.logger?.verbose?.(`${service} ${unit.label} on association ${association}`);
      emit({ type: 'unit', association, unit: info(unit) });
    },
    onPending: (unit, association, status, counters) => {
      emit({ type: 'pending', status, counters: running.pending(unit.id, counters), association, unit: unit.id, unitCounters: counters });
    },
    onFinal: (outcome) => {
      running.final(outcome.unit.id, outcome.counters);
      mergeWaits(result, outcome);
      // The request's first answer makes the status and counters; recovery's rounds report on their own.
      if (!outcome.unit.recovery) {
        mergeFinal(result, outcome);
        result.notes.push(...unitNotes(outcome, result.cancelled));
      }
      emit({ type: 'final', status: outcome.status, counters: outcome.counters, association: outcome.association, unit: info(outcome.unit), busyMs: outcome.endedAt - outcome.startedAt });
    },
  };
}

/** What --dry-run shows: the contexts a retrieve would propose when no inventory can be taken. */
export function previewContexts(options: Pick<RetrieveOptions, 'model' | 'extraStorageClasses' | 'contextSyntaxes' | 'getTransferSyntaxes'>) {
  const model = resolveModel(options.model);
  const storage: StorageProposal[] = buildProposal({ extra: options.extraStorageClasses, contexts: options.contextSyntaxes });
  return planContexts([model.get!], storage, options.getTransferSyntaxes);
}

export interface EchoResult {
  status: number;
  elapsedMs: number;
}

const VERIFICATION = '1.2.840.10008.1.1';

/** PS3.4 A: C-ECHO, the reachability check (`dcmget --echo`). */
export async function echo(peer: PeerOptions): Promise<EchoResult> {
  const started = nowMs();
  const session = await ScuSession.open({
    ...associationBasics(peer),
    presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'] }],
  });
  try {
    const status = await session.echo();
    await session.release();
    return { status, elapsedMs: nowMs() - started };
  } catch (err) {
    session.abort();
    throw err;
  }
}
