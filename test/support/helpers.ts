/** Shared test fixtures: a simulator with known keys, a clock, and log capture. */
import { EcsSimulator, type SimTask } from '../../src/ecs/simulator/index.js';
import type { StateStore, TaskRecord } from '../../src/store/port.js';
import { setLogSink } from '../../src/log.js';

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
