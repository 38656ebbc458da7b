/** Retention: removes what was last touched before a time, reading only the old end of each listing where it can. */
import type { RetentionResult } from '../port.js';
import { allOf, equals, ignore, INF_MAX, INF_MIN, long, mustExist, num, str, type Db, type Row, type WriteRow } from './client.js';
import { orderSortKey } from '../cursor.js';
import { purgeable } from '../retention.js';
import { dueOf, removeDue, staleDue } from './deliveries.js';
import { ALL_SCOPES, allScope, attemptId, deliveryScopes, orderScope, parseDelivery } from './rows.js';
import { purgeRuns } from './runs.js';
import type { Tables } from './schema.js';

const PAGE = 1000;

export async function purge(db: Db, t: Tables, before: string, keep: ReadonlySet<string>): Promise<RetentionResult> {
  const result: RetentionResult = { tasks: 0, events: 0, deliveries: 0, attempts: 0, runs: 0 };
  const oldestFirst = { limit: PAGE, backward: true };

  // Inactive tasks: the whole table is read (it is only the retained ones plus the active ones).
  await db.scan(t.tasks, [INF_MIN], [INF_MAX], { limit: PAGE, columns: ['active', 'updated_at', 'version', 'active_id'] }, async (rows) => {
    const old = rows.filter((r) =>
      purgeable.task({ key: str(r.key.key) ?? '', active: r.attrs.active !== false, updatedAt: str(r.attrs.updated_at) ?? '' }, before, keep),
    );
    const outcomes = await db.batchWrite(
      old.map((r): WriteRow => ({
        type: 'DELETE',
        table: t.tasks,
        key: [str(r.key.key)!],
        // Unchanged since read, and no outbox (passIfMissing: only an absent outbox passes the comparison with '').
        condition: mustExist(allOf(equals('version', long(num(r.attrs.version))), equals('outbox', '', true))),
      })),
    );
    const gone = old.filter((_, i) => outcomes[i] === 'ok');
    result.tasks += gone.length;
    await db.batchWrite(
      gone.map((r): WriteRow => ({
        type: 'DELETE',
        table: t.active_tasks,
        key: [str(r.key.key)!],
        condition: ignore(equals('active_id', str(r.attrs.active_id) ?? '')),
      })),
    );
  });

  // active_tasks rows whose task is gone (an unwatch or purge that stopped half-way), old enough not to be a watch in progress.
  await db.scan(t.active_tasks, [INF_MIN], [INF_MAX], { limit: PAGE }, async (rows) => {
    const tasks = await db.batchGet(
      t.tasks,
      rows.map((r) => [str(r.key.key)!]),
      ['active_id'],
    );
    const orphans = rows.filter((r, i) => !tasks[i] && (str(r.attrs.since) ?? '') < before);
    await db.batchWrite(
      orphans.map((r): WriteRow => ({
        type: 'DELETE',
        table: t.active_tasks,
        key: [str(r.key.key)!],
        condition: ignore(equals('active_id', str(r.attrs.active_id) ?? '')),
      })),
    );
  });

  // Events: every bucket of the unscoped listing read from its oldest end; each row's own scope is the one deleted.
  await eachBucket(async (bucket) => {
    await db.scan(t.event_index, [bucket, INF_MAX], [bucket, INF_MIN], oldestFirst, async (rows) => {
      const old = takeWhile(rows, (r) => purgeable.event({ recordedAt: str(r.attrs.recorded_at) ?? '' }, before));
      const deletes = old.flatMap((r): WriteRow[] => {
        const sortKey = str(r.key.sort_key)!;
        const id = str(r.attrs.event_id)!;
        const scopes = withRead(bucket, [allScope(id), `task:${str(r.attrs.region_id)}/${str(r.attrs.task_id)}`, `type:${str(r.attrs.type)}`]);
        return [
          { type: 'DELETE', table: t.events, key: [id], condition: ignore() },
          ...scopes.map((scope): WriteRow => ({ type: 'DELETE', table: t.event_index, key: [scope, sortKey], condition: ignore() })),
        ];
      });
      await db.batchWrite(deletes);
      result.events += old.length;
      return old.length === rows.length;
    });
  });

  // Deliveries: only those created before the cutoff can have been finished before it; every bucket, oldest first.
  await eachBucket(async (bucket) => {
    await db.scan(t.delivery_index, [bucket, INF_MAX], [bucket, INF_MIN], oldestFirst, async (rows) => {
      const old = takeWhile(rows, (r) => (str(r.attrs.created_at) ?? '') < before);
      const current = await db.batchGet(
        t.deliveries,
        old.map((r) => [str(r.attrs.delivery_id)!]),
      );
      const finished = current.flatMap((row) => (row ? [parseDelivery(row)] : [])).filter((c) => purgeable.delivery(c.delivery, before));
      // The delivery row first, only if unchanged since read; its index rows after.
      const outcomes = await db.batchWrite(
        finished.map((c): WriteRow => ({ type: 'DELETE', table: t.deliveries, key: [c.delivery.id], condition: mustExist(equals('rev', long(c.rev))) })),
      );
      const gone = finished.filter((_, i) => outcomes[i] === 'ok').map((c) => c.delivery);
      result.deliveries += gone.length;
      const byId = new Map(old.map((r) => [str(r.attrs.delivery_id)!, str(r.key.sort_key)!]));
      await db.batchWrite(
        gone.flatMap((d): WriteRow[] => [
          ...withRead(bucket, deliveryScopes(d, d.id)).map((scope): WriteRow => ({
            type: 'DELETE',
            table: t.delivery_index,
            key: [scope, byId.get(d.id)!],
            condition: ignore(),
          })),
          { type: 'DELETE', table: t.delivery_index, key: [orderScope(d.webhookId, d), orderSortKey(d)], condition: ignore() },
        ]),
      );
      return old.length === rows.length;
    });
  });

  // Due rows older than the cutoff that no delivery waits on any more.
  await db.scan(t.deliveries_due, [INF_MIN, INF_MIN], [before, INF_MIN], { limit: PAGE }, async (rows) => {
    const dues = rows.map(dueOf);
    const current = await db.batchGet(
      t.deliveries,
      dues.map((d) => [d.id]),
    );
    await db.batchWrite(dues.filter((due, i) => !current[i] || staleDue(due, parseDelivery(current[i]))).map((due) => removeDue(t, due)));
  });

  // Attempts: every bucket from its oldest end; the table's TTL removes what a purge never reaches.
  await eachBucket(async (bucket) => {
    await db.scan(t.attempts, [bucket, INF_MAX], [bucket, INF_MIN], oldestFirst, async (rows) => {
      const old = takeWhile(rows, (r) => purgeable.attempt({ at: str(r.attrs.at) ?? '' }, before));
      const deletes = old.flatMap((r) => {
        const a = JSON.parse(str(r.attrs.body)!) as { eventId: string; webhookId: string; deliveryId: string; attempt: number };
        return withRead(bucket, deliveryScopes(a, attemptId(a))).map((scope): WriteRow => ({
          type: 'DELETE',
          table: t.attempts,
          key: [scope, str(r.key.sort_key)!],
          condition: ignore(),
        }));
      });
      await db.batchWrite(deletes);
      result.attempts += old.length;
      return old.length === rows.length;
    });
  });

  result.runs = await purgeRuns(db, t, before);

  // Feed entries older than the cut-off (their events went above); positions ascend, so the oldest come first.
  const cutoffMs = Date.parse(before);
  await db.scan(t.event_index, ['feed', INF_MIN], ['feed', INF_MAX], { limit: PAGE }, async (rows) => {
    const old = takeWhile(rows, (r) => num(r.attrs.at) < cutoffMs);
    await db.batchWrite(old.map((r): WriteRow => ({ type: 'DELETE', table: t.event_index, key: ['feed', str(r.key.sort_key)!], condition: ignore() })));
    return old.length === rows.length;
  });

  return result;
}

/** The unscoped listings' partitions, side by side: each is read oldest first on its own. */
const eachBucket = (purgeOne: (bucket: string) => Promise<void>) => Promise.all(ALL_SCOPES.map(purgeOne));

/** A record's index scopes plus the bucket it was read from: a row under `all` and its bucket row both go. */
const withRead = (bucket: string, scopes: string[]) => [...new Set([bucket, ...scopes])];

/** Rows come oldest first; the ones before the cutoff are a prefix. */
function takeWhile(rows: Row[], old: (row: Row) => boolean): Row[] {
  const end = rows.findIndex((r) => !old(r));
  return end === -1 ? rows : rows.slice(0, end);
}
