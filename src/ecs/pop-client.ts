/** EcsApi over @alicloud/pop-core's RPCClient (signature v1), with retries and a shared throttle pause. */
import http from 'node:http';
import https from 'node:https';
import RPCClient from '@alicloud/pop-core';
import { chunk } from '../batching.js';
import { EcsError } from '../errors.js';
import { DEFAULT_RETRY, sleep as realSleep, withRetry, type RetryPolicy } from '../retry.js';
import { scrub } from '../scrub.js';
import type { Credentials, EcsApi, EcsCallRecord, TaskQuery } from './api.js';
import { isoSeconds, listOf, normalizeTaskAttribute, normalizeTaskListEntry } from './normalize.js';

const API_VERSION = '2014-05-26';
const PAGE_SIZE = 100;
const MAX_IDS_PER_CALL = 100;

export interface PopEcsOptions {
  /** Read before every call: FC's role credentials rotate. */
  credentials: () => Credentials;
  /** Overrides the regional endpoint (`https://ecs.<region>.aliyuncs.com`), e.g. the simulator. */
  endpoint?: string | null;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** ECS counts quotas per minute: a throttled call may succeed again from the next window on. */
  throttleWindowMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onCall?: (record: EcsCallRecord) => void;
}

export interface PopEcsApi extends EcsApi {
  close(): void;
}

export function regionalEndpoint(regionId: string): string {
  return `https://ecs.${regionId}.aliyuncs.com`;
}

