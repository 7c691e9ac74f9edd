// The transport service under the Upper Layer (PS3.8 9.1.1: TCP, optionally TLS per PS3.15 B.1):
// opening the connection, the socket options every association gets, and the words for its failures.
import net from 'node:net';
import { createRequire } from 'node:module';
import type tls from 'node:tls';

/** node:tls costs ~10 ms to load; only associations over TLS need it. */
const loadTls = (): typeof tls => createRequire(import.meta.url)('node:tls') as typeof tls;

const READ_BUFFER_SIZE = 256 * 1024;

/**
 * TCP keepalive on every association socket: after a minute of silence the kernel probes the peer
 * (libuv then probes every second, 10 times), so a peer host that vanished, or a NAT or firewall
 * that dropped the connection, ends the association in about 70 s instead of never. A minute
 * because the idle timeouts of NATs and load balancers are mostly 4–5 minutes or more (a probe
 * a minute keeps their entry alive) and one tiny segment a minute costs nothing. A peer whose
 * process is frozen still answers probes from its kernel: the DIMSE silence limit covers that.
 */
export const KEEPALIVE_IDLE_MS = 60_000;

/** OpenSSL's verdicts on a certificate chain that does not lead to a trusted CA (or is stale). */
const TLS_TRUST_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA',
]);

export interface TransportTarget {
  host: string;
  port: number;
  tls?: tls.ConnectionOptions | undefined;
}

/**
 * Starts a connection; `connected` is the transport connect confirmation (PS3.8 Evt2), after the TLS
 * handshake when there is one. Without TLS, reads land in one reused buffer (no allocation per
 * read, so memory stays flat on a multi-GB instance); whatever outlives a read copies what it keeps.
 */
export function openTransport(target: TransportTarget, onRead: (buffer: Buffer, length: number) => void, connected: () => void): net.Socket {
  const { host, port } = target;
  let socket: net.Socket;
  if (target.tls) {
    socket = loadTls().connect({ ...target.tls, host, port, servername: target.tls.servername ?? (net.isIP(host) ? undefined : host) });
    socket.on('data', (chunk: Buffer) => onRead(chunk, chunk.length));
    socket.once('secureConnect', connected);
  } else {
    socket = net.connect({
      host, port,
      onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_SIZE), callback: (n: number, buf: Uint8Array) => { onRead(buf as Buffer, n); return undefined as unknown as boolean; } },
    });
    socket.once('connect', connected);
  }
  configureSocket(socket);
  return socket;
}

/** Options for every association socket, the ones we open and the ones we accept. */
export function configureSocket(socket: net.Socket): void {
  // Without TCP_NODELAY, each small C-STORE-RSP waits on the peer's delayed ACK (~40 ms a sub-operation).
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEPALIVE_IDLE_MS);
}

/** One sentence for a socket error, naming the remedy where there is a usual one. */
export function describeSocketError(err: NodeJS.ErrnoException, target: TransportTarget, handshaking: boolean): string {
  const where = `${target.host}:${target.port}`;
  switch (err.code) {
    case 'ECONNREFUSED': return `connection refused by ${where}: is a DICOM server listening on that port?`;
    case 'ENOTFOUND': case 'EAI_AGAIN': return `cannot resolve host ${target.host}`;
    case 'EHOSTUNREACH': case 'ENETUNREACH': return `${where} is unreachable`;
    case 'ECONNRESET': case 'EPIPE':
      return `connection to ${where} reset by the peer${target.tls && handshaking ? ' during the TLS handshake (does it want a client certificate: --tls-cert/--tls-key?)' : ''}`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS: the certificate of ${where} is not valid for that name (${err.message}); connect by the name it carries, or give it with --tls-servername`;
    default:
      return TLS_TRUST_ERRORS.has(err.code ?? '')
        ? `TLS: the certificate of ${where} is not trusted (${err.code}: ${err.message}); give the CA that signed it with --tls-ca`
        : `connection to ${where} failed: ${err.message}`;
  }
}
