// What a retrieve reports as it goes: by name from startRetrieve's job (an EventEmitter), all of
// them through RetrieveOptions.onEvent; --ndjson prints each as a line. Per-file records live
// here, not in the result, so that a retrieve's memory stays flat at any size.
import type { NegotiatedContext } from '../ul/association.ts';
import type { StoreFailure, StoredFile } from './store-scp.ts';
import type { RecoveryReport } from './recovery.ts';
import type { SubOperationCounters } from './unit-get.ts';

/** A request: one Identifier of the user's (a --study, a line of --uids-from, a query file), by its place in `identifiers` and its key. */
export interface RequestRef { index: number; key: string }
/** A unit: one C-GET of a request (the request itself, a study of it, a series, some instances). */
export interface UnitInfo { id: number; label: string; request: number; expected: number | undefined }

/**
 * What a retrieve reports, in the order things happen: a request's inventory, an association up,
 * each C-GET (its unit), its pending responses, every instance stored or failed, its final
 * response, recovery, the request's end, an association released. By `type`.
 */
export type RetrieveEvent =
  /** The inventory of a request (C-FIND): what the match holds, and whether the listing can be trusted. */
  | { type: 'inventory'; request: RequestRef; studies: number | undefined; series: number | undefined; instances: number | undefined; sopClasses: string[] | undefined; trusted: boolean; problems: string[] }
  /** Which operation the run asks with (only with via 'auto' or 'move'), why, and for C-MOVE the destination the PACS must know. */
  | { type: 'via'; via: 'get' | 'move'; reason: string; destination: { aeTitle: string; port: number } | undefined }
  /** The PACS (or someone) opened an association to the C-MOVE's Storage SCP: let in, or refused and why (PS3.8 Table 9-21). */
  | { type: 'incoming'; address: string; callingAeTitle: string; calledAeTitle: string; refused: string | undefined }
  /**
   * An association is up (A-ASSOCIATE-AC): what the peer accepted of each presentation context, and
   * its Maximum Length; `negotiationMs`: from the start of its TCP connection to the A-ASSOCIATE-AC.
   */
  | { type: 'associated'; association: number; contexts: NegotiatedContext[]; peerMaxLength: number; negotiationMs: number }
  /** A unit's C-GET-RQ (or C-MOVE-RQ) went out on an association. */
  | { type: 'unit'; association: number; unit: UnitInfo }
  /** A pending C-GET-RSP (or C-MOVE-RSP): `counters` add up every C-GET of the run so far; `unitCounters` are this response's own. */
  | { type: 'pending'; status: number; counters: SubOperationCounters; association: number; unit: number; unitCounters: SubOperationCounters }
  /**
   * An instance is stored: the file is complete, under its final name, and the C-STORE-RSP Success
   * has gone out. `association`: the one (as in 'associated') whose C-GET or C-MOVE the instance
   * answers; a C-MOVE's instances themselves arrive on associations the PACS opens ('incoming').
   * `storingMs`: dcmget's own time on the instance, from its C-STORE-RQ to that answer (the data
   * set's transfer included; the PACS's time before the request is not).
   */
  | { type: 'stored'; file: StoredFile; association: number | undefined; storingMs: number }
  /**
   * A C-STORE sub-operation whose instance was not stored: answered with a failure status (a write
   * failed, a data set was incomplete…), or answered Success (status 0x0000) and then its close or
   * rename failed. `association` and `storingMs` as for 'stored'.
   */
  | { type: 'failed'; failure: StoreFailure; association: number | undefined; storingMs: number }
  /** A C-CANCEL went out (signal, cancelAfter): the final responses follow. */
  | { type: 'cancelling' }
  /** A unit's final C-GET-RSP (or C-MOVE-RSP), with its own counters, and how long it kept its association busy. */
  | { type: 'final'; status: number; counters: SubOperationCounters; association: number; unit: UnitInfo; busyMs: number }
  /** What the request's recovery asked again for, and what it got: see RetrieveResult.recovery. */
  | { type: 'recovery'; request: RequestRef; report: RecoveryReport }
  /** A request is done: `complete` when dcmget's own ledger has everything it asked for. */
  | { type: 'request'; request: RequestRef; complete: boolean; skipped: 'ledger' | undefined }
  /** An association is released (A-RELEASE). */
  | { type: 'released'; association: number };

/** The name of each event: 'inventory', 'associated', 'unit', 'pending', 'stored', 'failed', … */
export type RetrieveEventType = RetrieveEvent['type'];

/** The event of one name, e.g. `RetrieveEventOf<'stored'>` is `{ type: 'stored'; file: StoredFile }`. */
export type RetrieveEventOf<K extends RetrieveEventType> = Extract<RetrieveEvent, { type: K }>;

/** A RetrieveJob's events by name, each with its one argument: the event object itself. */
export type RetrieveEventMap = { [K in RetrieveEventType]: [event: RetrieveEventOf<K>] };
