/**
 * Deliveries and attempts. A delivery row is replaced only at the `rev` it was read at; the rows that find it
 * (due, order) are written before the change that needs them and removed after the change that ends them, so a crash
 * leaves at most a stale row, which readers skip and tidy.
 */
import type { DeliveryFilter, DeliveryRows } from '../backend.js';
import { orderSortKey } from '../cursor.js';
import type { Delivery, DeliveryAttempt } from '../port.js';
import {
  applied,
  equals,
  ignore,
  INF_MAX,
  INF_MIN,
  long,
  mustExist,
  num,
  str,
  type CallState,
  type Db,
  type KeyValues,
  type Row,
  type WriteRow,
} from './client.js';
import { attemptRows, deliveryRow, deliverySideRows, dueRow, orderRow, orderScope, parseDelivery, rowsById, listingRange, type DeliveryRow } from './rows.js';
import type { Tables } from './schema.js';

/** A due row is stale once its delivery has moved past the change that wrote it and no longer waits at that time. */
export function staleDue(due: { dueAt: string; rev: number }, current: DeliveryRow | null): boolean {
  if (!current || due.rev > current.rev) return false; // not inserted yet, or a change in flight wrote it
  return current.delivery.status !== 'pending' || current.delivery.nextAttemptAt !== due.dueAt;
}

export const dueOf = (row: Row) => ({ dueAt: str(row.key.due_at)!, id: str(row.key.id)!, rev: num(row.attrs.rev) });

export const removeDue = (t: Tables, due: { dueAt: string; id: string; rev: number }): WriteRow => ({
  type: 'DELETE',
  table: t.deliveries_due,
  key: [due.dueAt, due.id],
  condition: ignore(equals('rev', long(due.rev))),
});

const revised = (row: DeliveryRow) => ({ value: row.delivery, revision: String(row.rev) });

/** The listing scope a filter names: the event's, else the webhook's; the other condition filters its rows. */
const scopeOf = (f: DeliveryFilter) => (f.eventId ? `event:${f.eventId}` : f.webhookId ? `webhook:${f.webhookId}` : 'all');

export function deliveryRows(db: Db, t: Tables): DeliveryRows {
  const readDelivery = async (id: string) => {
    const row = await db.getRow(t.deliveries, [id]);
    return row ? parseDelivery(row) : null;
  };
  const bodies = async (ids: string[]) =>
    (
      await db.batchGet(
        t.deliveries,
        ids.map((id) => [id]),
      )
    ).map((row) => (row ? parseDelivery(row) : null));

  return {
    async insert(list) {
      // Finding rows first: a pending delivery without its due row would never be sent.
      await db.batchWrite(list.flatMap((d) => deliverySideRows(t, d)));
      await db.batchWrite(list.map((d) => deliveryRow(t, d)));
    },

    get: (ids) => rowsById(db, t.deliveries, ids, (row) => revised(parseDelivery(row))),

    async replace(current, next, attempt) {
      const old = current.value;
      const id = old.id;
      const rev = Number(current.revision) + 1;
      const body = JSON.stringify(next);
      const before = attempt ? attemptRows(t, attempt) : [];
      if (next.status === 'pending' && next.nextAttemptAt) before.push(dueRow(t, next.nextAttemptAt, id, rev));
      if (next.status === 'pending' && old.status !== 'pending') before.push(orderRow(t, next));
      await db.batchWrite(before);
      const state: CallState = { maybeApplied: false };
      const put = { body, rev: long(rev), status: next.status, updated_at: next.updatedAt };
      if (!(await applied(db.updateRow(t.deliveries, [id], { put }, mustExist(equals('rev', long(rev - 1))), state)))) {
        // A retry after a lost answer fails on its own write; only an identical row at the new rev means it was ours.
        const now = state.maybeApplied ? await readDelivery(id) : null;
        if (!(now && now.rev === rev && now.raw === body)) return false;
      }
      const after: WriteRow[] = [];
      if (old.status === 'pending' && old.nextAttemptAt && !(next.status === 'pending' && next.nextAttemptAt === old.nextAttemptAt)) {
        after.push(removeDue(t, { dueAt: old.nextAttemptAt, id, rev: rev - 1 }));
      }
      if (old.status === 'pending' && next.status !== 'pending') {
        after.push({ type: 'DELETE', table: t.delivery_index, key: [orderScope(old.webhookId, old), orderSortKey(old)], condition: ignore() });
      }
      await db.batchWrite(after);
      return true;
    },

    async appendAttempt(attempt) {
      await db.batchWrite(attemptRows(t, attempt));
    },

    async due(now, limit) {
      const out: Delivery[] = [];
      const stale: WriteRow[] = [];
      let from: KeyValues | null = [INF_MIN, INF_MIN];
      // Only pending deliveries have due rows, so this never reads finished ones.
      while (from && out.length < limit) {
        const page: { rows: Row[]; next: KeyValues | null } = await db.range(t.deliveries_due, from, [now, INF_MAX], { limit: limit - out.length });
        const dues = page.rows.map(dueOf);
        const current = await bodies(dues.map((d) => d.id));
        dues.forEach((due, i) => {
          const d = current[i]?.delivery;
          if (d && d.status === 'pending' && d.nextAttemptAt === due.dueAt) out.push(d);
          else if (staleDue(due, current[i])) stale.push(removeDue(t, due));
        });
        from = page.next;
      }
      // Tidying only: a failure here leaves rows the next listing skips and tries again.
      await db.batchWrite(stale).catch(() => undefined);
      return out.slice(0, limit);
    },

    async pendingInOrder(webhookId, key, limit) {
      const scope = orderScope(webhookId, key);
      const found: Delivery[] = [];
      // Order rows exist only while a delivery is pending; one left by a crash is skipped.
      await db.scan(t.delivery_index, [scope, INF_MIN], [scope, INF_MAX], { limit: 20 }, async (rows) => {
        const current = await bodies(rows.map((r) => str(r.attrs.delivery_id)!));
        for (const c of current) if (c?.delivery.status === 'pending' && found.length < limit) found.push(c.delivery);
        return found.length < limit;
      });
      return found;
    },

    async range(filter, range) {
      const keep = filter.eventId && filter.webhookId ? (r: Row) => r.attrs.webhook_id === filter.webhookId : undefined;
      // An index row whose delivery is not there yet (an insert in progress or crashed) lists nothing.
      return (await listingRange(db, t.delivery_index, scopeOf(filter), range, keep)).map((r) => ({
        key: str(r.key.sort_key)!,
        id: str(r.attrs.delivery_id)!,
      }));
    },

    async rangeAttempts(filter, range) {
      const keep =
        filter.eventId && filter.webhookId ? (r: Row) => (JSON.parse(str(r.attrs.body)!) as DeliveryAttempt).webhookId === filter.webhookId : undefined;
      return (await listingRange(db, t.attempts, scopeOf(filter), range, keep)).map((r) => ({
        key: str(r.key.sort_key)!,
        record: JSON.parse(str(r.attrs.body)!) as DeliveryAttempt,
      }));
    },
  };
}
