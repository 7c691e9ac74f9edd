// dcmget against a hostile or broken C-GET SCP (test/support/fake-scp.ts): each misbehaviour runs
// the built CLI as a subprocess and checks what a script relies on:
//  - the exit code of the README table (0 ok, 3 warning, 4 some sub-ops failed, 5 nothing matched,
//    6 C-GET refused/failed, 7 cancelled, 8 association/connection/timeout, 9 local I/O);
//  - a one-line explanation on stderr, and no stack trace;
//  - every instance completed before the fault intact on disk (data set hash);
//  - no temporary file (".name.part") left, nothing written outside the output folder;
//  - the process ends within a bound (a hang guard, not a speed assertion).
// The expectations are the right behaviour; where dcmget differs the test fails on purpose.
//
// Run: ./node_modules/.bin/node --test test/integration/hostile.test.ts
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeDir } from '../support/peers.ts';
import { dcmdumpOk } from '../support/dcmtk.ts';
import {
  EXPLICIT_VR_LE, fixtureInstances, startFakeScp, summarizeEvents, withSopInstanceUid,
  type FakeScp, type FakeScpScript, type FixtureInstance, type InstanceSource,
} from '../support/fake-scp.ts';
import {
  assertExit, assertExplained, assertNoTemporaryFiles, assertReceived, describeRun, ensureBuilt, getArgs, listFiles,
  runDcmget, type RunOptions, type RunResult,
} from '../support/fake-scp-run.ts';
import { decodeFileMetaInformation } from '../../src/dicom/part10.ts';
import { syntheticInstance } from '../support/synthetic.ts';

