/** The event log: list, one event with its deliveries and attempts, and redelivery. */
import { eventDetail, eventList, eventPath, listEventsQuery, redeliverBody, redelivered } from '../../schema/api/events.js';
import { redeliver, requireEvent } from '../../webhooks/replay.js';
import { admitReplay } from '../replay-limit.js';
import { json } from '../request.js';
import type { ApiRoute } from '../route.js';
import { defineRoute } from '../validate.js';

export const eventRoutes: ApiRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/events',
    schema: {
      operationId: 'listEvents',
      summary: 'The event log',
      description: 'Task events and operational events, newest first. Operational events are logged under `regionId=taskhook` and `taskId=<webhook id>`.',
      tag: 'Events',
      query: listEventsQuery,
      responses: { 200: { description: 'A page of events', body: eventList } },
    },
    handler: async ({ input, deps }) => {
      const page = await deps.store.listEvents(input.query);
      return json(200, { events: page.items.map((s) => s.event), cursor: page.cursor ?? null });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/events/{eventId}',
    schema: {
      operationId: 'getEvent',
      summary: 'One event',
      description: 'The event with its deliveries and their attempts.',
      tag: 'Events',
      params: eventPath,
      responses: { 200: { description: 'The event, its deliveries and attempts', body: eventDetail } },
      errors: { 404: 'EventNotFound (it may be past its retention period)' },
    },
    handler: async ({ input, deps }) => {
      const stored = await requireEvent(deps.store, input.params.eventId);
      const [deliveries, attempts] = await Promise.all([
        deps.store.listDeliveries({ eventId: stored.event.id, limit: 100 }),
        deps.store.listAttempts({ eventId: stored.event.id, limit: 100 }),
      ]);
      return json(200, { event: stored.event, deliveries: deliveries.items, attempts: attempts.items });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/events/{eventId}/redeliver',
    schema: {
      operationId: 'redeliverEvent',
      summary: 'Deliver an event again',
      description:
        'To every matching webhook, or to `{"webhookId"}` alone; the next poll run sends it, with the same `webhook-id`. A webhook that already has a delivery of the event waiting gets that one (due now), not another. At most 30 replays a minute per token.',
      tag: 'Events',
      params: eventPath,
      body: redeliverBody,
      bodyOptional: true,
      responses: { 202: { description: 'The new deliveries', body: redelivered } },
      errors: {
        404: 'EventNotFound, or WebhookNotFound for the webhookId named',
        409: 'NoMatchingWebhook (no enabled webhook subscribes to it), or WebhookDisabled for the webhookId named',
        429: 'TooManyReplays: more than 30 replays a minute with this token (Retry-After)',
      },
    },
    handler: async ({ input, deps, headers }) => {
      admitReplay({ headers }, deps.now());
      const stored = await requireEvent(deps.store, input.params.eventId);
      const deliveries = await redeliver(deps.store, stored, input.body.webhookId, deps.now());
      return json(202, { deliveries: deliveries.map((d) => ({ id: d.id, webhookId: d.webhookId, dueAt: d.dueAt })) });
    },
  }),
];
