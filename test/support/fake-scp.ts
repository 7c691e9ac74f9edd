// A scriptable C-GET SCP (association acceptor) for tests: what no real server does on demand.
// Written on dcmget's own codecs (src/ul, src/dimse, src/dicom) where they fit; malformed bytes
// are written raw. Protocol-correct by default (DCMTK getscu retrieves from it), hostile on request.
//
//   const scp = await startFakeScp({ instances: fixtureInstances(), get: { pending: 'counters' } });
//   // dcmget -aec FAKE 127.0.0.1 ${scp.port} ...
//   await scp.waitFor((e) => e.type === 'closed');
//   scp.events      // everything it received and did, in order (FakeEvent)
//   await scp.stop()
//
// Listens on 127.0.0.1 on a free port; several associations may come in turn or together, each
// served by the same script. The script (FakeScpScript, all optional):
//
//   aeTitle                     its AE title (default FAKE); checkCalledAeTitle: reject others (reason 7)
//   association.reject          A-ASSOCIATE-RJ {result, source, reason} instead of AC
//   association.maxAssociations at most this many at once; more get A-ASSOCIATE-RJ 2/3/2 (local limit
//                               exceeded), or with overLimit 'permanent' 1/1/1, or 'close': closed unanswered
//   association.maxLength       the Maximum Length it announces (default 16384, 0 = unlimited); its
//                               parser holds the requestor to it ('protocol-error' event otherwise)
//   association.roles           answer to SCP/SCU Role Selection items: 'grant' (echo the request,
//                               default), 'deny' (answer with SCP role 0), 'omit' (no role items)
//   association.rejectAbstractSyntaxes   answered 3 "abstract syntax not supported"
//   association.transferSyntax  (abstractSyntax, proposed) => chosen TS, or undefined to answer 4
//                               "transfer syntaxes not supported". Default: the proposed TS most of the
//                               served instances of that class are in, else Explicit, Implicit, first.
//   instances                   InstanceSource[] served by C-GET (fixtureInstances(), part10Instance(),
//                               syntheticInstance() of ./synthetic.ts, withSopInstanceUid()); those
//                               matching the Identifier's PatientID / Study / Series / SOP Instance UID
//                               keys (match: 'all' serves all of them whatever the Identifier)
//   get.pending                 a C-GET-RSP Pending after each sub-operation: 'counters' (default),
//                               'bare' (no counters; they are optional), 'none'
//   get.final                   {status, errorComment, offendingElement, failedUids, counters, claim (the
//                               counters the final response claims, whatever was sent),
//                               failedList: 'identifier' (default: Explicit/Implicit VR LE data set on
//                               the GET context) | 'command' (DCMTK/Orthanc quirk: (0008,0058) inside the
//                               command PDV after group 0000) | 'none', immediate: send it at once,
//                               no sub-operations}. Default status: 0x0000; 0xB000 after failures or
//                               warnings; 0xA702 when every sub-operation failed.
//   get.noContext               an instance with no accepted context of its SOP class and TS (and SCP
//                               role): 'fail-sub-op' (default: counted failed, listed) or 'fail-get'
//                               (Orthanc-like: final 0xC000 at once)
//   get.outcomes                {index: 'fail' | 'warn'}: 'fail' = not sent, counted failed and listed;
//                               'warn' = sent, counted as a warning whatever the C-STORE-RSP said
//   get.cancel                  C-CANCEL-RQ: 'honour' (default: before the next sub-operation, final
//                               0xFE00 with counters) or 'ignore'
//   get.fault                   {at: 'after-get-rq' | 'after-sub-ops' (count) | 'mid-dataset' (subOp,
//                               afterBytes = half, midPdu = true: cut inside a PDU),
//                               action: 'abort' (A-ABORT, abortSource/abortReason) | 'fin' (socket.end)
//                               | 'rst' (socket.resetAndDestroy) | 'stall' (silence, socket kept open)}
//   get.fragmentDelayMs, get.subOpDelayMs, get.maxFragment   slow mode / small PDUs
//   get.duplicate               sub-operation indexes (of the matched list) sent twice in a row
//   get.ignoreRoles             send C-STORE on a storage context whose SCP role was not granted
//   get.ignoreTransferSyntax    send the data set on an accepted context of its class whatever its TS
//   get.oversizePdu             sub-op index whose data set goes in P-DATA-TFs longer than the
//                               requestor's Maximum Length
//   get.malformed               {subOp, kind: 'pdv-overrun' (PDV item longer than its PDU) |
//                               'huge-command-element' (a command element claiming ~4 GB) |
//                               'unknown-pdu' (PDU type 0x0A)}, sent instead of that sub-operation
//   get.storeDataSetType        Command Data Set Type of its C-STORE-RQs (default 0x0000)
//   get.failFirst               SOP Instance UIDs that fail the first time a C-GET matches each (transient)
//   get.refuseUidList           a status (e.g. 0xC400): a C-GET whose Identifier lists more than one
//                               SOP Instance UID is answered with it at once, before any sub-operation
//   get.misbehave               {at, kind}: 'rsp-wrong-message-id' (the pending C-GET-RSP after sub-op
//                               `at` answers another Message ID), 'release-rq' (A-RELEASE-RQ from the
//                               SCP instead of sub-op `at`), 'unaccepted-context' (sub-op `at` sent on
//                               a context that was never accepted), 'garbled-identifier' (the final
//                               response's Identifier is an element overrunning its data set)
//   echo.status                 C-ECHO-RSP status (default 0x0000)
//   find                        {matches: [{Keyword: value}], status}: C-FIND-RSP Pending per match
//                               (encoded in the context's TS), then the final status (default 0).
//                               Without matches it is a real C-FIND SCP over the served instances
//                               (PATIENT..IMAGE; SOP Classes in Study, Available Transfer Syntax UID),
//                               which is what dcmget's inventory asks before its C-GET. As real
//                               ones do, it may fall short: find.rowPerInstance (one row per instance
//                               at every level), noSopClassesInStudy, noSopClassUid, refuseLevels {LEVEL: status},
//                               hide [SOP Instance UIDs] (a partial listing answered Success), counts
//                               (Number of Study/Series Related Instances, hidden ones included),
//                               limit {rows, status} (a result limit), delayMs (a pause before each
//                               match: a slow archive, for a C-CANCEL during the C-FIND).
// Sub-operation indexes count the C-STORE sub-operations of one C-GET from 0, duplicates included.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { encodeAbort } from '../../src/ul/a-abort.ts';
import { encodeAssociateAc } from '../../src/ul/a-associate.ts';
import { encodeAssociateRj } from '../../src/ul/a-associate-rj.ts';
import { RELEASE_RP } from '../../src/ul/a-release.ts';
import { encodePDataTf } from '../../src/ul/p-data-tf.ts';
import { PduParser, type PduHandler } from '../../src/ul/pdu-parser.ts';
import {
  MESSAGE_CONTROL, PDU_TYPE, PRESENTATION_CONTEXT_RESULT,
  type AssociateRq, type ControlPdu, type PresentationContextAc, type RoleSelection,
} from '../../src/ul/pdu-types.ts';
import { ProtocolError } from '../../src/ul/protocol-error.ts';
import { COMMAND_FIELD, commandName } from '../../src/dimse/command-field.ts';
import { NO_DATA_SET, decodeCommandSet, encodeCommandSet, type CommandSet } from '../../src/dimse/command-set.ts';
import { statusCategory } from '../../src/dimse/status.ts';
import { decodeFileMetaInformation } from '../../src/dicom/part10.ts';
import { walkDataSet } from '../../src/dicom/data-set-reader.ts';
import { buildIdentifier, encodeIdentifier, key } from '../../src/dicom/identifier.ts';
import type { InstanceSource } from './synthetic.ts';

