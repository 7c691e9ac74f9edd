// docs/api/ (the API reference, committed so that it reads on GitHub) is what `npm run docs`
// makes from the current declarations: a change to the public API that did not regenerate it
// fails here. scripts/docs.mjs also fails when the API uses a type that src/index.ts does not export.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../support/fixtures.ts';
import { tempDir } from '../support/cli.ts';
import { ensureBuilt, NODE } from '../support/fake-scp-run.ts';

test('docs/api/ is current: npm run docs would change nothing', () => {
  ensureBuilt();
  const out = tempDir('dcmget-api-docs-');
  try {
    execFileSync(NODE, [path.join(ROOT, 'scripts', 'docs.mjs'), out], { cwd: ROOT, stdio: 'pipe' });
    const committed = path.join(ROOT, 'docs', 'api');
    const made = fs.readdirSync(out).sort();
    assert.deepEqual(fs.readdirSync(committed).sort(), made, 'the same pages (run npm run docs and commit docs/api/)');
    for (const page of made) {
      assert.equal(fs.readFileSync(path.join(committed, page), 'utf8'), fs.readFileSync(path.join(out, page), 'utf8'), `docs/api/${page} is out of date: run npm run docs`);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
