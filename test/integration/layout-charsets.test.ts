// --layout placeholders decoded in each instance's Specific Character Set (PS3.5 6.1, including
// ISO 2022 code extensions), and a placeholder whose attribute lies beyond the 64 KiB head that is
// kept in memory (a 90 KB private element before PatientName), against a real Orthanc.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { listFiles } from '../support/fixtures.ts';
import { runDcmget, tempDir } from '../support/cli.ts';
import { encodeFileMetaInformation } from '../../src/dicom/part10.ts';
import { explicitElement } from '../support/bytes.ts';

const ESC = '\x1b';
const SC = '1.2.840.10008.5.1.4.1.1.7';
const ROOT = '1.2.826.0.1.3680043.10.1338.81';
const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
let orthanc: OrthancServer;

const CASES: { n: number; charset?: string; name?: Buffer; privateBytes?: number; folder: string }[] = [
  { n: 1, charset: 'ISO_IR 192', name: Buffer.from('Müller^Chärlie', 'utf8'), folder: 'Müller^Chärlie' },
  { n: 2, charset: 'ISO_IR 100', name: Buffer.from('M\xfcller^J\xfcrgen', 'latin1'), folder: 'Müller^Jürgen' },
  {
    n: 3, charset: '\\ISO 2022 IR 87', folder: 'Yamada^Tarou=山田^太郎=やまだ^たろう',
    name: Buffer.from(`Yamada^Tarou=${ESC}$B;3ED${ESC}(B^${ESC}$BB@O:${ESC}(B=${ESC}$B$d$^$@${ESC}(B^${ESC}$B$?$m$&${ESC}(B`, 'latin1'),
  },
  {
    n: 4, charset: '\\ISO 2022 IR 149', folder: 'Hong^Gildong=洪^吉洞=홍^길동',
    name: Buffer.from(`Hong^Gildong=${ESC}$)C\xfb\xf3^${ESC}$)C\xd1\xce\xd4\xd7=${ESC}$)C\xc8\xab^${ESC}$)C\xb1\xe6\xb5\xbf`, 'latin1'),
  },
  { n: 5, name: Buffer.from('Big^Private'), privateBytes: 90 * 1024, folder: 'Big^Private' },
  { n: 6, folder: 'unknown-PatientName' },
];
const study = (n: number) => `${ROOT}.${n}`;

function instance(c: (typeof CASES)[number], dir: string): string {
  const uid = `${study(c.n)}.1.1`;
  const ds = Buffer.concat([
    ...(c.charset ? [explicitElement(0x00080005, 'CS', Buffer.from(c.charset))] : []),
    explicitElement(0x00080016, 'UI', Buffer.from(SC)),
    explicitElement(0x00080018, 'UI', Buffer.from(uid)),
    explicitElement(0x00080060, 'CS', Buffer.from('OT')),
    // A private block before the patient's name: a creator, then 90 KB of OB.
    ...(c.privateBytes ? [explicitElement(0x00090010, 'LO', Buffer.from('DCMGET TEST')), explicitElement(0x00091001, 'OB', Buffer.alloc(c.privateBytes, 0xab))] : []),
    ...(c.name ? [explicitElement(0x00100010, 'PN', c.name)] : []),
    explicitElement(0x00100020, 'LO', Buffer.from(`LAYOUT${c.n}`)),
    explicitElement(0x0020000d, 'UI', Buffer.from(study(c.n))),
    explicitElement(0x0020000e, 'UI', Buffer.from(`${study(c.n)}.1`)),
  ]);
  const file = path.join(dir, `${c.n}.dcm`);
  fs.writeFileSync(file, Buffer.concat([encodeFileMetaInformation({ mediaStorageSopClassUid: SC, mediaStorageSopInstanceUid: uid, transferSyntaxUid: '1.2.840.10008.1.2.1' }), ds]));
  return file;
}

before(async () => {
  orthanc = await startOrthanc();
  const dir = out();
  await orthanc.upload(CASES.map((c) => instance(c, dir)));
});
after(async () => {
  await orthanc?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('--layout placeholders in each instance\'s character set', () => {
  test('UTF-8, Latin-1, Japanese and Korean ISO 2022 names; a name past a 90 KB private element; a missing one named with a warning', async () => {
    const od = out();
    const r = await runDcmget(['--study', CASES.map((c) => study(c.n)).join(','), '--layout', '{PatientName}/{SOPInstanceUID}.dcm', '-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    const folders = listFiles(od).map((f) => path.relative(od, f).split(path.sep)[0]).sort();
    assert.deepEqual(folders, CASES.map((c) => c.folder).sort());
    assert.match(r.stderr, new RegExp(`warning: --layout: PatientName \\(0010,0010\\) is empty or absent in instance ${study(6).replace(/\./g, '\\.')}\\.1\\.1; its file goes under "unknown-PatientName"`));
    assert.equal((r.stderr.match(/--layout:/g) ?? []).length, 1, 'one warning, not one per file');
  });
});
