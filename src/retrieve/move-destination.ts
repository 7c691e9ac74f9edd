// dcmget's own Storage SCP for C-MOVE (PS3.4 C.4.2.3): the PACS opens associations to it and
// performs each sub-operation as a C-STORE there. It takes only what the run expects: from the
// PACS's host (and its AE title, when known), calling our move destination AE title, for the
// storage contexts the running C-MOVEs' units need, only while one runs. Anything else gets an
// A-ASSOCIATE-RJ (PS3.8 9.3.4, Table 9-21), said under -v. Each C-STORE goes to the C-MOVE it
// names (Move Originator Message ID, 0000,1031), else to the only one running; then through the
// same output stage as C-GET's (store-scp.ts).
import dns from 'node:dns';
import net from 'node:net';
import { listen, type AssociateDecision, type AssociationListener, type PeerAddress } from '../ul/acceptor.ts';
import { describeRejection, REJECTION } from '../ul/a-associate-rj.ts';
import type { UlLogger } from '../ul/association.ts';
import { answerContexts } from '../ul/negotiation.ts';
import { PRESENTATION_CONTEXT_RESULT, type AssociateRj, type AssociateRq } from '../ul/pdu-types.ts';
import type { DatasetSink } from '../dimse/channel.ts';
import type { CommandSet } from '../dimse/command-set.ts';
import type { Response, ScuSession } from '../dimse/scu-session.ts';
import { StorageSession, VERIFICATION_SOP_CLASS } from '../dimse/storage-session.ts';
import type { StoreRequestHandler } from '../dimse/store-responder.ts';
import { UsageError } from '../dicom/usage-error.ts';
import { QUERY_TRANSFER_SYNTAXES } from './presentation-contexts.ts';
import type { IncomingAssociations } from './operation.ts';
import type { StoreScp, UnitTally } from './store-scp.ts';
import type { Unit } from './units.ts';

const MAX_REFUSALS_KEPT = 20;

/** PS3.7 C.5.x: what a C-STORE that belongs to no C-MOVE of ours is answered. */
const STATUS_NOT_AUTHORIZED = 0x0124;

/** What an incoming association came to, for the events (-v, --ndjson). */
export interface IncomingInfo {
  address: string;
  callingAeTitle: string;
  calledAeTitle: string;
  /** Undefined when accepted. */
  refused: { rejection: Omit<AssociateRj, 'type'>; why: string } | undefined;
}

export interface MoveDestinationOptions {
  /** Our AE title as the C-MOVE's destination (Move Destination, 0000,0600). */
  aeTitle: string;
  port: number;
  /** The address to listen on; undefined: every address. */
  listenAddress?: string | undefined;
  /** The addresses the PACS may connect from. */
  peerAddresses: string[];
  /** The PACS's AE title, when known: the only calling AE title let in. */
  peerAeTitle?: string | undefined;
  store: StoreScp;
  maxReceiveLength: number;
  implementationClassUid: string;
  implementationVersionName?: string | undefined;
  acseTimeoutMs?: number | undefined;
  /** The longest silence while a C-STORE's data set arrives. */
  dimseTimeoutMs?: number | undefined;
  logger?: UlLogger | undefined;
  /** Several C-MOVEs at once (--parallel > 1): said once when the PACS's C-STOREs name none of them. */
  parallel: number;
  warn?: ((message: string) => void) | undefined;
  onIncoming?: ((info: IncomingInfo) => void) | undefined;
}

/** One C-MOVE of ours, running: where its C-STOREs go and what came for it. */
interface RunningMove {
  messageId: number;
  unit: Unit;
  tally: UnitTally;
  session: ScuSession;
  incoming: IncomingAssociations;
  /** C-STOREs not answered yet: the C-MOVE reports its end after them. */
  pending: Set<Promise<void>>;
}

