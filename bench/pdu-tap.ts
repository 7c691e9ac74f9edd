// What the relay sees of each association, for any tool (dcmget or getscu): PDU boundaries,
// PDV message control headers (PS3.8 9.3.5.1, Annex E) and, in command PDVs, the Command Field
// (0000,0100) and Status (0000,0900) (PS3.7 E.1). Nothing else is decoded and nothing is changed.
// From them, per association: when it was negotiated and released, when each C-GET or C-FIND ran
// (request to final response: busy; the rest of its life: idle), and for each C-STORE
// sub-operation the three parts of its cycle:
//   transfer  the server's C-STORE-RQ command to the last fragment of its data set
//   client    that last fragment to the client's C-STORE-RSP (the client's turnaround)
//   server    the C-STORE-RSP to the next C-STORE-RQ (the server's turnaround)
// Times are when the relay read the bytes. Between the server's last fragment reaching the relay
// and the client's answer reaching it lies one trip to the client (half the round trip the relay
// adds) and the client's own time; so half of rttMs is taken off each turnaround, leaving the
// peer's own time plus the relay's hop (~0.02-0.1 ms each way at 0 ms).

const PDU_P_DATA_TF = 0x04;
const PDU_A_ASSOCIATE_AC = 0x02;
const PDU_A_RELEASE_RQ = 0x05;
const PDU_A_RELEASE_RP = 0x06;
const PDU_A_ABORT = 0x07;
const COMMAND_BIT = 0x01;
const LAST_BIT = 0x02;
/** A command set is a few hundred bytes; more is kept of none. */
const MAX_COMMAND_BYTES = 4096;

export interface TapEvent {
  /** ms, performance.now() of the relay */
  t: number;
  fromServer: boolean;
  pduType: number;
  /** P-DATA-TF only: the last fragment of a command or of a data set */
  kind?: 'command' | 'data';
  commandField?: number | undefined;
  status?: number | undefined;
}

/** A streaming parser of one direction: PDU headers, PDV headers, command sets. */
class DirectionParser {
  private readonly fromServer: boolean;
  private readonly emit: (e: TapEvent) => void;
  private header = Buffer.alloc(6);
  private headerFill = 0;
  private pduType = 0;
  /** bytes of the current PDU body left */
  private pduLeft = 0;
  private pdvHeader = Buffer.alloc(6);
  private pdvHeaderFill = 0;
  private pdvLeft = 0;
  private control = 0;
  private command: Buffer[] = [];
  private commandBytes = 0;

  constructor(fromServer: boolean, emit: (e: TapEvent) => void) {
    this.fromServer = fromServer;
    this.emit = emit;
  }

  feed(chunk: Buffer, t: number): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.pduLeft === 0) {
        const take = Math.min(6 - this.headerFill, chunk.length - i);
        chunk.copy(this.header, this.headerFill, i, i + take);
        this.headerFill += take;
        i += take;
        if (this.headerFill < 6) return;
        this.headerFill = 0;
        this.pduType = this.header[0]!;
        this.pduLeft = this.header.readUInt32BE(2);
        if (this.pduLeft === 0) this.emit({ t, fromServer: this.fromServer, pduType: this.pduType });
        continue;
      }
      if (this.pduType !== PDU_P_DATA_TF) {
        const take = Math.min(this.pduLeft, chunk.length - i);
        i += take;
        this.pduLeft -= take;
        if (this.pduLeft === 0) this.emit({ t, fromServer: this.fromServer, pduType: this.pduType });
        continue;
      }
      if (this.pdvLeft === 0) {
        const take = Math.min(6 - this.pdvHeaderFill, chunk.length - i, this.pduLeft);
        chunk.copy(this.pdvHeader, this.pdvHeaderFill, i, i + take);
        this.pdvHeaderFill += take;
        this.pduLeft -= take;
        i += take;
        if (this.pdvHeaderFill < 6) continue;
        this.pdvHeaderFill = 0;
        this.pdvLeft = this.pdvHeader.readUInt32BE(0) - 2;
        this.control = this.pdvHeader[5]!;
        if (this.pdvLeft === 0) this.endPdv(t);
        continue;
      }
      const take = Math.min(this.pdvLeft, chunk.length - i);
      if (this.control & COMMAND_BIT && this.commandBytes < MAX_COMMAND_BYTES) {
        this.command.push(Buffer.from(chunk.subarray(i, i + take)));
        this.commandBytes += take;
      }
      i += take;
      this.pdvLeft -= take;
      this.pduLeft -= take;
      if (this.pdvLeft === 0) this.endPdv(t);
    }
  }

  private endPdv(t: number): void {
    if (!(this.control & LAST_BIT)) return;
    if (this.control & COMMAND_BIT) {
      const set = Buffer.concat(this.command);
      this.command = [];
      this.commandBytes = 0;
      this.emit({ t, fromServer: this.fromServer, pduType: PDU_P_DATA_TF, kind: 'command', commandField: us(set, 0x0100), status: us(set, 0x0900) });
    } else {
      this.emit({ t, fromServer: this.fromServer, pduType: PDU_P_DATA_TF, kind: 'data' });
    }
  }
}

