// Process entry: parse the command line, run what it asks for, exit with its code, never print a
// stack trace unless --debug.
//
// Two steps, two modules: this one and what the parse needs (commander, the flags, getscu's
// spellings) answer --help, --version and usage errors alone; main.ts and the retrieve engine
// under it (~70 % of the code: the Upper Layer, DIMSE, the DICOM tables) load only for a run.
// `dcmget --version` took ~14 ms less that way (bench/README.md, "Phase 4").
import { parseCommandLine } from './command-line.ts';
import { processOutputs } from './output-streams.ts';

// Read by bin/dcmget.js at exit (code-cache-hint.ts).
export { codeCacheHint } from './code-cache-hint.ts';

// Before anything is written: a closed or failing stdout or stderr is handled (output-streams.ts),
// never thrown. `dcmget --help | head -1` and `dcmget … --ndjson | head -1` end as main() decides.
const outputs = processOutputs();

start(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const debug = process.argv.includes('-d') || process.argv.includes('--debug');
    outputs.stderr.write(`dcmget: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    if (debug && err instanceof Error && err.stack) outputs.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);

async function start(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, outputs);
  if ('code' in parsed) return parsed.code;
  const { main } = await import('./main.ts');
  return main(parsed.cmd, outputs);
}