export type { InstanceSource } from './synthetic.ts';

export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const DEFLATED_EXPLICIT_VR_LE = '1.2.840.10008.1.2.1.99';
export const VERIFICATION = '1.2.840.10008.1.1';
export const FAKE_IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1338.999.1';

export type FaultAction = 'abort' | 'fin' | 'rst' | 'stall';
export type FaultPoint =
  | { at: 'after-get-rq' }
  | { at: 'after-sub-ops'; count: number }
  | { at: 'mid-dataset'; subOp: number; afterBytes?: number; midPdu?: boolean };
export type Fault = FaultPoint & { action: FaultAction; abortSource?: number; abortReason?: number };

export interface FinalScript {
  status?: number;
  errorComment?: string;
  offendingElement?: number[];
  /** Replaces the list the SCP kept itself. */
  failedUids?: string[];
  failedList?: 'identifier' | 'command' | 'none';
  /** Completed/Failed/Warning in the final response (default true). */
  counters?: boolean;
  /** Send the final response at once, without sub-operations. */
  immediate?: boolean;
  /** Counters the final response claims, whatever was sent (a lying SCP). */
  claim?: Counters;
}

export interface GetScript {
  pending?: 'counters' | 'bare' | 'none';
  final?: FinalScript;
  noContext?: 'fail-sub-op' | 'fail-get';
  outcomes?: Record<number, 'fail' | 'warn'>;
  cancel?: 'honour' | 'ignore';
  fault?: Fault;
  fragmentDelayMs?: number;
  subOpDelayMs?: number;
  /** Data bytes per PDV (default: as many as the requestor's Maximum Length allows). */
  maxFragment?: number;
  duplicate?: number[];
  ignoreRoles?: boolean;
  ignoreTransferSyntax?: boolean;
  oversizePdu?: number;
  malformed?: { subOp: number; kind: 'pdv-overrun' | 'huge-command-element' | 'unknown-pdu' };
  refuseUidList?: number;
  /** These SOP Instance UIDs fail (counted failed, listed) the first time a C-GET matches each: a transient fault. */
  failFirst?: string[];
  storeDataSetType?: number;
  /** One more protocol violation, at sub-operation `at` (see the header comment). */
  misbehave?: { at: number; kind: 'rsp-wrong-message-id' | 'release-rq' | 'unaccepted-context' | 'garbled-identifier' };
}

export interface AssociationScript {
  reject?: { result: number; source: number; reason: number };
  /** At most this many associations at once; more are rejected transiently, local limit exceeded (2/3/2). */
  maxAssociations?: number;
  /**
   * With maxAssociations, what one over the limit gets: 'transient' (default) A-ASSOCIATE-RJ 2/3/2,
   * 'permanent' A-ASSOCIATE-RJ 1/1/1, or 'close': its connection closed unanswered (Orthanc 1.10, now and then).
   */
  overLimit?: 'transient' | 'permanent' | 'close';
  maxLength?: number;
  roles?: 'grant' | 'deny' | 'omit';
  rejectAbstractSyntaxes?: string[];
  transferSyntax?: (abstractSyntax: string, proposed: string[]) => string | undefined;
  /**
   * The A-ASSOCIATE-AC of the k-th association (from 1) goes out acceptDelaysMs[k - 1] ms after
   * its request: dcmqrscp negotiates in its parent process, one association after another.
   */
  acceptDelaysMs?: number[];
}

export interface FakeScpScript {
  aeTitle?: string;
  checkCalledAeTitle?: boolean;
  association?: AssociationScript;
  instances?: InstanceSource[];
  match?: 'identifier' | 'all';
  get?: GetScript;
  echo?: { status?: number };
  /** C-FIND: the scripted matches, or (without matches) answers from the served instances. */
  find?: FindScript;
}

/** How the built-in C-FIND SCP (no scripted matches) falls short, as real ones do. */
export interface FindScript {
  matches?: Record<string, string | string[]>[];
  status?: number;
  /** One row per matching instance at every level, not one per study or series. */
  rowPerInstance?: boolean;
  /** Never answers SOP Classes in Study (0008,0062): the classes must come from the instances. */
  noSopClassesInStudy?: boolean;
  /** Never answers SOP Class UID at the IMAGE level (dcmqrscp 3.6.7: not one of its keys). */
  noSopClassUid?: boolean;
  /** Levels answered at once with this failure status and no match, e.g. { IMAGE: 0xC000 }. */
  refuseLevels?: Record<string, number>;
  /** SOP Instance UIDs left out of every answer, the final status still Success: a partial listing. */
  hide?: string[];
  /** Answers Number of Study / Series Related Instances (the true counts, hidden ones included). */
  counts?: boolean;
  /** After this many rows, stop with `status` (0xA700 out of resources, 0xFE00…): a result limit. */
  limit?: { rows: number; status: number };
  /** A pause before each match, as a slow archive's C-FIND (a C-CANCEL-RQ is honoured between matches). */
  delayMs?: number;
}

export interface Counters { remaining?: number; completed?: number; failed?: number; warning?: number }

export type FakeEvent = { association: number; at: number } & (
  | { type: 'connection'; remote: string }
  | { type: 'associate-rq'; rq: AssociateRq }
  | { type: 'associate-ac'; contexts: NegotiatedFakeContext[]; maxLength: number }
  | { type: 'associate-rj'; result: number; source: number; reason: number }
  /** Every DIMSE message received, complete. */
  | { type: 'dimse'; name: string; contextId: number; command: CommandSet; dataSetLength: number | undefined }
  /** `identifier`: the data set's bytes as received, in `transferSyntax` (byte-level tests). */
  | { type: 'c-get-rq'; messageId: number; keys: Record<string, string[]>; identifier: Buffer | undefined; transferSyntax: string | undefined }
  /** A C-FIND's level and unique keys, as asked. */
  | { type: 'c-find-rq'; level: string; keys: Record<string, string[]> }
  | { type: 'c-store-rq'; index: number; contextId: number; sopClassUid: string; sopInstanceUid: string; messageId: number; bytes: number }
  | { type: 'c-store-sent'; index: number; sopInstanceUid: string }
  | { type: 'c-store-rsp'; messageId: number; sopInstanceUid: string | undefined; status: number }
  | { type: 'c-get-rsp'; status: number; final: boolean; counters: Counters; failedUids: string[] }
  | { type: 'c-cancel-rq'; messageIdBeingRespondedTo: number | undefined }
  | { type: 'sub-op-failed'; index: number; sopInstanceUid: string; why: string }
  | { type: 'fault'; action: FaultAction | 'malformed'; detail: string }
  | { type: 'release-rq' }
  | { type: 'release-rp' }
  | { type: 'abort-received'; source: number; reason: number }
  | { type: 'protocol-error'; message: string }
  | { type: 'socket-error'; code: string | undefined; message: string }
  | { type: 'closed' }
);

