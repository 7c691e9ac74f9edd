// The library's Node conventions, in-process against the fake SCP (test/support/fake-scp.ts),
// which cancels, ignores C-CANCEL, stalls and aborts on demand as no real server does:
//  - `signal` (an AbortSignal): C-CANCEL on what runs, a bounded grace, release (or A-ABORT),
//    and a rejection with an AbortError (name, code, cause, the partial result) whenever it fires;
//  - `abortNowSignal`: A-ABORT at once;
//  - startRetrieve(): a typed EventEmitter and its `result`;
//  - every error a retrieve can end with has its stable `code`.
//
// Run: ./node_modules/.bin/node --test test/integration/library-api.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeTempDir, removeDir } from '../support/peers.ts';
import { startFakeScp, summarizeEvents, type FakeScp, type FakeScpScript } from '../support/fake-scp.ts';
import { assertNoTemporaryFiles, listFiles } from '../support/fake-scp-run.ts';
import { syntheticInstance } from '../support/synthetic.ts';
import {
  AbortError, AssociationAbortedError, AssociationRejectedError, CancelledError, ConnectionError, ProtocolError, TimeoutError, UsageError,
  buildIdentifier, key, retrieve, startRetrieve, type RetrieveEvent, type RetrieveOptions, type RetrieveResult,
} from '../../src/index.ts';

const S1 = '1.2.826.0.1.3680043.10.1338.99.7.1';

let work = '';
let caseNo = 0;
const servers: FakeScp[] = [];

before(async () => {
  work = await makeTempDir('library-api');
});

after(async () => {
  for (const s of servers) await s.stop();
  if (work) await removeDir(work);
});

/** `count` synthetic instances of study S1, ~`delayMs` apart. */
function study(count: number, get: FakeScriptGet = {}, delayMs = 300): FakeScpScript {
  return {
    instances: Array.from({ length: count }, (_, i) => syntheticInstance({
      sopInstanceUid: `1.2.826.0.1.3680043.10.1338.99.7.1.${i + 1}`, studyInstanceUid: S1, sizeBytes: 100_000,
    })),
    get: { subOpDelayMs: delayMs, fragmentDelayMs: 10, maxFragment: 16_384, ...get },
  };
}
type FakeScriptGet = NonNullable<FakeScpScript['get']>;

async function fake(script: FakeScpScript): Promise<{ scp: FakeScp; options: RetrieveOptions; out: string }> {
  const scp = await startFakeScp(script);
  servers.push(scp);
  const out = path.join(work, `case-${++caseNo}`, 'out');
  return {
    scp, out,
    options: {
      host: scp.host, port: scp.port, calledAeTitle: scp.aeTitle, model: 'study', outputDirectory: out,
      identifiers: [buildIdentifier([key('QueryRetrieveLevel', 'STUDY'), key('StudyInstanceUID', S1)])],
    },
  };
}

/** The rejection of `p`, which must reject. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.fail('the promise resolved');
}

/** An AbortError as Node's own, whose cause is `reason` and whose result matches the files on disk. */
function assertAbortError(err: unknown, reason: unknown, out: string): RetrieveResult {
  assert.ok(err instanceof AbortError, `an AbortError, not ${String(err)}`);
  assert.equal(err.name, 'AbortError');
  assert.equal(err.code, 'ABORT_ERR');
  assert.equal(err.cause, reason);
  assert.ok(err.result, 'the partial result');
  assert.equal(Object.keys(err).includes('result'), false, 'result is not enumerable (printing the error does not print it)');
  assert.equal(err.result.complete, false);
  assert.equal(err.result.ledger.stored, listFiles(out).filter((f) => f.endsWith('.dcm')).length, 'result.ledger.stored is what is on disk');
  assertNoTemporaryFiles(out);
  return err.result;
}

const cGets = (scp: FakeScp) => scp.eventsOf('c-get-rq');
const released = (scp: FakeScp, association: number) => scp.events.some((e) => e.type === 'release-rq' && e.association === association);
const aborted = (scp: FakeScp, association: number) => scp.events.some((e) => e.type === 'abort-received' && e.association === association);

