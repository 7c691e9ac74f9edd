// The shape of the Upper Layer state table (src/ul/state-table.ts) against PS3.8 9.2: every state
// × event has an action or a documented blank-cell meaning, and Table 9-10 as transcribed there
// agrees with a second, independent reading of the standard: the rules its columns follow
// (an unexpected PDU is AA-8 in an association, AA-1 in Sta2, ignored in Sta13...), written here
// from PS3.8's text rather than copied from the table. test/integration/ul-state-machine.test.ts
// checks over real sockets that the code does what each cell says.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { PERFORM } from '../../src/ul/actions.ts';
import {
  ACTIONS, EVENTS, EVENT_NAMES, PDU_EVENT, STATES, STATE_NAMES, actionFor, blankCell,
  type Action, type State, type UlEvent,
} from '../../src/ul/state-table.ts';

const S = (...n: number[]) => n.map((i) => `Sta${i}` as State);
const ASSOCIATION_STATES = S(3, 5, 6, 7, 8, 9, 10, 11, 12); // a transport and a (would-be) association
const PDU_EVENTS: UlEvent[] = ['Evt3', 'Evt4', 'Evt6', 'Evt10', 'Evt12', 'Evt13', 'Evt19'];

/** The one place each PDU is expected (PS3.8 9.2.2's prose for each phase). */
const EXPECTED: [UlEvent, State, Action][] = [
  ['Evt3', 'Sta5', 'AE-3'], ['Evt4', 'Sta5', 'AE-4'], ['Evt6', 'Sta2', 'AE-6'],
  ['Evt10', 'Sta6', 'DT-2'], ['Evt10', 'Sta7', 'AR-6'],
  ['Evt12', 'Sta6', 'AR-2'], ['Evt12', 'Sta7', 'AR-8'],
  ['Evt13', 'Sta7', 'AR-3'], ['Evt13', 'Sta10', 'AR-10'], ['Evt13', 'Sta11', 'AR-3'],
];

/** PS3.8 Table 9-10 rebuilt from rules: the states where each local primitive and timer applies. */
function rule(state: State, event: UlEvent): Action | undefined {
  const expected = EXPECTED.find(([e, s]) => e === event && s === state);
  if (expected) return expected[2];
  if (PDU_EVENTS.includes(event)) {
    if (state === 'Sta2') return 'AA-1';
    if (state === 'Sta13') return event === 'Evt6' || event === 'Evt19' ? 'AA-7' : 'AA-6';
    return ASSOCIATION_STATES.includes(state) ? 'AA-8' : undefined;
  }
  const local: Partial<Record<UlEvent, [State, Action][]>> = {
    Evt1: [['Sta1', 'AE-1']], Evt2: [['Sta4', 'AE-2']], Evt5: [['Sta1', 'AE-5']],
    Evt7: [['Sta3', 'AE-7']], Evt8: [['Sta3', 'AE-8']],
    Evt9: [['Sta6', 'DT-1'], ['Sta8', 'AR-7']], Evt11: [['Sta6', 'AR-1']],
    Evt14: [['Sta8', 'AR-4'], ['Sta9', 'AR-9'], ['Sta12', 'AR-4']],
  };
  if (local[event]) return local[event].find(([s]) => s === state)?.[1];
  switch (event) {
    case 'Evt15': return state === 'Sta4' ? 'AA-2' : ASSOCIATION_STATES.includes(state) ? 'AA-1' : undefined;
    case 'Evt16': return state === 'Sta2' || state === 'Sta13' ? 'AA-2' : ASSOCIATION_STATES.includes(state) ? 'AA-3' : undefined;
    case 'Evt17': return state === 'Sta2' ? 'AA-5' : state === 'Sta13' ? 'AR-5' : state === 'Sta4' || ASSOCIATION_STATES.includes(state) ? 'AA-4' : undefined;
    case 'Evt18': return state === 'Sta2' || state === 'Sta13' ? 'AA-2' : undefined;
    default: return undefined;
  }
}

