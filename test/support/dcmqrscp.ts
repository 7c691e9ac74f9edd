// Start a private DCMTK dcmqrscp (Debian package `dcmtk`, 3.6.7) on a free
// loopback port, with its config, storage area and log in a temp dir.
//
// Verified behaviour of dcmqrscp 3.6.7 (Debian):
// - Must run in fork mode (--fork, the default on Linux). In single-process
//   mode (-s) it SEGFAULTs (exit 139) right after the first association, even
//   a plain C-ECHO.
// - C-GET needs nothing special with the built-in negotiation: storage
//   contexts proposed with SCP role are accepted with role SCP, for the
//   uncompressed transfer syntaxes only (Explicit VR LE preferred, then BE,
//   Implicit LE). --prefer-* flags add ONE compressed syntax; for more, an
//   association profile (-xf) is needed, and that profile MUST contain an
//   SCP/SCU role selection section or every sub-operation fails with "No
//   presentation context with requestor SCP role" (see acceptAllTransferSyntaxes).
// - For each instance it uses the FIRST accepted presentation context of the
//   instance's SOP class, whatever its transfer syntax, and converts the file
//   on the fly between uncompressed syntaxes (Implicit->Explicit LE, Big->Little
//   checked). It cannot decompress (no codecs registered): an RLE/JPEG file
//   offered only uncompressed contexts fails that sub-operation.
// - A failed sub-operation (no context for the SOP class, conversion failure)
//   counts as Failed and the C-GET goes on with the others; the final
//   C-GET-RSP is 0xB000 (some failed) or 0xA702 (all failed) and CARRIES a
//   data set with Failed SOP Instance UID List (0008,0058). getscu does not
//   read it and then reports "Association Release Failed: DUL P-Data PDU arrived".
// - Unknown calling AE (when allowedCallers is set) or wrong called AE:
//   A-ASSOCIATE-RJ permanent, source service user, reason "Called AE Title
//   Not Recognized" (for both cases).
// - Quota caps: at most 500 studies per storage area and 1024 MB per study
//   (larger values are clamped with a warning). dcmqridx bypasses the quota,
//   it only applies to C-STOREs received by dcmqrscp.
// - Timing (this machine): ready ~40-60 ms after spawn; stops at once on SIGTERM.
// - It listens on all interfaces (no bind-address option in 3.6.7).

import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { freePort, canConnect, LOOPBACK } from './ports.ts';
import {
  DCMTK_MISSING,
  dcmtkBinary,
  keepPeerDirs,
  linkOrCopy,
  makeTempDir,
  peerEnv,
  removeDir,
  spawnLogged,
  stopOnce,
  stopProcess,
  tailFile,
  waitUntilReady,
  withStartRetries,
  type LoadedPeer,
} from './peers.ts';

export interface DcmqrscpOptions {
  /** The archive's AE title (AETable entry). Default 'DCMQRSCP'. */
  aet?: string;
  /** Calling AE titles allowed (HostTable, host 127.0.0.1). Default: ANY caller. */
  allowedCallers?: string[];
  /** C-MOVE destinations it knows (HostTable: AE title, host, port), e.g. dcmget's Storage SCP. */
  moveDestinations?: MoveDestination[];
  /** MaxPDUSize (4096..131072). Default 16384. */
  maxPdu?: number;
  /** Use an association profile accepting every common transfer syntax
   * (uncompressed first, then deflate, JPEG, JPEG-LS, JPEG 2000, RLE, MPEG,
   * HEVC) with SCP/SCU role selection for all storage SOP classes. Default
   * false: uncompressed only. */
  acceptAllTransferSyntaxes?: boolean;
  /** Like acceptAllTransferSyntaxes but with this ordered list (acceptor's
   * preference, first = preferred when the requestor proposes several in one
   * context). E.g. ['1.2.840.10008.1.2.5', ...UNCOMPRESSED] to serve RLE files as-is. */
  transferSyntaxes?: string[];
  /** Files to load before start (same as load() after start). */
  files?: string[];
  /** Logging flags. Default ['-v'] (use ['-d'] to see the PDUs). */
  logFlags?: string[];
  /** More dcmqrscp flags, e.g. ['+xr'] (prefer RLE). */
  extraArgs?: string[];
  /** Start-up timeout in ms. Default 15000. */
  startTimeoutMs?: number;
}

