/** Shared test fixtures: a simulator with known keys, a clock, and log capture. */
import { EcsSimulator, type SimTask } from '../../src/ecs/simulator/index.js';
import type { StateStore, TaskRecord } from '../../src/store/port.js';
import { setLogSink, silentLogger, type Logger } from '../../src/log.js';
import { createPopEcsApi, type PopEcsOptions } from '../../src/ecs/pop-client.js';
import type { PollDeps } from '../../src/poller.js';

export const KEYS = { accessKeyId: 'LTAItestkey000001', accessKeySecret: 'test-secret-do-not-leak-0001' };
export const STS = { accessKeyId: 'STS.testkey000002', accessKeySecret: 'sts-secret-do-not-leak-0002', securityToken: 'CAIS-sts-token-do-not-leak-0003' };

export async function startSimulator(tasks: SimTask[] = [], clock?: () => number) {
  const sim = new EcsSimulator({ credentials: [KEYS, STS], tasks, clock });
  await sim.start();
  return sim;
}

export function finishedExport(taskId: string, createdAt: number, regionId = 'cn-hangzhou', finishAfterMs = 60_000): SimTask {
  return {
    taskId,
    regionId,
    action: 'ExportImage',
    resourceId: 'm-bp1export0001',
    createdAt,
    timeline: [
      { afterMs: 0, status: 'Waiting', progress: 0 },
      { afterMs: 1_000, status: 'Processing', progress: 10 },
      { afterMs: finishAfterMs / 2, status: 'Processing', progress: 50 },
      { afterMs: finishAfterMs, status: 'Finished', progress: 100 },
    ],
    result: {
      totalCount: 1,
      successCount: 1,
      failedCount: 0,
      operations: [{ status: 'Success', relatedItems: [{ name: 'OSSObject', value: 'MYOSSPRE_m-23f8tcp_t-23ym6mv.vhd' }] }],
    },
  };
}

/** Every log line written while `fn` runs. */
export async function captureLogs<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const restore = setLogSink((line) => lines.push(line));
  try {
    return { result: await fn(), lines };
  } finally {
    restore();
  }
}

/** Every task of the store, paged through. */
export async function everyTask(store: StateStore): Promise<TaskRecord[]> {
  const all: TaskRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listTasks({ limit: 500, cursor });
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

export interface SimPollOptions {
  /** The poller's clock (this machine's); ECS's is the simulator's. */
  now: () => number;
  config?: Partial<PollDeps['config']>;
  logger?: Logger;
  /** Overrides of the pop-core client (its rate, retries). */
  client?: Partial<PopEcsOptions>;
  webhookClient?: PollDeps['webhookClient'];
}

/** Poll-run dependencies over the simulator through the real pop-core client: the watched tasks, fast retries, no log. */
export function simPollDeps(sim: EcsSimulator, store: StateStore, options: SimPollOptions): PollDeps {
  return {
    ecsFor: (onCall, paced) =>
      createPopEcsApi({
        endpoint: sim.endpoint,
        credentials: () => KEYS,
        onCall,
        now: options.now,
        retry: { baseDelayMs: 1, maxDelayMs: 5, budgetMs: 2_000 },
        ...(paced?.rate ? { rate: paced.rate } : {}),
        ...options.client,
      }),
    store,
    config: { tasks: [], discover: [], webhooks: [], retentionDays: 30, confirmSeconds: 120, ...options.config },
    logger: options.logger ?? silentLogger,
    now: options.now,
    ...(options.webhookClient ? { webhookClient: options.webhookClient } : {}),
  };
}

/** The keys of simulated tasks, as TASKHOOK_TASKS would name them. */
export const keysOf = (tasks: SimTask[]) => tasks.map((t) => ({ regionId: t.regionId, taskId: t.taskId }));