describe('PS3.8 Table 9-10 (ul/state-table.ts)', () => {
  it('has the standard\'s 13 states, 19 events and 28 actions, in order', () => {
    assert.deepEqual(STATE_NAMES, Array.from({ length: 13 }, (_, i) => `Sta${i + 1}`));
    assert.deepEqual(EVENT_NAMES, Array.from({ length: 19 }, (_, i) => `Evt${i + 1}`));
    assert.deepEqual(Object.keys(ACTIONS), [
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `AE-${i}`), 'DT-1', 'DT-2',
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => `AR-${i}`), ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => `AA-${i}`),
    ]);
    assert.equal(STATES.Sta13, 'Awaiting Transport Connection Close Indication (Association no longer exists)');
    assert.equal(EVENTS.Evt19, 'Unrecognized or invalid PDU received');
  });

  it('every cell agrees with the rules of PS3.8 9.2 (a second reading of the standard)', () => {
    const differences: string[] = [];
    for (const state of STATE_NAMES) {
      for (const event of EVENT_NAMES) {
        const want = rule(state, event);
        const got = actionFor(state, event);
        if (want !== got) differences.push(`${state} + ${event}: table ${got ?? 'blank'}, rules ${want ?? 'blank'}`);
      }
    }
    assert.deepEqual(differences, []);
  });

  it('every state × event has an action or a documented meaning for its blank cell', () => {
    const counts: Record<string, number> = {};
    for (const state of STATE_NAMES) {
      for (const event of EVENT_NAMES) {
        const action = actionFor(state, event);
        const blank = blankCell(state, event);
        assert.ok((action === undefined) !== (blank === undefined), `${state} + ${event}: ${action ?? 'no action'} / ${blank ?? 'no blank meaning'}`);
        const key = action ? 'action' : blank!;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }
    // 247 cells: 123 actions; the blanks: refused local requests, aborts with nothing to abort,
    // and the cells no transport, one connection or a stopped ARTIM make unreachable.
    assert.deepEqual(counts, { action: 123, refused: 69, 'abort-closes': 3, 'no-transport': 17, 'one-connection': 24, 'artim-not-running': 11 });
  });

  it('every action leads only to states PS3.8 names for it, and has an implementation', () => {
    for (const [name, action] of Object.entries(ACTIONS)) {
      assert.ok(action.next.length > 0 && action.next.every((s) => s in STATES), name);
      assert.equal(typeof PERFORM[name as Action], 'function', name);
    }
    assert.deepEqual(ACTIONS['AR-8'].next, ['Sta9', 'Sta10']);
    assert.deepEqual(ACTIONS['AE-6'].next, ['Sta3', 'Sta13']);
  });

  it('every action appears in the table', () => {
    const used = new Set<string>();
    for (const state of STATE_NAMES) for (const event of EVENT_NAMES) { const a = actionFor(state, event); if (a) used.add(a); }
    assert.deepEqual([...used].sort(), Object.keys(ACTIONS).sort());
  });

  it('each PDU type raises its event (PS3.8 9.3: types 01H..07H)', () => {
    assert.deepEqual(PDU_EVENT, { 1: 'Evt6', 2: 'Evt3', 3: 'Evt4', 4: 'Evt10', 5: 'Evt12', 6: 'Evt13', 7: 'Evt16' });
  });

  it('the release collision: the requestor answers first (Sta9 → AR-9), the acceptor after the RP (Sta10 → AR-10)', () => {
    assert.equal(actionFor('Sta7', 'Evt12'), 'AR-8');
    assert.equal(actionFor('Sta9', 'Evt14'), 'AR-9');
    assert.equal(actionFor('Sta11', 'Evt13'), 'AR-3');
    assert.equal(actionFor('Sta10', 'Evt13'), 'AR-10');
    assert.equal(actionFor('Sta12', 'Evt14'), 'AR-4');
  });
});