const ROOT = '2.25.216439078136092584305017246521836907';
const S1 = `${ROOT}.1.1`;
const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const STUDY_KEYS = ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${S1}`];

let work = '';
let caseNo = 0;
/** Study S1: CT explicit, CT implicit, CT RLE (in this order, the sub-operation order). */
let s1: FixtureInstance[] = [];
const servers: FakeScp[] = [];

before(async () => {
  ensureBuilt();
  work = await makeTempDir('hostile');
  s1 = fixtureInstances((m) => m.studyInstanceUID === S1);
  assert.equal(s1.length, 3);
});

after(async () => {
  for (const s of servers) await s.stop();
  if (work) await removeDir(work);
});

interface Case {
  scp: FakeScp;
  r: RunResult;
  /** The case's own folder; the output folder is inside it (by default `out`). */
  dir: string;
  out: string;
}

interface CaseOptions extends RunOptions {
  keys?: string[];
  args?: string[];
  /** The output folder relative to the case folder. */
  outRel?: string;
}

async function run(script: FakeScpScript, o: CaseOptions = {}): Promise<Case> {
  const scp = await startFakeScp({ instances: s1, ...script });
  servers.push(scp);
  const dir = path.join(work, `case-${++caseNo}`);
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, o.outRel ?? 'out');
  const r = await runDcmget(getArgs(scp, out, o.keys ?? STUDY_KEYS, o.args ?? []), o);
  return { scp, r, dir, out };
}

/** Hash of an instance's data set: from the manifest for fixtures, computed for synthetic ones. */
function sha(i: InstanceSource): string {
  const m = (i as Partial<FixtureInstance>).manifest;
  return m ? m.datasetSha256 : createHash('sha256').update(i.read(0, i.length)).digest('hex');
}

function expectedOf(instances: InstanceSource[]) {
  return instances.map((i) => ({ sopInstanceUid: i.sopInstanceUid, datasetSha256: sha(i), transferSyntaxUid: i.transferSyntaxUid }));
}

/** The checks every case makes. `intact`: instances that must be on disk, whole. */
function check(c: Case, exit: number | number[], explanation: RegExp, intact: InstanceSource[] = []): void {
  assertExit(c.r, exit, c.scp);
  assertExplained(c.r, explanation, c.scp);
  assertReceived(c.out, expectedOf(intact));
  assertNoTemporaryFiles(c.out);
  const outRel = path.relative(c.dir, c.out);
  const stray = listFiles(c.dir).filter((f) => !f.startsWith(`${outRel}/`));
  assert.deepEqual(stray, [], `files outside the output folder: ${describeRun(c.r, c.scp)}`);
}

/** The instances the fake saw answered with Success (so dcmget claims to hold them). */
function acknowledged(scp: FakeScp, from: InstanceSource[]): InstanceSource[] {
  const ok = new Set(scp.eventsOf('c-store-rsp').filter((e) => e.status === 0).map((e) => e.sopInstanceUid));
  return from.filter((i) => ok.has(i.sopInstanceUid));
}

const ERROR_LINE = /error: /i;

describe('association', () => {
  test('A-ASSOCIATE-RJ permanent (calling AE title not recognized) → 8', async () => {
    const c = await run({ association: { reject: { result: 1, source: 1, reason: 3 } } });
    check(c, 8, /rejected permanently by the service user: calling AE title not recognized/);
  });

  test('A-ASSOCIATE-RJ transient (temporary congestion) → 8', async () => {
    const c = await run({ association: { reject: { result: 2, source: 3, reason: 1 } } });
    check(c, 8, /rejected transiently .*temporary congestion/);
  });

  test('A-ABORT right after the C-GET-RQ (Orthanc, unknown calling AE) → 8, with the likely cause', async () => {
    const c = await run({ get: { fault: { at: 'after-get-rq', action: 'abort' } } });
    check(c, 8, /abort.*C-GET.*calling AE title/i);
  });

  for (const roles of ['deny', 'omit'] as const) {
    test(`SCP role refused for storage (role items ${roles === 'deny' ? 'answered with SCP role 0' : 'omitted'}) → 6`, async () => {
      // The fake cannot send on a context without the role: every sub-operation fails, 0xA702.
      const c = await run({ association: { roles } });
      check(c, 6, /0xA702/);
      assert.equal(c.scp.eventsOf('c-store-rq').length, 0);
    });
  }

  test('the C-GET abstract syntax rejected → 8, saying the peer does not accept C-GET', async () => {
    const c = await run({ association: { rejectAbstractSyntaxes: [STUDY_ROOT_GET] } });
    check(c, 8, /GET presentation context/);
  });

  test('a storage class rejected: those sub-operations fail, the rest arrive → 4', async () => {
    const sc = syntheticInstance({ sopInstanceUid: '1.2.826.0.1.3680043.10.1338.99.7.1', studyInstanceUid: S1, sizeBytes: 100_000 });
    const c = await run({ instances: [...s1, sc], association: { rejectAbstractSyntaxes: [CT] } });
    check(c, 4, /0xB000/);
    assert.ok(fs.existsSync(path.join(c.out, `${sc.sopInstanceUid}.dcm`)));
    for (const i of s1) assert.match(c.r.stderr, new RegExp(i.sopInstanceUid.replace(/\./g, '\\.')), 'failed UID not listed');
  });

  test('transfer syntax chosen per context (only Explicit VR LE accepted): the others fail → 4', async () => {
    const c = await run({ association: { transferSyntax: (_a, proposed) => (proposed.includes(EXPLICIT_VR_LE) ? EXPLICIT_VR_LE : undefined) } });
    check(c, 4, /0xB000/, [s1[0]!]);
    assert.equal(c.scp.eventsOf('c-store-rq').length, 1);
  });

  for (const maxLength of [4096, 0]) {
    test(`the fake announces Maximum Length ${maxLength || 'unlimited'}: dcmget's PDUs fit it → 0`, async () => {
      const c = await run({ association: { maxLength } });
      check(c, 0, /Success/, s1);
      assert.equal(c.scp.eventsOf('protocol-error').length, 0, summarizeEvents(c.scp.events));
    });
  }
});

