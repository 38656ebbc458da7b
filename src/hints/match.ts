/** Which watched task a hint is about: the key a hint is deduplicated by, the ImportImage task that works on an image, and the window a task without an id is looked up in. Pure. */
import { isoSeconds } from '../ecs/normalize.js';
import type { TaskRecord } from '../store/port.js';
import type { Hint } from './parse.js';

type Acted = Exclude<Hint, { kind: 'ignored' }>;

const MINUTE_MS = 60_000;
/** A lookup reaches this far either side of the call's minute: ActionTrail's clock and ECS's need not agree to the second. */
export const LOOKUP_MARGIN_MS = 2 * MINUTE_MS;

/** One key per thing a hint asks about: a task, an image whose import is watched, or the tasks of one action, region and minute. */
export function hintKey(hint: Acted): string {
  if (hint.kind === 'image-state') return `${hint.regionId}/image/${hint.imageId}`;
  if (hint.taskId !== null) return `${hint.regionId}/${hint.taskId}`;
  return `${hint.regionId}/lookup/${hint.action}/${callMinute(hint.calledAt)}`;
}

/** The minute (ISO 8601, seconds zeroed) the call was made in. */
export function callMinute(calledAt: string): string {
  return isoSeconds(Math.floor(Date.parse(calledAt) / MINUTE_MS) * MINUTE_MS);
}

/**
 * The creation-time window DescribeTasks is asked about for a call without a task id: its whole minute, so one
 * lookup serves every hint of that minute, plus a margin either side; never past `now` (rounded up to the second).
 */
export function lookupWindow(calledAt: string, now: number): { startTime: string; endTime: string } {
  const minute = Date.parse(callMinute(calledAt));
  const start = minute - LOOKUP_MARGIN_MS;
  const end = Math.max(start, Math.min(minute + MINUTE_MS + LOOKUP_MARGIN_MS, Math.ceil(now / 1000) * 1000));
  return { startTime: isoSeconds(start), endTime: isoSeconds(end) };
}

/**
 * An active ImportImage task whose last-seen state names the image: as its resource (DescribeTasks' `ResourceId`),
 * or among the related items of its operations (what DescribeTaskAttribute shows once the task has details).
 */
export function importsImage(task: TaskRecord, imageId: string): boolean {
  const snapshot = task.snapshot;
  if (!task.active || !snapshot || snapshot.action !== 'ImportImage') return false;
  return snapshot.resourceId === imageId || snapshot.operations.some((op) => op.relatedItems.some((item) => item.value === imageId));
}