export function createPopEcsApi(options: PopEcsOptions): PopEcsApi {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const windowMs = options.throttleWindowMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  const clients = new Map<string, RPCClient>();
  /** One pause for every caller of this client: after a Throttling answer nobody calls until the window turns. */
  let pausedUntil = 0;

  const clientFor = (regionId: string) => {
    const endpoint = options.endpoint ?? regionalEndpoint(regionId);
    let client = clients.get(endpoint);
    if (!client) {
      client = new RPCClient({
        endpoint,
        apiVersion: API_VERSION,
        credentialsProvider: { getCredentials: async () => options.credentials() },
      } as unknown as RPCClient.Config);
      clients.set(endpoint, client);
    }
    return { client, agent: endpoint.startsWith('https:') ? agents.https : agents.http };
  };

  const call = async (action: string, regionId: string, params: Record<string, string | number>) => {
    const { client, agent } = clientFor(regionId);
    const started = now();
    return withRetry(
      async () => {
        const waitMs = pausedUntil - now();
        if (waitMs > 0) {
          if (now() - started + waitMs > policy.budgetMs) throw throttledLocally(waitMs);
          await sleep(waitMs);
        }
        const t0 = now();
        try {
          // POST: with GET, pop-core's error messages would carry the signed URL.
          const body = await client.request<Record<string, unknown>>(action, { RegionId: regionId, ...params }, { method: 'POST', timeout: timeoutMs, agent });
          options.onCall?.({ action, regionId, ok: true, throttled: false, durationMs: now() - t0 });
          return body;
        } catch (raw) {
          const error = toEcsError(raw, timeoutMs);
          options.onCall?.({ action, regionId, ok: false, code: error.code, throttled: error.throttled, durationMs: now() - t0 });
          if (error.throttled) pausedUntil = Math.max(pausedUntil, nextWindow(now(), windowMs) + Math.round(random() * Math.min(1_000, windowMs / 10)));
          throw error;
        }
      },
      (error) => {
        if (!(error instanceof EcsError) || !error.retryable) return { retry: false };
        // The pause itself is waited out at the top of the next attempt.
        return error.throttled ? { retry: true, delayMs: 0 } : { retry: true };
      },
      policy,
      { now, sleep, random },
    ).catch((error: unknown) => {
      if (error instanceof EcsError && error.throttled) throw withRetryAfter(error, Math.max(1, Math.ceil((pausedUntil - now()) / 1000)));
      throw error;
    });
  };

  return {
    async describeTaskAttribute(regionId, taskId) {
      const body = await call('DescribeTaskAttribute', regionId, { TaskId: taskId });
      return normalizeTaskAttribute({ RegionId: regionId, ...body }, new Date(now()).toISOString());
    },

    async describeTasks(regionId, query: TaskQuery) {
      const idChunks = query.taskIds ? chunk(query.taskIds, MAX_IDS_PER_CALL) : [undefined];
      const out = [];
      for (const ids of idChunks) {
        if (ids && ids.length === 0) continue;
        for (let page = 1; ; page++) {
          const params: Record<string, string | number> = { PageSize: PAGE_SIZE, PageNumber: page };
          if (ids) params.TaskIds = ids.join(',');
          if (query.action) params.TaskAction = query.action;
          // DescribeTasks wants `yyyy-MM-ddTHH:mm:ssZ`, without milliseconds.
          if (query.startTime) params.StartTime = isoSeconds(query.startTime);
          if (query.endTime) params.EndTime = isoSeconds(query.endTime);
          const body = await call('DescribeTasks', regionId, params);
          const entries = listOf((body.TaskSet as Record<string, unknown> | undefined)?.Task);
          const observedAt = new Date(now()).toISOString();
          const requestId = typeof body.RequestId === 'string' ? body.RequestId : null;
          for (const entry of entries) out.push(normalizeTaskListEntry(entry as Record<string, unknown>, regionId, requestId, observedAt));
          const total = Number(body.TotalCount ?? 0);
          if (entries.length < PAGE_SIZE || page * PAGE_SIZE >= total) break;
        }
      }
      return out;
    },

    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

const RETRYABLE_CODES = new Set(['ServiceUnavailable', 'InternalError']);

/** pop-core errors → EcsError, keeping only what is safe: its `message` and `url` hold the signed URL and token. */
export function toEcsError(raw: unknown, timeoutMs: number): EcsError {
  const err = raw as { name?: string; code?: unknown; data?: Record<string, unknown>; entry?: { response?: { statusCode?: number } } };
  const httpStatus = err?.entry?.response?.statusCode ?? null;
  if (err?.data && typeof err.data.Code === 'string') {
    const code = err.data.Code;
    return new EcsError({
      code,
      // ECS's own Message can quote the signed request (SignatureDoesNotMatch quotes the whole string-to-sign).
      message: typeof err.data.Message === 'string' ? scrub(err.data.Message) : `ECS answered ${code}`,
      requestId: typeof err.data.RequestId === 'string' ? err.data.RequestId : null,
      httpStatus,
      retryable: /^Throttling/.test(code) || RETRYABLE_CODES.has(code) || (httpStatus !== null && httpStatus >= 500),
    });
  }
  if (err?.name === 'SyntaxError') {
    // pop-core parses the body (with json-bigint, which throws a plain object) before looking at the status: an HTML error page lands here.
    return new EcsError({
      code: 'InvalidResponse',
      message: 'ECS answered with a body that is not JSON (likely a gateway error page)',
      requestId: null,
      httpStatus: null,
      retryable: true,
    });
  }
  if (err?.name === 'RequestTimeoutError') {
    return new EcsError({ code: 'Timeout', message: `ECS did not answer within ${timeoutMs} ms`, requestId: null, httpStatus: null, retryable: true });
  }
  const netCode = typeof err?.code === 'string' ? err.code : 'NetworkError';
  return new EcsError({ code: 'NetworkError', message: `could not reach ECS (${netCode})`, requestId: null, httpStatus: null, retryable: true });
}

function throttledLocally(waitMs: number): EcsError {
  return new EcsError({
    code: 'Throttling.User',
    message: 'ECS throttled this account for the current quota window; try again after it turns',
    requestId: null,
    httpStatus: null,
    retryable: true,
    retryAfterSeconds: Math.ceil(waitMs / 1000),
  });
}

function withRetryAfter(error: EcsError, seconds: number): EcsError {
  return new EcsError({
    code: error.code,
    message: error.message,
    requestId: error.requestId,
    httpStatus: error.httpStatus,
    retryable: true,
    retryAfterSeconds: error.retryAfterSeconds ?? seconds,
  });
}

function nextWindow(nowMs: number, windowMs: number): number {
  return (Math.floor(nowMs / windowMs) + 1) * windowMs;
}
