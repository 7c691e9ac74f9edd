// Issue 6, TLS (PS3.15 B.9): dcmget against a real Orthanc with DicomTlsEnabled (mutual TLS, as
// Orthanc requires a client certificate by default), and against DCMTK's TLS layer (storescp +tls
// answers C-ECHO; Debian's dcmqrscp has no TLS options). Certificates are made with openssl.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { makePki, type TestPki } from '../support/certificates.ts';
import { INSTANCES, listFiles } from '../support/fixtures.ts';
import { assertFromOrthanc } from '../support/received.ts';
import { runDcmget, tempDir } from '../support/cli.ts';
import { freePort, canConnect } from '../support/ports.ts';

let orthanc: OrthancServer;
let pki: TestPki;
let storescp: ChildProcess | undefined;
let storescpPort = 0;
const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
const s3 = INSTANCES.filter((i) => i.file.includes('-s3-'));

before(async () => {
  pki = makePki(out());
  orthanc = await startOrthanc({
    extraConfig: {
      DicomTlsEnabled: true,
      DicomTlsCertificate: pki.serverCert,
      DicomTlsPrivateKey: pki.serverKey,
      DicomTlsTrustedCertificates: pki.ca,
      DicomTlsRemoteCertificateRequired: true,
    },
  });
  await orthanc.upload(s3.map((i) => i.path));
  storescpPort = await freePort();
  storescp = spawn('storescp', ['+tls', pki.serverKey, pki.serverCert, '+cf', pki.ca, '-rc', '-od', out(), String(storescpPort)], { env: { ...process.env, TCP_NODELAY: '1' }, stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await canConnect(storescpPort)); i++) await new Promise((r) => setTimeout(r, 50));
});

after(async () => {
  storescp?.kill('SIGKILL');
  await orthanc?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const tlsPeer = () => ['-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort)];
const client = () => ['--tls-cert', pki.clientCert, '--tls-key', pki.clientKey];

describe('DICOM over TLS', () => {
  test('mutual TLS with Orthanc: the study arrives byte-identical (Deflated: the same attributes)', async () => {
    const od = out();
    const r = await runDcmget(['--tls', '--tls-ca', pki.ca, ...client(), '--study', s3[0]!.studyInstanceUID, ...tlsPeer(), '-od', od]);
    assert.equal(r.code, 0, r.stderr);
    const files = listFiles(od);
    assert.equal(files.length, s3.length);
    for (const f of files) await assertFromOrthanc(f);
  });

  test('the peer\'s certificate is verified by default: an untrusted CA is refused, exit 8, one line', async () => {
    const r = await runDcmget(['--tls', '--tls-ca', pki.otherCa, ...client(), '--study', s3[0]!.studyInstanceUID, ...tlsPeer(), '-od', out()]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /certificate/i);
    assert.match(r.stderr, /--tls-ca/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  test('a host name the certificate does not carry is refused', async () => {
    const r = await runDcmget(['--tls', '--tls-ca', pki.ca, ...client(), '--tls-servername', 'pacs.example.org', '--study', s3[0]!.studyInstanceUID, ...tlsPeer(), '-od', out()]);
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /pacs\.example\.org|host ?name|altname/i);
  });

  test('--tls-no-verify connects, with a loud warning', async () => {
    const r = await runDcmget(['--tls', '--tls-no-verify', ...client(), '--echo', ...tlsPeer()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: --tls-no-verify: the peer's certificate is NOT checked/);
  });

  test('without a client certificate Orthanc refuses the handshake: exit 8', async () => {
    const r = await runDcmget(['--tls', '--tls-ca', pki.ca, '--echo', ...tlsPeer()]);
    assert.equal(r.code, 8, r.stderr);
  });

  test('plain DICOM to a TLS port fails cleanly (exit 8), it does not hang', async () => {
    const r = await runDcmget(['--echo', '-ta', '5', ...tlsPeer()], { timeoutMs: 20_000 });
    assert.equal(r.code, 8, r.stderr);
  });

  test('DCMTK\'s TLS layer (storescp +tls, BCP 195 non-downgrading profile): C-ECHO succeeds', async () => {
    const r = await runDcmget(['--tls', '--tls-ca', pki.ca, ...client(), '--echo', '-aec', 'STORESCP', '127.0.0.1', String(storescpPort)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /0x0000 Success/);
  });

  test('--tls options without --tls, and a key without a certificate, are usage errors', async () => {
    assert.equal((await runDcmget(['--tls-ca', pki.ca, '--echo', 'localhost', '104'])).code, 2);
    assert.equal((await runDcmget(['--tls', '--tls-key', pki.clientKey, '--echo', 'localhost', '104'])).code, 2);
  });
});
