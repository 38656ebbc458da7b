/** Poll cycle cost against the simulator: first sight, nothing changed, and 10 % of the tasks finished. */
import { createPopEcsApi } from '../src/ecs/pop-client.js';
import { silentLogger } from '../src/log.js';
import { pollOnce, type PollDeps, type PollSummary } from '../src/poller.js';
import { webhookRecord } from '../src/fakes/records.js';
import { AGE_MS, BENCH_KEYS, FINISHED_OFFSET_MS, fleet } from './fleet.js';
import type { Peer } from './peer-client.js';
import { collect, cpuMs, mb, median } from './stats.js';
import { openStore, type OpenedStore, type StoreKind } from './stores.js';

export type Cycle = 'first' | 'unchanged' | 'finished';

export interface PollCase {
  store: StoreKind;
  tasks: number;
  regions: string[];
  /** A webhook subscribed to ecs.task.progress, which makes every running task need DescribeTaskAttribute. */
  progressHook?: boolean;
  /** Fewer than three runs where one run is slow. */
  runs?: number;
}

export interface CycleSample {
  wallMs: number;
  cpuMs: number;
  simCpuMs: number;
  describeTasks: number;
  describeTaskAttribute: number;
  events: number;
  /** Requests the store sent to its backend (Tablestore only). */
  storeRequests: number;
  polled: number;
  deferred: number;
  rssDeltaMb: number;
  heapDeltaMb: number;
}

export interface PollRow extends PollCase {
  cycle: Cycle;
  changed: number;
  runs: number;
  median: CycleSample;
  samples: CycleSample[];
}

const POLL_BUDGET_MS = 120_000;
/** A case whose first run took longer than this is run once instead of three times. */
const ONE_RUN_ABOVE_MS = 15_000;

const WEBHOOK_T = '2026-01-01T00:00:00Z';
const benchWebhook = (id: string, events: string[]) => webhookRecord(id, { events, createdAt: WEBHOOK_T, updatedAt: WEBHOOK_T });

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

async function measure(peer: Peer, opened: OpenedStore, run: () => Promise<PollSummary>): Promise<CycleSample> {
  await peer.resetCounters();
  const store0 = sum(await opened.requests());
  collect();
  const mem0 = process.memoryUsage();
  const sim0 = await peer.cpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const summary = await run();
  const wallMs = performance.now() - t0;
  const cpu1 = process.cpuUsage();
  const mem1 = process.memoryUsage();
  const sim1 = await peer.cpu();
  const calls = await peer.calls();
  const store1 = sum(await opened.requests());
  return {
    wallMs,
    cpuMs: cpuMs(cpu0, cpu1),
    simCpuMs: cpuMs(sim0, sim1),
    describeTasks: calls.DescribeTasks ?? 0,
    describeTaskAttribute: calls.DescribeTaskAttribute ?? 0,
    events: sum(summary.events),
    storeRequests: store1 - store0,
    polled: summary.tasks.polled,
    deferred: summary.tasks.deferred,
    rssDeltaMb: mb(mem1.rss - mem0.rss),
    heapDeltaMb: mb(mem1.heapUsed - mem0.heapUsed),
  };
}

function medianSample(samples: CycleSample[]): CycleSample {
  const pick = (f: (s: CycleSample) => number) => median(samples.map(f));
  return {
    wallMs: pick((s) => s.wallMs),
    cpuMs: pick((s) => s.cpuMs),
    simCpuMs: pick((s) => s.simCpuMs),
    describeTasks: pick((s) => s.describeTasks),
    describeTaskAttribute: pick((s) => s.describeTaskAttribute),
    events: pick((s) => s.events),
    storeRequests: pick((s) => s.storeRequests),
    polled: pick((s) => s.polled),
    deferred: Math.max(...samples.map((s) => s.deferred)),
    rssDeltaMb: pick((s) => s.rssDeltaMb),
    heapDeltaMb: pick((s) => s.heapDeltaMb),
  };
}

/** Each run starts from an empty store, because the finishing cycle retires the tasks it sees finish. */
export async function benchPollCase(peer: Peer, c: PollCase, deadline: number): Promise<PollRow[]> {
  const createdAt = Date.now() - AGE_MS;
  const tasks = fleet({ count: c.tasks, regions: c.regions, createdAt });
  const endpoint = await peer.startSim({ count: c.tasks, regions: c.regions, createdAt });
  const config = { tasks: tasks.map((t) => ({ regionId: t.regionId, taskId: t.taskId })), discover: [], webhooks: [], retentionDays: 30, confirmSeconds: 120 };
  let offset = 0;
  const now = () => Date.now() + offset;
  const setOffset = async (ms: number) => {
    offset = ms;
    await peer.setOffset(ms);
  };
  const samples: Record<Cycle, CycleSample[]> = { first: [], unchanged: [], finished: [] };

  for (let run = 0; run < (c.runs ?? 3); run++) {
    const opened = await openStore(c.store, peer);
    const { store } = opened;
    try {
      await store.putWebhook(benchWebhook('wh_bench_done', ['ecs.task.succeeded', 'ecs.task.failed']));
      if (c.progressHook) await store.putWebhook(benchWebhook('wh_bench_progress', ['ecs.task.progress']));
      const deps: PollDeps = {
        ecsFor: (onCall) => createPopEcsApi({ endpoint, credentials: () => BENCH_KEYS, onCall, now }),
        store,
        config,
        logger: silentLogger,
        now,
      };
      const cycle = () => pollOnce(deps, { budgetMs: POLL_BUDGET_MS });
      const started = performance.now();
      await setOffset(0);
      samples.first.push(await measure(peer, opened, cycle));
      samples.unchanged.push(await measure(peer, opened, cycle));
      await setOffset(FINISHED_OFFSET_MS);
      samples.finished.push(await measure(peer, opened, cycle));
      if (performance.now() - started > ONE_RUN_ABOVE_MS || Date.now() > deadline) break;
    } finally {
      await store.close();
      await opened.cleanup();
    }
  }
  const finishing = tasks.filter((_, i) => i % 10 === 0).length;
  return (['first', 'unchanged', 'finished'] as const).map((cycle) => ({
    ...c,
    cycle,
    changed: cycle === 'first' ? c.tasks : cycle === 'unchanged' ? 0 : finishing,
    runs: samples[cycle].length,
    median: medianSample(samples[cycle]),
    samples: samples[cycle],
  }));
}
