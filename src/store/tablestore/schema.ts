/** The Tablestore tables (names get the configured prefix) and their idempotent creation. */
import { StoreError } from '../../errors.js';
import { Db, type Table, type TablestoreOptions } from './client.js';

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
} as const;

export type TableName = keyof typeof TABLE_DEFS;
export type Tables = Record<TableName, Table>;

export function tablesOf(db: Db): Tables {
  return Object.fromEntries(Object.entries(TABLE_DEFS).map(([name, def]) => [name, db.table(name, [...def.pk])])) as Tables;
}

export interface CreateTablesResult {
  created: string[];
  existing: string[];
}

/** Creates the missing tables; running it again (or alongside another run) changes nothing. */
export async function createTables(options: TablestoreOptions): Promise<CreateTablesResult> {
  const db = new Db(options);
  try {
    const tables = tablesOf(db);
    const present = new Set(await db.listTables());
    const result: CreateTablesResult = { created: [], existing: [] };
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
    }
    return result;
  } finally {
    db.close();
  }
}
