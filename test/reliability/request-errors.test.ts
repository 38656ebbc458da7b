/**
 * "Only an answer about a task judges a task": ECS answers that are about the request or the caller (a skewed clock,
 * a signature, a key, a permission, refused parameters) pause the region, judge no task, say so once, and once they
 * clear every completion that happened meanwhile arrives. Through the real pop-core client against the simulator,
 * with real deliveries to a local receiver.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { EcsSimulator, SimFault, SimTask } from '../../src/ecs/simulator/index.js';
import { createLogger, silentLogger } from '../../src/log.js';
import { pollOnce } from '../../src/poller.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore } from '../../src/store/port.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhooks/http-client.js';
import { webhookRecord } from '../../src/fakes/records.js';
import { captureLogs, keysOf, simPollDeps, startSimulator } from '../support/helpers.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const REGION = 'cn-hangzhou';
const SECRET = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
const POLL_EVERY_MS = 60_000;
/** The tasks finish between the third and the fourth poll. */
const FINISH_AFTER_MS = 3 * POLL_EVERY_MS + 30_000;

let now = T0;
let sim: EcsSimulator | undefined;
let receiver: Receiver | undefined;
let client: WebhookClient | undefined;

afterEach(async () => {
  await sim?.stop();
  await receiver?.close();
  await client?.close();
  sim = receiver = client = undefined;
  now = T0;
});

/**
 * Request-level answers ECS's gateway gives, from its common error codes (help.aliyun.com/document_detail/25492.html)
 * and the RAM and STS answers; none of them names a task.
 */
const REQUEST_LEVEL: Array<Pick<SimFault, 'code' | 'httpStatus' | 'message'>> = [
  { code: 'IllegalTimestamp', httpStatus: 400, message: 'The input parameter "Timestamp" that is mandatory for processing this request is not supplied.' },
  { code: 'InvalidTimeStamp.Expired', httpStatus: 400, message: 'Specified time stamp or date value is expired.' },
  { code: 'InvalidTimeStamp.Format', httpStatus: 400, message: 'Specified time stamp or date value is not well formatted.' },
  { code: 'SignatureDoesNotMatch', httpStatus: 400, message: 'Specified signature is not matched with our calculation.' },
  { code: 'IncompleteSignature', httpStatus: 400, message: 'The request signature does not conform to Aliyun standards.' },
  { code: 'SignatureNonceUsed', httpStatus: 400, message: 'Specified signature nonce was used already.' },
  { code: 'MissingParameter', httpStatus: 400, message: 'An input parameter "RegionId" that is mandatory for processing the request is not supplied.' },
  { code: 'InvalidParameter', httpStatus: 400, message: 'The specified parameter is not valid.' },
  { code: 'UnsupportedOperation', httpStatus: 400, message: 'The specified action is not supported.' },
  { code: 'InvalidAccessKeyId.NotFound', httpStatus: 404, message: 'Specified access key is not found.' },
  { code: 'InvalidAccessKeyId.Inactive', httpStatus: 400, message: 'Specified access key is disabled.' },
  { code: 'InvalidSecurityToken.Expired', httpStatus: 400, message: 'Specified SecurityToken is expired.' },
  { code: 'Forbidden.RAM', httpStatus: 403, message: 'User not authorized to operate on the specified resource, or this API does not support RAM.' },
  { code: 'NoPermission', httpStatus: 403, message: 'You are not authorized to do this action.' },
  { code: 'InvalidOwnerId', httpStatus: 400, message: 'The specified OwnerId is invalid.' },
];

function exportTask(i: number): SimTask {
  return {
    taskId: `t-bp1requestlevel${String(i).padStart(4, '0')}`,
    regionId: REGION,
    action: 'ExportImage',
    createdAt: T0 - 120_000,
    timeline: [
      { afterMs: 0, status: 'Processing', progress: 10 },
      { afterMs: 120_000 + FINISH_AFTER_MS, status: 'Finished', progress: 100 },
    ],
    result: { totalCount: 1, successCount: 1, failedCount: 0, operations: [{ status: 'Success' }] },
  };
}

async function setUp(tasks: SimTask[]) {
  sim = await startSimulator(tasks, () => now);
  receiver = await startReceiver([SECRET]);
  client = createWebhookClient({ policy: { allowPrivate: ['127.0.0.1/32'] } });
  const store = createMemoryStore();
  await store.putWebhook(
    webhookRecord('wh_user', {
      url: receiver.url,
      events: ['ecs.task.succeeded', 'ecs.task.progress', 'poller.blocked', 'poller.resumed'],
      secrets: { current: SECRET },
    }),
  );
  return store;
}

