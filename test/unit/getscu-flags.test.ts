// getscu's command line into dcmget's (src/cli/getscu-flags.ts, getscu-options.ts), and the
// table of options against docs/getscu.md.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { expandCommandFiles, translateGetscu } from '../../src/cli/getscu-flags.ts';
import { GETSCU_OPTIONS } from '../../src/cli/getscu-options.ts';
import { buildProgram, optionTakesValue, LOG_LEVELS } from '../../src/cli/program.ts';
import { resolveTransferSyntax } from '../../src/cli/storage-flags.ts';
import { UsageError } from '../../src/dicom/usage-error.ts';

const takesValue = optionTakesValue(buildProgram());
const argv = (...args: string[]) => translateGetscu(args, takesValue).argv;

describe('translateGetscu', () => {
  it("rewrites getscu's single-dash long options", () => {
    assert.deepEqual(
      argv('-aet', 'ME', '-aec', 'PACS', '-od', 'out', '-pdu', '16384', '-to', '5', '-ta', '6', '-td', '7', '-ll', 'trace', 'host', '104'),
      ['--aetitle', 'ME', '--call', 'PACS', '--output-directory', 'out', '--max-pdu', '16384', '--timeout', '5', '--acse-timeout', '6', '--dimse-timeout', '7', '--log-level', 'trace', 'host', '104'],
    );
  });

  it('takes + options before and after peer and port, never as positional words', () => {
    const before = argv('+B', '+xs', 'host', '104', 'q.dcm');
    const after = argv('host', '104', 'q.dcm', '+B', '+xs');
    const ts = ['--transfer-syntax', 'jpeg-lossless-sv1', '--transfer-syntax', 'explicit', '--transfer-syntax', 'implicit'];
    assert.deepEqual(before, [...ts, 'host', '104', 'q.dcm']);
    assert.deepEqual(after, ['host', '104', 'q.dcm', ...ts]);
  });

  it('leaves dcmget\'s own options and their values alone, and everything after "--"', () => {
    assert.deepEqual(argv('-k', 'PatientID=1', '--aetitle', 'X', '-aetx', 'host'), ['-k', 'PatientID=1', '--aetitle', 'X', '-aetx', 'host']);
    assert.deepEqual(argv('--output-directory', '-B', 'host', '104'), ['--output-directory', '-B', 'host', '104'], 'a value that looks like a getscu option');
    assert.deepEqual(argv('-aet', 'A', '--', '-aet', '+B'), ['--aetitle', 'A', '--', '-aet', '+B']);
    assert.deepEqual(argv(), []);
  });

  it('getscu --study is the study root unless a UID follows that leaves peer and port in place', () => {
    assert.deepEqual(argv('--study', 'pacs', '104', 'q.dcm'), ['--study-root', 'pacs', '104', 'q.dcm']);
    assert.deepEqual(argv('-aec', 'X', '--study', '127.0.0.1', '4242', 'q.dcm'), ['--call', 'X', '--study-root', '127.0.0.1', '4242', 'q.dcm'], 'an IPv4 address is a valid UID');
    assert.deepEqual(argv('--study', '1.2.3', 'host', '104'), ['--study', '1.2.3', 'host', '104']);
    assert.deepEqual(argv('host', '104', '--study', '1.2.3'), ['host', '104', '--study', '1.2.3']);
    assert.deepEqual(argv('host', '104', '--study', '1.2.x'), ['host', '104', '--study', '1.2.x'], 'a malformed UID is reported as one');
    assert.deepEqual(argv('pacs1', '--study', '1.2.3'), ['pacs1', '--study', '1.2.3'], 'a named peer needs no port');
    assert.deepEqual(argv('host', '104', '--study'), ['host', '104', '--study-root']);
    assert.deepEqual(argv('--study', '-k', 'PatientID=1', 'host', '104'), ['--study-root', '-k', 'PatientID=1', 'host', '104']);
    assert.deepEqual(argv('--patient', 'host', '104'), ['--patient-root', 'host', '104']);
  });

  it('settings that no dcmget flag carries', () => {
    const t = translateGetscu(['--repeat', '3', '-i6', '-xi', '+v', '--arguments', '+crl', 'r.pem', '--no-sni', 'host', '104'], takesValue);
    assert.deepEqual(t.settings, { crl: ['r.pem'], repeat: 3, family: 6, getSyntaxes: ['1.2.840.10008.1.2'], verbosePc: true, printArguments: true, noSni: true });
    assert.deepEqual(t.argv, ['host', '104']);
    assert.ok(t.notes.some((n) => n.startsWith('getscu +v: ')), 'mapped options are noted for -v');
    assert.throws(() => translateGetscu(['--repeat', '0'], takesValue), /--repeat takes a whole number of at least 1/);
  });

  it('a refused option is one UsageError naming it and what to use instead', () => {
    for (const o of GETSCU_OPTIONS.filter((x) => x.outcome === 'refused')) {
      for (const spelling of o.spellings) {
        assert.throws(() => translateGetscu([spelling, ...Array(o.values).fill('x'), 'host', '104'], takesValue), (err: unknown) => {
          assert.ok(err instanceof UsageError);
          assert.ok(err.message.includes(spelling), err.message);
          assert.doesNotMatch(err.message, /\n/);
          return true;
        });
      }
    }
  });

  it('an option missing its value is a UsageError', () => {
    assert.throws(() => translateGetscu(['host', '104', '+tls', 'key.pem'], takesValue), /getscu's \+tls needs 2 values/);
  });
});

describe('movescu\'s spellings of the C-MOVE options', () => {
  it('-aem and +P become --move and --port, said under -v', () => {
    const t = translateGetscu(['-aem', 'DCMGET', '+P', '11113', 'host', '104'], takesValue);
    assert.deepEqual(t.argv, ['--move', 'DCMGET', '--port', '11113', 'host', '104']);
    assert.ok(t.notes.some((n) => /movescu -aem/.test(n)));
  });
});

describe('command files (@file, as DCMTK\'s OFCommandLine)', () => {
  it('expands the words of a file, with quotes, before "--" only', (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dcmget-args-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'args.txt');
    fs.writeFileSync(file, '-aec PACS\n  -k "PatientName=Doe^John Q"\t-k \'StudyDescription=a b\'\nhost 104\n');
    assert.deepEqual(expandCommandFiles(['-v', `@${file}`, '--', `@${file}`]), ['-v', '-aec', 'PACS', '-k', 'PatientName=Doe^John Q', '-k', 'StudyDescription=a b', 'host', '104', '--', `@${file}`]);
    assert.throws(() => expandCommandFiles(['@/nonexistent/args']), /cannot open command file @\/nonexistent\/args: ENOENT/);
    assert.deepEqual(expandCommandFiles(['@']), ['@'], 'a lone @ is a word');
    assert.deepEqual(expandCommandFiles(['--storage-class', '@ct', '+pw', '@x'], takesValue), ['--storage-class', '@ct', '+pw', '@x'], 'an option\'s value is not a command file');
  });
});

