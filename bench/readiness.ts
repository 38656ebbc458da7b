/**
 * The readiness scenario in this (fresh) process: N running tasks, 1 % finishing per timer cycle, each succeeded
 * task's resource unusable for a random lag after it (the simulator's readiness lag). A timer run every interval of
 * simulated time (hot tasks on or off); the ECS calls per task with the readiness checks against the same run
 * without them (TASKHOOK_READY_WAIT=*:0), and the time from each resource becoming usable to its completion event's
 * arrival at a receiver in the peer.
 */
import { runBudgetMs } from '../src/budget.js';
import { loadConfig } from '../src/config.js';
import type { EcsApi, EcsCallRecord } from '../src/ecs/api.js';
import { webhookRecord } from '../src/fakes/records.js';
import { silentLogger } from '../src/log.js';
import { pollOnce, type PollDeps } from '../src/poller.js';
import { DEFAULT_WEBHOOK_EVENTS } from '../src/webhooks/matching.js';
import { createWebhookClient, type WebhookClient } from '../src/webhooks/http-client.js';
import { newWebhookSecret } from '../src/webhooks/signing.js';
import { spread } from './latency-figures.js';
import { Peer } from './peer-client.js';
import { BenchClock, benchEcs } from './poll.js';
import { readinessFleet, type ReadinessSpec } from './readiness-fleet.js';
import type { EcsSetting, ReadinessRow } from './rows.js';
import { SimScheduler } from './sim-scheduler.js';
import { peakRssMb } from './stats.js';
import { openStore } from './stores.js';

export interface ReadinessJob {
  kind: 'readiness';
  /** `timer`: a run every interval, its sweep only; `hot`: hot passes after the sweep, as FC loads them. */
  mode: 'timer' | 'hot';
  /** false: the same scenario with TASKHOOK_READY_WAIT=*:0, every completion at its task's finish. */
  readiness: boolean;
  tasks: number;
  mix: ReadinessSpec['mix'];
  seed: number;
  cycles: number;
  intervalMs: number;
  ecs: EcsSetting;
  maxWallMs: number;
  /** TASKHOOK_HOT_BUDGET for the hot mode; absent, the config's default. */
  hotBudgetSeconds?: number;
}

const REGION = 'cn-hangzhou';
const TIMER_BUDGET_MS = runBudgetMs({ kind: 'timer', functionTimeoutSeconds: 300 }, 240);
/** Runs after the last cycle, so every resource that becomes usable is seen. */
const EXTRA_RUNS = 4;
const LEASE_SECONDS = 300;
const SETUP_LEAD_MS = 5_000;
/** An image `Creating`, a disk `Modifying`, … for 20 s to 2 min after the task finished. */
const LAG_MS = { min: 20_000, max: 120_000 };

function trackedEcs(scheduler: SimScheduler, make: (onCall?: (record: EcsCallRecord) => void) => EcsApi & { close?: () => void }) {
  return (onCall: (record: EcsCallRecord) => void) => {
    const api = make(onCall);
    return {
      describeTasks: (...args: Parameters<EcsApi['describeTasks']>) => scheduler.track(() => api.describeTasks(...args)),
      describeTaskAttribute: (...args: Parameters<EcsApi['describeTaskAttribute']>) => scheduler.track(() => api.describeTaskAttribute(...args)),
      describeResources: (...args: Parameters<EcsApi['describeResources']>) => scheduler.track(() => api.describeResources(...args)),
      close: () => api.close?.(),
    };
  };
}

const trackedClient = (scheduler: SimScheduler, client: WebhookClient): WebhookClient => ({
  send: (req) => scheduler.track(() => client.send(req)),
  close: () => client.close(),
});

