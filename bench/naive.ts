/**
 * The naive poller the bench compares with: one DescribeTaskAttribute per watched task, through the same pop-core
 * adapter (same pacing), a fixed pool of workers per region, no store. Plus its scenario runner.
 */
import type { EcsApi } from '../src/ecs/api.js';
import type { TaskKey } from '../src/store/port.js';
import { AGE_MS, taskKey, type FleetSpec } from './fleet.js';
import { Peer } from './peer-client.js';
import { BenchClock, benchEcs } from './poll.js';
import type { EcsSetting, NaiveRow } from './rows.js';
import { cpuMs, peakRssMb } from './stats.js';

export interface NaiveOptions {
  workersPerRegion: number;
  /** No call starts at or after this (epoch ms on `now`). */
  stopAt: number;
  now: () => number;
}

export interface NaiveResult {
  polled: number;
  failed: number;
  /** Tasks whose status differs from the one seen before (in `seen`). */
  changed: number;
  complete: boolean;
}

/** Polls `tasks` one DescribeTaskAttribute each; `seen` keeps each task's last status across calls. */
export async function naivePoll(ecs: EcsApi, tasks: TaskKey[], seen: Map<string, string>, opts: NaiveOptions): Promise<NaiveResult> {
  const result: NaiveResult = { polled: 0, failed: 0, changed: 0, complete: true };
  const byRegion = new Map<string, TaskKey[]>();
  for (const t of tasks) {
    const queue = byRegion.get(t.regionId);
    if (queue) queue.push(t);
    else byRegion.set(t.regionId, [t]);
  }
  await Promise.all(
    [...byRegion.values()].map(async (queue) => {
      let next = 0;
      const worker = async () => {
        while (next < queue.length) {
          if (opts.now() >= opts.stopAt) {
            result.complete = false;
            return;
          }
          const task = queue[next++];
          try {
            const snapshot = await ecs.describeTaskAttribute(task.regionId, task.taskId);
            const key = `${task.regionId}/${task.taskId}`;
            if (seen.get(key) !== snapshot.status) result.changed++;
            seen.set(key, snapshot.status);
            result.polled++;
          } catch {
            result.failed++;
          }
        }
      };
      await Promise.all(Array.from({ length: opts.workersPerRegion }, worker));
    }),
  );
  return result;
}

export interface NaiveJob {
  kind: 'naive';
  tasks: number;
  regions: string[];
  ecs: EcsSetting;
  budgetMs: number;
  /** The naive poller stops after this long; a longer list is extrapolated from its rate. */
  measureMs: number;
  workersPerRegion: number;
}

/** One naive cycle in the steady state (1 % of the tasks just finished), in this (fresh) process. */
export async function runNaiveScenario(job: NaiveJob): Promise<NaiveRow> {
  const peer = Peer.start();
  try {
    const spec: FleetSpec = { count: job.tasks, regions: job.regions, createdAt: Date.now() - AGE_MS };
    const endpoint = await peer.startSim(spec, job.ecs);
    const clock = new BenchClock(peer);
    const tasks = Array.from({ length: job.tasks }, (_, i) => taskKey(spec, i));
    await peer.watched();
    await peer.finishSlot(0);
    await peer.cycleStart();
    const ecs = benchEcs(endpoint, job.ecs, clock.now)();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await naivePoll(ecs, tasks, new Map(), {
      workersPerRegion: job.workersPerRegion,
      stopAt: clock.now() + Math.min(job.measureMs, job.budgetMs),
      now: clock.now,
    });
    const measuredMs = performance.now() - t0;
    const cpu1 = process.cpuUsage();
    ecs.close();
    const view = await peer.cycleStats();
    // Quota-bound, so its rate holds: a list it could not finish in the window is extrapolated from what it polled.
    const fullListMs = result.complete || result.polled === 0 ? measuredMs : (measuredMs * job.tasks) / result.polled;
    return {
      kind: 'naive',
      tasks: job.tasks,
      regions: job.regions.length,
      measuredMs,
      polled: result.polled,
      fullListMs,
      extrapolated: !result.complete,
      polledShareInBudget: Math.min(1, job.budgetMs / fullListMs),
      calls: view.calls,
      throttled: view.throttled,
      cpuMs: cpuMs(cpu0, cpu1),
      peakRssMb: peakRssMb(),
      workersPerRegion: job.workersPerRegion,
    };
  } finally {
    await peer.close();
  }
}
