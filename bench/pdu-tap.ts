// What the relay sees of each association, for any tool (dcmget or getscu): PDU boundaries,
// PDV message control headers (PS3.8 9.3.5.1, Annex E) and, in command PDVs, the Command Field
// (0000,0100) and Status (0000,0900) (PS3.7 E.1), read with dcmget's own parser and decoder
// (src/ul/pdu-parser.ts, src/dimse/command-set.ts). Data sets are not decoded; nothing is changed.
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

import { PduParser } from '../src/ul/pdu-parser.ts';
import { decodeCommandSet } from '../src/dimse/command-set.ts';
import { MESSAGE_CONTROL, PDU_TYPE } from '../src/ul/pdu-types.ts';

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

/**
 * One direction, parsed by dcmget's own streaming PDU parser (src/ul/pdu-parser.ts: PDVs handed
 * on as they arrive) and command-set decoder. Bytes it refuses (a tool under test may send
 * anything) end the recording of that direction, never the relay.
 */
class DirectionParser {
  private readonly parser: PduParser;
  private t = 0;
  private command: Buffer[] = [];
  private broken = false;

  constructor(fromServer: boolean, emit: (e: TapEvent) => void) {
    this.parser = new PduParser({
      onControlPdu: (pdu) => emit({ t: this.t, fromServer, pduType: pdu.type }),
      onPdv: (_contextId, control, data, end) => {
        const isCommand = (control & MESSAGE_CONTROL.COMMAND) !== 0;
        if (isCommand && data.length > 0) this.command.push(Buffer.from(data)); // views die with the call
        if (!end || !(control & MESSAGE_CONTROL.LAST)) return;
        if (!isCommand) {
          emit({ t: this.t, fromServer, pduType: PDU_TYPE.P_DATA_TF, kind: 'data' });
          return;
        }
        const bytes = Buffer.concat(this.command);
        this.command = [];
        let field: number | undefined;
        let status: number | undefined;
        try {
          const c = decodeCommandSet(bytes);
          field = c.commandField;
          status = c.status;
        } catch { /* not a command set we can read: its time is still recorded */ }
        emit({ t: this.t, fromServer, pduType: PDU_TYPE.P_DATA_TF, kind: 'command', commandField: field, status });
      },
    }, { maxPDataLength: 0 });
  }

  feed(chunk: Buffer, t: number): void {
    if (this.broken) return;
    this.t = t;
    try {
      this.parser.push(chunk);
    } catch {
      this.broken = true;
    }
  }
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

const { A_ASSOCIATE_AC: PDU_A_ASSOCIATE_AC, A_RELEASE_RQ: PDU_A_RELEASE_RQ, A_RELEASE_RP: PDU_A_RELEASE_RP, A_ABORT: PDU_A_ABORT } = PDU_TYPE;
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
