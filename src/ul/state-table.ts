// PS3.8 9.2: the DICOM Upper Layer protocol machine as data. States (Tables 9-1..9-5), events
// (Table 9-10's rows), actions (Tables 9-6..9-9) and the state transition table itself (Table 9-10),
// with the standard's names. association.ts looks every event up here; actions.ts does what each
// action says. Nothing in this file runs: it is the table, and what its blank cells mean.

export const STATES = {
  Sta1: 'Idle',
  Sta2: 'Transport connection open (awaiting A-ASSOCIATE-RQ PDU)',
  Sta3: 'Awaiting local A-ASSOCIATE response primitive (from local user)',
  Sta4: 'Awaiting transport connection opening to complete (from local transport service)',
  Sta5: 'Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU',
  Sta6: 'Association established and ready for data transfer',
  Sta7: 'Awaiting A-RELEASE-RP PDU',
  Sta8: 'Awaiting local A-RELEASE response primitive (from local user)',
  Sta9: 'Release collision requestor side; awaiting A-RELEASE response (from local user)',
  Sta10: 'Release collision acceptor side; awaiting A-RELEASE-RP PDU',
  Sta11: 'Release collision requestor side; awaiting A-RELEASE-RP PDU',
  Sta12: 'Release collision acceptor side; awaiting A-RELEASE response primitive (from local user)',
  Sta13: 'Awaiting Transport Connection Close Indication (Association no longer exists)',
} as const;
export type State = keyof typeof STATES;
export const STATE_NAMES = Object.keys(STATES) as readonly State[];

export const EVENTS = {
  Evt1: 'A-ASSOCIATE Request (local user)',
  Evt2: 'Transport Connect Confirm (local transport service)',
  Evt3: 'A-ASSOCIATE-AC PDU (received on transport connection)',
  Evt4: 'A-ASSOCIATE-RJ PDU (received on transport connection)',
  Evt5: 'Transport Connection Indication (local transport service)',
  Evt6: 'A-ASSOCIATE-RQ PDU (received on transport connection)',
  Evt7: 'A-ASSOCIATE response primitive (accept)',
  Evt8: 'A-ASSOCIATE response primitive (reject)',
  Evt9: 'P-DATA request primitive',
  Evt10: 'P-DATA-TF PDU',
  Evt11: 'A-RELEASE Request primitive',
  Evt12: 'A-RELEASE-RQ PDU (received on open transport connection)',
  Evt13: 'A-RELEASE-RP PDU (received on transport connection)',
  Evt14: 'A-RELEASE response primitive',
  Evt15: 'A-ABORT Request primitive',
  Evt16: 'A-ABORT PDU (received on open transport connection)',
  Evt17: 'Transport connection closed indication (local transport service)',
  Evt18: 'ARTIM timer expired (Association reject/release timer)',
  Evt19: 'Unrecognized or invalid PDU received',
} as const;
export type UlEvent = keyof typeof EVENTS;
export const EVENT_NAMES = Object.keys(EVENTS) as readonly UlEvent[];

