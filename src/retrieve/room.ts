// A PACS that takes few associations at once (per caller, or in all) answers a further
// A-ASSOCIATE-RQ with A-ASSOCIATE-RJ: rejected transiently, or by the presentation service
// provider for temporary congestion or a local limit (PS3.8 9.3.4, Table 9-21). Room may come:
// the retrieve frees an idle association of its own (the C-FIND one for a C-GET, a C-GET one for
// a C-FIND) and tries again, instead of ending.
import { AssociationAbortedError, AssociationRejectedError } from '../ul/errors.ts';

/**
 * A further association the peer closed without answering it: seen from Orthanc 1.10 about once in
 * 40 runs of --parallel 4 (nothing in its log). Where other associations of ours are up, the pool
 * goes on with them, as at a limit; alone, it is an error like any other.
 */
export function unanswered(err: unknown): boolean {
  return err instanceof AssociationAbortedError && err.unanswered;
}

export function atLimit(err: unknown): boolean {
  if (!(err instanceof AssociationRejectedError)) return false;
  const { result, source } = err.rejection;
  return result === 2 || source === 3;
}

/** Pauses before each new attempt once room was asked for: the peer may count an association it was just told of until its own thread has ended. */
const RETRIES_MS = [50, 250, 1000];

/**
 * Opens an association; at the peer's limit, and where `mayWait()` says our other associations
 * will not free a slot by themselves, asks `makeRoom` once and tries again a few times. With
 * `unansweredToo`, a further association closed unanswered counts as the limit: the peer may still
 * count one of ours that has just ended (seen from the fake SCP's limit, and from Orthanc 1.10).
 */
export async function openWithRoom<T>(open: () => Promise<T>, makeRoom: () => Promise<unknown>, mayWait: () => boolean, unansweredToo = false): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open();
    } catch (err) {
      const limit = atLimit(err) || (unansweredToo && unanswered(err));
      if (!limit || !mayWait() || attempt >= RETRIES_MS.length) throw err;
      // Free what we can; even with nothing to free, the peer may not have counted a release yet.
      if (attempt === 0) await makeRoom();
      await new Promise((r) => setTimeout(r, RETRIES_MS[attempt]));
    }
  }
}
