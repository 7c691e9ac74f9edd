// The Upper Layer state machine (PS3.8 9.2, Table 9-10) cell by cell, as pynetdicom's test_fsm
// does: for every state a requestor or an acceptor can reach, a scripted raw peer (raw-peer.ts)
// brings dcmget's association there over a real loopback socket, raises each event, and the test
// checks that the table's action ran (the machine's trace) and did what PS3.8 says it does, seen
// from outside: the PDUs on the wire (byte for byte where the bytes are the point), the transport
// closed or not, and what the local user was told. test/unit/ul-state-table.test.ts checks the
// table itself against the standard.
import { after, afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';

import { COMMAND_FIELD } from '../../src/dimse/command-field.ts';
import { NO_DATA_SET, decodeCommandSet, encodeCommandPdu, encodeCommandSet } from '../../src/dimse/command-set.ts';
import { listen, type AssociateDecision } from '../../src/ul/acceptor.ts';
import { Association, type DataListener, type Transition } from '../../src/ul/association.ts';
import { AssociationAbortedError, AssociationRejectedError, ConnectionError, TimeoutError } from '../../src/ul/errors.ts';
import { answerContexts } from '../../src/ul/negotiation.ts';
import { encodePDataTf } from '../../src/ul/p-data-tf.ts';
import type { AssociateRq, PresentationContextRq } from '../../src/ul/pdu-types.ts';
import { ACTIONS, EVENT_NAMES, STATE_NAMES, actionFor, type Action, type State, type UlEvent } from '../../src/ul/state-table.ts';
import { hex } from '../support/bytes.ts';
import { LOOPBACK } from '../support/ports.ts';
import { pdus, rawConnect, rawServer, type RawPeer } from '../support/raw-peer.ts';

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const VERIFICATION = '1.2.840.10008.1.1';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';

const PROPOSED: PresentationContextRq[] = [
  { id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
  { id: 3, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
];
const AC = pdus.associateAc([{ id: 1, result: 0, transferSyntax: EXPLICIT_LE }, { id: 3, result: 0, transferSyntax: IMPLICIT_LE }]);
const RQ = pdus.associateRq(PROPOSED);
const DATA = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
/** PS3.8 9.3.5: P-DATA-TF, length 10; PDV item length 6, context 1, control 03 (command, last), 4 bytes. */
const P_DATA = hex('04 00 00 00 00 0a  00 00 00 06 01 03  de ad be ef');
const RELEASE_RQ = hex('05 00 00 00 00 04  00 00 00 00');
const RELEASE_RP = hex('06 00 00 00 00 04  00 00 00 00');
/** PS3.8 9.3.8 Table 9-26: reserved x2, source, reason. */
const abortBytes = (source: number, reason: number) => Buffer.concat([hex('07 00 00 00 00 04 00 00'), Buffer.from([source, reason])]);

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The machine's transitions, and what the local user (the layer above) was handed. */
class Recorder {
  readonly transitions: Transition[] = [];
  readonly pdvs: { contextId: number; control: number; data: Buffer }[] = [];
  readonly closes: (Error | null)[] = [];
  releaseRequests = 0;
  /** The A-RELEASE response waits on this (Sta8, Sta9, Sta12 can be observed): Evt14 resolves it. */
  readonly releaseAnswer = deferred<void>();
  private waiters: (() => void)[] = [];

  readonly trace = (t: Transition): void => {
    this.transitions.push(t);
    for (const w of this.waiters.splice(0)) w();
  };

  readonly listener: DataListener = {
    onPdv: (contextId, control, data) => { this.pdvs.push({ contextId, control, data: Buffer.from(data) }); },
    onReleaseRequested: () => { this.releaseRequests++; return this.releaseAnswer.promise; },
    onClose: (error) => { this.closes.push(error); for (const w of this.waiters.splice(0)) w(); },
  };

  until(match: (t: Transition) => boolean, what: string, timeoutMs = 3000): Promise<Transition> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no transition ${what} within ${timeoutMs} ms; saw ${this.describe()}`)), timeoutMs);
      const check = (): void => {
        const t = this.transitions.find(match);
        if (t) {
          clearTimeout(timer);
          resolve(t);
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  reached(state: State): Promise<Transition> {
    return this.until((t) => t.to === state, `to ${state}`);
  }

  describe(): string {
    return this.transitions.map((t) => `${t.from}+${t.event}→${t.action}→${t.to}`).join(', ') || 'none';
  }
}

type Role = 'requestor' | 'acceptor';

const sequence = (rec: Recorder) => rec.transitions.map((t) => `${t.from} ${t.event} ${t.action} ${t.to}`);

/** Closes what each test opened, whether it passed or failed half-way (nothing may keep the process alive). */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Options { acseTimeoutMs?: number; artimMs?: number; decide?: (rq: AssociateRq) => AssociateDecision | Promise<AssociateDecision> }

/** One association under test and the raw peer facing it. */
interface Ctx {
  role: Role;
  peer: RawPeer;
  rec: Recorder;
  association: Association | undefined;
  /** Requestor: Association.connect; acceptor: the association the listener hands on. */
  establishing: Promise<Association>;
  /** Acceptor: why a connection did not become an association. */
  refused: Promise<Error>;
  releasing: Promise<void> | undefined;
  /** Acceptor: the decision dcmget's user is about to give (Sta3). */
  decision: ReturnType<typeof deferred<AssociateDecision>> | undefined;
}

/** Requestor in Sta5: connected to the raw peer, A-ASSOCIATE-RQ received by it. */
async function requestorSta5(o: Options): Promise<Ctx> {
  const server = await rawServer();
  cleanups.push(() => server.close());
  const rec = new Recorder();
  const establishing = Association.connect({
    host: LOOPBACK, port: server.port, callingAeTitle: 'DCMGET', calledAeTitle: 'RAWPEER', presentationContexts: PROPOSED,
    maxReceiveLength: 16384, implementationClassUid: '1.2.3.4', acseTimeoutMs: o.acseTimeoutMs ?? 5000, artimMs: o.artimMs ?? 3000, trace: rec.trace,
  });
  establishing.catch(() => {});
  const peer = await server.accepted();
  assert.equal((await peer.next()).type, 0x01, 'A-ASSOCIATE-RQ');
  assert.deepEqual(sequence(rec), ['Sta1 Evt1 AE-1 Sta4', 'Sta4 Evt2 AE-2 Sta5']);
  tested.add('requestor Sta1 Evt1').add('requestor Sta4 Evt2');
  return { role: 'requestor', peer, rec, association: undefined, establishing, refused: new Promise(() => {}), releasing: undefined, decision: undefined };
}

/** Acceptor in Sta2: dcmget's listener has taken the raw peer's connection. */
async function acceptorSta2(o: Options): Promise<Ctx> {
  const rec = new Recorder();
  const established = deferred<Association>();
  const refused = deferred<Error>();
  const ctx = { role: 'acceptor', rec, association: undefined, establishing: established.promise, refused: refused.promise, releasing: undefined, decision: undefined } as unknown as Ctx;
  const listener = await listen({
    host: LOOPBACK, port: 0, maxReceiveLength: 16384, implementationClassUid: '1.2.3.4', implementationVersionName: 'DCMGET',
    acseTimeoutMs: o.acseTimeoutMs ?? 5000, artimMs: o.artimMs ?? 3000, trace: rec.trace,
    decide: o.decide ?? ((rq) => ({ accept: { contexts: answerContexts(rq, () => [EXPLICIT_LE, IMPLICIT_LE]), roles: [] } })),
    onAssociation: (a) => { a.setDataListener(rec.listener); established.resolve(a); },
    onRefused: (e) => refused.resolve(e),
  });
  cleanups.push(() => listener.close());
  ctx.peer = await rawConnect(listener.port);
  cleanups.push(async () => { ctx.peer.socket.destroy(); });
  await rec.reached('Sta2');
  assert.deepEqual(sequence(rec), ['Sta1 Evt5 AE-5 Sta2']);
  tested.add('acceptor Sta1 Evt5');
  return ctx;
}

async function established(ctx: Ctx): Promise<Ctx> {
  if (ctx.role === 'requestor') ctx.peer.send(AC);
  else {
    ctx.peer.send(RQ);
    assert.equal((await ctx.peer.next()).type, 0x02, 'A-ASSOCIATE-AC');
  }
  ctx.association = await ctx.establishing;
  if (ctx.role === 'requestor') ctx.association.setDataListener(ctx.rec.listener);
  await ctx.rec.reached('Sta6');
  return ctx;
}

async function releaseRequested(ctx: Ctx): Promise<Ctx> {
  ctx.releasing = ctx.association!.release();
  ctx.releasing.catch(() => {});
  assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RQ);
  await ctx.rec.reached('Sta7');
  return ctx;
}

async function peerSends(ctx: Ctx, bytes: Buffer, state: State): Promise<Ctx> {
  ctx.peer.send(bytes);
  await ctx.rec.reached(state);
  return ctx;
}

/**
 * How each state is reached, per role (the states PS3.8 lets that role be in). Sta13 twice: after
 * our A-ABORT (AA-1), and after our A-RELEASE-RP (AR-4) with P-DATA handed on before it.
 */
const REACH: Record<Role, Partial<Record<State | 'Sta13 after AR-4', (o: Options) => Promise<Ctx>>>> = {
  requestor: {
    Sta5: requestorSta5,
    Sta6: async (o) => established(await requestorSta5(o)),
    Sta7: async (o) => releaseRequested(await established(await requestorSta5(o))),
    Sta8: async (o) => peerSends(await established(await requestorSta5(o)), pdus.releaseRq(), 'Sta8'),
    Sta9: async (o) => peerSends(await releaseRequested(await established(await requestorSta5(o))), pdus.releaseRq(), 'Sta9'),
    Sta11: async (o) => {
      const ctx = await peerSends(await releaseRequested(await established(await requestorSta5(o))), pdus.releaseRq(), 'Sta9');
      ctx.rec.releaseAnswer.resolve();
      assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RP, 'AR-9: A-RELEASE-RP in the collision');
      await ctx.rec.reached('Sta11');
      return ctx;
    },
    Sta13: async (o) => aborted(await established(await requestorSta5(o))),
    'Sta13 after AR-4': async (o) => releasedByPeer(await established(await requestorSta5(o))),
  },
  acceptor: {
    Sta2: acceptorSta2,
    Sta3: async (o) => {
      const decision = deferred<AssociateDecision>();
      const ctx = await acceptorSta2({ ...o, decide: () => decision.promise });
      ctx.decision = decision;
      return peerSends(ctx, RQ, 'Sta3');
    },
    Sta6: async (o) => established(await acceptorSta2(o)),
    Sta7: async (o) => releaseRequested(await established(await acceptorSta2(o))),
    Sta8: async (o) => peerSends(await established(await acceptorSta2(o)), pdus.releaseRq(), 'Sta8'),
    Sta10: async (o) => peerSends(await releaseRequested(await established(await acceptorSta2(o))), pdus.releaseRq(), 'Sta10'),
    Sta12: async (o) => {
      const ctx = await peerSends(await releaseRequested(await established(await acceptorSta2(o))), pdus.releaseRq(), 'Sta10');
      return peerSends(ctx, pdus.releaseRp(), 'Sta12');
    },
    Sta13: async (o) => aborted(await established(await acceptorSta2(o))),
    'Sta13 after AR-4': async (o) => releasedByPeer(await established(await acceptorSta2(o))),
  },
};

async function releasedByPeer(ctx: Ctx): Promise<Ctx> {
  ctx.peer.send(pdus.pData(1, 0x03, DATA));
  await ctx.rec.until((t) => t.event === 'Evt10', 'P-DATA in Sta6');
  ctx.peer.send(pdus.releaseRq());
  await ctx.rec.reached('Sta8');
  ctx.rec.releaseAnswer.resolve();
  assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RP);
  await ctx.rec.reached('Sta13');
  assert.equal(ctx.rec.pdvs.length, 1);
  ctx.rec.pdvs.length = 0;
  return ctx;
}

async function aborted(ctx: Ctx): Promise<Ctx> {
  ctx.association!.abort(new Error('aborted by the test'));
  assert.deepEqual((await ctx.peer.next()).bytes, abortBytes(0, 0));
  await ctx.rec.reached('Sta13');
  return ctx;
}

/** How each event is raised; undefined where the role's API cannot raise it in that state. */
function fire(event: UlEvent, ctx: Ctx, state: State): boolean {
  const a = ctx.association;
  switch (event) {
    case 'Evt3': ctx.peer.send(AC); return true;
    case 'Evt4': ctx.peer.send(pdus.associateRj(1, 1, 7)); return true;
    case 'Evt6': ctx.peer.send(RQ); return true;
    case 'Evt7': ctx.decision?.resolve({ accept: { contexts: [{ id: 1, result: 0, transferSyntax: EXPLICIT_LE }, { id: 3, result: 3, transferSyntax: '' }], roles: [] } }); return !!ctx.decision;
    case 'Evt8': ctx.decision?.resolve({ reject: { result: 1, source: 1, reason: 7 } }); return !!ctx.decision;
    case 'Evt9': if (!a) return false; a.send(1, true, DATA); return true;
    case 'Evt10': ctx.peer.send(pdus.pData(1, 0x03, DATA)); return true;
    case 'Evt11': if (!a) return false; ctx.releasing = a.release(); ctx.releasing.catch(() => {}); return true;
    case 'Evt12': ctx.peer.send(pdus.releaseRq()); return true;
    case 'Evt13': ctx.peer.send(pdus.releaseRp()); return true;
    case 'Evt14': if (ctx.rec.releaseRequests === 0) return false; ctx.rec.releaseAnswer.resolve(); return true;
    case 'Evt15':
      if (ctx.decision) ctx.decision.reject(new Error('the test declines to decide'));
      else if (a && state !== 'Sta13') a.abort(new Error('aborted by the test'));
      else return state === 'Sta5'; // the ACSE timer, set short for this cell
      return true;
    case 'Evt16': ctx.peer.send(pdus.abort(2, 1)); return true;
    case 'Evt17': ctx.peer.end(); return true;
    case 'Evt18': return true; // ARTIM, set short for this cell
    case 'Evt19': ctx.peer.send(pdus.unknown(0x0a)); return true;
    default: return false;
  }
}

/** What the local user was finally told: the end of the association, or why it never began. */
async function outcome(ctx: Ctx): Promise<Error | null> {
  if (ctx.association) {
    while (ctx.rec.closes.length === 0) await wait(5);
    return ctx.rec.closes[0]!;
  }
  if (ctx.role === 'requestor') return ctx.establishing.then(() => null, (e: Error) => e);
  return ctx.refused;
}

async function nothingSent(ctx: Ctx): Promise<void> {
  await wait(60);
  assert.deepEqual(ctx.peer.unread.map((p) => p.bytes.toString('hex')), [], 'no PDU');
}

async function stillOpen(ctx: Ctx, why: string): Promise<void> {
  await wait(60);
  assert.equal(ctx.peer.isClosed, false, why);
}

type Cell = { state: State; event: UlEvent };

/** What PS3.8 Tables 9-6..9-9 say each action does, as the peer and the local user see it. */
const EFFECTS: Partial<Record<Action, (ctx: Ctx, cell: Cell) => Promise<void>>> = {
  'AE-3': async (ctx) => { assert.ok((await ctx.establishing).established); },
  'AE-4': async (ctx) => {
    const error = await outcome(ctx);
    assert.ok(error instanceof AssociationRejectedError && /called AE title not recognized/.test(error.message), String(error));
    await ctx.peer.closed();
  },
  'AE-6': async (ctx) => { await ctx.rec.until((t) => t.from === 'Sta3', 'from Sta3: the user decides'); },
  'AE-7': async (ctx) => {
    assert.equal((await ctx.peer.next()).type, 0x02);
    const a = await ctx.establishing;
    assert.deepEqual([...a.contexts.values()].map((c) => [c.id, c.accepted, c.transferSyntax]), [[1, true, EXPLICIT_LE], [3, false, '']]);
  },
  'AE-8': async (ctx) => {
    assert.deepEqual((await ctx.peer.next()).bytes, hex('03 00 00 00 00 04  00 01 01 07'));
    assert.ok((await outcome(ctx)) instanceof AssociationRejectedError);
    await stillOpen(ctx, 'Sta13: the requestor closes');
  },
  'DT-1': async (ctx) => { assert.deepEqual((await ctx.peer.next()).bytes, P_DATA); },
  'DT-2': async (ctx) => { assert.deepEqual(ctx.rec.pdvs, [{ contextId: 1, control: 3, data: DATA }]); },
  'AR-1': async (ctx) => { assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RQ); },
  'AR-2': async (ctx) => { assert.equal(ctx.rec.releaseRequests, 1); await nothingSent(ctx); },
  'AR-3': async (ctx) => { await ctx.releasing; assert.equal(await outcome(ctx), null); await ctx.peer.closed(); },
  'AR-4': async (ctx) => {
    assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RP);
    const error = await outcome(ctx);
    // A requestor released by its peer has an operation left unfinished; an acceptor is simply released.
    if (ctx.role === 'requestor' && !ctx.releasing) assert.ok(error instanceof AssociationAbortedError && /released/.test(error.message));
    else assert.equal(error, null);
    await stillOpen(ctx, 'Sta13: the requestor closes');
  },
  'AR-5': async (ctx) => {
    await ctx.peer.closed();
    await wait(450); // longer than this cell's ARTIM (300 ms): it was stopped
    assert.equal(ctx.rec.transitions.at(-1)!.action, 'AR-5');
    assert.deepEqual(ctx.peer.unread, []);
  },
  'AR-6': async (ctx) => { assert.deepEqual(ctx.rec.pdvs, [{ contextId: 1, control: 3, data: DATA }]); },
  'AR-7': async (ctx) => { assert.deepEqual((await ctx.peer.next()).bytes, P_DATA); },
  'AR-8': async (ctx) => { assert.equal(ctx.rec.releaseRequests, 1); await nothingSent(ctx); },
  'AR-9': async (ctx) => { assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RP); },
  'AR-10': async (ctx) => { await nothingSent(ctx); },
  'AA-1': async (ctx, cell) => {
    assert.deepEqual((await ctx.peer.next()).bytes, abortBytes(0, 0), 'A-ABORT, service user, reason 0');
    const error = await outcome(ctx);
    if (cell.event === 'Evt15' && cell.state === 'Sta5') assert.ok(error instanceof TimeoutError && error.timer === 'acse', String(error));
    else if (cell.event === 'Evt15') assert.match(String(error), /the test/);
    else assert.ok(error instanceof AssociationAbortedError, String(error));
  },
  'AA-2': async (ctx, cell) => {
    await ctx.peer.closed();
    assert.deepEqual(ctx.peer.unread, [], 'closed without a PDU');
    if (cell.state === 'Sta2') assert.ok((await outcome(ctx)) instanceof (cell.event === 'Evt18' ? TimeoutError : AssociationAbortedError));
  },
  'AA-3': async (ctx) => {
    const error = await outcome(ctx);
    assert.ok(error instanceof AssociationAbortedError && error.source === 2 && error.reason === 1, String(error));
    assert.match(error.message, /aborted by the peer's service provider: unrecognized PDU/);
    await ctx.peer.closed();
    assert.deepEqual(ctx.peer.unread, [], 'no PDU answers an A-ABORT');
  },
  'AA-4': async (ctx) => {
    const error = await outcome(ctx);
    assert.ok(error instanceof AssociationAbortedError && /closed the connection/.test(error.message), String(error));
    assert.deepEqual(ctx.peer.unread, []);
  },
  'AA-5': async (ctx) => { assert.match(String(await outcome(ctx)), /closed the connection before sending A-ASSOCIATE-RQ/); },
  'AA-6': async (ctx) => {
    await nothingSent(ctx);
    assert.equal(ctx.association?.state ?? 'Sta13', 'Sta13');
    assert.deepEqual(ctx.rec.pdvs, [], 'a P-DATA-TF in Sta13 is not handed on');
  },
  'AA-7': async (ctx, cell) => { assert.deepEqual((await ctx.peer.next()).bytes, abortBytes(2, cell.event === 'Evt19' ? 1 : 2)); },
  'AA-8': async (ctx, cell) => {
    // Service provider; reason "unrecognized PDU" for the unknown type 0x0A, "unexpected PDU" for the others.
    assert.deepEqual((await ctx.peer.next()).bytes, abortBytes(2, cell.event === 'Evt19' ? 1 : 2));
    const error = await outcome(ctx);
    assert.ok(error instanceof AssociationAbortedError, String(error));
    assert.match(error.message, cell.event === 'Evt19' ? /unrecognized PDU type 0x0a/ : /unexpected .* from the peer in Sta\d+/);
    await stillOpen(ctx, 'Sta13: ARTIM runs, the peer closes');
  },
};

const EVENTS_TRIED: UlEvent[] = ['Evt3', 'Evt4', 'Evt6', 'Evt7', 'Evt8', 'Evt9', 'Evt10', 'Evt11', 'Evt12', 'Evt13', 'Evt14', 'Evt15', 'Evt16', 'Evt17', 'Evt18', 'Evt19'];

/** Whether the event can happen in the state at all (timers run only where PS3.8 starts them). */
function possible(role: Role, state: State, event: UlEvent): boolean {
  if (event === 'Evt18') return state === 'Sta2' || state === 'Sta13';
  if (event === 'Evt7' || event === 'Evt8') return state === 'Sta3';
  if (event === 'Evt14') return state === 'Sta8' || state === 'Sta9' || state === 'Sta12';
  if (event === 'Evt9' || event === 'Evt11') return !['Sta2', 'Sta3', 'Sta5'].includes(state);
  if (event === 'Evt15') return state !== 'Sta2';
  return role === 'requestor' || state !== 'Sta5';
}

/** "role Sta6 Evt12" for every cell whose test passed. */
const tested = new Set<string>();
after(() => {
  // For the record: which of Table 9-10's cells with an action were exercised, by either role.
  const cells = new Set([...tested].map((k) => k.split(' ').slice(1).join(' ')));
  const withAction = STATE_NAMES.flatMap((s) => EVENT_NAMES.filter((e) => actionFor(s, e)).map((e) => `${s} ${e}`));
  const missing = withAction.filter((c) => !cells.has(c));
  console.log(`# PS3.8 Table 9-10: ${withAction.length - missing.length} of ${withAction.length} cells with an action tested over loopback, ${[...cells].length - (withAction.length - missing.length)} blank cells; by role: requestor ${[...tested].filter((k) => k.startsWith('requestor')).length}, acceptor ${[...tested].filter((k) => k.startsWith('acceptor')).length}; not reached: ${missing.join(', ') || 'none'}`);
});

for (const role of ['requestor', 'acceptor'] as const) {
  describe(`${role}: every reachable cell of PS3.8 Table 9-10`, () => {
    for (const [label, reach] of Object.entries(REACH[role]) as [State | 'Sta13 after AR-4', (o: Options) => Promise<Ctx>][]) {
      const state = label.split(' ')[0] as State;
      for (const event of EVENTS_TRIED.filter((e) => possible(role, state, e))) {
        const action = actionFor(state, event);
        test(`${label} + ${event} → ${action ?? 'refused (blank cell)'}`, { timeout: 10_000 }, async () => {
          const ctx = await reach({
            acseTimeoutMs: event === 'Evt15' && state === 'Sta5' ? 150 : event === 'Evt18' && state === 'Sta2' ? 150 : undefined,
            // Evt18: ARTIM expires; AR-5: ARTIM must be stopped, or it would expire after the close.
            artimMs: event === 'Evt18' ? 150 : action === 'AR-5' ? 300 : undefined,
          });
          await checkCell(ctx, state, event, action);
        });
      }
    }
  });
}

async function checkCell(ctx: Ctx, state: State, event: UlEvent, action: Action | undefined): Promise<void> {
  if (!action) return checkBlank(ctx, state, event);
  assert.ok(fire(event, ctx, state), `cannot raise ${event} in ${state}`);
  const t = await ctx.rec.until((x) => x.from === state && x.event === event, `${state} + ${event}`);
  assert.equal(t.action, action);
  assert.ok((ACTIONS[action].next as readonly State[]).includes(t.to), `${action} led to ${t.to}`);
  await EFFECTS[action]!(ctx, { state, event });
  tested.add(`${ctx.role} ${state} ${event}`);
}

/** A blank cell (state-table.ts blankCell): a local request refused, nothing sent, the state kept; an abort in Sta13 closes. */
async function checkBlank(ctx: Ctx, state: State, event: UlEvent): Promise<void> {
  const a = ctx.association!;
  if (event === 'Evt15') {
    a.abort();
    await ctx.peer.closed();
    assert.deepEqual(ctx.peer.unread, [], 'closed without a PDU');
  } else {
    if (event === 'Evt9') assert.throws(() => a.send(1, true, DATA), /refused/);
    if (event === 'Evt11') {
      const before = ctx.releasing;
      const p = a.release();
      p.catch(() => {});
      if (before) assert.equal(p, before, 'the release under way');
      else if (state === 'Sta13') await p; // the association is over: nothing to release
      else assert.equal(await Promise.race([p.then(() => 'settled', () => 'settled'), wait(100).then(() => 'pending')]), 'pending', 'settles when the association ends');
    }
    await nothingSent(ctx);
    assert.equal(a.state, state);
  }
  tested.add(`${ctx.role} ${state} ${event}`);
}

// ---------------------------------------------------------------------------------------------
// Beyond single cells: whole exchanges, the timers, each kind of invalid PDU, the acceptor's
// answers byte for byte, the listener, keepalive.

const plainListener = (rec: Recorder): DataListener => ({ onPdv: rec.listener.onPdv, onClose: rec.listener.onClose });


describe('release collision, the whole exchange (PS3.8 9.2.2 AR-8, AR-9, AR-10)', () => {
  test('requestor: Sta7 → AR-8 → Sta9 → AR-9 (A-RELEASE-RP) → Sta11 → AR-3, closed at once', async () => {
    const ctx = await REACH.requestor.Sta6!({});
    ctx.association!.setDataListener(plainListener(ctx.rec));
    const releasing = ctx.association!.release();
    assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RQ);
    ctx.peer.send(pdus.releaseRq());
    assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RP, 'the requestor answers the collision first');
    ctx.peer.send(pdus.releaseRp());
    await releasing;
    await ctx.peer.closed();
    assert.deepEqual(sequence(ctx.rec).slice(-4), [
      'Sta6 Evt11 AR-1 Sta7', 'Sta7 Evt12 AR-8 Sta9', 'Sta9 Evt14 AR-9 Sta11', 'Sta11 Evt13 AR-3 Sta1',
    ]);
  });

  test('acceptor: Sta7 → AR-8 → Sta10 → AR-10 → Sta12 → AR-4 (A-RELEASE-RP) → Sta13 → AR-5', async () => {
    const ctx = await REACH.acceptor.Sta6!({});
    ctx.association!.setDataListener(plainListener(ctx.rec));
    const releasing = ctx.association!.release();
    assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RQ);
    ctx.peer.send(pdus.releaseRq());
    await ctx.rec.reached('Sta10');
    await nothingSent(ctx); // the acceptor waits for the requestor's A-RELEASE-RP
    ctx.peer.send(pdus.releaseRp());
    assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RP);
    await releasing;
    ctx.peer.end();
    await ctx.rec.reached('Sta1');
    assert.deepEqual(sequence(ctx.rec).slice(-5), [
      'Sta6 Evt11 AR-1 Sta7', 'Sta7 Evt12 AR-8 Sta10', 'Sta10 Evt13 AR-10 Sta12', 'Sta12 Evt14 AR-4 Sta13', 'Sta13 Evt17 AR-5 Sta1',
    ]);
  });

  test('acceptor released by its requestor: A-RELEASE-RP at once without a hook, then the requestor closes', async () => {
    const ctx = await REACH.acceptor.Sta6!({});
    ctx.association!.setDataListener(plainListener(ctx.rec));
    ctx.peer.send(pdus.releaseRq());
    assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RP);
    assert.deepEqual(ctx.rec.closes, [null], 'an orderly end for the layer above');
    ctx.peer.end();
    await ctx.rec.reached('Sta1');
    assert.deepEqual(sequence(ctx.rec).slice(-3), ['Sta6 Evt12 AR-2 Sta8', 'Sta8 Evt14 AR-4 Sta13', 'Sta13 Evt17 AR-5 Sta1']);
  });
});

