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
}