/** The PACS's addresses (every one its name resolves to), and those given beside it. */
export async function resolvePeerAddresses(hosts: string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const host of hosts) {
    if (net.isIP(host)) {
      out.add(plainAddress(host));
      continue;
    }
    try {
      for (const a of await dns.promises.lookup(host, { all: true })) out.add(plainAddress(a.address));
    } catch (err) {
      throw new UsageError(`cannot resolve ${host}, the host the C-MOVE's Storage SCP lets in: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return [...out];
}

/** An IPv4 peer of a dual-stack listener shows as ::ffff:a.b.c.d. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

export class MoveDestination {
  private readonly options: MoveDestinationOptions;
  private listener: AssociationListener | undefined;
  private readonly running = new Map<number, RunningMove>();
  /** The calling AE title of each association accepted, by the peer's address and port, until it is served. */
  private readonly callers = new Map<string, string>();
  private nextId = 0;
  /** Whether the PACS names the C-MOVE in its C-STOREs: until it is known, one C-MOVE at a time. */
  private originatorNamed: boolean | undefined;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Associations the PACS opened to us, accepted and refused, over the run. */
  readonly associations = { accepted: 0, refused: 0 };

  private constructor(options: MoveDestinationOptions) {
    this.options = options;
  }

  get aeTitle(): string {
    return this.options.aeTitle;
  }

  get port(): number {
    return this.options.port;
  }

  /** Listens on the port; a port that cannot be had is a UsageError (found before any C-MOVE). */
  static async open(options: MoveDestinationOptions): Promise<MoveDestination> {
    const d = new MoveDestination(options);
    const o = options;
    try {
      d.listener = await listen({
        host: o.listenAddress, port: o.port, maxReceiveLength: o.maxReceiveLength, acseTimeoutMs: o.acseTimeoutMs,
        implementationClassUid: o.implementationClassUid, implementationVersionName: o.implementationVersionName, logger: o.logger,
        decide: (rq, peer) => d.decide(rq, peer),
        onAssociation: (association, peer) => d.serve(association, peer),
        onRefused: (err, peer) => {
          d.callers.delete(`${peer.address}|${peer.port}`);
          o.logger?.verbose?.(`Storage SCP: the association from ${plainAddress(peer.address)} did not come about: ${err.message}`);
        },
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`cannot listen on ${o.listenAddress ?? 'every address'} port ${o.port} for the C-MOVE's Storage SCP: ${code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
    }
    o.logger?.verbose?.(`Storage SCP for C-MOVE: AE title "${o.aeTitle}", listening on ${o.listenAddress ?? 'every address'} port ${o.port}, for ${o.peerAddresses.join(', ')}${o.peerAeTitle ? ` calling as "${o.peerAeTitle}"` : ''}`);
    return d;
  }

  /**
   * One C-MOVE (PS3.4 C.4.2): its C-STOREs, wherever they arrive, into `tally`; resolves with the
   * final C-MOVE-RSP once every C-STORE that came for it is answered.
   */
  async run(session: ScuSession, context: Parameters<ScuSession['move']>[0], identifier: Buffer, unit: Unit, tally: UnitTally,
    onResponse: (r: Response) => void): Promise<{ final: Response; incoming: IncomingAssociations }> {
    const done = await this.turn();
    const move: RunningMove = { messageId: this.messageId(), unit, tally, session, incoming: { accepted: 0, refused: [] }, pending: new Set() };
    this.running.set(move.messageId, move);
    try {
      const final = await session.move(context, identifier, this.options.aeTitle, move.messageId, onResponse);
      await Promise.allSettled(move.pending);
      return { final, incoming: move.incoming };
    } finally {
      this.running.delete(move.messageId);
      done();
    }
  }

  /** Stops listening and aborts every association still open. */
  async close(): Promise<void> {
    const l = this.listener;
    this.listener = undefined;
    await l?.close();
  }

  /** PS3.7 9.1.1.1.2: unique among our outstanding operations, so that a C-STORE names one C-MOVE. */
  private messageId(): number {
    do this.nextId = this.nextId === 0xffff ? 1 : this.nextId + 1;
    while (this.running.has(this.nextId));
    return this.nextId;
  }

  /** Waits until another C-MOVE may run: one at a time until the PACS is seen to name its C-MOVE. */
  private async turn(): Promise<() => void> {
    while (this.active >= (this.originatorNamed ? Infinity : 1)) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    return () => {
      this.active--;
      this.waiting.shift()?.();
    };
  }

  /** PS3.8 9.3.4 / 9.3.3: an incoming A-ASSOCIATE-RQ, refused (Table 9-21) or answered context by context. */
  private decide(rq: AssociateRq, peer: PeerAddress): AssociateDecision {
    const refusal = this.refusal(rq, plainAddress(peer.address));
    const info: IncomingInfo = { address: plainAddress(peer.address), callingAeTitle: rq.callingAeTitle, calledAeTitle: rq.calledAeTitle, refused: refusal };
    if (!refusal) {
      const contexts = answerContexts(rq, (abstractSyntax) => this.syntaxesFor(abstractSyntax));
      if (contexts.some((c) => c.result === PRESENTATION_CONTEXT_RESULT.ACCEPTANCE)) {
        this.associations.accepted++;
        this.callers.set(`${peer.address}|${peer.port}`, rq.callingAeTitle);
        this.options.logger?.verbose?.(`Storage SCP: association from ${info.address} calling "${rq.callingAeTitle}" accepted, ${contexts.filter((c) => c.result === PRESENTATION_CONTEXT_RESULT.ACCEPTANCE).length} of ${contexts.length} presentation contexts`);
        for (const m of this.running.values()) m.incoming.accepted++;
        this.options.onIncoming?.(info);
        return { accept: { contexts, roles: [] } };
      }
      info.refused = { rejection: REJECTION.NO_REASON, why: 'it proposes none of the storage classes this retrieve expects, in a transfer syntax they are stored in' };
    }
    const why = `from ${info.address} calling "${rq.callingAeTitle}" to "${rq.calledAeTitle}": ${info.refused!.why}`;
    this.associations.refused++;
    // A few are enough to say why; a caller that keeps trying costs no memory.
    for (const m of this.running.values()) if (m.incoming.refused.length < MAX_REFUSALS_KEPT) m.incoming.refused.push(why);
    this.options.logger?.verbose?.(`Storage SCP: refused an association ${why} (A-ASSOCIATE-RJ: ${describeRejection(info.refused!.rejection)})`);
    this.options.onIncoming?.(info);
    return { reject: info.refused!.rejection };
  }

  /** Who is let in, in PS3.8 Table 9-21's terms. */
  private refusal(rq: AssociateRq, address: string): IncomingInfo['refused'] {
    const o = this.options;
    if (this.running.size === 0) return { rejection: REJECTION.NO_REASON, why: 'no C-MOVE of dcmget\'s is running' };
    if (!o.peerAddresses.includes(address)) return { rejection: REJECTION.NO_REASON, why: `only ${o.peerAddresses.join(', ')} may connect (--move-peer-host ${address} lets it in)` };
    if (rq.calledAeTitle !== o.aeTitle) return { rejection: REJECTION.CALLED_AE_TITLE_NOT_RECOGNIZED, why: `the C-MOVE named "${o.aeTitle}" as its destination` };
    if (o.peerAeTitle !== undefined && rq.callingAeTitle !== o.peerAeTitle) return { rejection: REJECTION.CALLING_AE_TITLE_NOT_RECOGNIZED, why: `only "${o.peerAeTitle}" may connect (--move-peer-aet)` };
    return undefined;
  }

  /**
   * The transfer syntaxes accepted for a class: those of the running units' storage contexts, in
   * their order (the stored syntaxes first, storage-proposal.ts); C-ECHO's Verification too.
   */
  private syntaxesFor(abstractSyntax: string): string[] | undefined {
    if (abstractSyntax === VERIFICATION_SOP_CLASS) return QUERY_TRANSFER_SYNTAXES;
    const out = new Set<string>();
    for (const m of this.running.values()) {
      for (const p of m.unit.storage) if (p.sopClassUid === abstractSyntax) for (const ctx of p.contexts) for (const ts of ctx) out.add(ts);
    }
    return out.size ? [...out] : undefined;
  }

  private serve(association: Parameters<Parameters<typeof listen>[0]['onAssociation']>[0], peer: PeerAddress): void {
    const key = `${peer.address}|${peer.port}`;
    // The File Meta's Source AE Title: the PACS that sends (a C-MOVE SCP calls with its own).
    const caller = this.callers.get(key);
    this.callers.delete(key);
    new StorageSession(association, {
      onStore: (command, context, respond) => this.onStore(caller, command, context, respond),
      // The PACS is at work on our C-MOVEs: their DIMSE timeouts start again (-td is for silence).
      onActivity: () => { for (const m of this.running.values()) m.session.touch(); },
      onClose: (error) => {
        if (error) this.options.logger?.verbose?.(`Storage SCP: the association from ${plainAddress(peer.address)} ended: ${error.message}`);
      },
    }, { logger: this.options.logger, dimseTimeoutMs: this.options.dimseTimeoutMs });
  }

  private onStore(caller: string | undefined, ...[command, context, respond]: Parameters<StoreRequestHandler>): DatasetSink {
    const move = this.moveOf(command);
    if (!move) {
      // Not ours to keep: the data set is read and dropped, and the C-STORE refused.
      return { write: () => true, end: () => respond(STATUS_NOT_AUTHORIZED, { errorComment: 'no C-MOVE of this SCU is running for it' }), abort: () => {} };
    }
    let settle!: () => void;
    const answered = new Promise<void>((r) => { settle = r; });
    move.pending.add(answered);
    const settled = () => { move.pending.delete(answered); settle(); };
    const sink = this.options.store.handlerFor(move.tally, caller)(command, context, (status, extra) => {
      respond(status, extra);
      settled();
    });
    return {
      write: (chunk) => sink.write(chunk),
      ...(sink.flush ? { flush: () => sink.flush!() } : {}),
      end: () => sink.end(),
      abort: () => { sink.abort(); settled(); },
    };
  }

  /** PS3.4 C.4.2.3: the C-MOVE a C-STORE belongs to, by Move Originator Message ID; else the only one running. */
  private moveOf(command: CommandSet): RunningMove | undefined {
    const id = command.moveOriginatorMessageId;
    const named = id !== undefined ? this.running.get(id) : undefined;
    if (named) {
      if (!this.originatorNamed) {
        this.originatorNamed = true;
        for (const w of this.waiting.splice(0)) w();
      }
      return named;
    }
    if (this.originatorNamed === undefined && this.options.parallel > 1) {
      this.options.warn?.(`the PACS names no C-MOVE of ours in its C-STOREs (Move Originator Message ID, 0000,1031${id !== undefined ? `: ${id}` : ''}): one C-MOVE at a time, so that each instance is counted to its request`);
    }
    this.originatorNamed ??= false;
    return this.running.size === 1 ? [...this.running.values()][0] : undefined;
  }
}
