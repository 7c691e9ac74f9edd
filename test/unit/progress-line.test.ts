// The live line's layout (src/cli/progress-bar.ts) and the one unit system (src/cli/units.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressCounts, progressLine, type ProgressState } from '../../src/cli/progress-bar.ts';
import { formatBytes } from '../../src/cli/units.ts';

const state = (over: Partial<ProgressState> = {}): ProgressState => ({
  counters: { remaining: 950, completed: 1050, failed: 0, warning: 0 },
  seen: 1050, stored: 1050, bytes: 1_050_300_000, elapsedMs: 84_000, ...over,
});
const cells = (s: string) => [...s].length;

describe('progressLine', () => {
  it('80 columns: every number, then a bar in what is left', () => {
    const line = progressLine(state(), 79);
    assert.equal(cells(line), 79, line);
    assert.match(line, /^1050\/2000  950 left  0 failed  1050 stored 1\.05 GB  12\.5 MB\/s  ETA 1:16 [█░]+$/);
  });

  it('the bar fills with done/total and is dropped when too narrow; the numbers stay', () => {
    const wide = progressLine(state(), 119);
    const bar = wide.split(' ').at(-1)!;
    assert.equal(cells(wide), 119);
    assert.equal([...bar].filter((c) => c === '█').length, Math.floor((cells(bar) * 1050) / 2000));
    const narrow = progressLine(state(), 70);
    assert.doesNotMatch(narrow, /[█░]/);
    assert.ok(cells(narrow) <= 70);
    assert.match(narrow, /^1050\/2000  950 left  0 failed  1050 stored 1\.05 GB  12\.5 MB\/s/);
  });

  it('too narrow for every number: the last ones go first, never past the width', () => {
    for (let width = 10; width < 90; width++) assert.ok(cells(progressLine(state(), width)) <= width, `width ${width}`);
    assert.equal(progressLine(state(), 30), '1050/2000  950 left  0 failed');
  });

  it('no bar and no total before the SCP says how many: never a full bar on the first frame', () => {
    const first = progressLine(state({ counters: { remaining: undefined, completed: undefined, failed: undefined, warning: undefined }, seen: 1, stored: 1, bytes: 1000, elapsedMs: 50 }), 79);
    assert.match(first, /^1\/\?  \? left  0 failed  1 stored 1\.0 kB  20\.0 kB\/s  ETA –$/);
  });

  it('the count and "left" always add up, when dcmget runs one sub-operation ahead of the SCP', () => {
    const ahead = state({ counters: { remaining: 1, completed: 9, failed: 0, warning: 0 }, seen: 10, stored: 10 });
    assert.deepEqual(progressCounts(ahead), { done: 10, total: 10 });
    assert.match(progressLine(ahead, 79), /^10\/10  0 left /);
    const behind = state({ counters: { remaining: 5, completed: 5, failed: 1, warning: 0 }, seen: 3, stored: 3 });
    assert.deepEqual(progressCounts(behind), { done: 6, total: 11 });
    assert.match(progressLine(behind, 79), /^6\/11  5 left  1 failed /);
  });
});

describe('formatBytes: one unit system for the bar and the summary', () => {
  it('kB and MB with one decimal, GB with two', () => {
    assert.equal(formatBytes(749_300), '749.3 kB');
    assert.equal(formatBytes(12_480_000), '12.5 MB');
    assert.equal(formatBytes(1_050_300_000), '1.05 GB');
    assert.equal(formatBytes(0), '0.0 kB');
  });
});
