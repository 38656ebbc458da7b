/** The inputs many routes share (ids, paging, times) and the error answer, each with the code a wrong value gets. */
import { z } from 'zod';
import { REGION_ID, TASK_ID } from '../../config.js';
import { documentedAs } from '../json-schema.js';
import { issue, shown, withRule } from '../rules.js';

/** Region ids as ECS spells them; one only (FC joins a repeated query parameter with commas). */
export const regionId = withRule(
  z
    .string()
    .check((ctx) => {
      if (ctx.value.includes(','))
        ctx.issues.push({ ...issue('InvalidParameter', `regionId must name one region, got ${shown(ctx.value)}`), input: ctx.value });
    })
    .regex(REGION_ID)
    .meta({ description: 'an Alibaba Cloud region id', examples: ['cn-hangzhou'] }),
  { code: 'InvalidRegionId.Malformed', message: (v) => `${shown(v)} is not a region id (e.g. cn-hangzhou)`, example: 'cn-hangzhou' },
);

export const taskId = withRule(
  z
    .string()
    .regex(TASK_ID)
    .meta({ description: 'an ECS task id', examples: ['t-bp1kg5nqq8r5muhhqb3a'] }),
  {
    code: 'InvalidTaskId.Malformed',
    message: (v) => `${shown(v)} is not a task id (t- followed by letters and digits)`,
    example: 't-bp1abcdefgh1234567',
  },
);

/** `wh_` + hex for webhooks registered over the API, `wh_cfg_` + hex for those from TASKHOOK_WEBHOOKS. */
export const WEBHOOK_ID = /^wh_[A-Za-z0-9_]{1,64}$/;
export const webhookId = withRule(
  z
    .string()
    .regex(WEBHOOK_ID)
    .meta({ description: 'a webhook id', examples: ['wh_3f2a9c0d1e4b5a6978c0d1e2'] }),
  {
    code: 'InvalidWebhookId.Malformed',
    message: (v) => `${shown(v)} is not a webhook id (wh_ followed by letters and digits; GET /v1/webhooks lists them)`,
    example: 'wh_3f2a9c0d1e4b5a6978c0d1e2',
  },
);

/** `evt_` + hex for task events, `evt_op_` + hex for operational events. */
export const EVENT_ID = /^evt_[A-Za-z0-9_]{1,64}$/;
export const eventId = withRule(
  z
    .string()
    .regex(EVENT_ID)
    .meta({ description: 'an event id', examples: ['evt_23298c1cb721d3177ef568a02b'] }),
  {
    code: 'InvalidEventId.Malformed',
    message: (v) => `${shown(v)} is not an event id (evt_ followed by letters and digits)`,
    example: 'evt_23298c1cb721d3177ef568a02b',
  },
);

/** `?limit=`: a whole number from 1 to 500, 50 when absent. */
export const limit = documentedAs(
  withRule(z.string().regex(/^\d+$/).transform(Number).pipe(z.int().min(1).max(500)), {
    code: 'InvalidParameter',
    message: (v) => `limit must be a whole number from 1 to 500, got ${shown(v)}`,
  }).default(50),
  { type: 'integer', minimum: 1, maximum: 500, default: 50, description: 'page size' },
);

/** The sort key each listing's cursor holds (src/store/cursor.ts): a cursor that does not decode to one is not ours. */
export const CURSOR_KEYS = {
  tasks: /^[a-z][a-z0-9-]*\/[A-Za-z0-9*_.-]+$/,
  events: /^\d{13}\|\d{9}\|evt_[A-Za-z0-9_]+$/,
  attempts: /^\d{13}\|dlv_[A-Za-z0-9]+#\d{4}$/,
  runs: /^\d{13}\|[^|\s]+$/,
} as const;

/** The key a cursor holds, or null when it is not base64url of UTF-8 text exactly as the store writes it. */
export function cursorKey(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const bytes = Buffer.from(cursor, 'base64url');
  const key = bytes.toString('utf8');
  return Buffer.from(key, 'utf8').toString('base64url') === cursor ? key : null;
}

/** `?cursor=` of one listing; a cursor of another listing, or a made-up one, is InvalidCursor. */
export function cursorOf(listing: keyof typeof CURSOR_KEYS) {
  const pattern = CURSOR_KEYS[listing];
  return documentedAs(
    withRule(
      z.string().refine((value) => pattern.test(cursorKey(value) ?? '')),
      { code: 'InvalidCursor', message: () => 'the cursor is not one this API returned for this list; start again without it' },
    ).optional(),
    { type: 'string', description: 'the `cursor` of the previous page, as it was answered; absent for the first page' },
  );
}

/** An ISO 8601 time in a query parameter, answered to the handler in the canonical form. */
export function timeParam(name: string, example: string) {
  return documentedAs(
    withRule(
      z
        .string()
        .refine((value) => !Number.isNaN(Date.parse(value)))
        .transform((value) => new Date(Date.parse(value)).toISOString()),
      { code: 'InvalidParameter', message: (v) => `${name} must be an ISO 8601 time such as ${example}, got ${shown(v)}`, example },
    ),
    { type: 'string', format: 'date-time', examples: [example] },
  );
}

export const errorAnswer = z
  .object({
    error: z.object({
      code: z.string().meta({
        description: 'PascalCase, dotted like ECS’s own',
        examples: ['InvalidTaskId.NotFound', 'WebhookNotFound', 'InvalidWebhookUrl.BlockedAddress'],
      }),
      message: z.string().meta({ description: 'what is wrong and what to do' }),
      field: z
        .string()
        .optional()
        .meta({ description: 'the input that is wrong, when the error names one', examples: ['regionId', 'events', 'filter.regions'] }),
      requestId: z.string().nullable().meta({ description: 'ECS’s request id for a failed ECS call, else taskhook’s; the log line with it has the details' }),
    }),
  })
  .meta({
    id: 'Error',
    description: 'Every error answer; never a stack trace.',
    examples: [
      {
        error: {
          code: 'InvalidEvents',
          message: '"events" must be a non-empty list of: ecs.task.succeeded, … (or "*")',
          field: 'events',
          requestId: 'c0a8f1e2-3b4d-4c5e-8f90-1a2b3c4d5e6f',
        },
      },
    ],
  });

/** A page of a listing: the items under their name and the cursor of the next page (null on the last). */
export const cursorField = z.string().nullable().meta({ description: 'pass as `?cursor=` for the next page; null on the last page' });
