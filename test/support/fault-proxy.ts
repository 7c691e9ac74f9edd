// A PDU-aware TCP relay for fault tests (issue 15): dcmget connects to the proxy, the proxy to a
// real peer (Orthanc) or the fake SCP, and every PDU (PS3.8 9.3: a 6-byte header, type and
// 32-bit length) is passed on whole, unless a rule picks it for a fault:
//
//   cut        end both connections (FIN) instead of passing it; `partial` bytes of it first
//   reset      reset both connections (RST) instead; `partial` bytes of it first
//   delay      pass it `ms` later (and everything after it behind it, in order)
//   corrupt    pass it with the byte at offset `at` (from the PDU's first byte, or with `fromEnd`
//              from its last) XOR `xor`
//   duplicate  pass it twice
//   drop       do not pass it
//   merge      pass it and the next `count` - 1 P-DATA-TF PDUs as one P-DATA-TF (their PDV items
//              back to back: legal, PS3.8 9.3.5, as long as the receiver's Maximum Length allows;
//              fewer when a message's last fragment comes first; other PDUs pass as they come)
//
//   const proxy = await startFaultProxy({ port: orthanc.dicomPort, rules: [
//     { match: dataFragment(3), action: 'duplicate' },    // the 4th P-DATA-TF of data set bytes only
//   ] });
//   // dcmget ... 127.0.0.1 ${proxy.port}
//   proxy.events   // every PDU passed, and every fault done, in order
//
// A rule matches PDUs flowing one way (`to`: 'scu', towards dcmget, the default; or 'scp'), by a
// predicate on the PDU (its type, its number on its connection, its PDVs, the command whose data
// set it carries); it fires on the `nth` match (0-based, default 0) counted over every connection
// of the proxy, and, with `times`, that many times (Infinity: every match from then on), so a
// fault can hit one association and spare the next (dcmget's second pass).
import net from 'node:net';
import { decodeCommandSet } from '../../src/dimse/command-set.ts';

export type FaultAction =
  | { action: 'cut'; partial?: number }
  | { action: 'reset'; partial?: number }
  | { action: 'delay'; ms: number }
  | { action: 'corrupt'; at: number; xor?: number; fromEnd?: boolean }
  | { action: 'duplicate' }
  | { action: 'drop' }
  | { action: 'merge'; count: number };

export interface PdvInfo {
  contextId: number;
  /** Message Control Header bit 0: a command fragment (else data set bytes). */
  command: boolean;
  /** Message Control Header bit 1: the last fragment of its command or data set. */
  last: boolean;
  /** Bytes of the fragment (the PDV item's length less its 2-byte header). */
  length: number;
}

export interface PduInfo {
  type: number;
  /** The PDU's length field (bytes after the 6-byte header). */
  length: number;
  /** Its number among the PDUs flowing this way on this connection, from 0. */
  index: number;
  /** Of a P-DATA-TF; empty otherwise. */
  pdvs: PdvInfo[];
  /** The Command Field (PS3.7 E.1) of the message whose data set its first PDV carries, if any. */
  dataSetOf: number | undefined;
  /** The Command Field of a command set whose last fragment it carries, if any. */
  commandField: number | undefined;
  /** Its first PDV is the first fragment of a data set. */
  startsDataSet: boolean;
}

export type FaultRule = FaultAction & {
  to?: 'scu' | 'scp';
  match: (pdu: PduInfo) => boolean;
  nth?: number;
  times?: number;
};

export type ProxyEvent =
  | { type: 'connection'; connection: number }
  | { type: 'pdu'; connection: number; to: 'scu' | 'scp'; pdu: PduInfo }
  | { type: 'fault'; connection: number; to: 'scu' | 'scp'; action: FaultAction['action']; pdu: PduInfo }
  | { type: 'closed'; connection: number };

export interface FaultProxy {
  host: string;
  port: number;
  events: ProxyEvent[];
  /** The faults done so far. */
  faults(): Extract<ProxyEvent, { type: 'fault' }>[];
  stop(): Promise<void>;
}

const P_DATA_TF = 0x04;
/** A test relay holds whole PDUs; none of the peers under test sends one near this. */
const MAX_PDU = 64 * 1024 * 1024;

