/** Markdown tables from the result rows: the headline, every poll cycle, the naive poller, first poll, delivery, bundles, targets. */
import type { BundleRow, DeliveryRow, FirstPollRow, NaiveRow, PollRow, SkippedRow } from './rows.js';
import { median } from './stats.js';
import type { TargetCheck } from './targets.js';

const int = (n: number | null) => (n === null || !Number.isFinite(n) ? '–' : Math.round(n).toLocaleString('en-US'));
const fixed = (n: number | null, digits = 1) => (n === null || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const pct = (n: number | null) => (n === null || !Number.isFinite(n) ? '–' : `${(100 * n).toFixed(n > 0 && n < 0.01 ? 2 : n < 1 ? 1 : 0)} %`);
const secs = (ms: number | null) => (ms === null || !Number.isFinite(ms) ? '–' : ms >= 10_000 ? `${int(ms / 1000)} s` : `${(ms / 1000).toFixed(2)} s`);
const times = (n: number | null) => (n === null || !Number.isFinite(n) ? '–' : `${n.toFixed(2)}×`);
const kib = (bytes: number) => `${int(bytes / 1024)} KiB`;

export function table(header: string[], rows: string[][]): string {
  const numeric = /^[-–\d,.\s%×~]+(s|ms|KiB|MB)?$/;
  const right = header.map((_, i) => rows.length > 0 && rows.every((r) => numeric.test(r[i]) || r[i] === ''));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(right.map((r) => (r ? '---:' : '---'))), ...rows.map(line)].join('\n');
}

/** The scenarios' steady state: the median over the cycles after the first poll. */
export interface ScenarioSummary {
  store: string;
  tasks: number;
  regions: number;
  polledShare: number;
  cycleMs: number;
  boundMs: number;
  naiveMs: number | null;
  naiveExtrapolated: boolean;
  callsPerTask: number;
  throttled: number;
  peakRssMb: number;
  cpuMs: number;
  peerCpuMs: number;
  stalenessCycles: number | null;
  firstPollMs: number | null;
}

