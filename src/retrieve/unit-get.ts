// One unit's C-GET (PS3.4 C.4.3) or C-MOVE (C.4.2) on an association of the pool: the request with
// the unit's Identifier, the pending responses and their counters, the C-STORE sub-operations it
// brings (attributed to the unit), and the final response with its Failed SOP Instance UID List
// (PS3.4 C.4.3.1.3.1, C.4.2.1.3.1). What differs between the two is retrieve-operation.ts's.
import type { NegotiatedContext } from '../ul/association.ts';
import { AssociationAbortedError } from '../ul/errors.ts';
import type { CommandSet } from '../dimse/command-set.ts';
import { statusCategory, type StatusCategory } from '../dimse/status.ts';
import type { ScuSession } from '../dimse/scu-session.ts';
import { readStrings } from '../dicom/data-set-reader.ts';
import { encodeIdentifier } from '../dicom/identifier.ts';
import type { UnitTally } from './store-scp.ts';
import type { IncomingAssociations, Operation } from './operation.ts';
import { TAG } from './requests.ts';
import type { Unit } from './units.ts';
import { nowMs } from './clock.ts';

export interface SubOperationCounters {
  remaining: number | undefined;
  completed: number | undefined;
  failed: number | undefined;
  warning: number | undefined;
}

export function countersOf(c: CommandSet): SubOperationCounters {
  return { remaining: c.remaining, completed: c.completed, failed: c.failed, warning: c.warning };
}

export interface UnitOutcome {
  unit: Unit;
  /** How it was asked: C-GET or C-MOVE. */
  service: Operation['service'];
  association: number;
  status: number;
  category: StatusCategory;
  counters: SubOperationCounters;
  /** Remaining + completed + failed + warning of the first pending response that gave them. */
  firstTotal: number | undefined;
  failedUids: string[];
  errorComment: string | undefined;
  offendingElement: number[] | undefined;
  /** C-STORE-RQs that came for this unit, and how they ended here. */
  received: number;
  stored: number;
  kept: number;
  failedHere: number;
  failedLocally: number;
  /** Answered Success without writing (duplicates, or already here in a repeated query). */
  dropped: number;
  /** Time from each of our C-STORE-RSPs to the peer's next C-STORE-RQ: the peer's turn and the network's. */
  waitedMs: number;
  /** Storage contexts of the association it ran on (what the peer accepted). */
  contexts: NegotiatedContext[];
  /** C-MOVE: the associations the PACS opened to dcmget's Storage SCP while it ran. */
  incoming: IncomingAssociations | undefined;
  startedAt: number;
  endedAt: number;
}

export interface UnitRunner {
  /** The per-unit bookkeeping the Storage SCP reports into. */
  tallyFor(unit: Unit): UnitTally;
  onStart(unit: Unit, association: number, service: Operation['service']): void;
  onPending(unit: Unit, association: number, status: number, counters: SubOperationCounters): void;
  onFinal(outcome: UnitOutcome): void;
  warn?: ((message: string) => void) | undefined;
  verbose?: ((message: string) => void) | undefined;
}

export async function runUnit(runner: UnitRunner, op: Operation, session: ScuSession, association: number, unit: Unit): Promise<UnitOutcome> {
  const context = session.acceptedContext(op.sopClassUid);
  if (!context) throw new AssociationAbortedError(`the ${op.service} presentation context is not accepted on this association`);
  const tally = runner.tallyFor(unit);
  tally.association = association;
  const startedAt = nowMs();
  let firstTotal: number | undefined;
  runner.onStart(unit, association, op.service);
  const { final, incoming } = await op.send(session, context, encodeIdentifier(unit.identifier, context.transferSyntax), unit, tally, (r) => {
    const status = r.command.status ?? 0;
    if (statusCategory(status) !== 'pending') return;
    const c = countersOf(r.command);
    if (firstTotal === undefined && c.remaining !== undefined) firstTotal = c.remaining + (c.completed ?? 0) + (c.failed ?? 0) + (c.warning ?? 0);
    runner.onPending(unit, association, status, c);
  });
  const c = final.command;
  const status = c.status ?? 0;
  const outcome: UnitOutcome = {
    unit, service: op.service, association, status, category: statusCategory(status), counters: countersOf(c), firstTotal,
    failedUids: [...new Set([...c.failedSopInstanceUidList ?? [], ...readFailedList(final.dataSet, context.transferSyntax, runner.warn)])],
    errorComment: c.errorComment, offendingElement: c.offendingElement,
    received: tally.received, stored: tally.stored, kept: tally.kept, failedHere: tally.failed, failedLocally: tally.failedLocally, dropped: tally.dropped, waitedMs: tally.waitedMs,
    contexts: session.contexts, incoming, startedAt, endedAt: nowMs(),
  };
  runner.onFinal(outcome);
  return outcome;
}

function readFailedList(dataSet: Buffer | undefined, transferSyntaxUid: string, warn: ((m: string) => void) | undefined): string[] {
  if (!dataSet || dataSet.length === 0) return [];
  try {
    return readStrings(dataSet, transferSyntaxUid, [TAG.failedList]).get(TAG.failedList) ?? [];
  } catch (err) {
    warn?.(`could not read the final response's Identifier: ${(err as Error).message}`);
    return [];
  }
}

/** A refusal: the C-GET failed before any sub-operation (e.g. 0xC4xx for a list of UIDs it will not take). */
export function refusedOutright(o: UnitOutcome): boolean {
  const c = o.counters;
  return o.category === 'failure' && o.received === 0 && !(c.completed ?? 0) && !(c.warning ?? 0) && !(c.failed ?? 0);
}