describe('timers', () => {
  test('Sta7: no A-RELEASE-RP within the ACSE timeout → A-ABORT (AA-1), release() rejects', async () => {
    const ctx = await REACH.requestor.Sta6!({ acseTimeoutMs: 150 });
    const releasing = ctx.association!.release();
    assert.deepEqual((await ctx.peer.next()).bytes, RELEASE_RQ);
    await assert.rejects(releasing, (e: unknown) => e instanceof TimeoutError && e.timer === 'acse' && /no A-RELEASE-RP within 150 ms/.test(e.message));
    assert.deepEqual((await ctx.peer.next()).bytes, abortBytes(0, 0));
    assert.ok(sequence(ctx.rec).includes('Sta7 Evt15 AA-1 Sta13'), ctx.rec.describe());
  });

  test('Sta13: ARTIM closes the transport when the peer never does (AA-2), nothing sent', async () => {
    const ctx = await REACH.requestor.Sta13!({ artimMs: 150 });
    await ctx.peer.closed(2000);
    assert.deepEqual(ctx.peer.unread, []);
    assert.ok(sequence(ctx.rec).includes('Sta13 Evt18 AA-2 Sta1'), ctx.rec.describe());
  });

  test('Sta4: no TCP/TLS connection within the connect timeout → closed (AA-2), TimeoutError connect', async () => {
    // A TCP server that never answers the TLS ClientHello keeps the requestor in Sta4.
    const silent = net.createServer((s) => s.resume());
    await new Promise<void>((r) => silent.listen(0, LOOPBACK, r));
    cleanups.push(() => new Promise((r) => { silent.close(() => r()); }));
    const rec = new Recorder();
    const connecting = Association.connect({
      host: LOOPBACK, port: (silent.address() as net.AddressInfo).port, callingAeTitle: 'DCMGET', calledAeTitle: 'SILENT',
      presentationContexts: PROPOSED, maxReceiveLength: 0, implementationClassUid: '1.2.3.4',
      connectTimeoutMs: 150, tls: { rejectUnauthorized: false }, trace: rec.trace,
    });
    await assert.rejects(connecting, (e: unknown) => e instanceof TimeoutError && e.timer === 'connect');
    assert.deepEqual(sequence(rec), ['Sta1 Evt1 AE-1 Sta4', 'Sta4 Evt15 AA-2 Sta1']);
    tested.add('requestor Sta4 Evt15');
  });

  test('Sta4: connection refused → AA-4, ConnectionError naming the port', async () => {
    const server = await rawServer();
    const port = server.port;
    await server.close(); // nothing listens there now
    const rec = new Recorder();
    const connecting = Association.connect({
      host: LOOPBACK, port, callingAeTitle: 'DCMGET', calledAeTitle: 'NOBODY', presentationContexts: PROPOSED,
      maxReceiveLength: 0, implementationClassUid: '1.2.3.4', trace: rec.trace,
    });
    await assert.rejects(connecting, (e: unknown) => e instanceof ConnectionError && e.socketCode === 'ECONNREFUSED' && e.message.includes(`${port}`));
    assert.deepEqual(sequence(rec), ['Sta1 Evt1 AE-1 Sta4', 'Sta4 Evt17 AA-4 Sta1']);
    tested.add('requestor Sta4 Evt17');
  });
});