/** Tables 9-6 (AE), 9-7 (DT), 9-8 (AR), 9-9 (AA): what each action does and where it leads. */
export const ACTIONS = {
  'AE-1': { does: 'Issue TRANSPORT CONNECT request primitive to local transport service', next: ['Sta4'] },
  'AE-2': { does: 'Send A-ASSOCIATE-RQ-PDU', next: ['Sta5'] },
  'AE-3': { does: 'Issue A-ASSOCIATE confirmation (accept) primitive', next: ['Sta6'] },
  'AE-4': { does: 'Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection', next: ['Sta1'] },
  'AE-5': { does: 'Issue Transport connection response primitive; start ARTIM timer', next: ['Sta2'] },
  'AE-6': {
    does: 'Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue A-ASSOCIATE indication primitive (next Sta3); otherwise: issue A-ASSOCIATE-RJ-PDU and start ARTIM timer (next Sta13)',
    next: ['Sta3', 'Sta13'],
  },
  'AE-7': { does: 'Send A-ASSOCIATE-AC PDU', next: ['Sta6'] },
  'AE-8': { does: 'Send A-ASSOCIATE-RJ PDU and start ARTIM timer', next: ['Sta13'] },
  'DT-1': { does: 'Send P-DATA-TF PDU', next: ['Sta6'] },
  'DT-2': { does: 'Send P-DATA indication primitive', next: ['Sta6'] },
  'AR-1': { does: 'Send A-RELEASE-RQ PDU', next: ['Sta7'] },
  'AR-2': { does: 'Issue A-RELEASE indication primitive', next: ['Sta8'] },
  'AR-3': { does: 'Issue A-RELEASE confirmation primitive, and close transport connection', next: ['Sta1'] },
  'AR-4': { does: 'Issue A-RELEASE-RP PDU and start ARTIM timer', next: ['Sta13'] },
  'AR-5': { does: 'Stop ARTIM timer', next: ['Sta1'] },
  'AR-6': { does: 'Issue P-DATA indication', next: ['Sta7'] },
  'AR-7': { does: 'Issue P-DATA-TF PDU', next: ['Sta8'] },
  'AR-8': { does: 'Issue A-RELEASE indication (release collision): if association-requestor, next state is Sta9, if not next state is Sta10', next: ['Sta9', 'Sta10'] },
  'AR-9': { does: 'Send A-RELEASE-RP PDU', next: ['Sta11'] },
  'AR-10': { does: 'Issue A-RELEASE confirmation primitive', next: ['Sta12'] },
  'AA-1': { does: 'Send A-ABORT PDU (service-user source) and start (or restart if already started) ARTIM timer', next: ['Sta13'] },
  'AA-2': { does: 'Stop ARTIM timer if running. Close transport connection', next: ['Sta1'] },
  'AA-3': { does: 'If (service-user initiated abort): issue A-ABORT indication and close transport connection; otherwise (service-provider initiated abort): issue A-P-ABORT indication and close transport connection', next: ['Sta1'] },
  'AA-4': { does: 'Issue A-P-ABORT indication primitive', next: ['Sta1'] },
  'AA-5': { does: 'Stop ARTIM timer', next: ['Sta1'] },
  'AA-6': { does: 'Ignore PDU', next: ['Sta13'] },
  'AA-7': { does: 'Send A-ABORT PDU', next: ['Sta13'] },
  'AA-8': { does: 'Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and start ARTIM timer', next: ['Sta13'] },
} as const satisfies Record<string, { does: string; next: readonly State[] }>;
export type Action = keyof typeof ACTIONS;

type Cell = Action | '';
type Row = readonly [Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell, Cell];

// PS3.8 Table 9-10, row for row, column for column; '' is a blank cell (see blankCell below).
const TABLE_9_10: Record<UlEvent, Row> = {
  //       Sta1    Sta2    Sta3    Sta4    Sta5    Sta6    Sta7    Sta8    Sta9    Sta10    Sta11   Sta12   Sta13
  Evt1:  ['AE-1', '',     '',     '',     '',     '',     '',     '',     '',     '',      '',     '',     ''    ],
  Evt2:  ['',     '',     '',     'AE-2', '',     '',     '',     '',     '',     '',      '',     '',     ''    ],
  Evt3:  ['',     'AA-1', 'AA-8', '',     'AE-3', 'AA-8', 'AA-8', 'AA-8', 'AA-8', 'AA-8',  'AA-8', 'AA-8', 'AA-6'],
  Evt4:  ['',     'AA-1', 'AA-8', '',     'AE-4', 'AA-8', 'AA-8', 'AA-8', 'AA-8', 'AA-8',  'AA-8', 'AA-8', 'AA-6'],
  Evt5:  ['AE-5', '',     '',     '',     '',     '',     '',     '',     '',     '',      '',     '',     ''    ],
  Evt6:  ['',     'AE-6', 'AA-8', '',     'AA-8', 'AA-8', 'AA-8', 'AA-8', 'AA-8', 'AA-8',  'AA-8', 'AA-8', 'AA-7'],
  Evt7:  ['',     '',     'AE-7', '',     '',     '',     '',     '',     '',     '',      '',     '',     ''    ],
  Evt8:  ['',     '',     'AE-8', '',     '',     '',     '',     '',     '',     '',      '',     '',     ''    ],
  Evt9:  ['',     '',     '',     '',     '',     'DT-1', '',     'AR-7', '',     '',      '',     '',     ''    ],
  Evt10: ['',     'AA-1', 'AA-8', '',     'AA-8', 'DT-2', 'AR-6', 'AA-8', 'AA-8', 'AA-8',  'AA-8', 'AA-8', 'AA-6'],
  Evt11: ['',     '',     '',     '',     '',     'AR-1', '',     '',     '',     '',      '',     '',     ''    ],
  Evt12: ['',     'AA-1', 'AA-8', '',     'AA-8', 'AR-2', 'AR-8', 'AA-8', 'AA-8', 'AA-8',  'AA-8', 'AA-8', 'AA-6'],
  Evt13: ['',     'AA-1', 'AA-8', '',     'AA-8', 'AA-8', 'AR-3', 'AA-8', 'AA-8', 'AR-10', 'AR-3', 'AA-8', 'AA-6'],
  Evt14: ['',     '',     '',     '',     '',     '',     '',     'AR-4', 'AR-9', '',      '',     'AR-4', ''    ],
  Evt15: ['',     '',     'AA-1', 'AA-2', 'AA-1', 'AA-1', 'AA-1', 'AA-1', 'AA-1', 'AA-1',  'AA-1', 'AA-1', ''    ],
  Evt16: ['',     'AA-2', 'AA-3', '',     'AA-3', 'AA-3', 'AA-3', 'AA-3', 'AA-3', 'AA-3',  'AA-3', 'AA-3', 'AA-2'],
  Evt17: ['',     'AA-5', 'AA-4', 'AA-4', 'AA-4', 'AA-4', 'AA-4', 'AA-4', 'AA-4', 'AA-4',  'AA-4', 'AA-4', 'AR-5'],
  Evt18: ['',     'AA-2', '',     '',     '',     '',     '',     '',     '',     '',      '',     '',     'AA-2'],
  Evt19: ['',     'AA-1', 'AA-8', '',     'AA-8', 'AA-8', 'AA-8', 'AA-8', 'AA-8', 'AA-8',  'AA-8', 'AA-8', 'AA-7'],
};

