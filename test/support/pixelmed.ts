// Start a private PixelMed DicomAndWebStorageServer (Debian packages `pixelmed-apps`,
// `libpixelmed-java`, 20220618; Java 17) on free loopback ports, with its properties file,
// HSQLDB database, stored images and log in a temp dir; load it over C-STORE with DCMTK
// storescu; stop it by PID.
//
// Verified behaviour of PixelMed 20220618 (com.pixelmed.server.DicomAndWebStorageServer):
// - Configured by one properties file (its only argument): Dicom.ListeningPort,
//   Dicom.CalledAETitle, Application.DatabaseFileName, Application.SavedImagesFolderName,
//   WebServer.ListeningPort, and Dicom.RemoteAEs (local names, each with CalledAETitle,
//   HostNameOrIPAddress, Port, QueryModel): C-GET and C-MOVE are served to those AEs only.
// - It also starts mDNS (JmDNS) discovery and advertising and an LDAP lookup. The JVM property
//   net.mdns.interface=127.0.0.1 keeps JmDNS on the loopback interface; the LDAP lookup fails
//   at once ("Expected authority at index 7: ldap://"), harmlessly.
// - C-STORE: it accepts the uncompressed syntaxes and Deflated, never a compressed pixel syntax
//   (storescu: "unable to convert dataset from 'RLE Lossless' ... to 'Little Endian Explicit'"),
//   nor a private SOP class ("No Acceptable Presentation Contexts"). It stores the data set in the
//   syntax it was received in, byte for byte (so each fixture is sent in its own syntax).
// - Association as a C-GET SCP: for each storage class it accepts Explicit VR LE, Big Endian and
//   Deflated contexts, and REJECTS a context with Implicit VR LE only when another context of the
//   same class offers Explicit VR LE. It sends each instance on the Deflated context when one is
//   accepted, else on Explicit VR LE (stored bytes unchanged when stored so), converting as needed.
// - C-FIND: answers SOP Class UID at IMAGE level only with the series given (hierarchical),
//   no Available Transfer Syntax UID, no SOP Classes in Study.
// - Timing (this machine): ready ~0.8 s after spawn; SIGTERM stops it in ~1.5 s.
// - It listens on all interfaces (no bind-address property).

import fs from 'node:fs';
import path from 'node:path';
import { freePorts, canConnect, LOOPBACK } from './ports.ts';
import { readPart10, runDcmtk } from './dcmtk.ts';
import {
  dcmtkBinary,
  keepPeerDirs,
  makeTempDir,
  peerEnv,
  removeDir,
  requireBinary,
  spawnLogged,
  stopOnce,
  stopProcess,
  tailFile,
  waitUntilReady,
  withStartRetries,
  type LoadedPeer,
} from './peers.ts';

export const PIXELMED_MISSING = 'PixelMed is not installed: apt-get install -y pixelmed-apps libpixelmed-java default-jre-headless';
export const PIXELMED_JAR = '/usr/share/java/pixelmed.jar';
export const PIXELMED_SERVER = 'com.pixelmed.server.DicomAndWebStorageServer';

/** Each stored syntax sent as itself: storescu's flag proposing it (and only it, or it first). */
const STORESCU_SYNTAX_FLAG: Record<string, string> = {
  '1.2.840.10008.1.2': '-xi', // Implicit VR LE only
  '1.2.840.10008.1.2.1.99': '-xd', // Deflated first
};

export interface PixelmedOptions {
  /** Its AE title (Dicom.CalledAETitle). Default 'PIXELMED'. */
  aet?: string;
  /** Calling AE titles it knows (Dicom.RemoteAEs), the only ones it serves C-GET to.
   * Default DCMGET, GETSCU and STORESCU (the loader). */
  knownCallers?: string[];
  /** Files to store at start (same as load() after start). */
  files?: string[];
  /** C-MOVE destinations (Dicom.RemoteAEs with their port): a known caller of the same AE title gets the port. */
  moveDestinations?: { aet: string; port: number }[];
  /** Start-up timeout in ms. Default 30000. */
  startTimeoutMs?: number;
}

export interface LoadResult {
  /** SOP Instance UIDs PixelMed answered Success for. */
  stored: string[];
  /** Files it would not take, with storescu's reason. */
  refused: { file: string; reason: string }[];
}

/** dir: pixelmed.properties, db.* (HSQLDB), images/, pixelmed.log. stop(): SIGKILL after graceMs, default 10000. */
export interface PixelmedServer extends LoadedPeer {
  readonly webPort: number;
  readonly imagesDir: string;
  /** C-STORE each file with storescu, proposing the file's own syntax; never throws for a refusal.
   * version is the jar's date (e.g. '20220618'); instances() are its stored files' names. */
  load(files: string[]): Promise<LoadResult>;
}