/** Distributes Omit over the union, so that event literals type-check. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type FakeEventInput = DistributiveOmit<FakeEvent, 'association' | 'at'>;

export interface NegotiatedFakeContext {
  id: number;
  abstractSyntax: string;
  result: number;
  accepted: boolean;
  transferSyntax: string;
  /** The requestor may act as SCP (receive our C-STORE) on it. */
  scpRole: boolean;
}

export interface FakeScp {
  host: string;
  port: number;
  aeTitle: string;
  events: FakeEvent[];
  /** Resolves with the first event (past or future) that satisfies `predicate`. */
  waitFor(predicate: (e: FakeEvent) => boolean, timeoutMs?: number): Promise<FakeEvent>;
  /** Events of one type, typed. */
  eventsOf<T extends FakeEvent['type']>(type: T): Extract<FakeEvent, { type: T }>[];
  stop(): Promise<void>;
}

const DEFAULT_MAX_LENGTH = 16384;
const UNLIMITED_FRAGMENT = 1024 * 1024;
const PDU_HEADER = 6;
const PDV_HEADER = 6;
/** The (0008,0058) Failed SOP Instance UID List tag. */
const FAILED_LIST = 0x00080058;
const KEY_TAGS: [string, number][] = [
  ['PatientID', 0x00100020],
  ['StudyInstanceUID', 0x0020000d],
  ['SeriesInstanceUID', 0x0020000e],
  ['SOPInstanceUID', 0x00080018],
  ['QueryRetrieveLevel', 0x00080052],
];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const FAILED_ONCE = new WeakMap<FakeScpScript, Set<string>>();

/** The instances of `all` in the same study (or series) as `one`: what a count at that level counts. */
function groupMembers(all: InstanceSource[], one: InstanceSource, keyword: 'StudyInstanceUID' | 'SeriesInstanceUID'): InstanceSource[] {
  return all.filter((s) => s.keys[keyword] === one.keys[keyword]);
}