export function scenarioSummaries(rows: PollRow[]): ScenarioSummary[] {
  const groups = new Map<string, PollRow[]>();
  for (const r of rows) {
    const key = `${r.store}|${r.tasks}|${r.regions}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((cycles) => {
    const steady = cycles.filter((c) => c.cycle > 0);
    const use = steady.length ? steady : cycles;
    const m = (f: (r: PollRow) => number) => median(use.map(f));
    const first = cycles[0];
    return {
      store: first.store,
      tasks: first.tasks,
      regions: first.regions,
      polledShare: Math.min(...use.map((r) => r.polledShare)),
      cycleMs: m((r) => r.cycleMs),
      boundMs: m((r) => r.boundMs),
      naiveMs: first.naiveMs,
      naiveExtrapolated: first.naiveExtrapolated === true,
      callsPerTask: m((r) => r.callsPerTask),
      throttled: use.reduce((s, r) => s + r.throttled, 0),
      peakRssMb: Math.max(...cycles.map((r) => r.peakRssMb)),
      cpuMs: m((r) => r.cpuMs),
      peerCpuMs: m((r) => r.peerCpuMs),
      stalenessCycles: Math.max(...use.map((r) => r.stalenessCycles ?? 0)),
      firstPollMs: cycles.find((c) => c.cycle === 0)?.cycleMs ?? null,
    };
  });
}

export function headlineTable(rows: PollRow[]): string {
  return table(
    [
      'Store',
      'Tasks',
      'Regions',
      'Polled',
      'Cycle',
      'Lower bound',
      '× bound',
      'Naive poller',
      'Naive ÷ taskhook',
      'Calls/task',
      'Throttled',
      'Peak RSS MB',
      'taskhook CPU ms',
      'Simulator CPU ms',
      'Staleness (cycles)',
    ],
    scenarioSummaries(rows).map((s) => [
      s.store,
      int(s.tasks),
      String(s.regions),
      pct(s.polledShare),
      secs(s.cycleMs),
      secs(s.boundMs),
      times(s.boundMs > 0 ? s.cycleMs / s.boundMs : null),
      s.naiveMs === null ? '–' : `${s.naiveExtrapolated ? '~' : ''}${secs(s.naiveMs)}`,
      times(s.naiveMs === null ? null : s.naiveMs / s.cycleMs),
      fixed(s.callsPerTask, 3),
      int(s.throttled),
      int(s.peakRssMb),
      int(s.cpuMs),
      s.store === 'tablestore' ? '–' : int(s.peerCpuMs),
      fixed(s.stalenessCycles, 2),
    ]),
  );
}

export function pollTable(rows: PollRow[]): string {
  return table(
    [
      'Store',
      'Tasks',
      'Regions',
      'Cycle',
      'Finished before it',
      'Polled',
      'Cycle ms',
      'Bound ms',
      '× bound',
      'Naive ms',
      '× naive',
      'DescribeTasks',
      'DescribeTaskAttribute',
      'Needed calls',
      'Calls/task',
      'Throttled',
      'Peak RSS MB',
      'CPU ms',
      'Peer CPU ms',
      'Store round trips',
      'Tablestore requests',
      'Staleness s',
      'Staleness (cycles)',
    ],
    rows.map((r) => [
      r.store,
      int(r.tasks),
      String(r.regions),
      r.cycle === 0 ? '0 (first poll)' : String(r.cycle),
      int(r.finishing),
      pct(r.polledShare),
      int(r.cycleMs),
      int(r.boundMs),
      times(r.vsBound),
      r.naiveMs === null ? '–' : `${r.naiveExtrapolated ? '~' : ''}${int(r.naiveMs)}`,
      times(r.vsNaive),
      int(r.calls.DescribeTasks ?? 0),
      int(r.calls.DescribeTaskAttribute ?? 0),
      int(r.neededCalls),
      fixed(r.callsPerTask, 3),
      int(r.throttled),
      int(r.peakRssMb),
      int(r.cpuMs),
      int(r.peerCpuMs),
      int(r.storeRoundTrips),
      r.tablestoreRequests === null ? '–' : int(r.tablestoreRequests),
      `${int(r.stalenessS)}${r.stalenessSource === 'ecs' ? '*' : ''}`,
      fixed(r.stalenessCycles, 2),
    ]),
  );
}

export function naiveTable(rows: NaiveRow[]): string {
  return table(
    [
      'Tasks',
      'Regions',
      'Workers/region',
      'Ran ms',
      'Polled',
      'Whole list ms',
      'Reached in the budget',
      'DescribeTaskAttribute',
      'Throttled',
      'CPU ms',
      'Peak RSS MB',
    ],
    rows.map((r) => [
      int(r.tasks),
      String(r.regions),
      String(r.workersPerRegion),
      int(r.measuredMs),
      int(r.polled),
      `${r.extrapolated ? '~' : ''}${int(r.fullListMs)}`,
      pct(r.polledShareInBudget),
      int(r.calls.DescribeTaskAttribute ?? 0),
      int(r.throttled),
      int(r.cpuMs),
      int(r.peakRssMb),
    ]),
  );
}

export function firstPollTable(rows: FirstPollRow[]): string {
  return table(
    [
      'Tasks',
      'taskhook ms',
      'ECS bound ms',
      'Reference write ms',
      'Reference ms',
      '× reference',
      'Rows written',
      'Transactions (reference)',
      'taskhook file growth',
      'Reference file growth',
      'taskhook write(2) bytes',
      'Reference write(2) bytes',
      'Store round trips',
    ],
    rows.map((r) => [
      int(r.tasks),
      int(r.cycleMs),
      int(r.boundMs),
      int(r.referenceWriteMs),
      int(r.referenceMs),
      times(r.vsReference),
      Object.entries(r.rowsWritten)
        .map(([t, n]) => `${t} ${int(n)}`)
        .join(', '),
      int(r.transactions),
      kib(r.taskhookWrites.fileBytes),
      kib(r.referenceWrites.fileBytes),
      r.taskhookWrites.wcharBytes === null ? '–' : kib(r.taskhookWrites.wcharBytes),
      r.referenceWrites.wcharBytes === null ? '–' : kib(r.referenceWrites.wcharBytes),
      int(r.storeRoundTrips),
    ]),
  );
}

export function deliveryTable(rows: DeliveryRow[]): string {
  return table(
    [
      'Store',
      'Receivers',
      'In flight',
      'Deliveries',
      'taskhook ms',
      'taskhook/s',
      'Plain undici ms',
      'Plain/s',
      'taskhook ÷ plain',
      'Succeeded',
      'Signatures verified',
      'CPU ms',
    ],
    rows.map((r) => [
      r.store,
      int(r.receivers),
      int(r.concurrency),
      int(r.deliveries),
      int(r.taskhookMs),
      int(r.taskhookPerSecond),
      int(r.plainMs),
      int(r.plainPerSecond),
      times(r.vsPlain),
      int(r.succeeded),
      `${r.signaturesValid}/${r.signaturesChecked}`,
      int(r.cpuMs),
    ]),
  );
}

export function bundleTable(rows: BundleRow[]): string {
  return table(
    [
      'Bundle',
      'Size',
      'gzip',
      'Code directory',
      'Loaded by require()',
      'require() ms',
      'Spawn → exit ms',
      'Empty node ms',
      'Above empty node ms',
      'RSS MB',
      'Runs',
    ],
    rows.map((r) => [
      `\`${r.bundle}\``,
      kib(r.bytes),
      kib(r.gzipBytes),
      kib(r.directoryBytes),
      kib(r.loadedBytes),
      int(r.requireMs),
      int(r.spawnExitMs),
      int(r.emptyNodeMs),
      int(r.aboveEmptyMs),
      fixed(r.rssMb),
      String(r.runs),
    ]),
  );
}

export function targetTable(checks: TargetCheck[]): string {
  return table(
    ['Target', 'Reached', 'Result'],
    checks.map((c) => [c.target, c.reached, c.status]),
  );
}

export function skippedLines(rows: SkippedRow[]): string[] {
  return rows.map((r) => `- skipped: ${r.what} — ${r.reason}`);
}

/** The target check as plain lines for the terminal. */
export function targetLines(checks: TargetCheck[]): string[] {
  const mark = { pass: 'PASS', fail: 'FAIL', 'not measured': 'n/a ' } as const;
  return checks.map((c) => `${mark[c.status]}  ${c.target}: ${c.reached}`);
}
