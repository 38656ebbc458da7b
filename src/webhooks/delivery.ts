/**
 * Sends due deliveries: signed, one attempt logged per try, retried across runs on the schedule, in order per
 * webhook and task, with a per-endpoint concurrency limit so one slow endpoint never holds up the others.
 */
import { groupBy, runBounded } from '../batching.js';
import type { Logger } from '../log.js';
import type { Delivery, DeliveryAttempt, DeliveryUpdate, StateStore, WebhookRecord } from '../store/port.js';
import { sleep as realSleep } from '../retry.js';
import { WebhookSendError, type WebhookClient } from './http-client.js';
import { DISABLE_AFTER_FAILURES, DISABLE_AFTER_MS, nextRetryDelay } from './schedule.js';
import { OPERATIONAL_REGION, exhaustedEvent, healthEvents, publishOperational, type Health, type OperationalEvent } from './operational.js';
import { signedHeaders } from './signing.js';

export interface DeliverySummary {
  succeeded: number;
  failed: number;
  dead: number;
}

/** One attempt as the log and an observer see it: no URL path, header, body or secret. */
export interface AttemptReport {
  webhookId: string;
  host: string;
  eventId: string;
  deliveryId: string;
  attempt: number;
  status: number | null;
  durationMs: number;
  error: string | null;
  outcome: 'pending' | 'succeeded' | 'dead';
  nextAttemptAt: string | null;
}

export interface DeliveryDeps {
  /** Told of every attempt, whatever the log level (the local runtime prints the failed ones). */
  onAttempt?: (report: AttemptReport) => void;
  store: StateStore;
  client: WebhookClient;
  logger: Logger;
  now: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface DeliverOptions {
  deadlineMs: number;
  perEndpoint?: number;
  batch?: number;
  attemptTimeoutMs?: number;
  /** Only this webhook's deliveries (a per-webhook worker, src/webhooks/dispatcher.ts). */
  webhookId?: string;
  /** Asked before each attempt: false leaves the delivery due (the process is stopping). */
  proceed?: () => boolean;
  /** A webhook's circuit breaker: while open, its deliveries are moved to when it closes instead of attempted. */
  breaker?: Breaker;
}

/** Backs a failing webhook off (src/webhooks/dispatcher.ts). */
export interface Breaker {
  /** Null while attempts may go; else when they may go again (ISO). */
  openUntil(webhookId: string): string | null;
  record(webhookId: string, success: boolean): void;
}

/** An attempt needs at least this long before the deadline to be worth starting. */
const MIN_ATTEMPT_MS = 1_000;
const MAX_PASSES = 4;
/** A claimed delivery waits this long past its attempt's timeout before another run may try it. */
const CLAIM_SLACK_MS = 5_000;

export async function deliverDue(deps: DeliveryDeps, options: DeliverOptions): Promise<DeliverySummary> {
  const summary: DeliverySummary = { succeeded: 0, failed: 0, dead: 0 };
  const sleep = deps.sleep ?? realSleep;
  const webhooks = new Map<string, WebhookRecord | null>();
  const webhookOf = async (id: string) => {
    if (!webhooks.has(id)) webhooks.set(id, await deps.store.getWebhook(id));
    return webhooks.get(id)!;
  };

  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const nowIso = new Date(deps.now()).toISOString();
    const listed = await deps.store.listDueDeliveries(nowIso, options.batch ?? 500);
    const due = options.webhookId ? listed.filter((d) => d.webhookId === options.webhookId) : listed;
    if (due.length > 0) {
      await runChains(due, options.perEndpoint ?? 4, (delivery) => deliverOne(deps, options, delivery, webhookOf, summary));
    }
    // The first retry (5 s) happens within the run when the budget allows it.
    if (options.proceed && !options.proceed()) break;
    const upcoming = await deps.store.listDueDeliveries(new Date(deps.now() + 10_000).toISOString(), options.webhookId ? (options.batch ?? 500) : 1);
    const soon = options.webhookId ? upcoming.find((d) => d.webhookId === options.webhookId) : upcoming[0];
    if (!soon?.nextAttemptAt) break;
    const wait = Date.parse(soon.nextAttemptAt) - deps.now();
    if (deps.now() + Math.max(0, wait) + MIN_ATTEMPT_MS > options.deadlineMs) break;
    if (wait > 0) await sleep(wait);
  }
  return summary;
}

