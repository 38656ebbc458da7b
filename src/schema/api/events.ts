/** The event log: listing, one event with its deliveries and attempts, redelivery; and the delivery records themselves. */
import { z } from 'zod';
import { REGION_ID, TASK_ID } from '../../config.js';
import type { Delivery, DeliveryAttempt } from '../../store/port.js';
import { SUBSCRIBABLE_EVENT_TYPES } from '../../tasks/events.js';
import { EXAMPLE_TASK_EVENT, loggedEvent } from '../event.js';
import { withRule, shown } from '../rules.js';
import { isoTime } from '../snapshot.js';
import { documentedAs } from '../json-schema.js';
import { cursorField, cursorOf, eventId, limit, WEBHOOK_ID, webhookId } from './common.js';

export const EXAMPLE_DELIVERY: Delivery = {
  id: 'dlv_8c1f0e6a2b4d9e7f3a5c1b0d2e',
  eventId: EXAMPLE_TASK_EVENT.id,
  webhookId: 'wh_3f2a9c0d1e4b5a6978c0d1e2',
  regionId: 'cn-hangzhou',
  taskId: 't-ce946ntx4wr****',
  sequence: 5,
  dueAt: '2015-11-23T02:19:41.000Z',
  createdAt: '2015-11-23T02:19:41.000Z',
  status: 'succeeded',
  attempts: 1,
  nextAttemptAt: null,
  lastAttemptAt: '2015-11-23T02:19:42.000Z',
  lastStatus: 204,
  lastError: null,
  updatedAt: '2015-11-23T02:19:42.000Z',
};

export const EXAMPLE_ATTEMPT: DeliveryAttempt = {
  deliveryId: EXAMPLE_DELIVERY.id,
  eventId: EXAMPLE_TASK_EVENT.id,
  webhookId: EXAMPLE_DELIVERY.webhookId,
  attempt: 1,
  at: '2015-11-23T02:19:42.000Z',
  status: 204,
  durationMs: 87,
  success: true,
  error: null,
  responseSnippet: '',
};

export const delivery = z
  .object({
    id: z.string(),
    eventId: z.string(),
    webhookId: z.string(),
    regionId: z.string().meta({ description: 'the task’s region; `taskhook` for operational events' }),
    taskId: z.string().meta({ description: 'the task id; the webhook id for operational events' }),
    sequence: z.int().min(0),
    dueAt: isoTime,
    createdAt: isoTime,
    status: z.enum(['pending', 'succeeded', 'dead']).meta({ description: 'dead: every retry failed; it waits for a replay' }),
    attempts: z.int().min(0),
    nextAttemptAt: isoTime.nullable().meta({ description: 'null once succeeded or dead' }),
    lastAttemptAt: isoTime.nullable(),
    lastStatus: z.int().nullable().meta({ description: 'HTTP status of the last attempt; null when no answer came back' }),
    lastError: z.string().nullable(),
    updatedAt: isoTime,
  })
  .meta({ id: 'Delivery', description: 'One event on its way to one webhook.', examples: [EXAMPLE_DELIVERY] });

export const deliveryAttempt = z
  .object({
    deliveryId: z.string(),
    eventId: z.string(),
    webhookId: z.string(),
    attempt: z.int().min(1),
    at: isoTime,
    status: z.int().nullable().meta({ description: 'HTTP status; null when no response came back' }),
    durationMs: z.number().min(0),
    success: z.boolean(),
    error: z.string().nullable().meta({
      description:
        'why it failed: an HTTP status, or BlockedAddress, Unresolvable, InvalidUrl, Timeout, ConnectionRefused, ConnectionReset, NetworkError, TlsError',
    }),
    responseSnippet: z.string().meta({ description: 'the first 4 KB of the response body' }),
  })
  .meta({ id: 'DeliveryAttempt', description: 'One POST of a delivery.', examples: [EXAMPLE_ATTEMPT] });

/** Task events are logged under the task; operational events under region `taskhook` and their webhook's id. */
const logRegion = withRule(
  z
    .string()
    .refine((v) => v === 'taskhook' || REGION_ID.test(v))
    .meta({ description: 'a region id, or `taskhook` for operational events', examples: ['cn-hangzhou'] }),
  { code: 'InvalidRegionId.Malformed', message: (v) => `${shown(v)} is not a region id (e.g. cn-hangzhou) nor "taskhook"` },
);
const logSubject = withRule(
  z
    .string()
    .refine((v) => TASK_ID.test(v) || WEBHOOK_ID.test(v))
    .meta({ description: 'a task id, or a webhook id for operational events', examples: ['t-bp1kg5nqq8r5muhhqb3a'] }),
  { code: 'InvalidTaskId.Malformed', message: (v) => `${shown(v)} is neither a task id (t-…) nor a webhook id (wh_…)` },
);
const eventType = withRule(z.enum(SUBSCRIBABLE_EVENT_TYPES), {
  code: 'InvalidParameter',
  message: () => `type must be one of ${SUBSCRIBABLE_EVENT_TYPES.join(', ')}`,
});

/** The longest `wait` of a long poll: well below the API function's 60 s timeout (s.yaml), with room for the answer. */
export const MAX_FEED_WAIT_SECONDS = 25;

