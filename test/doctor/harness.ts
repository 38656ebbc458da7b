/** The doctor over the real pop-core client against the ECS simulator, with the store and settings a test names. */
import { loadConfig } from '../../src/config.js';
import type { DoctorDeps } from '../../src/doctor/index.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createPopEcsApi } from '../../src/ecs/pop-client.js';
import { EcsError } from '../../src/errors.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore } from '../../src/store/port.js';
import { webhookRecord } from '../../src/fakes/records.js';
import { KEYS } from '../support/helpers.js';

/** One attempt per call: a refusal is the answer under test, not something to wait out. */
const NO_RETRY = { baseDelayMs: 10, maxDelayMs: 10, budgetMs: 1_000, maxAttempts: 1 };

export function doctorDeps(sim: EcsSimulator, env: Record<string, string> = {}, over: Partial<DoctorDeps> = {}): DoctorDeps {
  const config = loadConfig({
    ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
    TASKHOOK_ECS_ENDPOINT: sim.endpoint,
    TASKHOOK_STORE: 'memory',
    TASKHOOK_DISCOVER: 'cn-hangzhou:*;cn-beijing:ExportImage',
    TASKHOOK_LOG_LEVEL: 'error',
    ...env,
  });
  const credentials = () => config.credentials;
  return {
    config,
    runtime: 'local',
    credentialsFrom: 'environment variables',
    credentials,
    accountId: null,
    ecsFor: (onCall) =>
      createPopEcsApi({
        endpoint: config.ecsEndpoint,
        onCall,
        retry: NO_RETRY,
        // As the runtime's client: no credentials is an error of its own, not an unsigned request.
        credentials: () => {
          const current = credentials();
          if (!current) throw new EcsError({ code: 'NoCredentials', message: 'no credentials', requestId: null, httpStatus: null, retryable: false });
          return current;
        },
      }),
    store: createMemoryStore(),
    webhookPolicy: { allowPrivate: config.allowPrivateWebhooks },
    // Public answers for the names tests use; the system resolver is not asked.
    resolve: async (host) => ({ 'hooks.example.com': ['93.184.216.34'], 'hooks.internal.example': ['10.1.2.3'] })[host] ?? [],
    shards: 'in-process',
    now: Date.now,
    ...over,
  };
}

/** A webhook as the store keeps it, put there directly (registration would refuse a blocked address). */
export async function putWebhook(store: StateStore, id: string, url: string): Promise<void> {
  const at = new Date().toISOString();
  await store.putWebhook(webhookRecord(id, { url, createdAt: at, updatedAt: at }));
}
