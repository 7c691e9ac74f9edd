// Presentation contexts a C-GET SCU proposes (PS3.8 9.3.2.2, PS3.7 D.3.3.4) and getscu flag aliases.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
  MAX_PRESENTATION_CONTEXTS, QUERY_TRANSFER_SYNTAXES, countContexts, planContexts, type StorageProposal,
} from '../../src/retrieve/presentation-contexts.ts';
import { UNCOMPRESSED, buildProposal, defaultStorageProposal, proposalForClasses } from '../../src/retrieve/storage-proposal.ts';
import { STORAGE_SOP_CLASSES, storageSopClassByKeyword } from '../../src/dicom/storage-sop-classes.ts';
import { transferSyntaxByName, transferSyntaxByUid } from '../../src/dicom/transfer-syntaxes.ts';

const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';
const PATIENT_ROOT_GET = '1.2.840.10008.5.1.4.1.2.1.3';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const UNCOMPRESSED_SET = new Set([EXPLICIT_LE, IMPLICIT_LE]);

function uidOf(keyword: string): string {
  const c = storageSopClassByKeyword(keyword);
  assert.ok(c, keyword);
  return c.uid;
}
function tsUid(shortName: string): string {
  const ts = transferSyntaxByName(shortName);
  assert.ok(ts, shortName);
  return ts.uid;
}

const CT = uidOf('CTImageStorage');
const MR = uidOf('MRImageStorage');
const SR = uidOf('ComprehensiveSRStorage');
const ACTIVE_CLASSES = STORAGE_SOP_CLASSES.filter((c) => !c.retired).map((c) => c.uid);

function proposal(n: number, contextsPerClass = 1): StorageProposal[] {
  return ACTIVE_CLASSES.slice(0, n).map((sopClassUid) => ({
    sopClassUid, contexts: Array.from({ length: contextsPerClass }, () => [EXPLICIT_LE]),
  }));
}

describe('planContexts (PS3.8 9.3.2.2)', () => {
  it('numbers contexts with odd IDs 1, 3, 5 … in order, query contexts first', () => {
    const plan = planContexts([STUDY_ROOT_GET], [{ sopClassUid: CT, contexts: [[EXPLICIT_LE], [IMPLICIT_LE]] }, { sopClassUid: MR, contexts: [UNCOMPRESSED] }]);
    assert.deepEqual(plan.contexts, [
      { id: 1, abstractSyntax: STUDY_ROOT_GET, transferSyntaxes: QUERY_TRANSFER_SYNTAXES },
      { id: 3, abstractSyntax: CT, transferSyntaxes: [EXPLICIT_LE] },
      { id: 5, abstractSyntax: CT, transferSyntaxes: [IMPLICIT_LE] },
      { id: 7, abstractSyntax: MR, transferSyntaxes: UNCOMPRESSED },
    ]);
    assert.deepEqual(QUERY_TRANSFER_SYNTAXES, [EXPLICIT_LE, IMPLICIT_LE]);
  });

  it('128 contexts fit, with IDs odd, unique, 1..255', () => {
    const plan = planContexts([STUDY_ROOT_GET], proposal(127));
    assert.equal(plan.contexts.length, MAX_PRESENTATION_CONTEXTS);
    const ids = plan.contexts.map((c) => c.id);
    assert.ok(ids.every((id) => id % 2 === 1 && id >= 1 && id <= 255));
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(ids.at(-1), 255);
  });

  it('129 contexts are a RangeError, whether from classes or from contexts per class', () => {
    assert.throws(() => planContexts([STUDY_ROOT_GET], proposal(128)), RangeError);
    assert.throws(() => planContexts([STUDY_ROOT_GET, PATIENT_ROOT_GET], proposal(127)), RangeError);
    assert.throws(() => planContexts([STUDY_ROOT_GET], proposal(32, 4)), RangeError); // 1 + 128
    assert.equal(planContexts([STUDY_ROOT_GET], proposal(127, 1)).contexts.length, 128);
  });

  it('one SCP/SCU Role Selection per storage class: SCU role 0, SCP role 1 (PS3.7 D.3.3.4)', () => {
    const storage = proposal(5, 3);
    const plan = planContexts([STUDY_ROOT_GET], storage);
    assert.deepEqual(plan.roleSelections, storage.map((s) => ({ sopClassUid: s.sopClassUid, scuRole: false, scpRole: true })));
    assert.ok(!plan.roleSelections.some((r) => r.sopClassUid === STUDY_ROOT_GET), 'none for the query/retrieve class');
  });

  it('countContexts adds the query contexts to every storage context', () => {
    assert.equal(countContexts(proposal(10, 3), 1), 31);
    assert.equal(countContexts([], 2), 2);
  });
});

