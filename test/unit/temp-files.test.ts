// TempFiles: temporary files created ahead of need, and none left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as immediate } from 'node:timers/promises';
import { TempFiles } from '../../src/retrieve/temp-files.ts';

const parts = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.part')).sort();

/** Until the thread pool has created what was asked (or the time is up). */
async function settle(dir: string, count: number): Promise<void> {
  for (let i = 0; i < 500 && parts(dir).length < count; i++) await new Promise((r) => setTimeout(r, 2));
  await immediate();
}

test('the first take creates a file at once; the next ones come from files made in advance', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-temp-'));
  try {
    const temp = new TempFiles(dir, 2);
    assert.deepEqual(parts(dir), [], 'nothing is created before the first take');
    const first = temp.take();
    assert.ok(fs.existsSync(first.path), 'the first file exists when take() returns');
    assert.match(path.basename(first.path), /^\.dcmget-\d+-\d+\.part$/);
    assert.equal(parts(dir).length, 1, 'the files in advance wait for the next turn (after the answer)');
    await immediate();
    await settle(dir, 3);
    assert.equal(parts(dir).length, 3, 'the taken file and two made in advance');
    const second = temp.take();
    assert.notEqual(second.path, first.path);
    assert.equal(fs.fstatSync(second.fd).size, 0, 'a file made in advance is empty and open for writing');
    fs.writeSync(second.fd, Buffer.from('x'));
    for (const f of [first, second]) {
      fs.closeSync(f.fd);
      fs.rmSync(f.path);
    }
    await settle(dir, 2);
    temp.dispose();
    assert.deepEqual(parts(dir), [], 'dispose removes the files made in advance and not taken');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('disposed before the refill runs: nothing is created after', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-temp-'));
  try {
    const temp = new TempFiles(dir, 4);
    const first = temp.take();
    fs.closeSync(first.fd);
    fs.rmSync(first.path);
    temp.dispose(); // the refill is queued, not run
    await immediate();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(parts(dir), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a folder where nothing can be created: take() throws as open(2) does', () => {
  const temp = new TempFiles(path.join(os.tmpdir(), 'dcmget-no-such-folder', 'x'));
  assert.throws(() => temp.take(), { code: 'ENOENT' });
  temp.dispose();
});
