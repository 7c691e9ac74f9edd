// stdout and stderr as dcmget writes them: a stream whose reader went away (EPIPE: `| head`) or
// that fails (ENOSPC: `>/dev/full`, EIO: a closed terminal) is written no more, and whoever
// listens is told once; the retrieve itself decides what happens next (main.ts). Output never
// decides the outcome, and never ends the process with a stack trace.

export class Output {
  /** The error that ended this stream, if one did. */
  lost: NodeJS.ErrnoException | undefined;
  private readonly listeners: ((err: NodeJS.ErrnoException) => void)[] = [];
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

  constructor(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }) {
    this.stream = stream;
    stream.on('error', (err: NodeJS.ErrnoException) => this.lose(err));
  }

  get isTTY(): boolean {
    return this.stream.isTTY === true;
  }

  write(text: string): void {
    if (this.lost) return;
    try {
      this.stream.write(text);
    } catch (err) {
      this.lose(err as NodeJS.ErrnoException);
    }
  }

  /** `f` is called once, when (or if already) the stream is lost. */
  onLost(f: (err: NodeJS.ErrnoException) => void): () => void {
    if (this.lost) queueMicrotask(() => f(this.lost!));
    else this.listeners.push(f);
    return () => {
      const i = this.listeners.indexOf(f);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private lose(err: NodeJS.ErrnoException): void {
    if (this.lost) return;
    this.lost = err;
    for (const f of this.listeners.splice(0)) f(err);
  }
}

let outputs: { stdout: Output; stderr: Output } | undefined;

/** The process's two output streams, wrapped once. */
export function processOutputs(): { stdout: Output; stderr: Output } {
  outputs ??= { stdout: new Output(process.stdout), stderr: new Output(process.stderr) };
  return outputs;
}
