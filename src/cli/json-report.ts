// --json and --ndjson: what scripts read on stdout. The shapes are documented in the README
// ("Machine-readable output") and checked by test/integration/cli-output.test.ts.
import { formatStatus, statusCategory } from '../dimse/status.ts';
import { errorCode } from './command-line.ts';
import { VERSION } from '../dicom/implementation.ts';
import type { RetrieveEvent, RetrieveResult } from '../retrieve/retrieve.ts';
import type { StoredFile } from '../retrieve/store-scp.ts';
import { nowMs } from '../retrieve/clock.ts';

export interface RunInfo {
  /** C-MOVE's destination as asked for (--port, --move), when it may be used. */
  move?: { aeTitle: string; port: number; listenAddress: string | null } | undefined;
  host: string;
  port: number;
  callingAeTitle: string;
  calledAeTitle: string;
  model: string;
  outputDirectory: string;
  startedAt: string;
  /** nowMs() when the retrieve started: the origin of each NDJSON event's `t`. */
  startedMs?: number | undefined;
}

export const JSON_SCHEMA_VERSION = 1;

/** `files`: the stored files, gathered from the events by the caller (only --json keeps them all). */
export function resultJson(result: RetrieveResult, run: RunInfo, exitCode: number, notes: string[], files: StoredFile[] | undefined) {
  return {
    dcmget: VERSION,
    schema: JSON_SCHEMA_VERSION,
    peer: { host: run.host, port: run.port, calledAeTitle: run.calledAeTitle, callingAeTitle: run.callingAeTitle },
    model: run.model,
    via: result.via ?? null,
    move: run.move ?? null,
    outputDirectory: run.outputDirectory,
    exitCode,
    status: result.status ?? null,
    statusHex: result.status === undefined ? null : formatStatus(result.status),
    category: result.category,
    statusText: result.statusText,
    errorComment: result.errorComment ?? null,
    offendingElement: result.offendingElement ?? null,
    cancelled: result.cancelled,
    counters: nullable(result.counters),
    ledger: result.ledger,
    files: (files ?? []).map((f) => ({
      path: f.path, size: f.fileBytes, dataSetBytes: f.dataSetBytes, sopClassUid: f.sopClassUid,
      sopInstanceUid: f.sopInstanceUid, transferSyntaxUid: f.transferSyntaxUid, status: 'stored',
    })),
    failures: result.failures.map((f) => ({
      sopClassUid: f.sopClassUid, sopInstanceUid: f.sopInstanceUid, status: f.status, statusHex: formatStatus(f.status), message: f.message,
    })),
    failedSopInstanceUids: result.failedSopInstanceUids,
    recovery: result.recovery ?? null,
    complete: result.complete,
    requests: result.requests,
    associations: result.associations,
    queries: result.queries,
    waits: { getMs: Math.round(result.waits.getMs), waitedMs: Math.round(result.waits.waitedMs), instances: result.waits.instances, roundTripMs: result.waits.roundTripMs === undefined ? null : Math.round(result.waits.roundTripMs * 1000) / 1000 },
    hint: result.hint ?? null,
    contexts: result.contexts.map((c) => ({
      id: c.id, abstractSyntax: c.abstractSyntax, accepted: c.accepted, result: c.result,
      transferSyntax: c.accepted ? c.transferSyntax : null, scpRole: c.scpRole,
    })),
    error: result.error ? { type: result.error.name, code: errorCode(result.error), message: result.error.message } : null,
    notes,
    timings: { startedAt: run.startedAt, elapsedMs: Math.round(result.elapsedMs) },
  };
}

function nullable<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> | null } {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v ?? null])) as never;
}

/**
 * One NDJSON line per event, as it happens; undefined for events not in the stream. With
 * `startedMs`, `t`: milliseconds since the retrieve started, to 0.01 ms (`time` has whole
 * milliseconds, coarser than one instance at a 2 ms round trip).
 */
export function eventJson(e: RetrieveEvent, startedMs?: number): Record<string, unknown> | undefined {
  const j = eventFields(e, new Date().toISOString());
  if (!j || startedMs === undefined) return j;
  const { event, time, ...rest } = j;
  return { event, time, t: hundredths(nowMs() - startedMs), ...rest };
}

/** Milliseconds to 0.01 ms, as `t`. */
function hundredths(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function eventFields(e: RetrieveEvent, time: string): Record<string, unknown> | undefined {
  switch (e.type) {
    case 'inventory':
      return { event: 'inventory', time, request: e.request, studies: e.studies ?? null, series: e.series ?? null, instances: e.instances ?? null, sopClasses: e.sopClasses ?? null, trusted: e.trusted, problems: e.problems };
    case 'via':
      return { event: 'via', time, via: e.via, reason: e.reason, destination: e.destination ?? null };
    case 'incoming':
      return { event: 'incoming', time, address: e.address, callingAeTitle: e.callingAeTitle, calledAeTitle: e.calledAeTitle, accepted: e.refused === undefined, refused: e.refused ?? null };
    case 'associated':
      return { event: 'associated', time, association: e.association, contexts: e.contexts.length, accepted: e.contexts.filter((c) => c.accepted).length, peerMaxLength: e.peerMaxLength, negotiationMs: hundredths(e.negotiationMs) };
    case 'unit':
      return { event: 'unit', time, association: e.association, unit: e.unit.id, label: e.unit.label, request: e.unit.request, expected: e.unit.expected ?? null };
    case 'pending':
      return { event: 'pending', time, status: e.status, statusHex: formatStatus(e.status), association: e.association, unit: e.unit, ...nullable(e.counters) };
    case 'stored':
      return { event: 'stored', time, association: e.association ?? null, path: e.file.path, size: e.file.fileBytes, sopClassUid: e.file.sopClassUid, sopInstanceUid: e.file.sopInstanceUid, transferSyntaxUid: e.file.transferSyntaxUid, storingMs: hundredths(e.storingMs) };
    case 'failed':
      return { event: 'failed', time, association: e.association ?? null, sopClassUid: e.failure.sopClassUid, sopInstanceUid: e.failure.sopInstanceUid, status: e.failure.status, statusHex: formatStatus(e.failure.status), message: e.failure.message, storingMs: hundredths(e.storingMs) };
    case 'cancelling':
      return { event: 'cancelling', time };
    case 'final':
      return { event: 'final', time, status: e.status, statusHex: formatStatus(e.status), category: statusCategory(e.status), association: e.association, unit: e.unit.id, busyMs: Math.round(e.busyMs), ...nullable(e.counters) };
    case 'released':
      return { event: 'released', time, association: e.association };
    case 'recovery':
      return { event: 'recovery', time, request: e.request, missing: e.report.missing.length, recovered: e.report.recovered, stillMissing: e.report.stillMissing, passes: e.report.passes, reasons: Object.fromEntries(e.report.reasons) };
    case 'request':
      return { event: 'request', time, request: e.request, complete: e.complete };
  }
}
