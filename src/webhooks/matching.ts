/** Which webhooks want which events (event types plus region, action and task filters), and the deliveries that follow. */
import { createHash } from 'node:crypto';
import type { TaskEvent } from '../tasks/events.js';
import { COMPLETION_EVENT_TYPES, TASK_EVENT_TYPES } from '../tasks/events.js';
import type { NewDelivery, WebhookRecord } from '../store/port.js';

export const DEFAULT_WEBHOOK_EVENTS: string[] = [...COMPLETION_EVENT_TYPES];

export function webhookWants(webhook: WebhookRecord, type: string, task: { regionId: string; action: string; id: string }): boolean {
  if (!webhook.enabled) return false;
  // "*" is every task event; operational events (webhook.*, delivery.*) go only to webhooks that name them.
  const wildcard = webhook.events.includes('*') && (TASK_EVENT_TYPES as readonly string[]).includes(type);
  if (!webhook.events.includes(type) && !wildcard) return false;
  const { regions, actions, taskIds } = webhook.filter;
  if (regions?.length && !regions.includes(task.regionId)) return false;
  if (actions?.length && !actions.includes(task.action)) return false;
  if (taskIds?.length && !taskIds.includes(task.id)) return false;
  return true;
}

export function webhooksFor(event: TaskEvent, webhooks: WebhookRecord[]): WebhookRecord[] {
  return webhooks.filter((w) => webhookWants(w, event.type, event.data.task));
}

export function deliveriesFor(event: TaskEvent, webhooks: WebhookRecord[], now: string): NewDelivery[] {
  return webhooksFor(event, webhooks).map((w) => ({
    id: deliveryId(event.id, w.id),
    eventId: event.id,
    webhookId: w.id,
    regionId: event.data.task.regionId,
    taskId: event.data.task.id,
    sequence: event.data.sequence,
    dueAt: now,
    createdAt: now,
  }));
}

export function deliveryId(eventId: string, webhookId: string, generation = 0): string {
  const digest = createHash('sha256').update(`${eventId}\u0000${webhookId}\u0000${generation}`).digest('hex');
  return `dlv_${digest.slice(0, 26)}`;
}
