// The live bar on a terminal (cli-progress): completed/total from the pending responses, the
// SCP's failed and warning counters, bytes received, throughput and ETA.
import type cliProgress from 'cli-progress';
import { chalkStderr as chalk } from 'chalk';
import type { SubOperationCounters } from '../retrieve/retrieve.ts';
import { requireVendored } from '../dicom/vendored.ts';

// Loaded when a bar is shown (a terminal), not at every start: scripts and CI never draw one.
const load = (): typeof cliProgress => requireVendored('cli-progress') as typeof cliProgress;

export class ProgressBar {
  private readonly bar: cliProgress.SingleBar;
  private started = false;
  private bytes = 0;
  private readonly t0 = performance.now();
  private counters: SubOperationCounters = { remaining: undefined, completed: undefined, failed: undefined, warning: undefined };
  private stored = 0;

  constructor() {
    const { SingleBar, Presets } = load();
    this.bar = new SingleBar({
      stream: process.stderr,
      // The SCP's counters, then dcmget's own ledger (stored here), which may disagree with them.
      format: `${chalk.cyan('{bar}')} {value}/{total} | remaining {remaining}, failed {failed}, warning {warning} | stored {stored}, {mb} MB, {rate} MB/s | ETA {eta_formatted}`,
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      fps: 10,
    }, Presets.shades_classic);
  }

  private values() {
    const seconds = (performance.now() - this.t0) / 1000;
    const c = this.counters;
    const show = (n: number | undefined) => (n === undefined ? '–' : String(n));
    return {
      remaining: show(c.remaining), failed: show(c.failed), warning: show(c.warning), stored: this.stored,
      mb: (this.bytes / 1e6).toFixed(1), rate: seconds > 0 ? (this.bytes / 1e6 / seconds).toFixed(1) : '0.0',
    };
  }

  private total(): number {
    const c = this.counters;
    // Counters are optional (PS3.7 9.1.3.1): without them the local ledger stands in.
    const done = (c.completed ?? this.stored) + (c.failed ?? 0) + (c.warning ?? 0);
    return c.remaining === undefined ? Math.max(done, this.stored) : done + c.remaining;
  }

  private done(): number {
    const c = this.counters;
    return Math.max((c.completed ?? 0) + (c.failed ?? 0) + (c.warning ?? 0), this.stored);
  }

  pending(counters: SubOperationCounters): void {
    this.counters = counters;
    this.refresh();
  }

  storedInstance(bytes: number): void {
    this.stored++;
    this.bytes += bytes;
    this.refresh();
  }

  private refresh(): void {
    const total = Math.max(this.total(), 1);
    if (!this.started) {
      this.started = true;
      this.bar.start(total, this.done(), this.values());
      return;
    }
    this.bar.setTotal(total);
    this.bar.update(Math.min(this.done(), total), this.values());
  }

  /** Before any other line is written to stderr. */
  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}