/** A P-DATA-TF of data set bytes only (no command fragment): where a data set can be damaged. */
export function isDataFragment(pdu: PduInfo): boolean {
  return pdu.type === P_DATA_TF && pdu.pdvs.length > 0 && pdu.pdvs.every((p) => !p.command);
}

/** A P-DATA-TF carrying data set bytes that does not end its data set. */
export function isInnerDataFragment(pdu: PduInfo): boolean {
  return isDataFragment(pdu) && pdu.pdvs.every((p) => !p.last);
}

export const C_STORE_RQ = 0x0001;

/** A P-DATA-TF of a C-STORE-RQ's data set, not its last: damaged there, a data set is no longer whole. */
export function isInnerStoreFragment(pdu: PduInfo): boolean {
  return isInnerDataFragment(pdu) && pdu.dataSetOf === C_STORE_RQ;
}

/** The P-DATA-TF that starts a C-STORE-RQ's data set. */
export function startsStoreDataSet(pdu: PduInfo): boolean {
  return isDataFragment(pdu) && pdu.startsDataSet && pdu.dataSetOf === C_STORE_RQ;
}

/** Follows the messages flowing one way: which command each data set belongs to. */
class MessageTracker {
  private command: Buffer[] = [];
  private field: number | undefined;
  private dataStarted = false;

  /** dataSetOf, startsDataSet and commandField of a PDU, and the state after it. */
  follow(pdvs: PdvInfo[], pdu: Buffer): Pick<PduInfo, 'dataSetOf' | 'startsDataSet' | 'commandField'> {
    let first: Pick<PduInfo, 'dataSetOf' | 'startsDataSet'> | undefined;
    let commandField: number | undefined;
    let o = 6;
    for (const pdv of pdvs) {
      const data = pdu.subarray(o + 6, o + 6 + pdv.length);
      o += 6 + pdv.length;
      if (pdv.command) {
        first ??= { dataSetOf: undefined, startsDataSet: false };
        this.command.push(data);
        if (pdv.last) {
          try { this.field = decodeCommandSet(Buffer.concat(this.command)).commandField; } catch { this.field = undefined; }
          commandField = this.field;
          this.command = [];
          this.dataStarted = false;
        }
        continue;
      }
      first ??= { dataSetOf: this.field, startsDataSet: !this.dataStarted };
      this.dataStarted = true;
    }
    return { ...(first ?? { dataSetOf: undefined, startsDataSet: false }), commandField };
  }
}

export function pdvsOf(pdu: Buffer): PdvInfo[] {
  const out: PdvInfo[] = [];
  if (pdu[0] !== P_DATA_TF) return out;
  for (let o = 6; o + 6 <= pdu.length;) {
    const length = pdu.readUInt32BE(o);
    out.push({ contextId: pdu[o + 4]!, command: (pdu[o + 5]! & 1) !== 0, last: (pdu[o + 5]! & 2) !== 0, length: Math.max(0, length - 2) });
    o += 4 + length;
  }
  return out;
}

