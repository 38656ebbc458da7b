/** When a running task counts as stalled, and the events a stall makes: plain snapshots in, one stalled and one resumed out. */
import { describe, expect, it } from 'vitest';
import { eventsForTransition } from '../../src/tasks/events.js';
import type { TaskSnapshot } from '../../src/tasks/snapshot.js';
import { duration, progressSinceOf, stallOf } from '../../src/tasks/stall.js';
import { emptySnapshot } from '../../src/tasks/transition.js';

const T0 = Date.parse('2026-11-27T00:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function running(progress: number | null, observedMin: number, progressSinceMin: number | null): TaskSnapshot {
  return {
    ...emptySnapshot({ regionId: 'cn-hangzhou', taskId: 't-bp1stall' }, at(observedMin)),
    action: 'ImportImage',
    status: 'Processing',
    outcome: 'running',
    createdAt: at(0),
    progress,
    progressSince: progressSinceMin === null ? null : at(progressSinceMin),
  };
}

describe('stallOf', () => {
  it('uses the floor without history, and three typical steps with it', () => {
    const stuck = running(40, 20, 2);
    expect(stallOf({ next: stuck, previous: null, progressObserved: true, durations: [], floorSeconds: 15 * 60 })).toMatchObject({
      expectation: 'step',
      expectedSeconds: 900,
      stuckSeconds: 18 * 60,
    });
    expect(stallOf({ next: stuck, previous: null, progressObserved: true, durations: [], floorSeconds: 20 * 60 })).toBeNull();
    // A typical import of 100 minutes: a 10 % step is 10 minutes, three of them 30.
    expect(stallOf({ next: stuck, previous: null, progressObserved: true, durations: [6000, 6000], floorSeconds: 60 })).toBeNull();
    expect(stallOf({ next: running(40, 40, 2), previous: null, progressObserved: true, durations: [6000, 6000], floorSeconds: 60 })).toMatchObject({
      expectedSeconds: 1800,
      reason: 'progress stuck at 40 % for 38 min; a 10 % step usually takes 10 min',
    });
  });

  it('never judges by progress it did not read now, and holds a reported stall until the progress moves', () => {
    const stuck = running(40, 20, 2);
    expect(stallOf({ next: stuck, previous: null, progressObserved: false, durations: [], floorSeconds: 60 })).toBeNull();
    const reported = stallOf({ next: stuck, previous: null, progressObserved: true, durations: [], floorSeconds: 60 })!;
    const before = { ...stuck, stall: reported };
    expect(stallOf({ next: running(40, 30, 2), previous: before, progressObserved: false, durations: [], floorSeconds: 60 })).toBe(reported);
    expect(stallOf({ next: running(50, 31, 31), previous: before, progressObserved: true, durations: [], floorSeconds: 60 })).toBeNull();
  });

  it('keeps when the progress last moved', () => {
    const first = running(40, 2, null);
    expect(progressSinceOf(first, null)).toBe(at(2));
    expect(progressSinceOf(running(40, 9, null), { ...first, progressSince: at(2) })).toBe(at(2));
    expect(progressSinceOf(running(50, 9, null), { ...first, progressSince: at(2) })).toBe(at(9));
    expect(progressSinceOf(running(null, 9, null), first)).toBeNull();
  });

  it('writes durations for people', () => {
    expect([duration(40), duration(360), duration(3900), duration(7200)]).toEqual(['40 s', '6 min', '1 h 5 min', '2 h']);
  });
});

describe('stall events', () => {
  it('one stalled when the stall starts, none while it holds, one resumed when it ends, with contiguous sequences', () => {
    const stall = { since: at(2), stuckSeconds: 1080, expectation: 'step' as const, expectedSeconds: 900, reason: 'stuck' };
    const a = running(40, 10, 2);
    const b = { ...running(40, 20, 2), stall };
    const c = { ...running(40, 30, 2), stall };
    const d = running(50, 31, 31);
    const e1 = eventsForTransition({ previous: a, next: b, sequence: 4 });
    const e2 = eventsForTransition({ previous: b, next: c, sequence: 5 });
    const e3 = eventsForTransition({ previous: c, next: d, sequence: 5 });
    expect(e1.map((e) => [e.type, e.data.sequence])).toEqual([['ecs.task.stalled', 5]]);
    expect(e2).toEqual([]);
    expect(e3.map((e) => [e.type, e.data.sequence])).toEqual([
      ['ecs.task.progress', 6],
      ['ecs.task.resumed', 7],
    ]);
  });

  it('holds back a success while its resource is waited for, and completes it once the wait ends', () => {
    const base = { ...running(100, 10, 10), status: 'Finished', outcome: 'succeeded' as const, terminal: true, finishedAt: at(10) };
    const waiting = { ...base, readiness: { state: 'waiting' as const, since: at(10), until: at(70), checkedAt: null, reason: 'x' } };
    const ready = { ...waiting, ready: true, readyAt: at(12), readiness: { ...waiting.readiness, state: 'ready' as const, reason: null } };
    expect(eventsForTransition({ previous: running(90, 9, 9), next: waiting, sequence: 1 }).map((e) => e.type)).toEqual(['ecs.task.status_changed']);
    expect(eventsForTransition({ previous: waiting, next: { ...waiting, observedAt: at(11) }, sequence: 2 })).toEqual([]);
    const done = eventsForTransition({ previous: waiting, next: ready, sequence: 2 });
    expect(done.map((e) => [e.type, e.data.sequence, e.time])).toEqual([['ecs.task.succeeded', 3, at(10)]]);
    expect(eventsForTransition({ previous: ready, next: ready, sequence: 3 })).toEqual([]);
  });
});
