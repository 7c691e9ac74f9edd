// The second pass (issue "every retrieve"): instances the first C-GET did not bring (listed in
// the Failed SOP Instance UID List, or expected by a C-FIND of the match and never sent, as when
// Orthanc ends a C-GET at the first instance it cannot send) are asked for again at IMAGE level,
// series by series, on new associations. Peers such as dcmqrscp send an instance on the first
// accepted context of its class and cannot convert compressed data; so each pass proposes ONE
// transfer syntax per class, and the instances stored in that syntax come home.
import type { DicomJsonDataset as DenaturalizedDataset } from '../dicom/dicom-json.ts';
import { encodeIdentifier } from '../dicom/identifier.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import { statusCategory } from '../dimse/status.ts';
import { describeContextResult, type NegotiatedContext } from '../ul/association.ts';
import { enumerateInstances, imageLevelBySeries, type LocatedInstance } from './plan.ts';
import { planContexts, MAX_PRESENTATION_CONTEXTS } from './presentation-contexts.ts';
import type { ScuSession } from '../dimse/scu-session.ts';
import { STORED_SYNTAXES, defaultStorageProposal, proposalForClasses } from './storage-proposal.ts';
import type { StoreScp } from './store-scp.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN } from '../dicom/transfer-syntaxes.ts';

export interface SecondPassReport {
  /** Instances found missing after the first pass. */
  missing: string[];
  recovered: string[];
  stillMissing: string[];
  passes: number;
  /** Why each instance still missing could not be fetched, where it can be told. */
  reasons: Map<string, string>;
}

/**
 * The first retry proposes every syntax, each in its own context (what suits a peer that picks
 * the context by stored syntax, and transcodes otherwise, as Orthanc); then one syntax per pass,
 * uncompressed first, for peers that use the first accepted context of a class (dcmqrscp).
 */
const ALL = 'all';
const PASS_SYNTAXES = [ALL, EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN, ...STORED_SYNTAXES];
const MAX_PASSES = 13;

export interface SecondPassInput {
  open(contexts: ReturnType<typeof planContexts>): Promise<ScuSession>;
  model: RetrieveModel;
  identifiers: DenaturalizedDataset[];
  store: StoreScp;
  /** UIDs the SCP listed as failed in pass one. */
  failedUids: string[];
  /** Whether pass one may have left instances unsent without listing them (a failure end). */
  mayHaveUnsent: boolean;
  /** Classes proposed in pass one, with what the peer made of them. */
  firstContexts: NegotiatedContext[];
  extraStorageClasses: string[];
  verbose?: ((m: string) => void) | undefined;
  onPass?: ((pass: number, syntax: string, wanted: number) => void) | undefined;
}