describe('the table of getscu options', () => {
  it('docs/getscu.md lists exactly the options of getscu-options.ts, with the same outcome, and counts them right', () => {
    const doc = fs.readFileSync(path.join(import.meta.dirname, '../../docs/getscu.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| (`[^|]+`) \| (same|accepted|mapped|refused) \|/gm)].map((m) => [[...m[1]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]).join(' '), m[2]]);
    assert.deepEqual(rows, GETSCU_OPTIONS.map((o) => [o.spellings.join(' '), o.outcome]));
    const count = (k: string) => GETSCU_OPTIONS.filter((o) => o.outcome === k).length;
    assert.match(doc, new RegExp(`Counts: ${GETSCU_OPTIONS.length} options: ${count('same')} same, ${count('accepted')} accepted, ${count('mapped')} mapped, ${count('refused')} refused\\.`));
  });

  it('no spelling appears twice, and every transfer syntax an option names is one dcmget knows', () => {
    const spellings = GETSCU_OPTIONS.flatMap((o) => o.spellings);
    assert.equal(new Set(spellings).size, spellings.length);
    for (const o of GETSCU_OPTIONS) {
      for (const m of o.says.matchAll(/--transfer-syntax (\S+?)\)?(?=[ )]|$)/g)) assert.ok(resolveTransferSyntax(m[1]!), m[1]);
    }
  });

  it('getscu\'s six log levels are dcmget log levels', () => {
    for (const l of ['fatal', 'error', 'warn', 'info', 'debug', 'trace']) assert.ok((LOG_LEVELS as readonly string[]).includes(l), l);
  });
});
