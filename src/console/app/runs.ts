/** Poll runs as the poller page charts them: pure functions of GET /v1/runs' items. */
import type { ChartSeries } from './chart.js';
import type { PollRun } from './types.js';

export const ecsCallTotal = (run: PollRun) => Object.values(run.summary.ecsCalls ?? {}).reduce((sum, n) => sum + n, 0);
export const staleness = (run: PollRun) => run.summary.staleness?.seconds ?? null;

/** The chart data of runs oldest first: x in Unix seconds, one value list per series. */
export function runSeries(runs: PollRun[]): { x: number[]; work: ChartSeries[]; time: ChartSeries[] } {
  const ordered = [...runs].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const x = ordered.map((r) => Date.parse(r.startedAt) / 1000);
  const pick = (f: (r: PollRun) => number | null | undefined) => ordered.map((r) => f(r) ?? null);
  const work: ChartSeries[] = [
    { label: 'tasks active', values: pick((r) => r.summary.tasks?.active) },
    { label: 'tasks polled', values: pick((r) => r.summary.tasks?.polled) },
    { label: 'tasks deferred', values: pick((r) => r.summary.tasks?.deferred) },
    { label: 'ECS calls', values: pick(ecsCallTotal) },
    { label: 'throttled', values: pick((r) => r.summary.throttled) },
  ];
  const time: ChartSeries[] = [{ label: 'run duration (ms)', values: pick((r) => r.summary.durationMs) }];
  if (ordered.some((r) => staleness(r) !== null)) time.push({ label: 'staleness (s)', values: pick(staleness), axis: 'right' });
  return { x, work, time };
}
