import { describe, expect, it } from 'vitest';
import { DURATIONS_KEPT, typicalDuration, withDuration, withEstimate } from '../../src/tasks/estimate.js';
import type { TaskSnapshot } from '../../src/tasks/snapshot.js';

const running = (overrides: Partial<TaskSnapshot> = {}): TaskSnapshot => ({
  id: 't-estimate000001',
  regionId: 'cn-hangzhou',
  action: 'ImportImage',
  status: 'Processing',
  outcome: 'running',
  terminal: false,
  progress: null,
  supportCancel: true,
  createdAt: '2026-12-01T10:00:00Z',
  finishedAt: null,
  durationSeconds: null,
  counts: null,
  operations: [],
  resourceId: 'm-1',
  requestId: 'R',
  observedAt: '2026-12-01T10:10:00Z',
  ...overrides,
});

describe('the estimated finish', () => {
  it('extrapolates fresh progress from the creation time: 25 % after 10 minutes finishes 40 minutes in', () => {
    expect(withEstimate(running({ progress: 25 }), null, true, null).estimatedFinishAt).toBe('2026-12-01T10:40:00Z');
  });

  it('keeps the previous estimate while the status holds and no fresh progress came', () => {
    const previous = running({ estimatedFinishAt: '2026-12-01T10:40:00Z' });
    expect(withEstimate(running({ progress: 25, observedAt: '2026-12-01T10:20:00Z' }), previous, false, 600).estimatedFinishAt).toBe('2026-12-01T10:40:00Z');
  });

  it('falls back on the typical duration of the action, and says null when nothing is known', () => {
    expect(withEstimate(running(), null, false, 1_800).estimatedFinishAt).toBe('2026-12-01T10:30:00Z');
    expect(withEstimate(running(), null, false, null).estimatedFinishAt).toBeNull();
    expect(withEstimate(running({ createdAt: null }), null, false, 1_800).estimatedFinishAt).toBeNull();
  });

  it('moves an estimate already passed to the observation: any moment now', () => {
    expect(withEstimate(running(), null, false, 60).estimatedFinishAt).toBe('2026-12-01T10:10:00Z');
  });

  it('is null once the task is terminal', () => {
    const done = running({ status: 'Finished', outcome: 'succeeded', terminal: true, progress: 100 });
    expect(withEstimate(done, running({ estimatedFinishAt: '2026-12-01T10:40:00Z' }), true, 600).estimatedFinishAt).toBeNull();
  });

  it('keeps the newest durations and takes their median', () => {
    let kept: number[] = [];
    for (let i = 1; i <= DURATIONS_KEPT + 5; i++) kept = withDuration(kept, i);
    expect(kept).toHaveLength(DURATIONS_KEPT);
    expect(kept[0]).toBe(6);
    expect(typicalDuration([300, 100, 200])).toBe(200);
    expect(typicalDuration([100, 200])).toBe(150);
    expect(typicalDuration([])).toBeNull();
  });
});

describe('the estimated finish from progress samples', () => {
  it('times a step by its crossing, between the previous answer and this one, not by this answer', () => {
    // 20 % seen at 10:09:50, 30 % at 10:10:00 (crossed about 10:09:55): 30 % after 9 min 55 s.
    const previous = running({ progress: 20, observedAt: '2026-12-01T10:09:50Z' });
    const next = running({ progress: 30, observedAt: '2026-12-01T10:10:00Z' });
    expect(withEstimate(next, previous, true, null).estimatedFinishAt).toBe('2026-12-01T10:33:03Z');
  });

  it('averages the line from creation with the pace of the last two steps', () => {
    // 20 % first seen at 10:04:00, 30 % crossed at 10:06:00: 2 min a 10 % step, so 14 min more; the line says 10:20:00.
    const previous = running({ progress: 20, observedAt: '2026-12-01T10:05:59Z', progressSince: '2026-12-01T10:04:00Z' });
    const next = running({ progress: 30, observedAt: '2026-12-01T10:06:01Z' });
    expect(withEstimate(next, previous, true, null).estimatedFinishAt).toBe('2026-12-01T10:20:00Z');
    const slower = running({ progress: 20, observedAt: '2026-12-01T10:05:59Z', progressSince: '2026-12-01T10:02:00Z' });
    // 4 min a step: 28 min more, 10:34:00; with the line's 10:20:00, 10:27:00.
    expect(withEstimate(next, slower, true, null).estimatedFinishAt).toBe('2026-12-01T10:27:00Z');
  });

  it('keeps the estimate made at a step’s crossing while the step holds', () => {
    const previous = running({ progress: 30, observedAt: '2026-12-01T10:06:01Z', estimatedFinishAt: '2026-12-01T10:20:00Z' });
    const later = running({ progress: 30, observedAt: '2026-12-01T10:08:00Z' });
    expect(withEstimate(later, previous, true, null).estimatedFinishAt).toBe('2026-12-01T10:20:00Z');
  });
});
