// Stage 5 of a retrieve: what did not arrive is asked for again, in the way most likely to work
// on that peer, and every instance still missing is named with the peer's own reason.
//   1. A list of SOP Instance UIDs at IMAGE level, one C-GET per series (PS3.4 C.4.3.1.3.1), each
//      class with every syntax it may be stored in (a peer that picks by stored syntax sends it).
//   2. One UID per C-GET, for a peer that refuses a list before any sub-operation (0xC4xx…).
//   3. One transfer syntax per class and pass, for a peer that counted them failed because it uses
//      the first accepted context of a class and cannot convert (dcmqrscp).
//   4. The original query again, keeping what arrived, when the listing could not be trusted and
//      the peer's counters say something is missing that no listing names.
import { describeContextResult } from '../ul/association.ts';
import { formatStatus } from '../dimse/status.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../dicom/transfer-syntaxes.ts';
import type { Finder } from './finder.ts';
import { listedInstances, takeInventory, type Inventory, type Located } from './inventory.ts';
import type { Pool } from './pool.ts';
import type { RequestState } from './request-state.ts';
import { STORED_SYNTAXES } from './storage-proposal.ts';
import { refusedOutright, type UnitOutcome } from './unit-get.ts';
import { instanceUnits, proposalFor, sharedProposal, type ProposalInput, type Unit } from './units.ts';
import type { StorageProposal } from './presentation-contexts.ts';

export interface RecoveryReport {
  /** Instances found missing after the request's units. */
  missing: string[];
  recovered: string[];
  stillMissing: string[];
  /** C-GET rounds asked (a list pass, one-UID pass, each syntax pass, a repeat of the query). */
  passes: number;
  /** Why each instance still missing is missing, in the peer's own words where it gave any. */
  reasons: Map<string, string>;
  /** Instances that arrived when the whole query was asked again (their UIDs were not known before). */
  repeatBrought: number;
  /** The query asked again still ended in failures that no listing explains. */
  unresolved: boolean;
}

export interface RecoveryDeps {
  model: RetrieveModel;
  pool: Pool;
  finder: Finder | undefined;
  proposal: ProposalInput;
  /** The request's first units, to ask again whole (step 4). */
  originalUnits: Unit[];
  cancelled(): boolean;
  verbose?: ((message: string) => void) | undefined;
}

/** Each syntax pass proposes this one syntax for every class; uncompressed first. */
const PASS_SYNTAXES = [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, ...STORED_SYNTAXES];
const MAX_SYNTAX_PASSES = 12;

/** Whether the request's units left anything the peer might still send. */
function troubled(state: { outcomes: UnitOutcome[] }): boolean {
  return state.outcomes.some((o) => o.category === 'failure' || (o.counters.failed ?? 0) > 0 || o.failedUids.length > 0
    || (o.counters.completed ?? 0) > o.stored + o.kept + o.dropped);
}

export async function recover(state: RequestState, inv: Inventory | undefined, deps: RecoveryDeps): Promise<RecoveryReport | undefined> {
  // Instances we failed to write ourselves are not the peer's to resend.
  if (state.outcomes.some((o) => o.failedLocally > 0)) return undefined;
  let listing = inv ? listedInstances(inv) : undefined;
  const trouble = troubled(state);
  if (!trouble && (!listing || listing.every((l) => state.arrived.has(l.instance.uid)))) return undefined;
  if (!listing && deps.finder && state.request.level) {
    try {
      const fresh = await takeInventory(state.request, deps.finder, 'instances', inv);
      listing = listedInstances(fresh);
      inv = fresh;
    } catch (err) {
      // No listing now: what the peer named as failed is still asked for by repeating the query.
      deps.verbose?.(`recovery: cannot list ${state.request.key} (${(err as Error).message})`);
    }
  }
  const failed = new Set(state.outcomes.flatMap((o) => o.failedUids));
  const missing = new Set([...failed, ...(listing ?? []).map((l) => l.instance.uid)].filter((u) => !state.arrived.has(u)));
  const report: RecoveryReport = { missing: [...missing], recovered: [], stillMissing: [], passes: 0, reasons: new Map(), repeatBrought: 0, unresolved: false };
  const r = new Rounds(state, deps, report);
  const rejected = rejectedClasses(state.outcomes);
  // An instance whose class the peer rejected outright cannot come over C-GET; asking for it again
  // would only make a peer such as Orthanc end the C-GET at it, before the others.
  const located = (listing ?? []).filter((l) => missing.has(l.instance.uid) && !rejected.has(l.instance.sopClassUid ?? ''));
  const listed = new Set((listing ?? []).map((l) => l.instance.uid));
  const unlocated = [...missing].filter((u) => !listed.has(u));
  if (located.length > 0) {
    const tried = await r.listPass(located);
    if (tried) await r.syntaxPasses(located.filter((l) => syntaxMayMatter(l, state.outcomes)));
  }
  const unexplained = trouble && missing.size === 0 && !inv?.trusted;
  if ((unexplained || unlocated.length > 0) && !deps.cancelled()) await r.repeatQuery(unlocated, unexplained);
  report.recovered = report.missing.filter((u) => state.arrived.has(u));
  report.stillMissing = report.missing.filter((u) => !state.arrived.has(u));
  for (const uid of report.stillMissing) report.reasons.set(uid, r.reason(uid, listing ?? [], rejected));
  return report.missing.length > 0 || report.repeatBrought > 0 || unexplained ? report : undefined;
}

