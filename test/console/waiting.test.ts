/** Why a delivery waits, as the event page says it, instead of "0 attempts, next attempt 1 min ago". */
import { describe, expect, it } from 'vitest';
import { waitingReason } from '../../src/console/app/pages/event.js';
import type { Delivery, Webhook } from '../../src/console/app/types.js';

const NOW = Date.parse('2026-12-07T05:00:00Z');
const delivery = (overrides: Partial<Delivery> = {}): Delivery => ({
  id: 'dlv_2',
  eventId: 'evt_2',
  webhookId: 'wh_1',
  regionId: 'cn-hangzhou',
  taskId: 't-waiting000001',
  sequence: 4,
  dueAt: '2026-12-07T04:58:00Z',
  createdAt: '2026-12-07T04:58:00Z',
  status: 'pending',
  attempts: 0,
  nextAttemptAt: '2026-12-07T04:59:00Z',
  lastAttemptAt: null,
  lastStatus: null,
  lastError: null,
  updatedAt: '2026-12-07T04:58:00Z',
  ...overrides,
});
const webhook = (overrides: Partial<Webhook> = {}): Webhook =>
  ({ id: 'wh_1', url: 'https://example.com/hooks', enabled: true, disabledReason: null, failingSince: null, ...overrides }) as Webhook;

describe('the waiting reason of a delivery', () => {
  it('names the earlier event of the task it is queued behind, for the same webhook only', () => {
    const blockers = [
      { eventId: 'evt_other', webhookId: 'wh_9', sequence: 1 },
      { eventId: 'evt_1', webhookId: 'wh_1', sequence: 2 },
    ];
    expect(waitingReason(delivery(), webhook(), blockers, NOW)).toBe('queued behind evt_1 (ordering)');
    expect(waitingReason(delivery(), webhook(), blockers.slice(0, 1), NOW)).toBe('due: goes out with the next delivery pass');
  });

  it('says the webhook is backing off, and until when, while it fails', () => {
    const d = delivery({ nextAttemptAt: '2026-12-07T05:01:00.000Z' });
    expect(waitingReason(d, webhook({ failingSince: '2026-12-07T04:50:00Z' }), [], NOW)).toBe(
      'webhook backing off until 2026-12-07T05:01:00.000Z (failing since 2026-12-07T04:50:00Z)',
    );
    expect(waitingReason(delivery({ attempts: 1, nextAttemptAt: '2026-12-07T05:01:00.000Z' }), webhook(), [], NOW)).toBe('retry 2 at 2026-12-07T05:01:00.000Z');
  });

  it('says nothing once delivered, and why when the webhook is disabled', () => {
    expect(waitingReason(delivery({ status: 'succeeded', nextAttemptAt: null }), webhook(), [], NOW)).toBeNull();
    expect(waitingReason(delivery(), webhook({ enabled: false, disabledReason: 'the endpoint answered 410 Gone' }), [], NOW)).toBe(
      'webhook disabled: the endpoint answered 410 Gone',
    );
  });
});
