/**
 * StateStore on Alibaba Cloud Tablestore, for Function Compute. Tables (name = TASKHOOK_TABLE_PREFIX + name; every
 * primary key column is a STRING; max versions 1; no TTL unless noted):
 *
 *   tasks            [key]              "region/taskId": the record, plus `outbox` while a commit's events are unwritten
 *   active_tasks     [key]              one row per active task: what the poller lists
 *   events           [id]               the stored event (JSON)
 *   event_index      [scope, sort_key]  scopes `all`, `task:<region>/<taskId>`, `type:<type>`; newest first
 *   deliveries       [id]               the delivery (JSON) and its status
 *   deliveries_due   [due_at, id]       pending deliveries only, by next attempt time
 *   delivery_index   [scope, sort_key]  scopes `all`, `event:<id>`, `webhook:<id>` (newest first), and
 *                                       `order:<webhookId>|<region>/<taskId>` by sequence while pending
 *   attempts         [scope, sort_key]  scopes `all`, `event:<id>`, `webhook:<id>`; newest first; TTL 90 days
 *   webhooks         [id]               the webhook (JSON)
 *   leases           [name]             holder, expires_at
 *
 * `taskhook tables init` creates them (createTables; safe to run again).
 */
import type { StateStore, StoredEvent, WebhookRecord } from './port.js';
import { anyOf, applied, atMost, equals, long, mustExist, mustNotExist, ignore, INF_MAX, INF_MIN, str, Db, type Row, type TablestoreOptions } from './tablestore/client.js';
import { deliveryMethods } from './tablestore/deliveries.js';
import { purge } from './tablestore/purge.js';
import { cursorAfter, pageScope } from './tablestore/rows.js';
import { createTables, tablesOf, type CreateTablesResult } from './tablestore/schema.js';
import { taskMethods } from './tablestore/tasks.js';

export { createTables, type CreateTablesResult, type TablestoreOptions };

export function createTablestoreStore(options: TablestoreOptions): StateStore {
  const db = new Db(options);
  const t = tablesOf(db);
  const tasks = taskMethods(db, t);

  return {
    watchTask: tasks.watchTask,
    unwatchTask: tasks.unwatchTask,
    getTasks: tasks.getTasks,
    listActiveTasks: tasks.listActiveTasks,
    listTasks: tasks.listTasks,
    commitTransition: tasks.commitTransition,

    async getEvent(id) {
      const row = await db.getRow(t.events, [id]);
      return row ? (JSON.parse(str(row.attrs.body)!) as StoredEvent) : null;
    },

    async listEvents(query) {
      // The narrowest scope the query names; the other conditions filter its index rows.
      const scope = query.regionId && query.taskId ? `task:${query.regionId}/${query.taskId}` : query.type ? `type:${query.type}` : 'all';
      const matches = (r: Row) =>
        (!query.regionId || r.attrs.region_id === query.regionId) && (!query.taskId || r.attrs.task_id === query.taskId) && (!query.type || r.attrs.type === query.type);
      const covered = scope.startsWith('task:') ? !query.type : !query.regionId && !query.taskId;
      const { rows, more } = await pageScope(db, t.event_index, scope, query, covered ? undefined : matches);
      const bodies = await db.batchGet(t.events, rows.map((r) => [str(r.attrs.event_id)!]));
      return { items: bodies.flatMap((b) => (b ? [JSON.parse(str(b.attrs.body)!) as StoredEvent] : [])), ...cursorAfter(rows, more) };
    },

    ...deliveryMethods(db, t),

    async putWebhook(webhook) {
      await db.putRow(t.webhooks, [webhook.id], { body: JSON.stringify(webhook), created_at: webhook.createdAt }, ignore());
    },

    async getWebhook(id) {
      const row = await db.getRow(t.webhooks, [id]);
      return row ? (JSON.parse(str(row.attrs.body)!) as WebhookRecord) : null;
    },

    async listWebhooks() {
      const all: WebhookRecord[] = [];
      await db.scan(t.webhooks, [INF_MIN], [INF_MAX], { limit: 5000 }, async (rows) => void all.push(...rows.map((r) => JSON.parse(str(r.attrs.body)!) as WebhookRecord)));
      return all.sort((a, b) => (a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async deleteWebhook(id) {
      const state = { maybeApplied: false };
      // A failed existence check after a lost answer means the first try deleted it.
      return (await applied(db.deleteRow(t.webhooks, [id], mustExist(), state))) || state.maybeApplied;
    },

    async acquireLease(name, holder, ttlMs, nowMs) {
      const attrs = { holder, expires_at: long(nowMs + ttlMs) };
      if (await applied(db.putRow(t.leases, [name], attrs, mustNotExist()))) return true;
      // Taken: ours to renew, or expired. A lost answer to the put above lands here too, as our own renewal.
      return applied(db.updateRow(t.leases, [name], { put: attrs }, mustExist(anyOf(equals('holder', holder), atMost('expires_at', long(nowMs))))));
    },

    async releaseLease(name, holder) {
      await applied(db.deleteRow(t.leases, [name], mustExist(equals('holder', holder))));
    },

    purge: (before) => purge(db, t, before),

    async close() {
      db.close();
    },
  };
}
