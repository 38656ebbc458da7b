/** The composition root: Config + invocation context → the dependencies the handlers run with. Built once per process. */
import { loadConfig, type Config, type Runtime } from './config.js';
import type { Credentials, EcsApi, EcsCallRecord } from './ecs/api.js';
import { createPopEcsApi, type PopEcsApi } from './ecs/pop-client.js';
import { EcsError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { openStore } from './store/open.js';
import type { StateStore } from './store/port.js';
import type { AddressPolicy } from './webhooks/address-policy.js';
import { createWebhookClient, type WebhookClient } from './webhooks/http-client.js';
import { USER_AGENT } from './webhooks/signing.js';

export interface AppDeps {
  config: Config;
  /** The long-lived client for on-demand lookups. */
  ecs: EcsApi;
  /** A fresh client whose calls are reported to `onCall` (one per poll run). */
  ecsFor: (onCall?: (record: EcsCallRecord) => void) => PopEcsApi;
  store: StateStore;
  logger: Logger;
  now: () => number;
  webhookPolicy: AddressPolicy;
  /** The one SSRF-safe client every webhook send goes through. */
  webhookClient: WebhookClient;
  accountId?: string;
}

/** The parts of FC's `context` taskhook reads; the local runtime passes the same shape. */
export interface InvocationContext {
  requestId?: string;
  accountId?: string;
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  function?: { name?: string; timeout?: number };
}

export function detectRuntime(env: Record<string, string | undefined> = process.env): Runtime {
  return env.FC_FUNCTION_NAME ? 'fc' : 'local';
}

export async function buildDeps(config: Config, credentials: () => Credentials | null, store?: StateStore): Promise<AppDeps> {
  const logger = createLogger(config.logLevel);
  const ecsFor = (onCall?: (record: EcsCallRecord) => void) =>
    createPopEcsApi({
      endpoint: config.ecsEndpoint,
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

let processDeps: Promise<AppDeps> | null = null;
let roleCredentials: Credentials | null = null;

/** FC hands fresh role credentials to every invocation; they rotate, so they are read per call, not cached at cold start. */
export function depsFor(context: InvocationContext | undefined): Promise<AppDeps> {
  const c = context?.credentials;
  if (c?.accessKeyId && c.accessKeySecret) {
    roleCredentials = { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, ...(c.securityToken ? { securityToken: c.securityToken } : {}) };
  }
  if (!processDeps) {
    const config = loadConfig(process.env, detectRuntime());
    processDeps = buildDeps(config, () => roleCredentials ?? config.credentials).then((deps) => ({ ...deps, accountId: context?.accountId }));
    processDeps.catch(() => (processDeps = null));
  }
  return processDeps;
}

/** Closes what the process opened (the local runtime's shutdown). */
export async function closeProcessDeps(): Promise<void> {
  const deps = await processDeps?.catch(() => null);
  processDeps = null;
  if (!deps) return;
  await closeDeps(deps);
}

export async function closeDeps(deps: AppDeps): Promise<void> {
  (deps.ecs as PopEcsApi).close?.();
  await deps.webhookClient.close();
  await deps.store.close();
}
