/** `npm run bench`: poll cycle cost, webhook delivery throughput and cold start; writes bench/results/latest.{md,json}. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { benchColdStart, extraSizes } from './cold-start.js';
import { benchDelivery, type DeliveryCase, type DeliveryRow } from './delivery.js';
import { Peer } from './peer-client.js';
import { benchPollCase, type PollCase, type PollRow } from './poll.js';
import { coldStartTable, deliveryTable, pollTable } from './report.js';

const ROOT = join(__dirname, '..');
/** Cases not started by then are skipped, so the whole bench stays within about three minutes. */
const TOTAL_BUDGET_MS = 140_000;

const ONE_REGION = ['cn-hangzhou'];
const FOUR_REGIONS = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen'];
const HAS_TABLESTORE = existsSync(join(ROOT, 'src', 'store', 'tablestore.ts'));

/** Display order; `extra` cases run after every other one, so a slow machine drops them first. */
const POLL_CASES: (PollCase & { extra?: boolean })[] = [
  { store: 'memory', tasks: 100, regions: ONE_REGION },
  { store: 'memory', tasks: 1_000, regions: ONE_REGION },
  { store: 'memory', tasks: 5_000, regions: ONE_REGION },
  { store: 'memory', tasks: 1_000, regions: FOUR_REGIONS },
  { store: 'sqlite', tasks: 100, regions: ONE_REGION },
  { store: 'sqlite', tasks: 1_000, regions: ONE_REGION },
  { store: 'sqlite', tasks: 5_000, regions: ONE_REGION },
  { store: 'sqlite', tasks: 1_000, regions: FOUR_REGIONS },
  { store: 'memory', tasks: 1_000, regions: ONE_REGION, progressHook: true, extra: true },
  ...(HAS_TABLESTORE
    ? [
        { store: 'tablestore' as const, tasks: 100, regions: ONE_REGION, extra: true },
        { store: 'tablestore' as const, tasks: 1_000, regions: ONE_REGION, runs: 1, extra: true },
      ]
    : []),
];

const DELIVERY_CASES: (DeliveryCase & { extra?: boolean })[] = [
  { store: 'memory', deliveries: 1_000, endpoints: 1 },
  { store: 'memory', deliveries: 1_000, endpoints: 10 },
  { store: 'sqlite', deliveries: 1_000, endpoints: 1, extra: true },
  ...(HAS_TABLESTORE ? [{ store: 'tablestore' as const, deliveries: 1_000, endpoints: 1, extra: true }] : []),
];

function machineLine(started: Date): string {
  const cpus = os.cpus();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  return `Node ${process.version} · ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length} · ${Math.round(os.totalmem() / 2 ** 30)} GiB · load average at start ${load} · ${started.toISOString()}`;
}

