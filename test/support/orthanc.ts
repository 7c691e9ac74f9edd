// Start a private Orthanc (Debian package `orthanc`, 1.10.1) on free loopback
// ports with its own config, storage and log in a temp dir; load instances
// through the REST API; stop it by PID.
//
// What made C-GET work in Orthanc 1.10.1 (verified against the binary):
// - the calling AE title must be in "DicomModalities" (host is not checked,
//   "DicomCheckModalityHost" defaults to false; the port is only used when
//   Orthanc itself connects out) -- or "DicomAlwaysAllowGet": true, which 1.10
//   supports. An unknown caller gets its association ACCEPTED, and then, on
//   the C-GET-RQ, Orthanc logs "DICOM authorization rejected" and sends an
//   A-ABORT (getscu: "Peer aborted Association").
// - "DicomCheckCalledAet": false, so any called AE title is accepted.
// Transfer syntaxes (C-GET SCP): storage contexts proposed with SCP role are
// accepted for any known syntax ("AcceptedTransferSyntaxes" default
// 1.2.840.10008.1.*), uncompressed preferred when several are proposed in one
// context (getscu +xr proposing RLE first still gets Explicit LE). Per
// instance it uses an accepted context of the instance's SOP class with the
// STORED syntax if there is one (data set sent unchanged: byte-identical for
// our Explicit LE fixtures); otherwise, transcoding being on, it transcodes to
// Implicit LE, else Explicit LE, else Big Endian (checked: RLE, Implicit and
// Big Endian files arrive as Explicit LE through getscu's single context).
// An instance of a SOP class with no accepted context ends the WHOLE C-GET:
// final status 0xC000, Failed +1, no data set (no Failed SOP Instance UID
// List), and the instances not yet sent are silently dropped from the counts.
// Timing (this machine): ready ~120-250 ms after spawn; a graceful stop
// (SIGTERM) takes ~2.5-3.5 s (HTTP server ~1.5 s, DICOM server ~1 s).

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { freePorts, canConnect, LOOPBACK } from './ports.ts';
import {
  ORTHANC_MISSING,
  keepPeerDirs,
  makeTempDir,
  peerEnv,
  removeDir,
  requireBinary,
  spawnLogged,
  stopProcess,
  tailFile,
  waitUntilReady,
  withStartRetries,
  type ManagedProcess,
} from './peers.ts';

export interface OrthancCaller {
  aet: string;
  host?: string;
  port?: number;
}

export interface OrthancOptions {
  /** Orthanc's own AE title (DicomAet). Default 'ORTHANC'. */
  aet?: string;
  /** Remote AEs allowed to query/retrieve (DicomModalities). Default DCMGET and GETSCU on 127.0.0.1. */
  allowedCallers?: OrthancCaller[];
  /** DicomAlwaysAllowGet: serve C-GET to any calling AE title. Default false. */
  alwaysAllowGet?: boolean;
  /** Merged last into the generated orthanc.json (e.g. { MaximumPduLength: 131072 }). */
  extraConfig?: Record<string, unknown>;
  /** A fixed DICOM port (the demo's 4242, Orthanc's own default); default: a free one. */
  dicomPort?: number;
  /** Start-up timeout in ms (HTTP /system answers and DICOM port accepts). Default 30000. */
  startTimeoutMs?: number;
  /** Extra command-line flags, e.g. ['--verbose-dicom']. Default ['--verbose']. */
  logFlags?: string[];
}

export interface OrthancServer {
  readonly aet: string;
  readonly host: '127.0.0.1';
  readonly dicomPort: number;
  readonly httpPort: number;
  /** Temp dir holding orthanc.json, storage/, index/, orthanc.log. */
  readonly dir: string;
  readonly pid: number;
  readonly logFile: string;
  readonly configFile: string;
  /** Milliseconds from spawn to ready. */
  readonly startupMs: number;
  /** POST each file to /instances; each must answer 200 with Status Success or AlreadyStored. */
  upload(files: string[]): Promise<void>;
  /** SOP Instance UIDs held (sorted). */
  instances(): Promise<string[]>;
  /** GET/POST/DELETE on the REST API; JSON in and out. Throws on non-2xx. */
  rest<T = unknown>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', urlPath: string, body?: unknown): Promise<T>;
  /** The last lines of the Orthanc log (for failing tests). */
  logTail(lines?: number): string;
  /** SIGTERM by PID, wait (Orthanc 1.10 needs ~3 s to stop), SIGKILL after graceMs
   * (default 15000; 0 = SIGKILL at once), then remove the temp dir. Idempotent. */
  stop(opts?: { graceMs?: number }): Promise<void>;
}

