// The README stays true: every option that `dcmget --help` prints is documented there, and the
// exit-code table matches the one the program prints.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/fixtures.ts';
import { runDcmget } from '../support/cli.ts';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test('every option of --help is in the README', async () => {
  const help = (await runDcmget(['--help'])).stdout;
  const options = [...help.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!);
  assert.ok(options.length > 40, `${options.length} options found in --help`);
  const missing = options.filter((o) => !new RegExp(`(?<![a-z-])${o}(?![a-z-])`).test(readme));
  assert.deepEqual(missing, []);
});

test('the README\'s exit-code table is the program\'s', async () => {
  const help = (await runDcmget(['--help'])).stdout;
  const codes = [...help.split('Exit codes:')[1]!.matchAll(/^\s+(\d+)\s+(.+)$/gm)].map((m) => [m[1]!, m[2]!.split(':')[0]!.split(' (')[0]!]);
  assert.equal(codes.length, 10);
  for (const [code, words] of codes) {
    assert.match(readme, new RegExp(`\\| ${code} \\| ${words!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `exit ${code} in the README table`);
  }
});

test('an ACSE timeout: a peer that accepts TCP and never answers the A-ASSOCIATE-RQ → 8 within -ta', async () => {
  const silent = net.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    const t0 = Date.now();
    const r = await runDcmget(['--echo', '-ta', '1', '-aec', 'X', '127.0.0.1', String(port)], { timeoutMs: 20_000 });
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /no answer to A-ASSOCIATE-RQ within 1000 ms \(ACSE timeout\)/);
    assert.ok(Date.now() - t0 < 15_000);
  } finally {
    silent.close();
  }
});
