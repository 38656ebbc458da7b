/** The latency scenario's Markdown table and the lines under it, from its rows. */
import { modeName } from './latency-mode.js';
import { table } from './report.js';
import type { LatencyRow } from './rows.js';

const s = (n: number | null, digits = 1) => (n === null || !Number.isFinite(n) ? '–' : `${n.toFixed(digits)} s`);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Adds callsVsPlain to every row of a run that also measured the plain mode. */
export function withCallsVsPlain(rows: LatencyRow[]): LatencyRow[] {
  // Against the plain row of the same fleet: shape and size.
  const plainOf = (r: LatencyRow) => rows.find((p) => p.mode === 'plain' && (p.shape ?? 'finishing') === (r.shape ?? 'finishing') && p.tasks === r.tasks);
  return rows.map((r) => {
    const plain = plainOf(r);
    return { ...r, callsVsPlain: plain && plain.callsPerTask > 0 ? r.callsPerTask / plain.callsPerTask : null };
  });
}

const estimate = (r: LatencyRow) => {
  if (!r.estimateField) return 'not measured';
  if (r.estimateSamples === 0) return `none of ${int(r.tasks)} had one`;
  return `${s(r.estimateMedianErrorS, 0)} / ${s(r.estimateP90ErrorS, 0)} (${int(r.estimateSamples)} of ${int(r.tasks)})`;
};

export function latencyTable(rows: LatencyRow[]): string {
  return table(
    [
      'Mode',
      'Fleet',
      'Tasks',
      'Delivered',
      'p50',
      'p95',
      'Max',
      'ECS calls',
      'Calls/task',
      '× plain',
      'Timer runs (polled)',
      'FC GB-s/min',
      'Throttled',
      'Hints',
      'Hint → arrival p50 / p95 / max',
      'Estimate error median / p90',
      'Simulated',
      'Wall',
    ],
    rows.map((r) => [
      modeName(r),
      r.shape === 'running' ? 'already running, 10 % steps' : 'created during the run',
      int(r.tasks),
      int(r.delivered),
      s(r.p50S),
      s(r.p95S),
      s(r.maxS),
      int(r.callsTotal),
      r.callsPerTask.toFixed(2),
      r.callsVsPlain === null ? '–' : `${r.callsVsPlain.toFixed(2)}×`,
      `${int(r.timerRuns)} (${int(r.timerRunsLeased)})`,
      r.gbSecondsPerMinute === undefined ? '–' : r.gbSecondsPerMinute.toFixed(1),
      r.throttled === undefined ? '–' : int(r.throttled),
      int(r.hints),
      r.mode === 'hints' ? `${s(r.hintToArrivalP50S, 2)} / ${s(r.hintToArrivalP95S, 2)} / ${s(r.hintToArrivalMaxS, 2)}` : '–',
      estimate(r),
      s(r.simulatedS, 0),
      s(r.wallMs / 1000, 0),
    ]),
  );
}

/** The line under the table: what the rows measured. */
export function latencyLead(r: LatencyRow | undefined, intervalMs: number): string {
  if (!r) return '';
  return (
    `${int(r.tasks)} tasks (ImportImage and ExportImage, seed ${r.seed}) finishing over ${int(r.windowS / 60)} minutes of simulated time, after a ` +
    `${int(r.warmupS / 60)}-minute warm-up in which ${int(r.historyTasks)} more finish; a timer run every ${int(intervalMs / 1000)} s with the FC budget; ` +
    'SQLite; one receiver in the peer, subscribed to the completion events. Latency: true finish to arrival. Calls/task: every ECS call of the ' +
    'scenario ÷ every task watched. Estimate error: the estimate of the first running snapshot against the true finish. ' +
    'The "already running" rows: every task runs when taskhook starts (created 2 to 30 minutes before, 2 to 30 minutes long, ' +
    "ECS times to the minute, progress in 10 % steps), no warm-up. FC GB-s/min: the timer runs' time at 512 MB per simulated minute."
  );
}

/** What a reader needs to know about how the rows were measured, as list items. */
export function latencyNotes(rows: LatencyRow[]): string[] {
  const notes: string[] = [];
  for (const r of rows) {
    if (r.mode === 'hot' && !r.hotSupported) notes.push('- hot tasks: the poller has no hot-task settings yet, so the hot row measures the timer alone.');
    else if (r.mode === 'hot' && r.sleptS === 0)
      notes.push(
        `- hot tasks: the poller waited between passes on real timers, so the scenario ran those waits in real time (${s(r.wallMs / 1000, 0)} of wall time).`,
      );
    if (r.delivered < r.tasks)
      notes.push(
        `- ${modeName(r)}: ${int(r.tasks - r.delivered)} of ${int(r.tasks)} completion events never arrived${r.cutShort ? ' (stopped at the wall-time cap)' : ''}.`,
      );
    if (r.unverified > 0) notes.push(`- ${modeName(r)}: ${int(r.unverified)} deliveries did not verify.`);
  }
  return notes;
}