describe('C-GET responses', () => {
  for (const pending of ['counters', 'bare', 'none'] as const) {
    test(`pending responses: ${pending} → 0`, async () => {
      const c = await run({ get: { pending } });
      check(c, 0, /Success/, s1);
    });
  }

  const refusals = [0xa701, 0xa702, 0xa900, 0xaa00, 0xaa01, 0xaa02, 0xaa03, 0xaa04, 0xc000, 0xc411, 0x0122, 0x0124];
  for (const status of refusals) {
    const hex = `0x${status.toString(16).toUpperCase().padStart(4, '0')}`;
    test(`final ${hex} at once, with Error Comment and Offending Element → 6`, async () => {
      const c = await run({ get: { final: { immediate: true, status, errorComment: 'scripted refusal', offendingElement: [0x0020000d] } } });
      check(c, 6, new RegExp(hex));
      assert.match(c.r.stderr, /Error Comment: scripted refusal/);
      assert.match(c.r.stderr, /\(0020,000d\)/i);
    });
  }

  test('final 0x0000 with no sub-operations → 5 (nothing matched)', async () => {
    const c = await run({ get: { final: { immediate: true, status: 0 } } });
    check(c, 5, /0x0000/);
  });

  test('final 0xB000 with no failure anywhere → 3', async () => {
    const c = await run({ get: { final: { status: 0xb000 } } });
    check(c, 3, /0xB000/, s1);
  });

  test('final 0xFE00 unasked → 7', async () => {
    const c = await run({ get: { final: { immediate: true, status: 0xfe00 } } });
    check(c, 7, /0xFE00/);
  });

  test('final 0xC000 after two completed sub-operations (Orthanc-like end) → 4', async () => {
    const c = await run({
      get: { noContext: 'fail-get' },
      association: { transferSyntax: (_a, p) => p.find((t) => t === EXPLICIT_VR_LE || t === '1.2.840.10008.1.2') },
    });
    check(c, 4, /0xC000/, [s1[0]!, s1[1]!]);
  });

  for (const failedList of ['identifier', 'command'] as const) {
    test(`a failed sub-operation, Failed SOP Instance UID List in the ${failedList === 'command' ? 'command PDV (DCMTK quirk)' : 'Identifier'} → 4`, async () => {
      // --no-retry: the first pass as the SCP ended it (the second pass is tested below).
      const c = await run({ get: { outcomes: { 1: 'fail' }, final: { failedList } } }, { args: ['--no-retry'] });
      check(c, 4, /0xB000/, [s1[0]!, s1[2]!]);
      assert.match(c.r.stderr, new RegExp(`Failed SOP Instance UID List \\(1\\)[\\s\\S]*${s1[1]!.sopInstanceUid.replace(/\./g, '\\.')}`));
    });
  }

  test('a failed sub-operation, no counters in any response, only the list → 4', async () => {
    const c = await run({ get: { pending: 'bare', outcomes: { 1: 'fail' }, final: { counters: false } } }, { args: ['--no-retry'] });
    check(c, 4, /0xB000/, [s1[0]!, s1[2]!]);
  });

  test('a failed sub-operation is asked for again at IMAGE level (second pass) → 0, all arrive', async () => {
    const c = await run({ get: { outcomes: { 1: 'fail' } } });
    check(c, 0, /recovery: recovered 1 of 1 missing instance/, s1);
    const gets = c.scp.events.filter((e) => e.type === 'c-get-rq');
    assert.ok(gets.length >= 2, 'a second C-GET was sent');
  });

  test('a sub-operation with a warning → 3', async () => {
    const c = await run({ get: { outcomes: { 0: 'warn' } } });
    check(c, 3, /0xB000/, s1);
  });

  test('0xB000 with no counters and no list → 3', async () => {
    const c = await run({ get: { pending: 'none', final: { status: 0xb000, counters: false } } });
    check(c, 3, /0xB000/, s1);
  });
});

