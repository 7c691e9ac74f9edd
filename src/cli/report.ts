// What a person reads on stderr: pending C-GET-RSP (or C-MOVE-RSP) lines, then the final status and a summary.
import { chalkStderr as chalk } from 'chalk';
import path from 'node:path';
import { describeStatus, formatStatus, statusCategory, type StatusCategory } from '../dimse/status.ts';
import { describeContextResult, type NegotiatedContext } from '../ul/association.ts';
import { storageSopClassByUid } from '../dicom/storage-sop-classes.ts';
import { retrieveSopClassByUid } from '../dicom/retrieve-sop-classes.ts';
import { transferSyntaxByUid } from '../dicom/transfer-syntaxes.ts';
import type { RetrieveResult, SubOperationCounters } from '../retrieve/retrieve.ts';
import { formatBytes } from './units.ts';

export type Verbosity = 'quiet' | 'normal' | 'verbose' | 'debug';

const PAINT: Record<StatusCategory | 'error', (s: string) => string> = {
  success: (s) => chalk.green(s),
  pending: (s) => chalk.cyan(s),
  warning: (s) => chalk.yellow(s),
  cancel: (s) => chalk.magenta(s),
  failure: (s) => chalk.red(s),
  error: (s) => chalk.red(s),
};

export function paintStatus(status: number, text: string): string {
  return PAINT[statusCategory(status)](text);
}

export function paint(category: StatusCategory | 'error', text: string): string {
  return PAINT[category](text);
}

function count(n: number | undefined): string {
  return n === undefined ? '–' : String(n);
}

export function formatCounters(c: SubOperationCounters): string {
  return `remaining ${count(c.remaining)}, completed ${count(c.completed)}, failed ${count(c.failed)}, warning ${count(c.warning)}`;
}

export function pendingLine(status: number, c: SubOperationCounters): string {
  return `${paintStatus(status, 'Pending')}  ${formatCounters(c)}`;
}

export function sopClassName(uid: string): string {
  return storageSopClassByUid(uid)?.name ?? retrieveSopClassByUid(uid)?.name ?? (uid === '1.2.840.10008.1.1' ? 'Verification SOP Class' : uid);
}

export function transferSyntaxName(uid: string): string {
  return transferSyntaxByUid(uid)?.name ?? uid;
}

/** getscu --verbose-pc's table: what was proposed and what the peer made of it. */
export function contextTable(contexts: NegotiatedContext[]): string {
  return contexts.map((c) => {
    const result = c.accepted ? chalk.green('accepted') : chalk.yellow(describeContextResult(c.result));
    const role = c.accepted && storageSopClassByUid(c.abstractSyntax) ? (c.scpRole ? ' role SCP' : chalk.yellow(' role SCP refused')) : '';
    const ts = c.accepted ? ` ${transferSyntaxName(c.transferSyntax)}` : '';
    return `  ctx ${String(c.id).padStart(3)}  ${sopClassName(c.abstractSyntax)}: ${result}${ts}${role}`;
  }).join('\n');
}

export function summaryLines(result: RetrieveResult, outputDirectory: string, ignore: boolean): string[] {
  const lines: string[] = [];
  const r = result.requests;
  if (r.skippedByLedger) lines.push(paint('success', `${r.skippedByLedger} of ${r.total - r.outOfShard} request(s) already complete in the ledger file, not asked again`));
  if (result.status === undefined && !result.error && result.ledger.received === 0 && result.ledger.skipped > 0) {
    lines.push(paint('success', `all ${result.ledger.skipped} instance(s) already present (--on-exists skip); nothing asked for`));
  } else if (result.status !== undefined) {
    lines.push(`${paintStatus(result.status, describeStatus(result.status, result.via === 'move' ? 'C-MOVE' : 'C-GET'))}  (${formatCounters(result.counters)})`);
    if (result.errorComment) lines.push(`  Error Comment: ${result.errorComment}`);
    if (result.offendingElement?.length) lines.push(`  Offending Element: ${result.offendingElement.map((t) => `(${t.toString(16).padStart(8, '0').replace(/^(.{4})/, '$1,')})`).join(' ')}`);
  }
  // What ended the run, also after a final status (a C-MOVE whose PACS never connected back).
  if (result.error) lines.push(paint('error', `error: ${result.error.message}`));
  if (result.failedSopInstanceUids.length) {
    lines.push(`  Failed SOP Instance UID List (${result.failedSopInstanceUids.length}):`);
    for (const uid of result.failedSopInstanceUids.slice(0, 20)) lines.push(`    ${uid}`);
    if (result.failedSopInstanceUids.length > 20) lines.push(`    … and ${result.failedSopInstanceUids.length - 20} more`);
  }
  const rec = result.recovery;
  if (rec) {
    const what = rec.missing > 0 ? `recovered ${rec.recovered} of ${rec.missing} missing instance(s)` : `asked the whole query again: ${rec.repeatBrought} more instance(s) arrived`;
    lines.push(paint(rec.stillMissing.length ? 'warning' : 'success', `recovery: ${what} in ${rec.passes} pass(es)`));
    for (const m of rec.stillMissing.slice(0, 20)) lines.push(paint('failure', `  still missing: ${m.sopInstanceUid}: ${m.reason}`));
    if (rec.stillMissing.length > 20) lines.push(`  … and ${rec.stillMissing.length - 20} more`);
  }
  for (const f of result.failures.slice(0, 20)) {
    lines.push(paint('failure', `  not stored: ${f.sopInstanceUid || '(no UID)'}: ${f.status === 0 ? '' : `${formatStatus(f.status)} `}${f.message}`));
  }
  const seconds = result.elapsedMs / 1000;
  const rate = seconds > 0 ? ` (${formatBytes(result.ledger.bytes / seconds)}/s)` : '';
  const where = ignore ? 'discarded (--ignore)' : `in ${path.resolve(outputDirectory)}`;
  const skipped = [
    result.ledger.skipped ? `${result.ledger.skipped} already there, kept` : '',
    result.ledger.duplicates ? `${result.ledger.duplicates} duplicate C-STORE(s) dropped` : '',
  ].filter(Boolean).map((t) => ` (${t})`).join('');
  lines.push(`${result.ledger.stored} instance${result.ledger.stored === 1 ? '' : 's'}, ${formatBytes(result.ledger.bytes)} received in ${seconds.toFixed(2)} s${rate}, ${where}${skipped}`);
  return lines;
}
