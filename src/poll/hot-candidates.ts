/** Which tasks a run keeps hot after its sweep: likely to finish within the run's hot window (src/poll/hot.ts). */
import { taskKeyString, type TaskRecord } from '../store/port.js';
import type { TaskSnapshot } from '../tasks/snapshot.js';
import type { Run } from './run.js';

/** A task created this recently is hot whatever its estimate says: short tasks finish within minutes. */
const RECENT_MS = 5 * 60_000;
/** The most tasks one run keeps hot: 10 DescribeTasks calls per pass. */
const MAX_HOT = 1_000;

/** Remembers the task for the hot loop when it is likely to finish before the window ends; forgets it once terminal. */
export function noteIfHot(run: Run, task: TaskRecord, next: TaskSnapshot): void {
  if (run.hotUntil === undefined) return;
  const hot = (run.hot ??= new Map());
  const id = taskKeyString(task);
  const estimate = next.estimatedFinishAt ? Date.parse(next.estimatedFinishAt) : NaN;
  const created = next.createdAt ? Date.parse(next.createdAt) : NaN;
  const likely = estimate <= run.hotUntil || run.deps.now() - created <= RECENT_MS;
  // A finished task waiting for its resource is checked by the readiness pass of every hot pass, not polled again.
  if (next.terminal || !likely) hot.delete(id);
  else if (hot.size < MAX_HOT) hot.set(id, { regionId: task.regionId, taskId: task.taskId });
}
