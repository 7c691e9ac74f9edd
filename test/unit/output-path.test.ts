// ARCHITECTURE.md: nothing from the network becomes a path unchecked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';

import { instanceFileName, isValidUid, resolveInside, safeComponent } from '../../src/output/output-path.ts';

const HOSTILE = [
  '../../etc/passwd', '/abs', '/etc/passwd', 'a/b', '..', '.', '', ' ', '...', '.hidden', '..\\..\\win', 'a\\b',
  'C:\\Windows\\System32', 'C:', 'a:b', 'a*b', 'a?b', 'a"b', 'a<b>c', 'a|b', 'nul\0byte', '\0', 'tab\there', 'new\nline',
  'del\x7f', 'x'.repeat(200), 'y'.repeat(129), 'z'.repeat(128), 'é'.repeat(200), '😀'.repeat(100), '1.2.3/../../x',
  '1.2.3\\..\\x', '  spaced  ', '1.2.03', '1..2', '1.2.', 'unnamed', '__', '_', '__~' + digestOf('..'),
];

function digestOf(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, 12);
}

describe('isValidUid (PS3.5 9.1)', () => {
  it('accepts digits and dots with no leading zeros, up to 64 characters', () => {
    for (const uid of ['0', '1.2', '1.2.840.10008.1.2.1', '1.0.2', '2.25.145402107904096838710751895712184664065', '1.' + '2'.repeat(62)]) {
      assert.equal(isValidUid(uid), true, uid);
    }
  });

  it('refuses everything else', () => {
    for (const uid of ['', '.', '1.', '.1', '1..2', '1.02', '01.2', '1.2a', '1.2 ', ' 1.2', '1/2', '../1', '1.' + '2'.repeat(63), '1.2\0']) {
      assert.equal(isValidUid(uid), false, JSON.stringify(uid));
    }
  });
});

describe('safeComponent', () => {
  it('passes ordinary values through unchanged', () => {
    for (const v of ['1.2.3', 'CT', 'Study_1', 'a b']) assert.equal(safeComponent(v), v);
  });

  for (const value of HOSTILE) {
    it(`is a safe single file name for ${JSON.stringify(value.length > 40 ? value.slice(0, 20) + '…' : value)}`, () => {
      const s = safeComponent(value);
      assert.ok(s.length > 0, 'never empty');
      assert.notEqual(s, '.');
      assert.notEqual(s, '..');
      assert.doesNotMatch(s, /[/\\:*?"<>|\0-\x1f\x7f]/, 'no separator, Windows reserved character or control character');
      assert.ok(!s.startsWith('.'), 'no hidden or dot name');
      assert.ok(Buffer.byteLength(s) <= 128, `at most 128 bytes, got ${Buffer.byteLength(s)}`);
      assert.equal(path.basename(s), s);
      assert.equal(path.win32.basename(s), s);
    });
  }

  it('two different hostile values never give the same name', () => {
    const seen = new Map<string, string>();
    for (const value of HOSTILE) {
      const s = safeComponent(value);
      const before = seen.get(s);
      assert.ok(before === undefined, `${JSON.stringify(value)} and ${JSON.stringify(before)} both become ${JSON.stringify(s)}`);
      seen.set(s, value);
    }
  });

  it('the empty value and the literal value "unnamed" differ', () => {
    assert.notEqual(safeComponent(''), safeComponent('unnamed'));
  });

  it('a value crafted to look like a sanitised name does not take the name of the value it mimics', () => {
    // '..' is sanitised to '__~' + its digest; a peer can send that string itself as a UID.
    const mimic = '__~' + digestOf('..');
    assert.notEqual(safeComponent(mimic), safeComponent('..'));
    const long = 'x'.repeat(200);
    assert.notEqual(safeComponent('x'.repeat(100) + '~' + digestOf(long)), safeComponent(long));
  });

  it('values that differ only beyond the kept prefix still differ', () => {
    assert.notEqual(safeComponent('a'.repeat(300) + '1'), safeComponent('a'.repeat(300) + '2'));
    assert.notEqual(safeComponent('a/b'), safeComponent('a\\b'));
    assert.notEqual(safeComponent('a/b'), safeComponent('a_b'));
  });
});

describe('instanceFileName', () => {
  it('uses a valid UID as it is', () => {
    assert.deepEqual(instanceFileName('1.2.840.113619.2.55.3'), { name: '1.2.840.113619.2.55.3.dcm', sanitised: false });
  });

  it('sanitises anything else, and never lets two UIDs share a file', () => {
    const names = new Map<string, string>();
    for (const uid of [...HOSTILE, '1.2.3']) {
      const { name, sanitised } = instanceFileName(uid);
      assert.equal(sanitised, !isValidUid(uid));
      assert.ok(name.endsWith('.dcm'));
      assert.equal(path.basename(name), name);
      assert.ok(name !== '.dcm' && !name.startsWith('.'), name);
      assert.ok(Buffer.byteLength(name) <= 255, 'fits NAME_MAX');
      const before = names.get(name);
      assert.ok(before === undefined, `${JSON.stringify(uid)} and ${JSON.stringify(before)} both become ${name}`);
      names.set(name, uid);
    }
  });
});

describe('resolveInside', () => {
  const root = path.resolve('/tmp/dcmget-out');

  it('joins a plain name inside the root', () => {
    assert.equal(resolveInside(root, 'x.dcm'), path.join(root, 'x.dcm'));
    assert.equal(resolveInside(root, 'sub/x.dcm'), path.join(root, 'sub', 'x.dcm'));
    assert.equal(resolveInside('/tmp/dcmget-out/../dcmget-out', 'x.dcm'), path.join(root, 'x.dcm'));
  });

  it('refuses escapes and the root itself', () => {
    for (const rel of ['..', '../x.dcm', '../../etc/passwd', 'a/../../x', '/etc/passwd', '/tmp/dcmget-out-evil/x', '', '.', 'a/..']) {
      assert.throws(() => resolveInside(root, rel), /outside the output folder/, JSON.stringify(rel));
    }
  });

  it('every sanitised hostile name resolves to a file directly in the root', () => {
    for (const value of HOSTILE) {
      const full = resolveInside(root, instanceFileName(value).name);
      assert.equal(path.dirname(full), root, JSON.stringify(value));
    }
  });
});
