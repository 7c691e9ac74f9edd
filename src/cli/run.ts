// Process entry: run main(), exit with its code, never print a stack trace unless --debug.
import { main } from './main.ts';
import { processOutputs } from './output-streams.ts';

// Before anything is written: a closed or failing stdout or stderr is handled (output-streams.ts),
// never thrown. `dcmget --help | head -1` and `dcmget … --ndjson | head -1` end as main() decides.
const { stderr } = processOutputs();

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const debug = process.argv.includes('-d') || process.argv.includes('--debug');
    stderr.write(`dcmget: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    if (debug && err instanceof Error) stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
