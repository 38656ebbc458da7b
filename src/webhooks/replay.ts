/** Sending again on request: one event (redeliver), a webhook's failures since a time (recover), a test ping. */
import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { Delivery, NewDelivery, StateStore, StoredEvent, WebhookRecord } from '../store/port.js';
import { attemptSend, type SendResult } from './delivery.js';
import type { WebhookClient } from './http-client.js';
import { deliveryId, webhooksFor } from './matching.js';
import { isOperationalType, operationalSequence, operationalSubscribers, type OperationalEvent } from './operational.js';

/** Svix's limit for a recovery window; older deliveries are replayed one event at a time. */
export const MAX_RECOVER_WINDOW_MS = 14 * 24 * 3_600_000;

export async function requireEvent(store: StateStore, id: string | undefined): Promise<StoredEvent> {
  const stored = id ? await store.getEvent(id) : null;
  if (!stored) throw new NotFoundError('EventNotFound', `no event "${id ?? ''}"; it may be past its retention period`);
  return stored;
}

/**
 * The event delivered again to every matching webhook, or to the one named (even if it did not subscribe): a webhook
 * with a delivery of it still waiting gets that one, due now, rather than another (a loop of replays queues one).
 */
export async function redeliver(
  store: StateStore,
  stored: StoredEvent,
  webhookId: unknown,
  now: number,
): Promise<Array<Pick<NewDelivery, 'id' | 'webhookId' | 'dueAt'>>> {
  const webhooks = await store.listWebhooks();
  // An operational event has no task to filter on: it goes to the webhooks that name its type, as when it was published.
  const operational = isOperationalType(stored.event.type) ? (stored.event as unknown as OperationalEvent) : null;
  let targets = operational ? operationalSubscribers(operational, webhooks) : webhooksFor(stored.event, webhooks);
  if (webhookId !== undefined) {
    const chosen = webhooks.find((w) => w.id === webhookId);
    if (!chosen) throw new NotFoundError('WebhookNotFound', `no webhook ${JSON.stringify(webhookId)}`);
    if (!chosen.enabled) throw new ConflictError('WebhookDisabled', `webhook ${chosen.id} is disabled (${chosen.disabledReason}); enable it with PATCH first`);
    targets = [chosen];
  }
  if (targets.length === 0) throw new ConflictError('NoMatchingWebhook', 'no enabled webhook subscribes to this event; name one with {"webhookId": "..."}');
  const at = new Date(now).toISOString();
  const waiting = new Map(
    (await store.listDeliveries({ eventId: stored.event.id, limit: 500 })).items.filter((d) => d.status === 'pending').map((d) => [d.webhookId, d]),
  );
  const again = targets.filter((w) => waiting.has(w.id)).map((w) => waiting.get(w.id)!);
  for (const d of again) await store.rescheduleDelivery(d.id, at);
  const deliveries = targets
    .filter((w) => !waiting.has(w.id))
    .map((w) => ({
      id: deliveryId(stored.event.id, w.id, now),
      eventId: stored.event.id,
      webhookId: w.id,
      regionId: stored.regionId,
      taskId: stored.taskId,
      sequence: operational ? operationalSequence(operational) : stored.event.data.sequence,
      dueAt: at,
      createdAt: at,
    }));
  await store.enqueueDeliveries(deliveries);
  return [...deliveries, ...again.map((d) => ({ id: d.id, webhookId: d.webhookId, dueAt: at }))];
}

/** Every failed (still retrying) or dead delivery of the webhook created since `since`: due now, or delivered afresh. */
export async function recover(store: StateStore, webhook: WebhookRecord, since: string, now: number): Promise<string[]> {
  if (now - Date.parse(since) > MAX_RECOVER_WINDOW_MS) throw new InvalidInputError('InvalidParameter', 'since may reach back at most 14 days', 'since');
  const failed: Delivery[] = [];
  let cursor: string | undefined;
  do {
    // Newest first: stop paging at the first page that reaches past `since`.
    const page = await store.listDeliveries({ webhookId: webhook.id, limit: 500, cursor });
    failed.push(...page.items.filter((d) => d.createdAt >= since && (d.status === 'dead' || (d.status === 'pending' && d.attempts > 0))));
    cursor = page.items.some((d) => d.createdAt < since) ? undefined : page.cursor;
  } while (cursor);
  const at = new Date(now).toISOString();
  const retrying = failed.filter((d) => d.status === 'pending');
  for (const d of retrying) await store.rescheduleDelivery(d.id, at);
  const fresh = failed
    .filter((d) => d.status === 'dead')
    .map((d) => ({
      id: deliveryId(d.eventId, webhook.id, now),
      eventId: d.eventId,
      webhookId: webhook.id,
      regionId: d.regionId,
      taskId: d.taskId,
      sequence: d.sequence,
      dueAt: at,
      createdAt: at,
    }));
  await store.enqueueDeliveries(fresh);
  return [...fresh.map((d) => d.id), ...retrying.map((d) => d.id)];
}

/** A signed `webhook.test` event sent at once; the answer is the attempt, nothing is stored. */
export async function sendTestPing(client: WebhookClient, webhook: WebhookRecord, now: () => number): Promise<{ eventId: string } & SendResult['attempt']> {
  const ping = {
    specversion: '1.0',
    id: 'evt_test_' + randomBytes(10).toString('hex'),
    type: 'webhook.test',
    source: 'taskhook',
    subject: webhook.id,
    time: new Date(now()).toISOString(),
    datacontenttype: 'application/json',
    data: { message: 'a test delivery from taskhook; answer 2xx to pass', webhookId: webhook.id },
  };
  const { attempt } = await attemptSend({ client, now }, webhook, ping.id, JSON.stringify(ping), 10_000);
  return { eventId: ping.id, ...attempt };
}
