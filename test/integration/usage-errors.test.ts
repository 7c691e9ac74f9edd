// Usage errors (exit 2): found before any socket is opened, one line on stderr, no stack trace,
// and the error event on stdout with --json or --ndjson, whatever the error (README "Exit codes",
// "Machine-readable output"). A listener on the port given proves that nothing connected.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DCMGET, runDcmget, tempDir } from '../support/cli.ts';

let listener: net.Server;
let port = 0;
let connections = 0;
const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };

before(async () => {
  listener = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  port = (listener.address() as net.AddressInfo).port;
});
after(() => {
  listener.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const peer = () => ['-aec', 'X', '127.0.0.1', String(port)];

function json(file: string, value: unknown): string {
  const f = path.join(out(), file);
  fs.writeFileSync(f, JSON.stringify(value));
  return f;
}

async function usageError(args: string[], pattern: RegExp): Promise<void> {
  const before = connections;
  for (const mode of [[], ['--json'], ['--ndjson']]) {
    const r = await runDcmget([...args, ...mode]);
    assert.equal(r.code, 2, `${mode.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    if (mode.length) {
      const event = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(event), ['event', 'exitCode', 'error']);
      assert.equal(event.event, 'error');
      assert.equal(event.exitCode, 2);
      assert.match(event.error.message, pattern);
    } else {
      assert.equal(r.stdout, '');
    }
  }
  assert.equal(connections, before, 'nothing connected');
}

describe('usage errors: exit 2 before connecting, one line, the error event with --json/--ndjson', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['an unknown flag', () => ['--bogus', ...peer()], /unknown option '--bogus'/],
    ['getscu\'s --abort (refused, with what to use)', () => ['--abort', ...peer(), '--study', '1.2.3'], /getscu's --abort is not supported: dcmget always ends with A-RELEASE; to stop a retrieve early use --cancel-after/],
    ['a UID with letters in -k', () => [...peer(), '-k', 'StudyInstanceUID=1.2.3.abc'], /StudyInstanceUID \(0020,000D\) "1\.2\.3\.abc" is not a UID/],
    ['a UID with letters in --study', () => [...peer(), '--study', '1.2.3.abc'], /--study "1\.2\.3\.abc" is not a UID/],
    ['a bad VR in --query-json', () => [...peer(), '--query-json', json('q.json', { '0020000D': { vr: 'XX', Value: [1] } })], /StudyInstanceUID \(0020,000D\) has VR "XX", which is not a VR/],
    ['a VR that is not the attribute\'s in --query-json', () => [...peer(), '--query-json', json('q.json', { '0020000D': { vr: 'LO', Value: ['1.2.3'] } })], /StudyInstanceUID \(0020,000D\) has VR LO, but the attribute is UI/],
    ['a value of the wrong type in --query-json', () => [...peer(), '--query-json', json('q.json', { '00080052': { vr: 'CS', Value: ['STUDY'] }, '0020000D': { vr: 'UI', Value: [12] } })], /StudyInstanceUID \(0020,000D\) has a value that is not a string/],
    ['a number where a US belongs', () => [...peer(), '--study', '1.2.3', '-k', 'Rows=70000'], /Rows \(0028,0010\) 70000 is not a whole number from 0 to 65535/],
    ['a date that is not one', () => [...peer(), '--study', '1.2.3', '-k', 'StudyDate=2024-13'], /StudyDate \(0008,0020\) "2024-13" is not a date/],
    ['a value in a character set it cannot be written in', () => [...peer(), '--study', '1.2.3', '-k', 'SpecificCharacterSet=ISO_IR 144', '-k', 'PatientName=Müller'], /cannot be written in the Specific Character Set ISO_IR 144/],
    ['a bad port', () => ['-aec', 'X', '127.0.0.1', '70000', '--study', '1.2.3'], /port must be a whole number from 1 to 65535/],
    ['a refused getscu TLS profile', () => ['+px', ...peer(), '--study', '1.2.3'], /getscu's \+px \/ --profile-bcp195 is not supported: .*BCP 195 RFC 8996/],
  ];
  for (const [name, args, pattern] of cases) test(name, () => usageError(args(), pattern));

  test('--uids-from: the line number counts comment and blank lines', async () => {
    const file = path.join(out(), 'uids.txt');
    fs.writeFileSync(file, '# studies to fetch\n1.2.3\n\n1.2.x\n');
    await usageError([...peer(), '--uids-from', file], new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line 4: "1\\.2\\.x" is not a UID`));
  });

  test('a Node.js too old is exit 2 (usage or environment), not 1 (a bug)', () => {
    const r = spawnSync(process.execPath, ['--import', 'data:text/javascript,Object.defineProperty(process.versions, "node", {value: "18.20.0"})', DCMGET, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, 'dcmget: Node.js 18.20.0 is too old; install Node.js 22.13 or newer\n');
  });
});

describe('what a start loads', () => {
  // src/cli/run.ts: --help, --version and usage errors are answered by the command line's own
  // modules; the retrieve engine (dist/cli/main-*.cjs) loads only for a run. Shown with a copy of
  // the package whose engine module is missing: those three still answer, a run does not.
  test('--version, --help and a usage error never load the engine; a run does', () => {
    const copy = out();
    for (const part of ['bin', 'dist', 'package.json']) fs.cpSync(path.join(path.dirname(DCMGET), '..', part), path.join(copy, part), { recursive: true });
    const engine = fs.readdirSync(path.join(copy, 'dist', 'cli')).filter((f) => /^main-.*\.cjs$/.test(f));
    assert.equal(engine.length, 1, `one engine module in dist/cli: ${engine.join(', ')}`);
    fs.rmSync(path.join(copy, 'dist', 'cli', engine[0]!));
    const before = connections;
    const run = (...args: string[]) => spawnSync(process.execPath, [path.join(copy, 'bin', 'dcmget.js'), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const version = run('--version');
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), JSON.parse(fs.readFileSync(path.join(copy, 'package.json'), 'utf8')).version);
    const help = run('--help');
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: dcmget /);
    const usage = run('--bogus');
    assert.equal(usage.status, 2, usage.stderr);
    assert.equal(usage.stderr, "dcmget: unknown option '--bogus' (see dcmget --help)\n");
    const retrieve = run('-aec', 'X', '--study', '1.2.3', '127.0.0.1', String(port));
    assert.equal(retrieve.status, 1, 'a run needs the engine module');
    assert.match(retrieve.stderr, /internal error: ENOENT: no such file or directory, open '.*main-\w+\.cjs'/);
    assert.equal(connections, before, 'nothing connected');
  });
});

describe('getscu -i4 / -i6: the address family of the peer', () => {
  test('-i4 connects to the IPv4 address of a name; -i6 refuses an IPv4 address, exit 8 with one line', async () => {
    const before = connections;
    const v4 = await runDcmget(['-i4', '--echo', '-aec', 'X', 'localhost', String(port)]);
    assert.equal(v4.code, 8, v4.stderr);
    assert.equal(connections, before + 1, 'the IPv4 listener on 127.0.0.1 saw the connection');
    const v6 = await runDcmget(['--ipv6', '--echo', '-aec', 'X', '127.0.0.1', String(port)]);
    assert.equal(v6.code, 8, v6.stderr);
    assert.equal(v6.stderr.trim(), 'dcmget: error: 127.0.0.1 is not an IPv6 address (getscu -i6)');
    assert.equal(connections, before + 1);
  });
});
