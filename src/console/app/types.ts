/** The API's answers as the console reads them; the records are the server's own types, so a change there shows up here. */
import type { Delivery, DeliveryAttempt, TaskRecord, WebhookRecord } from '../../store/port.js';
import type { TaskSnapshot } from '../../tasks/snapshot.js';

export type { Delivery, DeliveryAttempt, TaskSnapshot };

/** A snapshot, with the estimated finish a server may add to it (absent when it has none). */
export type TaskState = TaskSnapshot & { estimatedFinishAt?: string | null };

/** A watch-list item; `lastPolledAt` and `estimatedFinishAt` may be absent from older servers. */
export type TaskItem = Omit<TaskRecord, 'lastPolledAt' | 'snapshot'> & {
  snapshot: TaskState | null;
  lastPolledAt?: string | null;
  estimatedFinishAt?: string | null;
};

/** When a running task is expected to finish, from the item or its snapshot; null when finished or not estimated. */
export const estimatedFinish = (item: { snapshot: TaskState | null; estimatedFinishAt?: string | null }): string | null =>
  item.snapshot?.terminal ? null : (item.estimatedFinishAt ?? item.snapshot?.estimatedFinishAt ?? null);

/** An event from the log: a task event (data.task) or an operational one (data.webhookId). */
export interface ConsoleEvent {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  data: {
    task?: TaskSnapshot;
    previousStatus?: string | null;
    sequence?: number;
    webhookId?: string;
    reason?: string;
  } & Record<string, unknown>;
}

/** A webhook as the API shows it: no secrets, the signing algorithm and any rotation in progress. */
export type Webhook = Omit<WebhookRecord, 'secrets'> & {
  signing?: string;
  secretRotation?: { previousExpiresAt: string; previousSecrets: number } | null;
};

export interface PingResult {
  eventId: string;
  status: number | null;
  success: boolean;
  durationMs: number;
  error: string | null;
  responseSnippet: string;
}

/** One poll run from GET /v1/runs. */
export interface PollRun {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  summary: {
    ecsCalls?: Record<string, number>;
    throttled?: number;
    durationMs?: number;
    tasks?: { active?: number; polled?: number; deferred?: number };
    staleness?: { seconds?: number | null } | null;
    blocked?: Array<{ regionId: string; action: string; code: string; reason: string; fix: string }>;
    clockSkewSeconds?: number;
  } & Record<string, unknown>;
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
}
