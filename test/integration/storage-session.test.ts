// The DIMSE side of an association a peer opens to dcmget's Storage SCP (src/dimse/storage-session.ts),
// driven byte by byte by a raw peer over loopback: C-ECHO is answered, a C-STORE is answered once its
// sink has the whole data set, a release waits for an answer still being written, a data set that
// stalls past the DIMSE timeout aborts the association (the sink told), and any other message is a
// protocol error. The C-MOVE tests (move.test.ts) run the same code against real peers.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { listen, type AssociationListener } from '../../src/ul/acceptor.ts';
import { answerContexts } from '../../src/ul/negotiation.ts';
import { StorageSession } from '../../src/dimse/storage-session.ts';
import { decodeCommandSet, encodeCommandSet, type CommandSet } from '../../src/dimse/command-set.ts';
import type { DatasetSink } from '../../src/dimse/channel.ts';
import { pdus, rawConnect, type RawPeer } from '../support/raw-peer.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const VERIFICATION = '1.2.840.10008.1.1';
const EXPLICIT = '1.2.840.10008.1.2.1';
const COMMAND_LAST = 0x03;
const DATA_LAST = 0x02;
const DATA_MORE = 0x00;

interface Seen { writes: number; bytes: number; ended: boolean; aborted: boolean; respond?: (status: number) => void }

const listeners: AssociationListener[] = [];
after(async () => { for (const l of listeners) await l.close(); });

/** A listener whose every association is a StorageSession; each C-STORE's sink records what it saw. */
async function storageScp(options: { dimseTimeoutMs?: number; answerLater?: boolean } = {}) {
  const seen: Seen[] = [];
  const closed: (Error | null)[] = [];
  const listener = await listen({
    port: 0, host: '127.0.0.1', maxReceiveLength: 16384, implementationClassUid: '1.2.3',
    decide: (rq) => ({ accept: { contexts: answerContexts(rq, () => [EXPLICIT]), roles: [] } }),
    onAssociation: (association) => {
      const session = new StorageSession(association, {
        onStore: (_command, _context, respond) => {
          const s: Seen = { writes: 0, bytes: 0, ended: false, aborted: false };
          seen.push(s);
          const sink: DatasetSink = {
            write: (chunk) => { s.writes++; s.bytes += chunk.length; },
            end: () => {
              s.ended = true;
              if (options.answerLater) s.respond = respond;
              else respond(0x0000);
            },
            abort: () => { s.aborted = true; },
          };
          return sink;
        },
      }, { dimseTimeoutMs: options.dimseTimeoutMs });
      void session.closed().then((e) => closed.push(e));
    },
  });
  listeners.push(listener);
  return { port: listener.port, seen, closed };
}

async function associate(port: number): Promise<RawPeer> {
  const raw = await rawConnect(port);
  raw.send(pdus.associateRq([{ id: 1, abstractSyntax: CT, transferSyntaxes: [EXPLICIT] }, { id: 3, abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT] }]));
  assert.equal((await raw.next()).type, 0x02, 'A-ASSOCIATE-AC');
  return raw;
}

function command(c: Omit<CommandSet, 'commandDataSetType'> & { commandDataSetType?: number }): Buffer {
  return encodeCommandSet({ commandDataSetType: 0x0101, ...c });
}

/** The command set of a P-DATA-TF from the SCP (one PDV). */
function commandOf(pdu: Buffer): CommandSet {
  return decodeCommandSet(pdu.subarray(12));
}

const storeRq = () => command({ commandField: 0x0001, messageId: 7, affectedSopClassUid: CT, affectedSopInstanceUid: '1.2.3.4', priority: 0, commandDataSetType: 0x0000, moveOriginatorMessageId: 1, moveOriginatorAeTitle: 'DCMGET' });

test('C-ECHO is answered Success on the Verification context', async () => {
  const scp = await storageScp();
  const raw = await associate(scp.port);
  raw.send(pdus.pData(3, COMMAND_LAST, command({ commandField: 0x0030, messageId: 5, affectedSopClassUid: VERIFICATION })));
  const rsp = commandOf((await raw.next()).bytes);
  assert.deepEqual([rsp.commandField, rsp.messageIdBeingRespondedTo, rsp.status], [0x8030, 5, 0x0000]);
  raw.send(pdus.releaseRq());
  assert.equal((await raw.next()).type, 0x06, 'A-RELEASE-RP');
});

test('a C-STORE is answered once its sink has the whole data set; a release waits for an answer still being written', async () => {
  const scp = await storageScp({ answerLater: true });
  const raw = await associate(scp.port);
  raw.send(pdus.pData(1, COMMAND_LAST, storeRq()), pdus.pData(1, DATA_MORE, Buffer.alloc(100)), pdus.pData(1, DATA_LAST, Buffer.alloc(50)));
  raw.send(pdus.releaseRq());
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(raw.unread.length, 0, 'nothing before the answer: not the C-STORE-RSP, not the A-RELEASE-RP');
  assert.deepEqual([scp.seen[0]!.bytes, scp.seen[0]!.ended], [150, true]);
  scp.seen[0]!.respond!(0x0000);
  const rsp = commandOf((await raw.next()).bytes);
  assert.deepEqual([rsp.commandField, rsp.messageIdBeingRespondedTo, rsp.affectedSopInstanceUid, rsp.status], [0x8001, 7, '1.2.3.4', 0x0000]);
  assert.equal((await raw.next()).type, 0x06, 'then A-RELEASE-RP');
});

test('a data set that stalls past the DIMSE timeout: A-ABORT, and the sink is told', async () => {
  const scp = await storageScp({ dimseTimeoutMs: 300 });
  const raw = await associate(scp.port);
  raw.send(pdus.pData(1, COMMAND_LAST, storeRq()), pdus.pData(1, DATA_MORE, Buffer.alloc(100)));
  const abort = await raw.next(3000);
  assert.equal(abort.type, 0x07, 'A-ABORT');
  await raw.closed();
  assert.deepEqual([scp.seen[0]!.ended, scp.seen[0]!.aborted], [false, true]);
  assert.match(String(scp.closed[0]), /DIMSE timeout/);
});

test('silence between C-STOREs is no fault: the peer decides when to send (its C-MOVE is timed on its own)', async () => {
  const scp = await storageScp({ dimseTimeoutMs: 200 });
  const raw = await associate(scp.port);
  await new Promise((r) => setTimeout(r, 500));
  raw.send(pdus.pData(1, COMMAND_LAST, storeRq()), pdus.pData(1, DATA_LAST, Buffer.alloc(10)));
  assert.equal(commandOf((await raw.next()).bytes).status, 0x0000);
});

test('any other message on a storage association is a protocol error: A-ABORT', async () => {
  const scp = await storageScp();
  const raw = await associate(scp.port);
  raw.send(pdus.pData(1, COMMAND_LAST, command({ commandField: 0x0020, messageId: 9, affectedSopClassUid: CT, priority: 0 })));
  assert.equal((await raw.next()).type, 0x07, 'A-ABORT');
  await raw.closed();
  assert.match(String(scp.closed[0]), /C-FIND-RQ on an association accepted for storage/);
});