/** The same table indexed state first, for a lookup per event. */
const BY_STATE: Readonly<Record<State, Readonly<Partial<Record<UlEvent, Action>>>>> = (() => {
  const table = Object.fromEntries(STATE_NAMES.map((s) => [s, {}])) as Record<State, Partial<Record<UlEvent, Action>>>;
  for (const event of EVENT_NAMES) {
    TABLE_9_10[event].forEach((cell, i) => { if (cell) table[STATE_NAMES[i]!][event] = cell; });
  }
  return table;
})();

/** PS3.8 Table 9-10: the action for `event` in `state`, or undefined for a blank cell. */
export function actionFor(state: State, event: UlEvent): Action | undefined {
  return BY_STATE[state][event];
}

/**
 * What a blank cell of Table 9-10 means here. The table leaves them blank because the event cannot
 * happen in that state; which of these reasons holds decides what the code does if one is reached:
 *
 * - 'refused': a request of the local user (Evt1, 7, 8, 9, 11, 14) that the state does not allow.
 *   It is refused to the caller (Association.send throws; release() returns the release already
 *   under way, or resolves when there is no association left to release); no PDU is sent and the
 *   state does not change.
 * - 'abort-closes': an A-ABORT request (Evt15) where the table has no AA-1/AA-2: in Sta2 (no
 *   association yet) and Sta13 (none any more) the transport is closed at once, as AA-2 does, so a
 *   listener that shuts down never waits on a connection; in Sta1 there is nothing to do.
 * - 'no-transport': a PDU or a transport event in Sta1 or Sta4, where no transport connection is
 *   open to carry it: unreachable (the parser stops when the connection closes).
 * - 'one-connection': Evt2 outside Sta4 and Evt5 outside Sta1: an Association owns exactly one
 *   transport connection, confirmed or indicated once. Unreachable.
 * - 'artim-not-running': Evt18 outside Sta2 and Sta13: ARTIM runs only there (started by AE-5, AE-6,
 *   AE-8, AR-4, AA-1, AA-8; stopped when those states are left). Unreachable.
 *
 * An unreachable cell reached anyway is a defect of ours: the association is closed (AA-2) and
 * the user told with an error naming the state and the event.
 */
export type BlankCell = 'refused' | 'abort-closes' | 'no-transport' | 'one-connection' | 'artim-not-running';

const LOCAL_REQUESTS: ReadonlySet<UlEvent> = new Set(['Evt1', 'Evt7', 'Evt8', 'Evt9', 'Evt11', 'Evt14']);

export function blankCell(state: State, event: UlEvent): BlankCell | undefined {
  if (actionFor(state, event)) return undefined;
  if (LOCAL_REQUESTS.has(event)) return 'refused';
  if (event === 'Evt15') return 'abort-closes';
  if (event === 'Evt2' || event === 'Evt5') return 'one-connection';
  if (event === 'Evt18') return 'artim-not-running';
  if (state === 'Sta1' || state === 'Sta4') return 'no-transport';
  return undefined; // a blank cell no reason above explains: the unit test forbids it
}

/** The event a received PDU raises (PS3.8 Table 9-10 rows Evt3..Evt16); P-DATA-TF is Evt10. */
export const PDU_EVENT: Readonly<Record<number, UlEvent>> = {
  0x01: 'Evt6', 0x02: 'Evt3', 0x03: 'Evt4', 0x04: 'Evt10', 0x05: 'Evt12', 0x06: 'Evt13', 0x07: 'Evt16',
};
