// Stage 1 of a retrieve (ARCHITECTURE.md "The stages of a retrieve"): the options, resolved once.
// Every default lives here; the library and the command line read the same values.
import type tls from 'node:tls';
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import type { UserIdentityRq } from '../ul/pdu-types.ts';
import type { UlLogger } from '../ul/association.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/implementation.ts';
import { retrieveModelByName, retrieveModelByUid, type RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { UsageError } from '../dicom/usage-error.ts';
import type { OnExists } from '../output/instance-writer.ts';
import { DEFAULT_LAYOUT } from '../output/output-layout.ts';
import type { StorageProposal } from './presentation-contexts.ts';
import type { RetrieveEvent } from './events.ts';
import type { Shard } from './shard.ts';

export const DEFAULTS = {
  callingAeTitle: 'DCMGET',
  calledAeTitle: 'ANY-SCP',
  /** Our receive Maximum Length (PS3.8 D.1): large PDUs cost the peer fewer writes and us fewer headers. */
  maxPduLength: 1024 * 1024,
  connectTimeoutMs: 30_000,
  acseTimeoutMs: 30_000,
  /**
   * The longest silence from the peer while an operation is outstanding. A healthy PACS that must
   * first bring a study back from nearline storage (tape, a cloud tier) can be silent for minutes
   * before its first C-STORE; one that is frozen or whose host vanished without a FIN never
   * speaks again. Five minutes lets the first finish and still ends a stuck job in a time a batch
   * scheduler tolerates; 0 waits for ever.
   */
  dimseTimeoutMs: 300_000,
  totalTimeoutMs: 0,
  model: 'patient',
  layout: DEFAULT_LAYOUT,
  onExists: 'overwrite' as OnExists,
  parallel: 1,
  /** How long after a C-CANCEL the peer may take to send its final response (PS3.7 9.3.2.3). */
  cancelGraceMs: 30_000,
} as const;

export interface PeerOptions {
  host: string;
  port: number;
  /** Our AE title (getscu -aet); default DCMGET. */
  callingAeTitle?: string | undefined;
  /** The peer's AE title (getscu -aec); default ANY-SCP. */
  calledAeTitle?: string | undefined;
  /** Our receive Maximum Length (PS3.8 D.1); 0 for no limit. */
  maxPduLength?: number | undefined;
  connectTimeoutMs?: number | undefined;
  acseTimeoutMs?: number | undefined;
  /** Longest silence from the peer during an operation (default 300 000); 0 for none. */
  dimseTimeoutMs?: number | undefined;
  /** DICOM over TLS (node:tls options: ca, cert, key, minVersion, ciphers, rejectUnauthorized…). */
  tls?: tls.ConnectionOptions | undefined;
  /** PS3.7 D.3.3.7 User Identity Negotiation. */
  userIdentity?: UserIdentityRq | undefined;
  logger?: UlLogger | undefined;
}

/**
 * C-MOVE (PS3.4 C.4.2): dcmget names itself as the destination and takes the C-STOREs on a Storage
 * SCP of its own. The PACS must know `aeTitle` with this host's address and `port`, and be able
 * to connect to it (README "When the PACS has no C-GET: C-MOVE").
 */
export interface MoveOptions {
  /** Our AE title as the C-MOVE's destination (movescu -aem); default: the calling AE title. */
  aeTitle?: string | undefined;
  /** The port the Storage SCP listens on (movescu +P), 1..65535. */
  port: number;
  /** The address it listens on; default every address. */
  listenAddress?: string | undefined;
  /**
   * Hosts the PACS may connect from beside `host` (its associations may come from another address:
   * NAT, a second interface). Only these and `host`'s addresses are let in.
   */
  peerHosts?: string[] | undefined;
  /** The PACS's own AE title as it calls us: when given, no other calling AE title is let in. */
  peerAeTitle?: string | undefined;
}

/** How instances are asked for: C-GET, C-MOVE, or C-GET where the PACS accepts it and C-MOVE where not. */
export type Via = 'get' | 'move' | 'auto';

export interface RetrieveOptions extends PeerOptions {
  /** C-GET ('get'), C-MOVE ('move', needs `move`), or 'auto': C-GET unless the PACS does not accept its context. Default: 'auto' when `move` is given, else 'get'. */
  via?: Via | undefined;
  /** dcmget's Storage SCP for C-MOVE: its port, AE title, and who may connect. */
  move?: MoveOptions | undefined;
  /** Query/Retrieve model: a name ('patient', 'study', 'patient-study-only', …) or a GET SOP Class UID. */
  model?: string | undefined;
  /** What to retrieve: one Identifier per request (build them with buildIdentifier()). */
  identifiers: DicomJsonDataset[];
  outputDirectory: string;
  /** Storage contexts to propose, whole; default: sized per unit from the inventory. */
  storage?: StorageProposal[] | undefined;
  /** Ask the peer with C-FIND what the match holds before the C-GET (default true; --no-plan). */
  plan?: boolean | undefined;
  /** Storage classes proposed whatever the inventory finds (--storage-class). */
  extraStorageClasses?: string[] | undefined;
  /** The contexts each storage class gets, as lists of transfer syntaxes (--transfer-syntax). */
  contextSyntaxes?: string[][] | undefined;
  /** The transfer syntaxes of the C-GET context (getscu -xi, -xb); default explicit, then implicit VR LE. */
  getTransferSyntaxes?: string[] | undefined;
  /** Associations at once (--parallel); a study or patient is then split by series. Default 1. */
  parallel?: number | undefined;
  /** Ask again for what did not arrive (default true; --no-retry). */
  retry?: boolean | undefined;
  /** Relational retrieve by SOP Class Extended Negotiation (PS3.4 C.5.3). */
  relational?: boolean | undefined;
  /** Where files land under outputDirectory (output-layout.ts); default `{SOPInstanceUID}.dcm`. */
  layout?: string | undefined;
  onExists?: OnExists | undefined;
  fsync?: boolean | undefined;
  ignore?: boolean | undefined;
  /** An append-only record of finished requests and units: a rerun skips what it lists as complete. */
  ledgerFile?: string | undefined;
  /** Only the requests of this shard (a hash of each request's key): see shard.ts. */
  shard?: Shard | undefined;
  /** Called with every event (the same events startRetrieve's job emits by name). */
  onEvent?: ((event: RetrieveEvent) => void) | undefined;
  warn?: ((message: string) => void) | undefined;
  /**
   * Stops the retrieve when it fires (PS3.7 9.3.2.3): C-CANCEL on every running C-GET (and C-FIND),
   * the final responses awaited for at most `cancelGraceMs`, then the associations released (or
   * aborted if the peer did not answer). The retrieve then rejects with an AbortError (`name`
   * 'AbortError', `cause` the signal's reason, `result` what arrived), whenever the signal fired.
   */
  signal?: AbortSignal | undefined;
  /**
   * Stops the retrieve at once when it fires: every association is aborted (A-ABORT), the file
   * being received is removed, and the retrieve rejects with an AbortError as for `signal`. Give
   * both to escalate, as a second Ctrl-C does on the command line.
   */
  abortNowSignal?: AbortSignal | undefined;
  /** How long the peer may take to end a C-GET after a C-CANCEL before its association is aborted (default 30 000). */
  cancelGraceMs?: number | undefined;
  /** C-CANCEL (as `signal`, but the retrieve resolves, with `result.cancelled`) once this many instances have been stored. */
  cancelAfter?: number | undefined;
  /** A deadline for the whole retrieve; past it the associations are aborted (TimeoutError 'total'). */
  totalTimeoutMs?: number | undefined;
}

/** The options with every default filled in, as every stage reads them. */
export interface Resolved extends RetrieveOptions {
  via: Via;
  model: string;
  modelInfo: RetrieveModel;
  callingAeTitle: string;
  calledAeTitle: string;
  layout: string;
  onExists: OnExists;
  parallel: number;
  retry: boolean;
  plan: boolean;
  ignore: boolean;
  fsync: boolean;
  cancelGraceMs: number;
}

/** A model by name or UID, with the SOP class `via` needs (C-GET, C-MOVE, or either for 'auto'). */
export function resolveModel(model: string | undefined, via: Via = 'get'): RetrieveModel {
  const m = retrieveModelByName(model ?? DEFAULTS.model) ?? retrieveModelByUid(model ?? '');
  if (!m) throw new UsageError(`unknown query/retrieve model "${model}"; use patient, study or patient-study-only`);
  if (via === 'get' && !m.get) throw new UsageError(`the ${m.name} has no C-GET SOP class${m.move ? ' (--via move: it has C-MOVE)' : ''}`);
  if (via === 'move' && !m.move) throw new UsageError(`the ${m.name} has no C-MOVE SOP class`);
  if (!m.get && !m.move) throw new UsageError(`the ${m.name} has neither a C-GET nor a C-MOVE SOP class`);
  return m;
}

/** --via, and the C-MOVE options it needs. */
function resolveVia(options: RetrieveOptions): Via {
  const via = options.via ?? (options.move ? 'auto' : 'get');
  if (!['get', 'move', 'auto'].includes(via)) throw new UsageError(`via is get, move or auto, not "${via}"`);
  if (via === 'get') return via;
  // The PACS's associations to our Storage SCP would be plain TCP: the instances unencrypted.
  if (options.tls) throw new UsageError(`--via ${via} with --tls: dcmget's Storage SCP for C-MOVE does not speak TLS, so the instances would come unencrypted; use C-GET (--via get)`);
  const port = options.move?.port;
  if (port === undefined) throw new UsageError(`--via ${via} needs the port dcmget's Storage SCP listens on for the PACS's C-STOREs (--port, movescu's +P)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`the Storage SCP's port must be a whole number from 1 to 65535, not ${port}`);
  return via;
}

export function resolveOptions(options: RetrieveOptions): Resolved {
  const via = resolveVia(options);
  const modelInfo = resolveModel(options.model, via);
  return {
    ...options,
    via,
    model: modelInfo.model,
    modelInfo,
    callingAeTitle: options.callingAeTitle ?? DEFAULTS.callingAeTitle,
    calledAeTitle: options.calledAeTitle ?? DEFAULTS.calledAeTitle,
    layout: options.layout ?? DEFAULTS.layout,
    onExists: options.onExists ?? DEFAULTS.onExists,
    parallel: Math.max(1, Math.floor(options.parallel ?? DEFAULTS.parallel)),
    retry: options.retry !== false && !options.ignore,
    plan: options.plan !== false,
    ignore: options.ignore ?? false,
    fsync: options.fsync ?? false,
    cancelGraceMs: Math.max(0, options.cancelGraceMs ?? DEFAULTS.cancelGraceMs),
  };
}

/** What every association of a retrieve (C-FIND and C-GET alike) is opened with. */
export function associationBasics(peer: PeerOptions) {
  return {
    host: peer.host,
    port: peer.port,
    callingAeTitle: peer.callingAeTitle ?? DEFAULTS.callingAeTitle,
    calledAeTitle: peer.calledAeTitle ?? DEFAULTS.calledAeTitle,
    maxReceiveLength: peer.maxPduLength ?? DEFAULTS.maxPduLength,
    implementationClassUid: IMPLEMENTATION_CLASS_UID,
    implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    connectTimeoutMs: peer.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    acseTimeoutMs: peer.acseTimeoutMs ?? DEFAULTS.acseTimeoutMs,
    dimseTimeoutMs: peer.dimseTimeoutMs ?? DEFAULTS.dimseTimeoutMs,
    tls: peer.tls,
    userIdentity: peer.userIdentity,
    logger: peer.logger,
  };
}
