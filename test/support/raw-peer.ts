// A scripted raw DICOM peer for the Upper Layer's state machine tests: whatever bytes a test
// gives it go out as they are, and what dcmget sends comes back as whole PDUs, framed here by
// their 6-byte header (PS3.8 9.3.1) without dcmget's own parser. It listens (to face dcmget's
// requestor) or connects (to face dcmget's acceptor), over real loopback sockets.
//
//   const server = await rawServer();                  // dcmget connects to server.port
//   const peer = await server.accepted();
//   const rq = await peer.next();                      // { type: 1, bytes }
//   peer.send(pdus.releaseRq());
//   await peer.closed();                               // dcmget closed the connection
//
//   const peer = await rawConnect(port);               // to dcmget's listener
import net from 'node:net';
import { encodeAssociateAc, encodeAssociateRq } from '../../src/ul/a-associate.ts';
import { DICOM_APPLICATION_CONTEXT, type PresentationContextAc, type PresentationContextRq, type RoleSelection } from '../../src/ul/pdu-types.ts';
import { LOOPBACK } from './ports.ts';

export interface RawPdu {
  type: number;
  /** The whole PDU, header included. */
  bytes: Buffer;
}

export class RawPeer {
  readonly socket: net.Socket;
  /** Every PDU received so far, in order. */
  readonly received: RawPdu[] = [];
  private buffer = Buffer.alloc(0);
  private readonly waiters: (() => void)[] = [];
  private taken = 0;
  closedBy: 'end' | 'close' | undefined;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {}); // a reset is what some tests provoke
    socket.on('end', () => { this.closedBy ??= 'end'; this.wake(); });
    socket.on('close', () => { this.closedBy ??= 'close'; this.wake(); });
  }

  private onData(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 6) {
      const length = 6 + this.buffer.readUInt32BE(2);
      if (this.buffer.length < length) break;
      this.received.push({ type: this.buffer[0]!, bytes: Buffer.from(this.buffer.subarray(0, length)) });
      this.buffer = this.buffer.subarray(length);
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private until<T>(ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`raw peer: no ${what} within ${timeoutMs} ms (received: ${this.describe()})`)), timeoutMs);
      const check = (): void => {
        const value = ready();
        if (value !== undefined) {
          clearTimeout(timer);
          resolve(value);
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  /** The next PDU dcmget sends. */
  next(timeoutMs = 3000): Promise<RawPdu> {
    return this.until(() => (this.taken < this.received.length ? this.received[this.taken++] : undefined), timeoutMs, 'PDU');
  }

  /** Resolves once dcmget has closed (or reset) the connection; how. */
  closed(timeoutMs = 3000): Promise<'end' | 'close'> {
    return this.until(() => this.closedBy, timeoutMs, 'close');
  }

  /** PDUs received and not yet taken by next(). */
  get unread(): RawPdu[] {
    return this.received.slice(this.taken);
  }

  get isClosed(): boolean {
    return this.closedBy !== undefined;
  }

  send(...pdus: Buffer[]): void {
    this.socket.write(Buffer.concat(pdus));
  }

  /** FIN: dcmget sees the transport close. */
  end(): void {
    this.socket.end();
  }

  describe(): string {
    return this.received.map((p) => p.bytes.subarray(0, 12).toString('hex')).join(', ') || 'nothing';
  }
}

export interface RawServer {
  readonly port: number;
  /** The next connection dcmget opens. */
  accepted(): Promise<RawPeer>;
  close(): Promise<void>;
}

export function rawServer(): Promise<RawServer> {
  const queue: RawPeer[] = [];
  const waiting: ((p: RawPeer) => void)[] = [];
  const peers: RawPeer[] = [];
  const server = net.createServer((socket) => {
    const peer = new RawPeer(socket);
    peers.push(peer);
    const w = waiting.shift();
    if (w) w(peer);
    else queue.push(peer);
  });
  return new Promise((resolve) => {
    server.listen({ host: LOOPBACK, port: 0 }, () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        accepted: () => new Promise((r) => { const p = queue.shift(); if (p) r(p); else waiting.push(r); }),
        close: () => new Promise((r) => { for (const p of peers) p.socket.destroy(); server.close(() => r()); }),
      });
    });
  });
}

/** `localAddress`: connect from another loopback address (127.0.0.2 …), a host the listener may not expect. */
export function rawConnect(port: number, localAddress?: string): Promise<RawPeer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOOPBACK, port, ...(localAddress ? { localAddress } : {}) }, () => resolve(new RawPeer(socket)));
    socket.once('error', reject);
  });
}

/** A PDU from a type and a body (PS3.8 9.3.1: type, reserved, 32-bit big-endian length). */
export function pdu(type: number, body: Buffer | number[]): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const header = Buffer.alloc(6);
  header[0] = type;
  header.writeUInt32BE(b.length, 2);
  return Buffer.concat([header, b]);
}

/** PDUs as a peer sends them, built byte by byte after PS3.8 9.3 where they are short. */
export const pdus = {
  /** PS3.8 9.3.6: A-RELEASE-RQ, four reserved bytes. */
  releaseRq: () => pdu(0x05, [0, 0, 0, 0]),
  /** PS3.8 9.3.7 */
  releaseRp: () => pdu(0x06, [0, 0, 0, 0]),
  /** PS3.8 9.3.8: reserved, reserved, source, reason. */
  abort: (source: number, reason: number) => pdu(0x07, [0, 0, source, reason]),
  /** PS3.8 9.3.4: reserved, result, source, reason. */
  associateRj: (result: number, source: number, reason: number) => pdu(0x03, [0, result, source, reason]),
  /** PS3.8 9.3.5: one PDV (item length = 2 + data, context ID, message control header). */
  pData: (contextId: number, control: number, data: Buffer) => {
    const item = Buffer.alloc(6);
    item.writeUInt32BE(2 + data.length, 0);
    item[4] = contextId;
    item[5] = control;
    return pdu(0x04, Buffer.concat([item, data]));
  },
  /** A PDU type PS3.8 does not define. */
  unknown: (type = 0x0a) => pdu(type, [0, 0, 0, 0]),
  /** A-RELEASE-RQ whose length is not 4 (PS3.8 9.3.6: an invalid PDU parameter value). */
  badReleaseRq: () => pdu(0x05, [0, 0, 0, 0, 0]),
  associateAc: (contexts: PresentationContextAc[], options: { maxLength?: number; roles?: RoleSelection[] } = {}) => encodeAssociateAc({
    calledAeTitle: 'RAWPEER', callingAeTitle: 'DCMGET', presentationContexts: contexts,
    userInformation: { maxLength: options.maxLength ?? 16384, implementationClassUid: '1.2.3.4.5', roleSelections: options.roles ?? [], extendedNegotiations: [], unknown: [] },
  }),
  associateRq: (contexts: PresentationContextRq[], options: { calledAeTitle?: string; callingAeTitle?: string; protocolVersion?: number; applicationContext?: string; maxLength?: number; roles?: RoleSelection[] } = {}) => encodeAssociateRq({
    calledAeTitle: options.calledAeTitle ?? 'DCMGET', callingAeTitle: options.callingAeTitle ?? 'RAWPEER', presentationContexts: contexts,
    protocolVersion: options.protocolVersion ?? 1, applicationContext: options.applicationContext ?? DICOM_APPLICATION_CONTEXT,
    userInformation: { maxLength: options.maxLength ?? 16384, implementationClassUid: '1.2.3.4.5', roleSelections: options.roles ?? [], extendedNegotiations: [], unknown: [] },
  }),
};
