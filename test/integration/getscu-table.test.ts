// docs/getscu.md, row by row: every getscu option in every spelling, before and after peer and
// port, does what the row says (same, accepted or mapped: runs, and -v names what dcmget made of
// it; refused: exit 2 with one line naming it), shows what the row says, and, where the row says
// Orthanc, retrieves a study from a real Orthanc.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { makePki, type TestPki } from '../support/certificates.ts';
import { INSTANCES, listFiles } from '../support/fixtures.ts';
import { ROOT } from '../support/fixtures.ts';
import { runDcmget, tempDir } from '../support/cli.ts';

interface Row { spellings: string[]; outcome: string; try: string; see: string; orthanc: boolean }

function rows(): Row[] {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'getscu.md'), 'utf8');
  return [...doc.matchAll(/^\| (`[^|]+`) \| (same|accepted|mapped|refused) \| .*? \| `([^`]+)` \| (?:`([^`]*)`)? \| ([^|]+) \|$/gm)].map((m) => ({
    spellings: [...m[1]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!),
    outcome: m[2]!,
    try: m[3]!,
    see: m[4] ?? '',
    orthanc: m[5]!.includes('Orthanc'),
  }));
}

const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
let orthanc: OrthancServer;
let pki: TestPki;
let files: Record<string, string>;
const s3 = INSTANCES.filter((i) => i.file.includes('-s3-'));

before(async () => {
  pki = makePki(out());
  const cadir = out();
  fs.copyFileSync(pki.ca, path.join(cadir, 'ca.pem'));
  const crl = path.join(out(), 'crl.pem');
  fs.writeFileSync(crl, '-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n');
  files = { key: pki.clientKey, cert: pki.clientCert, ca: pki.ca, cadir, crl, dir: out() };
  orthanc = await startOrthanc();
  await orthanc.upload(s3.map((i) => i.path));
});
after(async () => {
  await orthanc?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** The row's words with `spelling` first, its {placeholders} filled. */
function words(row: Row, spelling: string): string[] {
  const [, ...rest] = row.try.split(' ');
  return [spelling, ...rest].map((w) => w.replace(/\{(\w+)\}/g, (_, k: string) => files[k]!));
}

/** Runs the row's words in a dry run; returns what it printed. */
async function check(row: Row, spelling: string, position: 'before' | 'after'): Promise<string> {
  const base = ['-aec', 'X', '127.0.0.1', '104', '--study', '1.2.3', '--dry-run', '-v'];
  const args = position === 'before' ? [...words(row, spelling), ...base] : [...base, ...words(row, spelling)];
  const r = await runDcmget(args);
  const where = `dcmget ${args.join(' ')}\n${r.stderr}`;
  assert.doesNotMatch(r.stderr, /^\s+at /m, where);
  if (row.outcome === 'refused') {
    assert.equal(r.code, 2, where);
    assert.equal(r.stderr.trim().split('\n').length, 1, where);
    assert.ok(r.stderr.includes(spelling) && /is not supported: .+/.test(r.stderr), where);
    return r.stderr;
  }
  assert.equal(r.code, 0, where);
  // What the row shows comes from this dry run, or (rows checked on Orthanc) from the retrieve.
  if (row.see && !row.orthanc) assert.ok(`${r.stdout}${r.stderr}`.includes(row.see), `"${row.see}" in the output of ${where}\n${r.stdout.slice(0, 2000)}`);
  const exclusive = ['-h', '--help', '--version', '+cc', '--list-ciphers', '+ph', '--list-profiles'].includes(spelling);
  if ((row.outcome === 'mapped' || row.outcome === 'accepted') && !exclusive) assert.ok(r.stderr.includes(`getscu ${spelling}: `), `-v names what dcmget made of it: ${where}`);
  return `${r.stdout}${r.stderr}`;
}

/** The row's words in a retrieve of study s3 from Orthanc; returns what it printed. */
async function retrieveWith(row: Row, spelling: string): Promise<string> {
  const od = out();
  const own = spelling === '-od' || spelling === '--output-directory';
  const args = [...words(row, spelling), '-S', '-aec', orthanc.aet, 'localhost', String(orthanc.dicomPort), '--study', s3[0]!.studyInstanceUID, ...(own ? [] : ['-od', od])];
  const r = await runDcmget(args);
  assert.equal(r.code, 0, `dcmget ${args.join(' ')}\n${r.stderr}`);
  const landed = listFiles(own ? files.dir! : od);
  assert.equal(landed.length, spelling === '--ignore' ? 0 : s3.length, r.stderr);
  for (const f of own ? landed : []) fs.rmSync(f);
  return `${r.stdout}${r.stderr}`;
}

describe('docs/getscu.md: every row, every spelling, before and after peer and port; Orthanc where it says so', () => {
  const all = rows();
  test('the table has every option', () => assert.equal(all.length, 86));
  for (const row of all) {
    test(`${row.spellings.join(', ')}: ${row.outcome}${row.orthanc ? ', and against Orthanc' : ''}`, async () => {
      let printed = '';
      for (const [i, spelling] of row.spellings.entries()) {
        // Each spelling in one position, and each row in both.
        printed += await check(row, spelling, i % 2 === 0 ? 'before' : 'after');
        if (row.spellings.length === 1) printed += await check(row, spelling, 'after');
        if (row.orthanc) printed += await retrieveWith(row, spelling);
      }
      if (row.see) assert.ok(printed.includes(row.see), `"${row.see}" in what ${row.spellings.join(', ')} printed`);
    });
  }
});
