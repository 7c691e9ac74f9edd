// TempFiles: temporary files created ahead of need, and none left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TempFiles } from '../../src/output/temp-files.ts';

const parts = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.part')).sort();

test('the first take creates a file at once; refill makes the next ones in advance', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-temp-'));
  try {
    const temp = new TempFiles(dir, 2);
    temp.refill();
    assert.deepEqual(parts(dir), [], 'nothing is made in advance before the first take');
    const first = temp.take();
    assert.ok(fs.existsSync(first.path), 'the first file exists when take() returns');
    assert.match(path.basename(first.path), /^\.dcmget-\d+-\d+\.part$/);
    assert.equal(parts(dir).length, 1, 'take() makes nothing in advance: that waits for refill (after the answer)');
    temp.refill();
    assert.equal(parts(dir).length, 3, 'the taken file and two made in advance');
    temp.refill();
    assert.equal(parts(dir).length, 3, 'a refill with enough made in advance makes nothing');
    const second = temp.take();
    assert.notEqual(second.path, first.path);
    assert.equal(fs.fstatSync(second.fd).size, 0, 'a file made in advance is empty and open for writing');
    fs.writeSync(second.fd, Buffer.from('x'));
    for (const f of [first, second]) {
      fs.closeSync(f.fd);
      fs.rmSync(f.path);
    }
    assert.equal(parts(dir).length, 1, 'one made in advance is left');
    temp.dispose();
    assert.deepEqual(parts(dir), [], 'dispose removes the files made in advance and not taken');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('disposed: a refill creates nothing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-temp-'));
  try {
    const temp = new TempFiles(dir, 4);
    const first = temp.take();
    fs.closeSync(first.fd);
    fs.rmSync(first.path);
    temp.dispose();
    temp.refill();
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
