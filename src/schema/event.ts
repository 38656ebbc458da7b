/**
 * What taskhook delivers: one CloudEvents 1.0 event in structured JSON per POST. Task events (`ecs.task.*`),
 * operational events about taskhook's own webhooks, and the `webhook.test` ping. schemas/ecs-task-event.json is
 * generated from here (`npm run schemas`).
 */
import { z } from 'zod';
import { POLLER_EVENT_TYPES, TASK_EVENT_TYPES, WEBHOOK_EVENT_TYPES, type TaskEventData } from '../tasks/events.js';
import { EXAMPLE_SNAPSHOT, isoTime, taskSnapshot } from './snapshot.js';
import { standaloneSchema, type JsonSchema } from './json-schema.js';

const cloudEvent = {
  specversion: z.literal('1.0'),
  time: isoTime.meta({ description: 'the finish time for completion events; when taskhook saw the change for the others' }),
  datacontenttype: z.literal('application/json'),
};

export const EXAMPLE_TASK_EVENT = {
  specversion: '1.0' as const,
  id: 'evt_23298c1cb721d3177ef568a02b',
  type: 'ecs.task.succeeded' as const,
  source: 'acs:ecs:cn-hangzhou:1234567890123456:task/t-ce946ntx4wr****',
  subject: 't-ce946ntx4wr****',
  time: '2015-11-23T02:19:00Z',
  datacontenttype: 'application/json' as const,
  data: { task: EXAMPLE_SNAPSHOT, previousStatus: 'Processing', sequence: 5 },
};

export const taskEventData = z
  .object({
    task: taskSnapshot,
    previousStatus: z.string().nullable().meta({ description: 'the ECS status before this change; null for the first event of a task' }),
    sequence: z.int().min(1).meta({ description: 'grows by one per event of a task: order and deduplicate by it' }),
  })
  .meta({ id: 'TaskEventData' });

export const taskEvent = z
  .object({
    specversion: cloudEvent.specversion,
    id: z.string().meta({
      description: 'the same for the same transition in every run and on every retry (also the `webhook-id` header)',
      examples: ['evt_23298c1cb721d3177ef568a02b'],
    }),
    type: z.enum(TASK_EVENT_TYPES),
    source: z
      .string()
      .meta({ description: '`acs:ecs:<region>:<account>:task/<taskId>`', examples: ['acs:ecs:cn-hangzhou:1234567890123456:task/t-ce946ntx4wr****'] }),
    subject: z.string().meta({ description: 'the task id' }),
    time: cloudEvent.time,
    datacontenttype: cloudEvent.datacontenttype,
    data: taskEventData,
  })
  .meta({ id: 'TaskEvent', description: 'A change of one ECS asynchronous task.', examples: [EXAMPLE_TASK_EVENT] });

export const EXAMPLE_OPERATIONAL_EVENT = {
  specversion: '1.0' as const,
  id: 'evt_op_5b0c2a7e9d1f4c3b8a6e2d0f1c',
  type: 'webhook.disabled' as const,
  source: 'taskhook' as const,
  subject: 'wh_3f2a9c0d1e4b5a6978c0d1e2',
  time: '2026-11-27T10:00:00.000Z',
  datacontenttype: 'application/json' as const,
  data: { webhookId: 'wh_3f2a9c0d1e4b5a6978c0d1e2', reason: 'the endpoint answered 410 Gone', failingSince: null },
};

export const operationalEvent = z
  .object({
    specversion: cloudEvent.specversion,
    id: z.string(),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    source: z.literal('taskhook'),
    subject: z.string().meta({ description: 'the webhook id' }),
    time: cloudEvent.time,
    datacontenttype: cloudEvent.datacontenttype,
    data: z.object({
      webhookId: z.string(),
      reason: z.string(),
      failingSince: isoTime.nullable(),
      eventId: z.string().optional().meta({ description: 'delivery.exhausted: the event whose delivery died' }),
      deliveryId: z.string().optional().meta({ description: 'delivery.exhausted: the delivery that died' }),
    }),
  })
  .meta({
    id: 'OperationalEvent',
    description: 'About one of taskhook’s webhooks; sent only to webhooks that name the type.',
    examples: [EXAMPLE_OPERATIONAL_EVENT],
  });

