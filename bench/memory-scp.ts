// The fake SCP of test/support/ in a process of its own, serving `studies` x `perStudy` tiny
// synthetic instances (one 8 x 8 frame, ~0.5 kB each), so that bench/memory.ts measures dcmget's
// memory and not the server's. Prints {"port": N} on its first line; ends when stdin closes.
// Usage: node bench/memory-scp.ts <studies> <perStudy>
import { startFakeScp } from '../test/support/fake-scp.ts';
import { syntheticInstance } from '../test/support/synthetic.ts';

export const STUDY_ROOT = '1.2.826.0.1.3680043.10.1338.99.5';

const studies = Number(process.argv[2] ?? 1);
const perStudy = Number(process.argv[3] ?? 20_000);
const instances = [];
for (let s = 1; s <= studies; s++) {
  for (let i = 1; i <= perStudy; i++) {
    instances.push(syntheticInstance({
      sopInstanceUid: `${STUDY_ROOT}.${s}.1.${i}`, studyInstanceUid: `${STUDY_ROOT}.${s}`, seriesInstanceUid: `${STUDY_ROOT}.${s}.1`,
      rows: 8, columns: 8, frames: 1,
    }));
  }
}
const scp = await startFakeScp({ instances });
process.stdout.write(`${JSON.stringify({ port: scp.port, aeTitle: scp.aeTitle })}\n`);
// The fake keeps a record of every event; a 20,000-instance run needs none of it.
setInterval(() => scp.events.splice(0), 1000).unref();
process.stdin.resume();
process.stdin.on('end', () => void scp.stop().then(() => process.exit(0)));
