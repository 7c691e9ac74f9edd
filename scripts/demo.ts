// The demo: a real retrieve from a real PACS that the project starts itself. Orthanc (Debian
// package `orthanc`) is started on free loopback ports with its own temporary storage, loaded
// with fixtures/, and dcmget fetches the mixed study (9 SOP classes, 6 transfer syntaxes) from it.
//   node scripts/demo.ts [output-folder]     (default: ./demo-output)
//   node scripts/demo.ts --serve [port]      keep that Orthanc on 127.0.0.1:port (default 4242,
//                                            AE title ORTHANC) until Ctrl-C, for the README's examples
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startOrthanc, type OrthancServer } from '../test/support/orthanc.ts';
import { INSTANCES, ROOT } from '../test/support/fixtures.ts';
import { readPart10 } from '../test/support/dcmtk.ts';
import { transferSyntaxByUid } from '../src/dicom/transfer-syntaxes.ts';

const serve = process.argv[2] === '--serve';

/** Orthanc loaded with every fixture, accepting their private class too. */
async function loadedOrthanc(dicomPort?: number): Promise<OrthancServer> {
  process.stderr.write('demo: starting a local Orthanc loaded with fixtures/ …\n');
  const orthanc = await startOrthanc({ extraConfig: { UnknownSopClassAccepted: true }, ...(dicomPort ? { dicomPort } : {}) });
  await orthanc.upload(INSTANCES.map((i) => i.path));
  return orthanc;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer().once('error', () => resolve(false)).listen({ host: '127.0.0.1', port }, () => s.close(() => resolve(true)));
  });
}

async function serveUntilInterrupted(): Promise<void> {
  const port = Number(process.argv[3] ?? 4242);
  if (!await portFree(port)) {
    process.stderr.write(`demo: port ${port} is taken on 127.0.0.1; give another: bash scripts/demo.sh --serve 11112 (and use it in place of 4242)\n`);
    process.exitCode = 2;
    return;
  }
  const orthanc = await loadedOrthanc(port);
  process.stderr.write(`demo: Orthanc (AE title ${orthanc.aet}) serves the fixtures on 127.0.0.1:${port} (REST on http://127.0.0.1:${orthanc.httpPort});\n`
    + '  the README\'s examples run against it as written; Ctrl-C stops it.\n');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await orthanc.stop({ graceMs: 5000 });
}

async function demo(): Promise<number> {
  const output = path.resolve(process.argv[2] ?? 'demo-output');
  const mixed = INSTANCES.filter((i) => i.file.includes('-s2-'));
  const study = mixed[0]!.studyInstanceUID;
  const orthanc = await loadedOrthanc();
  try {
    fs.rmSync(output, { recursive: true, force: true });
    const args = ['-S', '-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort), '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${study}`, '-od', output];
    process.stderr.write(`demo: Orthanc ${orthanc.aet} listens on 127.0.0.1:${orthanc.dicomPort}; running\n\n  dcmget ${args.join(' ')}\n\n`);
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'dcmget.js'), ...args], { stdio: 'inherit' });
    const code = r.status ?? 1;
    const files = fs.existsSync(output) ? fs.readdirSync(output).filter((f) => f.endsWith('.dcm')) : [];
    process.stderr.write(`\ndemo: dcmget exited ${code}; ${files.length} of ${mixed.length} instances of the study are in ${output}:\n`);
    for (const f of files.sort()) {
      const info = readPart10(path.join(output, f));
      const original = INSTANCES.find((i) => i.sopInstanceUID === info.sopInstanceUID);
      const same = original && original.transferSyntaxUID === info.transferSyntaxUID ? 'as stored' : 'converted';
      process.stderr.write(`  ${f.padEnd(56)} ${(original?.sopClassName ?? info.sopClassUID).padEnd(48)} ${transferSyntaxByUid(info.transferSyntaxUID)?.name ?? info.transferSyntaxUID} (${same})\n`);
    }
    process.stderr.write(`demo: look at one with: dcmdump ${path.join(output, files[0] ?? '')}\n`);
    return code;
  } finally {
    await orthanc.stop({ graceMs: 5000 });
  }
}

if (serve) await serveUntilInterrupted();
else process.exitCode = await demo();
