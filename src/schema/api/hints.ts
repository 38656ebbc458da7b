/** POST /v1/hints: the Alibaba Cloud event a hint is (any JSON object: src/hints/parse.ts reads it) and the answer. */
import { z } from 'zod';

const count = z.int().min(0);

/** An ActionTrail record of an ImportImage call, as EventBridge posts it (CloudEvents 1.0). */
export const EXAMPLE_HINT = {
  specversion: '1.0',
  id: '8f3e6a52-2f1c-4b0e-9d7a-5c4b3a2e1f00',
  source: 'acs.ecs',
  type: 'ecs:ActionTrail:ApiCall',
  subject: 'acs.ecs:cn-hangzhou:1234567890123456:ImportImage',
  time: '2026-11-27T10:00:00Z',
  datacontenttype: 'application/json;charset=utf-8',
  aliyunaccountid: '1234567890123456',
  aliyunregionid: 'cn-hangzhou',
  aliyuneventbusname: 'default',
  data: {
    eventName: 'ImportImage',
    eventType: 'ApiCall',
    eventRW: 'Write',
    serviceName: 'Ecs',
    acsRegion: 'cn-hangzhou',
    eventTime: '2026-11-27T10:00:00Z',
    requestId: '6B7C3B46-3E2A-4B1C-9A55-7D2E1F0A9C11',
    requestParameters: { RegionId: 'cn-hangzhou', ImageName: 'ubuntu-22-custom' },
    responseElements: {
      RequestId: '6B7C3B46-3E2A-4B1C-9A55-7D2E1F0A9C11',
      TaskId: 't-bp1kg5nqq8r5muhhqb3a',
      ImageId: 'm-bp1g7004ksh0oeuc****',
      RegionId: 'cn-hangzhou',
    },
  },
};

export const hintPath = z.strictObject({
  token: z.string().meta({ description: 'a token from TASKHOOK_HINT_TOKENS; never logged or echoed' }),
});

export const hintBody = z.record(z.string(), z.unknown()).meta({
  description:
    'An EventBridge event (CloudEvents 1.0), sent with any content type: an ActionTrail API-call record (`ecs:ActionTrail:ApiCall` or `actiontrail:ActionTrail:ApiCall`) of ImportImage, ExportImage, ModifyDiskSpec, RedeployInstance, or ModifySnapshotCategory with Category=Archive (its task action is ArchiveSnapshot), with or without a TaskId in `responseElements`; or `Image:StateChange`. The bare record or notification is read too. Anything else is answered 202 with `reason: "ignored"`.',
  examples: [EXAMPLE_HINT],
});

export const HINT_REASONS = ['ignored', 'rate', 'duplicate', 'unmatched', 'not-found', 'unanswered'] as const;

export const hintAnswer = z
  .union([
    z.object({
      accepted: z.literal(true),
      kind: z.enum(['api-call', 'image-state']).meta({ description: 'an ActionTrail call record, or an image that reached a final state' }),
      regionId: z.string(),
      taskIds: z.array(z.string()).meta({ description: 'the watched tasks the hint polled' }),
      polled: count.meta({ description: 'tasks ECS answered for' }),
      events: z.record(z.string(), count).meta({ description: 'events the poll recorded, by type' }),
      ecsCalls: z.record(z.string(), count).meta({ description: 'ECS calls the hint made (the lookup and the poll), by API' }),
      lookup: z
        .object({
          call: z.literal('DescribeTasks'),
          found: count.meta({ description: 'tasks of the task action DescribeTasks shows created in the minutes around the call' }),
          watched: count.meta({ description: 'of those, the ones not watched before: watched now and polled (`taskIds`)' }),
        })
        .optional()
        .meta({ description: 'present when the record carried no TaskId: how the task was looked up (once per region, task action and minute)' }),
    }),
    z.object({
      accepted: z.literal(false),
      reason: z.enum(HINT_REASONS).meta({
        description:
          '`ignored`: not an event taskhook uses; `rate`: over the hint rate, not polled; `duplicate`: the same task was hinted seconds ago, or the minute of a call without TaskId was already looked up; `unmatched`: no watched ImportImage task works on the image; `not-found`: ECS does not show the task (or DescribeTasks shows none for a call without TaskId), so nothing is watched; `unanswered`: ECS did not answer, so nothing changed',
      }),
      detail: z.string(),
    }),
  ])
  .meta({
    id: 'HintAnswer',
    description: 'What a hint did. Always 202, so EventBridge never retries a hint.',
    examples: [
      { accepted: true, kind: 'api-call', regionId: 'cn-hangzhou', taskIds: ['t-bp1kg5nqq8r5muhhqb3a'], polled: 1, events: {}, ecsCalls: { DescribeTasks: 1 } },
      {
        accepted: true,
        kind: 'api-call',
        regionId: 'cn-hangzhou',
        taskIds: ['t-bp1kg5nqq8r5muhhqb3a'],
        polled: 1,
        events: { 'ecs.task.succeeded': 1 },
        ecsCalls: { DescribeTasks: 2 },
        lookup: { call: 'DescribeTasks', found: 1, watched: 1 },
      },
      { accepted: false, reason: 'rate', detail: 'more than 5 hints a second: nothing was done for this one (a watched task is polled by the next sweep)' },
    ],
  });
