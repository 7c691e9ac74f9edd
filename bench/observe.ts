// One more, untimed run of a tool, observed two ways:
// - from the wire, for any tool: the relay in front of the server records each association's
//   PDUs (bench/pdu-tap.ts): negotiation, busy and idle time, and per C-STORE sub-operation the
//   transfer, the client's turnaround and the server's;
// - from dcmget's own `--ndjson` events (a JSON line per instance costs CPU, hence untimed):
//   when each series was served, how many at once, the gaps between instances.
//
// What dcmget's events carry (src/cli/json-report.ts eventJson): `time` (ISO, whole ms) and `t`
// (ms since the retrieve started, 0.01 ms; since 3b18fa3) on every event but the summary;
// `association` on `associated` (every association), `unit` (a C-GET sent), `pending`, `final`
// (with `unit` and dcmget's own `busyMs`), `released`, and (since 3b18fa3) `stored` and `failed`;
// since phase 5, `storingMs` on `stored` and `failed` (dcmget's time on the instance, from its
// C-STORE-RQ to the answer) and `negotiationMs` on `associated` (its TCP connect to the
// A-ASSOCIATE-AC). So per association: life, busy and idle time, instances from the final
// counters, the time spent storing and negotiating (perAssociation below); per series, from
// `stored` (the bench knows each instance's series from the workload): its span, and how many
// were in flight. `missing` lists what an older dcmget's events lack.

import type { Workload } from './workloads.ts';
import { associationFigures, type AssociationFigures as WireFigures, type ConnectionTap } from './pdu-tap.ts';

interface Event {
  event: string;
  time: string;
  t?: number;
  association?: number;
  unit?: number;
  busyMs?: number;
  completed?: number | null;
  failed?: number | null;
  warning?: number | null;
  storingMs?: number;
  negotiationMs?: number;
  sopInstanceUid?: string;
}

export interface SeriesFigures {
  series: number;
  instances: number;
  /** ms from spawn */
  firstMs: number;
  lastMs: number;
  /** median gap between consecutive instances of the series, ms */
  gapMs: number;
}

export interface AssociationFigures {
  association: number;
  /** ms from spawn: negotiated (associated), released */
  associatedMs: number | null;
  releasedMs: number | null;
  /** A-ASSOCIATE-RQ to -AC, ms */
  negotiationMs: number | null;
  instances: number;
  /** time with a C-GET outstanding: the finals' busyMs, else unit -> final, else first -> last instance */
  busyMs: number;
  /** associated -> released, less busy */
  idleMs: number | null;
  /** sum over instances of C-STORE-RQ -> answer (our own time), ms */
  storingMs: number | null;
}

export interface Observation {
  workload: string;
  server: string;
  tool: string;
  rttMs: number | undefined;
  /** ms from spawn to exit, as the bench saw it */
  wallMs: number;
  /** All times below: ms from the process's spawn (the events' whole-ms clock against the bench's). */
  planMs: number | null;
  associatedMs: number | null;
  firstStoredMs: number | null;
  lastStoredMs: number | null;
  releasedMs: number | null;
  stored: number;
  series: SeriesFigures[];
  /** ms during which exactly k series were in flight (index k), between the first and the last instance */
  concurrencyMs: number[];
  /** gaps between consecutive instances of one series, all series: median and p90, ms */
  gapMs: { median: number; p90: number } | null;
  perAssociation: AssociationFigures[] | null;
  missing: string[];
  /** From the wire (pdu-tap.ts): every association the run made, in order. */
  wire: WireFigures[];
}

const quantile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
};
const r1 = (x: number): number => Math.round(x * 10) / 10;

export function observeRun(log: string, w: Workload, taps: ConnectionTap[], run: { workload: string; server: string; tool: string; rttMs: number | undefined; wallMs: number; spawnedAt: number }): Observation {
  const { spawnedAt, ...meta } = run;
  const wire = associationFigures(taps, run.rttMs ?? 0);
  const events: Event[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as Event;
      // the summary (and an error) are the report, not events: no `t`, no `time`
      if (e.event !== 'summary' && e.event !== 'error') events.push(e);
    } catch { /* a line cut short: skip */ }
  }
  // With `t` (ms since the retrieve began) the first event's wall clock places t = 0 after spawn.
  const hasT = events.length > 0 && events.every((e) => typeof e.t === 'number');
  const origin = hasT ? Date.parse(events[0]!.time) - spawnedAt - events[0]!.t! : 0;
  const at = (e: Event): number => (hasT ? origin + e.t! : Date.parse(e.time) - spawnedAt);
  const first = (name: string): number | null => {
    const e = events.find((x) => x.event === name);
    return e ? r1(at(e)) : null;
  };
  const stored = events.filter((e) => e.event === 'stored');
  const seriesOf = new Map(w.files.map((f) => [f.sopInstanceUid, f.seriesInstanceUid]));
  const seriesNumber = new Map([...new Set(w.files.map((f) => f.seriesInstanceUid))].map((u, i) => [u, i + 1]));
  const bySeries = new Map<number, number[]>();
  for (const e of stored) {
    const n = seriesNumber.get(seriesOf.get(e.sopInstanceUid ?? '') ?? '') ?? 0;
    const list = bySeries.get(n) ?? [];
    list.push(at(e));
    bySeries.set(n, list);
  }
  const allGaps: number[] = [];
  const series: SeriesFigures[] = [...bySeries.entries()].sort((a, b) => a[0] - b[0]).map(([n, times]) => {
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    allGaps.push(...gaps);
    return { series: n, instances: times.length, firstMs: r1(times[0]!), lastMs: r1(times.at(-1)!), gapMs: gaps.length ? r1(quantile(gaps, 0.5)) : 0 };
  });
  const missing: string[] = [];
  if (events.length === 0) missing.push('--ndjson events');
  if (!hasT) missing.push('t');
  if (!stored.some((e) => e.association !== undefined)) missing.push('association on stored');
  if (!stored.some((e) => e.storingMs !== undefined)) missing.push('storingMs on stored');
  if (!events.some((e) => e.event === 'associated' && e.negotiationMs !== undefined)) missing.push('negotiationMs on associated');
  return {
    ...meta,
    planMs: first('inventory') ?? first('plan'),
    associatedMs: first('associated'),
    firstStoredMs: stored.length ? r1(at(stored[0]!)) : null,
    lastStoredMs: stored.length ? r1(at(stored.at(-1)!)) : null,
    releasedMs: first('released'),
    stored: stored.length,
    series,
    concurrencyMs: concurrency(series),
    gapMs: allGaps.length ? { median: r1(quantile(allGaps, 0.5)), p90: r1(quantile(allGaps, 0.9)) } : null,
    perAssociation: events.some((e) => e.event === 'final' && e.association !== undefined) ? perAssociation(events, at) : null,
    missing,
    wire,
  };
}

