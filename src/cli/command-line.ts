// From argv to flags: getscu's spellings rewritten (getscu-flags.ts), then commander. A usage
// error here is one line on stderr, and, with --json or --ndjson anywhere on the command line, the
// error event on stdout (README "Machine-readable output"), as for every other usage error.
import { Command, CommanderError } from 'commander';
import { UsageError } from '../dicom/usage-error.ts';
import { EXIT } from './exit-codes.ts';
import { translateGetscu, type Translation } from './getscu-flags.ts';
import type { Output } from './output-streams.ts';
import { buildProgram, optionTakesValue, type Flags } from './program.ts';
import { tlsListing } from './security-flags.ts';

export interface CommandLine {
  program: Command;
  flags: Flags;
  /** peer, port and query files (or a named peer and query files). */
  args: string[];
  translation: Translation;
}

/** The `--json`/`--ndjson` error event: `{"event": "error", "exitCode", "error": {"type", "message"}}`. */
export function errorEvent(exitCode: number, err: unknown): Record<string, unknown> {
  return { event: 'error', exitCode, error: { type: (err as Error)?.name ?? 'Error', code: errorCode(err), message: (err as Error)?.message ?? String(err) } };
}

/** Whether the command line asks for JSON on stdout, read from the words themselves (the parse may have failed). */
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--json' || a === '--ndjson');
}

const REPEATABLE = ['key', 'patientId', 'study', 'series', 'instance', 'storageClass', 'transferSyntax', 'tlsCa'] as const;

export function parseCommandLine(argv: string[], out: { stdout: Output; stderr: Output }): { cmd: CommandLine } | { code: number } {
  const program = buildProgram();
  try {
    const translation = translateGetscu(argv, optionTakesValue(program));
    if (translation.settings.print) {
      out.stdout.write(tlsListing(translation.settings.print));
      return { code: EXIT.SUCCESS };
    }
    program.parse(translation.argv, { from: 'user' });
    const flags = program.opts<Flags>();
    // Repeatable options have no default in commander's help; an absent one is an empty list.
    for (const k of REPEATABLE) flags[k] ??= [];
    return { cmd: { program, flags, args: program.args, translation } };
  } catch (err) {
    if (err instanceof CommanderError && ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return { code: EXIT.SUCCESS };
    if (!(err instanceof CommanderError) && !(err instanceof UsageError)) throw err;
    const message = err instanceof CommanderError ? `${err.message.replace(/^error: /, '')} (see dcmget --help)` : err.message;
    out.stderr.write(`dcmget: ${message}\n`);
    if (wantsJson(argv)) out.stdout.write(`${JSON.stringify(errorEvent(EXIT.USAGE, new UsageError(message)))}\n`);
    return { code: EXIT.USAGE };
  }
}

/** The stable `code` of dcmget's errors (ERR_DCMGET_…), Node's (ENOENT…) or commander's; null for others. */
export function errorCode(err: unknown): string | null {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : null;
}
