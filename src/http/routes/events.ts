/** The event log: list, one event with its deliveries and attempts, and redelivery. */
import { InvalidInputError } from '../../errors.js';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../tasks/events.js';
import { redeliver, requireEvent } from '../../webhooks/replay.js';
import { json, jsonBody, pageLimit, queryParam } from '../request.js';
import type { ApiRoute } from '../route.js';

export const eventRoutes: ApiRoute[] = [
  {
    method: 'GET',
    path: '/v1/events',
    handler: async (event) => {
      const type = queryParam(event, 'type');
      if (type && !(SUBSCRIBABLE_EVENT_TYPES as readonly string[]).includes(type))
        throw new InvalidInputError('InvalidParameter', `type must be one of ${SUBSCRIBABLE_EVENT_TYPES.join(', ')}`, 'type');
      const page = await event.deps.store.listEvents({
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
    handler: async (event) => {
      const stored = await requireEvent(event.deps.store, event.pathParameters?.eventId);
      const [deliveries, attempts] = await Promise.all([
        event.deps.store.listDeliveries({ eventId: stored.event.id, limit: 100 }),
        event.deps.store.listAttempts({ eventId: stored.event.id, limit: 100 }),
      ]);
      return json(200, { event: stored.event, deliveries: deliveries.items, attempts: attempts.items });
    },
  },
  {
    method: 'POST',
    path: '/v1/events/{eventId}/redeliver',
    handler: async (event) => {
      const stored = await requireEvent(event.deps.store, event.pathParameters?.eventId);
      const body = event.body ? jsonBody<{ webhookId?: unknown }>(event) : {};
      const deliveries = await redeliver(event.deps.store, stored, body.webhookId, event.deps.now());
      return json(202, { deliveries: deliveries.map((d) => ({ id: d.id, webhookId: d.webhookId, dueAt: d.dueAt })) });
    },
  },
];