export async function startFakeScp(script: FakeScpScript = {}): Promise<FakeScp> {
  const events: FakeEvent[] = [];
  const watchers = new Set<(e: FakeEvent) => void>();
  const sockets = new Set<net.Socket>();
  let associations = 0;
  const t0 = performance.now();
  const aeTitle = script.aeTitle ?? 'FAKE';

  const record = (association: number) => (e: FakeEventInput): void => {
    const full = { ...e, association, at: Math.round(performance.now() - t0) } as FakeEvent;
    events.push(full);
    for (const w of [...watchers]) w(full);
  };

  const server = net.createServer((socket) => {
    const over = script.association?.maxAssociations !== undefined && sockets.size >= script.association.maxAssociations;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (over && script.association?.overLimit === 'close') {
      record(++associations)({ type: 'fault', action: 'fin', detail: 'over the association limit: closed unanswered' });
      socket.once('data', () => socket.destroy());
      return;
    }
    const reject = script.association?.overLimit === 'permanent' ? { result: 1, source: 1, reason: 1 } : { result: 2, source: 3, reason: 2 };
    const index = ++associations;
    const conn = new FakeConnection(socket, over ? { ...script, association: { ...script.association, reject } } : script, aeTitle, record(index), index);
    conn.start();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const address = server.address() as net.AddressInfo;

  return {
    host: '127.0.0.1',
    port: address.port,
    aeTitle,
    events,
    waitFor(predicate, timeoutMs = 15_000) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(watch);
          reject(new Error(`fake SCP: no matching event within ${timeoutMs} ms; events: ${summarizeEvents(events)}`));
        }, timeoutMs);
        const watch = (e: FakeEvent): void => {
          if (!predicate(e)) return;
          clearTimeout(timer);
          watchers.delete(watch);
          resolve(e);
        };
        watchers.add(watch);
      });
    },
    eventsOf<T extends FakeEvent['type']>(type: T) {
      return events.filter((e) => e.type === type) as Extract<FakeEvent, { type: T }>[];
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One line per event, for assertion messages. */
export function summarizeEvents(events: FakeEvent[]): string {
  return events.map((e) => {
    switch (e.type) {
      case 'dimse': return `dimse ${e.name}${e.command.status !== undefined ? ` 0x${e.command.status.toString(16)}` : ''}`;
      case 'c-store-rq': return `c-store-rq #${e.index} ${e.sopInstanceUid}`;
      case 'c-store-rsp': return `c-store-rsp 0x${e.status.toString(16)}`;
      case 'c-get-rsp': return `c-get-rsp 0x${e.status.toString(16)}${e.final ? ' final' : ''}`;
      case 'fault': return `fault ${e.action} ${e.detail}`;
      case 'protocol-error': return `protocol-error ${e.message}`;
      case 'abort-received': return `abort-received ${e.source}/${e.reason}`;
      case 'sub-op-failed': return `sub-op-failed #${e.index} ${e.why}`;
      default: return e.type;
    }
  }).join('; ');
}

interface Message { contextId: number; command: CommandSet; dataSet: Buffer | undefined }

class FakeConnection implements PduHandler {
  private readonly socket: net.Socket;
  private readonly script: FakeScpScript;
  private readonly aeTitle: string;
  private readonly record: (e: FakeEventInput) => void;
  private readonly parser: PduParser;
  private readonly maxLength: number;
  private state: 'idle' | 'established' | 'done' = 'idle';
  private peerMaxLength = 0;
  private contexts = new Map<number, NegotiatedFakeContext>();
  private commandParts: Buffer[] = [];
  private commandLength = 0;
  private current: { contextId: number; command: CommandSet; parts: Buffer[]; length: number } | undefined;
  private inbox: Message[] = [];
  private waiting: ((m: Message | undefined) => void) | undefined;
  private closed = false;
  private closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private cancelRequested = false;
  /** This association's number (from 1), as in the events. */
  private readonly index: number;
  /** get.failFirst: the UIDs failed once already, over every association of this SCP. */
  private get failedOnce(): Set<string> {
    let set = FAILED_ONCE.get(this.script);
    if (!set) FAILED_ONCE.set(this.script, set = new Set());
    return set;
  }
  private nextMessageId = 1;

  constructor(socket: net.Socket, script: FakeScpScript, aeTitle: string, record: (e: FakeEventInput) => void, index: number) {
    this.index = index;
    this.socket = socket;
    this.script = script;
    this.aeTitle = aeTitle;
    this.record = record;
    this.maxLength = script.association?.maxLength ?? DEFAULT_MAX_LENGTH;
    this.parser = new PduParser(this, { maxPDataLength: this.maxLength });
    this.closedPromise = new Promise((r) => { this.resolveClosed = r; });
  }

  start(): void {
    const s = this.socket;
    s.setNoDelay(true);
    this.record({ type: 'connection', remote: `${s.remoteAddress}:${s.remotePort}` });
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('error', (err: NodeJS.ErrnoException) => this.record({ type: 'socket-error', code: err.code, message: err.message }));
    s.on('close', () => this.onClose());
    void this.serve().catch((err: unknown) => {
      this.record({ type: 'protocol-error', message: `fake SCP internal error: ${(err as Error).stack ?? String(err)}` });
      this.socket.destroy();
    });
  }

  // --- receiving ---

  private onData(chunk: Buffer): void {
    if (this.state === 'done') return;
    try {
      this.parser.push(chunk);
    } catch (err) {
      const message = (err as Error).message;
      this.record({ type: 'protocol-error', message });
      this.parser.stop();
      this.state = 'done';
      // PS3.8 9.2 (AA-8): an invalid PDU is answered with A-ABORT by the service provider.
      const reason = err instanceof ProtocolError ? err.abortReason : 0;
      this.socket.end(encodeAbort(2, reason));
    }
  }

  onControlPdu(pdu: ControlPdu): void {
    switch (pdu.type) {
      case PDU_TYPE.A_ASSOCIATE_RQ:
        if (this.state !== 'idle') throw new ProtocolError('A-ASSOCIATE-RQ on an established association', 0x02);
        this.onAssociateRq(pdu);
        return;
      case PDU_TYPE.A_RELEASE_RQ:
        this.record({ type: 'release-rq' });
        this.state = 'done';
        this.socket.end(RELEASE_RP);
        this.closeInbox();
        return;
      case PDU_TYPE.A_RELEASE_RP:
        this.record({ type: 'release-rp' });
        this.state = 'done';
        this.socket.end();
        this.closeInbox();
        return;
      case PDU_TYPE.A_ABORT:
        this.record({ type: 'abort-received', source: pdu.source, reason: pdu.reason });
        this.state = 'done';
        this.socket.destroy();
        return;
      default:
        throw new ProtocolError(`unexpected PDU type ${pdu.type} at the acceptor`, 0x02);
    }
  }

  onPdv(contextId: number, control: number, data: Buffer, end: boolean): void {
    if (this.state !== 'established') throw new ProtocolError('P-DATA-TF before the association was established', 0x02);
    const ctx = this.contexts.get(contextId);
    if (!ctx?.accepted) throw new ProtocolError(`PDV on presentation context ${contextId}, which was not accepted`, 0x06);
    if (control & MESSAGE_CONTROL.COMMAND) {
      if (this.current) throw new ProtocolError('command fragment while a data set is incomplete', 0x05);
      this.commandLength += data.length;
      if (this.commandLength > 64 * 1024) throw new ProtocolError('command set over 64 KiB', 0x06);
      this.commandParts.push(Buffer.from(data));
      if (end && control & MESSAGE_CONTROL.LAST) {
        const bytes = Buffer.concat(this.commandParts);
        this.commandParts = [];
        this.commandLength = 0;
        const command = decodeCommandSet(bytes);
        if (command.commandDataSetType === NO_DATA_SET) this.onMessage({ contextId, command, dataSet: undefined });
        else this.current = { contextId, command, parts: [], length: 0 };
      }
      return;
    }
    const cur = this.current;
    if (!cur) throw new ProtocolError('data set fragment with no command before it', 0x05);
    cur.length += data.length;
    if (cur.length > 64 * 1024 * 1024) throw new ProtocolError('data set over 64 MiB sent to the fake SCP', 0x06);
    cur.parts.push(Buffer.from(data));
    if (end && control & MESSAGE_CONTROL.LAST) {
      this.current = undefined;
      this.onMessage({ contextId: cur.contextId, command: cur.command, dataSet: Buffer.concat(cur.parts) });
    }
  }

  private onMessage(m: Message): void {
    const c = m.command;
    this.record({ type: 'dimse', name: commandName(c.commandField), contextId: m.contextId, command: c, dataSetLength: m.dataSet?.length });
    if (c.commandField === COMMAND_FIELD.C_CANCEL_RQ) {
      this.record({ type: 'c-cancel-rq', messageIdBeingRespondedTo: c.messageIdBeingRespondedTo });
      this.cancelRequested = true;
      return;
    }
    if (c.commandField === COMMAND_FIELD.C_STORE_RSP) {
      this.record({ type: 'c-store-rsp', messageId: c.messageIdBeingRespondedTo ?? -1, sopInstanceUid: c.affectedSopInstanceUid, status: c.status ?? -1 });
    }
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      w(m);
    } else {
      this.inbox.push(m);
    }
  }

  private next(): Promise<Message | undefined> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    if (this.closed || this.state === 'done') return Promise.resolve(undefined);
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  private closeInbox(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(undefined);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.state = 'done';
    this.record({ type: 'closed' });
    this.closeInbox();
    this.resolveClosed();
  }

  // --- association ---

  private onAssociateRq(rq: AssociateRq): void {
    this.record({ type: 'associate-rq', rq });
    const a = this.script.association ?? {};
    let reject = a.reject;
    if (!reject && this.script.checkCalledAeTitle && rq.calledAeTitle !== this.aeTitle) reject = { result: 1, source: 1, reason: 7 };
    if (reject) {
      this.record({ type: 'associate-rj', ...reject });
      this.state = 'done';
      this.socket.end(encodeAssociateRj(reject));
      return;
    }
    this.peerMaxLength = rq.userInformation.maxLength;
    const roles = a.roles ?? 'grant';
    const requested = new Map(rq.userInformation.roleSelections.map((r) => [r.sopClassUid, r]));
    const answers: PresentationContextAc[] = [];
    for (const pc of rq.presentationContexts) {
      let result: number = PRESENTATION_CONTEXT_RESULT.ACCEPTANCE;
      let ts = '';
      if (a.rejectAbstractSyntaxes?.includes(pc.abstractSyntax)) result = PRESENTATION_CONTEXT_RESULT.ABSTRACT_SYNTAX_NOT_SUPPORTED;
      else {
        const chosen = (a.transferSyntax ?? this.defaultTransferSyntax)(pc.abstractSyntax, pc.transferSyntaxes);
        if (chosen === undefined || !pc.transferSyntaxes.includes(chosen)) result = PRESENTATION_CONTEXT_RESULT.TRANSFER_SYNTAXES_NOT_SUPPORTED;
        else ts = chosen;
      }
      // PS3.8 9.3.3.2: the Transfer Syntax sub-item is there whatever the result; ignored unless accepted.
      answers.push({ id: pc.id, result, transferSyntax: ts || pc.transferSyntaxes[0] || IMPLICIT_VR_LE });
      const role = requested.get(pc.abstractSyntax);
      this.contexts.set(pc.id, {
        id: pc.id, abstractSyntax: pc.abstractSyntax, result, accepted: result === 0, transferSyntax: ts,
        scpRole: roles === 'grant' && role?.scpRole === true,
      });
    }
    const roleAnswers: RoleSelection[] = roles === 'omit' ? [] : rq.userInformation.roleSelections.map((r) => ({
      sopClassUid: r.sopClassUid, scuRole: r.scuRole, scpRole: roles === 'grant' ? r.scpRole : false,
    }));
    const ac = encodeAssociateAc({
      calledAeTitle: rq.calledAeTitle,
      callingAeTitle: rq.callingAeTitle,
      presentationContexts: answers,
      userInformation: {
        maxLength: this.maxLength,
        implementationClassUid: FAKE_IMPLEMENTATION_CLASS_UID,
        implementationVersionName: 'DCMGET_FAKESCP',
        roleSelections: roleAnswers,
        extendedNegotiations: [],
        unknown: [],
      },
    });
    const answer = () => {
      if (this.closed) return;
      this.state = 'established';
      this.record({ type: 'associate-ac', contexts: [...this.contexts.values()], maxLength: this.maxLength });
      this.socket.write(ac);
    };
    const delay = a.acceptDelaysMs?.[this.index - 1];
    if (delay) setTimeout(answer, delay);
    else answer();
  }

  /** The proposed TS most served instances of the class are in; else Explicit, Implicit, the first. */
  private defaultTransferSyntax = (abstractSyntax: string, proposed: string[]): string | undefined => {
    const counts = new Map<string, number>();
    for (const i of this.script.instances ?? []) {
      if (i.sopClassUid === abstractSyntax && proposed.includes(i.transferSyntaxUid)) counts.set(i.transferSyntaxUid, (counts.get(i.transferSyntaxUid) ?? 0) + 1);
    }
    const rank = (ts: string): number => (ts === EXPLICIT_VR_LE ? 2 : ts === IMPLICIT_VR_LE ? 1 : 0);
    const best = [...counts].sort((x, y) => y[1] - x[1] || rank(y[0]) - rank(x[0]))[0];
    if (best) return best[0];
    return proposed.find((t) => t === EXPLICIT_VR_LE) ?? proposed.find((t) => t === IMPLICIT_VR_LE) ?? proposed[0];
  };

  // --- sending ---

  private write(buffers: Buffer[]): Promise<void> {
    const s = this.socket;
    if (s.destroyed || !s.writable) return Promise.resolve();
    let ok = true;
    for (const b of buffers) ok = s.write(b);
    if (ok) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.on('drain', done);
      s.on('close', done);
    });
  }

  private sendCommand(contextId: number, command: CommandSet, trailing?: Buffer): Promise<void> {
    let bytes = encodeCommandSet(command);
    if (trailing) bytes = Buffer.concat([bytes, trailing]);
    return this.write(encodePDataTf(contextId, true, bytes, this.peerMaxLength));
  }

  private sendDataSet(contextId: number, dataSet: Buffer): Promise<void> {
    return this.write(encodePDataTf(contextId, false, dataSet, this.peerMaxLength));
  }

  private get alive(): boolean {
    return !this.closed && this.state === 'established' && !this.socket.destroyed;
  }

  // --- services ---

  private async serve(): Promise<void> {
    for (;;) {
      const m = await this.next();
      if (!m) return;
      const c = m.command;
      switch (c.commandField) {
        case COMMAND_FIELD.C_ECHO_RQ:
          await this.sendCommand(m.contextId, {
            commandField: COMMAND_FIELD.C_ECHO_RSP, messageIdBeingRespondedTo: c.messageId,
            affectedSopClassUid: c.affectedSopClassUid, status: this.script.echo?.status ?? 0, commandDataSetType: NO_DATA_SET,
          });
          break;
        case COMMAND_FIELD.C_FIND_RQ:
          await this.serveFind(m);
          break;
        case COMMAND_FIELD.C_GET_RQ:
          this.cancelRequested = false;
          await this.serveGet(m);
          break;
        default:
          // A late C-STORE-RSP or anything else: recorded as 'dimse' already.
          break;
      }
    }
  }

  private async serveFind(m: Message): Promise<void> {
    const ctx = this.contexts.get(m.contextId)!;
    const base = { commandField: COMMAND_FIELD.C_FIND_RSP, messageIdBeingRespondedTo: m.command.messageId, affectedSopClassUid: m.command.affectedSopClassUid };
    const f = this.script.find ?? {};
    const keys = this.identifierKeys(m);
    const level = (keys.QueryRetrieveLevel?.[0] ?? 'STUDY').toUpperCase();
    this.record({ type: 'c-find-rq', level, keys });
    const refused = f.refuseLevels?.[level];
    const matches = refused !== undefined ? [] : f.matches ?? this.autoFind(m);
    let sent = 0;
    for (const match of matches) {
      if (f.delayMs) await sleep(f.delayMs);
      if (this.cancelRequested || !this.alive) break;
      if (f.limit && sent++ >= f.limit.rows) break;
      const ds = buildIdentifier(Object.entries(match).map(([k, v]) => key(k, v)));
      const bytes = encodeIdentifier(ds, ctx.transferSyntax);
      await this.sendCommand(m.contextId, { ...base, status: 0xff00, commandDataSetType: 0x0000 });
      await this.sendDataSet(m.contextId, bytes);
    }
    const limited = f.limit && matches.length > f.limit.rows;
    const status = refused ?? (this.cancelRequested ? 0xfe00 : limited ? f.limit!.status : f.status ?? 0);
    this.cancelRequested = false;
    if (this.alive) await this.sendCommand(m.contextId, { ...base, status, commandDataSetType: NO_DATA_SET });
  }

  /**
   * A real C-FIND SCP over the served instances (PATIENT/STUDY/SERIES/IMAGE, single-value or list
   * UID matching on the keys of KEY_TAGS), returning the requested keys it knows, among them SOP
   * Classes in Study and Available Transfer Syntax UID; unknown requested keys come back empty.
   */
  private autoFind(m: Message): Record<string, string | string[]>[] {
    const keys = this.identifierKeys(m);
    const requested: number[] = [];
    const ctx = this.contexts.get(m.contextId)!;
    if (m.dataSet) {
      try {
        walkDataSet(m.dataSet, ctx.transferSyntax, (e) => { requested.push(e.tag); });
      } catch {
        // identifierKeys recorded it
      }
    }
    const level = (keys.QueryRetrieveLevel?.[0] ?? 'STUDY').toUpperCase();
    const f = this.script.find ?? {};
    const all = (this.script.instances ?? []).filter((s) => this.matches(s, keys, true));
    const hidden = new Set(f.hide ?? []);
    const matched = all.filter((s) => !hidden.has(s.sopInstanceUid));
    const groupKey = f.rowPerInstance ? 'SOPInstanceUID' : { PATIENT: 'PatientID', STUDY: 'StudyInstanceUID', SERIES: 'SeriesInstanceUID', IMAGE: 'SOPInstanceUID' }[level] ?? 'SOPInstanceUID';
    const groups = new Map<string, InstanceSource[]>();
    for (const s of matched) {
      const k = groupKey === 'SOPInstanceUID' ? s.sopInstanceUid : s.keys[groupKey] ?? '';
      groups.set(k, [...(groups.get(k) ?? []), s]);
    }
    const out: Record<string, string | string[]>[] = [];
    const depth = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'].indexOf(level);
    for (const members of groups.values()) {
      const first = members[0]!;
      const known: Record<number, [string, string | string[]]> = {
        0x00080052: ['QueryRetrieveLevel', level],
        0x00100020: ['PatientID', first.keys.PatientID ?? ''],
        0x0020000d: ['StudyInstanceUID', depth >= 1 ? first.keys.StudyInstanceUID ?? '' : ''],
        0x0020000e: ['SeriesInstanceUID', depth >= 2 ? first.keys.SeriesInstanceUID ?? '' : ''],
        0x00080018: ['SOPInstanceUID', depth >= 3 ? first.sopInstanceUid : ''],
        0x00080016: ['SOPClassUID', depth >= 3 && !f.noSopClassUid ? first.sopClassUid : ''],
        0x00080062: ['SOPClassesInStudy', depth === 1 && !f.noSopClassesInStudy ? [...new Set(groupMembers(all, first, 'StudyInstanceUID').map((s) => s.sopClassUid))] : ''],
        0x00083002: ['AvailableTransferSyntaxUID', depth >= 3 ? first.transferSyntaxUid : ''],
        0x00201208: ['NumberOfStudyRelatedInstances', f.counts && depth === 1 ? String(groupMembers(all, first, 'StudyInstanceUID').length) : ''],
        0x00201209: ['NumberOfSeriesRelatedInstances', f.counts && depth === 2 ? String(groupMembers(all, first, 'SeriesInstanceUID').length) : ''],
      };
      const r: Record<string, string | string[]> = { QueryRetrieveLevel: level };
      for (const tag of requested) {
        const k = known[tag];
        if (k) r[k[0]] = k[1];
        else if (tag >>> 16 !== 0x0002) r[`${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')}`] = '';
      }
      out.push(r);
    }
    return out;
  }

  private identifierKeys(m: Message): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const ctx = this.contexts.get(m.contextId)!;
    if (!m.dataSet) return out;
    const byTag = new Map(KEY_TAGS.map(([k, t]) => [t, k]));
    try {
      walkDataSet(m.dataSet, ctx.transferSyntax, (e) => {
        const name = byTag.get(e.tag);
        if (name && e.value) {
          const text = e.value.toString('latin1').replace(/[\0 ]+$/, '');
          out[name] = text === '' ? [] : text.split('\\').map((s) => s.trim());
        }
      });
    } catch (err) {
      this.record({ type: 'protocol-error', message: `C-GET Identifier unreadable: ${(err as Error).message}` });
    }
    return out;
  }

  private matches(src: InstanceSource, keys: Record<string, string[]>, query = false): boolean {
    if (this.script.match === 'all' && !query) return true;
    for (const [name] of KEY_TAGS) {
      if (name === 'QueryRetrieveLevel') continue;
      const wanted = keys[name];
      const have = name === 'SOPInstanceUID' ? src.sopInstanceUid : src.keys[name];
      if (!wanted?.length || have === undefined) continue;
      if (!wanted.includes(have)) return false;
    }
    return true;
  }

  private chooseContext(src: InstanceSource): NegotiatedFakeContext | undefined {
    const g = this.script.get ?? {};
    const candidates = [...this.contexts.values()].filter((c) => c.accepted && c.abstractSyntax === src.sopClassUid && (c.scpRole || g.ignoreRoles));
    return candidates.find((c) => c.transferSyntax === src.transferSyntaxUid) ?? (g.ignoreTransferSyntax ? candidates[0] : undefined);
  }

  private async fault(f: Fault, detail: string): Promise<void> {
    this.record({ type: 'fault', action: f.action, detail });
    const s = this.socket;
    switch (f.action) {
      case 'abort':
        this.state = 'done';
        s.end(encodeAbort(f.abortSource ?? 0, f.abortReason ?? 0));
        setTimeout(() => s.destroy(), 500).unref();
        break;
      case 'fin':
        this.state = 'done';
        s.end();
        break;
      case 'rst':
        this.state = 'done';
        s.resetAndDestroy();
        break;
      case 'stall':
        break; // keep reading (an A-ABORT may come), send nothing more
    }
    await this.closedPromise;
  }

  private failedListElement(uids: string[], transferSyntax: string, explicit: boolean): Buffer {
    void transferSyntax;
    const text = uids.join('\\');
    const value = Buffer.from(text.length % 2 ? `${text}\0` : text, 'latin1');
    if (explicit) {
      const h = Buffer.alloc(8);
      h.writeUInt16LE(0x0008, 0);
      h.writeUInt16LE(0x0058, 2);
      h.write('UI', 4, 'latin1');
      h.writeUInt16LE(value.length, 6);
      return Buffer.concat([h, value]);
    }
    const h = Buffer.alloc(8);
    h.writeUInt16LE(0x0008, 0);
    h.writeUInt16LE(0x0058, 2);
    h.writeUInt32LE(value.length, 4);
    return Buffer.concat([h, value]);
  }

  private async sendGetRsp(m: Message, status: number, counters: Counters | undefined, final: boolean, failedUids: string[] = [], extra: Partial<CommandSet> = {}, placement: FinalScript['failedList'] = 'identifier'): Promise<void> {
    const ctx = this.contexts.get(m.contextId)!;
    const command: CommandSet = {
      commandField: COMMAND_FIELD.C_GET_RSP,
      messageIdBeingRespondedTo: m.command.messageId,
      affectedSopClassUid: m.command.affectedSopClassUid,
      status,
      commandDataSetType: NO_DATA_SET,
      ...counters,
      ...extra,
    };
    this.record({ type: 'c-get-rsp', status, final, counters: counters ?? {}, failedUids });
    if (final && failedUids.length && placement === 'command') {
      // DCMTK/Orthanc: (0008,0058) in Implicit VR after group 0000, no data set announced.
      await this.sendCommand(m.contextId, command, this.failedListElement(failedUids, IMPLICIT_VR_LE, false));
      return;
    }
    if (final && this.script.get?.misbehave?.kind === 'garbled-identifier') {
      // (0008,0058) UI claiming 0xFFFF bytes, 2 present.
      await this.sendCommand(m.contextId, { ...command, commandDataSetType: 0x0000 });
      await this.sendDataSet(m.contextId, Buffer.from([0x08, 0x00, 0x58, 0x00, 0x55, 0x49, 0xff, 0xff, 0x31, 0x2e]));
      return;
    }
    if (final && failedUids.length && placement === 'identifier') {
      await this.sendCommand(m.contextId, { ...command, commandDataSetType: 0x0000 });
      await this.sendDataSet(m.contextId, this.failedListElement(failedUids, ctx.transferSyntax, ctx.transferSyntax !== IMPLICIT_VR_LE));
      return;
    }
    await this.sendCommand(m.contextId, command);
  }

  private async serveGet(m: Message): Promise<void> {
    const g = this.script.get ?? {};
    const keys = this.identifierKeys(m);
    this.record({ type: 'c-get-rq', messageId: m.command.messageId ?? -1, keys, identifier: m.dataSet, transferSyntax: this.contexts.get(m.contextId)?.transferSyntax });
    if (g.fault?.at === 'after-get-rq') return this.fault(g.fault, 'after C-GET-RQ');
    const fin = g.final ?? {};
    const withCounters = fin.counters !== false;
    if (g.refuseUidList !== undefined && (keys.SOPInstanceUID?.length ?? 0) > 1) {
      this.record({ type: 'fault', action: 'malformed', detail: `refused a C-GET for ${keys.SOPInstanceUID!.length} SOP Instance UIDs` });
      await this.sendGetRsp(m, g.refuseUidList, { completed: 0, failed: 0, warning: 0 }, true, [], { errorComment: 'one SOP Instance UID per request' });
      return;
    }
    if (fin.immediate) {
      await this.sendGetRsp(m, fin.status ?? 0, withCounters ? fin.claim ?? { completed: 0, failed: 0, warning: 0 } : undefined, true, fin.failedUids ?? [],
        { errorComment: fin.errorComment, offendingElement: fin.offendingElement }, fin.failedList);
      return;
    }
    const matched = (this.script.instances ?? []).filter((s) => this.matches(s, keys));
    const plan: InstanceSource[] = [];
    matched.forEach((s, i) => {
      plan.push(s);
      if (g.duplicate?.includes(i)) plan.push(s);
    });
    let completed = 0;
    let failed = 0;
    let warning = 0;
    const failedUids: string[] = [];
    const pending = async (done: number): Promise<void> => {
      if ((g.pending ?? 'counters') === 'none' || !this.alive) return;
      const wrongId = g.misbehave?.kind === 'rsp-wrong-message-id' && g.misbehave.at === done - 1;
      await this.sendGetRsp(m, 0xff00, g.pending === 'bare' ? undefined : { remaining: plan.length - done, completed, failed, warning }, false, [], 
        wrongId ? { messageIdBeingRespondedTo: ((m.command.messageId ?? 0) + 1) & 0xffff } : {});
    };
    for (let i = 0; i < plan.length; i++) {
      if (g.subOpDelayMs) await sleep(g.subOpDelayMs);
      if (!this.alive) return;
      if (this.cancelRequested && (g.cancel ?? 'honour') === 'honour') {
        await this.sendGetRsp(m, 0xfe00, { remaining: plan.length - i, completed, failed, warning }, true, failedUids);
        return;
      }
      if (g.fault?.at === 'after-sub-ops' && g.fault.count === i) return this.fault(g.fault, `after ${i} sub-operations`);
      const src = plan[i]!;
      const failOnce = g.failFirst?.includes(src.sopInstanceUid) && !this.failedOnce.has(src.sopInstanceUid);
      if (failOnce) this.failedOnce.add(src.sopInstanceUid);
      const outcome = failOnce ? 'fail' : g.outcomes?.[i];
      if (outcome === 'fail') {
        failed++;
        failedUids.push(src.sopInstanceUid);
        this.record({ type: 'sub-op-failed', index: i, sopInstanceUid: src.sopInstanceUid, why: 'scripted failure' });
        await pending(i + 1);
        continue;
      }
      const ctx = this.chooseContext(src);
      if (g.misbehave?.at === i && g.misbehave.kind === 'release-rq') {
        this.record({ type: 'fault', action: 'malformed', detail: 'A-RELEASE-RQ from the SCP during the C-GET' });
        await this.write([Buffer.from([PDU_TYPE.A_RELEASE_RQ, 0, 0, 0, 0, 4, 0, 0, 0, 0])]);
        await this.closedPromise;
        return;
      }
      if (g.malformed?.subOp === i) {
        await this.sendMalformed(g.malformed.kind, ctx?.id ?? m.contextId);
        await this.closedPromise;
        return;
      }
      if (g.misbehave?.at === i && g.misbehave.kind === 'unaccepted-context') {
        const unused = [...this.contexts.values()].find((c) => !c.accepted)?.id ?? [...Array(128).keys()].map((k) => 2 * k + 1).find((id) => !this.contexts.has(id)) ?? 255;
        this.record({ type: 'fault', action: 'malformed', detail: `C-STORE-RQ on context ${unused}, not accepted` });
        await this.sendCommand(unused, {
          commandField: COMMAND_FIELD.C_STORE_RQ, messageId: this.nextMessageId++, affectedSopClassUid: src.sopClassUid,
          affectedSopInstanceUid: src.sopInstanceUid, priority: 0, commandDataSetType: 0x0000,
        });
        await this.closedPromise;
        return;
      }
      if (!ctx) {
        failed++;
        failedUids.push(src.sopInstanceUid);
        this.record({ type: 'sub-op-failed', index: i, sopInstanceUid: src.sopInstanceUid, why: `no accepted context for ${src.sopClassUid} in ${src.transferSyntaxUid} with the SCP role` });
        if (g.noContext === 'fail-get') {
          await this.sendGetRsp(m, 0xc000, { completed, failed, warning }, true, failedUids, { errorComment: 'no presentation context for a sub-operation' });
          return;
        }
        await pending(i + 1);
        continue;
      }
      const messageId = this.nextMessageId++;
      this.record({ type: 'c-store-rq', index: i, contextId: ctx.id, sopClassUid: src.sopClassUid, sopInstanceUid: src.sopInstanceUid, messageId, bytes: src.length });
      await this.sendCommand(ctx.id, {
        commandField: COMMAND_FIELD.C_STORE_RQ, messageId, affectedSopClassUid: src.sopClassUid,
        affectedSopInstanceUid: src.sopInstanceUid, priority: 0, commandDataSetType: g.storeDataSetType ?? 0x0000,
      });
      const sent = await this.streamDataSet(ctx.id, src, i);
      if (!sent) return;
      this.record({ type: 'c-store-sent', index: i, sopInstanceUid: src.sopInstanceUid });
      const rsp = await this.awaitStoreRsp(messageId);
      if (!rsp) return;
      const category = statusCategory(rsp.status ?? 0xffff);
      if (category === 'success') {
        if (outcome === 'warn') warning++;
        else completed++;
      } else if (category === 'warning') {
        warning++;
      } else {
        failed++;
        failedUids.push(src.sopInstanceUid);
      }
      await pending(i + 1);
    }
    if (g.fault?.at === 'after-sub-ops' && g.fault.count >= plan.length) return this.fault(g.fault, `after all ${plan.length} sub-operations`);
    if (!this.alive) return;
    const computed = failed > 0 && failed === plan.length ? 0xa702 : failed + warning > 0 ? 0xb000 : 0x0000;
    await this.sendGetRsp(m, fin.status ?? computed, withCounters ? fin.claim ?? { completed, failed, warning } : undefined, true,
      fin.failedUids ?? failedUids, { errorComment: fin.errorComment, offendingElement: fin.offendingElement }, fin.failedList);
  }

  private async awaitStoreRsp(messageId: number): Promise<CommandSet | undefined> {
    for (;;) {
      const r = await this.next();
      if (!r) return undefined;
      if (r.command.commandField === COMMAND_FIELD.C_STORE_RSP && r.command.messageIdBeingRespondedTo === messageId) return r.command;
    }
  }

  /** Streams the data set as P-DATA-TF PDUs; false when a fault (or the peer) ended the association. */
  private async streamDataSet(contextId: number, src: InstanceSource, index: number): Promise<boolean> {
    const g = this.script.get ?? {};
    const limit = this.peerMaxLength === 0 ? UNLIMITED_FRAGMENT : this.peerMaxLength - PDV_HEADER;
    let fragment = Math.min(limit, g.maxFragment ?? limit);
    if (g.oversizePdu === index) fragment = (this.peerMaxLength || UNLIMITED_FRAGMENT) + 1024;
    const f = g.fault;
    const cut = f?.at === 'mid-dataset' && f.subOp === index ? (f.afterBytes ?? Math.floor(src.length / 2)) : undefined;
    let offset = 0;
    do {
      if (!this.alive) return false;
      const n = Math.min(fragment, src.length - offset);
      const last = offset + n === src.length;
      const header = Buffer.allocUnsafe(PDU_HEADER + PDV_HEADER);
      header[0] = PDU_TYPE.P_DATA_TF;
      header[1] = 0;
      header.writeUInt32BE(PDV_HEADER + n, 2);
      header.writeUInt32BE(2 + n, 6);
      header[10] = contextId;
      header[11] = last ? MESSAGE_CONTROL.LAST : 0;
      if (cut !== undefined && f?.at === 'mid-dataset' && offset + n > cut) {
        if (f.midPdu !== false) {
          // Announce a whole PDU, send part of it, then fail.
          const part = Math.max(1, Math.min(n - 1, cut - offset));
          await this.write([header, src.read(offset, part)]);
          offset += part;
        }
        await this.fault(f, `in sub-operation ${index} after ${offset} of ${src.length} data set bytes`);
        return false;
      }
      await this.write([header, src.read(offset, n)]);
      offset += n;
      if (g.fragmentDelayMs && !last) await sleep(g.fragmentDelayMs);
    } while (offset < src.length);
    return this.alive;
  }

  private async sendMalformed(kind: 'pdv-overrun' | 'huge-command-element' | 'unknown-pdu', contextId: number): Promise<void> {
    this.record({ type: 'fault', action: 'malformed', detail: kind });
    switch (kind) {
      case 'unknown-pdu':
        await this.write([Buffer.from([0x0a, 0, 0, 0, 0, 4, 0, 0, 0, 0])]);
        break;
      case 'pdv-overrun': {
        // A P-DATA-TF of 16 bytes whose PDV item claims 112.
        const b = Buffer.alloc(PDU_HEADER + 16);
        b[0] = PDU_TYPE.P_DATA_TF;
        b.writeUInt32BE(16, 2);
        b.writeUInt32BE(112, 6);
        b[10] = contextId;
        b[11] = MESSAGE_CONTROL.COMMAND | MESSAGE_CONTROL.LAST;
        await this.write([b]);
        break;
      }
      case 'huge-command-element': {
        // (0000,0000) UL, then (0000,0002) UI claiming 0xFFFFFFF0 bytes, with 6 present.
        const b = Buffer.alloc(12 + 8 + 6);
        b.writeUInt32LE(4, 4);
        b.writeUInt32LE(0xfffffff0, 8);
        b.writeUInt16LE(0x0000, 12);
        b.writeUInt16LE(0x0002, 14);
        b.writeUInt32LE(0xfffffff0, 16);
        b.write('1.2.3\0', 20, 'latin1');
        await this.write(encodePDataTf(contextId, true, b, this.peerMaxLength));
        break;
      }
    }
  }
}

