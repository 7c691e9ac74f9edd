// The exit codes a script can branch on: one code for one situation, whichever PACS it is (README
// "Exit codes", printed by --help, carried as "exitCode" by --json and --ndjson).
export const EXIT = {
  SUCCESS: 0,
  INTERNAL: 1,
  USAGE: 2,
  WARNING: 3,
  SUBOPERATIONS_FAILED: 4,
  NOTHING_MATCHED: 5,
  REFUSED: 6,
  CANCELLED: 7,
  ASSOCIATION: 8,
  LOCAL_IO: 9,
} as const;

export const EXIT_TABLE: readonly [number, string][] = [
  [EXIT.SUCCESS, 'every sub-operation completed: all matching instances received'],
  [EXIT.INTERNAL, 'internal error in dcmget (a bug: please report it with --debug output)'],
  [EXIT.USAGE, 'usage or environment error: a wrong flag, value or query file (found before connecting), or a Node.js too old'],
  [EXIT.WARNING, 'received, with warnings (status 0xB000 or sub-operation warnings)'],
  [EXIT.SUBOPERATIONS_FAILED, 'some sub-operations failed: not every instance was received'],
  // PACS differ here: dcmqrscp answers Success with no sub-operation, Orthanc 0xC000; the C-FIND
  // that plans the retrieve tells the second from a refusal (with --no-plan it cannot: exit 6).
  [EXIT.NOTHING_MATCHED, 'nothing matched: the PACS holds nothing the query names (Success with no sub-operation, or a failed C-GET after a C-FIND that found no match)'],
  [EXIT.REFUSED, 'the C-GET was refused or failed by the SCP and nothing arrived (0xA7xx, 0xA9xx, 0xAAxx, 0xCxxx, …)'],
  [EXIT.CANCELLED, 'cancelled (Ctrl-C, SIGTERM, --cancel-after, or an --ndjson reader that went away)'],
  [EXIT.ASSOCIATION, 'association rejected or aborted; connection or timeout error'],
  [EXIT.LOCAL_IO, 'local I/O error: output folder not writable, disk full'],
];
