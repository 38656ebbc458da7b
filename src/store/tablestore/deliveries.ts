/**
 * Deliveries and attempts. A delivery row is changed by read-modify-write guarded by its `rev`; the rows that find it
 * (due, order) are written before the change that needs them and removed after the change that ends them, so a crash
 * leaves at most a stale row, which readers skip and tidy.
 */
import { abandoned, afterAttempt, rescheduled } from '../delivery-records.js';
import { StoreError } from '../../errors.js';
import type { Delivery, DeliveryAttempt, DeliveryUpdate, StateStore } from '../port.js';
import { applied, equals, ignore, INF_MAX, INF_MIN, long, mustExist, num, str, type CallState, type Db, type KeyValues, type Row, type WriteRow } from './client.js';
import {
  attemptRows,
  cursorAfter,
  deliveryRow,
  deliverySideRows,
  dueRow,
  newDelivery,
  orderRow,
  orderScope,
  orderSortKey,
  pageScope,
  parseDelivery,
  type DeliveryRow,
} from './rows.js';
import type { Tables } from './schema.js';

const CONTENDED_ROUNDS = 8;

type DeliveryMethods = Pick<
  StateStore,
  | 'enqueueDeliveries'
  | 'listDueDeliveries'
  | 'getDelivery'
  | 'rescheduleDelivery'
  | 'abandonDelivery'
  | 'firstPendingDelivery'
  | 'recordAttempt'
  | 'listDeliveries'
  | 'listAttempts'
>;

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

export function deliveryMethods(db: Db, t: Tables): DeliveryMethods {
  const readDelivery = async (id: string) => {
    const row = await db.getRow(t.deliveries, [id]);
    return row ? parseDelivery(row) : null;
  };

  /** Changes one delivery (`change` returns null to leave it); `alongside` rows are written even if it does not exist. */
  async function updateDelivery(id: string, change: (d: Delivery) => Delivery | null, alongside: WriteRow[] = []): Promise<void> {
    let extra = alongside;
    for (let round = 0; round < CONTENDED_ROUNDS; round++) {
      const current = await readDelivery(id);
      const next = current && change(current.delivery);
      if (!current || !next) {
        await db.batchWrite(extra);
        return;
      }
      const old = current.delivery;
      const rev = current.rev + 1;
      const body = JSON.stringify(next);
      const before = [...extra];
      if (next.status === 'pending' && next.nextAttemptAt) before.push(dueRow(t, next.nextAttemptAt, id, rev));
      if (next.status === 'pending' && old.status !== 'pending') before.push(orderRow(t, next));
      await db.batchWrite(before);
      extra = [];
      const state: CallState = { maybeApplied: false };
      const put = { body, rev: long(rev), status: next.status, updated_at: next.updatedAt };
      if (!(await applied(db.updateRow(t.deliveries, [id], { put }, mustExist(equals('rev', long(current.rev))), state)))) {
        // A retry after a lost answer fails on its own write; only an identical row at the new rev means it was ours.
        const now = state.maybeApplied ? await readDelivery(id) : null;
        if (!(now && now.rev === rev && now.raw === body)) continue;
      }
      const after: WriteRow[] = [];
      if (old.status === 'pending' && old.nextAttemptAt && !(next.status === 'pending' && next.nextAttemptAt === old.nextAttemptAt)) {
        after.push(removeDue(t, { dueAt: old.nextAttemptAt, id, rev: current.rev }));
      }
      if (old.status === 'pending' && next.status !== 'pending') {
        after.push({ type: 'DELETE', table: t.delivery_index, key: [orderScope(old.webhookId, old), orderSortKey(old)], condition: ignore() });
      }
      await db.batchWrite(after);
      return;
    }
    throw new StoreError(`delivery ${id} kept changing under concurrent updates; try again`, 'Contention', true);
  }

  const bodies = async (ids: string[]) => (await db.batchGet(t.deliveries, ids.map((id) => [id]))).map((row) => (row ? parseDelivery(row) : null));

  return {
    async enqueueDeliveries(list) {
      const first = [...new Map(list.map((d) => [d.id, d] as const).reverse()).values()]; // the first of each id, as memory keeps it
      // Finding rows first: a pending delivery without its due row would never be sent.
      await db.batchWrite(first.flatMap((d) => deliverySideRows(t, d)));
      await db.batchWrite(first.map((d) => deliveryRow(t, newDelivery(d))));
    },

    async listDueDeliveries(now, limit) {
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

    async getDelivery(id) {
      return (await readDelivery(id))?.delivery ?? null;
    },

    async rescheduleDelivery(id, nextAttemptAt) {
      await updateDelivery(id, (d) => rescheduled(d, nextAttemptAt));
    },

    async abandonDelivery(id, reason, now) {
      await updateDelivery(id, (d) => abandoned(d, reason, now));
    },

    async firstPendingDelivery(webhookId, key) {
      const scope = orderScope(webhookId, key);
      let found: Delivery | null = null;
      // Order rows exist only while a delivery is pending; one left by a crash is skipped.
      await db.scan(t.delivery_index, [scope, INF_MIN], [scope, INF_MAX], { limit: 20 }, async (rows) => {
        const current = await bodies(rows.map((r) => str(r.attrs.delivery_id)!));
        found = current.find((c) => c?.delivery.status === 'pending')?.delivery ?? null;
        return found === null;
      });
      return found;
    },

    async recordAttempt(attempt: DeliveryAttempt, update: DeliveryUpdate) {
      await updateDelivery(
        attempt.deliveryId,
        (d) => afterAttempt(d, attempt, update),
        attemptRows(t, attempt),
      );
    },

    async listDeliveries(query) {
      const scope = query.eventId ? `event:${query.eventId}` : query.webhookId ? `webhook:${query.webhookId}` : 'all';
      const keep = query.eventId && query.webhookId ? (r: Row) => r.attrs.webhook_id === query.webhookId : undefined;
      const { rows, more } = await pageScope(db, t.delivery_index, scope, query, keep);
      const current = await bodies(rows.map((r) => str(r.attrs.delivery_id)!));
      // An index row whose delivery is not there yet (an insert in progress or crashed) lists nothing.
      return { items: current.flatMap((c) => (c ? [c.delivery] : [])), ...cursorAfter(rows, more) };
    },

    async listAttempts(query) {
      const scope = query.eventId ? `event:${query.eventId}` : query.webhookId ? `webhook:${query.webhookId}` : 'all';
      const keep = query.eventId && query.webhookId ? (r: Row) => (JSON.parse(str(r.attrs.body)!) as DeliveryAttempt).webhookId === query.webhookId : undefined;
      const { rows, more } = await pageScope(db, t.attempts, scope, query, keep);
      return { items: rows.map((r) => JSON.parse(str(r.attrs.body)!) as DeliveryAttempt), ...cursorAfter(rows, more) };
    },
  };
}
