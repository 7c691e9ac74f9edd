// The bench's delay relay: a TCP relay on loopback that holds each chunk it reads for half the
// round-trip time before writing it on, in each direction, in order, with TCP_NODELAY on both
// legs. Put in front of a server it gives every request/answer exchange the round trip of a
// network (this kernel has no netem, and tc needs privileges a test machine may lack). The
// client's first bytes on a connection wait one round trip more: the TCP handshake.
//
// Timing: Node's timers tick in whole milliseconds (a setTimeout(1) armed at a random moment
// fires 0-1 ms late), which at 1 ms each way is a 50 % error. So the relay's clock is a worker
// thread that sleeps in Atomics.wait (sub-millisecond, no CPU spent) until the oldest chunk is
// due and then wakes the relay's event loop with a message; the alarm is set early by the
// wake-up latency it measures (~0.1 ms here), so that chunks leave on time on average. With
// `rttMs` 0 there is no queue and no worker: each chunk is written as it is read (the relay's
// own cost, measured against a direct connection by `npm run bench -- --rtt MS`).
//
//   node bench/relay.ts --target 127.0.0.1:4242 --rtt 2 [--port 0]   (standalone; prints its port)
//   node bench/relay.ts --probe --rtt 2        (the round trip it actually adds, by ping-pong)

import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ConnectionTap } from './pdu-tap.ts';

export interface RelayOptions {
  targetHost: string;
  targetPort: number;
  /** The round trip added: each direction holds a chunk rttMs / 2. */
  rttMs: number;
  /** Listening port; default 0 (a free one). */
  port?: number;
}

export interface RelayStats {
  connections: number;
  chunks: number;
  bytes: number;
}

export interface Relay {
  readonly port: number;
  readonly stats: RelayStats;
  /** Starts recording what each new connection carries (bench/pdu-tap.ts): for an untimed run. */
  record(): void;
  /** Stops recording; the connections made since record(), in order. */
  recorded(): ConnectionTap[];
  close(): Promise<void>;
}

/** Sees each chunk as it is read, before it is held: the time the bytes reached the relay. */
type Observer = ((chunk: Buffer) => void) | undefined;

/** Over this many bytes held in one direction (queue + socket buffer) the reading side pauses. */
const HIGH_WATER = 8 * 2 ** 20;

