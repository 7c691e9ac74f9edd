// Process entry: run main(), exit with its code, never print a stack trace unless --debug.
import { main } from './main.ts';

// `dcmget --help | head -1`: a reader that goes away is no error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const debug = process.argv.includes('-d') || process.argv.includes('--debug');
    process.stderr.write(`dcmget: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  },
);
