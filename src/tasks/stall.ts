/**
 * Whether a running task has stalled: its progress has not moved for longer than a step of its kind usually takes,
 * or it runs past the slowest recent task of its kind by a margin. The expectations come from taskhook's own history
 * of the action and region (src/poll/durations.ts), with a floor below which nothing counts as stuck. Pure.
 */
import type { TaskSnapshot, TaskStall } from './snapshot.js';

/** A "step" is this many percent of progress, as `ecs.task.progress` counts them. */
export const STEP_PERCENT = 10;
/** No progress for this many typical steps is a stall. */
const STEP_MARGIN = 3;
/** Running this much longer than the slowest recent task of the kind is a stall. */
const DURATION_MARGIN = 1.5;
/** The slowest of fewer recent tasks than this says too little to judge by. */
const MIN_HISTORY = 3;

export interface StallInput {
  next: TaskSnapshot;
  previous: TaskSnapshot | null;
  /** The answer carried fresh progress (DescribeTaskAttribute was read): only then is "not moved" evidence. */
  progressObserved: boolean;
  /** Recent durations of the action in the region, seconds. */
  durations: number[];
  /** Nothing is stuck for less than this, seconds. */
  floorSeconds: number;
}

/** The stall to report or keep, or null when the task moves (or is not running). */
export function stallOf({ next, previous, progressObserved, durations, floorSeconds }: StallInput): TaskStall | null {
  if (next.terminal || next.outcome !== 'running') return null;
  const now = Date.parse(next.observedAt);
  // Once reported, a stall holds until the progress moves or the status changes.
  const moved = previous?.status !== next.status || (next.progress !== null && previous?.progress !== next.progress);
  if (previous?.stall && !moved) return previous.stall;

  if (progressObserved && next.progress !== null && next.progressSince) {
    const stuck = (now - Date.parse(next.progressSince)) / 1000;
    const typical = median(durations);
    const perStep = typical === null ? null : (typical * STEP_PERCENT) / 100;
    const expected = Math.max(floorSeconds, perStep === null ? 0 : perStep * STEP_MARGIN);
    if (stuck > expected) {
      const because =
        perStep === null
          ? `nothing moves for longer than ${duration(floorSeconds)} without cause`
          : `a ${STEP_PERCENT} % step usually takes ${duration(perStep)}`;
      return {
        since: next.progressSince,
        stuckSeconds: Math.round(stuck),
        expectation: 'step',
        expectedSeconds: Math.round(expected),
        reason: `progress stuck at ${next.progress} % for ${duration(stuck)}; ${because}`,
      };
    }
  }

  const created = next.createdAt ? Date.parse(next.createdAt) : NaN;
  if (durations.length >= MIN_HISTORY && Number.isFinite(created)) {
    const running = (now - created) / 1000;
    const slowest = Math.max(...durations);
    const expected = Math.max(floorSeconds, slowest * DURATION_MARGIN);
    if (running > expected) {
      return {
        since: next.progressSince ?? next.createdAt!,
        stuckSeconds: Math.round(running),
        expectation: 'duration',
        expectedSeconds: Math.round(expected),
        reason: `running for ${duration(running)}; the slowest of the last ${durations.length} ${next.action} tasks here took ${duration(slowest)}`,
      };
    }
  }
  return null;
}

/** When the progress last moved: kept while it holds, now when it changed. */
export function progressSinceOf(next: TaskSnapshot, previous: TaskSnapshot | null): string | null {
  if (next.progress === null) return null;
  if (previous && previous.progress === next.progress && previous.status === next.status) return previous.progressSince ?? previous.observedAt;
  return next.observedAt;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** "40 s", "6 min", "1 h 5 min". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 90) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}