describe('invalid PDUs: Evt19, AA-8 with the reason of PS3.8 Table 9-26', () => {
  const cases: [string, Buffer, number, RegExp][] = [
    ['PDU type 0x00', Buffer.from([0, 0, 0, 0, 0, 4, 0, 0, 0, 0]), 1, /unrecognized PDU type 0x00/],
    ['PDU type 0x0A', pdus.unknown(0x0a), 1, /unrecognized PDU type 0x0a/],
    ['A-RELEASE-RQ 5 bytes long', pdus.badReleaseRq(), 6, /must be 4 bytes long/],
    ['A-ABORT 3 bytes long', Buffer.from([7, 0, 0, 0, 0, 3, 0, 0, 2]), 6, /must be 4 bytes long/],
    ['P-DATA-TF over our Maximum Length', Buffer.from([4, 0, 0, 0, 0x40, 0x07]), 6, /exceeds the Maximum Length of 16384/],
    ['P-DATA-TF whose PDV overruns it', hex('04 00 00 00 00 0a  00 00 00 09 01 03  de ad be ef'), 6, /PDV item length 9/],
    ['a PDV on a presentation context never accepted', pdus.pData(5, 0x03, DATA), 6, /presentation context 5, which was not accepted/],
  ];
  for (const [what, bytes, reason, message] of cases) {
    test(`${what} → A-ABORT (service provider, reason ${reason})`, async () => {
      const ctx = await REACH.requestor.Sta6!({});
      ctx.peer.send(bytes);
      assert.deepEqual((await ctx.peer.next()).bytes, abortBytes(2, reason));
      const error = await outcome(ctx);
      assert.match(String(error), message);
      assert.ok(sequence(ctx.rec).includes('Sta6 Evt19 AA-8 Sta13'), ctx.rec.describe());
    });
  }

  test('an A-ASSOCIATE-AC answering a context never proposed (AE-3 finds it invalid) → reason 6', async () => {
    const ctx = await REACH.requestor.Sta5!({});
    ctx.peer.send(pdus.associateAc([{ id: 7, result: 0, transferSyntax: EXPLICIT_LE }]));
    assert.deepEqual((await ctx.peer.next()).bytes, abortBytes(2, 6));
    await assert.rejects(ctx.establishing, /presentation context 7, which was never proposed/);
    assert.ok(sequence(ctx.rec).includes('Sta5 Evt19 AA-8 Sta13'), ctx.rec.describe());
  });
});