/** Deliveries of one webhook and task go one after another, in sequence order; different chains run side by side. */
async function runChains(due: Delivery[], perEndpoint: number, send: (d: Delivery) => Promise<boolean>) {
  const chains = groupBy(
    [...due].sort((a, b) => a.sequence - b.sequence),
    (d) => `${d.webhookId}|${d.regionId}/${d.taskId}`,
  );
  const byWebhook = groupBy([...chains.values()], (chain) => chain[0].webhookId);

  await Promise.all(
    [...byWebhook.values()].map((webhookChains) =>
      runBounded(webhookChains, perEndpoint, async (chain) => {
        // A later event of the task waits until the earlier one has succeeded or died.
        for (const delivery of chain) if (!(await send(delivery))) break;
      }),
    ),
  );
}

/** True when the delivery is finished (succeeded or dead), so the next one of its chain may go. */
async function deliverOne(
  deps: DeliveryDeps,
  options: DeliverOptions,
  delivery: Delivery,
  webhookOf: (id: string) => Promise<WebhookRecord | null>,
  summary: DeliverySummary,
): Promise<boolean> {
  const { store } = deps;
  const nowIso = () => new Date(deps.now()).toISOString();
  const webhook = await webhookOf(delivery.webhookId);
  if (!webhook || !webhook.enabled) {
    await store.abandonDelivery(delivery.id, webhook ? `webhook disabled: ${webhook.disabledReason ?? 'by request'}` : 'webhook deleted', nowIso());
    summary.dead++;
    return true;
  }
  const first = await store.firstPendingDelivery(webhook.id, delivery);
  if (first && first.id !== delivery.id && first.sequence < delivery.sequence) {
    if (first.nextAttemptAt && first.nextAttemptAt > delivery.nextAttemptAt!) await store.rescheduleDelivery(delivery.id, first.nextAttemptAt);
    return false;
  }
  const stored = await store.getEvent(delivery.eventId);
  if (!stored) {
    await store.abandonDelivery(delivery.id, 'the event is past its retention period', nowIso());
    summary.dead++;
    return true;
  }
  const timeoutMs = Math.min(options.attemptTimeoutMs ?? 30_000, options.deadlineMs - deps.now());
  if (timeoutMs < MIN_ATTEMPT_MS || (options.proceed && !options.proceed())) return false;
  const openUntil = options.breaker?.openUntil(webhook.id) ?? null;
  if (openUntil !== null) {
    // Not an attempt: the delivery waits, with its attempts unchanged, until the webhook's back-off ends.
    if (delivery.nextAttemptAt && delivery.nextAttemptAt < openUntil) await store.rescheduleDelivery(delivery.id, openUntil);
    return false;
  }

  // Claimed before the POST: a racing or restarted run that read the same due row skips it instead of sending twice.
  const claimedUntil = new Date(deps.now() + timeoutMs + CLAIM_SLACK_MS).toISOString();
  if (!delivery.nextAttemptAt || !(await store.claimDelivery(delivery.id, delivery.nextAttemptAt, claimedUntil))) return false;
  const result = await attemptSend(deps, webhook, stored.event.id, JSON.stringify(stored.event), timeoutMs);
  const attempt: DeliveryAttempt = {
    deliveryId: delivery.id,
    eventId: delivery.eventId,
    webhookId: webhook.id,
    attempt: delivery.attempts + 1,
    ...result.attempt,
  };
  let update: DeliveryUpdate;
  if (result.attempt.success) {
    update = { status: 'succeeded', nextAttemptAt: null };
  } else {
    const retryAfter = result.attempt.status === 429 || result.attempt.status === 503 ? result.retryAfter : undefined;
    const delay = result.attempt.status === 410 ? null : nextRetryDelay(attempt.attempt, retryAfter, deps.now(), deps.random);
    update = delay === null ? { status: 'dead', nextAttemptAt: null } : { status: 'pending', nextAttemptAt: new Date(deps.now() + delay).toISOString() };
  }
  await store.recordAttempt(attempt, update);
  options.breaker?.record(webhook.id, result.attempt.success);
  await trackHealth(deps, webhook, result.attempt.success, result.attempt.status);
  // Died after its last retry (not a 410, which disables instead); an operational delivery's death is not announced again.
  if (update.status === 'dead' && result.attempt.status !== 410 && delivery.regionId !== OPERATIONAL_REGION) {
    await publish(deps, exhaustedEvent(webhook, delivery, attempt.error, nowIso()));
  }
  if (update.status === 'succeeded') summary.succeeded++;
  else if (update.status === 'dead') summary.dead++;
  else summary.failed++;
  const report: AttemptReport = {
    webhookId: webhook.id,
    host: new URL(webhook.url).host,
    eventId: delivery.eventId,
    deliveryId: delivery.id,
    attempt: attempt.attempt,
    status: attempt.status,
    durationMs: attempt.durationMs,
    error: attempt.error,
    outcome: update.status,
    nextAttemptAt: update.nextAttemptAt,
  };
  deps.logger.info('webhook attempt', { ...report });
  deps.onAttempt?.(report);
  return update.status !== 'pending';
}

