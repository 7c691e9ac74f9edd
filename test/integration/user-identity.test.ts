// Issue 6, User Identity Negotiation (PS3.7 D.3.3.7): what goes on the wire, taken from the
// A-ASSOCIATE-RQ the fake SCP received; and that no secret reaches a log line or a report.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeScp, fixtureInstances, type FakeScp } from '../support/fake-scp.ts';
import { runDcmget, tempDir } from '../support/cli.ts';
import type { AssociateRq } from '../../src/ul/pdu-types.ts';

let scp: FakeScp;
const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
const SECRET = 'pa55-w0rd-never-logged';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkY21nZXQifQ.c2lnbmF0dXJlLW5ldmVyLWxvZ2dlZA';
const instances = fixtureInstances((m) => m.file.includes('-s3-'));
const study = instances[0]!.keys.StudyInstanceUID!;

before(async () => {
  scp = await startFakeScp({ instances });
});

after(async () => {
  await scp?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function lastRq(): AssociateRq {
  const rqs = scp.events.filter((e) => e.type === 'associate-rq') as { type: 'associate-rq'; rq: AssociateRq }[];
  assert.ok(rqs.length > 0, 'the fake saw an A-ASSOCIATE-RQ');
  return rqs.at(-1)!.rq;
}

describe('User Identity Negotiation', () => {
  test('username only: type 1', async () => {
    const r = await runDcmget(['--user', 'alice', '--echo', '-aec', 'FAKE', '127.0.0.1', String(scp.port)]);
    assert.equal(r.code, 0, r.stderr);
    const id = lastRq().userInformation.userIdentityRq!;
    assert.equal(id.type, 1);
    assert.equal(id.primaryField.toString(), 'alice');
    assert.equal(id.secondaryField.length, 0);
  });

  test('username and passcode from an environment variable: type 2; the passcode appears in no output, even with -d --ndjson', async () => {
    const r = await runDcmget(['-d', '--ndjson', '--user', 'alice', '--password-env', 'PACS_PASSWORD', '--identity-response', '--study', study, '-aec', 'FAKE', '127.0.0.1', String(scp.port), '-od', out()], { env: { PACS_PASSWORD: SECRET } });
    assert.equal(r.code, 0, r.stderr);
    const id = lastRq().userInformation.userIdentityRq!;
    assert.equal(id.type, 2);
    assert.equal(id.positiveResponseRequested, true);
    assert.equal(id.primaryField.toString(), 'alice');
    assert.equal(id.secondaryField.toString(), SECRET);
    assert.ok(!r.stdout.includes(SECRET) && !r.stderr.includes(SECRET), 'the passcode is not in the output');
    assert.ok(!r.stderr.includes(Buffer.from(SECRET).toString('hex')), 'not even as hex');
  });

  test('passcode from a file; a JSON Web Token from a file: type 5, not in the --json report', async () => {
    const dir = out();
    fs.writeFileSync(path.join(dir, 'pw'), `${SECRET}\n`);
    const a = await runDcmget(['--user', 'bob', '--password-file', path.join(dir, 'pw'), '--echo', '-aec', 'FAKE', '127.0.0.1', String(scp.port)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(lastRq().userInformation.userIdentityRq!.secondaryField.toString(), SECRET, 'the trailing newline is not part of it');
    fs.writeFileSync(path.join(dir, 'jwt'), JWT);
    const b = await runDcmget(['--json', '--jwt-file', path.join(dir, 'jwt'), '--study', study, '-aec', 'FAKE', '127.0.0.1', String(scp.port), '-od', out()]);
    assert.equal(b.code, 0, b.stderr);
    const id = lastRq().userInformation.userIdentityRq!;
    assert.equal(id.type, 5);
    assert.equal(id.primaryField.toString(), JWT);
    assert.ok(!b.stdout.includes(JWT) && !b.stderr.includes(JWT));
  });

  test('misuse is a usage error: a password without --user, an unset variable, a prompt without a terminal', async () => {
    for (const args of [
      ['--password-env', 'PACS_PASSWORD'],
      ['--user', 'alice', '--password-env', 'NOT_SET_ANYWHERE_42'],
      ['--user', 'alice', '--password-prompt'],
      ['--user', 'alice', '--jwt-env', 'PACS_PASSWORD'],
    ]) {
      const r = await runDcmget([...args, '--echo', '-aec', 'FAKE', '127.0.0.1', String(scp.port)], { env: { PACS_PASSWORD: SECRET } });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(!r.stderr.includes(SECRET));
    }
  });
});
