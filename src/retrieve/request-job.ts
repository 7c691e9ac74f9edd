// One request through the stages: inventory (C-FIND) → units → the pool → recovery → its place
// in the result and in the --ledger file.
import fs from 'node:fs';
import path from 'node:path';
import { AssociationRejectedError, ConnectionError, TimeoutError } from '../ul/errors.ts';
import { instanceFileName } from '../output/output-path.ts';
import { DEFAULT_LAYOUT } from '../output/output-layout.ts';
import type { Finder } from './finder.ts';
import { inventoryClasses, listedInstances, takeInventory, type Depth, type Inventory } from './inventory.ts';
import type { LedgerFile } from './ledger-file.ts';
import type { Resolved } from './options.ts';
import type { Pool } from './pool.ts';
import { atLimit } from './room.ts';
import { recover, type RecoveryReport } from './recovery.ts';
import { RequestState } from './request-state.ts';
import type { Request } from './requests.ts';
import { MAX_LISTED, mergeRecovery, type RetrieveResult } from './result.ts';
import type { RetrieveEvent } from './events.ts';
import { instanceUnits, proposalFor, unitsFor, type ProposalInput, type Unit } from './units.ts';
import type { UnitOutcome } from './unit-get.ts';

export interface JobContext {
  o: Resolved;
  finder: Finder | undefined;
  pool: Pool;
  result: RetrieveResult;
  ledger: LedgerFile | undefined;
  proposal: ProposalInput;
  /** The state of each request running, by request index (the Storage SCP reports into it). */
  states: Map<number, RequestState>;
  /** A request's inventory is taken (whether it needed one or not). */
  inventoried(): void;
  /** A request is done: failures of instances that arrived after all are no longer failures. */
  settled(arrived: ReadonlySet<string>): void;
  /**
   * What a request's first units say beyond their counters (a C-MOVE whose PACS never connected
   * back): an error that ends the run, notes for the summary. `matched`: the inventory found
   * something (undefined: no inventory).
   */
  judge(outcomes: UnitOutcome[], matched: boolean | undefined): { error?: Error; notes: string[] };
  emit(e: RetrieveEvent): void;
  cancelled(): boolean;
}

/** Errors that say the peer cannot be reached or will not talk to us: the C-GET would fare no better. */
export function isFatal(err: unknown): boolean {
  return err instanceof ConnectionError || err instanceof AssociationRejectedError
    || (err instanceof TimeoutError && (err.timer === 'connect' || err.timer === 'acse' || err.timer === 'total'));
}

/** --on-exists skip with the default layout: the files of a trusted listing can be looked for before asking. */
function resumes(o: Resolved): boolean {
  return o.onExists === 'skip' && o.layout === DEFAULT_LAYOUT && !o.ignore;
}

export async function runRequest(request: Request, ctx: JobContext): Promise<void> {
  const state = new RequestState(request);
  ctx.states.set(request.index, state);
  try {
    const depth: Depth = resumes(ctx.o) ? 'instances' : ctx.o.parallel > 1 ? 'series' : 'classes';
    let inv: Inventory | undefined;
    try {
      inv = await inventoryOf(request, ctx, depth);
    } finally {
      ctx.inventoried();
    }
    const units = firstUnits(state, inv, ctx).filter((u) => !ctx.ledger?.unitComplete(request.key, u.key));
    const outcomes = await Promise.all(units.map((u) => ctx.pool.run(u)));
    state.outcomes.push(...outcomes);
    const judged = ctx.judge(outcomes, inv?.studies ? inv.studies.size > 0 : undefined);
    ctx.result.notes.push(...judged.notes);
    if (judged.error) throw judged.error;
    for (const o of outcomes) if (unitClean(o)) ctx.ledger?.record({ type: 'unit', request: request.key, unit: o.unit.key, complete: true, stored: o.stored, kept: o.kept });
    let report: RecoveryReport | undefined;
    if (ctx.o.retry && !ctx.cancelled()) {
      report = await recover(state, inv, {
        model: ctx.o.modelInfo, pool: ctx.pool, finder: ctx.finder, proposal: ctx.proposal, originalUnits: units,
        cancelled: ctx.cancelled, verbose: ctx.o.logger?.verbose,
      });
      if (report) {
        mergeRecovery(ctx.result, report);
        ctx.emit({ type: 'recovery', request: { index: request.index, key: request.key }, report });
      }
    }
    settle(state, inv, report, ctx);
  } finally {
    ctx.states.delete(request.index);
  }
}