const deps = (store: StateStore, tasks: SimTask[], logger = silentLogger) =>
  simPollDeps(sim!, store, { now: () => now, config: { tasks: keysOf(tasks) }, logger, webhookClient: client });

const types = () => receiver!.received.map((r) => (r.event as { type: string } | null)?.type);

describe('an ECS answer about the request or the caller', () => {
  it.each(REQUEST_LEVEL)('$code for three polls judges no task, raises poller.blocked once, and the completions arrive once it clears', async (fault) => {
    const tasks = Array.from({ length: 5 }, (_, i) => exportTask(i));
    const store = await setUp(tasks);
    sim!.injectFault({ kind: 'error', ...fault, times: Infinity });
    const d = deps(store, tasks);
    for (let poll = 1; poll <= 3; poll++) {
      now = T0 + poll * POLL_EVERY_MS;
      const summary = await pollOnce(d, { budgetMs: 30_000 });
      expect(summary.tasks.invalid).toBe(0);
      expect(summary.blocked).toEqual([expect.objectContaining({ regionId: REGION, code: fault.code })]);
    }
    // Not one call per id: a request-level answer is never split down the batch.
    expect(sim!.callLog().length).toBeLessThanOrEqual(3 * 3);
    expect((await store.listTasks({ limit: 100 })).items.filter((t) => t.invalid || t.pendingVerdict)).toEqual([]);
    expect(types()).toEqual(['poller.blocked']);

    sim!.clearFaults();
    const arrivedBy: number[] = [];
    for (let poll = 4; poll <= 5; poll++) {
      now = T0 + poll * POLL_EVERY_MS;
      const summary = await pollOnce(d, { budgetMs: 30_000 });
      expect(summary.blocked).toBeUndefined();
      arrivedBy.push(types().filter((t) => t === 'ecs.task.succeeded').length);
    }
    expect(arrivedBy).toEqual([5, 5]);
    expect(types().filter((t) => t === 'poller.resumed')).toHaveLength(1);
    expect(types().filter((t) => t === 'poller.blocked')).toHaveLength(1);
    // Each completion once, under its own id.
    const ids = receiver!.received.filter((r) => (r.event as { type: string }).type === 'ecs.task.succeeded').map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(5);
  });
});

describe('the clock', () => {
  it('names the skew and the fix when ECS refuses a clock 20 minutes behind, and resumes once it is in sync', async () => {
    const tasks = [exportTask(90)];
    const store = await setUp(tasks);
    // The gateway's clock is 20 minutes ahead of ours: it refuses our Timestamp, as the real one does past 15 minutes.
    sim!.setWallClockSkew(20 * 60_000);
    now = T0 + POLL_EVERY_MS;
    const { result: summary, lines } = await captureLogs(() => pollOnce(deps(store, tasks, createLogger('info')), { budgetMs: 30_000 }));
    expect(summary.blocked?.[0]).toMatchObject({ code: 'InvalidTimeStamp.Expired' });
    expect(summary.blocked?.[0].reason).toContain('20 min behind ECS');
    expect(summary.clockSkewSeconds).toBeGreaterThanOrEqual(20 * 60 - 2);
    const line = lines.find((l) => l.includes('polling cn-hangzhou stopped'));
    expect(line).toContain('sync the clock');
    expect(types()).toEqual(['poller.blocked']);
    expect((await store.listTasks({ limit: 10 })).items[0].invalid).toBeNull();

    sim!.setWallClockSkew(0);
    now = T0 + 2 * POLL_EVERY_MS;
    const after = await pollOnce(deps(store, tasks), { budgetMs: 30_000 });
    expect(after.blocked).toBeUndefined();
    expect(Math.abs(after.clockSkewSeconds ?? 99)).toBeLessThanOrEqual(2);
    expect(types().filter((t) => t?.startsWith('poller.'))).toEqual(['poller.blocked', 'poller.resumed']);
  });

  it('warns before ECS refuses: a clock 5 minutes off is polled, and named in the log and the summary', async () => {
    const tasks = [exportTask(91)];
    const store = await setUp(tasks);
    sim!.setWallClockSkew(-5 * 60_000);
    now = T0 + POLL_EVERY_MS;
    const { result: summary, lines } = await captureLogs(() => pollOnce(deps(store, tasks, createLogger('info')), { budgetMs: 30_000 }));
    expect(summary.blocked).toBeUndefined();
    expect(summary.tasks.polled).toBe(1);
    expect(summary.clockSkewSeconds).toBeLessThanOrEqual(-5 * 60 + 2);
    expect(lines.find((l) => l.includes('5 min ahead of ECS'))).toContain('sync it');
  });
});
