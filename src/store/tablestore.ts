/**
 * The Tablestore backend, for Function Compute. Tables (name = TASKHOOK_TABLE_PREFIX + name; every
 * primary key column is a STRING; max versions 1; no TTL unless noted):
 *
 *   tasks            [key]              "region/taskId": the record, plus `outbox` while a commit's events are unwritten
 *   active_tasks     [key]              one row per active task: what the poller lists
 *   events           [id]               the stored event (JSON)
 *   event_index      [scope, sort_key]  scopes `all#00`..`all#15`, `task:<region>/<taskId>`, `type:<type>`; newest first
 *   deliveries       [id]               the delivery (JSON) and its status
 *   deliveries_due   [due_at, id]       pending deliveries only, by next attempt time
 *   delivery_index   [scope, sort_key]  scopes `all#00`..`all#15`, `event:<id>`, `webhook:<id>` (newest first), and
 *                                       `order:<webhookId>|<region>/<taskId>` by sequence while pending
 *   attempts         [scope, sort_key]  scopes `all#00`..`all#15`, `event:<id>`, `webhook:<id>`; newest first; TTL 90 days
 *
 * The unscoped listing's rows go to 16 buckets by a hash of the row's id (one partition would never split); reads
 * merge the buckets, and rows an older release wrote under `all` are read and purged as a 17th bucket.
 *   webhooks         [id]               the webhook (JSON)
 *   leases           [name]             holder, expires_at
 *   runs             [sort_key]         one row per poll run (the run log): newest started first
 *
 * `taskhook tables init` creates them and waits until each new one takes rows (createTables; safe to run again).
 */
import { randomUUID } from 'node:crypto';
import type { StorageBackend } from './backend.js';
import { createStateStore } from './layer.js';
import type { StateStore, WebhookRecord } from './port.js';
import {
  anyOf,
  applied,
  above,
  atMost,
  equals,
  long,
  mustExist,
  mustNotExist,
  ignore,
  INF_MAX,
  INF_MIN,
  str,
  Db,
  type CallState,
  type TablestoreOptions,
} from './tablestore/client.js';
import { deliveryRows } from './tablestore/deliveries.js';
import { eventRows } from './tablestore/events.js';
import { purge } from './tablestore/purge.js';
import { runRows } from './tablestore/runs.js';
import { createTables, tablesOf, type CreateTablesOptions, type CreateTablesResult, type TableReadiness } from './tablestore/schema.js';
import { taskRows } from './tablestore/tasks.js';

export { createTables, type CreateTablesOptions, type CreateTablesResult, type TableReadiness, type TablestoreOptions };

export function createTablestoreStore(options: TablestoreOptions): StateStore {
  const db = new Db(options);
  const t = tablesOf(db);

  const backend: StorageBackend = {
    tasks: taskRows(db, t),
    events: eventRows(db, t),
    deliveries: deliveryRows(db, t),

    webhooks: {
      async put(webhook) {
        await db.putRow(t.webhooks, [webhook.id], { body: JSON.stringify(webhook), created_at: webhook.createdAt, rev: randomUUID() }, ignore());
      },
      async get(id) {
        const row = await db.getRow(t.webhooks, [id]);
        // A row written before revisions existed has none: '' matches it through passIfMissing below.
        return row ? { value: JSON.parse(str(row.attrs.body)!) as WebhookRecord, revision: str(row.attrs.rev) ?? '' } : null;
      },
      async replace(current, next) {
        const id = current.value.id;
        // A fresh random rev per write, so a record changed and changed back still fails the comparison.
        const rev = randomUUID();
        const state: CallState = { maybeApplied: false };
        const put = { body: JSON.stringify({ ...next, id }), created_at: next.createdAt, rev };
        const unchanged = mustExist(equals('rev', current.revision, current.revision === ''));
        if (await applied(db.updateRow(t.webhooks, [id], { put }, unchanged, state))) return true;
        // A retry after a lost answer fails on its own write: the rev says whose write the row holds.
        return state.maybeApplied && str((await db.getRow(t.webhooks, [id], ['rev']))?.attrs.rev) === rev;
      },
      async all() {
        const all: WebhookRecord[] = [];
        await db.scan(
          t.webhooks,
          [INF_MIN],
          [INF_MAX],
          { limit: 5000 },
          async (rows) => void all.push(...rows.map((r) => JSON.parse(str(r.attrs.body)!) as WebhookRecord)),
        );
        return all;
      },
      async delete(id) {
        const state = { maybeApplied: false };
        // A failed existence check after a lost answer means the first try deleted it.
        return (await applied(db.deleteRow(t.webhooks, [id], mustExist(), state))) || state.maybeApplied;
      },
    },

    leases: {
      insert: (name, lease) => applied(db.putRow(t.leases, [name], { holder: lease.holder, expires_at: long(lease.expiresAtMs) }, mustNotExist())),
      // A lost answer to an insert lands here too, as the holder's own renewal.
      replaceIf: (name, lease, when) =>
        applied(
          db.updateRow(
            t.leases,
            [name],
            { put: { holder: lease.holder, expires_at: long(lease.expiresAtMs) } },
            mustExist(anyOf(equals('holder', when.heldBy), atMost('expires_at', long(when.expiredBy)), above('expires_at', long(when.insaneAfter)))),
          ),
        ),
      async delete(name, holder) {
        await applied(db.deleteRow(t.leases, [name], mustExist(equals('holder', holder))));
      },
    },

    marks: {
      async get(name) {
        return str((await db.getRow(t.marks, [name]))?.attrs.value) ?? null;
      },
      async put(name, value, updatedAt) {
        await db.putRow(t.marks, [name], { value, updated_at: updatedAt }, ignore());
      },
    },

    runs: runRows(db, t),

    purge: (before, keep) => purge(db, t, before, keep),

    async close() {
      db.close();
    },
  };
  return createStateStore(backend);
}