/** The recovery rounds of one request, and what the peer answered for each instance. */
class Rounds {
  private readonly state: RequestState;
  private readonly deps: RecoveryDeps;
  private readonly report: RecoveryReport;
  /** The last answer about each instance asked for. */
  private readonly answers = new Map<string, string>();
  private syntaxesTried = 0;

  constructor(state: RequestState, deps: RecoveryDeps, report: RecoveryReport) {
    this.state = state;
    this.deps = deps;
    this.report = report;
  }

  private still(located: Located[]): Located[] {
    return located.filter((l) => !this.state.arrived.has(l.instance.uid));
  }

  /** Runs units on the pool, recording what the peer answered about each instance. */
  private async run(units: Unit[]): Promise<UnitOutcome[]> {
    if (units.length === 0 || this.deps.cancelled()) return [];
    this.report.passes++;
    for (const u of units) u.recovery = true;
    const outcomes = await Promise.all(units.map((u) => this.deps.pool.run(u)));
    for (const o of outcomes) {
      this.state.outcomes.push(o);
      for (const uid of o.unit.instances ?? []) if (!this.state.arrived.has(uid)) this.answers.set(uid, answerOf(o));
    }
    return outcomes;
  }

  /**
   * Steps 1 and 2, on the request's own proposal where it holds every class needed (the
   * association it ran on can then serve again). Returns whether the peer tried to send and
   * failed (worth other syntaxes).
   */
  async listPass(located: Located[]): Promise<boolean> {
    const own = this.deps.originalUnits[0]?.storage;
    const storage = own && located.every((l) => ownCarries(own, l)) ? own : undefined;
    const outcomes = await this.run(this.unitsOf(located, Number.MAX_SAFE_INTEGER, 'asked again by UID', this.deps.proposal, storage));
    const refused = outcomes.filter((o) => refusedOutright(o) && (o.unit.instances?.length ?? 0) > 1);
    if (refused.length > 0) {
      const uids = new Set(refused.flatMap((o) => o.unit.instances!));
      this.deps.verbose?.(`recovery: the peer refused a list of UIDs (${formatStatus(refused[0]!.status)}); asking one UID per ${refused[0]!.service}`);
      outcomes.push(...await this.run(this.unitsOf(this.still(located).filter((l) => uids.has(l.instance.uid)), 1, 'asked alone', this.deps.proposal, storage)));
    }
    return this.still(located).length > 0 && outcomes.some((o) => !refusedOutright(o));
  }

  /** Step 3: one syntax per class and pass, while anything is missing. */
  async syntaxPasses(located: Located[]): Promise<void> {
    for (const ts of PASS_SYNTAXES) {
      const want = this.still(located);
      if (want.length === 0 || this.syntaxesTried >= MAX_SYNTAX_PASSES || this.deps.cancelled()) return;
      this.syntaxesTried++;
      const input: ProposalInput = { ...this.deps.proposal, storage: undefined, contextSyntaxes: [[ts]] };
      this.deps.verbose?.(`recovery: asking for ${want.length} instance(s) with ${ts} only`);
      await this.run(this.unitsOf(want, Number.MAX_SAFE_INTEGER, `${ts} only`, input));
    }
  }

  /**
   * Step 4: the request's own units again, what is here already dropped as it comes: as they
   * were (only when nothing names what is missing: a transient fault), then one syntax per pass
   * for instances the peer named as failed but no listing locates.
   */
  async repeatQuery(unlocated: string[], unexplained: boolean): Promise<void> {
    const before = this.state.arrived.size;
    const variants: (string | undefined)[] = [...(unexplained ? [undefined] : []), ...PASS_SYNTAXES];
    this.state.redo = true;
    try {
      this.deps.verbose?.(unexplained
        ? 'recovery: the peer\'s counters say something is missing that its C-FIND does not name; asking the whole query again'
        : `recovery: ${unlocated.length} instance(s) the peer counted failed are not in its C-FIND listing; asking the whole query again, one transfer syntax at a time`);
      let clean = false;
      for (const ts of variants) {
        if (this.syntaxesTried >= MAX_SYNTAX_PASSES || this.deps.cancelled()) break;
        if (ts) this.syntaxesTried++;
        const outcomes = await this.run(this.deps.originalUnits.map((u) => ({ ...u, storage: ts ? u.storage.map((p) => ({ sopClassUid: p.sopClassUid, contexts: [[ts]] })) : u.storage })));
        clean = !troubled({ outcomes });
        if (unlocated.length > 0 ? unlocated.every((u) => this.state.arrived.has(u)) : clean) break;
      }
      // Named instances settle it by their own arrival; without names, only a clean round does.
      this.report.unresolved = unlocated.length > 0 ? !unlocated.every((u) => this.state.arrived.has(u)) : !clean;
    } finally {
      this.state.redo = false;
    }
    this.report.repeatBrought = this.state.arrived.size - before;
  }

