// How a retrieve is stopped, by Node's AbortSignal convention (as fs, fetch and stream take it).
// `signal`: C-CANCEL whatever runs (PS3.7 9.3.2.3), a bounded grace for the final responses, then
// release, or A-ABORT (PS3.8 9.3.8) the associations whose peer does not answer in time.
// `abortNowSignal`: A-ABORT at once. Either makes the retrieve reject with an AbortError that
// carries what arrived. `cancelAfter` and the total deadline stop a retrieve too, but it resolves:
// they are part of the job the caller asked for, not a change of mind.
import { TimeoutError } from '../ul/errors.ts';
import { emptyResult, type RetrieveResult } from './result.ts';
import { nowMs } from './clock.ts';

/**
 * A cancelled retrieve that had to end with an A-ABORT: the peer did not end its C-GET within the
 * grace after the C-CANCEL, or `abortNowSignal` fired. Found in `result.error`; the file being
 * received at that moment was removed.
 */
export class CancelledError extends Error {
  readonly code = 'ERR_DCMGET_CANCELLED';
  constructor(message: string) {
    super(message);
    this.name = 'CancelledError';
  }
}

/**
 * What a retrieve rejects with when `signal` or `abortNowSignal` fired, whenever that happened
 * (before the call, during the inventory, mid-transfer). As Node's own AbortError: `name`
 * 'AbortError', `code` 'ABORT_ERR', `cause` the signal's reason. `result` is what the retrieve
 * had come to: counts, failures, what was not retrieved (the files that arrived stay on disk).
 */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  /** The partial result (not enumerable, so that printing the error does not print it). */
  declare readonly result: RetrieveResult;
  constructor(message: string, cause: unknown, result: RetrieveResult) {
    super(message, { cause });
    this.name = 'AbortError';
    Object.defineProperty(this, 'result', { value: result, enumerable: false, writable: false });
  }
}

export interface ControlOptions {
  signal?: AbortSignal | undefined;
  abortNowSignal?: AbortSignal | undefined;
  cancelGraceMs: number;
  totalTimeoutMs?: number | undefined;
}

export interface ControlHooks {
  /** C-CANCEL what is running and take no new work. */
  cancel(): void;
  /** A-ABORT every association with `error`. */
  abort(error: Error): void;
}

/** The signal that has already fired, if one has (checked before a retrieve touches anything). */
export function firedSignal(o: ControlOptions): AbortSignal | undefined {
  return [o.signal, o.abortNowSignal].find((s) => s?.aborted);
}

/** The rejection of a retrieve whose signal fired before it started: nothing was touched. */
export function abortedBeforeStart(signal: AbortSignal): AbortError {
  const nothing = { ...emptyResult({ received: 0, stored: 0, failed: 0, skipped: 0, duplicates: 0, bytes: 0 }), complete: false, cancelled: true };
  return new AbortError('the retrieve was aborted before it started', signal.reason, nothing);
}

/**
 * The caller's listener, called in step with the pipeline. What it throws must not unwind the
 * pipeline's own state (a socket's data handler, a writer): it is kept, `onError` ends the run,
 * and no event follows; the retrieve then rejects with it.
 */
export class GuardedListener<E> {
  thrown: { error: unknown } | undefined;
  private readonly listener: ((event: E) => void) | undefined;
  private readonly onError: (error: Error) => void;

  constructor(listener: ((event: E) => void) | undefined, onError: (error: Error) => void) {
    this.listener = listener;
    this.onError = onError;
  }

  readonly emit = (event: E): void => {
    if (!this.listener || this.thrown) return;
    try {
      this.listener(event);
    } catch (err) {
      this.thrown = { error: err };
      this.onError(err instanceof Error ? err : new Error(String(err)));
    }
  };
}

/** The run's control: cancel (C-CANCEL, then a grace period), abort, and the total deadline. */
export class Control {
  cancelled = false;
  /** Set when one of the caller's signals fired: its reason, the AbortError's cause. */
  stoppedBy: { reason: unknown } | undefined;
  private grace: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onSignal = () => {
    this.stoppedBy ??= { reason: this.o.signal!.reason };
    this.cancel();
  };
  private readonly onAbortNow = () => {
    this.stoppedBy ??= { reason: this.o.abortNowSignal!.reason };
    this.abort(new CancelledError('aborted at once on request (A-ABORT); the file being received was removed'));
  };
  private readonly o: ControlOptions;
  private readonly hooks: ControlHooks;

  constructor(o: ControlOptions, started: number, hooks: ControlHooks) {
    this.o = o;
    this.hooks = hooks;
    o.signal?.addEventListener('abort', this.onSignal, { once: true });
    o.abortNowSignal?.addEventListener('abort', this.onAbortNow, { once: true });
    if (o.totalTimeoutMs && o.totalTimeoutMs > 0) {
      const left = Math.max(0, o.totalTimeoutMs - (nowMs() - started));
      this.timer = setTimeout(() => this.abort(new TimeoutError('total', `the retrieve did not finish within the total timeout of ${o.totalTimeoutMs! / 1000} s; association aborted`)), left);
    }
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.hooks.cancel();
    // PS3.7 lets the SCP finish the sub-operation in progress; one that ignores C-CANCEL
    // altogether is aborted after a grace period, so that a cancel always ends the retrieve.
    const grace = this.o.cancelGraceMs;
    this.grace = setTimeout(() => this.abort(new CancelledError(`the peer did not end the C-GET within ${grace / 1000} s of the C-CANCEL; association aborted`)), grace);
    this.grace.unref();
  }

  abort(error: Error): void {
    this.hooks.abort(error);
  }

  /** Ends the run for an error of the caller's (a listener threw): nothing more is asked or received. */
  fail(error: Error): void {
    this.cancel();
    this.abort(error);
  }

  /** The retrieve's outcome: the result, or the rejection a listener's error or a signal calls for. */
  settle(result: RetrieveResult, thrown: { error: unknown } | undefined): RetrieveResult {
    if (thrown) throw thrown.error;
    if (this.stoppedBy) throw new AbortError(`the retrieve was aborted; ${result.ledger.stored} instance(s) stored before it stopped`, this.stoppedBy.reason, result);
    return result;
  }

  dispose(): void {
    this.o.signal?.removeEventListener('abort', this.onSignal);
    this.o.abortNowSignal?.removeEventListener('abort', this.onAbortNow);
    if (this.grace) clearTimeout(this.grace);
    if (this.timer) clearTimeout(this.timer);
  }
}