/** dir: dcmqrscp.cfg, profile.cfg, db/<AET>/ (storage area + index.dat), dcmqrscp.log.
 * stop(): SIGKILL after graceMs, default 10000. */
export interface DcmqrscpServer extends LoadedPeer {
  readonly storageDir: string;
  readonly configFile: string;
  /** Hard-link (or copy) the files into the storage area and register them with dcmqridx.
   * Works before and after start: each association (a forked child) reads the index afresh.
   * instances() reads the index (`dcmqridx -p`). */
  load(files: string[]): Promise<void>;
}

/** A C-MOVE destination in the HostTable; host defaults to 127.0.0.1. */
export interface MoveDestination { aet: string; port: number; host?: string }

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, env: peerEnv(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) + (err && code === -1 ? `\n${err.message}` : '') });
    });
  });
}

/** The dcmqrscp.cfg we generate. */
export function dcmqrscpConfig(p: { aet: string; port: number; storageDir: string; maxPdu: number; allowedCallers?: string[]; moveDestinations?: MoveDestination[] }): string {
  const hosts: string[] = [];
  // A move destination is an entry of its own: dcmqrscp connects to its host and port.
  (p.moveDestinations ?? []).forEach((d, i) => hosts.push(`destination${i + 1} = (${d.aet}, ${d.host ?? LOOPBACK}, ${d.port})`));
  let peers = 'ANY';
  if (p.allowedCallers && p.allowedCallers.length > 0) {
    // With --disable-host-lookup the peer "host name" is its IP address, so
    // 127.0.0.1 here (despite the sample config saying IPs are not allowed).
    // The port is not checked for incoming associations.
    p.allowedCallers.forEach((aet, i) => hosts.push(`caller${i + 1} = (${aet}, ${LOOPBACK}, 0)`));
    hosts.push(`callers = ${p.allowedCallers.map((_, i) => `caller${i + 1}`).join(', ')}`);
    peers = 'callers';
  }
  return [
    `NetworkTCPPort  = ${p.port}`,
    `MaxPDUSize      = ${p.maxPdu}`,
    'MaxAssociations = 64',
    '',
    'HostTable BEGIN',
    ...hosts,
    'HostTable END',
    '',
    'VendorTable BEGIN',
    'VendorTable END',
    '',
    'AETable BEGIN',
    // Entry: AETitle StorageArea Access Quota(maxStudies, maxBytesPerStudy) Peers.
    // 500 studies and 1024mb are the maxima dcmqrscp 3.6.7 accepts.
    `${p.aet} ${p.storageDir} RW (500, 1024mb) ${peers}`,
    'AETable END',
    '',
  ].join('\n');
}

