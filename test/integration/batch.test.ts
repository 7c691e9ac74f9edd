// Issue 11, batch scale, against a real Orthanc: --shard K/N as three concurrent processes whose
// union is the whole list with no instance twice, a shard assignment that stays put when studies
// are appended to the list, and --ledger: a run killed with SIGKILL half-way, then rerun with the
// same ledger, asks only for what was missing; a rerun when all is complete asks nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startOrthanc, type OrthancServer } from '../support/orthanc.ts';
import { readPart10 } from '../support/dcmtk.ts';
import { listFiles } from '../support/fixtures.ts';
import { tempDir } from '../support/cli.ts';
import { describeRun, runDcmget, type RunResult } from '../support/fake-scp-run.ts';
import { buildMixedStudies, buildTinyStudies, studyUids, type MadeInstance } from '../support/studies.ts';

const dirs: string[] = [];
const out = () => { const d = tempDir(); dirs.push(d); return d; };
let orthanc: OrthancServer;
/** The list the shards share: the five mixed studies and seven tiny ones. */
let shardList: MadeInstance[];
/** Studies appended to that list to check that no study changes shard. */
let appended: MadeInstance[];
/** Many small studies, for a run slow enough to be killed half-way. */
let ledgerList: MadeInstance[];
const LEDGER_STUDIES = 100;
const LEDGER_PER_STUDY = 2;

before(async () => {
  const work = out();
  shardList = [...await buildMixedStudies(path.join(work, 'mixed')), ...buildTinyStudies(path.join(work, 'tiny'), 7, 2, 101)];
  appended = buildTinyStudies(path.join(work, 'appended'), 4, 2, 108);
  ledgerList = buildTinyStudies(path.join(work, 'ledger'), LEDGER_STUDIES, LEDGER_PER_STUDY, 201);
  orthanc = await startOrthanc();
  const all = [...shardList, ...appended, ...ledgerList];
  await orthanc.upload(all.map((m) => m.path));
  assert.equal((await orthanc.instances()).length, all.length, 'Orthanc holds every instance');
});