describe('signal: C-CANCEL, a bounded grace, release, and a rejection with an AbortError', () => {
  test('already aborted before the call: rejects at once, nothing connected, nothing created', async () => {
    const { scp, options, out } = await fake(study(3));
    const reason = new Error('changed my mind');
    const err = await rejection(retrieve({ ...options, signal: AbortSignal.abort(reason) }));
    const result = assertAbortError(err, reason, path.dirname(out));
    assert.equal(result.ledger.received, 0);
    assert.equal(scp.events.length, 0, summarizeEvents(scp.events));
    assert.equal(fs.existsSync(out), false, 'the output folder was not created');
  });

  test('during the inventory: the C-FIND is cancelled (C-CANCEL-RQ), no C-GET is sent, its association released', async () => {
    const { scp, options, out } = await fake({ ...study(20), find: { rowPerInstance: true, delayMs: 200 } });
    const controller = new AbortController();
    void scp.waitFor((e) => e.type === 'dimse' && e.name === 'C-FIND-RQ').then(() => controller.abort());
    const err = await rejection(retrieve({ ...options, signal: controller.signal }));
    assertAbortError(err, controller.signal.reason, out);
    const find = scp.eventsOf('dimse').find((e) => e.name === 'C-FIND-RQ')!;
    const cancel = scp.eventsOf('c-cancel-rq');
    assert.deepEqual(cancel.map((c) => [c.association, c.messageIdBeingRespondedTo]), [[find.association, find.command.messageId]], summarizeEvents(scp.events));
    assert.deepEqual(cGets(scp), []);
    assert.ok(released(scp, find.association) && !aborted(scp, find.association), summarizeEvents(scp.events));
  });

  test('while the C-GET association is being opened: no C-GET-RQ goes out on it, it is released', async () => {
    const { scp, options, out } = await fake(study(5));
    const controller = new AbortController();
    // Association 1 is the C-FIND's; the abort comes as the C-GET's A-ASSOCIATE-RQ arrives.
    void scp.waitFor((e) => e.type === 'associate-rq' && e.association === 2).then(() => controller.abort());
    const err = await rejection(retrieve({ ...options, signal: controller.signal }));
    assertAbortError(err, controller.signal.reason, out);
    assert.deepEqual(cGets(scp), [], summarizeEvents(scp.events));
    await scp.waitFor((e) => e.type === 'closed' && e.association === 2, 5000);
    assert.ok(released(scp, 2) && !aborted(scp, 2), summarizeEvents(scp.events));
  });

  test('mid-transfer, the peer honours C-CANCEL: 0xFE00, released, what arrived is in err.result', async () => {
    const script = study(30, { cancel: 'honour' });
    const { scp, options, out } = await fake(script);
    const controller = new AbortController();
    void scp.waitFor((e) => e.type === 'c-store-rsp').then(() => controller.abort('enough'));
    const err = await rejection(retrieve({ ...options, signal: controller.signal }));
    const result = assertAbortError(err, 'enough', out);
    assert.equal(scp.eventsOf('c-cancel-rq').length, 1, summarizeEvents(scp.events));
    assert.ok(scp.eventsOf('c-get-rsp').some((e) => e.final && e.status === 0xfe00));
    assert.ok(result.ledger.stored >= 1 && result.ledger.stored < 30, `${result.ledger.stored} stored`);
    assert.equal(result.cancelled, true);
    assert.equal(result.category, 'cancel');
    assert.equal(result.error, undefined, 'ended by the peer\'s final response, not by an abort');
    assert.ok(released(scp, 2) && !aborted(scp, 2), summarizeEvents(scp.events));
  });

  test('mid-transfer, the peer ignores C-CANCEL: after cancelGraceMs the association is aborted', async () => {
    const { scp, options, out } = await fake(study(30, { cancel: 'ignore' }));
    const controller = new AbortController();
    void scp.waitFor((e) => e.type === 'c-store-rsp').then(() => controller.abort());
    const err = await rejection(retrieve({ ...options, signal: controller.signal, cancelGraceMs: 1000 }));
    const result = assertAbortError(err, controller.signal.reason, out);
    assert.equal(scp.eventsOf('c-cancel-rq').length, 1);
    assert.ok(result.error instanceof CancelledError, String(result.error));
    assert.equal((result.error as CancelledError).code, 'ERR_DCMGET_CANCELLED');
    assert.match(result.error.message, /within 1 s of the C-CANCEL/);
    await scp.waitFor((e) => e.type === 'abort-received' && e.association === 2, 5000);
    assert.ok(scp.eventsOf('c-store-rsp').length < 30, 'it did not wait for every sub-operation');
  });
});

