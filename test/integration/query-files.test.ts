// getscu query files (dump2dcm) of every VR a query can hold, empty or with values, in several
// character sets (PS3.5 6.1, Annex H): dcmget sends the same Identifier as DCMTK getscu, byte for
// byte, in Explicit and in Implicit VR Little Endian. Both retrieve from the fake SCP, which
// records the C-GET-RQ's data set as it arrived (test/support/fake-scp.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeScp, EXPLICIT_VR_LE, IMPLICIT_VR_LE, type FakeScp } from '../support/fake-scp.ts';
import { runDcmtk, runGetscu } from '../support/dcmtk.ts';
import { runDcmget, tempDir } from '../support/cli.ts';

const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

const ESC = '\x1b';
const HEAD = '(0008,0052) CS [STUDY]\n(0020,000d) UI [1.2.3]\n';
/** Each case: dump2dcm lines (bytes as latin1 text: a character a byte) and what dcmget shows of it. */
const CASES: { name: string; dump: string; shows?: RegExp }[] = [
  { name: 'PN empty (the crash of issue 13)', dump: '(0010,0010) PN []\n' },
  { name: 'PN, ASCII, three component groups', dump: '(0010,0010) PN [Doe^John^^Dr.]\n' },
  { name: 'PN in ISO_IR 100 (Latin-1)', dump: '(0008,0005) CS [ISO_IR 100]\n(0010,0010) PN [M\xfcller^J\xfcrgen]\n', shows: /"Alphabetic": "Müller\^Jürgen"/ },
  { name: 'PN in ISO_IR 192 (UTF-8)', dump: `(0008,0005) CS [ISO_IR 192]\n(0010,0010) PN [${Buffer.from('Müller^Chärlie', 'utf8').toString('latin1')}]\n`, shows: /"Alphabetic": "Müller\^Chärlie"/ },
  {
    name: 'PN in ISO 2022 IR 87 (Japanese, PS3.5 H.3.1)',
    dump: `(0008,0005) CS [\\ISO 2022 IR 87]\n(0010,0010) PN [Yamada^Tarou=${ESC}$B;3ED${ESC}(B^${ESC}$BB@O:${ESC}(B=${ESC}$B$d$^$@${ESC}(B^${ESC}$B$?$m$&${ESC}(B]\n`,
    shows: /"Alphabetic": "Yamada\^Tarou",\s+"Ideographic": "山田\^太郎",\s+"Phonetic": "やまだ\^たろう"/,
  },
  {
    name: 'PN in ISO 2022 IR 149 (Korean, PS3.5 H.3.2)',
    dump: `(0008,0005) CS [\\ISO 2022 IR 149]\n(0010,0010) PN [Hong^Gildong=${ESC}$)C\xfb\xf3^${ESC}$)C\xd1\xce\xd4\xd7=${ESC}$)C\xc8\xab^${ESC}$)C\xb1\xe6\xb5\xbf]\n`,
    shows: /"Alphabetic": "Hong\^Gildong",\s+"Ideographic": "洪\^吉洞",\s+"Phonetic": "홍\^길동"/,
  },
  { name: 'DA: empty, a date, a range', dump: '(0008,0020) DA []\n(0008,0021) DA [20240131]\n(0008,0022) DA [20240101-20241231]\n' },
  { name: 'TM: a time with fraction, a range; DT', dump: '(0008,0030) TM [101500.25]\n(0008,0031) TM [0800-1200]\n(0008,002a) DT [20240131101500.000000+0100]\n' },
  { name: 'LO and SH in ISO_IR 100; LO empty', dump: '(0008,0005) CS [ISO_IR 100]\n(0008,1030) LO [Thorax \xe0 l\'\xe9t\xe9]\n(0008,0050) SH [ACC\xc51]\n(0010,0020) LO []\n', shows: /"Thorax à l'été"/ },
  { name: 'CS, several values', dump: '(0008,0061) CS [CT\\MR]\n(0010,0040) CS [O]\n' },
  { name: 'UI: a list of UIDs (odd length, NUL padded)', dump: '(0020,000e) UI [1.2.3.4\\1.2.3.55]\n' },
  { name: 'AE', dump: '(0008,0054) AE [ORTHANC]\n' },
  { name: 'IS and DS as the file spells them', dump: '(0020,0011) IS [ 0012]\n(0010,1030) DS [1.50\\-2e3]\n(0020,1208) IS []\n' },
  { name: 'SQ: an item with a nested sequence; an empty sequence', dump: '(0008,1115) SQ (Sequence with explicit length #=1)\n  (fffe,e000) na (Item with explicit length #=2)\n    (0020,000e) UI [1.2.3.4]\n    (0008,1140) SQ (Sequence with explicit length #=1)\n      (fffe,e000) na (Item with explicit length #=1)\n        (0008,1155) UI [1.2.3.4.5]\n      (fffe,e00d) na (ItemDelimitationItem for re-encoding)\n    (fffe,e0dd) na (SequenceDelimitationItem for re-encoding)\n  (fffe,e00d) na (ItemDelimitationItem for re-encoding)\n(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)\n(0040,0275) SQ (Sequence with explicit length #=0)\n(fffe,e0dd) na (SequenceDelimitationItem for re-encoding)\n' },
];

