/** The composition root: a Config and a credentials source → the dependencies both handlers run with. */
import type { Config, Credentials } from './config.js';
import type { EcsApi, EcsCallRecord } from './ecs/api.js';
import { createPacer } from './ecs/pacer.js';
import { monotonicNow } from './clock.js';
import { createPopEcsApi, type PopEcsApi } from './ecs/pop-client.js';
import { sleep } from './retry.js';
import { EcsError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { openStore } from './store/open.js';
import type { StateStore } from './store/port.js';
import type { AddressPolicy } from './net/address-policy.js';
import type { AttemptReport } from './webhooks/delivery.js';
import { createWebhookClient, type WebhookClient } from './webhooks/http-client.js';
import { USER_AGENT } from './webhooks/signing.js';

export interface AppDeps {
  config: Config;
  /** The long-lived client for on-demand lookups. */
  ecs: EcsApi;
  /** A fresh client whose calls are reported to `onCall` (one per poll run). */
  ecsFor: (onCall?: (record: EcsCallRecord) => void, options?: { rate?: number }) => PopEcsApi;
  store: StateStore;
  logger: Logger;
  now: () => number;
  webhookPolicy: AddressPolicy;
  /** The one SSRF-safe client every webhook send goes through. */
  webhookClient: WebhookClient;
  /** The local runtime shows failed attempts here, whatever the log level. */
  onDeliveryAttempt?: (report: AttemptReport) => void;
  accountId?: string;
}

export async function buildDeps(config: Config, credentials: () => Credentials | null, store?: StateStore): Promise<AppDeps> {
  const logger = createLogger(config.logLevel);
  // One pacer for every client of the process: what a run learned of the quota holds for the next run too.
  const pacer = createPacer({ rate: config.ecsRate, now: monotonicNow, wallNow: Date.now, sleep });
  const ecsFor = (onCall?: (record: EcsCallRecord) => void, options: { rate?: number } = {}) =>
    createPopEcsApi({
      endpoint: config.ecsEndpoint,
      ...(options.rate ? { rate: options.rate } : { pacer }),
      onCall,
      credentials: () => {
        const current = credentials();
        if (!current) {
          throw new EcsError({
            code: 'NoCredentials',
            message: 'no Alibaba Cloud credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or give the function a role',
            requestId: null,
            httpStatus: null,
            retryable: false,
          });
        }
        return current;
      },
    });
  const webhookPolicy: AddressPolicy = { allowPrivate: config.allowPrivateWebhooks };
  return {
    config,
    ecs: ecsFor(),
    ecsFor,
    store: store ?? (await openStore(config, credentials)),
    logger,
    now: Date.now,
    webhookPolicy,
    webhookClient: createWebhookClient({ policy: webhookPolicy, userAgent: USER_AGENT }),
  };
}

export async function closeDeps(deps: AppDeps): Promise<void> {
  (deps.ecs as PopEcsApi).close?.();
  await deps.webhookClient.close();
  await deps.store.close();
}