// --- instances from Part 10 files ---

export interface ManifestEntry {
  file: string;
  sopClassUID: string;
  sopInstanceUID: string;
  transferSyntaxUID: string;
  patientID: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  bytes: number;
  datasetOffset: number;
  datasetSha256: string;
}

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..');
export const FIXTURES_DIR = path.join(REPO_ROOT, 'fixtures');

export function loadManifest(): ManifestEntry[] {
  const m = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'manifest.json'), 'utf8')) as { instances: ManifestEntry[] };
  return m.instances;
}

/**
 * A Part 10 file served as stored: its File Meta Information stripped, the data set bytes read on
 * demand (never held whole). Keys are read from the head of the data set unless given.
 */
export function part10Instance(file: string, keys?: Record<string, string>): InstanceSource {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(Math.min(size, 256 * 1024));
    fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const meta = decodeFileMetaInformation(head);
  const start = meta.dataSetOffset;
  let k = keys;
  if (!k) {
    k = {};
    const found = k;
    if (meta.transferSyntaxUid !== DEFLATED_EXPLICIT_VR_LE) {
      const byTag = new Map(KEY_TAGS.map(([name, t]) => [t, name]));
      try {
        walkDataSet(head.subarray(start), meta.transferSyntaxUid, (e) => {
          if (e.tag > 0x0020000e) return false;
          const name = byTag.get(e.tag);
          if (name && e.value) found[name] = e.value.toString('latin1').replace(/[\0 ]+$/, '').trim();
          return true;
        });
      } catch {
        // a head too short for the keys: serve it unmatched
      }
    }
  }
  return {
    sopClassUid: meta.mediaStorageSopClassUid,
    sopInstanceUid: meta.mediaStorageSopInstanceUid,
    transferSyntaxUid: meta.transferSyntaxUid,
    length: size - start,
    keys: k,
    label: path.basename(file),
    read(offset: number, n: number): Buffer {
      const out = Buffer.allocUnsafe(n);
      const rfd = fs.openSync(file, 'r');
      try {
        let got = 0;
        while (got < n) {
          const r = fs.readSync(rfd, out, got, n - got, start + offset + got);
          if (r === 0) throw new Error(`${file}: short read`);
          got += r;
        }
      } finally {
        fs.closeSync(rfd);
      }
      return out;
    },
  };
}

export interface FixtureInstance extends InstanceSource {
  manifest: ManifestEntry;
}

/** The fixtures of fixtures/manifest.json, optionally filtered. */
export function fixtureInstances(filter: (m: ManifestEntry) => boolean = () => true): FixtureInstance[] {
  return loadManifest().filter(filter).map((m) => {
    const src = part10Instance(path.join(FIXTURES_DIR, m.file), {
      PatientID: m.patientID, StudyInstanceUID: m.studyInstanceUID, SeriesInstanceUID: m.seriesInstanceUID, SOPInstanceUID: m.sopInstanceUID,
    });
    if (src.transferSyntaxUid !== m.transferSyntaxUID || src.sopInstanceUid !== m.sopInstanceUID) {
      throw new Error(`${m.file}: meta disagrees with manifest.json`);
    }
    return { ...src, manifest: m };
  });
}

/** The same data set announced under another SOP Instance UID in the C-STORE-RQ (hostile UIDs). */
export function withSopInstanceUid<T extends InstanceSource>(src: T, sopInstanceUid: string): T {
  return { ...src, sopInstanceUid, label: `${src.label} as ${JSON.stringify(sopInstanceUid)}` };
}
