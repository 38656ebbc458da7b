/** Which watched task a hint is about: the key a hint is deduplicated by, and the ImportImage task that works on an image. Pure. */
import type { TaskRecord } from '../store/port.js';
import type { Hint } from './parse.js';

/** One key per thing a hint asks about: a task, or an image whose import is watched. */
export function hintKey(hint: Exclude<Hint, { kind: 'ignored' }>): string {
  return hint.kind === 'api-call' ? `${hint.regionId}/${hint.taskId}` : `${hint.regionId}/image/${hint.imageId}`;
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
