// The clock of every duration a retrieve measures and reports (elapsed times, busy and wait
// times, the `t` of NDJSON events). Not performance.now(): Node's global `performance` loads
// perf_hooks and ten internal modules with it at its first use, ~2 ms of every run
// (bench/README.md, "Phase 4"); process.hrtime is loaded with Node itself. Monotonic, as
// performance.now() is: a change of the wall clock moves no duration.
const origin = process.hrtime.bigint();

/** Milliseconds since this module loaded, with sub-millisecond precision; only differences mean anything. */
export function nowMs(): number {
  return Number(process.hrtime.bigint() - origin) / 1e6;
}