function assertUncompressedFirst(p: StorageProposal): void {
  const isUncompressed = p.contexts.map((ts) => ts.every((t) => UNCOMPRESSED_SET.has(t)));
  assert.ok(isUncompressed[0], `${p.sopClassUid}: first context is uncompressed`);
  const firstCompressed = isUncompressed.indexOf(false);
  if (firstCompressed >= 0) assert.ok(isUncompressed.slice(firstCompressed).every((u) => !u), `${p.sopClassUid}: uncompressed before compressed`);
  const offered = new Set(p.contexts.flat());
  assert.ok(offered.has(EXPLICIT_LE) && offered.has(IMPLICIT_LE), `${p.sopClassUid}: both uncompressed syntaxes offered`);
}

describe('proposalForClasses', () => {
  for (const n of [1, 2, 3, 10, 42, 63, 64, 100, 126, 127]) {
    it(`${n} classes: every class covered, at most 127 contexts, uncompressed first`, () => {
      const classes = ACTIVE_CLASSES.slice(0, n);
      const p = proposalForClasses(classes);
      assert.deepEqual(p.map((s) => s.sopClassUid), classes);
      assert.ok(countContexts(p, 0) <= MAX_PRESENTATION_CONTEXTS - 1, `${countContexts(p, 0)} storage contexts`);
      for (const s of p) {
        assert.ok(s.contexts.length >= 1);
        assert.ok(s.contexts.every((ts) => ts.length >= 1));
        assertUncompressedFirst(s);
      }
      planContexts([STUDY_ROOT_GET], p); // and it fits an association with the C-GET context
    });
  }

  it('more classes than the budget is a RangeError', () => {
    assert.throws(() => proposalForClasses(ACTIVE_CLASSES.slice(0, 128)), RangeError);
    assert.throws(() => proposalForClasses(ACTIVE_CLASSES.slice(0, 11), undefined, 10), RangeError);
  });

  it('duplicates are proposed once', () => {
    assert.deepEqual(proposalForClasses([CT, MR, CT]).map((s) => s.sopClassUid), [CT, MR]);
  });

  it('with room, one class gets explicit and implicit in separate contexts, then compressed syntaxes', () => {
    const [ct] = proposalForClasses([CT]);
    assert.deepEqual(ct!.contexts.slice(0, 2), [[EXPLICIT_LE], [IMPLICIT_LE]]);
    assert.ok(ct!.contexts.slice(2).some((ts) => ts.includes(tsUid('jpeg-baseline'))));
    const offered = ct!.contexts.flat();
    assert.equal(new Set(offered).size, offered.length, 'no syntax proposed twice for one class');
  });

  it('with syntaxes known from the plan: those first (uncompressed before compressed), then the uncompressed syntax not seen', () => {
    const known = new Map([[CT, new Set([tsUid('rle'), tsUid('jpeg-baseline'), EXPLICIT_LE])], [SR, new Set([IMPLICIT_LE])]]);
    const p = proposalForClasses([CT, SR], known);
    const ct = p.find((s) => s.sopClassUid === CT)!;
    assert.deepEqual(ct.contexts, [[EXPLICIT_LE], [tsUid('jpeg-baseline')], [tsUid('rle')], [IMPLICIT_LE]]);
    const sr = p.find((s) => s.sopClassUid === SR)!;
    assert.deepEqual(sr.contexts, [[IMPLICIT_LE], [EXPLICIT_LE]], 'the stored syntax first, even implicit');
  });

  it('a class known to hold only a compressed syntax gets that context first (a first-context peer sends it as stored)', () => {
    const [mr] = proposalForClasses([MR], new Map([[MR, new Set([tsUid('jpeg-ls-lossless')])]]));
    assert.deepEqual(mr!.contexts, [[tsUid('jpeg-ls-lossless')], [EXPLICIT_LE], [IMPLICIT_LE]]);
  });

  it('with a short budget, known syntaxes keep their contexts and the uncompressed ones share one', () => {
    const known = new Map([[CT, new Set([tsUid('jpeg-lossless-sv1'), IMPLICIT_LE])], [MR, new Set([tsUid('rle'), tsUid('jpeg-baseline')])]]);
    const three = proposalForClasses([CT, MR], known, 6);
    assert.deepEqual(three.find((s) => s.sopClassUid === CT)!.contexts, [[IMPLICIT_LE], [tsUid('jpeg-lossless-sv1')], [EXPLICIT_LE]]);
    assert.deepEqual(three.find((s) => s.sopClassUid === MR)!.contexts, [[tsUid('jpeg-baseline')], [tsUid('rle')], UNCOMPRESSED]);
    const two = proposalForClasses([CT, MR], known, 4);
    assert.deepEqual(two.find((s) => s.sopClassUid === CT)!.contexts, [[IMPLICIT_LE, EXPLICIT_LE], [tsUid('jpeg-lossless-sv1')]]);
    assert.deepEqual(two.find((s) => s.sopClassUid === MR)!.contexts, [[tsUid('jpeg-baseline')], [tsUid('rle')]]);
    const [one] = proposalForClasses([MR], new Map([[MR, new Set([tsUid('rle')])]]), 1);
    assert.deepEqual(one!.contexts, [[tsUid('rle')]], 'one context: the stored syntax');
  });

  it('with a budget of one context per class, each class gets one uncompressed context', () => {
    const p = proposalForClasses([CT, MR, SR], undefined, 3);
    assert.deepEqual(p.map((s) => s.contexts), [[UNCOMPRESSED], [UNCOMPRESSED], [UNCOMPRESSED]]);
  });

  it('Deflated is never proposed when nothing is known (PixelMed would deflate every instance)', () => {
    for (const s of proposalForClasses([CT, MR, SR, uidOf('EncapsulatedPDFStorage')])) {
      assert.ok(!s.contexts.flat().includes(DEFLATED), `${s.sopClassUid} offered Deflated`);
    }
    for (const s of proposalForClasses([uidOf('VideoEndoscopicImageStorage')])) assert.ok(!s.contexts.flat().includes(DEFLATED));
  });

  it('Deflated is proposed for a class known to hold deflated instances, after its other stored syntaxes', () => {
    const known = new Map([[SR, new Set([DEFLATED, EXPLICIT_LE])], [MR, new Set([DEFLATED])], [CT, new Set([EXPLICIT_LE])]]);
    const p = proposalForClasses([SR, MR, CT], known);
    assert.deepEqual(p.find((s) => s.sopClassUid === SR)!.contexts, [[EXPLICIT_LE], [DEFLATED], [IMPLICIT_LE]]);
    assert.deepEqual(p.find((s) => s.sopClassUid === MR)!.contexts, [[DEFLATED], [EXPLICIT_LE], [IMPLICIT_LE]]);
    assert.ok(!p.find((s) => s.sopClassUid === CT)!.contexts.flat().includes(DEFLATED), 'not for a class with none');
    const [both] = proposalForClasses([CT], new Map([[CT, new Set([DEFLATED, tsUid('rle')])]]));
    assert.deepEqual(both!.contexts, [[tsUid('rle')], [DEFLATED], [EXPLICIT_LE], [IMPLICIT_LE]]);
  });

  it('a non-image class is not offered pixel compression', () => {
    const [sr] = proposalForClasses([SR]);
    for (const ts of sr!.contexts.flat()) {
      const name = transferSyntaxByUid(ts);
      assert.ok(!name?.encapsulated, `${ts} offered for an SR`);
    }
  });
});

