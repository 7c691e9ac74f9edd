// Start the C-FIND/C-GET SCP of the npm package dcmjs-dimse (a pinned devDependency; the SCP
// is test/support/dcmjs-dimse-scp.mjs) as a child process on a free loopback port, serving a
// storage folder of its own in a temp dir; stop it by PID.
//
// Verified behaviour of dcmjs-dimse 0.3.3 (with its dcmjs 0.50 and dcmjs-codecs 0.0.8):
// - It reads each instance with dcmjs and writes it again for the C-STORE sub-operation, on
//   the accepted context of the instance's class whose syntax is the stored one, else on the
//   LAST accepted context of the class, transcoding (dcmjs-codecs) as needed. So the received
//   data set has the same attributes, not the same bytes: sequences and items come with
//   undefined length, long fragments are split, Specific Character Set becomes ISO_IR 192.
// - It drops private attributes (dcmjs's naturalized data set has no name for them).
// - It cannot write Deflated Explicit VR Little Endian: a data set sent on a Deflated context is
//   plain Explicit VR Little Endian (unreadable as labelled). So the SCP does not accept Deflated
//   unless asked (acceptDeflated, to show that lie).
// - Ready ~0.3 s after spawn (the codecs' WebAssembly); SIGTERM stops it at once.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { freePort, canConnect, LOOPBACK } from './ports.ts';
import { readPart10 } from './dcmtk.ts';
import {
  keepPeerDirs,
  linkOrCopy,
  makeTempDir,
  removeDir,
  spawnLogged,
  stopOnce,
  stopProcess,
  tailFile,
  waitUntilReady,
  withStartRetries,
  type LoadedPeer,
} from './peers.ts';

export const DCMJS_DIMSE_MISSING = 'dcmjs-dimse is not installed: npm ci (it is a devDependency in package.json)';
export const DCMJS_DIMSE_SCP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'dcmjs-dimse-scp.mjs');

export interface DcmjsDimseOptions {
  /** Its AE title (the called AE title it answers to). Default 'DCMJS'. */
  aet?: string;
  /** Calling AE titles allowed; default any. */
  allowedCallers?: string[];
  /** Files it serves (hard-linked or copied into its folder before start). */
  files?: string[];
  /** Accept Deflated contexts although dcmjs-dimse sends undeflated data sets on them. Default false. */
  acceptDeflated?: boolean;
  /** Start-up timeout in ms. Default 20000. */
  startTimeoutMs?: number;
}

/** dir: storage/ (the files served), dcmjs-dimse.log. stop(): SIGKILL after graceMs, default 5000. */
export interface DcmjsDimseServer extends LoadedPeer {
  readonly storageDir: string;
  /** Add files to the folder; each new association sees them. */
  load(files: string[]): Promise<void>;
}

/** The installed dcmjs-dimse's version, or throw the "not installed" error. */
export function dcmjsDimseVersion(): string {
  const require = createRequire(import.meta.url);
  try {
    const main = require.resolve('dcmjs-dimse');
    let dir = path.dirname(main);
    while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    throw new Error(DCMJS_DIMSE_MISSING);
  }
}

export async function startDcmjsDimse(opts: DcmjsDimseOptions = {}): Promise<DcmjsDimseServer> {
  const version = dcmjsDimseVersion();
  const aet = opts.aet ?? 'DCMJS';
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  const dir = await makeTempDir('dcmjs-dimse');
  const storageDir = path.join(dir, 'storage');
  await fs.promises.mkdir(storageDir);
  const logFile = path.join(dir, 'dcmjs-dimse.log');
  let seq = 0;
  const load = async (files: string[]): Promise<void> => {
    for (const f of files) await linkOrCopy(path.resolve(f), path.join(storageDir, `f${String(++seq).padStart(6, '0')}.dcm`));
  };
  try {
    await load(opts.files ?? []);
    const { proc, port, startupMs } = await withStartRetries(3, async () => {
      const port = await freePort();
      const args = [
        DCMJS_DIMSE_SCP, '--port', String(port), '--aet', aet, '--dir', storageDir,
        ...(opts.allowedCallers ? ['--callers', opts.allowedCallers.join(',')] : []),
        ...(opts.acceptDeflated ? ['--accept-deflated', 'yes'] : []),
      ];
      const proc = spawnLogged(process.execPath, args, { cwd: dir, logFile });
      try {
        const ready = async (): Promise<boolean> => /^listening /m.test(tailFile(logFile, 20)) && canConnect(port);
        const startupMs = await waitUntilReady(proc, `dcmjs-dimse SCP (${aet}, port ${port})`, ready, { timeoutMs, intervalMs: 25 });
        return { proc, port, startupMs };
      } catch (err) {
        await stopProcess(proc, 0).catch(() => {});
        throw err;
      }
    });
    return {
      aet,
      host: LOOPBACK,
      port,
      dir,
      storageDir,
      pid: proc.pid,
      logFile,
      startupMs,
      version,
      load,
      async instances(): Promise<string[]> {
        return fs.readdirSync(storageDir).map((f) => readPart10(path.join(storageDir, f)).sopInstanceUID).sort();
      },
      logTail: (lines = 60) => tailFile(logFile, lines),
      stop: stopOnce(proc, dir, 5_000),
    };
  } catch (err) {
    if (!keepPeerDirs()) await removeDir(dir);
    throw err;
  }
}
