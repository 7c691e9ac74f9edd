// What dcmget writes for people (stderr, by log level) and for scripts (stdout, JSON lines), on
// top of output-streams.ts. One place decides what the log level lets through.
import { chalkStderr as chalk } from 'chalk';
import type { UlLogger } from '../ul/association.ts';
import type { Output } from './output-streams.ts';
import type { ProgressBar } from './progress-bar.ts';
import type { LogLevel } from './program.ts';

const RANK: Record<LogLevel, number> = { fatal: 0, error: 0, warn: 1, info: 2, verbose: 3, debug: 4, trace: 4 };

export interface Console {
  level: LogLevel;
  at(level: LogLevel): boolean;
  /** A line on stderr whatever the level (errors, the summary of a failed run). */
  line(text: string): void;
  /** At info level: progress and the summary. */
  say(text: string): void;
  warn(text: string): void;
  logger: UlLogger;
  /** One JSON document or event, one line, on stdout. */
  json(value: unknown): void;
  /** The live bar, while one is drawn: any other line stops it first. */
  bar: ProgressBar | undefined;
  stdout: Output;
  stderr: Output;
}

export function makeConsole(level: LogLevel, stdout: Output, stderr: Output): Console {
  const c: Console = {
    level,
    at: (l) => RANK[level] >= RANK[l],
    line: (text) => {
      c.bar?.stop();
      stderr.write(`${text}\n`);
    },
    say: (text) => { if (c.at('info')) c.line(text); },
    warn: (text) => { if (c.at('warn')) c.line(`${chalk.yellow('warning:')} ${text}`); },
    logger: {
      verbose: RANK[level] >= RANK.verbose ? (m) => c.line(chalk.dim(m)) : undefined,
      debug: RANK[level] >= RANK.debug ? (m) => c.line(chalk.dim(m)) : undefined,
    },
    json: (value) => stdout.write(`${JSON.stringify(value)}\n`),
    bar: undefined,
    stdout,
    stderr,
  };
  // A terminal that went away takes the bar with it.
  stderr.onLost(() => {
    c.bar?.stop();
    c.bar = undefined;
  });
  return c;
}
