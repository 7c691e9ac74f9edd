// Issue 11: a time-out is waited for once. Before the pipeline the inventory's association and
// the C-GET's each waited the whole connect or ACSE timeout (-to 3 against a dropped port took
// 6.1 s). Two loopback servers no real PACS plays on demand:
// - a silent one: it accepts TCP and never answers the A-ASSOCIATE-RQ (-ta runs out), and counts
//   the connections made to it;
// - a dropped port: a listener with a listen backlog of 1 that never accepts, its accept queue
//   filled by connections of ours, so that the kernel drops every later SYN and connect(2)
//   hangs (-to runs out), as behind a firewall that drops packets.
// Both are given one request and a list of requests: the end comes once, whatever the list.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../support/cli.ts';
import { describeRun, runDcmget } from '../support/fake-scp-run.ts';
import { LOOPBACK } from '../support/ports.ts';

const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
let list: string;
/** One second, set; dcmget's own start (~0.2-0.5 s on the shared test machine) comes on top. */
const ONCE_MS = 1900;

before(() => {
  list = path.join(out(), 'list.txt');
  fs.writeFileSync(list, ['1.2.826.0.1.3680043.10.1338.55.1', '1.2.826.0.1.3680043.10.1338.55.2', '1.2.826.0.1.3680043.10.1338.55.3'].join('\n'));
});

after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const CASES: [string, string[]][] = [
  ['one study', ['--study', '1.2.826.0.1.3680043.10.1338.55.1']],
  ['three studies (--uids-from)', ['--uids-from', '']],
  ['three studies, --parallel 3', ['--uids-from', '', '--parallel', '3']],
  ['three studies, --no-plan', ['--uids-from', '', '--no-plan']],
];
const query = (args: string[]) => args.map((a) => (a === '' ? list : a));

describe('-ta against a server that accepts TCP and never answers', () => {
  let server: net.Server;
  let port: number;
  let connections = 0;
  const sockets = new Set<net.Socket>();

  before(async () => {
    server = net.createServer((s) => {
      connections++;
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  for (const [name, args] of CASES) {
    test(`${name}: -ta 1 ends the retrieve in about 1 s, exit 8, after ONE connection`, async () => {
      connections = 0;
      const r = await runDcmget(['-S', '-ta', '1', '--json', ...query(args), LOOPBACK, String(port), '-od', out()], { timeoutMs: 30_000 });
      assert.equal(r.code, 8, describeRun(r));
      assert.match(r.stderr, /no answer to A-ASSOCIATE-RQ within 1000 ms/, describeRun(r));
      const { elapsedMs } = (JSON.parse(r.stdout) as { timings: { elapsedMs: number } }).timings;
      assert.ok(elapsedMs < ONCE_MS - 300, `the retrieve ended after ${elapsedMs} ms: the ACSE timeout of 1 s was waited for more than once\n${describeRun(r)}`);
      // After its A-ABORT the association awaits the peer's transport close up to ARTIM (PS3.8
      // AA-1, Sta13), but the process, done, does not wait with it: a silent peer never closes.
      assert.ok(r.ms < ONCE_MS, `the process ended after ${r.ms.toFixed(0)} ms\n${describeRun(r)}`);
      // --no-plan opens no C-FIND association: the C-GET's is the one connection.
      assert.equal(connections, 1, `${connections} TCP connections made: ${describeRun(r)}`);
    });
  }
});

describe('-to against a dropped port (a full accept queue: SYNs dropped)', () => {
  let listener: ChildProcess;
  let port: number;
  const fillers: net.Socket[] = [];

  /** Whether a TCP connection to the listener completes within `ms`; kept open if it does. */
  const connects = async (ms: number): Promise<boolean> => {
    const socket = net.connect(port, LOOPBACK);
    socket.on('error', () => {});
    const ok = await Promise.race([
      new Promise<boolean>((resolve) => socket.once('connect', () => resolve(true))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
    ]);
    if (ok) fillers.push(socket);
    else socket.destroy();
    return ok;
  };

  before(async () => {
    // A listener whose event loop is blocked right after listen(2) never accepts. Node passes a
    // backlog of 0 as its default (511), so 1: the kernel queues two connections, then drops SYNs
    // (Linux tcp_conn_request: accept queue full).
    const source = [
      "const s = require('node:net').createServer();",
      "s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {",
      "  require('node:fs').writeSync(1, `${s.address().port}\\n`);",
      '  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);',
      '});',
    ].join('\n');
    listener = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve, reject) => {
      listener.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      listener.once('exit', (code) => reject(new Error(`the listener exited (${code})`)));
    });
    let filled = false;
    for (let i = 0; i < 8 && !filled; i++) filled = !await connects(400);
    assert.ok(filled, 'every connect to the full listener completed: this kernel does not drop SYNs on a full accept queue, the test cannot make a dropped port');
    assert.equal(await connects(400), false, 'the port stays dropped');
  });

  after(() => {
    for (const s of fillers) s.destroy();
    if (listener?.pid !== undefined) listener.kill('SIGKILL');
  });

  for (const [name, args] of CASES) {
    test(`${name}: -to 1 ends in about 1 s, exit 8, naming the connect timeout of 1000 ms`, async () => {
      const r = await runDcmget(['-S', '-to', '1', ...query(args), LOOPBACK, String(port), '-od', out()], { timeoutMs: 30_000 });
      assert.equal(r.code, 8, describeRun(r));
      assert.match(r.stderr, new RegExp(`no TCP connection to ${LOOPBACK.replace(/\./g, '\\.')}:${port} within 1000 ms`), describeRun(r));
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      assert.ok(r.ms < ONCE_MS, `ended after ${r.ms.toFixed(0)} ms: the connect timeout of 1 s was waited for more than once\n${describeRun(r)}`);
    });
  }
});
