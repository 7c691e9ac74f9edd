// Issue 4, named peers and DCMGET_* variables: `dcmget NAME …` takes host, port, AE titles and
// timeouts from the config file; explicit flags win over variables, which win over the file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startFakeScp, fixtureInstances, type FakeScp } from '../support/fake-scp.ts';
import { runDcmget, tempDir } from '../support/cli.ts';
import type { AssociateRq } from '../../src/ul/pdu-types.ts';

let scp: FakeScp;
let home: string;
const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
const instances = fixtureInstances((m) => m.file.includes('-s3-'));

before(async () => {
  scp = await startFakeScp({ instances });
  home = out();
  fs.mkdirSync(path.join(home, 'dcmget'));
  fs.writeFileSync(path.join(home, 'dcmget', 'config.json'), JSON.stringify({
    peers: { lab: { host: '127.0.0.1', port: scp.port, aet: 'LABPACS', callingAet: 'LABCLIENT', timeouts: { dimse: 20 } } },
  }));
});

after(async () => {
  await scp?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function lastRq(): AssociateRq {
  const rqs = scp.events.filter((e) => e.type === 'associate-rq') as { rq: AssociateRq }[];
  return rqs.at(-1)!.rq;
}

describe('named peers and environment', () => {
  test('dcmget NAME --study UID: host, port and AE titles from the config file', async () => {
    const od = out();
    const r = await runDcmget(['lab', '--study', instances[0]!.keys.StudyInstanceUID!, '-od', od], { env: { XDG_CONFIG_HOME: home } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readdirSync(od).length, instances.length);
    assert.equal(lastRq().calledAeTitle, 'LABPACS');
    assert.equal(lastRq().callingAeTitle, 'LABCLIENT');
  });

  test('a DCMGET_* variable beats the file; a flag beats both', async () => {
    const a = await runDcmget(['--echo', 'lab'], { env: { XDG_CONFIG_HOME: home, DCMGET_AET: 'FROMENV' } });
    assert.equal(a.code, 0, a.stderr);
    assert.equal(lastRq().callingAeTitle, 'FROMENV');
    const b = await runDcmget(['--echo', '-aet', 'FROMFLAG', 'lab'], { env: { XDG_CONFIG_HOME: home, DCMGET_AET: 'FROMENV' } });
    assert.equal(b.code, 0, b.stderr);
    assert.equal(lastRq().callingAeTitle, 'FROMFLAG');
  });

  test('--config FILE; an unknown name says where it looked; a password in the file is refused', async () => {
    const file = path.join(out(), 'peers.json');
    fs.writeFileSync(file, JSON.stringify({ peers: { other: { host: '127.0.0.1', port: scp.port, aet: 'OTHER' } } }));
    const ok = await runDcmget(['--config', file, '--echo', 'other']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(lastRq().calledAeTitle, 'OTHER');
    const unknown = await runDcmget(['--echo', 'nosuchpeer'], { env: { XDG_CONFIG_HOME: home } });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /"nosuchpeer" needs a port .* or must be a named peer in .*config\.json/);
    fs.writeFileSync(file, JSON.stringify({ peers: { bad: { host: 'h', port: 104, password: 'x' } } }));
    const bad = await runDcmget(['--config', file, '--echo', 'bad']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /passwordEnv/);
  });
});