after(async () => {
  await orthanc?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const peer = () => ['-aec', orthanc.aet, '127.0.0.1', String(orthanc.dicomPort)];

function listFile(studies: string[]): string {
  const f = path.join(out(), 'list.txt');
  fs.writeFileSync(f, `${studies.join('\n')}\n`);
  return f;
}

/** The NDJSON lines of a run. */
function events(r: RunResult): Record<string, unknown>[] {
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Keys of the requests a run ran (its `request` events). */
function requestKeys(r: RunResult): string[] {
  return events(r).filter((e) => e.event === 'request').map((e) => (e.request as { key: string }).key).sort();
}

const keyOf = (studyUid: string) => `STUDY ${studyUid}`;

/** SOP Instance UIDs of the .dcm files in a folder; asserts no temporary file is there. */
function instancesIn(dir: string): string[] {
  const files = listFiles(dir);
  assert.deepEqual(files.filter((f) => path.basename(f).startsWith('.') || f.endsWith('.part')), [], `no temporary file left in ${dir}`);
  return files.map((f) => readPart10(f).sopInstanceUID).sort();
}

describe('--shard K/N: three processes against one Orthanc', () => {
  test('the union of the three shards is the whole list, no instance twice, each exits 0; their shared --ledger lists every request', async (t) => {
    const studies = studyUids(shardList);
    const list = listFile(studies);
    // Three folders, not one: an instance fetched by two shards would then be two files, not one overwritten.
    const folders = [out(), out(), out()];
    // One ledger for the three, as a job array on shared storage would have: each line one write(2), O_APPEND.
    const ledger = path.join(out(), 'ledger.ndjson');
    const started = performance.now();
    const runs = await Promise.all(folders.map((od, k) => runDcmget(['-S', '--uids-from', list, '--shard', `${k}/3`, '--ledger', ledger, '--ndjson', ...peer(), '-od', od], { timeoutMs: 120_000 })));
    const wallMs = performance.now() - started;
    for (const r of runs) assert.equal(r.code, 0, describeRun(r));
    const perShard = folders.map(instancesIn);
    const union = perShard.flat().sort();
    assert.deepEqual(union, shardList.map((m) => m.sopInstanceUid).sort(), 'every instance of the list, each exactly once over the three folders');
    const keys = runs.map(requestKeys);
    for (const [k, ks] of keys.entries()) assert.ok(ks.length > 0, `shard ${k}/3 has some of the ${studies.length} studies`);
    assert.deepEqual(keys.flat().sort(), studies.map(keyOf).sort(), 'each study in exactly one shard');
    for (const [k, r] of runs.entries()) {
      const summary = events(r).find((e) => e.event === 'summary') as { requests: { total: number; outOfShard: number; complete: number } };
      assert.equal(summary.requests.total, studies.length);
      assert.equal(summary.requests.total - summary.requests.outOfShard, keys[k]!.length);
      assert.equal(summary.requests.complete, keys[k]!.length);
    }
    assert.deepEqual([...completeRequests(ledgerLines(ledger))].sort(), studies.map(keyOf).sort(), 'the shared ledger holds every request of the list, complete');
    const again = await runDcmget(['-S', '--uids-from', list, '--shard', '1/3', '--ledger', ledger, '--json', ...peer(), '-od', folders[1]!], { timeoutMs: 60_000 });
    assert.equal(again.code, 0, describeRun(again));
    const j = JSON.parse(again.stdout) as { requests: { skippedByLedger: number }; associations: { find: number; get: number } };
    assert.equal(j.requests.skippedByLedger, keys[1]!.length, 'a shard rerun with the shared ledger skips all of its requests');
    assert.deepEqual(j.associations, { find: 0, get: 0, move: 0, incoming: 0, refused: 0 });
    t.diagnostic(`three shards of ${studies.length} studies (${shardList.length} instances) as three concurrent processes: ${wallMs.toFixed(0)} ms wall clock; shard sizes ${keys.map((k) => k.length).join('/')} studies, ${perShard.map((p) => p.length).join('/')} instances`);
  });

  test('appending studies to the list moves none of the first ones to another shard', async () => {
    const first = studyUids(shardList);
    const more = [...first, ...studyUids(appended)];
    const [shortList, longList] = [listFile(first), listFile(more)];
    const keysOf = async (list: string, k: number) => {
      const r = await runDcmget(['-S', '--uids-from', list, '--shard', `${k}/3`, '--ndjson', ...peer(), '-od', out()], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, describeRun(r));
      return requestKeys(r);
    };
    const firstKeys = new Set(first.map(keyOf));
    const grown: string[][] = [];
    for (let k = 0; k < 3; k++) {
      const before = await keysOf(shortList, k);
      const after = await keysOf(longList, k);
      grown.push(after);
      assert.deepEqual(after.filter((key) => firstKeys.has(key)), before, `shard ${k}/3 keeps exactly its studies of the first list`);
    }
    assert.deepEqual(grown.flat().sort(), more.map(keyOf).sort(), 'the longer list is still split in full, each study once');
    assert.ok(grown.filter((ks) => ks.some((key) => !firstKeys.has(key))).length >= 2, 'the appended studies spread over the shards');
  });
});

interface LedgerLine { type: string; request: string; unit?: string; complete: boolean }

function ledgerLines(file: string): LedgerLine[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  // Only whole lines: the last one may still be being written.
  return text.split('\n').slice(0, -1).filter(Boolean).map((l) => JSON.parse(l) as LedgerLine);
}

const completeRequests = (lines: LedgerLine[]) => new Set(lines.filter((l) => l.type === 'request' && l.complete).map((l) => l.request));

describe('--ledger FILE: a run killed half-way, then rerun', () => {
  test('the rerun asks only for what was missing; one more asks nothing at all', async (t) => {
    const studies = studyUids(ledgerList);
    const list = listFile(studies);
    const od = out();
    const ledger = path.join(out(), 'ledger.ndjson');
    const args = ['-S', '--uids-from', list, '--ledger', ledger, '--json', ...peer(), '-od', od];

    let polls = 0;
    const killed = await runDcmget(args, {
      timeoutMs: 120_000,
      onSpawn: (child) => {
        const poll = setInterval(() => {
          polls++;
          if (completeRequests(ledgerLines(ledger)).size >= 2) {
            clearInterval(poll);
            child.kill('SIGKILL');
          }
        }, 2);
        child.once('exit', () => clearInterval(poll));
      },
    });
    assert.equal(killed.signal, 'SIGKILL', `the first run was killed, not finished: ${describeRun(killed)}`);
    const lines = ledgerLines(ledger);
    const done = completeRequests(lines);
    assert.ok(done.size >= 2 && done.size < studies.length, `killed half-way: ${done.size} of ${studies.length} requests complete`);
    // A request whose unit was recorded complete but not the request itself is not asked again either.
    const unitsDone = new Set(lines.filter((l) => l.type === 'unit' && l.complete).map((l) => l.request));
    const untouched = studies.filter((s) => !done.has(keyOf(s)) && !unitsDone.has(keyOf(s)));
    const leftovers = listFiles(od).filter((f) => f.endsWith('.part'));

    const rerun = await runDcmget(args, { timeoutMs: 120_000 });
    assert.equal(rerun.code, 0, describeRun(rerun));
    const j = JSON.parse(rerun.stdout) as { requests: { total: number; skippedByLedger: number; complete: number }; ledger: { stored: number }; associations: { find: number; get: number } };
    assert.equal(j.requests.skippedByLedger, done.size, 'the rerun skips exactly the requests the ledger lists as complete');
    assert.equal(j.ledger.stored, untouched.length * LEDGER_PER_STUDY, 'the rerun stores exactly the instances of the studies not finished');
    const inFolder = listFiles(od).filter((f) => f.endsWith('.dcm')).map((f) => readPart10(f).sopInstanceUID).sort();
    assert.deepEqual(inFolder, ledgerList.map((m) => m.sopInstanceUid).sort(), 'every instance, exactly once');
    // SIGKILL lets no process clean up: the killed run's temporary files stay (hidden, never a
    // .dcm) until a run finds them a day old (output/temp-files.ts STALE_AGE_MS).
    const temps = listFiles(od).filter((f) => f.endsWith('.part'));
    assert.deepEqual(temps.filter((f) => !leftovers.includes(f)), [], 'the rerun leaves no temporary file of its own');
    for (const f of temps) assert.match(path.basename(f), /^\.dcmget-.+\.part$/);
    t.diagnostic(`ledger: killed after ${done.size} of ${studies.length} requests complete (${polls} polls); rerun skipped ${j.requests.skippedByLedger}, stored ${j.ledger.stored} (${untouched.length} studies × ${LEDGER_PER_STUDY}), associations find ${j.associations.find} + get ${j.associations.get}; temporary files the killed process left: ${leftovers.length}`);

    const again = await runDcmget(args, { timeoutMs: 60_000 });
    assert.equal(again.code, 0, describeRun(again));
    const k = JSON.parse(again.stdout) as typeof j & { queries: number };
    assert.equal(k.requests.skippedByLedger, studies.length, 'every request listed complete');
    assert.deepEqual(k.associations, { find: 0, get: 0, move: 0, incoming: 0, refused: 0 }, 'no association opened');
    assert.equal(k.queries, 0);
    assert.equal(k.ledger.stored, 0);
  });
});
