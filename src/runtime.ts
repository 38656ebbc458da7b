/** The composition root: Config + invocation context → the dependencies the handlers run with. Built once per process. */
import { loadConfig, type Config, type Runtime } from './config.js';
import type { Credentials, EcsApi } from './ecs/api.js';
import { createPopEcsApi } from './ecs/pop-client.js';
import { EcsError } from './errors.js';
import { createLogger, type Logger } from './log.js';

export interface AppDeps {
  config: Config;
  ecs: EcsApi;
  logger: Logger;
  now: () => number;
}

/** The parts of FC's `context` taskhook reads; the local runtime passes the same shape. */
export interface InvocationContext {
  requestId?: string;
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  function?: { name?: string; timeout?: number };
}

export function detectRuntime(env: Record<string, string | undefined> = process.env): Runtime {
  return env.FC_FUNCTION_NAME ? 'fc' : 'local';
}

export function buildDeps(config: Config, credentials: () => Credentials | null): AppDeps {
  const logger = createLogger(config.logLevel);
  const ecs = createPopEcsApi({
    endpoint: config.ecsEndpoint,
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
  return { config, ecs, logger, now: Date.now };
}

let processDeps: AppDeps | null = null;
let roleCredentials: Credentials | null = null;

/** FC hands fresh role credentials to every invocation; they rotate, so they are read per call, not cached at cold start. */
export function depsFor(context: InvocationContext | undefined): AppDeps {
  const c = context?.credentials;
  if (c?.accessKeyId && c.accessKeySecret) {
    roleCredentials = { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, ...(c.securityToken ? { securityToken: c.securityToken } : {}) };
  }
  if (!processDeps) {
    const config = loadConfig(process.env, detectRuntime());
    processDeps = buildDeps(config, () => roleCredentials ?? config.credentials);
  }
  return processDeps;
}