async function inventoryOf(request: Request, ctx: JobContext, depth: Depth): Promise<Inventory | undefined> {
  if (!ctx.finder || (!ctx.o.plan && depth !== 'instances') || ctx.o.storage && depth === 'classes') return undefined;
  let inv: Inventory;
  try {
    inv = await takeInventory(request, ctx.finder, depth);
  } catch (err) {
    // A PACS that takes one association per caller refuses the C-FIND's beside a C-GET's: that
    // request goes without an inventory (the C-GET itself will tell if the PACS is full).
    if ((isFatal(err) && !atLimit(err)) || ctx.cancelled()) throw err;
    ctx.o.warn?.('the C-FIND before the C-GET was refused or failed; proposing the default storage classes (-v says why)');
    ctx.o.logger?.verbose?.(`inventory: ${(err as Error).message}`);
    return undefined;
  }
  const listed = listedInstances(inv);
  const series = inv.studies ? [...inv.studies.values()].reduce((n, s) => (n === undefined || !s.series ? undefined : n + s.series.size), 0 as number | undefined) : undefined;
  ctx.emit({
    type: 'inventory', request: { index: request.index, key: request.key }, studies: inv.studies?.size, series,
    instances: listed?.length, sopClasses: inventoryClasses(inv), trusted: inv.trusted, problems: inv.problems,
  });
  for (const p of inv.problems) ctx.o.logger?.verbose?.(`inventory of ${request.key}: ${p}`);
  return inv;
}

/** The request's units; for a resume from a trusted listing, only the instances not on disk yet. */
function firstUnits(state: RequestState, inv: Inventory | undefined, ctx: JobContext): Unit[] {
  const { o } = ctx;
  const listing = inv && resumes(o) && inv.trusted && inv.counted ? listedInstances(inv) : undefined;
  if (inv && listing) {
    const present = listing.filter((l) => fs.existsSync(path.join(o.outputDirectory, instanceFileName(l.instance.uid).name)));
    for (const l of present) state.arrived.add(l.instance.uid);
    state.keptBeforehand = present.length;
    ctx.result.ledger.skipped += present.length;
    const missing = listing.filter((l) => !state.arrived.has(l.instance.uid));
    o.logger?.verbose?.(`resume: ${present.length} instance(s) of ${state.request.key} already in ${o.outputDirectory}; asking for the ${missing.length} missing`);
    const classes = [...new Set(missing.map((l) => l.instance.sopClassUid).filter((c): c is string => !!c))];
    const storage = proposalFor(classes.length && missing.every((l) => l.instance.sopClassUid) ? classes : undefined, new Map(), ctx.proposal);
    if (storage) return instanceUnits(state.request, missing, o.modelInfo, storage, Number.MAX_SAFE_INTEGER, 'not on disk yet');
  } else if (inv && resumes(o)) {
    o.logger?.verbose?.(`resume: the peer's listing of ${state.request.key} cannot be checked against its own counts${inv.problems.length ? ` (${inv.problems[0]})` : ''}; asking for all of it, keeping the files already there`);
  }
  return unitsFor(inv, state.request, o.modelInfo, ctx.proposal, o.parallel > 1, { note: (m) => o.logger?.verbose?.(m) });
}

function unitClean(o: UnitOutcome): boolean {
  return (o.category === 'success' || o.category === 'warning') && !(o.counters.failed ?? 0) && o.failedUids.length === 0
    && o.failedHere === 0 && (o.counters.completed ?? 0) <= o.stored + o.kept + o.dropped;
}

/** Whether dcmget's own ledger holds everything the request asked for, as far as anything tells. */
function isComplete(state: RequestState, inv: Inventory | undefined, report: RecoveryReport | undefined): boolean {
  if (state.outcomes.some((o) => o.failedLocally > 0 || o.category === 'cancel')) return false;
  if (report) return report.stillMissing.length === 0 && !report.unresolved;
  const listing = inv ? listedInstances(inv) : undefined;
  if (listing?.some((l) => !state.arrived.has(l.instance.uid))) return false;
  return state.outcomes.every(unitClean);
}

function settle(state: RequestState, inv: Inventory | undefined, report: RecoveryReport | undefined, ctx: JobContext): void {
  const complete = !ctx.cancelled() && isComplete(state, inv, report);
  const r = ctx.result;
  if (complete) r.requests.complete++;
  else r.requests.incomplete++;
  const failed = new Set(state.outcomes.flatMap((o) => o.failedUids).filter((u) => !state.arrived.has(u)));
  for (const uid of failed) if (r.failedSopInstanceUids.length < MAX_LISTED) r.failedSopInstanceUids.push(uid);
  const nothing = inv?.studies?.size === 0 && state.arrived.size === 0;
  if (!nothing) r.nothingMatched = false;
  const stored = state.outcomes.reduce((n, o) => n + o.stored, 0);
  const kept = state.outcomes.reduce((n, o) => n + o.kept, 0) + state.keptBeforehand;
  ctx.ledger?.record({ type: 'request', request: state.request.key, complete, stored, kept });
  ctx.settled(state.arrived);
  ctx.emit({ type: 'request', request: { index: state.request.index, key: state.request.key }, complete, skipped: undefined });
}
