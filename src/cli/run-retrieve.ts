// One retrieve from the command line: signals (Ctrl-C: C-CANCEL; twice: A-ABORT), the events as
// people and scripts read them, an --ndjson reader that goes away (C-CANCEL, then release), and
// the summary and exit code of README "Exit codes".
import { chalkStderr as chalk } from 'chalk';
import { formatStatus } from '../dimse/status.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { AbortError, retrieve, type RetrieveEvent, type RetrieveOptions, type RetrieveResult } from '../retrieve/retrieve.ts';
import type { Console } from './console.ts';
import { EXIT } from './exit-codes.ts';
import { exitCodeFor, unmetExpectations } from './exit-status.ts';
import { eventJson, resultJson, type RunInfo } from './json-report.ts';
import { ProgressBar } from './progress-bar.ts';
import type { Flags } from './program.ts';
import { contextTable, pendingLine, summaryLines } from './report.ts';
import type { StoredFile } from '../retrieve/store-scp.ts';
import { nowMs } from '../retrieve/clock.ts';
import { codeCacheHint } from './code-cache-hint.ts';

/** Off a terminal, and at the default level, a pending response is a line at most this often. */
export const PENDING_LINE_INTERVAL_MS = 1000;

export interface RetrieveRun {
  flags: Flags;
  ui: Console;
  model: RetrieveModel;
  run: RunInfo;
  /** Everything retrieve() takes but the signals and the event handler. */
  options: Omit<RetrieveOptions, 'signal' | 'abortNowSignal' | 'onEvent' | 'warn'>;
  /** getscu +v: the negotiated presentation contexts at the default level. */
  verbosePc: boolean;
}

/** What the summary notes beside the final status: the library's notes, and a match that was empty. */
export function ledgerNotes(result: RetrieveResult): string[] {
  const notes = [...result.notes];
  // A retrieve cancelled or broken off before its C-FINDs ended proves no empty match.
  if (result.nothingMatched && result.ledger.received === 0 && !result.cancelled && !result.error) notes.unshift('nothing matched: the C-FIND before the C-GET found no match either');
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
    } else if (!abort.signal.aborted) {
      ui.line(chalk.magenta(`${signal} again: aborting at once (A-ABORT); the file being received is removed.`));
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
      signal: cancel.signal,
      abortNowSignal: abort.signal,
      warn: ui.warn,
      onEvent: events.onEvent,
    }).catch((err: unknown) => {
      // Ctrl-C, or a reader of --ndjson gone: the library rejects with what arrived, which the summary and exit code tell.
      if (err instanceof AbortError) return err.result;
      throw err;
    });
  } finally {
    ui.bar?.stop();
    ui.bar = undefined;
    unwatch();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (result.ledger.stored > 0) codeCacheHint.storedAnInstance = true;
  let code = exitCodeFor(result, { count: flags.expectCount, min: flags.expectMin });
  // A stdout that failed (a full disk) is a local I/O error; one whose reader left, a cancel.
  if (stdoutLost && stdoutLost.code !== 'EPIPE' && code !== EXIT.SUCCESS) code = EXIT.LOCAL_IO;
  report(r, result, code, events.files);
  return code;
}

function report(r: RetrieveRun, result: RetrieveResult, code: number, files: StoredFile[] | undefined): void {
  const { flags, ui } = r;
  const unmet = unmetExpectations(result, { count: flags.expectCount, min: flags.expectMin });
  const notes = ledgerNotes(result);
  const lines = summaryLines(result, flags.outputDirectory, flags.ignore ?? false);
  for (const l of lines.slice(0, -1)) (code === EXIT.SUCCESS ? ui.say : ui.line)(l);
  for (const n of notes) ui.warn(n);
  for (const u of unmet) ui.line(chalk.red(`error: ${u}`));
  ui.say(lines.at(-1)!);
  if (result.hint) ui.say(chalk.dim(`hint: ${result.hint}`));
  if (flags.json) ui.json(resultJson(result, r.run, code, [...notes, ...unmet], files));
  if (flags.ndjson) ui.json({ event: 'summary', ...resultJson(result, r.run, code, [...notes, ...unmet], undefined) });
}