export async function runReadinessScenario(job: ReadinessJob): Promise<ReadinessRow> {
  const wall0 = performance.now();
  const peer = Peer.start();
  const clock = new BenchClock(peer);
  try {
    const firstRunAt = clock.now() + SETUP_LEAD_MS;
    const spec: ReadinessSpec = {
      seed: job.seed,
      tasks: job.tasks,
      regionId: REGION,
      startAt: firstRunAt,
      cycles: job.cycles,
      intervalMs: job.intervalMs,
      finishShare: 0.01,
      mix: job.mix,
      lagMs: LAG_MS,
    };
    const fleet = readinessFleet(spec);
    const secret = newWebhookSecret();
    const { endpoint, url } = await peer.readinessStart(spec, job.ecs, secret);
    const opened = await openStore('sqlite', peer);
    const store = opened.store;
    const scheduler = new SimScheduler(clock);
    const client = createWebhookClient({ policy: { allowPrivate: ['127.0.0.1/32'] } });
    try {
      const at = new Date(clock.now()).toISOString();
      await store.putWebhook(
        webhookRecord('wh_bench_ready', { url, secrets: { current: secret }, events: [...DEFAULT_WEBHOOK_EVENTS], createdAt: at, updatedAt: at }),
      );
      for (const t of fleet) await store.watchTask({ regionId: REGION, taskId: t.task.taskId }, 'api', at);
      const loaded = loadConfig(
        {
          ...(job.readiness ? {} : { TASKHOOK_READY_WAIT: '*:0' }),
          TASKHOOK_HOT_INTERVAL: job.mode === 'hot' ? '5' : '0',
          ...(job.hotBudgetSeconds === undefined ? {} : { TASKHOOK_HOT_BUDGET: String(job.hotBudgetSeconds) }),
        },
        'fc',
      );
      const config = {
        ...loaded,
        tasks: [],
        discover: [],
        webhooks: [],
        ecsRate: job.ecs.quotaPerSecond,
        leaseSeconds: LEASE_SECONDS,
        allowPrivateWebhooks: ['127.0.0.1/32'],
      };
      const deps: PollDeps = {
        ecsFor: trackedEcs(scheduler, benchEcs(endpoint, job.ecs, clock.now)),
        store,
        config,
        logger: silentLogger,
        now: clock.now,
        webhookClient: trackedClient(scheduler, client),
        sleep: scheduler.sleep,
      };
      let runs = 0;
      let cutShort = false;
      const tick = (k: number) =>
        scheduler.at(firstRunAt + k * job.intervalMs, async () => {
          if (performance.now() - wall0 > job.maxWallMs) return void (cutShort = true);
          if (k < job.cycles + EXTRA_RUNS) tick(k + 1);
          runs++;
          await pollOnce(deps, { budgetMs: TIMER_BUDGET_MS, hot: true });
        });
      tick(0);
      await scheduler.run();

      const report = await peer.latencyArrivals();
      const calls = await peer.latencyCalls();
      const byId = new Map(fleet.map((t) => [t.task.taskId, t]));
      const finished = fleet.filter((t) => t.finishAt !== null);
      const checked = job.readiness ? finished.filter((t) => t.usableAt !== null) : [];
      const arrivals = report.arrivals.filter((a) => byId.get(a.taskId)?.finishAt != null);
      const measured = arrivals
        .filter((a) => !job.readiness || byId.get(a.taskId)!.usableAt !== null)
        .map((a) => {
          const t = byId.get(a.taskId)!;
          return (a.at - (job.readiness ? t.usableAt! : t.finishAt!)) / 1000;
        });
      const early = arrivals.filter((a) => {
        const t = byId.get(a.taskId)!;
        return job.readiness && t.usableAt !== null && a.at < t.usableAt;
      }).length;
      const callsTotal = Object.values(calls).reduce((a, b) => a + b, 0);
      const figures = spread(measured);
      return {
        kind: 'readiness',
        mode: job.mode,
        readiness: job.readiness,
        mix: job.mix,
        tasks: job.tasks,
        finished: finished.length,
        checked: checked.length,
        delivered: arrivals.length,
        calls,
        callsTotal,
        callsPerTask: callsTotal / job.tasks,
        p50S: figures.p50S,
        p95S: figures.p95S,
        maxS: figures.maxS,
        early,
        timerRuns: runs,
        hotIntervalSeconds: config.hotIntervalSeconds,
        hotBudgetSeconds: config.hotBudgetSeconds,
        wallMs: performance.now() - wall0,
        cutShort,
        peakRssMb: peakRssMb(),
      };
    } finally {
      await client.close();
      await opened.store.close();
      await opened.cleanup();
    }
  } finally {
    await peer.close();
  }
}

/** The rows as a Markdown table, each with its calls against the same scenario without readiness checks. */
export function readinessTable(rows: ReadinessRow[]): string {
  const off = (r: ReadinessRow) =>
    rows.find((o) => !o.readiness && o.mode === r.mode && o.mix === r.mix && o.tasks === r.tasks && o.hotBudgetSeconds === r.hotBudgetSeconds);
  const s = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)} s`);
  const lines = [
    '| Mode | Mix | Tasks | Readiness | Finished (checked) | Delivered | ECS calls | Calls/task | × without | Resource calls | Usable → event p50 | p95 | Max | Early | Wall |',
    '| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const base = r.readiness ? off(r) : undefined;
    const resourceCalls = ['DescribeImages', 'DescribeDisks', 'DescribeInstances', 'DescribeSnapshots'].reduce((n, a) => n + (r.calls[a] ?? 0), 0);
    lines.push(
      `| ${r.mode === 'hot' ? `hot, every ${r.hotIntervalSeconds} s for ${r.hotBudgetSeconds} s` : 'timer only'} | ${r.mix} | ${r.tasks.toLocaleString('en-US')} | ${r.readiness ? 'on' : 'off'} | ${r.finished} (${r.checked}) | ${r.delivered} | ${r.callsTotal} | ${r.callsPerTask.toFixed(3)} | ${base ? `${(r.callsTotal / base.callsTotal).toFixed(2)}×` : '–'} | ${resourceCalls} | ${s(r.p50S)} | ${s(r.p95S)} | ${s(r.maxS)} | ${r.early} | ${(r.wallMs / 1000).toFixed(0)} s${r.cutShort ? ' (cut short)' : ''} |`,
    );
  }
  return lines.join('\n');
}
