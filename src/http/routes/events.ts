/** The event log: list, one event with its deliveries and attempts, and redelivery. */
import { HttpError } from '../../errors.js';
import type { NewDelivery } from '../../store/port.js';
import { TASK_EVENT_TYPES } from '../../tasks/events.js';
import { deliveryId, webhooksFor } from '../../webhooks/matching.js';
import type { ApiRoute } from '../app.js';
import { json, jsonBody, pageLimit, queryParam } from '../request.js';

export const eventRoutes: ApiRoute[] = [
  {
    method: 'GET',
    path: '/v1/events',
    handler: async (event, deps) => {
      const type = queryParam(event, 'type');
      if (type && !(TASK_EVENT_TYPES as readonly string[]).includes(type)) throw new HttpError(400, 'InvalidParameter', `type must be one of ${TASK_EVENT_TYPES.join(', ')}`);
      const page = await deps.store.listEvents({
        limit: pageLimit(event),
        cursor: queryParam(event, 'cursor'),
        taskId: queryParam(event, 'taskId'),
        regionId: queryParam(event, 'regionId'),
        type,
      });
      return json(200, { events: page.items.map((s) => s.event), cursor: page.cursor ?? null });
    },
  },
  {
    method: 'GET',
    path: '/v1/events/{eventId}',
    handler: async (event, deps) => {
      const stored = await requireEvent(deps.store, event.pathParameters?.eventId);
      const [deliveries, attempts] = await Promise.all([
        deps.store.listDeliveries({ eventId: stored.event.id, limit: 100 }),
        deps.store.listAttempts({ eventId: stored.event.id, limit: 100 }),
      ]);
      return json(200, { event: stored.event, deliveries: deliveries.items, attempts: attempts.items });
    },
  },
  {
    method: 'POST',
    path: '/v1/events/{eventId}/redeliver',
    handler: async (event, deps) => {
      const stored = await requireEvent(deps.store, event.pathParameters?.eventId);
      const body = event.body ? jsonBody<{ webhookId?: unknown }>(event) : {};
      const webhooks = await deps.store.listWebhooks();
      let targets = webhooksFor(stored.event, webhooks);
      if (body.webhookId !== undefined) {
        // Naming a webhook sends to it even if it did not subscribe to this type, as a manual resend should.
        const chosen = webhooks.find((w) => w.id === body.webhookId);
        if (!chosen) throw new HttpError(404, 'WebhookNotFound', `no webhook "${String(body.webhookId)}"`);
        if (!chosen.enabled) throw new HttpError(409, 'WebhookDisabled', `webhook ${chosen.id} is disabled (${chosen.disabledReason}); enable it with PATCH first`);
        targets = [chosen];
      }
      if (targets.length === 0) throw new HttpError(409, 'NoMatchingWebhook', 'no enabled webhook subscribes to this event; name one with {"webhookId": "..."}');
      const now = new Date(deps.now()).toISOString();
      const deliveries: NewDelivery[] = targets.map((w) => ({
        id: deliveryId(stored.event.id, w.id, deps.now()),
        eventId: stored.event.id,
        webhookId: w.id,
        regionId: stored.regionId,
        taskId: stored.taskId,
        sequence: stored.event.data.sequence,
        dueAt: now,
        createdAt: now,
      }));
      await deps.store.enqueueDeliveries(deliveries);
      return json(202, { deliveries: deliveries.map((d) => ({ id: d.id, webhookId: d.webhookId, dueAt: d.dueAt })) });
    },
  },
];

async function requireEvent(store: Parameters<ApiRoute['handler']>[1]['store'], id: string | undefined) {
  const stored = id ? await store.getEvent(id) : null;
  if (!stored) throw new HttpError(404, 'EventNotFound', `no event "${id ?? ''}"; it may be past its retention period`);
  return stored;
}
