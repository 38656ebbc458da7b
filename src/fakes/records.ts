/** Stored records as tests and benchmarks build them: one definition, so neither copies the other. */
import { taskKeyString, type StateStore, type TaskKey, type WebhookRecord } from '../store/port.js';
import { eventsForTransition, type TaskEvent } from '../tasks/events.js';
import type { TaskSnapshot } from '../tasks/snapshot.js';
import { deliveriesFor } from '../webhooks/matching.js';

/** An enabled API webhook with a fixed secret, subscribed to completions unless the overrides say otherwise. */
export function webhookRecord(id: string, overrides: Partial<WebhookRecord> = {}): WebhookRecord {
  const at = overrides.createdAt ?? '2026-11-27T10:00:00Z';
  return {
    id,
    url: `https://hooks.example.com/${id}`,
    description: null,
    events: ['ecs.task.succeeded'],
    filter: {},
    enabled: true,
    disabledReason: null,
    secrets: { current: 'whsec_' + Buffer.alloc(32, 7).toString('base64') },
    source: 'api',
    failingSince: null,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}

/**
 * Commits `next` as the task's new snapshot the way the poller does: the transition's events, and a delivery of
 * each to every webhook given. The task must be watched. Returns the events.
 */
export async function commitObserved(
  store: StateStore,
  key: TaskKey,
  next: TaskSnapshot,
  webhooks: WebhookRecord[],
  at = next.observedAt,
): Promise<TaskEvent[]> {
  const record = (await store.getTasks([key])).get(taskKeyString(key))!;
  const events = eventsForTransition({ previous: record.snapshot, next, sequence: record.sequence });
  await store.commitTransition({
    key,
    expectedVersion: record.version,
    snapshot: next,
    sequence: record.sequence + events.length,
    active: !next.terminal,
    events,
    deliveries: events.flatMap((e) => deliveriesFor(e, webhooks, at)),
  });
  return events;
}