/** A US element of group 0000 in an Implicit VR Little Endian command set, found by walking it. */
function us(set: Buffer, element: number): number | undefined {
  let o = 0;
  while (o + 8 <= set.length) {
    const group = set.readUInt16LE(o);
    const el = set.readUInt16LE(o + 2);
    const length = set.readUInt32LE(o + 4);
    if (group === 0 && el === element && length === 2 && o + 10 <= set.length) return set.readUInt16LE(o + 8);
    o += 8 + length;
  }
  return undefined;
}

export class ConnectionTap {
  readonly id: number;
  readonly events: TapEvent[] = [];
  readonly openedAt: number;
  closedAt: number | undefined;
  private readonly up: DirectionParser;
  private readonly down: DirectionParser;

  constructor(id: number, openedAt: number) {
    this.id = id;
    this.openedAt = openedAt;
    this.up = new DirectionParser(false, (e) => this.events.push(e));
    this.down = new DirectionParser(true, (e) => this.events.push(e));
  }

  feed(fromServer: boolean, chunk: Buffer, t: number): void {
    (fromServer ? this.down : this.up).feed(chunk, t);
  }
}

export interface AssociationFigures {
  /** 1-based, in the order the connections were made */
  association: number;
  /** what it was for: the operations its client asked, e.g. "C-GET" or "C-FIND" */
  operations: string;
  /** ms from the first connection of the run */
  openedMs: number;
  /** connect to A-ASSOCIATE-AC, ms (the relay's handshake and negotiation) */
  negotiationMs: number | null;
  /** A-ASSOCIATE-AC to A-RELEASE-RP (or the close), ms */
  lifeMs: number;
  /** C-GET/C-FIND request to final response, summed, ms */
  busyMs: number;
  idleMs: number;
  instances: number;
  /** medians per C-STORE sub-operation, ms (see the file's head) */
  transferMs: number | null;
  clientMs: number | null;
  serverMs: number | null;
  /** sums over the sub-operations, ms */
  clientTotalMs: number;
  serverTotalMs: number;
}

const OPERATIONS: Record<number, string> = { 0x0010: 'C-GET', 0x0020: 'C-FIND', 0x0021: 'C-MOVE', 0x0030: 'C-ECHO' };
const PENDING = new Set([0xff00, 0xff01]);
const r2 = (x: number): number => Math.round(x * 100) / 100;
const median = (xs: number[]): number | null => (xs.length ? r2([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!) : null);

/** Per-association figures of one run's connections (in the order made). */
export function associationFigures(taps: ConnectionTap[], rttMs: number): AssociationFigures[] {
  const start = taps[0]?.openedAt ?? 0;
  return taps.map((tap, i) => {
    const ev = tap.events;
    const ac = ev.find((e) => e.fromServer && e.pduType === PDU_A_ASSOCIATE_AC);
    const end = ev.find((e) => (e.fromServer && (e.pduType === PDU_A_RELEASE_RP || e.pduType === PDU_A_ABORT)) || (!e.fromServer && e.pduType === PDU_A_ABORT))?.t
      ?? ev.find((e) => !e.fromServer && e.pduType === PDU_A_RELEASE_RQ)?.t ?? tap.closedAt ?? ev.at(-1)?.t ?? tap.openedAt;
    const ops = new Set<string>();
    let busy = 0;
    let requestAt: number | undefined;
    const transfer: number[] = [];
    const client: number[] = [];
    const server: number[] = [];
    let storeRqAt: number | undefined;
    let dataEndAt: number | undefined;
    let rspAt: number | undefined;
    for (const e of ev) {
      if (e.kind !== 'command' && e.kind !== 'data') continue;
      const field = e.commandField ?? -1;
      if (!e.fromServer && e.kind === 'command' && OPERATIONS[field] !== undefined) {
        ops.add(OPERATIONS[field]);
        requestAt ??= e.t;
      } else if (e.fromServer && e.kind === 'command' && OPERATIONS[field & 0x7fff] !== undefined && field & 0x8000 && !PENDING.has(e.status ?? 0)) {
        if (requestAt !== undefined) busy += e.t - requestAt;
        requestAt = undefined;
      }
      if (e.fromServer && e.kind === 'command' && field === 0x0001) {
        if (rspAt !== undefined) server.push(e.t - rspAt - rttMs / 2);
        storeRqAt = e.t;
        rspAt = undefined;
      } else if (e.fromServer && e.kind === 'data' && storeRqAt !== undefined) {
        dataEndAt = e.t;
        transfer.push(e.t - storeRqAt);
        storeRqAt = undefined;
      } else if (!e.fromServer && e.kind === 'command' && field === 0x8001 && dataEndAt !== undefined) {
        client.push(e.t - dataEndAt - rttMs / 2);
        rspAt = e.t;
        dataEndAt = undefined;
      }
    }
    const life = end - (ac?.t ?? tap.openedAt);
    const sum = (xs: number[]): number => r2(xs.reduce((s, x) => s + x, 0));
    return {
      association: i + 1,
      operations: [...ops].join('+') || '-',
      openedMs: r2(tap.openedAt - start),
      negotiationMs: ac ? r2(ac.t - tap.openedAt) : null,
      lifeMs: r2(life),
      busyMs: r2(busy),
      idleMs: r2(life - busy),
      instances: client.length,
      transferMs: median(transfer),
      clientMs: median(client),
      serverMs: median(server),
      clientTotalMs: sum(client),
      serverTotalMs: sum(server),
    };
  });
}