export function pixelmedProperties(p: { aet: string; port: number; webPort: number; dir: string; knownCallers: string[]; moveDestinations?: { aet: string; port: number }[] }): string {
  // One entry per AE title: PixelMed connects to the port of the entry a C-MOVE names.
  const destinations = new Map((p.moveDestinations ?? []).map((d) => [d.aet, d.port]));
  const aets = [...new Set([...p.knownCallers, ...destinations.keys()])];
  const names = aets.map((_, i) => `caller${i + 1}`);
  return [
    `Dicom.ListeningPort=${p.port}`,
    `Dicom.CalledAETitle=${p.aet}`,
    `Dicom.CallingAETitle=${p.aet}`,
    'Dicom.PrimaryDeviceType=ARCHIVE',
    `Dicom.RemoteAEs=${names.join(' ')}`,
    ...aets.flatMap((aet, i) => [
      `Dicom.RemoteAEs.${names[i]}.CalledAETitle=${aet}`,
      `Dicom.RemoteAEs.${names[i]}.HostNameOrIPAddress=${LOOPBACK}`,
      `Dicom.RemoteAEs.${names[i]}.Port=${destinations.get(aet) ?? 104}`, // only used when PixelMed connects out (C-MOVE)
      `Dicom.RemoteAEs.${names[i]}.QueryModel=STUDYROOT`,
      `Dicom.RemoteAEs.${names[i]}.PrimaryDeviceType=WSD`,
    ]),
    `WebServer.ListeningPort=${p.webPort}`,
    `Application.DatabaseFileName=${path.join(p.dir, 'db')}`,
    `Application.SavedImagesFolderName=${path.join(p.dir, 'images')}`,
    '',
  ].join('\n');
}

function pixelmedVersion(): string {
  try {
    return /pixelmed-(\d+)\.jar$/.exec(fs.realpathSync(PIXELMED_JAR))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
}

export async function startPixelmed(opts: PixelmedOptions = {}): Promise<PixelmedServer> {
  const java = requireBinary(['java'], `${PIXELMED_MISSING} (missing: java)`);
  if (!fs.existsSync(PIXELMED_JAR)) throw new Error(`${PIXELMED_MISSING} (missing: ${PIXELMED_JAR})`);
  dcmtkBinary('storescu'); // the loader: fail now, not at load()
  const aet = opts.aet ?? 'PIXELMED';
  const knownCallers = opts.knownCallers ?? ['DCMGET', 'GETSCU', 'STORESCU'];
  const timeoutMs = opts.startTimeoutMs ?? 30_000;

  return withStartRetries(3, async () => {
    const dir = await makeTempDir('pixelmed');
    const [port, webPort] = (await freePorts(2)) as [number, number];
    const propertiesFile = path.join(dir, 'pixelmed.properties');
    const logFile = path.join(dir, 'pixelmed.log');
    const imagesDir = path.join(dir, 'images');
    await fs.promises.writeFile(propertiesFile, pixelmedProperties({ aet, port, webPort, dir, knownCallers, ...(opts.moveDestinations ? { moveDestinations: opts.moveDestinations } : {}) }));
    const args = ['-Djava.awt.headless=true', '-Dnet.mdns.interface=127.0.0.1', '-cp', PIXELMED_JAR, PIXELMED_SERVER, propertiesFile];
    const proc = spawnLogged(java, args, { cwd: dir, logFile, env: peerEnv() });
    let startupMs: number;
    try {
      startupMs = await waitUntilReady(proc, `PixelMed (${aet}, port ${port})`, () => canConnect(port), { timeoutMs, intervalMs: 50 });
    } catch (err) {
      await stopProcess(proc, 0).catch(() => {});
      if (!keepPeerDirs()) await removeDir(dir);
      throw err;
    }

    const load = async (files: string[]): Promise<LoadResult> => {
      const result: LoadResult = { stored: [], refused: [] };
      for (const file of files) {
        const info = readPart10(file);
        const flag = STORESCU_SYNTAX_FLAG[info.transferSyntaxUID] ?? '-xe';
        // -R: only the file's own class; one association per file so one refusal stops nothing else.
        const r = await runDcmtk('storescu', [flag, '-R', '-aet', 'STORESCU', '-aec', aet, LOOPBACK, String(port), file], { timeoutMs: 60_000 });
        if (r.code === 0 && !/^[EF]: /m.test(r.stderr)) result.stored.push(info.sopInstanceUID);
        else result.refused.push({ file, reason: (r.stderr.split('\n').find((l) => /^[EFW]: /.test(l)) ?? `exit ${r.code}`).slice(3) });
      }
      return result;
    };

    const server: PixelmedServer = {
      aet,
      host: LOOPBACK,
      port,
      webPort,
      dir,
      imagesDir,
      pid: proc.pid,
      logFile,
      startupMs,
      version: pixelmedVersion(),
      load,
      async instances(): Promise<string[]> {
        // PixelMed names each stored file by its SOP Instance UID, in a hashed folder tree.
        return filesUnder(imagesDir).map((f) => path.basename(f)).sort();
      },
      logTail: (lines = 60) => tailFile(logFile, lines),
      stop: stopOnce(proc, dir, 10_000),
    };
    if (opts.files && opts.files.length > 0) await load(opts.files);
    return server;
  });
}
