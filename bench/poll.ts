/**
 * One poll scenario in this (fresh) process: N watched tasks in R regions, a first poll and then cycles in which 1 %
 * of the tasks finish, each cycle one `pollOnce` against the simulator in the peer process, on a simulated clock
 * that starts a cycle every poll interval (or when the previous one ended, if it overran the interval).
 */
import { createPopEcsApi } from '../src/ecs/pop-client.js';
import type { EcsCallRecord } from '../src/ecs/api.js';
import { silentLogger } from '../src/log.js';
import { pollOnce, type PollDeps, type PollSummary } from '../src/poller.js';
import { webhookRecord } from '../src/fakes/records.js';
import type { StateStore, TaskKey } from '../src/store/port.js';
import { boundMs, neededCalls } from './bound.js';
import { countingStore } from './counting-store.js';
import { AGE_MS, BENCH_KEYS, cycleNeeds, taskKey, type FleetSpec } from './fleet.js';
import { Peer } from './peer-client.js';
import type { EcsSetting, PollRow, StoreKind } from './rows.js';
import { cpuMs, peakRssMb } from './stats.js';
import { openStore } from './stores.js';

export interface PollJob {
  kind: 'poll';
  store: StoreKind;
  tasks: number;
  regions: string[];
  /** Cycles including the first poll. */
  cycles: number;
  ecs: EcsSetting;
  budgetMs: number;
  intervalMs: number;
}

const WEBHOOK_T = '2026-01-01T00:00:00Z';
/** Registrations in flight while the watch list is set up (they matter for Tablestore, whose requests overlap). */
const SETUP_CONCURRENCY = 32;

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** A simulated clock for this process and the peer: `Date.now() + offset`, moved forward between cycles only. */
export class BenchClock {
  private offset = 0;
  constructor(private readonly peer: Peer) {}
  readonly now = () => Date.now() + this.offset;
  async jumpTo(virtualMs: number): Promise<void> {
    this.offset = Math.max(this.offset, virtualMs - Date.now());
    await this.peer.setOffset(this.offset);
  }
}

/** The adapter as the runtime builds it, pointed at the simulator and told the quota (TASKHOOK_ECS_RATE). */
export function benchEcs(endpoint: string, ecs: EcsSetting, now: () => number) {
  return (onCall?: (record: EcsCallRecord) => void) => {
    const options = { endpoint, credentials: () => BENCH_KEYS, onCall, now, rate: ecs.quotaPerSecond };
    return createPopEcsApi(options);
  };
}

/** Watches every task of the fleet through the store's own API, a few at a time; returns how long it took. */
export async function registerFleet(store: StateStore, spec: FleetSpec, at: string): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < spec.count) {
      const key: TaskKey = taskKey(spec, next++);
      await store.watchTask(key, 'api', at);
    }
  };
  await Promise.all(Array.from({ length: SETUP_CONCURRENCY }, lane));
  return performance.now() - started;
}

/** The summary fields that arrive with the sweep rewrite, read without assuming them. */
function summaryStaleness(summary: PollSummary): number | null {
  const seconds = (summary as { staleness?: { seconds?: unknown } }).staleness?.seconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds : null;
}