// The clock worker: sleeps until the absolute time in wake[0] (ms, timeOrigin-based), posts one
// message, and sleeps again until the main thread sets the next alarm (seq[0] bumped, notified).
// It fires once per value of seq, so the main thread's answer to a message is always a new seq.
const CLOCK_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const wake = new Float64Array(workerData, 0, 1);
const seq = new Int32Array(workerData, 8, 1);
const now = () => performance.timeOrigin + performance.now();
let fired = -1;
for (;;) {
  const s = Atomics.load(seq, 0);
  const at = wake[0];
  if (at < 0) break;
  if (at > 0 && s !== fired) {
    const left = at - now();
    if (left <= 0) { fired = s; parentPort.postMessage(0); continue; }
    Atomics.wait(seq, 0, s, left);
  } else {
    Atomics.wait(seq, 0, s);
  }
}
`;

/** A precise one-shot alarm shared by every delayed direction of a relay. */
class Clock {
  private readonly shared = new SharedArrayBuffer(16);
  private readonly wake = new Float64Array(this.shared, 0, 1);
  private readonly seq = new Int32Array(this.shared, 8, 1);
  private readonly worker: Worker;
  private readonly waiters = new Set<DelayedPipe>();
  /** How early the alarm is set before the chunk is due, ms (see tick). */
  private lead = 0.1;
  private due = Infinity;

  constructor() {
    this.worker = new Worker(CLOCK_SOURCE, { eval: true, workerData: this.shared });
    this.worker.unref();
    this.worker.on('message', () => this.tick());
  }

  static now(): number {
    return performance.timeOrigin + performance.now();
  }

  add(p: DelayedPipe): void {
    this.waiters.add(p);
  }

  remove(p: DelayedPipe): void {
    this.waiters.delete(p);
    this.rearm();
  }

  /** Sets the alarm for the earliest chunk due in any direction (0: nothing due); `force` after a firing. */
  rearm(force = false): void {
    let at = Infinity;
    for (const p of this.waiters) at = Math.min(at, p.nextDue());
    this.due = at;
    const next = at === Infinity ? 0 : at - this.lead;
    if (next === this.wake[0] && !force) return;
    this.wake[0] = next;
    Atomics.add(this.seq, 0, 1);
    Atomics.notify(this.seq, 0);
  }

  private tick(): void {
    const now = Clock.now();
    // The worker wakes ~0.08 ms after its deadline on this VM (futex timeout) and its message
    // takes ~0.02 ms more to reach us: the alarm is set that much early, learnt as we go. A
    // chunk due within 0.03 ms leaves now rather than after one more round through the worker.
    if (this.due !== Infinity) this.lead = Math.min(0.5, Math.max(0, this.lead + 0.2 * (now - this.due)));
    for (const p of this.waiters) p.flush(now + 0.03);
    this.rearm(true);
  }

  stop(): Promise<number> {
    this.wake[0] = -1;
    Atomics.add(this.seq, 0, 1);
    Atomics.notify(this.seq, 0);
    return this.worker.terminate();
  }
}

/** One direction of one connection: chunks read from `from`, written to `to` when due. */
class DelayedPipe {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private head = 0;
  private held = 0;
  private ended = false;
  /** No chunk leaves before this time (ms, Clock.now()); see startRelay's handshake note. */
  private readonly notBefore: number;
  private readonly from: net.Socket;
  private readonly to: net.Socket;
  private readonly clock: Clock;

  constructor(from: net.Socket, to: net.Socket, delayMs: number, clock: Clock, stats: RelayStats, notBefore = 0, observe: Observer = undefined) {
    this.notBefore = notBefore;
    this.from = from;
    this.to = to;
    this.clock = clock;
    clock.add(this);
    from.on('data', (chunk: Buffer) => {
      observe?.(chunk);
      const first = this.head === this.queue.length;
      this.queue.push({ due: Math.max(Clock.now(), this.notBefore) + delayMs, chunk });
      this.held += chunk.length;
      stats.chunks++;
      stats.bytes += chunk.length;
      if (this.held + to.writableLength > HIGH_WATER) from.pause();
      // Every chunk is due delayMs after it was read (or after notBefore), so a later one is never
      // due first: only the first of an empty queue moves the alarm.
      if (first) clock.rearm();
    });
    from.on('end', () => {
      this.ended = true;
      this.flush(Clock.now());
    });
    to.on('drain', () => this.maybeResume());
  }

  nextDue(): number {
    return this.head < this.queue.length ? this.queue[this.head]!.due : Infinity;
  }

  flush(now: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.due <= now) {
      const { chunk } = this.queue[this.head]!;
      this.queue[this.head++] = undefined as never;
      this.held -= chunk.length;
      if (!this.to.destroyed) this.to.write(chunk);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      if (this.ended && !this.to.destroyed) this.to.end();
    }
    this.maybeResume();
  }

  private maybeResume(): void {
    if (this.from.isPaused() && this.held + this.to.writableLength <= HIGH_WATER / 2) this.from.resume();
  }

  close(): void {
    this.clock.remove(this);
  }
}

/** One direction with no delay: written as read, paused while the other side's buffer is full. */
function directPipe(from: net.Socket, to: net.Socket, stats: RelayStats, observe: Observer): void {
  from.on('data', (chunk: Buffer) => {
    observe?.(chunk);
    stats.chunks++;
    stats.bytes += chunk.length;
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
}

export function startRelay(o: RelayOptions): Promise<Relay> {
  const stats: RelayStats = { connections: 0, chunks: 0, bytes: 0 };
  const clock = o.rttMs > 0 ? new Clock() : undefined;
  const sockets = new Set<net.Socket>();
  let recording: ConnectionTap[] | undefined;
  const server = net.createServer({ noDelay: true }, (client) => {
    stats.connections++;
    const tap = recording ? new ConnectionTap(recording.length + 1, performance.now()) : undefined;
    if (tap) recording!.push(tap);
    const up: Observer = tap ? (chunk) => tap.feed(false, chunk, performance.now()) : undefined;
    const down: Observer = tap ? (chunk) => tap.feed(true, chunk, performance.now()) : undefined;
    client.pause();
    const upstream = net.connect({ host: o.targetHost, port: o.targetPort, noDelay: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => sockets.delete(s));
    }
    const pipes: DelayedPipe[] = [];
    // TCP's handshake: on a network connect() returns one round trip after it was called; here it
    // returns at once, so the client's first bytes are held one round trip more (they reach the
    // server 1.5 round trips after the connect, as they would).
    const handshake = Clock.now() + o.rttMs;
    if (clock) pipes.push(new DelayedPipe(client, upstream, o.rttMs / 2, clock, stats, handshake, up), new DelayedPipe(upstream, client, o.rttMs / 2, clock, stats, 0, down));
    else {
      directPipe(client, upstream, stats, up);
      directPipe(upstream, client, stats, down);
    }
    if (tap) client.once('close', () => { tap.closedAt = performance.now(); });
    upstream.once('connect', () => client.resume());
    // An error or a reset on one leg resets the other (a peer's A-ABORT by RST stays one).
    const stop = (): void => {
      for (const p of pipes) p.close();
      client.destroy();
      upstream.destroy();
    };
    client.on('error', stop);
    upstream.on('error', stop);
    client.on('close', () => { if (upstream.writableEnded || upstream.destroyed) stop(); });
    upstream.on('close', () => { if (client.writableEnded || client.destroyed) stop(); });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        stats,
        record: () => { recording = []; },
        recorded: () => {
          const taps = recording ?? [];
          recording = undefined;
          return taps;
        },
        close: async () => {
          for (const s of sockets) s.destroy();
          await new Promise<void>((r) => server.close(() => r()));
          await clock?.stop();
        },
      });
    });
  });
}

export interface ProbeResult {
  rounds: number;
  /** Round-trip time of a 1-byte ping-pong, ms: direct and through the relay. */
  directMs: { median: number; p90: number };
  relayMs: { median: number; p90: number };
  /** relay median - direct median: what the relay adds to one exchange. */
  addedMs: number;
}

/** Ping-pong against a local echo server, direct and through a relay of rttMs: the round trip the relay actually adds. */
export async function probeRelay(rttMs: number, rounds = 400): Promise<ProbeResult> {
  const echo = net.createServer({ noDelay: true }, (s) => {
    s.setNoDelay(true);
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const echoPort = (echo.address() as net.AddressInfo).port;
  const relay = await startRelay({ targetHost: '127.0.0.1', targetPort: echoPort, rttMs });
  try {
    const direct = await pingPong(echoPort, rounds);
    const relayed = await pingPong(relay.port, rounds);
    const q = (xs: number[], p: number): number => Math.round(xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]! * 1000) / 1000;
    return {
      rounds,
      directMs: { median: q(direct, 0.5), p90: q(direct, 0.9) },
      relayMs: { median: q(relayed, 0.5), p90: q(relayed, 0.9) },
      addedMs: Math.round((q(relayed, 0.5) - q(direct, 0.5)) * 1000) / 1000,
    };
  } finally {
    await relay.close();
    await new Promise<void>((r) => echo.close(() => r()));
  }
}

/** Sorted round-trip times (ms) of `rounds` 1-byte exchanges, at irregular moments (so as not to ride the timer's phase). */
function pingPong(port: number, rounds: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port, noDelay: true });
    const times: number[] = [];
    let sent = 0;
    const send = (): void => {
      sent = performance.now();
      c.write('x');
    };
    c.on('error', reject);
    c.on('data', () => {
      times.push(performance.now() - sent);
      if (times.length === rounds + 10) {
        c.destroy();
        resolve(times.slice(10).sort((a, b) => a - b)); // the first exchanges warm up the path
      } else {
        // a pause of 0-0.5 ms before the next ping: chunks arrive at every phase of the clock
        const spin = performance.now() + Math.random() * 0.5;
        while (performance.now() < spin) { /* wait */ }
        send();
      }
    });
    c.once('connect', send);
  });
}

// ---- standalone ---------------------------------------------------------------

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { target: { type: 'string' }, rtt: { type: 'string', default: '2' }, port: { type: 'string', default: '0' }, probe: { type: 'boolean', default: false } },
  });
  const rttMs = Number(values.rtt);
  if (!Number.isFinite(rttMs) || rttMs < 0) throw new Error('--rtt wants a number of ms >= 0');
  if (values.probe) {
    console.log(JSON.stringify(await probeRelay(rttMs)));
  } else {
    const m = /^(.+):(\d+)$/.exec(values.target ?? '');
    if (!m) throw new Error('--target HOST:PORT');
    const relay = await startRelay({ targetHost: m[1]!, targetPort: Number(m[2]), rttMs, port: Number(values.port) });
    console.log(`relay on 127.0.0.1:${relay.port} -> ${m[1]}:${m[2]}, round trip +${rttMs} ms`);
    process.once('SIGINT', () => void relay.close().then(() => process.exit(0)));
  }
}
