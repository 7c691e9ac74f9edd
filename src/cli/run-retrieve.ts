// One retrieve from the command line: signals (Ctrl-C: C-CANCEL; twice: A-ABORT), the events as
// people and scripts read them, an --ndjson reader that goes away (C-CANCEL, then release), and
// the summary and exit code of README "Exit codes".
import { chalkStderr as chalk } from 'chalk';
import { formatStatus, statusCategory } from '../dimse/status.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { CancelledError, retrieve, type RetrieveEvent, type RetrieveOptions, type RetrieveResult } from '../retrieve/retrieve.ts';
import type { Console } from './console.ts';
import { EXIT } from './exit-codes.ts';
import { exitCodeFor, unmetExpectations } from './exit-status.ts';
import { eventJson, resultJson, type RunInfo } from './json-report.ts';
import { ProgressBar } from './progress-bar.ts';
import type { Flags } from './program.ts';
import { contextTable, pendingLine, summaryLines } from './report.ts';

/** Off a terminal, and at the default level, a pending response is a line at most this often. */
export const PENDING_LINE_INTERVAL_MS = 1000;

export interface RetrieveRun {
  flags: Flags;
  ui: Console;
  model: RetrieveModel;
  run: RunInfo;
  /** Everything retrieve() takes but the signals and the event handler. */
  options: Omit<RetrieveOptions, 'cancelSignal' | 'abortSignal' | 'onEvent' | 'warn'>;
  /** getscu +v: the negotiated presentation contexts at the default level. */
  verbosePc: boolean;
}

/** Notes where the SCP's counters and dcmget's own ledger disagree (counters are only the SCP's word). */
export function ledgerNotes(result: RetrieveResult, firstTotal: number | undefined, ignore: boolean): string[] {
  const notes: string[] = [];
  const c = result.counters;
  if (result.planFoundNothing && result.ledger.received === 0) notes.push('nothing matched: the C-FIND before the C-GET found no match either');
  if (result.status !== undefined && statusCategory(result.status) === 'success' && result.ledger.failed > 0) {
    notes.push(`the SCP reported Success although ${result.ledger.failed} sub-operation(s) failed here`);
  }
  const firstPassStored = result.ledger.stored - (result.secondPass?.recovered.length ?? 0);
  if (c.completed !== undefined && c.completed !== firstPassStored && !ignore && !result.error) {
    notes.push(`the SCP counted ${c.completed} completed sub-operation(s); dcmget stored ${firstPassStored}`);
  }
  const finalTotal = (c.completed ?? 0) + (c.failed ?? 0) + (c.warning ?? 0);
  if (firstTotal !== undefined && c.completed !== undefined && firstTotal !== finalTotal && !result.cancelled && !result.error) {
    notes.push(`the first pending response announced ${firstTotal} sub-operations; the final counters add up to ${finalTotal}`);
  }
  return notes;
}