describe('cancel', () => {
  /** `count` synthetic sub-operations of ~`delayMs` each, in study S1. */
  const slow = (cancel: 'honour' | 'ignore', count = 30, delayMs = 500): FakeScpScript => ({
    instances: Array.from({ length: count }, (_, i) => syntheticInstance({
      sopInstanceUid: `1.2.826.0.1.3680043.10.1338.99.8.${i + 1}`, studyInstanceUid: S1, sizeBytes: 200_000,
    })),
    get: { cancel, subOpDelayMs: delayMs, fragmentDelayMs: 20, maxFragment: 16_384 },
  });
  /** Sends the signals once the first sub-operation is acknowledged, `gapMs` apart. */
  const interrupt = (signals: NodeJS.Signals[], gapMs = 1000): RunOptions['onSpawn'] => (child) => {
    void (async () => {
      await servers.at(-1)!.waitFor((e) => e.type === 'c-store-rsp', 15_000).catch(() => undefined);
      for (const [i, sig] of signals.entries()) {
        if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
        if (child.exitCode === null) child.kill(sig);
      }
    })();
  };

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} during the C-GET, peer honours C-CANCEL → C-CANCEL-RQ sent, 0xFE00, 7`, async () => {
      const script = slow('honour');
      const c = await run(script, { onSpawn: interrupt([signal]) });
      check(c, 7, /0xFE00|cancel/i, acknowledged(c.scp, script.instances!));
      assert.equal(c.scp.eventsOf('c-cancel-rq').length, 1, `no C-CANCEL-RQ: ${summarizeEvents(c.scp.events)}`);
      assert.ok(c.scp.eventsOf('c-get-rsp').some((e) => e.final && e.status === 0xfe00));
      assert.ok(c.scp.eventsOf('c-store-rq').length < script.instances!.length, 'the fake did not stop');
    });
  }

  test('--cancel-after 1, peer honours C-CANCEL → 7', async () => {
    const script = slow('honour', 10, 200);
    const c = await run(script, { args: ['--cancel-after', '1'] });
    check(c, 7, /0xFE00|cancel/i, acknowledged(c.scp, script.instances!));
    assert.equal(c.scp.eventsOf('c-cancel-rq').length, 1, summarizeEvents(c.scp.events));
  });

  test('SIGINT, peer ignores C-CANCEL: dcmget waits for the final response, then 7', async () => {
    // PS3.7 lets the SCU wait for the final response; the peer ends after ~3 s more.
    const script = slow('ignore', 10, 300);
    const c = await run(script, { onSpawn: interrupt(['SIGINT']) });
    check(c, 7, /cancel/i, acknowledged(c.scp, script.instances!));
    assert.equal(c.scp.eventsOf('c-cancel-rq').length, 1, summarizeEvents(c.scp.events));
  });

  test('SIGINT twice, peer ignores C-CANCEL: aborted at once, the file in progress removed → 7', async () => {
    const script = slow('ignore');
    const c = await run(script, { onSpawn: interrupt(['SIGINT', 'SIGINT'], 1500) });
    check(c, 7, /abort/i, acknowledged(c.scp, script.instances!));
    assert.ok(c.r.ms < 12_000, `took ${c.r.ms.toFixed(0)} ms although a second interrupt aborts at once`);
    await c.scp.waitFor((e) => e.type === 'closed' && e.association === 2, 5000);
    assert.equal(c.scp.eventsOf('abort-received').length, 1, summarizeEvents(c.scp.events));
  });

  test('peer ignores C-CANCEL, --total-timeout 3 bounds the wait → 8', async () => {
    const script = slow('ignore');
    const c = await run(script, { args: ['--cancel-after', '1', '--total-timeout', '3'] });
    check(c, 8, /total timeout/i, acknowledged(c.scp, script.instances!));
  });
});

describe('connection faults', () => {
  for (const action of ['abort', 'fin', 'rst'] as const) {
    test(`${action} after 2 sub-operations → 8, the 2 instances intact`, async () => {
      const c = await run({ get: { fault: { at: 'after-sub-ops', count: 2, action } } });
      check(c, 8, ERROR_LINE, [s1[0]!, s1[1]!]);
      assert.equal(listFiles(c.out).length, 2);
    });

    test(`${action} in the middle of a data set (inside a PDU) → 8, no temporary file`, async () => {
      const c = await run({ get: { fault: { at: 'mid-dataset', subOp: 2, action } } });
      check(c, 8, ERROR_LINE, [s1[0]!, s1[1]!]);
      assert.equal(listFiles(c.out).length, 2);
    });
  }

  test('fin between two PDUs of a data set → 8', async () => {
    const c = await run({ get: { maxFragment: 4096, fault: { at: 'mid-dataset', subOp: 0, action: 'fin', midPdu: false } } });
    check(c, 8, ERROR_LINE);
    assert.equal(listFiles(c.out).length, 0);
  });

  test('fin after every sub-operation but before the final response → 8, all intact', async () => {
    const c = await run({ get: { fault: { at: 'after-sub-ops', count: 3, action: 'fin' } } });
    check(c, 8, ERROR_LINE, s1);
  });

  test('stall after 2 sub-operations, -td 2 → 8 (DIMSE timeout)', async () => {
    const c = await run({ get: { fault: { at: 'after-sub-ops', count: 2, action: 'stall' } } }, { args: ['-td', '2'] });
    check(c, 8, /DIMSE timeout|timeout/i, [s1[0]!, s1[1]!]);
  });

  test('stall in the middle of a data set, -td 2 → 8, no temporary file', async () => {
    const c = await run({ get: { fault: { at: 'mid-dataset', subOp: 1, action: 'stall' } } }, { args: ['-td', '2'] });
    check(c, 8, /timeout/i, [s1[0]!]);
  });

  test('stall right after the C-GET-RQ, -td 2 → 8', async () => {
    const c = await run({ get: { fault: { at: 'after-get-rq', action: 'stall' } } }, { args: ['-td', '2'] });
    check(c, 8, /timeout/i);
  });
});

describe('protocol misbehaviour', () => {
  test('C-STORE on a context whose SCP role was refused: stored anyway → 0', async () => {
    const c = await run({ association: { roles: 'deny' }, get: { ignoreRoles: true } });
    check(c, 0, /Success/, s1);
  });

  test('the same instance sent twice → 0, one intact file', async () => {
    const c = await run({ get: { duplicate: [0] } });
    check(c, 0, /Success/, s1);
    assert.equal(listFiles(c.out).length, 3);
    assert.equal(c.scp.eventsOf('c-store-rq').length, 4);
  });

  test('a data set in a transfer syntax other than its context\'s: never a file that lies about its syntax', async () => {
    // The implicit VR CT is sent on the CT context accepted as Explicit VR LE.
    const c = await run({
      instances: [s1[0]!, s1[1]!],
      get: { ignoreTransferSyntax: true },
      association: { transferSyntax: (_a, p) => (p.includes(EXPLICIT_VR_LE) ? EXPLICIT_VR_LE : undefined) },
    });
    // Right: the sub-operation fails (0xA900/0xC000, exit 4), or the file says the syntax it holds.
    assertNoTemporaryFiles(c.out);
    assertReceived(c.out, expectedOf([s1[0]!]));
    const file = path.join(c.out, `${s1[1]!.sopInstanceUid}.dcm`);
    if (fs.existsSync(file)) {
      // Kept: then its File Meta must name the syntax the data set is in.
      const dump = await dcmdumpOk(file);
      assert.ok(dump.ok, `${file} holds an Implicit VR data set but its File Meta says Explicit VR LE:\n${dump.output.slice(0, 1500)}`);
      assertExit(c.r, [0, 3], c.scp);
    } else {
      // Refused: a failed sub-operation, reported as such.
      assertExit(c.r, 4, c.scp);
      assertExplained(c.r, /explicit VR|implicit VR|transfer syntax/i, c.scp);
      assert.equal(c.scp.eventsOf('c-store-rsp').find((e) => e.sopInstanceUid === s1[1]!.sopInstanceUid)?.status !== 0, true, 'C-STORE-RSP Success for a data set not kept');
    }
  });

  test('compressed (encapsulated) data sent on an Explicit VR LE context (issue 12): reported, never stored as a broken file → 4', async () => {
    // The fake picks the context by SOP class only: the RLE CT goes on the CT context accepted as Explicit VR LE.
    const c = await run({
      instances: [s1[0]!, s1[2]!],
      get: { ignoreTransferSyntax: true },
      association: { transferSyntax: (_a, p) => (p.includes(EXPLICIT_VR_LE) ? EXPLICIT_VR_LE : undefined) },
    }, { args: ['--no-retry'] });
    check(c, 4, new RegExp(`not stored: ${s1[2]!.sopInstanceUid.replace(/\./g, '\\.')}: 0xC210 encapsulated \\(compressed\\) Pixel Data on a context accepted with Explicit VR Little Endian`), [s1[0]!]);
    assert.equal(listFiles(c.out).length, 1);
    assert.equal(c.scp.eventsOf('c-store-rsp').find((e) => e.sopInstanceUid === s1[2]!.sopInstanceUid)?.status, 0xc210, summarizeEvents(c.scp.events));
  });

  test('a P-DATA-TF longer than the Maximum Length dcmget announced → 8, A-ABORT', async () => {
    const c = await run({ get: { oversizePdu: 1 } }, { args: ['-pdu', '16384'] });
    check(c, 8, /Maximum Length/, [s1[0]!]);
    await c.scp.waitFor((e) => e.type === 'abort-received' || e.type === 'closed', 5000);
    assert.ok(c.scp.eventsOf('abort-received').length === 1, `no A-ABORT: ${summarizeEvents(c.scp.events)}`);
  });

  test('the A-ABORT reaches a peer that is still sending (no RST before it): 4 MiB in PDUs over the Maximum Length', async () => {
    // dcmget refuses the first PDU header while the rest streams in behind it. Closing with those
    // bytes unread would make the kernel send RST, and the peer would lose the A-ABORT unread in
    // its buffer: dcmget reads and drops what still comes, then exits (LINGER_QUIET_MS).
    const big = syntheticInstance({ sopInstanceUid: '1.2.826.0.1.3680043.10.1338.99.8.1', studyInstanceUid: S1, sizeBytes: 4 * 1024 * 1024 });
    for (let round = 0; round < 3; round++) {
      const c = await run({ instances: [big], get: { oversizePdu: 0 } }, { args: ['-pdu', '16384'] });
      check(c, 8, /Maximum Length/);
      await c.scp.waitFor((e) => e.type === 'abort-received' || e.type === 'closed', 5000);
      assert.equal(c.scp.eventsOf('abort-received').length, 1, `round ${round}: no A-ABORT: ${summarizeEvents(c.scp.events)}`);
    }
  });

  test('a PDV item length larger than its PDU → 8, A-ABORT', async () => {
    const c = await run({ get: { malformed: { subOp: 1, kind: 'pdv-overrun' } } });
    check(c, 8, /PDV item length/, [s1[0]!]);
    assert.equal(c.scp.eventsOf('abort-received').length, 1, summarizeEvents(c.scp.events));
  });

  test('a command set element claiming ~4 GB → 8, A-ABORT', async () => {
    const c = await run({ get: { malformed: { subOp: 1, kind: 'huge-command-element' } } });
    check(c, 8, /claims \d+ bytes|command/, [s1[0]!]);
    assert.equal(c.scp.eventsOf('abort-received').length, 1, summarizeEvents(c.scp.events));
  });

  test('a pending C-GET-RSP answering another Message ID → 8, A-ABORT', async () => {
    const c = await run({ get: { misbehave: { at: 0, kind: 'rsp-wrong-message-id' } } });
    check(c, 8, /unexpected C-GET-RSP|message/i, [s1[0]!]);
    assert.equal(c.scp.eventsOf('abort-received').length, 1, summarizeEvents(c.scp.events));
  });

  test('A-RELEASE-RQ from the SCP in the middle of the C-GET → 8, A-RELEASE-RP answered', async () => {
    const c = await run({ get: { misbehave: { at: 1, kind: 'release-rq' } } });
    check(c, 8, /released/i, [s1[0]!]);
    assert.equal(c.scp.eventsOf('release-rp').length, 1, summarizeEvents(c.scp.events));
  });

  test('a C-STORE-RQ on a presentation context never accepted → 8, A-ABORT', async () => {
    const c = await run({
      instances: [s1[0]!, s1[1]!],
      association: { transferSyntax: (_a, p) => (p.includes(EXPLICIT_VR_LE) ? EXPLICIT_VR_LE : undefined) },
      get: { misbehave: { at: 1, kind: 'unaccepted-context' } },
    });
    check(c, 8, /not accepted/i, [s1[0]!]);
    assert.equal(c.scp.eventsOf('abort-received').length, 1, summarizeEvents(c.scp.events));
  });

  test('an unreadable Identifier in the final response: a warning, the counters still count → 4', async () => {
    const c = await run({ get: { outcomes: { 1: 'fail' }, misbehave: { at: -1, kind: 'garbled-identifier' } } }, { args: ['--no-retry'] });
    check(c, 4, /0xB000/, [s1[0]!, s1[2]!]);
    assert.match(c.r.stderr, /Identifier/i);
  });

  test('an unknown PDU type 0x0A → 8, A-ABORT (unrecognized PDU)', async () => {
    const c = await run({ get: { malformed: { subOp: 1, kind: 'unknown-pdu' } } });
    check(c, 8, /unrecognized PDU/, [s1[0]!]);
    const aborts = c.scp.eventsOf('abort-received');
    assert.equal(aborts.length, 1, summarizeEvents(c.scp.events));
    assert.deepEqual([aborts[0]!.source, aborts[0]!.reason], [2, 1]);
  });
});

describe('hostile SOP Instance UIDs', () => {
  const tmpProbe = `dcmget-hostile-${process.pid}`;
  const HOSTILE = [
    '../../etc/x', '/abs/path', 'a/b', 'a\\b', 'nul\0inside', 'x'.repeat(200), '..', '.', 'COM1', 'a:b',
    `../../../../../../../../../../tmp/${tmpProbe}`, '1.2.3/../../..', '\n1.2',
  ];

  test('each lands inside the output folder under a safe name → 0', async () => {
    const base = s1[0]!;
    const instances = HOSTILE.map((uid) => withSopInstanceUid(base, uid));
    const c = await run({ instances }, { outRel: 'a/b/out' });
    assertExit(c.r, 0, c.scp);
    assertExplained(c.r, /Success/, c.scp);
    assertNoTemporaryFiles(c.out);
    const files = listFiles(c.out);
    assert.equal(files.length, HOSTILE.length, `expected one file per UID: ${files.join(', ')}`);
    for (const f of files) {
      assert.ok(!f.includes('/'), `a sub-folder was made from a UID: ${f}`);
      assert.ok(!f.startsWith('.'), `hidden file from a UID: ${f}`);
    }
    // Each file holds the data set sent.
    for (const f of files) {
      const bytes = fs.readFileSync(path.join(c.out, f));
      const meta = decodeFileMetaInformation(bytes);
      assert.equal(createHash('sha256').update(bytes.subarray(meta.dataSetOffset)).digest('hex'), base.manifest.datasetSha256, f);
    }
    const stray = listFiles(c.dir).filter((f) => !f.startsWith('a/b/out/'));
    assert.deepEqual(stray, [], 'files outside the output folder');
    for (const p of ['/abs', `/tmp/${tmpProbe}.dcm`, '/tmp/x.dcm', '/tmp/etc/x.dcm', '/etc/x.dcm']) {
      assert.equal(fs.existsSync(p), false, `${p} was written`);
    }
  });

  test('an empty SOP Instance UID (or only padding): that sub-operation fails, the other arrives → 4', async () => {
    const c = await run({ instances: [s1[0]!, withSopInstanceUid(s1[1]!, ''), withSopInstanceUid(s1[2]!, ' ')] });
    check(c, 4, /0xB000/, [s1[0]!]);
    assert.equal(listFiles(c.out).length, 1);
  });
});

describe('large instance', () => {
  /**
   * Runs dcmget on one synthetic instance with a hook that writes its peak RSS (kB) at exit: the
   * kernel's VmHWM, the high-water mark of this process's own memory since its exec. Not
   * getrusage's maxRSS: Linux carries that over from the process forked to exec it, here the test
   * runner, whose own RSS (the fake SCP streaming 2 GiB) it then reports (90 MB against a VmHWM
   * of 68 MB, measured).
   */
  async function measured(inst: ReturnType<typeof syntheticInstance>): Promise<{ c: Case; maxRssKb: number }> {
    const hook = path.join(work, 'rss-hook.mjs');
    const rssFile = path.join(work, `rss-${inst.frames}.txt`);
    fs.writeFileSync(hook, "import fs from 'node:fs';\nprocess.on('exit', () => { fs.writeFileSync(process.env.DCMGET_RSS_FILE, /VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]); });\n");
    const c = await run({ instances: [inst] }, {
      keys: ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${inst.keys.StudyInstanceUID}`],
      nodeArgs: ['--import', hook], env: { DCMGET_RSS_FILE: rssFile }, timeoutMs: 240_000,
    });
    assertExit(c.r, 0, c.scp);
    return { c, maxRssKb: Number(fs.readFileSync(rssFile, 'utf8')) };
  }

  test('a 2 GiB synthetic instance is received whole with bounded memory (peak RSS < 150 MB, within 20 MB of 64 MiB\'s)', { timeout: 300_000 }, async () => {
    const small = await measured(syntheticInstance({ sopInstanceUid: '1.2.826.0.1.3680043.10.1338.99.9.2', frames: 1024 })); // 64 MiB
    fs.rmSync(small.c.out, { recursive: true, force: true });
    const inst = syntheticInstance({ sopInstanceUid: '1.2.826.0.1.3680043.10.1338.99.9.1', frames: 32768 }); // 256 x 256 x 8 bits x 32768 = 2 GiB
    assert.ok(inst.length > 2 ** 31);
    const { c, maxRssKb } = await measured(inst);
    try {
      assertNoTemporaryFiles(c.out);
      const file = path.join(c.out, `${inst.sopInstanceUid}.dcm`);
      const size = fs.statSync(file).size;
      const fd = fs.openSync(file, 'r');
      try {
        const head = Buffer.alloc(4096);
        fs.readSync(fd, head, 0, head.length, 0);
        const meta = decodeFileMetaInformation(head);
        assert.equal(meta.mediaStorageSopInstanceUid, inst.sopInstanceUid);
        assert.equal(meta.transferSyntaxUid, EXPLICIT_VR_LE);
        assert.equal(size, meta.dataSetOffset + inst.length, 'file size is not header + data set');
        const [bulkStart, bulkEnd] = inst.bulkRanges.at(-1)!;
        const probes = [0, bulkStart - 12, bulkStart, 65_536 * 1000 + 3, 2 ** 30 + 12_345, 2 ** 31 - 5, bulkEnd - 4096, inst.length - 4096];
        for (const at of probes) {
          const n = Math.min(4096, inst.length - at);
          const got = Buffer.alloc(n);
          fs.readSync(fd, got, 0, n, meta.dataSetOffset + at);
          assert.ok(got.equals(inst.read(at, n)), `bytes differ at data set offset ${at}`);
        }
      } finally {
        fs.closeSync(fd);
      }
      const mb = (kb: number): string => (kb / 1024).toFixed(0);
      // Flat: 32 times the data must not cost more than a few MB more than 64 MiB did.
      assert.ok(maxRssKb - small.maxRssKb < 20 * 1024, `peak RSS grew from ${mb(small.maxRssKb)} MB (64 MiB) to ${mb(maxRssKb)} MB (2 GiB)`);
      assert.ok(maxRssKb < 150 * 1024, `dcmget peak RSS ${mb(maxRssKb)} MB for a 2 GiB instance (${mb(small.maxRssKb)} MB for 64 MiB)`);
    } finally {
      fs.rmSync(c.out, { recursive: true, force: true });
    }
  });
});
