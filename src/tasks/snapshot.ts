/** The normalized view of one ECS asynchronous task, as every part of taskhook sees it. */

export type TaskOutcome = 'pending' | 'running' | 'paused' | 'succeeded' | 'partially_failed' | 'failed' | 'cancelled' | 'not_found' | 'unknown';

export interface RelatedItem {
  name: string;
  value: string;
}

export interface TaskOperation {
  status: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  relatedItems: RelatedItem[];
}

export interface TaskCounts {
  total: number;
  succeeded: number;
  failed: number;
}

/** What a task makes or changes, in the kinds taskhook can name. */
export type ResourceType = 'image' | 'disk' | 'instance' | 'snapshot' | 'oss-object';

export interface TaskResource {
  type: ResourceType;
  /** `m-…`, `d-…`, `i-…`, `s-…`, or `<bucket>/<object>` for an exported image. */
  id: string;
  /** Its last known status from its own describe call (a snapshot's `Category`); null until one answered. */
  status: string | null;
}

/**
 * Whether the resource can be used yet: `waiting` (the task finished, its resource is checked each run), `ready`,
 * `not_ready` (the wait ended without it: the bound passed or the resource failed), `unchecked` (no describe call
 * taskhook may use, or no resource named).
 */
export type ReadinessState = 'waiting' | 'ready' | 'not_ready' | 'unchecked';

export interface TaskReadiness {
  state: ReadinessState;
  /** When taskhook saw the task finish: the wait starts here. */
  since: string;
  /** When the wait gives up and the completion goes out anyway; null when nothing is waited for. */
  until: string | null;
  /** When the resource's describe call last answered about it. */
  checkedAt: string | null;
  /** Why it is not ready or not checked, in one line; null once ready. */
  reason: string | null;
}

/** A running task whose progress stopped moving for longer than its kind usually takes (src/tasks/stall.ts). */
export interface TaskStall {
  /** When the progress last moved (or the task started, for a task past its slowest recent duration). */
  since: string;
  /** How long it had been stuck when the stall was reported, seconds. */
  stuckSeconds: number;
  /** `step`: no progress for longer than a step usually takes; `duration`: running past the slowest recent duration. */
  expectation: 'step' | 'duration';
  /** The bound it broke, seconds. */
  expectedSeconds: number;
  /** The expectation in one line, e.g. "progress stuck at 40 % for 1 h 5 min; a 10 % step usually takes 6 min". */
  reason: string;
}

export interface TaskSnapshot {
  id: string;
  regionId: string;
  /** The API that created the task, e.g. `ExportImage` (`EXPORT_IMAGE` is normalized to this). */
  action: string;
  /** The raw `TaskStatus` as ECS reported it. */
  status: string;
  outcome: TaskOutcome;
  terminal: boolean;
  /** 0–100 from `TaskProcess` ("45%"); null when ECS did not say (DescribeTasks never does). */
  progress: number | null;
  supportCancel: boolean;
  createdAt: string | null;
  finishedAt: string | null;
  durationSeconds: number | null;
  /** Null when only DescribeTasks was seen: it carries no counts. */
  counts: TaskCounts | null;
  operations: TaskOperation[];
  /** The image, instance or disk the task works on (DescribeTasks only). */
  resourceId: string | null;
  requestId: string | null;
  observedAt: string;
  /** When the task is expected to finish (src/tasks/estimate.ts); null once terminal or when nothing is known yet. */
  estimatedFinishAt?: string | null;
  /** What the task makes or changes, and its last known status (src/tasks/resource.ts); null when ECS named none. */
  resource?: TaskResource | null;
  /** Whether the resource is usable: true ready, false the completion went out without it, null not known or not yet. */
  ready?: boolean | null;
  /** When taskhook saw the resource usable. */
  readyAt?: string | null;
  /** The wait for the resource after the task finished; null before it finishes or when it did not succeed. */
  readiness?: TaskReadiness | null;
  /** When the progress last changed (first seen at its current value); null while progress is unknown. */
  progressSince?: string | null;
  /** Set while the task is reported stalled; cleared when it moves again. */
  stall?: TaskStall | null;
}
