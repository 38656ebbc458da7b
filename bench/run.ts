/**
 * `npm run bench` (`-- --quick` for the short set): every scenario in a fresh process, taskhook side by side with the
 * naive poller and the lower bound, plus first poll, delivery and bundles; writes bench/results/latest.{json,md} and
 * bench/results/cycle-time.svg, and prints the tables and the target check. `-- --only=<text>` runs only the jobs whose
 * label contains the text ("bundles" for the bundles) and prints their tables without writing the results.
 */
import { build } from 'esbuild';
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { cycleTimeChart } from './chart.js';
import { latencyLead, latencyNotes, latencyTable, withCallsVsPlain } from './latency-report.js';
import type { ChildJob } from './child.js';
import { benchBundles } from './cold-start.js';
import { plan, BUDGET_MS, ECS, INTERVAL_MS } from './plan.js';
import {
  bundleTable,
  deliveryTable,
  firstPollTable,
  headlineTable,
  naiveTable,
  pollTable,
  scenarioSummaries,
  skippedLines,
  targetLines,
  targetTable,
} from './report.js';
import type { BundleRow, DeliveryRow, FirstPollRow, LatencyRow, NaiveRow, PollRow, ReadinessRow, ResultRow, SkippedRow } from './rows.js';
import { checkTargets } from './targets.js';
import { readinessTable } from './readiness.js';

const ROOT = join(__dirname, '..');
const BUILD_DIR = join(ROOT, 'node_modules', '.cache', 'taskhook-bench');
/** A child that sent its rows but keeps running (a handle left open) is stopped after this. */
const EXIT_GRACE_MS = 10_000;

