// The library as a program uses it, for bench/memory.ts: the built package (dist/index.js) retrieves
// a list of studies into a folder with startRetrieve() and a 'stored' listener that only counts,
// then prints what it got and its own peak RSS. Run with --expose-gc, it also takes the live heap
// after a full collection every 2,000 instances: what the retrieve really holds as it grows. With an
// older checkout (--repo) that has no startRetrieve, retrieve() with onEvent is used, as it offered.
// Plain JavaScript: a .ts file would load Node's type stripper, 10 MB that no user pays.
// Usage: node [--expose-gc] bench/memory-library.mjs <dist/index.js> <host> <port> <aet> <uids file> <out dir>
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const [entry, host, port, aet, uidsFile, outputDirectory] = process.argv.slice(2);
const lib = await import(pathToFileURL(entry).href);
const identifiers = fs.readFileSync(uidsFile, 'utf8').split('\n').filter(Boolean)
  .map((uid) => lib.buildIdentifier([lib.key('QueryRetrieveLevel', 'STUDY'), lib.key('StudyInstanceUID', uid)]));
const options = { host, port: Number(port), calledAeTitle: aet, model: 'study', identifiers, outputDirectory };
const heapMB = () => {
  globalThis.gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
let stored = 0;
const heap = [];
const onStored = () => {
  if (++stored % 2000 === 0 && globalThis.gc) heap.push([stored, heapMB()]);
};
let result;
if (lib.startRetrieve) {
  const job = lib.startRetrieve(options);
  job.on('stored', onStored);
  result = await job.result;
} else {
  result = await lib.retrieve({ ...options, onEvent: (e) => { if (e.type === 'stored') onStored(); } });
}
const after = globalThis.gc ? heapMB() : undefined;
process.stdout.write(`${JSON.stringify({ stored, complete: result.complete, error: result.error?.message, maxRssKB: process.resourceUsage().maxRSS, heap, heapAfterMB: after })}\n`);