let scp: FakeScp;
let implicitScp: FakeScp;
before(async () => {
  scp = await startFakeScp({ get: { final: { immediate: true } } });
  // Accepts Implicit VR Little Endian only: what either requestor then sends is implicit.
  implicitScp = await startFakeScp({ get: { final: { immediate: true } }, association: { transferSyntax: (_a, proposed) => (proposed.includes(IMPLICIT_VR_LE) ? IMPLICIT_VR_LE : undefined) } });
});
after(async () => {
  await scp?.stop();
  await implicitScp?.stop();
});

async function queryFile(name: string, dump: string): Promise<string> {
  const dir = out();
  const dumpFile = path.join(dir, `${name}.dump`);
  const file = path.join(dir, `${name}.dcm`);
  fs.writeFileSync(dumpFile, Buffer.from(HEAD + dump, 'latin1'));
  const r = await runDcmtk('dump2dcm', ['--write-xfer-little', dumpFile, file], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return file;
}

/** The Identifier each requestor sent for `file`, as the fake SCP received it. */
async function sent(on: FakeScp, file: string): Promise<{ getscu: string; dcmget: string; ts: string[] }> {
  const before = on.eventsOf('c-get-rq').length;
  const g = await runGetscu(['-S', '-aec', on.aeTitle, on.host, String(on.port), file]);
  assert.equal(g.code, 0, g.stderr);
  const d = await runDcmget(['-S', '--no-plan', '--no-retry', '-aec', on.aeTitle, on.host, String(on.port), file, '-od', out()]);
  assert.equal(d.code, 5, d.stderr); // the fake answers Success with no sub-operation: nothing matched
  const [byGetscu, byDcmget] = on.eventsOf('c-get-rq').slice(before);
  return { getscu: byGetscu!.identifier!.toString('hex'), dcmget: byDcmget!.identifier!.toString('hex'), ts: [byGetscu!.transferSyntax!, byDcmget!.transferSyntax!] };
}

describe('a query file becomes the Identifier getscu sends, byte for byte', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const file = await queryFile(c.name.replace(/\W+/g, '-'), c.dump);
      const explicit = await sent(scp, file);
      assert.deepEqual(explicit.ts, [EXPLICIT_VR_LE, EXPLICIT_VR_LE]);
      assert.equal(explicit.dcmget, explicit.getscu);
      const implicit = await sent(implicitScp, file);
      assert.deepEqual(implicit.ts, [IMPLICIT_VR_LE, IMPLICIT_VR_LE]);
      assert.equal(implicit.dcmget, implicit.getscu);
      if (c.shows) {
        const dry = await runDcmget(['-S', '--dry-run', '-aec', 'X', '127.0.0.1', '104', file]);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stdout, c.shows);
      }
    });
  }

  test('-k overrides a query file element, and the rest of the file stays as it was', async () => {
    const file = await queryFile('override', '(0008,0005) CS [ISO_IR 100]\n(0010,0010) PN [M\xfcller]\n(0010,0020) LO [OLD]\n');
    const before = scp.eventsOf('c-get-rq').length;
    assert.equal((await runGetscu(['-S', '-aec', scp.aeTitle, scp.host, String(scp.port), '-k', '0010,0020=NEW', file])).code, 0);
    assert.equal((await runDcmget(['-S', '--no-plan', '-aec', scp.aeTitle, scp.host, String(scp.port), '-k', '0010,0020=NEW', file, '-od', out()])).code, 5);
    const [g, d] = scp.eventsOf('c-get-rq').slice(before);
    assert.equal(d!.identifier!.toString('hex'), g!.identifier!.toString('hex'));
    assert.ok(d!.identifier!.includes(Buffer.from('M\xfcller', 'latin1')));
  });
});
