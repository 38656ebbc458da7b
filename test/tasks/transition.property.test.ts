/** Any sequence of observed snapshots, committed the way the poller commits them, numbers its events without gap or clash. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TaskEvent } from '../../src/tasks/events.js';
import { classify } from '../../src/ecs/normalize.js';
import type { TaskSnapshot } from '../../src/tasks/snapshot.js';
import { transition } from '../../src/tasks/transition.js';

const STATUSES = ['Waiting', 'Processing', 'Paused', 'Finished', 'Failed', 'Deleted', 'Archiving', 'NotFound'];

const observation = fc.record({
  status: fc.constantFrom(...STATUSES),
  progress: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
  failed: fc.integer({ min: 0, max: 2 }),
  succeeded: fc.integer({ min: 0, max: 2 }),
});

function snapshotOf(o: { status: string; progress: number | null; failed: number; succeeded: number }, i: number): TaskSnapshot {
  const counts = { total: o.failed + o.succeeded, succeeded: o.succeeded, failed: o.failed };
  const { outcome, terminal } = o.status === 'NotFound' ? { outcome: 'not_found' as const, terminal: true } : classify(o.status, counts);
  const at = new Date(Date.UTC(2026, 10, 27, 0, 0, i)).toISOString();
  return {
    id: 't-property0000001',
    regionId: 'cn-hangzhou',
    action: 'ImportImage',
    status: o.status,
    outcome,
    terminal,
    progress: o.progress,
    supportCancel: true,
    createdAt: '2026-11-27T00:00:00Z',
    finishedAt: terminal ? at : null,
    durationSeconds: null,
    counts,
    operations: [],
    resourceId: null,
    requestId: null,
    observedAt: at,
  };
}

describe('transitions over any observed history', () => {
  it('give events with unique ids, a contiguous sequence and at most one completion', () => {
    fc.assert(
      fc.property(fc.array(observation, { minLength: 1, maxLength: 30 }), (history) => {
        let previous: TaskSnapshot | null = null;
        let sequence = 0;
        const events: TaskEvent[] = [];
        for (const [i, o] of history.entries()) {
          // The poller stops polling a task once it is terminal.
          if (previous?.terminal) break;
          const next = snapshotOf(o, i);
          const result = transition({ previous, next, sequence });
          if (!result.changed) continue;
          events.push(...result.events);
          sequence += result.events.length;
          previous = next;
        }
        expect(events.map((e) => e.data.sequence)).toEqual(events.map((_, i) => i + 1));
        expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
        expect(events.filter((e) => /succeeded|failed|cancelled|not_found/.test(e.type)).length).toBeLessThanOrEqual(1);
      }),
      { numRuns: 2_000 },
    );
  });
});