export const ALL_TRANSFER_SYNTAXES = [
  '1.2.840.10008.1.2.1', // Explicit VR Little Endian (first: preferred when proposed)
  '1.2.840.10008.1.2', // Implicit VR Little Endian
  '1.2.840.10008.1.2.2', // Explicit VR Big Endian
  '1.2.840.10008.1.2.1.99', // Deflated Explicit VR LE
  '1.2.840.10008.1.2.4.50', // JPEG Baseline
  '1.2.840.10008.1.2.4.51', // JPEG Extended
  '1.2.840.10008.1.2.4.57', // JPEG Lossless
  '1.2.840.10008.1.2.4.70', // JPEG Lossless SV1
  '1.2.840.10008.1.2.4.80', // JPEG-LS Lossless
  '1.2.840.10008.1.2.4.81', // JPEG-LS Near-Lossless
  '1.2.840.10008.1.2.4.90', // JPEG 2000 Lossless
  '1.2.840.10008.1.2.4.91', // JPEG 2000
  '1.2.840.10008.1.2.5', // RLE Lossless
  '1.2.840.10008.1.2.4.100', // MPEG2 MP@ML
  '1.2.840.10008.1.2.4.101', // MPEG2 MP@HL
  '1.2.840.10008.1.2.4.102', // MPEG-4 AVC/H.264 HP@4.1
  '1.2.840.10008.1.2.4.103', // MPEG-4 AVC/H.264 BD
  '1.2.840.10008.1.2.4.104', // MPEG-4 AVC/H.264 HP@4.2 2D
  '1.2.840.10008.1.2.4.105', // MPEG-4 AVC/H.264 HP@4.2 3D
  '1.2.840.10008.1.2.4.106', // MPEG-4 AVC/H.264 Stereo HP@4.2
  '1.2.840.10008.1.2.4.107', // HEVC Main
  '1.2.840.10008.1.2.4.108', // HEVC Main 10
];

export const UNCOMPRESSED_TRANSFER_SYNTAXES = ALL_TRANSFER_SYNTAXES.slice(0, 3);

export const DCMQRSCP_PROFILE = 'GetAnyTransferSyntax';

/** An association profile (DCMTK asconfig format) accepting transferSyntaxes for the
 * storage SOP classes listed in DCMTK's own /etc/dcmtk/storescp.cfg
 * ([AllDICOMStorageSCP], 128 classes), with role selection BOTH so that C-GET
 * sub-operations may use them. */