const POLL_NOTES = [
  'Wall: one `pollOnce` against the ECS simulator on 127.0.0.1. taskhook CPU: this process (poller, store, pop-core client).',
  'Peer CPU: the child process serving the simulator (and the fake Tablestore in Tablestore rows), so it is not billed to taskhook.',
  'Every run starts from an empty store; a webhook subscribed to completions is registered, so finished tasks also write deliveries.',
  'RSS Δ: RSS after the cycle minus RSS after a forced GC just before it (negative: the allocator gave pages back).',
];

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const deadline = Date.now() + TOTAL_BUDGET_MS;
  const machine = machineLine(started);
  const notes: string[] = [];
  const pollRows = new Map<number, PollRow[]>();
  const deliveryRows = new Map<number, DeliveryRow>();
  const progress = (what: string) => process.stderr.write(`${what} done (${Math.round((performance.now() - t0) / 1000)} s)\n`);

  // First, while dist/ is fresh from the build that `npm run bench` just ran.
  const coldRows = await benchColdStart(ROOT).catch((error: unknown) => {
    notes.push(`cold start failed: ${String(error).split('\n')[0]}`);
    return [];
  });
  const bundleSizes = extraSizes(ROOT);
  if (coldRows.length === 0) notes.push('no FC bundle under dist/: cold start not measured (run `node scripts/build.mjs` first)');
  for (const name of ['api', 'poller']) {
    const bundle = `dist/${name}/index.js`;
    if (existsSync(join(ROOT, 'functions', name, 'index.ts')) && coldRows.length > 0 && !coldRows.some((r) => r.bundle === bundle))
      notes.push(`${bundle} was missing (a concurrent build had emptied dist/): cold start not measured`);
  }
  for (const r of coldRows) if (r.handlerType !== 'function') notes.push(`${r.bundle}: exports handler of type ${r.handlerType}`);
  progress('cold start');

  const peer = Peer.start();

  const pollJob = (i: number) => async () => {
    const c = POLL_CASES[i];
    const label = `poll ${c.store}${c.progressHook ? ' + progress webhook' : ''} ${c.tasks} tasks in ${c.regions.length} region(s)`;
    if (Date.now() > deadline) return void notes.push(`skipped (time budget): ${label}`);
    const rows = await benchPollCase(peer, c, deadline);
    pollRows.set(i, rows);
    for (const r of rows) {
      if (r.median.deferred > 0 || r.median.polled !== r.tasks)
        notes.push(`${label}, ${r.cycle} cycle: polled ${r.median.polled}, deferred ${r.median.deferred}`);
    }
    progress(label);
  };
  const deliveryJob = (i: number) => async () => {
    const c = DELIVERY_CASES[i];
    const label = `delivery ${c.store}, ${c.deliveries} to ${c.endpoints} endpoint(s)`;
    if (Date.now() > deadline) return void notes.push(`skipped (time budget): ${label}`);
    const row = await benchDelivery(peer, c);
    deliveryRows.set(i, row);
    if (row.succeeded !== row.deliveries) notes.push(`${label}: ${row.succeeded} succeeded, ${row.failed} failed, ${row.dead} dead`);
    if (row.signaturesValid !== row.signaturesChecked) notes.push(`${label}: ${row.signaturesChecked - row.signaturesValid} signatures did not verify`);
    progress(label);
  };
  const jobs = [
    ...POLL_CASES.flatMap((c, i) => (c.extra ? [] : [pollJob(i)])),
    ...DELIVERY_CASES.flatMap((c, i) => (c.extra ? [] : [deliveryJob(i)])),
    ...POLL_CASES.flatMap((c, i) => (c.extra ? [pollJob(i)] : [])),
    ...DELIVERY_CASES.flatMap((c, i) => (c.extra ? [deliveryJob(i)] : [])),
  ];

  try {
    for (const job of jobs) await job();
  } finally {
    await peer.close();
  }

  const ordered = <T>(m: Map<number, T>) => [...m.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
  const poll = ordered(pollRows).flat();
  const delivery = ordered(deliveryRows);
  const totalS = (performance.now() - t0) / 1000;
  const md = [
    '### Poll cycle vs watched tasks',
    '',
    pollTable(poll),
    '',
    ...POLL_NOTES.map((n) => `- ${n}`),
    '',
    '### Webhook delivery (receiver answers 204 from a separate process)',
    '',
    deliveryTable(delivery),
    '',
    '### Cold start (fresh `node` process per run)',
    '',
    coldStartTable(coldRows),
    '',
    `${machine} · bench took ${totalS.toFixed(0)} s`,
    ...(notes.length ? ['', ...notes.map((n) => `- ${n}`)] : []),
    '',
  ].join('\n');

  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.md'), md);
  const machineJson = { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadavg: os.loadavg(), date: started.toISOString() };
  const json = { machine: machineJson, totalSeconds: totalS, poll, delivery, coldStart: coldRows, bundleSizes, notes };
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(json, null, 2) + '\n');
  process.stdout.write(md);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
