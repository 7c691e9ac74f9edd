// The live line on a terminal, drawn by cli-progress: the numbers first (count, remaining,
// failed, stored, rate, ETA), then a bar in whatever width is left, none when nothing is left or
// the total is not known yet. progressLine() is the layout, a pure function of the state and the
// width; ProgressBar feeds it the SCP's pending counters and dcmget's own ledger.
import type cliProgress from 'cli-progress';
import type { SubOperationCounters } from '../retrieve/retrieve.ts';
import { formatBytes } from './units.ts';
import { requireVendored } from '../dicom/vendored.ts';
import { nowMs } from '../retrieve/clock.ts';

// Loaded when a bar is shown (a terminal), not at every start: scripts and CI never draw one.
const load = (): typeof cliProgress => requireVendored('cli-progress') as typeof cliProgress;

export interface ProgressState {
  /** The SCP's latest pending counters (all undefined before the first). */
  counters: SubOperationCounters;
  /** Sub-operations dcmget itself has seen end: stored, failed here, or kept (--on-exists skip). */
  seen: number;
  stored: number;
  bytes: number;
  elapsedMs: number;
}

/** Bars narrower than this say nothing: the line goes without one. */
const MIN_BAR = 5;

/** Done and total as one consistent pair: `total - done` is what the line calls remaining. */
export function progressCounts(s: ProgressState): { done: number; total: number | undefined } {
  const c = s.counters;
  const scpDone = (c.completed ?? 0) + (c.failed ?? 0) + (c.warning ?? 0);
  // Our ledger may run one sub-operation ahead of the SCP's last pending response.
  const done = Math.max(scpDone, s.seen);
  // Counters are optional (PS3.7 9.1.3.1): without Remaining there is no total.
  if (c.remaining === undefined) return { done, total: undefined };
  return { done, total: Math.max(scpDone + c.remaining, done) };
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

/** The line, at most `width` cells (code points: every character used here is one cell wide). */
export function progressLine(s: ProgressState, width: number): string {
  const { done, total } = progressCounts(s);
  const seconds = s.elapsedMs / 1000;
  const failed = s.counters.failed ?? 0;
  const eta = total !== undefined && done > 0 && seconds > 0 ? clock(((total - done) * seconds) / done) : '–';
  const parts = [
    `${done}/${total ?? '?'}`,
    `${total === undefined ? '?' : total - done} left`,
    `${failed} failed${s.counters.warning ? `, ${s.counters.warning} warned` : ''}`,
    `${s.stored} stored ${formatBytes(s.bytes)}`,
    `${seconds > 0 ? formatBytes(s.bytes / seconds) : formatBytes(0)}/s`,
    `ETA ${eta}`,
  ];
  let line = '';
  let shown = 0;
  for (const p of parts) {
    const next = line ? `${line}  ${p}` : p;
    if ([...next].length > width) break;
    line = next;
    shown++;
  }
  // The numbers come first: a bar only when every one of them is shown and room is left.
  const room = width - [...line].length - 1;
  if (total === undefined || total === 0 || shown < parts.length || room < MIN_BAR) return line;
  const filled = Math.min(room, Math.floor((room * done) / total));
  return `${line} ${'█'.repeat(filled)}${'░'.repeat(room - filled)}`;
}

export class ProgressBar {
  private readonly bar: cliProgress.SingleBar;
  private started = false;
  private readonly t0 = nowMs();
  private readonly state: ProgressState = {
    counters: { remaining: undefined, completed: undefined, failed: undefined, warning: undefined },
    seen: 0, stored: 0, bytes: 0, elapsedMs: 0,
  };

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    const { SingleBar } = load();
    this.bar = new SingleBar({
      stream,
      // One cell short of the width: a line that fills the last column makes some terminals wrap.
      format: (_options, params) => progressLine({ ...this.state, elapsedMs: nowMs() - this.t0 }, Math.max(1, params.maxWidth - 1)),
      hideCursor: true,
      clearOnComplete: false,
      linewrap: false,
      fps: 10,
    });
  }

  pending(counters: SubOperationCounters): void {
    this.state.counters = counters;
    this.refresh();
  }

  storedInstance(bytes: number): void {
    this.state.stored++;
    this.state.seen++;
    this.state.bytes += bytes;
    this.refresh();
  }

  /** A sub-operation that ended without a file: failed here, or kept with --on-exists skip. */
  endedWithoutFile(): void {
    this.state.seen++;
    this.refresh();
  }

  private refresh(): void {
    if (!this.started) {
      this.started = true;
      this.bar.start(1, 0);
      return;
    }
    this.bar.update(0);
  }

  /** Before any other line is written to stderr. */
  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}