export async function secondPass(input: SecondPassInput): Promise<SecondPassReport | undefined> {
  const received = () => new Set(input.store.files.map((f) => f.sopInstanceUid));
  const missing = new Set(input.failedUids.filter((u) => !received().has(u)));
  if (missing.size === 0 && !input.mayHaveUnsent) return undefined;
  // Where each missing instance lives (and, from peers that say, its class).
  if (!input.model.find) return undefined;
  const find = await input.open(planContexts([input.model.find], [])).catch(() => undefined);
  if (!find) return undefined;
  let located: LocatedInstance[] = [];
  try {
    for (const id of input.identifiers) located.push(...((await enumerateInstances(find, input.model, id)) ?? []));
  } catch (err) {
    input.verbose?.(`second pass: cannot locate the missing instances (${(err as Error).message})`);
  } finally {
    await find.release().catch(() => find.abort());
  }
  const got = received();
  if (input.mayHaveUnsent) for (const l of located) if (!got.has(l.sopInstanceUid)) missing.add(l.sopInstanceUid);
  const report: SecondPassReport = { missing: [...missing], recovered: [], stillMissing: [], passes: 0, reasons: new Map() };
  if (missing.size === 0) return undefined;
  located = located.filter((l) => missing.has(l.sopInstanceUid));
  const unlocated = [...missing].filter((u) => !located.some((l) => l.sopInstanceUid === u));
  for (const u of unlocated) report.reasons.set(u, 'the peer\'s C-FIND does not return it, so it cannot be asked for again at IMAGE level');

  const knownClasses = [...new Set(located.map((l) => l.sopClassUid).filter((c): c is string => !!c))];
  // Known classes when the peer named every instance's class; else the default set helps guess.
  const classes = located.length > 0 && located.every((l) => l.sopClassUid)
    ? [...new Set([...input.extraStorageClasses, ...knownClasses])]
    : [...new Set([...input.extraStorageClasses, ...knownClasses, ...defaultStorageProposal().map((p) => p.sopClassUid)])];
  // A class is rejected when none of its contexts was accepted and the peer said it does not know
  // the abstract syntax (some peers answer 3 for a context whose only syntax they lack, too).
  const acceptedClasses = new Set(input.firstContexts.filter((c) => c.accepted).map((c) => c.abstractSyntax));
  const rejectedClasses = new Set(input.firstContexts.filter((c) => !c.accepted && c.result === 3 && !acceptedClasses.has(c.abstractSyntax)).map((c) => c.abstractSyntax));

  // More classes than one association holds (PS3.8 9.3.2.2: 128 contexts) go in batches, each on
  // its own association, asking only for the instances of its classes where the classes are known.
  const usable = classes.filter((c) => !rejectedClasses.has(c));
  const batches: string[][] = [];
  for (let i = 0; i < usable.length; i += MAX_PRESENTATION_CONTEXTS - 1) batches.push(usable.slice(i, i + MAX_PRESENTATION_CONTEXTS - 1));
  const classesKnown = located.every((l) => l.sopClassUid);
  passes: for (const syntax of PASS_SYNTAXES) {
    let counted = false;
    for (const batch of batches) {
      const inBatch = new Set(batch);
      const want = located.filter((l) => !received().has(l.sopInstanceUid) && !(l.sopClassUid && rejectedClasses.has(l.sopClassUid))
        && (!classesKnown || inBatch.has(l.sopClassUid!)));
      if (want.length === 0) continue;
      if (report.passes >= MAX_PASSES) break passes;
      const plan = planContexts([input.model.get!], syntax === ALL
        ? proposalForClasses(batch)
        : batch.map((c) => ({ sopClassUid: c, contexts: [[syntax]] })));
      let session: ScuSession;
      try {
        session = await input.open(plan);
      } catch (err) {
        input.verbose?.(`second pass (${syntax}): ${(err as Error).message}`);
        break passes;
      }
      try {
        const getContext = session.acceptedContext(input.model.get!);
        const accepted = session.contexts.filter((c) => c.accepted && c.abstractSyntax !== input.model.get);
        if (!getContext || accepted.length === 0) continue; // the peer takes no class in this syntax
        if (!counted) report.passes++;
        counted = true;
        input.onPass?.(report.passes, syntax, want.length);
        for (const { series, count, identifier } of imageLevelBySeries(want, input.identifiers)) {
          const final = await session.get(getContext, encodeIdentifier(identifier, getContext.transferSyntax), input.store.handler, () => {});
          const status = final.command.status ?? 0;
          input.verbose?.(`second pass (${syntax}): series ${series}: ${count} asked, status 0x${status.toString(16).padStart(4, '0')} (${statusCategory(status)})`);
        }
      } catch (err) {
        input.verbose?.(`second pass (${syntax}): ${(err as Error).message}`);
      } finally {
        await session.release().catch(() => session.abort());
      }
    }
  }
  const rejectedExtra = input.extraStorageClasses.filter((c) => rejectedClasses.has(c));
  const now = received();
  report.recovered = report.missing.filter((u) => now.has(u));
  report.stillMissing = report.missing.filter((u) => !now.has(u));
  for (const u of report.stillMissing) {
    if (report.reasons.has(u)) continue;
    const l = located.find((x) => x.sopInstanceUid === u);
    const cls = l?.sopClassUid;
    const ctx = cls ? input.firstContexts.find((c) => c.abstractSyntax === cls) : undefined;
    report.reasons.set(u, cls && rejectedClasses.has(cls)
      ? `the peer rejected its SOP class ${cls} (${describeContextResult(3)}): it cannot send it over C-GET`
      : cls && !ctx
        ? `its SOP class ${cls} was not proposed (add --storage-class ${cls})`
        : cls
          ? `the peer could not send it in any transfer syntax it accepted for ${cls} (tried ${report.passes} pass(es)); its stored syntax may need --transfer-syntax, or the peer's configuration to accept it`
          : `the peer did not send it in any of the ${report.passes} transfer syntax(es) it accepted${rejectedExtra.length ? `; it rejected the class(es) given by hand: ${rejectedExtra.join(', ')} (abstract syntax not supported)` : '; if its SOP class is unusual, add it with --storage-class UID'}`);
  }
  return report;
}