export async function startFaultProxy(options: { host?: string; port: number; rules?: FaultRule[] }): Promise<FaultProxy> {
  const upstreamHost = options.host ?? '127.0.0.1';
  const rules = options.rules ?? [];
  const events: ProxyEvent[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  // Per rule, over every connection: its matches so far, and how often it fired.
  const matches = rules.map(() => 0);
  const fired = rules.map(() => 0);
  const ruleFor = (pdu: PduInfo, direction: 'scu' | 'scp'): FaultRule | undefined => {
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if ((r.to ?? 'scu') !== direction || !r.match(pdu)) continue;
      const n = matches[i]!++;
      if (n < (r.nth ?? 0) || fired[i]! >= (r.times ?? 1)) continue;
      fired[i]!++;
      return r;
    }
    return undefined;
  };

  const server = net.createServer((client) => {
    const connection = ++connections;
    events.push({ type: 'connection', connection });
    const upstream = net.connect({ host: upstreamHost, port: options.port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => { /* the other side sees the close */ });
    }
    let closed = false;
    const close = (how: 'end' | 'reset'): void => {
      if (closed) return;
      closed = true;
      for (const s of [client, upstream]) {
        if (how === 'reset') s.resetAndDestroy();
        else s.end();
        setTimeout(() => s.destroy(), 2000).unref();
      }
    };
    const onClose = (): void => {
      if (!closed) close('end');
      if (client.destroyed && upstream.destroyed) events.push({ type: 'closed', connection });
    };
    client.on('close', () => { sockets.delete(client); onClose(); });
    upstream.on('close', () => { sockets.delete(upstream); onClose(); });
    const relay = (from: net.Socket, to: net.Socket, direction: 'scu' | 'scp'): void => {
      const tracker = new MessageTracker();
      let buffered: Buffer[] = [];
      let bufferedLength = 0;
      let index = 0;
      let merging: { count: number; parts: Buffer[] } | undefined;
      let chain = Promise.resolve();
      const send = (b: Buffer): void => { if (!closed && !to.destroyed) to.write(b); };
      const handle = async (bytes: Buffer): Promise<void> => {
        const pdvs = pdvsOf(bytes);
        const pdu: PduInfo = { type: bytes[0]!, length: bytes.readUInt32BE(2), index: index++, pdvs, ...tracker.follow(pdvs, bytes) };
        if (merging && pdu.type === P_DATA_TF) {
          merging.parts.push(bytes.subarray(6));
          // Up to the last fragment of a message: the peer sends no more until it is answered.
          if (merging.parts.length < merging.count && !pdvs.some((p) => p.last)) return;
          const body = Buffer.concat(merging.parts);
          merging = undefined;
          const header = Buffer.from([P_DATA_TF, 0, 0, 0, 0, 0]);
          header.writeUInt32BE(body.length, 2);
          send(Buffer.concat([header, body]));
          return;
        }
        const rule = ruleFor(pdu, direction);
        if (!rule) {
          events.push({ type: 'pdu', connection, to: direction, pdu });
          send(bytes);
          return;
        }
        events.push({ type: 'fault', connection, to: direction, action: rule.action, pdu });
        switch (rule.action) {
          case 'cut':
          case 'reset':
            if (rule.partial) send(bytes.subarray(0, rule.partial));
            // Let the partial bytes leave before the connections go.
            await new Promise((r) => setTimeout(r, rule.partial ? 50 : 0));
            close(rule.action === 'cut' ? 'end' : 'reset');
            return;
          case 'delay':
            await new Promise((r) => setTimeout(r, rule.ms));
            send(bytes);
            return;
          case 'corrupt': {
            const copy = Buffer.from(bytes);
            copy[rule.fromEnd ? copy.length - 1 - (rule.at % copy.length) : rule.at % copy.length]! ^= rule.xor ?? 0xff;
            send(copy);
            return;
          }
          case 'duplicate':
            send(bytes);
            send(bytes);
            return;
          case 'drop':
            return;
          case 'merge':
            merging = { count: rule.count, parts: [bytes.subarray(6)] };
            return;
        }
      };
      from.on('data', (chunk: Buffer) => {
        buffered.push(chunk);
        bufferedLength += chunk.length;
        let all = Buffer.concat(buffered, bufferedLength);
        while (all.length >= 6) {
          const length = all.readUInt32BE(2);
          if (length > MAX_PDU) {
            close('reset');
            return;
          }
          if (all.length < 6 + length) break;
          const pdu = Buffer.from(all.subarray(0, 6 + length));
          all = all.subarray(6 + length);
          chain = chain.then(() => handle(pdu));
        }
        buffered = all.length ? [all] : [];
        bufferedLength = all.length;
      });
      // A side that half-closes: pass the FIN on once everything before it has gone.
      from.on('end', () => { void chain.then(() => { if (!closed) to.end(); }); });
    };
    relay(upstream, client, 'scu');
    relay(client, upstream, 'scp');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const address = server.address() as net.AddressInfo;
  return {
    host: '127.0.0.1',
    port: address.port,
    events,
    faults: () => events.filter((e): e is Extract<ProxyEvent, { type: 'fault' }> => e.type === 'fault'),
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
