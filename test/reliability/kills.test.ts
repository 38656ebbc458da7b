/**
 * SIGKILLs at random moments: `taskhook poll --once` processes on one SQLite file are killed over and over while a
 * scripted timeline runs; afterwards every completion exists exactly once, each task's events are numbered without
 * gap, and every event reached the receiver. Duplicate deliveries (allowed by at-least-once) are counted.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { EcsSimulator, SimTask } from '../../src/ecs/simulator/index.js';
import { createSqliteStore } from '../../src/store/sqlite.js';
import type { StoredEvent } from '../../src/store/port.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { startSimulator, KEYS } from '../support/helpers.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const CLI = join(process.cwd(), 'dist/cli/taskhook.cjs');
// `npm run test:soak` raises it.
const KILLS = Number(process.env.TASKHOOK_SOAK_KILLS ?? 60);
let sim: EcsSimulator | undefined;
let receiver: Receiver | undefined;

afterAll(async () => {
  await sim?.stop();
  await receiver?.close();
});

/** Twelve tasks finishing between 2 and 13 s from now, some pausing and resuming, some failing. */
function timeline(start: number): SimTask[] {
  return Array.from({ length: 12 }, (_, i) => {
    const end = 2_000 + i * 1_000;
    const fails = i % 4 === 3;
    const steps = [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: end / 4, status: 'Processing', progress: 20 },
      ...(i % 3 === 0
        ? [
            { afterMs: end / 2, status: 'Paused', progress: 40 },
            { afterMs: (end * 3) / 4, status: 'Processing', progress: 60 },
          ]
        : []),
      { afterMs: end, status: fails ? 'Failed' : 'Finished', progress: 100 },
    ];
    return {
      taskId: `t-killtest${String(i).padStart(8, '0')}`,
      regionId: 'cn-hangzhou',
      action: 'ImportImage',
      createdAt: start,
      timeline: steps,
      result: fails
        ? { totalCount: 1, successCount: 0, failedCount: 1, operations: [{ status: 'Failed', errorCode: 'InvalidImage.Format' }] }
        : { totalCount: 1, successCount: 1, failedCount: 0 },
    };
  });
}

/** Runs one `poll --once`; kills it after `killAfterMs` unless it ended first. True when it was killed. */
function pollProcess(env: NodeJS.ProcessEnv, killAfterMs: number | null): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'poll', '--once'], { env, stdio: 'ignore' });
    let killed = false;
    const timer = killAfterMs === null ? null : setTimeout(() => (killed = child.kill('SIGKILL')), killAfterMs);
    child.on('exit', () => {
      if (timer) clearTimeout(timer);
      resolve(killed);
    });
  });
}

describe('poll runs killed at random moments', () => {
  it(
    `loses, duplicates and invents no event over ${KILLS} SIGKILLs, and delivers every one`,
    async () => {
      const start = Date.now();
      const tasks = timeline(start);
      sim = await startSimulator(tasks);
      const secret = newWebhookSecret();
      receiver = await startReceiver([secret]);
      const dir = mkdtempSync(join(tmpdir(), 'taskhook-kills-'));
      const env = {
        PATH: process.env.PATH ?? '',
        ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
        TASKHOOK_ECS_ENDPOINT: sim.endpoint,
        TASKHOOK_STORE: `sqlite:${join(dir, 'state.db')}`,
        TASKHOOK_TASKS: tasks.map((t) => `${t.regionId}/${t.taskId}`).join(','),
        TASKHOOK_WEBHOOKS: JSON.stringify([{ url: receiver.url, secret, events: ['*'] }]),
        TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32',
        TASKHOOK_LEASE_SECONDS: '1',
        TASKHOOK_LOG_LEVEL: 'error',
      };

      let kills = 0;
      while (kills < KILLS || Date.now() - start < 15_000) {
        if (await pollProcess(env, 40 + Math.floor(Math.random() * 700))) kills++;
        if (Date.now() - start > 60_000 + KILLS * 1_000) break;
      }
      // Clean runs until every task is settled and every delivery has gone out; a delivery claimed by a killed run
      // waits out its claim (attempt timeout + slack) first.
      const settled = async () => {
        const check = createSqliteStore(join(dir, 'state.db'));
        try {
          const events = (await check.listEvents({ limit: 1000 })).items.map((e) => e.event.id);
          const got = new Set(receiver!.received.map((r) => r.headers['webhook-id']));
          return (await check.listActiveTasks({ limit: 1 })).items.length === 0 && events.every((id) => got.has(id));
        } finally {
          await check.close();
        }
      };
      for (let i = 0; i < 40 && !(await settled()); i++) {
        await new Promise((r) => setTimeout(r, 1_100));
        await pollProcess(env, null);
      }

      const store = createSqliteStore(join(dir, 'state.db'));
      try {
        const stored: StoredEvent[] = (await store.listEvents({ limit: 1000 })).items;
        const active = (await store.listActiveTasks({ limit: 100 })).items;
        const watched = (await store.listTasks({ limit: 100 })).items;
        const byTask = new Map<string, StoredEvent[]>();
        for (const e of stored) byTask.set(e.taskId, [...(byTask.get(e.taskId) ?? []), e]);

        const completions = stored.filter((e) => /succeeded|failed|cancelled|not_found|partially_failed/.test(e.event.type));
        const expected = tasks.map((t) => `${t.taskId}:${t.timeline.at(-1)!.status === 'Failed' ? 'ecs.task.failed' : 'ecs.task.succeeded'}`).sort();
        const delivered = new Map<string, number>();
        for (const r of receiver.received) if (r.verifiedWith) delivered.set(r.headers['webhook-id'], (delivered.get(r.headers['webhook-id']) ?? 0) + 1);
        const duplicates = [...delivered.values()].reduce((sum, n) => sum + n - 1, 0);
        console.log(
          `kills ${kills}; events ${stored.length}; completions ${completions.length}/${tasks.length}; delivered ${delivered.size}/${stored.length}; duplicate deliveries ${duplicates} (${(duplicates / Math.max(1, stored.length)).toFixed(2)} per event)`,
        );

        expect(kills).toBeGreaterThanOrEqual(KILLS);
        expect(watched).toHaveLength(tasks.length); // no watched task lost
        expect(active).toHaveLength(0);
        expect(completions.map((e) => `${e.taskId}:${e.event.type}`).sort()).toEqual(expected); // one each, none invented
        expect(new Set(stored.map((e) => e.event.id)).size).toBe(stored.length);
        for (const [, events] of byTask) {
          expect(events.map((e) => e.event.data.sequence).sort((a, b) => a - b)).toEqual(events.map((_, i) => i + 1));
        }
        expect([...delivered.keys()].sort()).toEqual(stored.map((e) => e.event.id).sort()); // every event delivered
      } finally {
        await store.close();
      }
    },
    180_000 + KILLS * 2_000,
  );
});
