// From a retrieve's outcome to the exit code of the README's table.
import { InvalidArgumentError } from 'commander';
import { UsageError } from '../dicom/usage-error.ts';
import { AssociationAbortedError, AssociationRejectedError, ConnectionError, TimeoutError } from '../ul/errors.ts';
import { CancelledError, type RetrieveResult } from '../retrieve/retrieve.ts';
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
  const sp = result.secondPass;
  if (sp && sp.stillMissing.length === 0 && result.failures.length === 0) {
    // The second pass brought home everything the first one missed.
    return unmetExpectations(result, e).length ? EXIT.SUBOPERATIONS_FAILED : (result.counters.warning ?? 0) > 0 ? EXIT.WARNING : EXIT.SUCCESS;
  }
  const failedAny = result.failures.length > 0 || (result.counters.failed ?? 0) > 0 || result.failedSopInstanceUids.length > 0;
  const unmet = unmetExpectations(result, e).length > 0;
  switch (result.category) {
    case 'success': {
      const any = result.ledger.received > 0 || (result.counters.completed ?? 0) > 0 || result.ledger.skipped > 0;
      if (!any) return EXIT.NOTHING_MATCHED;
      return failedAny || unmet ? EXIT.SUBOPERATIONS_FAILED : EXIT.SUCCESS;
    }
    case 'warning':
      if (failedAny || unmet) return EXIT.SUBOPERATIONS_FAILED;
      return EXIT.WARNING;
    case 'failure':
      if (result.planFoundNothing && result.ledger.received === 0 && !(result.counters.completed ?? 0)) return EXIT.NOTHING_MATCHED;
      return result.ledger.stored > 0 || (result.counters.completed ?? 0) > 0 ? EXIT.SUBOPERATIONS_FAILED : EXIT.REFUSED;
    default:
      return EXIT.ASSOCIATION;
  }
}

export function exitCodeForError(err: unknown): number {
  if (err instanceof UsageError || err instanceof InvalidArgumentError) return EXIT.USAGE;
  if (err instanceof CancelledError) return EXIT.CANCELLED;
  if (err instanceof ConnectionError || err instanceof TimeoutError || err instanceof AssociationRejectedError || err instanceof AssociationAbortedError) return EXIT.ASSOCIATION;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return EXIT.LOCAL_IO;
  return EXIT.INTERNAL;
}
