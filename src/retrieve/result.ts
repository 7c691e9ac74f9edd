// Stage 6 of a retrieve: the result. Counters from every C-GET are added up, the worst final
// status stands for them all, and dcmget's own ledger is set beside what the SCP claims: the
// counters are only the SCP's word (PS3.7 9.1.3.1 makes them optional), the ledger is what
// arrived. Per-file records go to the events, not here, so that memory stays flat at any size.
import type { NegotiatedContext } from '../ul/association.ts';
import { describeStatus, statusCategory, type StatusCategory } from '../dimse/status.ts';
import type { Ledger, StoreFailure } from './store-scp.ts';
import type { RecoveryReport } from './recovery.ts';
import type { SubOperationCounters, UnitOutcome } from './unit-get.ts';

/** Lists in the result are cut here; their full length is in the counts beside them. */
export const MAX_LISTED = 1000;

export interface RetrieveResult {
  /** How instances were asked for: 'get' (C-GET) or 'move' (C-MOVE); undefined when nothing was asked. */
  via: 'get' | 'move' | undefined;
  /** The worst final C-GET-RSP (or C-MOVE-RSP) status of the run, or undefined when none ended. */
  status: number | undefined;
  category: StatusCategory | 'error';
  statusText: string;
  errorComment: string | undefined;
  offendingElement: number[] | undefined;
  /** The SCP's counters, added up over every C-GET of the run (null members: never given). */
  counters: SubOperationCounters;
  /** Instances the SCP listed as failed and that never arrived (at most MAX_LISTED). */
  failedSopInstanceUids: string[];
  /** What dcmget itself received, stored, failed, kept and dropped. */
  ledger: Ledger;
  /** True when a C-CANCEL was sent (on request, or by cancelAfter). */
  cancelled: boolean;
  /** Every request's C-FIND found no match and nothing arrived. */
  nothingMatched: boolean;
  /** What recovery found missing, recovered, and could not recover (with reasons; at most MAX_LISTED). */
  recovery: { missing: number; recovered: number; passes: number; repeatBrought: number; stillMissing: { sopInstanceUid: string; reason: string }[] } | undefined;
  /** Sub-operations dcmget answered with a failure (at most MAX_LISTED; ledger.failed counts all). */
  failures: StoreFailure[];
  /** The negotiated contexts of the first C-GET association. */
  contexts: NegotiatedContext[];
  /** Requests: asked for, skipped because the --ledger file lists them complete, outside --shard, complete, incomplete. */
  requests: { total: number; skippedByLedger: number; outOfShard: number; complete: number; incomplete: number };
  /**
   * Associations: C-FIND, C-GET and C-MOVE ones dcmget opened; `incoming`, those the PACS opened to
   * the C-MOVE's Storage SCP and were let in (a PACS may use one per C-MOVE, per SOP class, or per
   * instance); `refused`, those turned away.
   */
  associations: { find: number; get: number; move: number; incoming: number; refused: number };
  /** C-FIND requests sent (inventory and recovery). */
  queries: number;
  /** Where the SCP's counters and dcmget's ledger disagree, and other things a user should know. */
  notes: string[];
  /**
   * Time the C-GETs took (added over associations), and how much of it was spent waiting for the
   * peer's next C-STORE-RQ after each of our answers (the peer's work and the network's round
   * trip); `roundTripMs`, the shortest A-RELEASE exchange of the run's associations: the network's
   * round trip with next to no work on the peer's side (undefined when none was answered).
   */
  waits: { getMs: number; waitedMs: number; instances: number; roundTripMs: number | undefined };
  /** A line for a run that waited on the peer more than it worked: what --parallel would likely give. */
  hint: string | undefined;
  /** Every request is complete by dcmget's own ledger (nothing missing that anything says exists). */
  complete: boolean;
  /** What ended the retrieve abnormally, if anything did. */
  error: Error | undefined;
  elapsedMs: number;
}

const SEVERITY: Record<StatusCategory | 'error', number> = { success: 0, pending: 1, warning: 2, cancel: 3, failure: 4, error: 5 };
const COUNTERS = ['remaining', 'completed', 'failed', 'warning'] as const;

export function emptyResult(ledger: Ledger): RetrieveResult {
  return {
    via: undefined, status: undefined, category: 'success', statusText: '', errorComment: undefined, offendingElement: undefined,
    counters: { remaining: undefined, completed: undefined, failed: undefined, warning: undefined },
    failedSopInstanceUids: [], ledger, cancelled: false, nothingMatched: false, recovery: undefined, failures: [],
    contexts: [], requests: { total: 0, skippedByLedger: 0, outOfShard: 0, complete: 0, incomplete: 0 },
    associations: { find: 0, get: 0, move: 0, incoming: 0, refused: 0 }, queries: 0, notes: [], waits: { getMs: 0, waitedMs: 0, instances: 0, roundTripMs: undefined }, hint: undefined,
    complete: true, error: undefined, elapsedMs: 0,
  };
}

/** Adds a unit's final response into the run's result. */
export function mergeFinal(result: RetrieveResult, o: UnitOutcome): void {
  const first = result.status === undefined;
  for (const k of COUNTERS) {
    const v = o.counters[k];
    if (v !== undefined) result.counters[k] = (result.counters[k] ?? 0) + v;
  }
  if (first || SEVERITY[o.category] > SEVERITY[result.category as StatusCategory]) {
    result.status = o.status;
    result.category = o.category;
    result.statusText = describeStatus(o.status, o.service);
    result.errorComment = o.errorComment;
    result.offendingElement = o.offendingElement;
  }
}