/** The bench's processes run as plain JavaScript: a TypeScript loader would add its own memory to every peak RSS. */
async function buildChildren(): Promise<string> {
  await build({
    entryPoints: { child: join(ROOT, 'bench', 'child.ts'), peer: join(ROOT, 'bench', 'peer.ts') },
    outdir: BUILD_DIR,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  return join(BUILD_DIR, 'child.cjs');
}

function runChild(script: string, job: ChildJob): Promise<{ rows: ResultRow[]; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(script, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answered = false;
    let grace: NodeJS.Timeout | undefined;
    child.once('message', (msg: { rows?: ResultRow[]; peakRssMb?: number; error?: string }) => {
      answered = true;
      grace = setTimeout(() => child.kill(), EXIT_GRACE_MS);
      if (msg.rows) resolve({ rows: msg.rows, peakRssMb: msg.peakRssMb ?? NaN });
      else reject(new Error(msg.error ?? 'the child answered nothing'));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(grace);
      if (!answered) reject(new Error(`the child exited with ${signal ?? code} before answering`));
    });
    child.send(job);
  });
}

function machineLine(started: Date, totalS: number): string {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  return `Node ${process.version} · ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} · ${Math.round(os.totalmem() / 2 ** 30)} GiB · load average at the end ${load} · ${started.toISOString()} · bench took ${totalS.toFixed(0)} s`;
}

const label = (job: ChildJob) => {
  switch (job.kind) {
    case 'poll':
      return `poll ${job.store} ${job.tasks} tasks × ${job.regions.length} region(s)`;
    case 'naive':
      return `naive ${job.tasks} tasks × ${job.regions.length} region(s)`;
    case 'first-poll':
      return `first poll of ${job.tasks} new tasks, sqlite`;
    case 'delivery':
      return `delivery ${job.deliveries} to ${job.receivers} receivers`;
    case 'latency':
      return `latency ${job.mode}, ${job.shape === 'running' ? 'running ' : ''}${job.tasks} tasks over ${job.windowMs / 60_000} min`;
    case 'readiness':
      return `readiness ${job.readiness ? 'on' : 'off'}, ${job.mode}${job.hotBudgetSeconds === undefined ? '' : ` ${job.hotBudgetSeconds} s`}, ${job.mix}, ${job.tasks} tasks`;
    case 'idle':
      return 'idle';
  }
};

/** Each poll row gets the naive poller's time for the same list. */
function matchNaive(poll: PollRow[], naive: NaiveRow[]): PollRow[] {
  return poll.map((r) => {
    const n = naive.find((x) => x.tasks === r.tasks && x.regions === r.regions);
    if (!n) return r;
    return { ...r, naiveMs: n.fullListMs, naiveExtrapolated: n.extrapolated, vsNaive: r.cycleMs / n.fullListMs };
  });
}

async function measureBundles(runs: number, notes: string[]): Promise<BundleRow[]> {
  try {
    const { rows, missing } = await benchBundles(ROOT, runs);
    for (const m of missing) notes.push(`${m} was missing (not built, or a concurrent build had emptied dist/): not measured`);
    for (const r of rows) if (!r.bundle.includes('cli') && r.handlerType !== 'function') notes.push(`${r.bundle} exports handler of type ${r.handlerType}`);
    return rows;
  } catch (error) {
    notes.push(`bundles not measured: ${String(error).split('\n')[0]}`);
    return [];
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const wanted = (what: string) => only === undefined || what.includes(only);
  const started = new Date();
  const t0 = performance.now();
  const elapsed = () => `${Math.round((performance.now() - t0) / 1000)} s`;
  const p = plan(quick);
  const notes: string[] = [];
  const rows: ResultRow[] = [];
  const skipped: SkippedRow[] = p.skipped.map((s) => ({ kind: 'skipped', ...s }));

  // First, while dist/ is fresh from the build `npm run bench` just ran.
  if (wanted('bundles')) {
    rows.push(...(await measureBundles(p.bundleRuns, notes)));
    process.stderr.write(`bundles done (${elapsed()})\n`);
  }

  const script = await buildChildren();
  const baselineRssMb = (await runChild(script, { kind: 'idle' })).peakRssMb;
  const jobs: ChildJob[] = [...p.poll, ...p.naive, ...p.firstPoll, ...p.delivery, ...p.latency, ...p.readiness].filter((job) => wanted(label(job)));
  for (const job of jobs) {
    process.stderr.write(`${label(job)} …\n`);
    try {
      rows.push(...(await runChild(script, job)).rows);
    } catch (error) {
      notes.push(`${label(job)} failed: ${String(error).split('\n')[0]}`);
      process.stderr.write(`${label(job)} failed: ${String(error)}\n`);
    }
    process.stderr.write(`${label(job)} done (${elapsed()})\n`);
  }

  const naive = rows.filter((r): r is NaiveRow => r.kind === 'naive');
  const poll = matchNaive(
    rows.filter((r): r is PollRow => r.kind === 'poll'),
    naive,
  );
  // The Tablestore scenario left out says what its largest measured sibling cost.
  const ts = poll.filter((r) => r.store === 'tablestore' && r.cycle === 0).sort((a, b) => b.tasks - a.tasks)[0];
  for (const s of skipped) {
    if (ts && s.what.startsWith('tablestore')) {
      s.reason += ` (here, ${ts.tasks.toLocaleString('en-US')} tasks × ${ts.regions}: registering the list took ${(ts.setupMs / 1000).toFixed(0)} s, the first poll ${(ts.cycleMs / 1000).toFixed(0)} s)`;
    }
  }
  const firstPoll = rows.filter((r): r is FirstPollRow => r.kind === 'first-poll');
  const delivery = rows.filter((r): r is DeliveryRow => r.kind === 'delivery');
  const bundles = rows.filter((r): r is BundleRow => r.kind === 'bundle');
  const latency = withCallsVsPlain(rows.filter((r): r is LatencyRow => r.kind === 'latency'));
  const readiness = rows.filter((r): r is ReadinessRow => r.kind === 'readiness');
  const all: ResultRow[] = [...poll, ...naive, ...firstPoll, ...delivery, ...bundles, ...latency, ...readiness, ...skipped];
  const checks = checkTargets(all);
  const totalS = (performance.now() - t0) / 1000;
  const machine = machineLine(started, totalS);
  const ecsLine = `ECS: the simulator in its own process, ${ECS.latencyMs} ms latency, ${ECS.quotaPerSecond} calls/s per API and region (Throttling.User past it); taskhook told the same rate. Poll budget ${BUDGET_MS / 1000} s, a cycle every ${INTERVAL_MS / 1000} s of simulated time.`;

  /** A heading, its table and any lines under it; nothing when the run measured none of it. */
  const section = (title: string, count: number, body: string[]) => (count === 0 ? [] : [`### ${title}`, '', ...body, '']);
  const md = [
    `## Benchmark results${quick ? ' (--quick)' : ''}`,
    '',
    ecsLine,
    '',
    ...section('Targets', checks.length, [targetTable(checks)]),
    ...section('Poll scenarios: steady state (median over the cycles after the first poll)', poll.length, [
      headlineTable(poll),
      '',
      '![Cycle time against watched tasks](cycle-time.svg)',
    ]),
    ...section('Every poll cycle', poll.length, [
      pollTable(poll),
      '',
      '`~`: the naive poller did not finish the list in its measuring window; its time is extrapolated from its rate. `*`: staleness from the simulator (the poll summary did not report it).',
      `Peak RSS is the whole process's: one that loads the same code and does nothing peaks at ${baselineRssMb.toFixed(0)} MB.`,
    ]),
    ...section('The naive poller (one DescribeTaskAttribute per task)', naive.length, [naiveTable(naive)]),
    ...section('First poll of new tasks on SQLite against the reference (the same rows, 100 per transaction)', firstPoll.length, [firstPollTable(firstPoll)]),
    ...section('Webhook delivery against a plain undici POST loop', delivery.length, [deliveryTable(delivery)]),
    ...section('Bundles: size and load time in fresh processes', bundles.length, [bundleTable(bundles)]),
    ...section('Latency: true finish to the completion event at the receiver', latency.length, [
      latencyTable(latency),
      '',
      latencyLead(latency[0], INTERVAL_MS),
      ...latencyNotes(latency),
    ]),
    ...section('Readiness: completion once the resource is usable (the simulator’s readiness lag 20–120 s)', readiness.length, [
      readinessTable(readiness),
      '',
      '`× without`: ECS calls against the same scenario with TASKHOOK_READY_WAIT=*:0. Usable → event: from the instant the resource became usable to the arrival of its `ecs.task.succeeded`. Early: completions that arrived before their resource was usable.',
    ]),
    machine,
    ...(skipped.length || notes.length ? ['', ...skippedLines(skipped), ...notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');

  if (only !== undefined) {
    process.stdout.write(md);
    return;
  }
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.md'), md);
  writeFileSync(join(dir, 'cycle-time.svg'), cycleTimeChart(scenarioSummaries(poll)));
  const machineJson = { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadavg: os.loadavg(), date: started.toISOString() };
  const json = {
    machine: machineJson,
    quick,
    baselineRssMb,
    ecs: ECS,
    budgetMs: BUDGET_MS,
    intervalMs: INTERVAL_MS,
    totalSeconds: totalS,
    results: all,
    targets: checks,
    notes,
  };
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(json, null, 2) + '\n');
  process.stdout.write(md);
  process.stdout.write(['', 'Target check:', ...targetLines(checks), ''].join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