export const EXAMPLE_POLLER_EVENT = {
  specversion: '1.0' as const,
  id: 'evt_op_0c4d2b7a9e1f3c5b8a6e2d0f1c',
  type: 'poller.blocked' as const,
  source: 'taskhook' as const,
  subject: 'ecs/cn-hangzhou',
  time: '2026-11-27T10:00:00.000Z',
  datacontenttype: 'application/json' as const,
  data: {
    regionId: 'cn-hangzhou',
    action: 'DescribeTasks',
    code: 'InvalidTimeStamp.Expired',
    reason: 'ECS refused the request’s timestamp (InvalidTimeStamp.Expired): this machine’s clock is 17 min ahead of ECS',
    fix: 'sync the clock (e.g. enable NTP: timedatectl set-ntp true) and the next run resumes by itself',
    since: '2026-11-27T10:00:00.000Z',
  },
};

export const pollerEvent = z
  .object({
    specversion: cloudEvent.specversion,
    id: z.string(),
    type: z.enum(POLLER_EVENT_TYPES),
    source: z.literal('taskhook'),
    subject: z.string().meta({ description: '`ecs/<regionId>`: the region whose polling stopped or resumed' }),
    time: cloudEvent.time,
    datacontenttype: cloudEvent.datacontenttype,
    data: z.object({
      regionId: z.string(),
      action: z.string().meta({ description: 'the ECS call that was refused' }),
      code: z.string().meta({ description: 'ECS’s error code' }),
      reason: z.string().meta({ description: 'what ECS refused, in one line' }),
      fix: z.string().meta({ description: 'what to do' }),
      since: isoTime.meta({ description: 'when polling of the region stopped' }),
    }),
  })
  .meta({
    id: 'PollerEvent',
    description:
      'Polling of a region stopped because ECS refuses the request or the caller (clock, signature, key, permission), or resumed; no task is judged meanwhile. Sent only to webhooks that name the type.',
    examples: [EXAMPLE_POLLER_EVENT],
  });

export const testEvent = z
  .object({
    specversion: cloudEvent.specversion,
    id: z.string(),
    type: z.literal('webhook.test'),
    source: z.literal('taskhook'),
    subject: z.string().meta({ description: 'the webhook id' }),
    time: cloudEvent.time,
    datacontenttype: cloudEvent.datacontenttype,
    data: z.object({ message: z.string(), webhookId: z.string() }),
  })
  .meta({ id: 'TestEvent', description: 'The ping `POST /v1/webhooks/{id}/test` sends; never stored.' });

/** Every body a delivery POSTs. */
export const deliveredEvent = z.discriminatedUnion('type', [taskEvent, operationalEvent, pollerEvent, testEvent]);

/** What the event log holds: task and operational events (test pings are not stored). */
export const loggedEvent = z.union([taskEvent, operationalEvent, pollerEvent]).meta({ id: 'LoggedEvent' });

export type TaskEvent = z.output<typeof taskEvent>;
export type OperationalEvent = z.output<typeof operationalEvent>;
export type PollerEvent = z.output<typeof pollerEvent>;
export type TestEvent = z.output<typeof testEvent>;
export type DeliveredEvent = z.output<typeof deliveredEvent>;

/** Where the schema file is served and committed. */
export const EVENT_SCHEMA_PATH = '/schemas/ecs-task-event.json';

/** The JSON Schema document of a delivery's body, as committed in schemas/ecs-task-event.json. */
export function eventJsonSchema(): JsonSchema {
  return standaloneSchema(deliveredEvent, {
    title: 'taskhook delivery',
    description:
      'The body of every webhook delivery taskhook sends: one CloudEvents 1.0 event in structured JSON (content-type application/cloudevents+json), signed the Standard Webhooks way.',
  });
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
type _DataMatches = Assert<Same<TaskEventData, z.output<typeof taskEventData>>>;
