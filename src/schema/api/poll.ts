/** A poll run's summary (POST /v1/poll answers it, GET /v1/runs lists the recent ones) and the run log's records. */
import { z } from 'zod';
import { isoTime } from '../snapshot.js';
import { cursorField, cursorOf, limit } from './common.js';

const count = z.int().min(0);

export const EXAMPLE_SUMMARY = {
  leased: true,
  tasks: { active: 12, polled: 12, deferred: 0, discovered: 1, invalid: 0, unconfirmed: 0, stale: 0 },
  staleness: { oldestPolledAt: '2026-11-27T10:00:00.000Z', seconds: 0 },
  ecsCalls: { DescribeTasks: 2, DescribeTaskAttribute: 1 },
  throttled: 0,
  events: { 'ecs.task.succeeded': 1 },
  conflicts: 0,
  deliveries: { succeeded: 1, failed: 0, dead: 0 },
  shards: 0,
  durationMs: 412,
};

export const pollSummary = z
  .object({
    leased: z.boolean().meta({ description: 'false: another run held the lease and this one did nothing' }),
    tasks: z
      .object({
        active: count,
        polled: count,
        deferred: count.meta({ description: 'due tasks this run got no answer for; they go first next run' }),
        discovered: count,
        invalid: count,
        unconfirmed: count.meta({ description: 'tasks ECS said were gone once; a second answer must agree first' }),
        stale: count.optional(),
      })
      .meta({ description: 'the watch list as the run found and left it' }),
    staleness: z
      .object({ oldestPolledAt: isoTime.nullable(), seconds: z.number().min(0) })
      .optional()
      .meta({ description: 'the oldest last answer among the active tasks once the run was done' }),
    ecsCalls: z.record(z.string(), count).meta({ description: 'ECS calls by API' }),
    throttled: count,
    events: z.record(z.string(), count).meta({ description: 'events recorded, by type' }),
    conflicts: count.meta({ description: 'commits another run made first' }),
    deliveries: z.object({ succeeded: count, failed: count, dead: count }),
    shards: count.optional().meta({ description: 'shard runs this run handed off (0: it swept everything itself)' }),
    shard: z.string().optional().meta({ description: 'in the run log: the shard this run swept, when it was one' }),
    shardFailures: z
      .array(z.object({ shard: z.string(), error: z.string() }))
      .optional()
      .meta({ description: 'shards the invoker refused (FC’s code, message and fix); the next run plans them again' }),
    blocked: z
      .array(z.object({ regionId: z.string(), action: z.string(), code: z.string(), reason: z.string(), fix: z.string() }))
      .optional()
      .meta({
        description:
          'regions this run stopped polling because ECS refused the request or the caller (clock, signature, key, permission, parameters); no task of theirs was judged, the next run tries again',
      }),
    clockSkewSeconds: z.number().optional().meta({ description: 'ECS’s clock minus this machine’s, from the Date of its last answer' }),
    readiness: z
      .object({
        checked: count.meta({ description: 'resources asked about (every pass counts)' }),
        ready: count.meta({ description: 'tasks whose resource became usable: their ecs.task.succeeded was committed' }),
        notReady: count.meta({ description: 'tasks whose completion went out without a usable resource (the wait ended, or it failed)' }),
        waiting: count.meta({ description: 'tasks still waiting for their resource when the run ended' }),
        refused: z
          .array(z.object({ regionId: z.string(), action: z.string(), code: z.string(), reason: z.string(), fix: z.string() }))
          .optional()
          .meta({ description: 'describe calls ECS refused as a request (permission, clock, key): nothing was marked; asked again next pass' }),
      })
      .optional()
      .meta({ description: 'the checks of succeeded tasks’ resources (README: Readiness); absent when no task waited' }),
    clockStepSeconds: z
      .number()
      .optional()
      .meta({ description: 'how far this machine’s wall clock stepped during the run (NTP, a hand-set clock); no event comes of it' }),
    durationMs: z.number().min(0),
  })
  .meta({ id: 'PollSummary', description: 'What one poll run did.', examples: [EXAMPLE_SUMMARY] });

export const pollResult = z.object({ summary: pollSummary }).meta({ id: 'PollResult', examples: [{ summary: EXAMPLE_SUMMARY }] });
export const pollBusy = z.object({ summary: pollSummary, note: z.string() }).meta({
  id: 'PollBusy',
  description: 'Another poll run holds the lease; nothing was done.',
  examples: [{ summary: { ...EXAMPLE_SUMMARY, leased: false, durationMs: 3 }, note: 'another poll run is in progress; try again shortly' }],
});

export const EXAMPLE_RUN = { id: 'run_7d3c9a1e', startedAt: '2026-11-27T10:00:00.000Z', finishedAt: '2026-11-27T10:00:00.412Z', summary: EXAMPLE_SUMMARY };

export const runRecord = z
  .object({ id: z.string(), startedAt: isoTime, finishedAt: isoTime, summary: pollSummary })
  .meta({ id: 'RunRecord', description: 'One recent poll run.', examples: [EXAMPLE_RUN] });
export const listRunsQuery = z.strictObject({ limit, cursor: cursorOf('runs') });
export const runList = z
  .object({ runs: z.array(runRecord), cursor: cursorField })
  .meta({ id: 'RunList', description: 'Recent poll runs, newest first.', examples: [{ runs: [EXAMPLE_RUN], cursor: null }] });
