// From a retrieve's outcome to the exit code of the README's table.
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../dicom/usage-error.ts';
import { AssociationAbortedError, AssociationRejectedError, ConnectionError, TimeoutError } from '../ul/errors.ts';
import { AbortError, CancelledError, type RetrieveResult } from '../retrieve/retrieve.ts';
import { EXIT } from './exit-codes.ts';

export interface Expectations {
  /** --expect-count: exactly this many instances must arrive. */
  count?: number | undefined;
  /** --expect-min: at least this many. */
  min?: number | undefined;
}

/** A sentence for each expectation the result does not meet (CI smoke tests rely on them). */
export function unmetExpectations(result: RetrieveResult, e: Expectations): string[] {
  const got = result.ledger.stored;
  const out: string[] = [];
  if (e.count !== undefined && got !== e.count) out.push(`expected exactly ${e.count} instance${e.count === 1 ? '' : 's'} (--expect-count), received ${got}`);
  if (e.min !== undefined && got < e.min) out.push(`expected at least ${e.min} instance${e.min === 1 ? '' : 's'} (--expect-min), received ${got}`);
  return out;
}

export function exitCodeFor(result: RetrieveResult, e: Expectations = {}): number {
  if (result.error) return exitCodeForError(result.error);
  if (result.failures.some((f) => f.errorCode !== undefined)) return EXIT.LOCAL_IO;
  if (result.category === 'cancel' || result.cancelled) return EXIT.CANCELLED;
  const unmet = unmetExpectations(result, e).length > 0;
  const r = result.requests;
  // Every request of this shard was complete in the --ledger file already: nothing to do is success.
  if (r.total > 0 && r.total === r.skippedByLedger + r.outOfShard) return unmet ? EXIT.SUBOPERATIONS_FAILED : EXIT.SUCCESS;
  const arrived = result.ledger.received > 0 || result.ledger.skipped > 0;
  if (!arrived && !(result.counters.completed ?? 0) && (result.nothingMatched || result.category === 'success')) return EXIT.NOTHING_MATCHED;
  if (result.complete) {
    if (unmet) return EXIT.SUBOPERATIONS_FAILED;
    const warned = (result.counters.warning ?? 0) > 0 || (result.category === 'warning' && !result.recovery);
    return warned ? EXIT.WARNING : EXIT.SUCCESS;
  }
  // dcmget's own ledger says something is missing, whatever the SCP's final status claims.
  if (result.category === 'failure' && !arrived && !(result.counters.completed ?? 0)) return EXIT.REFUSED;
  return EXIT.SUBOPERATIONS_FAILED;
}

export function exitCodeForError(err: unknown): number {
  if (err instanceof UsageError || err instanceof InvalidArgumentError) return EXIT.USAGE;
  if (err instanceof CancelledError || err instanceof AbortError) return EXIT.CANCELLED;
  if (err instanceof ConnectionError || err instanceof TimeoutError || err instanceof AssociationRejectedError || err instanceof AssociationAbortedError) return EXIT.ASSOCIATION;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return EXIT.LOCAL_IO;
  return EXIT.INTERNAL;
}