export async function runRetrieve(r: RetrieveRun): Promise<number> {
  const { flags, ui } = r;
  // A live bar only where a person watches: stderr a terminal, info level, not disabled.
  if (flags.progress && ui.stderr.isTTY && ui.level === 'info') ui.bar = new ProgressBar();
  const cancel = new AbortController();
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!cancel.signal.aborted) {
      ui.line(chalk.magenta(`${signal}: cancelling (C-CANCEL); files already received stay. ${signal === 'SIGINT' ? 'Ctrl-C' : signal} again aborts at once.`));
      cancel.abort();
    } else {
      abort.abort();
    }
  };
  // --ndjson is the retrieve's output: without a reader, the retrieve is cancelled, cleanly.
  let stdoutLost: NodeJS.ErrnoException | undefined;
  const unwatch = ui.stdout.onLost((err) => {
    if (!flags.ndjson) return;
    stdoutLost = err;
    ui.line(`dcmget: stdout ${err.code === 'EPIPE' ? 'was closed by its reader' : `failed (${err.code ?? err.message})`}: --ndjson has nowhere to go; cancelling (C-CANCEL)`);
    cancel.abort();
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const events = eventHandler(r);
  let result: RetrieveResult;
  try {
    result = await retrieve({
      ...r.options,
      cancelSignal: cancel.signal,
      abortSignal: abort.signal,
      warn: ui.warn,
      onEvent: events.onEvent,
    });
  } catch (err) {
    // Cancelled before the C-GET began because stdout failed: that failure is the error to report.
    if (err instanceof CancelledError && stdoutLost && stdoutLost.code !== 'EPIPE') throw stdoutLost;
    throw err;
  } finally {
    ui.bar?.stop();
    ui.bar = undefined;
    unwatch();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  let code = exitCodeFor(result, { count: flags.expectCount, min: flags.expectMin });
  // A stdout that failed (a full disk) is a local I/O error; one whose reader left, a cancel.
  if (stdoutLost && stdoutLost.code !== 'EPIPE' && code !== EXIT.SUCCESS) code = EXIT.LOCAL_IO;
  report(r, result, code, events.firstTotal());
  return code;
}

function report(r: RetrieveRun, result: RetrieveResult, code: number, firstTotal: number | undefined): void {
  const { flags, ui } = r;
  const unmet = unmetExpectations(result, { count: flags.expectCount, min: flags.expectMin });
  const notes = ledgerNotes(result, firstTotal, flags.ignore ?? false);
  const lines = summaryLines(result, flags.outputDirectory, flags.ignore ?? false);
  for (const l of lines.slice(0, -1)) (code === EXIT.SUCCESS ? ui.say : ui.line)(l);
  for (const n of notes) ui.warn(n);
  for (const u of unmet) ui.line(chalk.red(`error: ${u}`));
  ui.say(lines.at(-1)!);
  if (flags.json) ui.json(resultJson(result, r.run, code, [...notes, ...unmet]));
  if (flags.ndjson) ui.json({ event: 'summary', ...resultJson(result, r.run, code, [...notes, ...unmet]) });
}

/** What each event prints: a line, the bar, an NDJSON event. */
function eventHandler(r: RetrieveRun): { onEvent: (e: RetrieveEvent) => void; firstTotal: () => number | undefined } {
  const { flags, ui, model } = r;
  let firstTotal: number | undefined;
  let lastPendingLine = -Infinity;
  const onEvent = (e: RetrieveEvent) => {
    if (flags.ndjson) {
      const j = eventJson(e);
      if (j) ui.json(j);
    }
    switch (e.type) {
      case 'plan':
        ui.logger.verbose?.(e.proposal === 'plan'
          ? `plan: the match holds ${e.inventory!.sopClasses.length} SOP class(es) (from ${e.inventory!.method}); proposing ${e.contexts} presentation contexts`
          : `plan: ${e.proposal === 'given' ? 'storage classes given' : 'the peer could not say which SOP classes the match holds; proposing the default set'}, ${e.contexts} presentation contexts`);
        break;
      case 'associated':
        associated(r, e.contexts, model.get);
        break;
      case 'pending': {
        const c = e.counters;
        if (firstTotal === undefined && c.remaining !== undefined && flags.parallel === 1) firstTotal = c.remaining + (c.completed ?? 0) + (c.failed ?? 0) + (c.warning ?? 0);
        if (ui.bar) ui.bar.pending(c);
        // Off a terminal: a line at most once a second (-v: every response).
        else if (ui.at('verbose') || performance.now() - lastPendingLine >= PENDING_LINE_INTERVAL_MS) {
          lastPendingLine = performance.now();
          ui.say(pendingLine(e.status, c));
        }
        break;
      }
      case 'stored':
        ui.bar?.storedInstance(e.file.dataSetBytes);
        ui.logger.verbose?.(`stored ${e.file.path} (${e.file.dataSetBytes} bytes)`);
        break;
      case 'failed':
        ui.bar?.endedWithoutFile();
        ui.warn(`sub-operation for ${e.failure.sopInstanceUid || '(no UID)'} answered ${formatStatus(e.failure.status)}: ${e.failure.message}`);
        break;
      default:
        break;
    }
  };
  return { onEvent, firstTotal: () => firstTotal };
}

function associated(r: RetrieveRun, contexts: Parameters<typeof contextTable>[0], getUid: string | undefined): void {
  const { ui } = r;
  if (ui.logger.verbose) ui.logger.verbose(`presentation contexts:\n${contextTable(contexts)}`);
  else if (r.verbosePc) ui.say(`presentation contexts:\n${contextTable(contexts)}`);
  const storage = contexts.filter((c) => c.accepted && c.abstractSyntax !== getUid);
  const noRole = storage.filter((c) => !c.scpRole);
  // PS3.7 D.3.3.4: without the SCP role no C-STORE may arrive on a context (some peers send anyway).
  if (noRole.length && noRole.length === storage.length) ui.warn('the peer granted the SCP role on no storage context: it may send no instance (-v shows the table)');
  else if (noRole.length) ui.logger.verbose?.(`${noRole.length} storage context(s) accepted without the SCP role: no sub-operation should arrive on them`);
}