describe('abortNowSignal: A-ABORT at once', () => {
  test('mid-transfer: no C-CANCEL, the association aborted, the file in progress removed', async () => {
    const { scp, options, out } = await fake(study(30, { cancel: 'ignore' }));
    const now = new AbortController();
    void scp.waitFor((e) => e.type === 'c-store-rsp').then(() => now.abort('now'));
    const err = await rejection(retrieve({ ...options, abortNowSignal: now.signal }));
    const result = assertAbortError(err, 'now', out);
    assert.deepEqual(scp.eventsOf('c-cancel-rq'), []);
    assert.ok(result.error instanceof CancelledError);
    await scp.waitFor((e) => e.type === 'abort-received' && e.association === 2, 5000);
  });

  test('after `signal`, as a second Ctrl-C: the cause stays the first signal\'s reason', async () => {
    const { scp, options, out } = await fake(study(30, { cancel: 'ignore' }));
    const cancel = new AbortController();
    const now = new AbortController();
    void scp.waitFor((e) => e.type === 'c-cancel-rq').then(() => now.abort('second'));
    void scp.waitFor((e) => e.type === 'c-store-rsp').then(() => cancel.abort('first'));
    const err = await rejection(retrieve({ ...options, signal: cancel.signal, abortNowSignal: now.signal }));
    assertAbortError(err, 'first', out);
    await scp.waitFor((e) => e.type === 'abort-received' && e.association === 2, 5000);
  });

  test('cancelAfter stops the retrieve but it resolves: a part of the job, not an abort', async () => {
    const { options } = await fake(study(10, { cancel: 'honour' }, 100));
    const result = await retrieve({ ...options, cancelAfter: 2 });
    assert.equal(result.cancelled, true);
    assert.ok(result.ledger.stored >= 2 && result.ledger.stored < 10);
  });
});

describe('startRetrieve: a typed EventEmitter with a result', () => {
  test('events by name, the same as onEvent gets, in order; the result when it ends', async () => {
    const { scp, options, out } = await fake(study(4, {}, 0));
    const seen: RetrieveEvent[] = [];
    const job = startRetrieve({ ...options, onEvent: (e) => seen.push(e) });
    const byName: string[] = [];
    const stored: string[] = [];
    job.on('inventory', (e) => byName.push(`${e.type} ${e.sopClasses?.length} class(es)`));
    job.on('associated', (e) => byName.push(`${e.type} ${e.association}`));
    job.on('stored', ({ file, association }) => {
      stored.push(file.path);
      assert.equal(association, 1, 'on the one association');
    });
    job.on('final', (e) => byName.push(`${e.type} 0x${e.status.toString(16)} ${e.counters.completed}`));
    job.on('released', (e) => byName.push(`${e.type} ${e.association}`));
    const result = await job.result;
    assert.equal(result.complete, true, summarizeEvents(scp.events));
    assert.deepEqual(byName, ['inventory 1 class(es)', 'associated 1', 'final 0x0 4', 'released 1']);
    assert.deepEqual(stored.sort(), listFiles(out).map((f) => path.join(out, f)).sort());
    assert.equal(stored.length, 4);
    assert.deepEqual(seen.filter((e) => e.type === 'stored').map((e) => e.file.path).sort(), stored.sort());
  });

  test("'stored' and 'failed' name the association of the unit's C-GET", async () => {
    const { scp, options, out } = await fake(study(3, {}, 0));
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, '1.2.826.0.1.3680043.10.1338.99.7.1.2.dcm'), 'already here');
    const job = startRetrieve({ ...options, onExists: 'fail' });
    const associated: number[] = [];
    const seen: string[] = [];
    job.on('associated', (e) => associated.push(e.association));
    job.on('stored', (e) => seen.push(`stored ${e.file.sopInstanceUid.split('.').at(-1)} on ${e.association}`));
    job.on('failed', (e) => seen.push(`failed ${e.failure.sopInstanceUid.split('.').at(-1)} on ${e.association}`));
    await job.result;
    assert.deepEqual(associated, [1], summarizeEvents(scp.events));
    assert.deepEqual(seen.sort(), ['failed 2 on 1', 'stored 1 on 1', 'stored 3 on 1']);
  });

  test("'stored' times dcmget's own part of each instance: the transfer, not the PACS's pause before it", async () => {
    // 100 kB in 16 KiB fragments 10 ms apart: ~60 ms of transfer after each C-STORE-RQ, which
    // the PACS sends only 400 ms after our previous answer.
    const pauseMs = 400;
    const { scp, options } = await fake(study(3, {}, pauseMs));
    const job = startRetrieve(options);
    const stored: { at: number; storingMs: number }[] = [];
    const negotiations: number[] = [];
    job.on('associated', (e) => negotiations.push(e.negotiationMs));
    job.on('stored', (e) => stored.push({ at: performance.now(), storingMs: e.storingMs }));
    const result = await job.result;
    assert.equal(result.complete, true, summarizeEvents(scp.events));
    assert.equal(negotiations.length, 1);
    assert.ok(negotiations[0]! > 0 && negotiations[0]! < 5000, `negotiationMs ${negotiations[0]}`);
    assert.equal(stored.length, 3);
    for (const [i, s] of stored.entries()) {
      assert.ok(s.storingMs >= 50, `instance ${i + 1}: ${s.storingMs} ms, the ~60 ms of transfer included`);
      // The pause can only run late: what is left of the gap between two answers is ours at most.
      if (i > 0) assert.ok(s.storingMs <= s.at - stored[i - 1]!.at - pauseMs + 5, `instance ${i + 1}: ${s.storingMs} ms of a ${(s.at - stored[i - 1]!.at).toFixed(1)} ms gap`);
    }
  });

  test('a listener that throws ends the retrieve: the associations aborted, the result rejects with its error', async () => {
    const { scp, options, out } = await fake(study(10, {}, 100));
    const job = startRetrieve(options);
    const bug = new TypeError('a bug in the listener');
    let calls = 0;
    job.on('stored', () => {
      calls++;
      throw bug;
    });
    assert.equal(await rejection(job.result), bug);
    assert.equal(calls, 1, 'the listener is not called again');
    assertNoTemporaryFiles(out);
    await scp.waitFor((e) => e.type === 'closed' && e.association === 2, 5000);
    assert.ok(scp.eventsOf('c-store-rsp').length < 10, summarizeEvents(scp.events));
  });
});

