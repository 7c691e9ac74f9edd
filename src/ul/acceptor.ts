// The acceptor's side of PS3.8 9.2 (AE-5..AE-8: an incoming A-ASSOCIATE-RQ, answered by the layer
// above with A-ASSOCIATE-AC or -RJ), and a listener that hands each established association on.
import net from 'node:net';
import { Association, type AssociationTimers } from './association.ts';
import type { ContextAnswer } from './negotiation.ts';
import type { AssociateRj, AssociateRq } from './pdu-types.ts';

export interface PeerAddress { address: string; port: number }

/**
 * The local user's answer to an A-ASSOCIATE-RQ (PS3.8 Evt7 / Evt8). `accept.contexts` answers every
 * proposed context (answerContexts() of negotiation.ts builds them); `accept.roles` the requestor's
 * roles granted per SOP class, only those it asked for (PS3.7 D.3.3.4; none: the default roles,
 * the requestor SCU and we SCP). `reject`: REJECTION of a-associate-rj.ts, or any PS3.8 Table 9-21 triple.
 */
export type AssociateDecision =
  | { accept: ContextAnswer & { userIdentityAc?: Buffer | undefined } }
  | { reject: Omit<AssociateRj, 'type'> };

export interface AcceptOptions extends AssociationTimers {
  /**
   * Called with every A-ASSOCIATE-RQ that names the DICOM application context and protocol
   * version 1 (others are rejected before). Throwing, or a promise that rejects, aborts (AA-1).
   */
  decide(rq: AssociateRq, peer: PeerAddress): AssociateDecision | Promise<AssociateDecision>;
  /** Our Maximum Length (PS3.8 D.1), announced in the A-ASSOCIATE-AC; 0 for no limit. */
  maxReceiveLength: number;
  implementationClassUid: string;
  implementationVersionName?: string | undefined;
}

export interface ListenOptions extends AcceptOptions {
  /** Where to listen; host defaults to every address, port 0 to any free port. */
  host?: string | undefined;
  port: number;
  /** An association is established (Sta6): set its DataListener now. */
  onAssociation(association: Association, peer: PeerAddress): void;
  /** A connection that did not become an association: rejected, aborted, timed out. */
  onRefused?(error: Error, peer: PeerAddress): void;
}

export interface AssociationListener {
  readonly port: number;
  /** Stops listening, aborts every association still open (A-ABORT) and closes every connection. */
  close(): Promise<void>;
}

/** A TCP listener whose every connection goes through Association.accept. */
export function listen(options: ListenOptions): Promise<AssociationListener> {
  const open = new Map<net.Socket, Association | undefined>();
  const server = net.createServer((socket) => {
    const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    open.set(socket, undefined);
    socket.once('close', () => open.delete(socket));
    Association.accept(socket, options).then((association) => {
      open.set(socket, association);
      options.onAssociation(association, peer);
    }, (err: Error) => options.onRefused?.(err, peer));
  });
  const close = async (): Promise<void> => {
    const closed = [...open.keys()].map((socket) => new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once('close', () => resolve());
      const association = open.get(socket);
      if (association) association.abort();
      else socket.destroy();
    }));
    await Promise.all([new Promise<void>((resolve) => server.close(() => resolve())), ...closed]);
  };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port }, () => {
      server.off('error', reject);
      const address = server.address() as net.AddressInfo;
      resolve({ port: address.port, close });
    });
  });
}
