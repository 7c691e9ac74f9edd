// A frozen PACS (issue 15, item 5): nothing hangs with the defaults. A frozen server process still
// has its kernel acknowledge TCP, so keepalive never fires (ul-state-machine.test.ts checks
// keepalive itself): the DIMSE silence limit must, and it is on by default (300 s, for a PACS that
// fetches a study from nearline storage before its first instance). Here a real Orthanc is
// frozen with SIGSTOP in the middle of a study, with the limit shortened through the same
// environment variable a user would set; the defaults are checked where they are decided.
//
// Run: ./node_modules/.bin/node --test test/integration/frozen.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULTS, resolveOptions } from '../../src/retrieve/options.ts';
import { associationBasics } from '../../src/retrieve/options.ts';
import { buildProgram } from '../../src/cli/program.ts';
import { COMMAND_FIELD } from '../../src/dimse/command-field.ts';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { buildTinyStudies, studyUids } from '../support/studies.ts';
import { makeTempDir, removeDir } from '../support/peers.ts';
import { assertNoTemporaryFiles, describeRun, ensureBuilt, listFiles, runDcmget } from '../support/fake-scp-run.ts';
import { dcmftest } from '../support/dcmtk.ts';

describe('the defaults', () => {
  test('a DIMSE silence limit of 300 s, in the library and on the command line', () => {
    assert.equal(DEFAULTS.dimseTimeoutMs, 300_000);
    assert.equal(associationBasics({ host: 'h', port: 1 }).dimseTimeoutMs, 300_000);
    assert.equal(resolveOptions({ host: 'h', port: 1, identifiers: [], outputDirectory: '.' }).dimseTimeoutMs, undefined, 'unset: the association takes the default');
    const program = buildProgram();
    program.parse(['h', '104'], { from: 'user' });
    assert.equal(program.opts().dimseTimeout, 300);
  });
});

describe('a PACS frozen in the middle of a study (SIGSTOP)', () => {
  let orthanc: OrthancServer;
  let proxy: FaultProxy;
  let work = '';
  let study = '';

  before(async () => {
    ensureBuilt();
    work = await makeTempDir('frozen');
    const made = buildTinyStudies(path.join(work, 'made'), 1, 60, 901);
    study = studyUids(made)[0]!;
    orthanc = await startOrthanc();
    await orthanc.upload(made.map((m) => m.path));
    // Each C-STORE-RQ 100 ms late: the study takes seconds, so that it can be frozen midway.
    proxy = await startFaultProxy({
      port: orthanc.dicomPort,
      rules: [{ match: (p) => p.commandField === COMMAND_FIELD.C_STORE_RQ, times: Infinity, action: 'delay', ms: 100 }],
    });
  });

  after(async () => {
    if (orthanc) process.kill(orthanc.pid, 'SIGCONT');
    await proxy?.stop();
    await orthanc?.stop();
    if (work) await removeDir(work);
  });

  test('the silence limit ends the run: exit 8 naming it, what arrived is whole, nothing half-written', async () => {
    const out = path.join(work, 'out');
    let frozenAt = 0;
    const watcher = setInterval(() => {
      if (frozenAt || listFiles(out).filter((f) => f.endsWith('.dcm')).length < 3) return;
      process.kill(orthanc.pid, 'SIGSTOP');
      frozenAt = performance.now();
    }, 20);
    const r = await runDcmget(['-S', '-aec', orthanc.aet, '--study', study, '-od', out, '127.0.0.1', String(proxy.port)], {
      env: { DCMGET_DIMSE_TIMEOUT: '2' }, timeoutMs: 60_000,
    });
    clearInterval(watcher);
    process.kill(orthanc.pid, 'SIGCONT');
    assert.ok(frozenAt > 0, `Orthanc was never frozen: ${describeRun(r)}`);
    assert.equal(r.code, 8, describeRun(r));
    assert.match(r.stderr, /no DIMSE message from the peer within 2000 ms/, describeRun(r));
    const waited = performance.now() - frozenAt;
    assert.ok(waited < 8_000, `dcmget ended ${waited.toFixed(0)} ms after the freeze`);
    assertNoTemporaryFiles(out);
    const files = listFiles(out);
    assert.ok(files.length >= 3 && files.length < 60, `${files.length} files`);
    for (const f of files) assert.ok(await dcmftest(path.join(out, f)), `${f} is a whole DICOM file`);
  });
});
