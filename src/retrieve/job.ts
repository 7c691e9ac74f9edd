// A retrieve as a Node EventEmitter: `startRetrieve(options)` returns the job at once; its events
// arrive by name (`job.on('stored', ({ file }) => …)`), its outcome as `await job.result`.
// Listeners run in step with the pipeline, as each event happens, and nothing is kept for a
// listener that is not there, so memory stays flat whatever the consumer does. (An async
// iterator would have to buffer, or hold back the C-STORE-RSPs, for a consumer that is slow.)
import { EventEmitter } from 'node:events';
import type { RetrieveOptions } from './options.ts';
import type { RetrieveEventMap } from './events.ts';
import type { RetrieveResult } from './result.ts';
import { runRetrieve } from './retrieve.ts';

/**
 * A running retrieve. Events (RetrieveEventMap): 'via', 'incoming' (C-MOVE), 'inventory', 'associated', 'unit', 'pending',
 * 'stored', 'failed', 'cancelling', 'final', 'recovery', 'request', 'released'; each listener
 * gets the event object. No 'error' event: failures are in `result` (see retrieve()).
 */
export class RetrieveJob extends EventEmitter<RetrieveEventMap> {
  /** Settles as retrieve() does: the result, or an AbortError, UsageError, or a listener's error. */
  readonly result: Promise<RetrieveResult>;

  constructor(options: RetrieveOptions) {
    super();
    // Started on the next tick, so that listeners attached right after startRetrieve() see every event.
    this.result = new Promise<void>((resolve) => process.nextTick(resolve)).then(() => runRetrieve(options, (event) => {
      options.onEvent?.(event);
      this.emit(event.type, event as never);
    }));
  }
}

/** Starts a retrieve and returns it as an EventEmitter with a `result` promise. */
export function startRetrieve(options: RetrieveOptions): RetrieveJob {
  return new RetrieveJob(options);
}
