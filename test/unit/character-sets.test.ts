// PS3.3 C.12.1.1.2 and PS3.5 6.1: every defined term of Specific Character Set, mapped to Node's
// TextDecoder, decoded from a sample (most from PS3.5 Annex H and pydicom's charset tests).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { characterSetTerms, decodeText, encodeText, encodingOf, UnknownCharacterSet } from '../../src/dicom/character-sets.ts';

const b = (s: string) => Buffer.from(s, 'latin1');
const ESC = '\x1b';

/** [Specific Character Set, the value's bytes, the text]. */
const SAMPLES: [string, Buffer, string][] = [
  ['', b('Doe^John'), 'Doe^John'],
  ['ISO_IR 6', b('Doe^John'), 'Doe^John'],
  ['ISO_IR 100', b('M\xfcller^J\xfcrgen'), 'Müller^Jürgen'],
  ['ISO_IR 101', b('Wa\xb3\xeasa'), 'Wałęsa'],
  ['ISO_IR 109', b('\xa1abcd'), 'Ħabcd'],
  ['ISO_IR 110', b('\xa2'), 'ĸ'],
  ['ISO_IR 144', b('\xb8\xd2\xd0\xdd\xde\xd2'), 'Иванов'],
  ['ISO_IR 127', b('\xe2\xc8\xc7\xe6\xea^\xe4\xe6\xd2\xc7\xd1'), 'قباني^لنزار'],
  ['ISO_IR 126', b('\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2'), 'Διονυσιος'],
  ['ISO_IR 138', b('\xf9\xf8\xe5\xef^\xe3\xe1\xe5\xf8\xe4'), 'שרון^דבורה'],
  ['ISO_IR 148', b('\xc7avu\xfeo\xf0lu'), 'Çavuşoğlu'],
  ['ISO_IR 203', b('\xa4 10'), '€ 10'],
  ['ISO_IR 13', b('\xd4\xcf\xc0\xde^\xc0\xdb\xb3'), 'ﾔﾏﾀﾞ^ﾀﾛｳ'],
  ['ISO_IR 166', b('\xa1\xd2'), 'กา'],
  ['ISO_IR 192', Buffer.from('Müller^Chärlie=山田^太郎', 'utf8'), 'Müller^Chärlie=山田^太郎'],
  ['GB18030', b('Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab='), 'Wang^XiaoDong=王^小东='],
  ['GBK', b('Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab='), 'Wang^XiaoDong=王^小东='],
  ['ISO 2022 IR 100', b('M\xfcller'), 'Müller'],
  ['\\ISO 2022 IR 100', b(`M${ESC}-A\xfcller`), 'Müller'],
  ['\\ISO 2022 IR 87', b(`Yamada^Tarou=${ESC}$B;3ED${ESC}(B^${ESC}$BB@O:${ESC}(B=${ESC}$B$d$^$@${ESC}(B^${ESC}$B$?$m$&${ESC}(B`), 'Yamada^Tarou=山田^太郎=やまだ^たろう'],
  ['\\ISO 2022 IR 87\\ISO 2022 IR 159', b(`Mori^Ogai=${ESC}$B?9${ESC}(B^${ESC}$(Dl?${ESC}$B30${ESC}(B`), 'Mori^Ogai=森^鷗外'],
  ['\\ISO 2022 IR 149', b(`Hong^Gildong=${ESC}$)C\xfb\xf3^${ESC}$)C\xd1\xce\xd4\xd7=${ESC}$)C\xc8\xab^${ESC}$)C\xb1\xe6\xb5\xbf`), 'Hong^Gildong=洪^吉洞=홍^길동'],
  ['\\ISO 2022 IR 58', b(`Zhang^XiaoDong=${ESC}$)A\xd5\xc5^${ESC}$)A\xd0\xa1\xb6\xab=`), 'Zhang^XiaoDong=张^小东='],
  ['ISO 2022 IR 13\\ISO 2022 IR 87', b(`\xd4\xcf\xc0\xde^\xc0\xdb\xb3=${ESC}$B;3ED${ESC}(J^${ESC}$BB@O:${ESC}(J=${ESC}$B$d$^$@${ESC}(J^${ESC}$B$?$m$&${ESC}(J`), 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう'],
];

describe('decodeText', () => {
  for (const [charset, bytes, text] of SAMPLES) {
    it(`${charset || '(none)'} → ${encodingOf(characterSetTerms(charset)[0]!) ?? '?'}: ${text}`, () => {
      assert.equal(decodeText(bytes, characterSetTerms(charset), 'PN'), text);
    });
  }

  it('the bytes of a JIS X 0208 character may be "^" or "\\": no delimiter inside a two-byte run', () => {
    // や is 0x24 0x64, ま 0x24 0x5E ("^" as its second byte), and 0x5C may be one too.
    assert.equal(decodeText(b(`${ESC}$B$d$^${ESC}(B\\x`), ['', 'ISO 2022 IR 87'], 'LO'), 'やま\\x');
  });

  it('several values: each starts in the initial code elements (PS3.5 6.1.2.5.3)', () => {
    assert.equal(decodeText(b(`${ESC}$)C\xc8\xab\\\xc8`), ['', 'ISO 2022 IR 149'], 'LO'), '홍\\È');
  });

  it('VRs outside the character set\'s reach (CS, UI, DA…) are ASCII whatever it says', () => {
    assert.equal(decodeText(b('ISO_IR 192'), ['ISO_IR 144'], 'CS'), 'ISO_IR 192');
  });

  it('an unknown term is UnknownCharacterSet (the caller chooses the fallback)', () => {
    assert.throws(() => decodeText(b('x'), ['ISO_IR 999'], 'PN'), UnknownCharacterSet);
    assert.throws(() => decodeText(b('x'), ['', 'ISO 2022 IR 999'], 'PN'), UnknownCharacterSet);
  });
});

describe('encodingOf: the DICOM defined terms and the encodings that decode them', () => {
  it('covers every defined term of PS3.3 Tables C.12-2 to C.12-5', () => {
    const terms = [
      'ISO_IR 100', 'ISO_IR 101', 'ISO_IR 109', 'ISO_IR 110', 'ISO_IR 144', 'ISO_IR 127', 'ISO_IR 126', 'ISO_IR 138', 'ISO_IR 148', 'ISO_IR 203', 'ISO_IR 13', 'ISO_IR 166',
      'ISO 2022 IR 6', 'ISO 2022 IR 100', 'ISO 2022 IR 101', 'ISO 2022 IR 109', 'ISO 2022 IR 110', 'ISO 2022 IR 144', 'ISO 2022 IR 127', 'ISO 2022 IR 126',
      'ISO 2022 IR 138', 'ISO 2022 IR 148', 'ISO 2022 IR 203', 'ISO 2022 IR 13', 'ISO 2022 IR 166', 'ISO 2022 IR 87', 'ISO 2022 IR 159', 'ISO 2022 IR 149',
      'ISO 2022 IR 58', 'ISO_IR 192', 'GB18030', 'GBK',
    ];
    for (const t of terms) assert.ok(encodingOf(t), t);
    assert.equal(encodingOf('ISO_IR 999'), undefined);
  });
});

describe('encodeText: what dcmget writes for typed-in text', () => {
  it('ASCII anywhere; beyond it UTF-8 (ISO_IR 192) or Latin-1 (ISO_IR 100) only', () => {
    assert.deepEqual(encodeText('Doe^John', [''], 'PN'), b('Doe^John'));
    assert.deepEqual(encodeText('Müller', ['ISO_IR 192'], 'PN'), Buffer.from('Müller', 'utf8'));
    assert.deepEqual(encodeText('Müller', ['ISO_IR 100'], 'PN'), b('M\xfcller'));
    assert.equal(encodeText('Müller', [''], 'PN'), undefined);
    assert.equal(encodeText('Иванов', ['ISO_IR 100'], 'PN'), undefined);
    assert.equal(encodeText('Müller', ['ISO_IR 192'], 'CS'), undefined, 'a CS is ASCII');
  });
});
