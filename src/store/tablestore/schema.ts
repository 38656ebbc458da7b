/** The Tablestore tables (names get the configured prefix) and their idempotent creation. */
import { StoreError } from '../../errors.js';
import { Db, ignore, type Table, type TablestoreOptions } from './client.js';

const DAY = 86_400;

/** Every primary key column is a STRING. */
export const TABLE_DEFS = {
  tasks: { pk: ['key'], ttl: -1 },
  active_tasks: { pk: ['key'], ttl: -1 },
  events: { pk: ['id'], ttl: -1 },
  event_index: { pk: ['scope', 'sort_key'], ttl: -1 },
  deliveries: { pk: ['id'], ttl: -1 },
  deliveries_due: { pk: ['due_at', 'id'], ttl: -1 },
  delivery_index: { pk: ['scope', 'sort_key'], ttl: -1 },
  // Attempts are an audit trail nothing else refers to: after 90 days they only cost storage, purge or not.
  attempts: { pk: ['scope', 'sort_key'], ttl: 90 * DAY },
  webhooks: { pk: ['id'], ttl: -1 },
  leases: { pk: ['name'], ttl: -1 },
  marks: { pk: ['name'], ttl: -1 },
  runs: { pk: ['sort_key'], ttl: -1 },
} as const;

export type TableName = keyof typeof TABLE_DEFS;
export type Tables = Record<TableName, Table>;

export function tablesOf(db: Db): Tables {
  return Object.fromEntries(Object.entries(TABLE_DEFS).map(([name, def]) => [name, db.table(name, [...def.pk])])) as Tables;
}

export interface CreateTablesResult {
  created: string[];
  existing: string[];
  /** Created by this run (or a concurrent one) and not yet accepting a read and a write when the wait ran out. */
  notReady: string[];
  /** How long this run waited for the tables it created to accept rows. */
  waitedMs: number;
}

export interface TableReadiness {
  table: string;
  ready: boolean;
  waitedMs: number;
  /** Why the last probe failed, while not ready. */
  code?: string;
}

export interface CreateTablesOptions {
  /** How long to wait for new tables to accept a read and a write. Default 90 s. */
  readyTimeoutMs?: number;
  /** Called after each probe of a table. */
  onProgress?: (progress: TableReadiness) => void;
  sleep?: (ms: number) => Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;
/** A key no record uses: every primary key column gets it. */
const PROBE_KEY = '__taskhook_probe__';
/** Right after CreateTable the service may refuse rows with either code for a while (seconds, sometimes a minute). */
const NOT_READY_CODES = new Set(['OTSTableNotReady', 'OTSObjectNotExist']);

/** Polls with a tiny write, read and delete of a probe row until the table takes them, backing off, until the deadline. */
async function waitUntilReady(db: Db, table: Table, deadline: number, started: number, opts: CreateTablesOptions): Promise<boolean> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const key = table.pk.map(() => PROBE_KEY);
  for (let round = 0; ; round++) {
    try {
      await db.putRow(table, key, { probe: 'taskhook tables init' }, ignore());
      await db.getRow(table, key);
      await db.deleteRow(table, key, ignore());
      opts.onProgress?.({ table: table.name, ready: true, waitedMs: Date.now() - started });
      return true;
    } catch (error) {
      if (!(error instanceof StoreError && (NOT_READY_CODES.has(error.code) || error.retryable))) throw error;
      opts.onProgress?.({ table: table.name, ready: false, waitedMs: Date.now() - started, code: error.code });
      const delay = Math.min(5_000, 250 * 2 ** round, deadline - Date.now());
      if (delay <= 0) return false;
      await sleep(delay);
    }
  }
}

/**
 * Creates the missing tables, then waits until each one it created accepts a read and a write (a new table may refuse
 * rows for a while); running it again (or alongside another run) changes nothing.
 */
export async function createTables(options: TablestoreOptions, opts: CreateTablesOptions = {}): Promise<CreateTablesResult> {
  const db = new Db(options);
  // One attempt per probe call: the readiness loop below does the waiting, with its own deadline and progress.
  const probe = new Db({ ...options, retry: { baseDelayMs: 0, maxDelayMs: 0, budgetMs: 0, maxAttempts: 1 } });
  try {
    const tables = tablesOf(db);
    const present = new Set(await db.listTables());
    const result: CreateTablesResult = { created: [], existing: [], notReady: [], waitedMs: 0 };
    const fresh: Table[] = [];
    for (const [name, def] of Object.entries(TABLE_DEFS) as Array<[TableName, (typeof TABLE_DEFS)[TableName]]>) {
      const table = tables[name];
      if (present.has(table.name)) {
        result.existing.push(table.name);
        continue;
      }
      try {
        await db.createTable(table, def.ttl);
        result.created.push(table.name);
      } catch (error) {
        if (!(error instanceof StoreError && error.code === 'OTSObjectAlreadyExist')) throw error;
        result.existing.push(table.name);
      }
      fresh.push(table); // created just now, by this run or a concurrent one: not known to take rows yet
    }
    const started = Date.now();
    const deadline = started + (opts.readyTimeoutMs ?? READY_TIMEOUT_MS);
    const ready = await Promise.all(fresh.map((table) => waitUntilReady(probe, table, deadline, started, opts)));
    result.notReady = fresh.filter((_, i) => !ready[i]).map((t) => t.name);
    result.waitedMs = fresh.length > 0 ? Date.now() - started : 0;
    return result;
  } finally {
    db.close();
    probe.close();
  }
}
