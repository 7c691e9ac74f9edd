// What one request has come to so far: which instances arrived (by SOP Instance UID), and the
// outcome of each of its units. Held only while the request runs, so that a list of ten thousand
// studies costs the memory of the largest one.
import type { UnitTally } from './store-scp.ts';
import type { Request } from './requests.ts';
import type { UnitOutcome } from './unit-get.ts';

export class RequestState {
  readonly request: Request;
  /** Answered Success here: stored, or kept by --on-exists skip. */
  readonly arrived = new Set<string>();
  readonly outcomes: UnitOutcome[] = [];
  /** Instances a resume found already on disk and did not ask for. */
  keptBeforehand = 0;
  /** Set while recovery asks the whole query again: what arrived before is dropped, not reported twice. */
  redo = false;

  constructor(request: Request) {
    this.request = request;
  }

  tally(): UnitTally {
    const state = this;
    return {
      received: 0, stored: 0, kept: 0, failed: 0, failedLocally: 0, dropped: 0, answeredAt: undefined, waitedMs: 0,
      admit(uid) {
        if (!state.arrived.has(uid)) return 'store';
        return state.redo ? 'drop' : 'duplicate';
      },
      arrived(uid) {
        state.arrived.add(uid);
      },
    };
  }
}