export const ORTHANC_BIN = '/usr/sbin/Orthanc';

export const DEFAULT_ORTHANC_CALLERS: OrthancCaller[] = [
  { aet: 'DCMGET', host: LOOPBACK },
  { aet: 'GETSCU', host: LOOPBACK },
];

/** The orthanc.json we generate (exported so the lead can read/print it). */
export function orthancConfig(p: {
  dir: string;
  aet: string;
  dicomPort: number;
  httpPort: number;
  callers: OrthancCaller[];
  alwaysAllowGet: boolean;
  extraConfig?: Record<string, unknown>;
}): Record<string, unknown> {
  const modalities: Record<string, unknown> = {};
  p.callers.forEach((c, i) => {
    // 1.10 accepts either ["AET", "host", port] or this object form; the
    // object form lets us state the Allow* flags explicitly.
    modalities[`caller${i + 1}-${c.aet.toLowerCase()}`] = {
      AET: c.aet,
      Host: c.host ?? LOOPBACK,
      Port: c.port ?? 104, // only used if Orthanc connects out (C-MOVE/C-STORE SCU)
      AllowEcho: true,
      AllowFind: true,
      AllowGet: true,
      AllowMove: true,
      AllowStore: true,
      AllowTranscoding: true,
    };
  });
  return {
    Name: `dcmget-test-${p.aet}`,
    StorageDirectory: path.join(p.dir, 'storage'),
    IndexDirectory: path.join(p.dir, 'index'),
    Plugins: [],
    ConcurrentJobs: 2,
    SaveJobs: false,
    HttpServerEnabled: true,
    HttpPort: p.httpPort,
    HttpCompressionEnabled: false,
    HttpThreadsCount: 8,
    RemoteAccessAllowed: false, // 1.10 has no bind-address option: it listens on all interfaces, answers HTTP from loopback only
    AuthenticationEnabled: false,
    WebDavEnabled: false,
    DicomServerEnabled: true,
    DicomAet: p.aet,
    DicomPort: p.dicomPort,
    DicomCheckCalledAet: false,
    DicomCheckModalityHost: false,
    DicomAlwaysAllowEcho: true,
    DicomAlwaysAllowStore: true,
    DicomAlwaysAllowGet: p.alwaysAllowGet,
    DicomModalities: modalities,
    DicomModalitiesInDatabase: false,
    DicomAssociationCloseDelay: 0,
    DicomScpTimeout: 30,
    DicomThreadsCount: 4,
    StableAge: 1,
    SyncStorageArea: false, // throw-away storage: no fsync per upload
    StorageCompression: false,
    OverwriteInstances: false,
    DeidentifyLogs: false, // show UIDs in the log, it is test data
    TranscodeDicomProtocol: true,
    ...(p.extraConfig ?? {}),
  };
}

function requestJson(
  port: number,
  method: string,
  urlPath: string,
  body?: { json?: unknown; file?: string },
  timeoutMs = 120_000,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    let fileSize: number | undefined;
    let payload: Buffer | undefined;
    if (body?.file !== undefined) {
      fileSize = fs.statSync(body.file).size;
      headers['Content-Type'] = 'application/dicom';
      headers['Content-Length'] = fileSize;
    } else if (body?.json !== undefined) {
      payload = Buffer.from(JSON.stringify(body.json));
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = payload.length;
    }
    const req = http.request({ host: LOOPBACK, port, method, path: urlPath, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body?.file !== undefined) {
      // stream: memory stays flat for large fixtures
      const rs = fs.createReadStream(body.file);
      rs.on('error', (e) => req.destroy(e));
      rs.pipe(req);
    } else {
      req.end(payload);
    }
  });
}