  /** IMAGE level units for these instances, each series' classes proposed (split when they do not fit). */
  /**
   * IMAGE level units for these instances (instanceUnits splits them by series). The classes are
   * batched over all of them, not per series, so that every unit of a round shares one proposal
   * and the pool reuses one association for them.
   */
  private unitsOf(located: Located[], perGet: number, why: string, input = this.deps.proposal, storage?: StorageProposal[]): Unit[] {
    const batches = storage ? [{ located, storage }] : classBatches(located, input);
    return batches.flatMap((batch) => instanceUnits(this.state.request, batch.located, this.deps.model, batch.storage, perGet, why));
  }

  reason(uid: string, listing: Located[], rejected: Set<string>): string {
    const l = listing.find((x) => x.instance.uid === uid);
    if (!l) return 'the peer\'s C-FIND does not list it, so it could not be asked for again by its SOP Instance UID';
    const cls = l.instance.sopClassUid;
    if (cls && rejected.has(cls)) return `the peer rejected its SOP class ${cls} (${describeContextResult(3)}): it cannot send it over C-GET`;
    const last = this.answers.get(uid) ?? 'the peer never sent it';
    return this.syntaxesTried > 0 ? `${last}; also asked with ${this.syntaxesTried} single transfer syntax(es) in turn` : last;
  }
}

/**
 * Whether the request's own proposal has a context for the instance's class, in its stored
 * syntax where the listing names it (a Deflated instance needs a Deflated context, which the
 * first proposal leaves out unless the inventory saw one).
 */
function ownCarries(own: StorageProposal[], l: Located): boolean {
  const cls = l.instance.sopClassUid;
  const p = cls ? own.find((x) => x.sopClassUid === cls) : undefined;
  if (!p) return false;
  return l.instance.syntaxes.length === 0 || p.contexts.some((ctx) => ctx.some((ts) => l.instance.syntaxes.includes(ts)));
}

/**
 * Whether another transfer syntax could help: not when the peer's listing names the stored syntax
 * and the peer had accepted a context of the instance's class in exactly that syntax.
 */
function syntaxMayMatter(l: Located, outcomes: UnitOutcome[]): boolean {
  const stored = l.instance.syntaxes;
  if (stored.length === 0 || !l.instance.sopClassUid) return true;
  return !outcomes.some((o) => o.contexts.some((c) => c.accepted && c.abstractSyntax === l.instance.sopClassUid && stored.includes(c.transferSyntax)));
}

/** Classes proposed and refused on every association as "abstract syntax not supported" (PS3.8 Table 9-18). */
function rejectedClasses(outcomes: UnitOutcome[]): Set<string> {
  const seen = new Map<string, boolean>();
  for (const c of outcomes.flatMap((o) => o.contexts)) {
    const refused = !c.accepted && c.result === 3;
    seen.set(c.abstractSyntax, (seen.get(c.abstractSyntax) ?? true) && refused);
  }
  return new Set([...seen].filter(([, refused]) => refused).map(([cls]) => cls));
}

/** What a C-GET's (or C-MOVE's) final response says about the instances it asked for. */
function answerOf(o: UnitOutcome): string {
  const comment = o.errorComment ? `: "${o.errorComment}"` : '';
  if (refusedOutright(o)) return `the peer refused the ${o.service} for it with ${formatStatus(o.status)}${comment}`;
  if ((o.counters.failed ?? 0) > 0 || o.failedUids.length > 0) return `the peer counted its sub-operation failed (final ${formatStatus(o.status)}${comment})`;
  return `the peer did not send it (final ${formatStatus(o.status)}${comment})`;
}

/** Instances grouped so that each group's classes fit one association. */
function classBatches(located: Located[], input: ProposalInput): { located: Located[]; storage: ReturnType<typeof sharedProposal> }[] {
  const classes = [...new Set(located.map((l) => l.instance.sopClassUid))];
  const syntaxes = new Map<string, Set<string>>();
  for (const l of located) {
    if (l.instance.sopClassUid && l.instance.syntaxes.length) syntaxes.set(l.instance.sopClassUid, new Set([...syntaxes.get(l.instance.sopClassUid) ?? [], ...l.instance.syntaxes]));
  }
  if (classes.some((c) => !c)) return [{ located, storage: proposalFor(undefined, syntaxes, input)! }];
  const out: { located: Located[]; storage: ReturnType<typeof sharedProposal> }[] = [];
  let batch: string[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const set = new Set(batch);
    out.push({ located: located.filter((l) => set.has(l.instance.sopClassUid!)), storage: proposalFor(batch, syntaxes, input) ?? sharedProposal(batch, syntaxes, input) });
    batch = [];
  };
  for (const c of classes as string[]) {
    if (batch.length > 0 && !proposalFor([...batch, c], syntaxes, input)) flush();
    batch.push(c);
  }
  flush();
  return out;
}
