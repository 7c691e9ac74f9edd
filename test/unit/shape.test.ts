// The shape the project holds its code to (ARCHITECTURE.md): no function in src/ over ~80 lines,
// and arrows that point down only:
// cli → retrieve → dimse → ul, with dicom and output beside them (output knows no association).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { depths, functions, SRC } from '../support/source-shape.ts';

const MAX_LINES = 80;

function sources(): string[] {
  return fs.readdirSync(SRC, { recursive: true }).map(String).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort();
}

test(`no function in src/ is over ${MAX_LINES} lines`, () => {
  const long = sources().flatMap((f) => functions(f).filter((fn) => fn.lines > MAX_LINES).map((fn) => `${f}: ${fn.name} (${fn.lines} lines)`));
  assert.deepEqual(long, []);
});

test('the scanner finds functions and measures them (a shape test that sees nothing would pass for nothing)', () => {
  const found = functions('retrieve/retrieve.ts').map((f) => f.name);
  for (const name of ['retrieve', 'finish', 'runAll', 'runner', 'echo']) assert.ok(found.includes(name), `${name} not found in ${found.join(', ')}`);
  // Braces in strings, template text, comments and regular expressions do not count; those of \${…} do.
  const text = ['function f() {', "  const a = '{' + `x${'}'}{` + /\\{[^}]/.source; // }", '  /* { */ if (a) {', '    return `${`${a}`}`;', '  }', '}', ''].join('\n');
  assert.deepEqual(depths(text), [1, 1, 2, 2, 1, 0, 0]);
});

/** Which folders each folder may import from (ARCHITECTURE.md "Layers"). */
const MAY_IMPORT: Record<string, string[]> = {
  ul: ['ul'],
  dimse: ['dimse', 'ul', 'dicom'],
  dicom: ['dicom', 'ul'],
  output: ['output', 'dicom'],
  retrieve: ['retrieve', 'dimse', 'ul', 'dicom', 'output'],
  cli: ['cli', 'retrieve', 'dimse', 'ul', 'dicom', 'output'],
};

test('arrows point down only: no folder imports from a layer above it', () => {
  const wrong: string[] = [];
  for (const f of sources()) {
    const folder = f.split(path.sep)[0]!;
    if (!MAY_IMPORT[folder]) continue;
    for (const m of fs.readFileSync(path.join(SRC, f), 'utf8').matchAll(/^import[^'"]*['"](\.\.\/(\w+)\/[^'"]+)['"]/gm)) {
      if (!MAY_IMPORT[folder]!.includes(m[2]!)) wrong.push(`${f} imports ${m[1]}`);
    }
  }
  assert.deepEqual(wrong, []);
});
