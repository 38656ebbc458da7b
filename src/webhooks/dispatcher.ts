/**
 * Deliveries apart from the poll run: one worker per webhook with due deliveries, each with its own concurrency and
 * time budget, so a slow, hanging or failing receiver holds up only its own deliveries. A run (or anything that
 * commits an event) only kicks the dispatcher; a kick while a scan is under way asks for one more scan after it.
 */
import { deliverDue, type Breaker, type DeliveryDeps, type DeliverySummary } from './delivery.js';

export interface DispatcherOptions {
  /** Chains of one webhook in flight at once. */
  perWebhook?: number;
  /** How long one worker may go on before it ends and the next kick starts another (ms). */
  webhookBudgetMs?: number;
  /** One attempt's timeout (ms). */
  attemptTimeoutMs?: number;
  /** No worker goes past this (epoch ms): a poll run's own deadline when the dispatcher lives within one run. */
  deadlineMs?: () => number;
  /** Failed attempts in a row after which a webhook backs off. */
  breakerFailures?: number;
  /** How long a webhook backs off once its breaker opens (ms). */
  breakerOpenMs?: number;
  /**
   * Sends a webhook's deliveries elsewhere (on FC, an asynchronous delivery run of its own): resolves once accepted.
   * Refused, the webhook's worker runs here instead.
   */
  handOff?: (webhookId: string) => Promise<void>;
}

export interface DeliveryDispatcher {
  /** Starts a worker for every webhook with due deliveries and none running; returns at once. */
  kick(): void;
  /** Resolves once no scan or worker runs, or after `boundMs`, whichever comes first. */
  idle(boundMs: number): Promise<void>;
  /** No new attempt starts; resolves like idle. An attempt still in flight is left to the client's close. */
  close(boundMs: number): Promise<void>;
  /** What the workers did so far. */
  readonly summary: DeliverySummary;
  /** When a webhook's back-off ends (ISO), or null when it is not backing off. */
  backingOffUntil(webhookId: string): string | null;
}

const DEFAULTS = { perWebhook: 4, webhookBudgetMs: 60_000, attemptTimeoutMs: 30_000, breakerFailures: 3, breakerOpenMs: 60_000 };
/** A webhook handed off is not handed off again for this long: its delivery run picks up what is committed meanwhile. */
const HAND_OFF_EVERY_MS = 2_000;

/** In memory, per process or run: `failures` failed attempts in a row open it for `openMs`; a success closes it. */
export function createBreaker(now: () => number, failuresToOpen = DEFAULTS.breakerFailures, openMs = DEFAULTS.breakerOpenMs): Breaker {
  const failures = new Map<string, number>();
  const openUntil = new Map<string, number>();
  return {
    openUntil(webhookId) {
      const until = openUntil.get(webhookId);
      return until !== undefined && until > now() ? new Date(until).toISOString() : null;
    },
    record(webhookId, success) {
      if (success) {
        failures.delete(webhookId);
        openUntil.delete(webhookId);
        return;
      }
      const count = (failures.get(webhookId) ?? 0) + 1;
      failures.set(webhookId, count);
      if (count >= failuresToOpen) openUntil.set(webhookId, now() + openMs);
    },
  };
}

export function createDispatcher(deps: DeliveryDeps, options: DispatcherOptions = {}): DeliveryDispatcher {
  const o = { ...DEFAULTS, ...options };
  const summary: DeliverySummary = { succeeded: 0, failed: 0, dead: 0 };
  const workers = new Map<string, Promise<void>>();
  let scanning: Promise<void> | null = null;
  let again = false;
  let closed = false;
  const breaker = createBreaker(deps.now, o.breakerFailures, o.breakerOpenMs);
  const handedAt = new Map<string, number>();

  const deadline = () => Math.min(deps.now() + o.webhookBudgetMs, o.deadlineMs?.() ?? Infinity);

  const startWorker = (webhookId: string) => {
    const worker = deliverDue(deps, {
      deadlineMs: deadline(),
      webhookId,
      perEndpoint: o.perWebhook,
      attemptTimeoutMs: o.attemptTimeoutMs,
      proceed: () => !closed,
      breaker,
    })
      .then((done) => {
        summary.succeeded += done.succeeded;
        summary.failed += done.failed;
        summary.dead += done.dead;
        return done.succeeded + done.dead > 0;
      })
      .catch((error: unknown) => {
        deps.logger.warn('a webhook delivery worker failed; its deliveries stay due and the next kick tries again', { webhookId, error });
        return false;
      })
      .then((progressed) => {
        workers.delete(webhookId);
        // Events committed while it worked may be due now; one that made no progress waits for the next kick.
        if (progressed) kick();
      });
    workers.set(webhookId, worker);
  };

  const handOff = (webhookId: string, send: (webhookId: string) => Promise<void>) => {
    if (deps.now() - (handedAt.get(webhookId) ?? -Infinity) < HAND_OFF_EVERY_MS) return;
    handedAt.set(webhookId, deps.now());
    const handing = send(webhookId)
      .catch((error: unknown) => {
        deps.logger.warn('a delivery run could not be handed off; this run delivers that webhook itself', { webhookId, error });
        handedAt.delete(webhookId);
        workers.delete(webhookId);
        if (!closed) startWorker(webhookId);
      })
      .finally(() => {
        if (workers.get(webhookId) === handing) workers.delete(webhookId);
      });
    workers.set(webhookId, handing);
  };

  const scan = async () => {
    const due = await deps.store.listDueDeliveries(new Date(deps.now()).toISOString(), 500);
    for (const webhookId of new Set(due.map((d) => d.webhookId))) {
      if (closed || workers.has(webhookId) || deadline() - deps.now() < 1_000) continue;
      if (o.handOff) handOff(webhookId, o.handOff);
      else startWorker(webhookId);
    }
  };

  function kick() {
    if (closed) return;
    if (scanning) return void (again = true);
    scanning = scan()
      .catch((error: unknown) => deps.logger.warn('due deliveries could not be listed; the next kick tries again', { error }))
      .finally(() => {
        scanning = null;
        if (again) {
          again = false;
          kick();
        }
      });
  }

  async function idle(boundMs: number) {
    const until = Date.now() + boundMs;
    while ((scanning || workers.size > 0) && Date.now() < until) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, until - Date.now())));
      await Promise.race([Promise.all([scanning, ...workers.values()]), bound]);
      clearTimeout(timer);
    }
  }

  return {
    kick,
    idle,
    async close(boundMs) {
      closed = true;
      await idle(boundMs);
    },
    summary,
    backingOffUntil: (webhookId) => breaker.openUntil(webhookId),
  };
}