/**
 * Time with k series in flight. A series is in flight from one gap before its first instance
 * (the first instance took about as long as the others to arrive) to its last instance.
 */
function concurrency(series: SeriesFigures[]): number[] {
  const edges: [number, number][] = [];
  for (const s of series) {
    edges.push([s.firstMs - s.gapMs, +1], [s.lastMs, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out: number[] = [];
  let k = 0;
  let last = edges[0]?.[0] ?? 0;
  for (const [t, d] of edges) {
    out[k] = (out[k] ?? 0) + (t - last);
    k += d;
    last = t;
  }
  return Array.from(out, (x) => r1(x ?? 0));
}

function perAssociation(events: Event[], at: (e: Event) => number): AssociationFigures[] {
  const ids = [...new Set(events.map((e) => e.association).filter((a): a is number => a !== undefined))].sort((a, b) => a - b);
  return ids.map((id) => {
    const mine = events.filter((e) => e.association === id);
    const one = (name: string): Event | undefined => mine.find((e) => e.event === name);
    const associated = one('associated');
    const released = one('released');
    const stored = mine.filter((e) => e.event === 'stored' || e.event === 'failed');
    const units = mine.filter((e) => e.event === 'unit' || e.event === 'get');
    const finals = mine.filter((e) => e.event === 'final');
    let busy = 0;
    if (finals.length && finals.every((f) => f.busyMs !== undefined)) {
      busy = finals.reduce((sum, f) => sum + f.busyMs!, 0);
    } else if (units.length) {
      for (const u of units) {
        const f = finals.find((e) => e.unit === u.unit);
        if (f) busy += at(f) - at(u);
      }
    } else if (stored.length) {
      busy = at(stored.at(-1)!) - at(stored[0]!);
    }
    const instances = stored.length || finals.reduce((sum, f) => sum + (f.completed ?? 0) + (f.failed ?? 0) + (f.warning ?? 0), 0);
    const life = associated && released ? at(released) - at(associated) : null;
    const storing = stored.every((e) => e.storingMs !== undefined) && stored.length ? stored.reduce((sum, e) => sum + e.storingMs!, 0) : null;
    return {
      association: id,
      associatedMs: associated ? r1(at(associated)) : null,
      releasedMs: released ? r1(at(released)) : null,
      negotiationMs: associated?.negotiationMs !== undefined ? r1(associated.negotiationMs) : null,
      instances,
      busyMs: r1(busy),
      idleMs: life === null ? null : r1(life - busy),
      storingMs: storing === null ? null : r1(storing),
    };
  });
}

export function printObservation(o: Observation): void {
  const f = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
  console.log(`  observed ${o.tool} (untimed, ${(o.wallMs / 1000).toFixed(2)} s), per association from the wire (ms; turnarounds: medians per instance, less half the relay's round trip):`);
  for (const a of o.wire) {
    console.log(`    #${a.association} ${a.operations.padEnd(6)} opened at ${a.openedMs.toFixed(1)}, negotiated in ${f(a.negotiationMs)}, life ${a.lifeMs.toFixed(1)}: busy ${a.busyMs.toFixed(1)}, idle ${a.idleMs.toFixed(1)}${a.instances ? `; ${a.instances} instances: transfer ${f(a.transferMs)}, client ${f(a.clientMs)}, server ${f(a.serverMs)} (sums: client ${a.clientTotalMs.toFixed(0)}, server ${a.serverTotalMs.toFixed(0)})` : ''}`);
  }
  if (o.missing.includes('--ndjson events')) return;
  const conc = o.concurrencyMs.map((ms, k) => `${k}: ${ms}`).slice(1).join(', ');
  console.log(`    --ndjson (ms after spawn): plan done ${o.planMs ?? '-'}, associated ${o.associatedMs ?? '-'}, instances ${o.firstStoredMs ?? '-'}-${o.lastStoredMs ?? '-'} ms, released ${o.releasedMs ?? '-'}, exit ${Math.round(o.wallMs)}; gap between instances of a series median ${o.gapMs?.median ?? '-'} ms (p90 ${o.gapMs?.p90 ?? '-'}); ms with k series in flight: ${conc}`);
  if (o.perAssociation) {
    for (const a of o.perAssociation) console.log(`      dcmget's events, association ${a.association}: ${a.instances} instances, busy ${a.busyMs} ms, idle ${a.idleMs ?? '-'} ms, storing ${a.storingMs ?? '-'} ms, negotiation ${a.negotiationMs ?? '-'} ms`);
  }
  if (o.missing.length) console.log(`      not in this dcmget's events: ${o.missing.join(', ')}`);
}
