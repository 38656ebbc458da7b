/**
 * When a running task will finish, from what taskhook already has: its progress (`TaskProcess`, read with
 * DescribeTaskAttribute) against the time since it was created, or else how long the last finished tasks of the
 * same action and region took. No ECS call is made for an estimate; null when neither is known.
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
 * The snapshot with `estimatedFinishAt`: null once terminal; from fresh progress when the answer carried it
 * (`progressObserved`), linear from creation; else the previous estimate while the status holds; else creation
 * plus the typical duration. An estimate already passed is moved to the observation time: "any moment now".
 */
export function withEstimate(next: TaskSnapshot, previous: TaskSnapshot | null, progressObserved: boolean, typicalSeconds: number | null): TaskSnapshot {
  if (next.terminal) return { ...next, estimatedFinishAt: null };
  const observed = Date.parse(next.observedAt);
  const created = next.createdAt ? Date.parse(next.createdAt) : NaN;
  let at: number | null = null;
  if (progressObserved && next.progress !== null && next.progress > 0 && next.progress < 100 && created < observed) {
    at = created + ((observed - created) * 100) / next.progress;
  } else if (previous?.estimatedFinishAt && previous.status === next.status) {
    at = Date.parse(previous.estimatedFinishAt);
  } else if (typicalSeconds !== null && Number.isFinite(created)) {
    at = created + typicalSeconds * 1000;
  }
  if (at === null || !Number.isFinite(at)) return { ...next, estimatedFinishAt: null };
  return { ...next, estimatedFinishAt: isoSeconds(Math.max(at, observed)) };
}

const isoSeconds = (ms: number) => new Date(Math.round(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
