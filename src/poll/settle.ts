/**
 * What a batch makes of each answer before the transition rules see it: the estimate, the resource the task makes or
 * changes, the start of the wait for that resource once the task succeeds, and whether a running task has stalled.
 * The waiting state lives in the task's snapshot, so it is committed with the transition under the same version
 * check: a crash or a racing run neither loses the wait nor sends its completion twice.
 */
import { DEFAULT_READY_WAIT_SECONDS, DEFAULT_STALL_FLOOR_SECONDS } from '../config.js';
import { taskKeyString, type TaskRecord } from '../store/port.js';
import { withEstimate } from '../tasks/estimate.js';
import { DESCRIBE_CALL, describeResource, mergeResource, resourceOf } from '../tasks/resource.js';
import type { TaskReadiness, TaskSnapshot } from '../tasks/snapshot.js';
import { progressSinceOf, stallOf } from '../tasks/stall.js';
import { webhookWants } from '../webhooks/matching.js';
import { durationsFor, typicalFor } from './durations.js';
import type { Run } from './run.js';

/** The snapshot to run through the transition rules and to commit, from what ECS answered (`seen`). */
export function settle(run: Run, task: TaskRecord, seen: TaskSnapshot, progressObserved: boolean): TaskSnapshot {
  const previous = task.snapshot;
  // Finished and waiting for its resource: the task's own answer has nothing more to say; only the resource check moves it.
  if (previous?.readiness?.state === 'waiting') {
    noteWaiting(run, task);
    return { ...previous, observedAt: seen.observedAt };
  }
  const estimated = withEstimate(seen, previous, progressObserved, typicalFor(run, task.regionId, seen.action));
  const hinted = run.resourceHints?.get(taskKeyString(task)) ?? null;
  const resource = mergeResource(previous?.resource, resourceOf(estimated, hinted));
  const withProgress: TaskSnapshot = { ...estimated, resource, progressSince: progressSinceOf(estimated, previous) };
  const next: TaskSnapshot = {
    ...withProgress,
    stall: stallOf({
      next: withProgress,
      previous,
      progressObserved,
      durations: durationsFor(run, task.regionId, seen.action),
      floorSeconds: run.deps.config.stallFloorSeconds ?? DEFAULT_STALL_FLOOR_SECONDS,
    }),
    ...readinessAtFinish(run, withProgress, previous),
  };
  if (next.readiness?.state === 'waiting') noteWaiting(run, task);
  return next;
}

/** Whether the task stays on the watch list: while it runs, and after it succeeded until its resource is usable. */
export const stillPolled = (next: TaskSnapshot) => !next.terminal || next.readiness?.state === 'waiting';

/** DescribeTaskAttribute is asked for a running task's progress when a webhook wants its progress or its stalls. */
export const wantsProgress = (run: Run, entry: TaskSnapshot) =>
  run.webhooks.some((w) => webhookWants(w, 'ecs.task.progress', entry) || webhookWants(w, 'ecs.task.stalled', entry));

/** How long the action's resource is waited for, seconds (0: not at all). */
export const readyWaitOf = (run: Pick<Run, 'deps'>, action: string) =>
  (run.deps.config.readyWaitSeconds ?? DEFAULT_READY_WAIT_SECONDS)[action] ?? DEFAULT_READY_WAIT_SECONDS[action] ?? 0;

/**
 * The readiness fields when the task has just been seen to end (or first seen ended): a success waits for its
 * resource where a describe call can show it; anything else, or a resource nothing can check, goes out at once.
 */
function readinessAtFinish(run: Run, next: TaskSnapshot, previous: TaskSnapshot | null): Pick<TaskSnapshot, 'ready' | 'readyAt' | 'readiness'> {
  if (!next.terminal) return { ready: null, readyAt: null, readiness: null };
  if (previous?.terminal) return { ready: previous.ready ?? null, readyAt: previous.readyAt ?? null, readiness: previous.readiness ?? null };
  if (next.outcome !== 'succeeded') return { ready: null, readyAt: null, readiness: null };
  const since = next.observedAt;
  const unchecked = (reason: string): Pick<TaskSnapshot, 'ready' | 'readyAt' | 'readiness'> => ({
    ready: null,
    readyAt: null,
    readiness: { state: 'unchecked', since, until: null, checkedAt: null, reason },
  });
  const resource = next.resource;
  if (!resource) return unchecked(`ECS named no resource for this ${next.action || 'task'}: sent when the task finished`);
  if (resource.type === 'oss-object') {
    return unchecked(`${next.action} writes ${describeResource(resource)}, which no ECS call can check: sent when the task finished`);
  }
  const waitSeconds = readyWaitOf(run, next.action);
  if (waitSeconds <= 0) return unchecked(`waiting for the ${resource.type} is off for ${next.action} (TASKHOOK_READY_WAIT): sent when the task finished`);
  const readiness: TaskReadiness = {
    state: 'waiting',
    since,
    until: new Date(Date.parse(since) + waitSeconds * 1000).toISOString(),
    checkedAt: null,
    reason: `the task finished; ${describeResource(resource)} is checked with ${DESCRIBE_CALL[resource.type]} until it is usable`,
  };
  return { ready: null, readyAt: null, readiness };
}

function noteWaiting(run: Run, task: TaskRecord): void {
  (run.waiting ??= new Map()).set(taskKeyString(task), { regionId: task.regionId, taskId: task.taskId });
}