describe('acceptor: its answers byte for byte, its listener', () => {
  test('A-ASSOCIATE-AC: our syntax preference, the roles granted, our Maximum Length, the AE titles echoed (PS3.8 9.3.3)', async () => {
    const ctx = await REACH.acceptor.Sta2!({
      decide: (rq) => ({ accept: { contexts: answerContexts(rq, () => [EXPLICIT_LE, IMPLICIT_LE]), roles: [{ sopClassUid: CT_IMAGE_STORAGE, scuRole: true, scpRole: false }] } }),
    });
    ctx.peer.send(pdus.associateRq([{ id: 1, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [IMPLICIT_LE, EXPLICIT_LE] }],
      { roles: [{ sopClassUid: CT_IMAGE_STORAGE, scuRole: true, scpRole: true }] }));
    assert.deepEqual((await ctx.peer.next()).bytes, hex(`
      02 00 00 00 00 be                   // A-ASSOCIATE-AC, length 190 = 68 + 25 + 31 + 66
      00 01 00 00                         // protocol version 1, reserved
      44 43 4d 47 45 54 20 20 20 20 20 20 20 20 20 20  // called AE "DCMGET" as in the RQ
      52 41 57 50 45 45 52 20 20 20 20 20 20 20 20 20  // calling AE "RAWPEER" as in the RQ
      00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  // reserved, 32 bytes
      00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
      10 00 00 15 31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 33 2e 31 2e 31 2e 31   // application context
      21 00 00 1b 01 00 00 00             // Presentation Context AC item (9.3.3.2): ID 1, result 0 acceptance
      40 00 00 13 31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 31 2e 32 2e 31          //   Explicit VR LE: ours first
      50 00 00 3e                         // User Information, 62 bytes
      51 00 00 04 00 00 40 00             //   Maximum Length 16384 (D.1)
      52 00 00 07 31 2e 32 2e 33 2e 34    //   Implementation Class UID 1.2.3.4
      54 00 00 1d 00 19                   //   SCP/SCU Role Selection (PS3.7 D.3.3.4), UID length 25
      31 2e 32 2e 38 34 30 2e 31 30 30 30 38 2e 35 2e 31 2e 34 2e 31 2e 31 2e 32   //   CT Image Storage
      01 00                               //   requestor: SCU role granted, SCP role not
      55 00 00 06 44 43 4d 47 45 54       //   Implementation Version Name "DCMGET"
    `));
    const a = await ctx.establishing;
    const c = a.contexts.get(1)!;
    assert.deepEqual([c.accepted, c.transferSyntax, c.scuRole, c.scpRole], [true, EXPLICIT_LE, false, true], 'we are the SCP');
    assert.equal(a.peerMaxLength, 16384);
  });

  test('protocol version without bit 0 → A-ASSOCIATE-RJ by the service provider (AE-6), 1/2/2', async () => {
    const ctx = await REACH.acceptor.Sta2!({});
    ctx.peer.send(pdus.associateRq(PROPOSED, { protocolVersion: 2 }));
    assert.deepEqual((await ctx.peer.next()).bytes, hex('03 00 00 00 00 04  00 01 02 02'));
    assert.match(String(await ctx.refused), /protocol version not supported/);
    assert.ok(sequence(ctx.rec).includes('Sta2 Evt6 AE-6 Sta13'), ctx.rec.describe());
    ctx.peer.end();
    await ctx.rec.reached('Sta1');
  });

  test('an application context other than DICOM\'s → A-ASSOCIATE-RJ 1/1/2 (AE-8)', async () => {
    let asked = false;
    const ctx = await REACH.acceptor.Sta2!({ decide: () => { asked = true; return { reject: { result: 1, source: 1, reason: 1 } }; } });
    ctx.peer.send(pdus.associateRq(PROPOSED, { applicationContext: '1.2.3.4.5' }));
    assert.deepEqual((await ctx.peer.next()).bytes, hex('03 00 00 00 00 04  00 01 01 02'));
    assert.equal(asked, false, 'the layer above is not asked');
    assert.match(String(await ctx.refused), /application context name not supported/);
  });

  test('an answer that leaves a proposed context unanswered is the user\'s error: A-ABORT (AA-1)', async () => {
    const ctx = await REACH.acceptor.Sta2!({ decide: () => ({ accept: { contexts: [], roles: [] } }) });
    ctx.peer.send(RQ);
    assert.deepEqual((await ctx.peer.next()).bytes, abortBytes(0, 0));
    assert.match(String(await ctx.refused), /presentation context 1 was not answered/);
  });

  test('listen().close() aborts an established association and drops a connection still in Sta2', async () => {
    const rec = new Recorder();
    const established = deferred<Association>();
    const listener = await listen({
      host: LOOPBACK, port: 0, maxReceiveLength: 0, implementationClassUid: '1.2.3.4', trace: rec.trace,
      decide: (rq) => ({ accept: { contexts: answerContexts(rq, () => [EXPLICIT_LE]), roles: [] } }),
      onAssociation: (a) => established.resolve(a),
    });
    const one = await rawConnect(listener.port);
    cleanups.push(async () => { one.socket.destroy(); });
    one.send(RQ);
    assert.equal((await one.next()).type, 0x02);
    await established.promise;
    const two = await rawConnect(listener.port);
    cleanups.push(async () => { two.socket.destroy(); });
    await rec.until((t) => t.to === 'Sta2' && rec.transitions.filter((x) => x.to === 'Sta2').length === 2, 'a second Sta2');
    const closing = listener.close();
    assert.deepEqual((await one.next()).bytes, abortBytes(0, 0));
    one.end(); // as a requestor does on A-ABORT (AA-3)
    await two.closed();
    await closing;
    await assert.rejects(rawConnect(listener.port));
  });
});