export async function runPollScenario(job: PollJob): Promise<PollRow[]> {
  const peer = Peer.start();
  const clock = new BenchClock(peer);
  const rows: PollRow[] = [];
  try {
    const spec: FleetSpec = { count: job.tasks, regions: job.regions, createdAt: Date.now() - AGE_MS };
    const endpoint = await peer.startSim(spec, job.ecs);
    const opened = await openStore(job.store, peer);
    const counted = countingStore(opened.store);
    try {
      await opened.store.putWebhook(
        webhookRecord('wh_bench_done', { events: ['ecs.task.succeeded', 'ecs.task.failed'], createdAt: WEBHOOK_T, updatedAt: WEBHOOK_T }),
      );
      const setupMs = await registerFleet(opened.store, spec, new Date(clock.now()).toISOString());
      await peer.watched();
      // Built as a variable, not inline: settings this version of the poller does not know yet are passed along untyped.
      const config = { tasks: [], discover: [], webhooks: [], retentionDays: 30, confirmSeconds: 120, ecsRate: job.ecs.quotaPerSecond };
      const deps: PollDeps = { ecsFor: benchEcs(endpoint, job.ecs, clock.now), store: counted.store, config, logger: silentLogger, now: clock.now };

      let startAt = clock.now();
      for (let cycle = 0; cycle < job.cycles; cycle++) {
        await clock.jumpTo(startAt);
        const finishing = cycle === 0 ? 0 : await peer.finishSlot(cycle - 1);
        await peer.cycleStart();
        counted.reset();
        const ts0 = await opened.requests();
        const peer0 = await peer.cpu();
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const summary = await pollOnce(deps, { budgetMs: job.budgetMs });
        const cycleMs = performance.now() - t0;
        const cpu1 = process.cpuUsage();
        const peer1 = await peer.cpu();
        const ts1 = await opened.requests();
        const ecsView = await peer.cycleStats();

        const needs = cycleNeeds(spec, cycle);
        const needed = neededCalls(needs);
        const bound = boundMs(needs, job.ecs.quotaPerSecond, job.ecs.latencyMs);
        const callsTotal = sum(ecsView.calls);
        const fromSummary = summaryStaleness(summary);
        const ecsStalenessS = ecsView.stalenessMs / 1000;
        const stalenessS = fromSummary ?? ecsStalenessS;
        // A task polled at the cycle's start is one period old at its end: the period is the poll interval, or the
        // cycle's own duration when it overran the interval (the next cycle then starts when this one ends).
        const periodS = Math.max(job.intervalMs, cycleMs) / 1000;
        rows.push({
          kind: 'poll',
          store: job.store,
          tasks: job.tasks,
          regions: job.regions.length,
          cycle,
          activeTasks: ecsView.activeAtStart,
          finishing,
          polledShare: ecsView.activeAtStart === 0 ? 1 : ecsView.answered / ecsView.activeAtStart,
          summaryPolledShare: summary.tasks.active > 0 ? summary.tasks.polled / summary.tasks.active : null,
          deferred: summary.tasks.deferred,
          cycleMs,
          boundMs: bound,
          naiveMs: null,
          naiveExtrapolated: null,
          vsBound: bound > 0 ? cycleMs / bound : null,
          vsNaive: null,
          calls: ecsView.calls,
          callsTotal,
          neededCalls: needed,
          callsVsNeeded: needed > 0 ? callsTotal / needed : null,
          callsPerTask: callsTotal / job.tasks,
          throttled: ecsView.throttled,
          throttledShare: callsTotal > 0 ? ecsView.throttled / callsTotal : 0,
          summaryThrottled: summary.throttled,
          peakRssMb: peakRssMb(),
          cpuMs: cpuMs(cpu0, cpu1),
          peerCpuMs: cpuMs(peer0, peer1),
          storeRoundTrips: counted.total(),
          storeCalls: counted.counts(),
          tablestoreRequests: ts0 === null || ts1 === null ? null : ts1 - ts0,
          stalenessS,
          stalenessSource: fromSummary === null ? 'ecs' : 'summary',
          ecsStalenessS,
          periodS,
          stalenessCycles: stalenessS / periodS,
          events: sum(summary.events),
          setupMs,
        });
        process.stderr.write(
          `  ${job.store} ${job.tasks} × ${job.regions.length} cycle ${cycle}: ${Math.round(cycleMs)} ms (bound ${Math.round(bound)}), ${callsTotal} calls, polled ${(100 * rows[rows.length - 1].polledShare).toFixed(0)} %\n`,
        );
        startAt = Math.max(startAt + job.intervalMs, clock.now() + 1);
      }
    } finally {
      await opened.store.close();
      await opened.cleanup();
    }
  } finally {
    await peer.close();
  }
  return rows;
}
