/**
 * The first poll of N new tasks on SQLite, against a reference: the rows that poll changed, written into a copy of
 * the database as it was before the poll, 100 rows per transaction. Both sides report time and bytes written.
 */
import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log.js';
import { pollOnce, type PollDeps } from '../src/poller.js';
import { webhookRecord } from '../src/fakes/records.js';
import { boundMs } from './bound.js';
import { countingStore } from './counting-store.js';
import { AGE_MS, cycleNeeds, type FleetSpec } from './fleet.js';
import { Peer } from './peer-client.js';
import { BenchClock, benchEcs, registerFleet } from './poll.js';
import type { EcsSetting, FirstPollRow, SqliteWrites } from './rows.js';
import { cpuMs, ioCounters, peakRssMb, type IoCounters } from './stats.js';
import { openStore } from './stores.js';

export interface FirstPollJob {
  kind: 'first-poll';
  tasks: number;
  ecs: EcsSetting;
  budgetMs: number;
}

const ROWS_PER_TRANSACTION = 100;

type Row = Record<string, unknown>;

interface TableRows {
  table: string;
  columns: string[];
  rows: Map<string, Row>;
}

const filesBytes = (path: string) => [path, `${path}-wal`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);

function writesBetween(path: string, bytes0: number, io0: IoCounters | null): SqliteWrites {
  const io1 = ioCounters();
  return {
    fileBytes: filesBytes(path) - bytes0,
    wcharBytes: io0 && io1 ? io1.wchar - io0.wchar : null,
    ioWriteBytes: io0 && io1 ? io1.writeBytes - io0.writeBytes : null,
  };
}

/** Every row of every table, keyed by its primary key (or rowid). */
function readAll(path: string): TableRows[] {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[];
    return tables.map(({ name }) => {
      const info = db.prepare(`SELECT name, pk FROM pragma_table_info(?)`).all(name) as { name: string; pk: number }[];
      const pk = info.filter((c) => c.pk > 0).map((c) => c.name);
      const columns = info.map((c) => c.name);
      const rows = new Map<string, Row>();
      for (const row of db.prepare(`SELECT rowid AS "__rowid", * FROM "${name}"`).all() as Row[]) {
        const key = JSON.stringify(pk.length ? pk.map((c) => row[c]) : [row.__rowid]);
        delete row.__rowid;
        rows.set(key, row);
      }
      return { table: name, columns, rows };
    });
  } finally {
    db.close();
  }
}

/** The rows of `after` that are new or different from `before`. */
function changedRows(before: TableRows[], after: TableRows[]): { table: string; columns: string[]; row: Row }[] {
  return after.flatMap(({ table, columns, rows }) => {
    const old = before.find((t) => t.table === table)?.rows;
    return [...rows.entries()].filter(([key, row]) => JSON.stringify(old?.get(key)) !== JSON.stringify(row)).map(([, row]) => ({ table, columns, row }));
  });
}

/** Writes `changes` into the database at `path`, ROWS_PER_TRANSACTION rows per transaction, as the SQLite store opens it. */
function referenceWrite(path: string, changes: { table: string; columns: string[]; row: Row }[]): { ms: number; writes: SqliteWrites; transactions: number } {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const statements = new Map<string, Database.Statement>();
    const statementFor = (table: string, columns: string[]) => {
      let s = statements.get(table);
      if (!s) {
        s = db.prepare(`INSERT OR REPLACE INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
        statements.set(table, s);
      }
      return s;
    };
    const writeBatch = db.transaction((batch: typeof changes) => {
      for (const { table, columns, row } of batch) statementFor(table, columns).run(columns.map((c) => row[c]));
    });
    const bytes0 = filesBytes(path);
    const io0 = ioCounters();
    const t0 = performance.now();
    let transactions = 0;
    for (let i = 0; i < changes.length; i += ROWS_PER_TRANSACTION) {
      writeBatch(changes.slice(i, i + ROWS_PER_TRANSACTION));
      transactions++;
    }
    const ms = performance.now() - t0;
    return { ms, writes: writesBetween(path, bytes0, io0), transactions };
  } finally {
    db.close();
  }
}

export async function runFirstPoll(job: FirstPollJob): Promise<FirstPollRow> {
  const peer = Peer.start();
  const dir = mkdtempSync(join(tmpdir(), 'taskhook-bench-ref-'));
  try {
    const spec: FleetSpec = { count: job.tasks, regions: ['cn-hangzhou'], createdAt: Date.now() - AGE_MS };
    const endpoint = await peer.startSim(spec, job.ecs);
    const clock = new BenchClock(peer);
    const opened = await openStore('sqlite', peer);
    const path = opened.path!;
    const counted = countingStore(opened.store);
    try {
      await opened.store.putWebhook(webhookRecord('wh_bench_done', { events: ['ecs.task.succeeded', 'ecs.task.failed'] }));
      await registerFleet(opened.store, spec, new Date(clock.now()).toISOString());
      await peer.watched();
      const beforePath = join(dir, 'before.db');
      const snapshot = new Database(path, { readonly: true });
      snapshot.exec(`VACUUM INTO '${beforePath.replace(/'/g, "''")}'`);
      snapshot.close();

      const config = { tasks: [], discover: [], webhooks: [], retentionDays: 30, confirmSeconds: 120, ecsRate: job.ecs.quotaPerSecond };
      const deps: PollDeps = { ecsFor: benchEcs(endpoint, job.ecs, clock.now), store: counted.store, config, logger: silentLogger, now: clock.now };
      await peer.cycleStart();
      const bytes0 = filesBytes(path);
      const io0 = ioCounters();
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await pollOnce(deps, { budgetMs: job.budgetMs });
      const cycleMs = performance.now() - t0;
      const cpu = cpuMs(cpu0, process.cpuUsage());
      const taskhookWrites = writesBetween(path, bytes0, io0);

      const changes = changedRows(readAll(beforePath), readAll(path));
      const refPath = join(dir, 'reference.db');
      copyFileSync(beforePath, refPath);
      const reference = referenceWrite(refPath, changes);
      const rowsWritten: Record<string, number> = {};
      for (const c of changes) rowsWritten[c.table] = (rowsWritten[c.table] ?? 0) + 1;
      const bound = boundMs(cycleNeeds(spec, 0), job.ecs.quotaPerSecond, job.ecs.latencyMs);
      const referenceMs = bound + reference.ms;
      return {
        kind: 'first-poll',
        store: 'sqlite',
        tasks: job.tasks,
        cycleMs,
        boundMs: bound,
        referenceWriteMs: reference.ms,
        referenceMs,
        vsReference: cycleMs / referenceMs,
        rowsWritten,
        transactions: reference.transactions,
        taskhookWrites,
        referenceWrites: reference.writes,
        storeRoundTrips: counted.total(),
        cpuMs: cpu,
        peakRssMb: peakRssMb(),
      };
    } finally {
      await opened.store.close();
      await opened.cleanup();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await peer.close();
  }
}