/** A feed cursor as the store writes it (src/store/layer.ts), base64url of `feed:<position>`. */
const FEED_CURSOR = /^feed:\d{1,15}$/;
const isFeedCursor = (value: string) =>
  value === 'now' || value === 'start' || (/^[A-Za-z0-9_-]+$/.test(value) && FEED_CURSOR.test(Buffer.from(value, 'base64url').toString('utf8')));

const feedAfter = withRule(z.string().refine(isFeedCursor), {
  code: 'InvalidCursor',
  message: () => 'after must be now, start, or the cursor of an earlier feed answer; start again with after=now',
});
const feedWait = withRule(
  z
    .string()
    .regex(/^\d+(\.\d+)?$/)
    .transform(Number)
    .pipe(z.number().min(0).max(MAX_FEED_WAIT_SECONDS)),
  { code: 'InvalidParameter', message: (v) => `wait must be seconds from 0 to ${MAX_FEED_WAIT_SECONDS}, got ${shown(v)}` },
);
const FEED_EVENT_CHOICES: readonly string[] = ['*', ...SUBSCRIBABLE_EVENT_TYPES];
const feedEvents = withRule(
  z
    .string()
    .transform((v) => v.split(',').map((e) => e.trim()))
    .refine((list) => list.length > 0 && list.every((e) => FEED_EVENT_CHOICES.includes(e))),
  { code: 'InvalidEvents', message: () => `events must be a comma-separated list of: ${FEED_EVENT_CHOICES.join(', ')}` },
);
const feedRegions = withRule(
  z
    .string()
    .transform((v) => v.split(',').map((r) => r.trim()))
    .refine((list) => list.every((r) => r === 'taskhook' || REGION_ID.test(r))),
  { code: 'InvalidRegionId.Malformed', message: (v) => `regions must be comma-separated region ids (e.g. cn-hangzhou,cn-shanghai), got ${shown(v)}` },
);

export const listEventsQuery = z.strictObject({
  limit,
  cursor: cursorOf('events'),
  taskId: logSubject.optional(),
  regionId: logRegion.optional(),
  type: eventType.optional(),
  after: documentedAs(feedAfter.optional(), {
    type: 'string',
    description:
      'read the feed instead of the newest-first listing: the events committed after this cursor, oldest first. `now`: from now on; `start`: every event kept; else the `cursor` of the previous answer (valid across restarts and instances)',
    examples: ['now'],
  }),
  wait: documentedAs(feedWait.optional(), {
    type: 'number',
    minimum: 0,
    maximum: MAX_FEED_WAIT_SECONDS,
    default: 0,
    description: `with \`after\`: seconds to wait for an event when none is there yet (a long poll); the answer comes as soon as one is committed, else empty after this long. At most ${MAX_FEED_WAIT_SECONDS}`,
  }),
  events: documentedAs(feedEvents.optional(), {
    type: 'string',
    description:
      'with `after`: comma-separated event types, as a webhook subscribes to them; default `*` (every task event); operational events only when named',
    examples: ['ecs.task.succeeded,ecs.task.failed'],
  }),
  regions: documentedAs(feedRegions.optional(), {
    type: 'string',
    description: 'with `after`: only the events of these regions (comma-separated), as a webhook’s `filter.regions`',
    examples: ['cn-hangzhou'],
  }),
});
export const eventPath = z.strictObject({ eventId });
export const redeliverBody = z.strictObject({
  webhookId: webhookId.optional().meta({ description: 'send to this webhook only (even if it did not subscribe)' }),
});

export const eventList = z.object({ events: z.array(loggedEvent), cursor: cursorField }).meta({
  id: 'EventList',
  description:
    'The event log, newest first; with `after`, the feed: oldest first, and `cursor` is always there, to pass as `after` next (the same one when nothing new came).',
  examples: [{ events: [EXAMPLE_TASK_EVENT], cursor: null }],
});
export const eventDetail = z.object({ event: loggedEvent, deliveries: z.array(delivery), attempts: z.array(deliveryAttempt) }).meta({
  id: 'EventDetail',
  description: 'One event with its deliveries and their attempts (newest first, at most 100 each).',
  examples: [{ event: EXAMPLE_TASK_EVENT, deliveries: [EXAMPLE_DELIVERY], attempts: [EXAMPLE_ATTEMPT] }],
});
export const redelivered = z.object({ deliveries: z.array(z.object({ id: z.string(), webhookId: z.string(), dueAt: isoTime })) }).meta({
  id: 'Redelivered',
  description: 'The new deliveries, sent by the next poll run.',
  examples: [{ deliveries: [{ id: 'dlv_0b9e3c1d7a2f4e8c6b5a1d0e9f', webhookId: EXAMPLE_DELIVERY.webhookId, dueAt: '2026-11-27T10:00:00.000Z' }] }],
});

type Assert<T extends true> = T;
type _DeliveryFits = Assert<Delivery extends z.output<typeof delivery> ? (z.output<typeof delivery> extends Delivery ? true : false) : false>;
type _AttemptFits = Assert<
  DeliveryAttempt extends z.output<typeof deliveryAttempt> ? (z.output<typeof deliveryAttempt> extends DeliveryAttempt ? true : false) : false
>;