export async function startOrthanc(opts: OrthancOptions = {}): Promise<OrthancServer> {
  const bin = requireBinary([ORTHANC_BIN, 'Orthanc'], ORTHANC_MISSING);
  const aet = opts.aet ?? 'ORTHANC';
  const callers = opts.allowedCallers ?? DEFAULT_ORTHANC_CALLERS;
  const timeoutMs = opts.startTimeoutMs ?? 30_000;

  return withStartRetries(3, async () => {
    const dir = await makeTempDir('orthanc');
    const [freeDicomPort, httpPort] = (await freePorts(2)) as [number, number];
    const dicomPort = opts.dicomPort ?? freeDicomPort;
    const configFile = path.join(dir, 'orthanc.json');
    const logFile = path.join(dir, 'orthanc.log');
    const config = orthancConfig({
      dir,
      aet,
      dicomPort,
      httpPort,
      callers,
      alwaysAllowGet: opts.alwaysAllowGet ?? false,
      ...(opts.extraConfig ? { extraConfig: opts.extraConfig } : {}),
    });
    await fs.promises.writeFile(configFile, JSON.stringify(config, null, 2));
    // --logfile: Orthanc writes its own log there; our stdout/stderr capture
    // (orthanc.stdout.log) only gets what Orthanc prints before logging is up.
    const args = [...(opts.logFlags ?? ['--verbose']), `--logfile=${logFile}`, '--no-jobs', configFile];
    const proc: ManagedProcess = spawnLogged(bin, args, {
      cwd: dir,
      logFile: path.join(dir, 'orthanc.stdout.log'),
      env: peerEnv(),
    });
    const bothLogs = (n: number): string =>
      [tailFile(proc.logFile, 10), tailFile(logFile, n)].filter((s) => s !== '').join('\n');
    let startupMs: number;
    try {
      startupMs = await waitUntilReady(
        proc,
        `Orthanc (${aet}, dicom ${dicomPort}, http ${httpPort})`,
        async () => {
          try {
            const r = await requestJson(httpPort, 'GET', '/system', undefined, 1_000);
            if (r.status !== 200) return false;
          } catch {
            return false;
          }
          return canConnect(dicomPort);
        },
        { timeoutMs, logTail: () => bothLogs(60) },
      );
    } catch (err) {
      await stopProcess(proc, 0).catch(() => {});
      if (!keepPeerDirs()) await removeDir(dir);
      throw err;
    }

    let stopped: Promise<void> | undefined;
    const rest = async <T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', urlPath: string, body?: unknown): Promise<T> => {
      const r = await requestJson(httpPort, method, urlPath, body === undefined ? undefined : { json: body });
      if (r.status < 200 || r.status >= 300) throw new Error(`Orthanc ${method} ${urlPath}: HTTP ${r.status}: ${r.text}`);
      return (r.text === '' ? undefined : JSON.parse(r.text)) as T;
    };

    const server: OrthancServer = {
      aet,
      host: LOOPBACK,
      dicomPort,
      httpPort,
      dir,
      pid: proc.pid,
      logFile,
      configFile,
      startupMs,
      async upload(files: string[]): Promise<void> {
        const queue = [...files];
        const worker = async (): Promise<void> => {
          for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
            const r = await requestJson(httpPort, 'POST', '/instances', { file: f });
            let status: unknown;
            try {
              status = (JSON.parse(r.text) as { Status?: unknown }).Status;
            } catch {
              status = undefined;
            }
            if (r.status !== 200 || (status !== 'Success' && status !== 'AlreadyStored')) {
              throw new Error(`Orthanc upload of ${f} failed: HTTP ${r.status}: ${r.text}`);
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(4, files.length) }, worker));
      },
      async instances(): Promise<string[]> {
        const list = await rest<{ MainDicomTags?: { SOPInstanceUID?: string } }[]>('GET', '/instances?expand');
        return list
          .map((i) => i.MainDicomTags?.SOPInstanceUID)
          .filter((u): u is string => typeof u === 'string')
          .sort();
      },
      rest,
      logTail(lines = 60): string {
        return bothLogs(lines);
      },
      stop(o?: { graceMs?: number }): Promise<void> {
        stopped ??= (async () => {
          await stopProcess(proc, o?.graceMs ?? 15_000);
          if (!keepPeerDirs()) await removeDir(dir);
        })();
        return stopped;
      },
    };
    return server;
  });
}
