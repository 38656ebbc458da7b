/**
 * When a running task will finish, from what taskhook already has: its progress samples (`TaskProcess`, read with
 * DescribeTaskAttribute, timed by when each step was first seen) against the time since it was created, or else how
 * long the last finished tasks of the same action and region took. No ECS call is made for an estimate; null when neither is known.
 */
import type { TaskSnapshot } from './snapshot.js';

/** How many recent durations of one (region, action) are kept for the typical one. */
export const DURATIONS_KEPT = 20;

/** The mark a (region, action) pair's recent durations are kept under. */
export const durationsMark = (regionId: string, action: string) => `durations/${regionId}/${action}`;

/** The durations a mark holds (a JSON list of seconds); anything else reads as none. */
export function parseDurations(text: string | null): number[] {
  try {
    const parsed: unknown = text ? JSON.parse(text) : [];
    return Array.isArray(parsed) ? parsed.filter((n): n is number => typeof n === 'number' && n >= 0).slice(-DURATIONS_KEPT) : [];
  } catch {
    return [];
  }
}

/** Median of the durations kept, in seconds; null when none are. */
export function typicalDuration(durations: number[]): number | null {
  if (durations.length === 0) return null;
  const sorted = [...durations].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The durations kept after `seconds` more: the newest DURATIONS_KEPT. */
export function withDuration(durations: number[], seconds: number): number[] {
  return [...durations, seconds].slice(-DURATIONS_KEPT);
}

/**
 * The snapshot with `estimatedFinishAt`: null once terminal. From fresh progress (`progressObserved`): the moment a
 * 10 % step was crossed is known to within one poll (between the previous answer and this one), far sharper than
 * CreationTime's minute or this answer's time; the estimate is the mean of the straight line from creation through
 * that crossing and the pace between the last two crossings. While the step holds, the estimate made at its
 * crossing stands. Else the previous estimate while the status holds; else creation plus the typical duration. An
 * estimate already passed is moved to the observation time: "any moment now".
 */
export function withEstimate(next: TaskSnapshot, previous: TaskSnapshot | null, progressObserved: boolean, typicalSeconds: number | null): TaskSnapshot {
  if (next.terminal) return { ...next, estimatedFinishAt: null };
  const observed = Date.parse(next.observedAt);
  const created = next.createdAt ? Date.parse(next.createdAt) : NaN;
  const sameStatus = previous?.status === next.status;
  let at: number | null = null;
  if (progressObserved && next.progress !== null && next.progress > 0 && next.progress < 100 && created < observed) {
    at = fromProgress(next.progress, observed, created, sameStatus ? previous : null);
  } else if (previous?.estimatedFinishAt && sameStatus) {
    at = Date.parse(previous.estimatedFinishAt);
  } else if (typicalSeconds !== null && Number.isFinite(created)) {
    at = created + typicalSeconds * 1000;
  }
  if (at === null || !Number.isFinite(at)) return { ...next, estimatedFinishAt: null };
  return { ...next, estimatedFinishAt: isoSeconds(Math.max(at, observed)) };
}

/** The finish from progress samples: this answer's and, when the task was seen before, the previous step's. */
function fromProgress(progress: number, observed: number, created: number, previous: TaskSnapshot | null): number {
  const before = previous?.progress ?? null;
  // The same step as last time: the estimate made when it was crossed stands.
  if (before === progress && previous?.estimatedFinishAt) return Date.parse(previous.estimatedFinishAt);
  const seenBefore = previous ? Date.parse(previous.observedAt) : NaN;
  const crossed = before !== null && before < progress && seenBefore < observed ? (seenBefore + observed) / 2 : observed;
  const line = created + ((crossed - created) * 100) / progress;
  // The previous step's own crossing (when it was first seen): the pace of the last steps, without creation's minute.
  const since = previous?.progressSince ? Date.parse(previous.progressSince) : NaN;
  if (before === null || before <= 0 || before >= progress || !(since < crossed)) return line;
  const pace = crossed + ((crossed - since) * (100 - progress)) / (progress - before);
  return (line + pace) / 2;
}

const isoSeconds = (ms: number) => new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