describe('TCP keepalive on every association socket', () => {
  /** ss(8) shows a keepalive timer only on sockets with SO_KEEPALIVE. */
  function keepaliveOn(filter: string): boolean {
    const out = execFileSync('ss', ['-tnoH', 'state', 'established', filter], { encoding: 'utf8' });
    assert.notEqual(out.trim(), '', `no socket matches ${filter}`);
    return /timer:\(keepalive,/.test(out);
  }

  test('the requestor\'s socket and the acceptor\'s', async () => {
    const r = await REACH.requestor.Sta6!({});
    assert.ok(keepaliveOn(`( dport = :${r.peer.socket.localPort} )`), 'requestor');
    assert.ok(!keepaliveOn(`( sport = :${r.peer.socket.localPort} )`), 'the raw peer has none: the check can fail');
    const a = await REACH.acceptor.Sta6!({});
    assert.ok(keepaliveOn(`( sport = :${a.peer.socket.remotePort} )`), 'acceptor');
  });
});

describe('a command set framed beforehand (Association.sendCommandPdu, DT-1)', () => {
  const COMMAND = encodeCommandSet({
    commandField: COMMAND_FIELD.C_STORE_RSP, messageIdBeingRespondedTo: 3, affectedSopClassUid: CT_IMAGE_STORAGE,
    affectedSopInstanceUid: '1.2.3.4.5.6.7', status: 0, commandDataSetType: NO_DATA_SET,
  });
  const PDU = encodeCommandPdu(1, decodeCommandSet(COMMAND));

  async function requestorSta6(maxLength: number): Promise<Ctx> {
    const ctx = await requestorSta5({});
    ctx.peer.send(pdus.associateAc([{ id: 1, result: 0, transferSyntax: EXPLICIT_LE }, { id: 3, result: 0, transferSyntax: IMPLICIT_LE }], { maxLength }));
    ctx.association = await ctx.establishing;
    ctx.association.setDataListener(ctx.rec.listener);
    await ctx.rec.reached('Sta6');
    return ctx;
  }

  test('goes out as it was framed, the bytes send() makes of the command set', async () => {
    const ctx = await requestorSta6(16384);
    ctx.association!.sendCommandPdu(1, PDU);
    assert.deepEqual((await ctx.peer.next()).bytes, PDU);
    ctx.association!.send(1, true, COMMAND);
    assert.deepEqual((await ctx.peer.next()).bytes, PDU);
    await nothingSent(ctx);
  });

  test("is fragmented to a peer's Maximum Length smaller than it (PS3.8 D.1)", async () => {
    const ctx = await requestorSta6(40);
    ctx.association!.sendCommandPdu(1, PDU);
    const expected = encodePDataTf(1, true, COMMAND, 40);
    for (let i = 0; i < expected.length; i += 2) {
      assert.deepEqual((await ctx.peer.next()).bytes, Buffer.concat([expected[i]!, expected[i + 1]!]));
    }
    await nothingSent(ctx);
  });

  test('is refused where P-DATA is (Sta7, a blank cell), nothing sent', async () => {
    const ctx = await releaseRequested(await requestorSta6(16384));
    assert.throws(() => ctx.association!.sendCommandPdu(1, PDU), /refused/);
    await nothingSent(ctx);
    assert.equal(ctx.association!.state, 'Sta7');
  });
});
