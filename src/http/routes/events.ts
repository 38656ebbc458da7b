/** The event log: list, one event with its deliveries and attempts, and redelivery. */
import { eventDetail, eventList, eventPath, listEventsQuery, MAX_FEED_WAIT_SECONDS, redeliverBody, redelivered } from '../../schema/api/events.js';
import type { StoredEvent, WebhookRecord } from '../../store/port.js';
import { webhookWants } from '../../webhooks/matching.js';
import { redeliver, requireEvent } from '../../webhooks/replay.js';
import { admitReplay } from '../replay-limit.js';
import { InvalidInputError } from '../../errors.js';
import { json } from '../request.js';
import type { ApiRoute } from '../route.js';
import { defineRoute } from '../validate.js';

/**
 * How often a long poll reads the store again when no commit in this process woke it: the API function on FC is not
 * the poller, so only a re-read sees its commits. Keeps an event's arrival within a second of its commit.
 */
export const FEED_REREAD_MS = 400;

/** The feed's filter: a subscription as a webhook would hold it, judged by the webhooks' own matching. */
function feedFilter(query: { events?: string[]; regions?: string[]; regionId?: string; taskId?: string; type?: string }) {
  const subscriber: WebhookRecord = {
    id: 'wh_feed',
    url: 'https://feed.invalid/',
    description: null,
    events: query.events ?? ['*'],
    filter: query.regions?.length ? { regions: query.regions } : {},
    enabled: true,
    disabledReason: null,
    secrets: { current: '' },
    source: 'api',
    failingSince: null,
    createdAt: '',
    updatedAt: '',
  };
  return (s: StoredEvent) =>
    (!query.regionId || s.regionId === query.regionId) &&
    (!query.taskId || s.taskId === query.taskId) &&
    (!query.type || s.event.type === query.type) &&
    webhookWants(subscriber, s.event.type, {
      regionId: s.regionId,
      action: (s.event.data.task as { action?: string } | undefined)?.action ?? '',
      id: s.taskId,
    });
}

export const eventRoutes: ApiRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/events',
    schema: {
      operationId: 'listEvents',
      summary: 'The event log',
      description: `Task events and operational events, newest first. Operational events are logged under \`regionId=taskhook\` and \`taskId=<webhook id>\`.\n\nWith \`after\`, the feed: the events committed after that cursor, oldest first in commit order, filtered by \`events\` and \`regions\` as a webhook subscription is; pass the answer's \`cursor\` as \`after\` next. With \`wait\` (at most ${MAX_FEED_WAIT_SECONDS} s, below the API function's 60 s timeout) the answer waits until at least one event is there, else comes empty after \`wait\` seconds. A cursor stays valid across restarts and instances; an event arrives within about a second of its commit.`,
      tag: 'Events',
      query: listEventsQuery,
      responses: { 200: { description: 'A page of events', body: eventList } },
      errors: { 400: 'InvalidCursor (after is not now, start or a cursor of this feed), or a query parameter out of range' },
    },
    handler: async ({ input, deps }) => {
      const { after, wait = 0, limit, cursor } = input.query;
      if (after === undefined) {
        const page = await deps.store.listEvents(input.query);
        return json(200, { events: page.items.map((s) => s.event), cursor: page.cursor ?? null });
      }
      if (cursor !== undefined)
        throw new InvalidInputError('InvalidParameter', 'cursor pages the newest-first listing and after reads the feed: pass one of them', 'cursor');
      const wants = feedFilter(input.query);
      const deadline = Date.now() + wait * 1000;
      // `now` becomes a position at the first read, so an event committed while this answer waits is not missed.
      for (let from = after; ;) {
        const page = await deps.store.readFeed({ after: from, limit, wants });
        from = page.cursor;
        const left = deadline - Date.now();
        if (page.items.length > 0 || left <= 0) return json(200, { events: page.items.map((s) => s.event), cursor: page.cursor });
        await deps.store.eventsCommitted(Math.min(FEED_REREAD_MS, left));
      }
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
