// The exit codes a script can branch on (README "Exit codes").
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
  [EXIT.USAGE, 'usage error: a wrong flag, value or query file'],
  [EXIT.WARNING, 'received, with warnings (status 0xB000 or sub-operation warnings)'],
  [EXIT.SUBOPERATIONS_FAILED, 'some sub-operations failed: not every instance was received'],
  [EXIT.NOTHING_MATCHED, 'nothing matched: the SCP reported success with zero sub-operations'],
  [EXIT.REFUSED, 'the C-GET was refused or failed by the SCP (0xA7xx, 0xA9xx, 0xAAxx, 0xCxxx, …)'],
  [EXIT.CANCELLED, 'cancelled (Ctrl-C, SIGTERM)'],
  [EXIT.ASSOCIATION, 'association rejected or aborted; connection or timeout error'],
  [EXIT.LOCAL_IO, 'local I/O error: output folder not writable, disk full'],
];