/** One association's A-RELEASE exchange: the run keeps the shortest, the round trip with the least in it besides the network. */
export function sampleRoundTrip(result: RetrieveResult, ms: number): void {
  if (ms < (result.waits.roundTripMs ?? Infinity)) result.waits.roundTripMs = ms;
}

/** Adds a unit's time and waits (every unit, recovery's too: they all took the run's time). */
export function mergeWaits(result: RetrieveResult, o: UnitOutcome): void {
  result.waits.getMs += o.endedAt - o.startedAt;
  result.waits.waitedMs += o.waitedMs;
  result.waits.instances += o.received;
}

/** Associations the hint proposes: what a PACS commonly serves at once (Orthanc's DicomThreadsCount is 4). */
const HINT_PARALLEL = 4;

/**
 * One line when a single association spent most of its time waiting for the peer's next
 * instance: each sub-operation costs a round trip (PS3.7 9.1.1: no Asynchronous Operations
 * Window), which only associations side by side overlap. When the network's round trip is
 * known (an A-RELEASE exchange) and makes less than half of the wait, the wait is the PACS's own work
 * per instance, and the line says so: more associations then help only a PACS with threads and
 * processors to spare (one on this very host shares ours).
 */
export function latencyHint(result: RetrieveResult, parallel: number): string | undefined {
  const { getMs, waitedMs, instances, roundTripMs } = result.waits;
  if (parallel > 1 || instances < 20 || waitedMs < 1000 || waitedMs < getMs / 2) return undefined;
  const likely = getMs - waitedMs * (1 - 1 / HINT_PARALLEL);
  const share = Math.round((100 * waitedMs) / getMs);
  const waited = `${(waitedMs / 1000).toFixed(1)} s of the ${(getMs / 1000).toFixed(1)} s of ${result.via === 'move' ? 'C-MOVE' : 'C-GET'} (${share}%) went to waiting for the PACS's next instance after each answer`;
  const suggestion = `--parallel ${HINT_PARALLEL} (a study split by series over ${HINT_PARALLEL} associations) would likely take about ${(likely / 1000).toFixed(1)} s`;
  const perInstance = waitedMs / instances;
  if (roundTripMs === undefined) return `${waited}: ${suggestion}, if the PACS serves ${HINT_PARALLEL} at once`;
  const split = `${formatMs(perInstance)} an instance against a network round trip of ${formatMs(roundTripMs)}`;
  if (roundTripMs >= perInstance / 2) return `${waited}, most of it on the network (${split}): ${suggestion}, if the PACS serves ${HINT_PARALLEL} at once`;
  return `${waited}, most of it the PACS's own work (${split}): ${suggestion} if the PACS has ${HINT_PARALLEL} threads and the processors to run them`;
}

function formatMs(ms: number): string {
  return ms >= 10 ? `${Math.round(ms)} ms` : `${ms.toPrecision(2)} ms`;
}

/** Adds a request's recovery report. */
export function mergeRecovery(result: RetrieveResult, report: RecoveryReport): void {
  const r = result.recovery ?? { missing: 0, recovered: 0, passes: 0, repeatBrought: 0, stillMissing: [] };
  r.missing += report.missing.length;
  r.recovered += report.recovered.length;
  r.passes += report.passes;
  r.repeatBrought += report.repeatBrought;
  for (const uid of report.stillMissing) {
    if (r.stillMissing.length < MAX_LISTED) r.stillMissing.push({ sopInstanceUid: uid, reason: report.reasons.get(uid) ?? 'not sent by the peer' });
  }
  result.recovery = r;
}

/**
 * Running units' latest pending counters beside the finished units' finals: what a person
 * watching the whole run wants to see (a unit's own counters restart at each C-GET).
 */
export class RunningCounters {
  private readonly running = new Map<number, SubOperationCounters>();
  private readonly done = { completed: 0, failed: 0, warning: 0 };

  pending(unit: number, c: SubOperationCounters): SubOperationCounters {
    this.running.set(unit, c);
    return this.total();
  }

  final(unit: number, c: SubOperationCounters): void {
    this.running.delete(unit);
    this.done.completed += c.completed ?? 0;
    this.done.failed += c.failed ?? 0;
    this.done.warning += c.warning ?? 0;
  }

  private total(): SubOperationCounters {
    const t: SubOperationCounters = { remaining: undefined, ...this.done };
    for (const c of this.running.values()) {
      for (const k of COUNTERS) if (c[k] !== undefined) t[k] = (t[k] ?? 0) + c[k]!;
    }
    return t;
  }
}

/** Notes where one unit's counters and the ledger disagree. */
export function unitNotes(o: UnitOutcome, cancelled: boolean): string[] {
  const notes: string[] = [];
  const c = o.counters;
  const here = o.stored + o.kept + o.dropped;
  if (c.completed !== undefined && c.completed > here) notes.push(`${o.unit.label}: the SCP counted ${c.completed} completed sub-operation(s); dcmget received ${here}${o.kept ? ` (${o.kept} of them already there, kept)` : ''}`);
  if (statusCategory(o.status) === 'success' && o.failedHere > 0) notes.push(`${o.unit.label}: the SCP reported Success although ${o.failedHere} sub-operation(s) failed here`);
  const finalTotal = (c.completed ?? 0) + (c.failed ?? 0) + (c.warning ?? 0);
  // A failure or cancel ends a C-GET early by nature; only a clean end must account for every announced sub-operation.
  const ended = o.category === 'success' || o.category === 'warning';
  if (o.firstTotal !== undefined && c.completed !== undefined && o.firstTotal !== finalTotal && !cancelled && ended) {
    notes.push(`${o.unit.label}: the first pending response announced ${o.firstTotal} sub-operations; the final counters add up to ${finalTotal}`);
  }
  return notes;
}
