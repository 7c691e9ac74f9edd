// The retrieve's one C-FIND association (PS3.4 C.4.1): opened when the first query is asked,
// kept for every later one (the inventory of each request, and recovery's look-ups), one query
// at a time (no Asynchronous Operations Window is negotiated, PS3.7 D.3.3.3), released at the end.
import { ConnectionError, TimeoutError } from '../ul/errors.ts';
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { encodeIdentifier } from '../dicom/identifier.ts';
import { readStrings } from '../dicom/data-set-reader.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { formatStatus, statusCategory } from '../dimse/status.ts';
import type { ScuSession } from '../dimse/scu-session.ts';
import { QUERY_TRANSFER_SYNTAXES } from './presentation-contexts.ts';
import { openWithRoom } from './room.ts';

export interface FindOutcome {
  rows: Map<number, string[]>[];
  status: number;
  /** The final status was Success: the peer says it listed every match (it may still be wrong). */
  complete: boolean;
  /** Why not complete, in words (a failure status, a result limit, a cancel). */
  problem: string | undefined;
}

export function findContexts(model: RetrieveModel) {
  return model.find ? [{ id: 1, abstractSyntax: model.find, transferSyntaxes: QUERY_TRANSFER_SYNTAXES }] : [];
}

export class Finder {
  /** C-FIND requests sent, and associations opened for them (for -v, --json and tests). */
  queries = 0;
  associations = 0;
  private session: ScuSession | undefined;
  private busy = false;
  private closing: Promise<void> | undefined;
  private turn: Promise<unknown> = Promise.resolve();
  private unavailable: string | undefined;
  private openFailure: Error | undefined;
  private stopped: Error | undefined;
  private readonly open: () => Promise<ScuSession>;
  private readonly model: RetrieveModel;

  constructor(model: RetrieveModel, open: () => Promise<ScuSession>) {
    this.model = model;
    this.open = open;
  }

  /**
   * The peer's IMAGE level answers carry no SOP Class UID (inventory.ts found a series listed
   * without one): later inventories do not list instances for the classes alone.
   */
  classlessInstances = false;

  /** Whether an association is open for queries now. */
  get connected(): boolean {
    return this.session !== undefined && !this.session.ended;
  }

  /** Why no query can be asked, once that is known (no FIND class in the model, or the peer refused it). */
  get unavailableReason(): string | undefined {
    return this.model.find ? this.unavailable : `the ${this.model.name} has no C-FIND`;
  }

  /**
   * One C-FIND: the wanted tags of each match. Undefined when the peer offers no C-FIND for the
   * model. Errors opening the association (refused, unreachable, timed out) are thrown.
   */
  find(identifier: DicomJsonDataset, tags: number[]): Promise<FindOutcome | undefined> {
    const run = this.turn.then(() => this.findNow(identifier, tags));
    this.turn = run.catch(() => undefined);
    return run;
  }

  private async findNow(identifier: DicomJsonDataset, tags: number[]): Promise<FindOutcome | undefined> {
    if (this.unavailableReason) return undefined;
    if (this.stopped) throw this.stopped;
    const session = await this.ready();
    if (this.stopped) throw this.stopped;
    const context = session.acceptedContext(this.model.find!);
    if (!context) {
      this.unavailable = `the peer did not accept ${this.model.name} - FIND`;
      return undefined;
    }
    const ts = context.transferSyntax;
    const rows: Map<number, string[]>[] = [];
    this.queries++;
    this.busy = true;
    const final = await session.find(context, encodeIdentifier(identifier, ts), (r) => {
      if (r.dataSet) rows.push(readStrings(r.dataSet, ts, tags));
    }).finally(() => { this.busy = false; });
    const status = final.command.status ?? 0;
    const category = statusCategory(status);
    const comment = final.command.errorComment ? ` (${final.command.errorComment})` : '';
    return {
      rows, status, complete: category === 'success',
      problem: category === 'success' ? undefined : `C-FIND answered ${formatStatus(status)}${comment}${category === 'cancel' || (status & 0xff00) === 0xa700 ? ' after a partial listing' : ''}`,
    };
  }

  private async ready(): Promise<ScuSession> {
    // The queries queued behind one whose association could not be opened (unreachable, timed
    // out) fail the same way at once: each would wait the whole timeout again.
    if (this.openFailure !== undefined) throw this.openFailure;
    // A peer may close an idle association between two requests: a new one then.
    if (this.session && !this.session.ended) return this.session;
    this.associations++;
    try {
      // A PACS that takes one association per caller: an idle C-GET association makes room.
      this.session = await openWithRoom(this.open, async () => this.makeRoom?.(), () => this.makeRoom !== undefined);
    } catch (err) {
      if (err instanceof ConnectionError || err instanceof TimeoutError) this.openFailure = err;
      throw err;
    }
    return this.session;
  }

  /** Set by the retrieve: frees an idle association of ours when the peer is at its limit. */
  makeRoom: (() => Promise<boolean>) | undefined;

  /** Releases the association once the queries asked so far are answered; a later query opens a new one. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.turn;
      const s = this.session;
      this.session = undefined;
      if (s) await s.release().catch(() => s.abort());
    })().finally(() => { this.closing = undefined; });
    return this.closing;
  }

  /** Whether an association is open, or being released, for queries: one the PACS still counts. */
  get holdsAssociation(): boolean {
    return this.closing !== undefined || this.connected;
  }

  /** PS3.7 9.3.2.3: C-CANCEL the running C-FIND (its final response follows); no query is asked after it. */
  cancel(error: Error): void {
    this.stopped ??= error;
    if (this.busy) this.session?.cancel();
  }

  /** Ends the association at once if a query is running on it; an idle one is released (close). */
  abort(error: Error): void {
    if (this.busy) this.session?.abort(error);
  }
}
