// --dry-run: the Identifier(s) as a dcmdump-like listing and as DICOM JSON (PS3.18 F.2), and the
// presentation contexts that would be proposed; nothing connects.
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { formatIdentifier } from '../dicom/identifier.ts';
import type { RetrieveModel } from '../dicom/retrieve-sop-classes.ts';
import type { ContextPlan } from '../retrieve/presentation-contexts.ts';
import { sopClassName, transferSyntaxName } from './report.ts';

export function dryRunText(identifiers: DicomJsonDataset[], model: RetrieveModel, plan: ContextPlan, planWouldRun: boolean): string {
  const out: string[] = [`Information model: ${model.name} (C-GET ${model.get})`, ''];
  identifiers.forEach((ds, i) => {
    out.push(`Identifier${identifiers.length > 1 ? ` ${i + 1} of ${identifiers.length}` : ''}:`, formatIdentifier(ds), '', 'DICOM JSON:', JSON.stringify(sorted(ds), null, 2), '');
  });
  out.push(`Presentation contexts (${plan.contexts.length} of 128)${planWouldRun ? '; a real run first asks the peer (C-FIND) which storage classes the match holds and proposes those instead' : ''}:`);
  const roles = new Set(plan.roleSelections.map((r) => r.sopClassUid));
  for (const c of plan.contexts) {
    out.push(`  ${String(c.id).padStart(3)}  ${sopClassName(c.abstractSyntax)}${roles.has(c.abstractSyntax) ? ' [SCP role]' : ''}: ${c.transferSyntaxes.map(transferSyntaxName).join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}

/** Tags in ascending order, as a reader expects (PS3.18 F.2 does not require it). */
function sorted(ds: DicomJsonDataset): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const tag of Object.keys(ds).sort()) {
    const el = ds[tag]!;
    out[tag] = el.vr === 'SQ' ? { vr: 'SQ', Value: ((el.Value ?? []) as DicomJsonDataset[]).map(sorted) } : el;
  }
  return out;
}
