// TempFiles: temporary files created ahead of need, names that no other run can hold, none left
// behind; removeStaleTempFiles: what killed runs left, removed after a day.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeStaleTempFiles, STALE_AGE_MS, TempFiles } from '../../src/output/temp-files.ts';

const parts = (dir: string): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.part')).sort();

/** A test given a fresh folder of its own, removed after it. */
function testInDir(name: string, fn: (dir: string) => void): void {
  test(name, () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-temp-'));
    try {
      fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

testInDir('the first take creates a file at once; refill makes the next ones in advance', (dir) => {
  const temp = new TempFiles(dir, 2);
  temp.refill();
  assert.deepEqual(parts(dir), [], 'nothing is made in advance before the first take');
  const first = temp.take();
  assert.ok(fs.existsSync(first.path), 'the first file exists when take() returns');
  assert.match(path.basename(first.path), /^\.dcmget-[0-9a-f]{16}-\d+\.part$/);
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
});

testInDir('disposed: a refill creates nothing', (dir) => {
  const temp = new TempFiles(dir, 4);
  const first = temp.take();
  fs.closeSync(first.fd);
  fs.rmSync(first.path);
  temp.dispose();
  temp.refill();
  assert.deepEqual(parts(dir), []);
});

test('a folder where nothing can be created: take() throws as open(2) does', () => {
  const temp = new TempFiles(path.join(os.tmpdir(), 'dcmget-no-such-folder', 'x'));
  assert.throws(() => temp.take(), { code: 'ENOENT' });
  temp.dispose();
});

testInDir('names hold a random part: two runs in one folder (or one PID reused) never draw the same', (dir) => {
  const random = (p: string) => /^\.dcmget-([0-9a-f]{16})-/.exec(path.basename(p))![1];
  const a = new TempFiles(dir);
  const b = new TempFiles(dir);
  const fa = a.take();
  const fb = b.take();
  assert.notEqual(random(fa.path), random(fb.path));
  for (const f of [fa, fb]) fs.closeSync(f.fd);
  a.dispose();
  b.dispose();
});

testInDir('a name found taken (a file another run left) draws a new random part instead of failing', (dir) => {
  const temp = new TempFiles(dir);
  const first = temp.take();
  fs.closeSync(first.fd);
  const [, random, n] = /^\.dcmget-([0-9a-f]{16})-(\d+)\.part$/.exec(path.basename(first.path))!;
  // The next name this TempFiles would take, already there (and not to be touched).
  const squatter = path.join(dir, `.dcmget-${random}-${Number(n) + 1}.part`);
  fs.writeFileSync(squatter, 'left by another run');
  const second = temp.take();
  fs.closeSync(second.fd);
  assert.notEqual(second.path, squatter);
  assert.doesNotMatch(path.basename(second.path), new RegExp(`^\\.dcmget-${random}-`), 'a new random part after EEXIST');
  assert.equal(fs.readFileSync(squatter, 'utf8'), 'left by another run');
  temp.dispose();
});

testInDir('removeStaleTempFiles removes only .dcmget-*.part files older than the bound, in that folder only', (dir) => {
  const old = (Date.now() - STALE_AGE_MS - 60_000) / 1000;
  const make = (name: string, mtime?: number) => {
    const p = path.join(dir, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, 'x');
    if (mtime !== undefined) fs.utimesSync(p, mtime, mtime);
    return p;
  };
  const stale = [make('.dcmget-1-1.part', old), make('.dcmget-0123456789abcdef-7.part', old)];
  const kept = [
    make('.dcmget-1-2.part'), // fresh: maybe a live run's
    make('1.2.3.dcm', old), make('.dcmget-1-3.dcm', old), make('dcmget-1-4.part', old), make('sub/.dcmget-1-5.part', old),
  ];
  fs.symlinkSync(stale[0]!, path.join(dir, '.dcmget-link.part'));
  fs.mkdirSync(path.join(dir, '.dcmget-folder.part'));
  fs.utimesSync(path.join(dir, '.dcmget-folder.part'), old, old);
  assert.deepEqual(removeStaleTempFiles(dir).sort(), stale.sort());
  for (const p of stale) assert.equal(fs.existsSync(p), false, p);
  for (const p of kept) assert.equal(fs.existsSync(p), true, p);
  assert.ok(fs.lstatSync(path.join(dir, '.dcmget-link.part')).isSymbolicLink(), 'a link is never followed nor removed');
  assert.ok(fs.statSync(path.join(dir, '.dcmget-folder.part')).isDirectory());
  // A file's mtime has sub-millisecond precision and Date.now() has not: one written within the
  // current millisecond would look younger than 0 ms. A second ago, it is past any doubt.
  const second = (Date.now() - 1000) / 1000;
  fs.utimesSync(path.join(dir, '.dcmget-1-2.part'), second, second);
  assert.deepEqual(removeStaleTempFiles(dir, 0).sort(), [path.join(dir, '.dcmget-1-2.part')], 'a bound of 0 takes every file');
  assert.deepEqual(removeStaleTempFiles(path.join(dir, 'no-such-folder')), []);
});