export interface SendResult {
  attempt: Omit<DeliveryAttempt, 'deliveryId' | 'eventId' | 'webhookId' | 'attempt'>;
  retryAfter?: string;
}

/** One signed POST; never throws for the endpoint's failures, which become the attempt's record. */
export async function attemptSend(
  deps: Pick<DeliveryDeps, 'client' | 'now'>,
  webhook: WebhookRecord,
  eventId: string,
  body: string,
  timeoutMs: number,
): Promise<SendResult> {
  const at = new Date(deps.now()).toISOString();
  try {
    const res = await deps.client.send({ url: webhook.url, headers: signedHeaders(eventId, body, webhook.secrets, deps.now()), body, timeoutMs });
    const success = res.status >= 200 && res.status < 300;
    return {
      attempt: {
        at,
        status: res.status,
        durationMs: res.durationMs,
        success,
        error: success ? null : describeStatus(res.status),
        responseSnippet: res.bodySnippet,
      },
      retryAfter: res.retryAfter,
    };
  } catch (error) {
    const e = error instanceof WebhookSendError ? error : new WebhookSendError('NetworkError', 'the request failed');
    return { attempt: { at, status: null, durationMs: e.durationMs, success: false, error: `${e.code}: ${e.message}`, responseSnippet: '' } };
  }
}

function describeStatus(status: number): string {
  if (status >= 300 && status < 400) return `HTTP ${status}: redirects are not followed; register the final URL`;
  if (status === 410) return 'HTTP 410 Gone: the endpoint asked to stop; the webhook is disabled';
  return `HTTP ${status}`;
}

/** 410 disables at once; five days of failures without a success disable too. A success clears the record. */
async function trackHealth(deps: DeliveryDeps, webhook: WebhookRecord, success: boolean, status: number | null) {
  const nowIso = new Date(deps.now()).toISOString();
  // Healthy as far as this run knows: nothing to write, and no store read for it.
  if (success && webhook.failingSince === null) return;
  const before: Health = { enabled: webhook.enabled, failingSince: webhook.failingSince, disabledReason: webhook.disabledReason };
  const failedLongEnough = !success && status !== 410 && webhook.failingSince !== null && deps.now() - Date.parse(webhook.failingSince) >= DISABLE_AFTER_MS;
  const failedOftenEnough = failedLongEnough && (await failuresSince(deps.store, webhook.id, webhook.failingSince!)) >= DISABLE_AFTER_FAILURES;
  // Changes the record as stored at write time, so a concurrent PATCH or another run's update is not overwritten.
  const stored = await deps.store.updateWebhook(webhook.id, (current) => {
    if (success) {
      if (current.failingSince === null) return null;
      current.failingSince = null;
    } else if (status === 410) {
      Object.assign(current, { enabled: false, disabledReason: `the endpoint answered 410 Gone at ${nowIso}` });
    } else {
      current.failingSince ??= nowIso;
      if (failedOftenEnough && deps.now() - Date.parse(current.failingSince) >= DISABLE_AFTER_MS) {
        Object.assign(current, { enabled: false, disabledReason: `every delivery failed since ${current.failingSince}` });
      }
    }
    current.updatedAt = nowIso;
    return current;
  });
  // The run's cached copy follows the store, so its next deliveries see a disabled webhook.
  if (stored) Object.assign(webhook, stored);
  for (const event of healthEvents(webhook.id, before, webhook, nowIso)) await publish(deps, event); // each logs one warn line
}

/** The webhook's failed attempts since `since`, counted up to DISABLE_AFTER_FAILURES (newest first, so it stops early). */
async function failuresSince(store: DeliveryDeps['store'], webhookId: string, since: string): Promise<number> {
  const { items } = await store.listAttempts({ webhookId, limit: DISABLE_AFTER_FAILURES });
  return items.filter((a) => !a.success && a.at >= since).length;
}

/** Operational events are stored and queued, so they go out (and are retried) like every other delivery. */
function publish(deps: DeliveryDeps, event: OperationalEvent): Promise<void> {
  return publishOperational({ store: deps.store, logger: deps.logger, now: deps.now }, event);
}