describe('buildProposal', () => {
  it('Deflated only where the plan saw it or the user asks for it (--transfer-syntax deflated)', () => {
    const planned = [CT, SR];
    const offered = (p: StorageProposal[]) => p.flatMap((s) => s.contexts.flat());
    assert.ok(!offered(buildProposal({ planned })).includes(DEFLATED));
    assert.ok(!offered(buildProposal({})).includes(DEFLATED), 'nor in the default set');
    const seen = buildProposal({ planned, syntaxesByClass: new Map([[SR, new Set([DEFLATED])]]) });
    assert.deepEqual(seen.find((s) => s.sopClassUid === SR)!.contexts[0], [DEFLATED]);
    assert.ok(!seen.find((s) => s.sopClassUid === CT)!.contexts.flat().includes(DEFLATED));
    const asked = buildProposal({ planned, contexts: [[DEFLATED], [EXPLICIT_LE]] });
    assert.deepEqual(asked.map((s) => s.contexts), [[[DEFLATED], [EXPLICIT_LE]], [[DEFLATED], [EXPLICIT_LE]]]);
  });
});

describe('defaultStorageProposal', () => {
  const p = defaultStorageProposal();

  it('at most 127 storage contexts, one uncompressed context per class, no class twice', () => {
    assert.ok(countContexts(p, 0) <= MAX_PRESENTATION_CONTEXTS - 1);
    assert.ok(p.length > 0);
    for (const s of p) assert.deepEqual(s.contexts, [UNCOMPRESSED]);
    assert.deepEqual(UNCOMPRESSED, [EXPLICIT_LE, IMPLICIT_LE]);
    assert.equal(new Set(p.map((s) => s.sopClassUid)).size, p.length);
    planContexts([STUDY_ROOT_GET], p);
  });

  it('proposes the common classes first and no retired class', () => {
    assert.equal(p[0]!.sopClassUid, CT);
    assert.equal(p[1]!.sopClassUid, MR);
    const retired = new Set(STORAGE_SOP_CLASSES.filter((c) => c.retired).map((c) => c.uid));
    assert.ok(!p.some((s) => retired.has(s.sopClassUid)));
  });

  it('respects a smaller budget', () => {
    assert.equal(defaultStorageProposal(10).length, 10);
  });
});