describe('errors carry stable codes', () => {
  test('ConnectionError: ERR_DCMGET_CONNECTION, the socket\'s own code in socketCode', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const { options } = await fake(study(1));
    const result = await retrieve({ ...options, port });
    assert.ok(result.error instanceof ConnectionError, String(result.error));
    assert.equal(result.error.code, 'ERR_DCMGET_CONNECTION');
    assert.equal(result.error.socketCode, 'ECONNREFUSED');
  });

  test('AssociationRejectedError: ERR_DCMGET_ASSOCIATION_REJECTED, with the rejection', async () => {
    const { options } = await fake({ ...study(1), association: { reject: { result: 1, source: 1, reason: 7 } } });
    const result = await retrieve(options);
    assert.ok(result.error instanceof AssociationRejectedError, String(result.error));
    assert.equal(result.error.code, 'ERR_DCMGET_ASSOCIATION_REJECTED');
    assert.deepEqual({ ...result.error.rejection, type: undefined }, { result: 1, source: 1, reason: 7, type: undefined });
  });

  test('AssociationAbortedError: ERR_DCMGET_ASSOCIATION_ABORTED', async () => {
    const { options } = await fake(study(3, { fault: { at: 'after-sub-ops', count: 1, action: 'abort' } }, 0));
    const result = await retrieve(options);
    assert.ok(result.error instanceof AssociationAbortedError, String(result.error));
    assert.equal(result.error.code, 'ERR_DCMGET_ASSOCIATION_ABORTED');
  });

  test('TimeoutError: ERR_DCMGET_TIMEOUT, with the timer', async () => {
    const { options } = await fake(study(3, { fault: { at: 'after-sub-ops', count: 1, action: 'stall' } }, 0));
    const result = await retrieve({ ...options, dimseTimeoutMs: 1000 });
    assert.ok(result.error instanceof TimeoutError, String(result.error));
    assert.equal(result.error.code, 'ERR_DCMGET_TIMEOUT');
    assert.equal(result.error.timer, 'dimse');
  });

  test('a protocol violation by the peer: the association aborted, ERR_DCMGET_ASSOCIATION_ABORTED naming it', async () => {
    const { options } = await fake(study(3, { malformed: { subOp: 1, kind: 'unknown-pdu' } }, 0));
    const result = await retrieve(options);
    assert.ok(result.error instanceof AssociationAbortedError, String(result.error));
    assert.equal(result.error.code, 'ERR_DCMGET_ASSOCIATION_ABORTED');
    assert.match(result.error.message, /protocol error from the peer: unrecognized PDU type/);
    assert.equal(new ProtocolError('x').code, 'ERR_DCMGET_PROTOCOL');
  });

  test('UsageError: ERR_DCMGET_USAGE, a rejection before anything connects', async () => {
    const { scp, options } = await fake(study(1));
    const err = await rejection(retrieve({ ...options, model: 'no-such-model' }));
    assert.ok(err instanceof UsageError);
    assert.equal(err.code, 'ERR_DCMGET_USAGE');
    assert.equal(scp.events.length, 0);
  });
});