export function dcmqrscpProfile(transferSyntaxes: string[] = ALL_TRANSFER_SYNTAXES, storescpCfg = '/etc/dcmtk/storescp.cfg'): string {
  let text: string;
  try {
    text = fs.readFileSync(storescpCfg, 'utf8');
  } catch {
    throw new Error(`${DCMTK_MISSING} (missing: ${storescpCfg}, needed for acceptAllTransferSyntaxes)`);
  }
  const classes: string[] = [];
  let inSection = false;
  for (const line of text.split('\n')) {
    if (/^\s*\[/.test(line)) inSection = /^\s*\[AllDICOMStorageSCP\]\s*$/.test(line);
    else if (inSection) {
      const m = /^PresentationContext\d+\s*=\s*([^\\\s]+)\\/.exec(line);
      if (m?.[1] !== undefined) classes.push(m[1]);
    }
  }
  if (classes.length === 0) throw new Error(`no [AllDICOMStorageSCP] section in ${storescpCfg}`);
  return [
    '[[TransferSyntaxes]]',
    '[Any]',
    ...transferSyntaxes.map((ts, i) => `TransferSyntax${i + 1} = ${ts}`),
    '',
    '[[PresentationContexts]]',
    '[Storage]',
    ...classes.map((c, i) => `PresentationContext${i + 1} = ${c}\\Any`),
    '',
    '[[SCPSCURoleSelection]]',
    '[Roles]',
    ...classes.map((c, i) => `Role${i + 1} = ${c}\\BOTH`),
    '',
    '[[Profiles]]',
    `[${DCMQRSCP_PROFILE}]`,
    'PresentationContexts = Storage',
    'SCPSCURoleSelection = Roles',
    '',
  ].join('\n');
}

export async function startDcmqrscp(opts: DcmqrscpOptions = {}): Promise<DcmqrscpServer> {
  const bin = dcmtkBinary('dcmqrscp');
  const dcmqridx = dcmtkBinary('dcmqridx');
  const aet = opts.aet ?? 'DCMQRSCP';
  if (!/^[\x21-\x7e]{1,16}$/.test(aet) || aet.includes('\\')) throw new Error(`bad AE title for dcmqrscp: ${JSON.stringify(aet)}`);
  const maxPdu = opts.maxPdu ?? 16384;
  const timeoutMs = opts.startTimeoutMs ?? 15_000;

  // One dir (and storage area) for all attempts: files loaded stay loaded.
  const dir = await makeTempDir('dcmqrscp');
  const storageDir = path.join(dir, 'db', aet);
  await fs.promises.mkdir(storageDir, { recursive: true });
  const configFile = path.join(dir, 'dcmqrscp.cfg');
  const logFile = path.join(dir, 'dcmqrscp.log');
  let profileArgs: string[] = [];
  if (opts.acceptAllTransferSyntaxes || opts.transferSyntaxes) {
    const profileFile = path.join(dir, 'profile.cfg');
    await fs.promises.writeFile(profileFile, dcmqrscpProfile(opts.transferSyntaxes ?? ALL_TRANSFER_SYNTAXES));
    profileArgs = ['-xf', profileFile, DCMQRSCP_PROFILE, DCMQRSCP_PROFILE];
  }

  let seq = 0;
  const load = async (files: string[]): Promise<void> => {
    const targets: string[] = [];
    for (const f of files) {
      const dest = path.join(storageDir, `f${String(++seq).padStart(6, '0')}.dcm`);
      await linkOrCopy(path.resolve(f), dest);
      targets.push(dest);
    }
    for (let i = 0; i < targets.length; i += 200) {
      const chunk = targets.slice(i, i + 200);
      const r = await run(dcmqridx, [storageDir, ...chunk], 120_000);
      if (r.code !== 0 || /^[EF]: /m.test(r.stderr)) {
        throw new Error(`dcmqridx failed (code ${r.code}) registering ${chunk.length} file(s): ${r.stderr}${r.stdout}`);
      }
    }
  };
  const instances = async (): Promise<string[]> => {
    const r = await run(dcmqridx, ['-p', storageDir], 60_000);
    if (r.code !== 0) throw new Error(`dcmqridx -p failed (code ${r.code}): ${r.stderr}`);
    const uids = [...r.stdout.matchAll(/^\s*SOPInstanceUID: "([^"]*)"/gm)].map((m) => m[1] ?? '');
    return [...new Set(uids.filter((u) => u !== ''))].sort();
  };

  try {
    if (opts.files && opts.files.length > 0) await load(opts.files);
    const { proc, port, startupMs } = await withStartRetries(3, async () => {
      const port = await freePort();
      await fs.promises.writeFile(configFile, dcmqrscpConfig({ aet, port, storageDir, maxPdu, ...(opts.allowedCallers ? { allowedCallers: opts.allowedCallers } : {}), ...(opts.moveDestinations ? { moveDestinations: opts.moveDestinations } : {}) }));
      const args = [
        '-c', configFile,
        '--fork', // single-process mode crashes after the first association in 3.6.7
        '--disable-host-lookup',
        ...profileArgs,
        ...(opts.logFlags ?? ['-v']),
        ...(opts.extraArgs ?? []),
        String(port),
      ];
      const proc = spawnLogged(bin, args, { cwd: dir, logFile, env: peerEnv() });
      try {
        // Readiness = the port accepts TCP. The probe shows in the log as a
        // refused association ("Bad AppContextName ... Association Reject Failed"): harmless.
        const startupMs = await waitUntilReady(proc, `dcmqrscp (${aet}, port ${port})`, () => canConnect(port), { timeoutMs });
        return { proc, port, startupMs };
      } catch (err) {
        await stopProcess(proc, 0).catch(() => {});
        throw err;
      }
    });

    const version = /v(\d+\.\d+\.\d+)/.exec((await run(bin, ['--version'], 10_000)).stdout)?.[1] ?? 'unknown';
    return {
      aet,
      host: LOOPBACK,
      port,
      dir,
      storageDir,
      pid: proc.pid,
      logFile,
      configFile,
      startupMs,
      version,
      load,
      instances,
      logTail: (lines = 60) => tailFile(logFile, lines),
      stop: stopOnce(proc, dir, 10_000),
    };
  } catch (err) {
    if (!keepPeerDirs()) await removeDir(dir);
    throw err;
  }
}