/** What each event prints: a line, the bar, an NDJSON event. */
function eventHandler(r: RetrieveRun): { onEvent: (e: RetrieveEvent) => void; files: StoredFile[] | undefined } {
  const { flags, ui, model } = r;
  // Only --json, which reports every file at the end, keeps them all.
  const files: StoredFile[] | undefined = flags.json ? [] : undefined;
  let lastPendingLine = -Infinity;
  const onEvent = (e: RetrieveEvent) => {
    if (flags.ndjson) {
      const j = eventJson(e, r.run.startedMs);
      if (j) ui.json(j);
    }
    switch (e.type) {
      case 'inventory':
        ui.logger.verbose?.(e.sopClasses
          ? `inventory of ${e.request.key}: ${e.studies ?? '?'} study(ies), ${e.series ?? '?'} series, ${e.instances ?? '?'} instance(s), ${e.sopClasses.length} SOP class(es)${e.trusted ? '' : ' (listing not trusted)'}`
          : `inventory of ${e.request.key}: the peer could not say which SOP classes the match holds; proposing the default set`);
        break;
      case 'via':
        ui.say(e.via === 'move' && e.destination
          ? `C-MOVE to "${e.destination.aeTitle}", dcmget's Storage SCP on port ${e.destination.port}: ${e.reason}`
          : `C-GET: ${e.reason}`);
        break;
      case 'associated':
        associated(r, e.contexts, model);
        break;
      case 'pending': {
        const c = e.counters;
        if (ui.bar) ui.bar.pending(c);
        // Off a terminal: a line at most once a second (-v: every response).
        // Not built at all under -q: colouring its first line costs chalk's set-up (~2 ms).
        else if (ui.at('info') && (ui.at('verbose') || nowMs() - lastPendingLine >= PENDING_LINE_INTERVAL_MS)) {
          lastPendingLine = nowMs();
          ui.say(pendingLine(e.status, c));
        }
        break;
      }
      case 'stored':
        files?.push(e.file);
        ui.bar?.storedInstance(e.file.dataSetBytes);
        ui.logger.verbose?.(`stored ${e.file.path} (${e.file.dataSetBytes} bytes)`);
        break;
      case 'failed':
        ui.bar?.endedWithoutFile();
        // Status 0x0000: the close or the rename after a Success answer failed; the message says so.
        ui.warn(`sub-operation for ${e.failure.sopInstanceUid || '(no UID)'}${e.failure.status === 0 ? '' : ` answered ${formatStatus(e.failure.status)}`}: ${e.failure.message}`);
        break;
      default:
        break;
    }
  };
  return { onEvent, files };
}

function associated(r: RetrieveRun, contexts: Parameters<typeof contextTable>[0], model: RetrieveModel): void {
  const { ui } = r;
  if (ui.logger.verbose) ui.logger.verbose(`presentation contexts:\n${contextTable(contexts)}`);
  else if (r.verbosePc) ui.say(`presentation contexts:\n${contextTable(contexts)}`);
  // A C-MOVE association proposes no storage context: its C-STOREs come on associations of their own.
  const storage = contexts.filter((c) => c.accepted && c.abstractSyntax !== model.get && c.abstractSyntax !== model.move);
  if (storage.length === 0) return;
  const noRole = storage.filter((c) => !c.scpRole);
  // PS3.7 D.3.3.4: without the SCP role no C-STORE may arrive on a context (some peers send anyway).
  if (noRole.length && noRole.length === storage.length) ui.warn('the peer granted the SCP role on no storage context: it may send no instance (-v shows the table)');
  else if (noRole.length) ui.logger.verbose?.(`${noRole.length} storage context(s) accepted without the SCP role: no sub-operation should arrive on them`);
}
