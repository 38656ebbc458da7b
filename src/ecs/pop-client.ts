/** EcsApi over @alicloud/pop-core's RPCClient (signature v1), with retries and calls paced per API and region. */
import http from 'node:http';
import https from 'node:https';
import RPCClient from '@alicloud/pop-core';
import { chunk } from '../batching.js';
import { DEFAULT_ECS_RATE } from '../config.js';
import { EcsError } from '../errors.js';
import { DEFAULT_RETRY, sleep as realSleep, withRetry, type RetryPolicy } from '../retry.js';
import { scrub } from '../scrub.js';
import type { TaskSnapshot } from '../tasks/snapshot.js';
import type { Credentials, EcsApi, EcsCallRecord, TaskQuery } from './api.js';
import type { CheckedType, ResourceState } from '../tasks/resource.js';
import { MalformedAnswerError, isoSeconds, parseResourcePage, parseTaskAttribute, parseTaskPage } from './normalize.js';
import { createPacer, type Pacer } from './pacer.js';
import { monotonicNow } from '../clock.js';

const API_VERSION = '2014-05-26';
const PAGE_SIZE = 100;
const MAX_IDS_PER_CALL = 100;
/** 50 pages of 100: 5,000 tasks per query (or per 100-id chunk) is far beyond a real account's hour of tasks. */
const DEFAULT_MAX_PAGES = 50;
const DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** Below the poller's 300 s FC timeout, so one stuck query cannot eat the whole run. */
const DEFAULT_DEADLINE_MS = 120_000;
/** Limits of the adapter itself: retrying inside the same call sequence cannot help. */
const NOT_RETRIED_HERE = new Set(['PageLimitExceeded', 'AnswerTooLarge', 'DeadlineExceeded']);

export interface PopEcsOptions {
  /** Read before every call: FC's role credentials rotate. */
  credentials: () => Credentials;
  /** Overrides the regional endpoint (`https://ecs.<region>.aliyuncs.com`), e.g. the simulator. */
  endpoint?: string | null;
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Calls per second per (API, region); default DEFAULT_ECS_RATE. Ignored when `pacer` is given. */
  rate?: number;
  /** A pacer shared with other clients (the local runtime keeps one across runs); default, one of this client's own. */
  pacer?: Pacer;
  /** How long a throttled (API, region) pair waits before its next call; default 1 s. */
  throttlePauseMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onCall?: (record: EcsCallRecord) => void;
  /** DescribeTasks follows at most this many pages per query (per 100-id chunk); default 50. */
  maxPages?: number;
  /** An answer body (headers included) larger than this is cut off while it streams in; default 4 MiB. */
  maxAnswerBytes?: number;
  /** One public call, all its pages and retries, ends within this; default 120 s. */
  deadlineMs?: number;
}

/** pop-core's constructor takes `verbose` as a second argument its typings leave out. */
const VerboseRpcClient = RPCClient as unknown as new (config: RPCClient.Config, verbose: boolean) => RPCClient;

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
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const agents = {
    http: capAnswerSize(new http.Agent({ keepAlive: true }), maxAnswerBytes),
    https: capAnswerSize(new https.Agent({ keepAlive: true }), maxAnswerBytes),
  };
  const clients = new Map<string, RPCClient>();
  /** ECS counts quotas per API and region: each pair is paced alone, and a Throttling answer slows that pair only. */
  // Quotas count real seconds: the pacer keeps to the process's monotonic clock, even when a test moves `now` by hand.
  const pacer =
    options.pacer ??
    createPacer({ rate: options.rate ?? DEFAULT_ECS_RATE, now: monotonicNow, wallNow: Date.now, sleep: realSleep, random, pauseMs: options.throttlePauseMs });

  const clientFor = (regionId: string) => {
    const endpoint = options.endpoint ?? regionalEndpoint(regionId);
    let client = clients.get(endpoint);
    if (!client) {
      client = new VerboseRpcClient(
        {
          endpoint,
          apiVersion: API_VERSION,
          credentialsProvider: { getCredentials: async () => options.credentials() },
          // verbose: answers come back with their HTTP headers (ECS's `Date`, for the clock skew).
        } as unknown as RPCClient.Config,
        true,
      );
      clients.set(endpoint, client);
    }
    return { client, agent: endpoint.startsWith('https:') ? agents.https : agents.http };
  };

  const sequence = (action: string, regionId: string): Sequence => ({ action, regionId, startedAt: now(), deadlineAt: now() + deadlineMs });
  /** One describe call per resource kind; each is its own (API, region) pair for the pacer and the quota. */
  const resourceSequence: Record<CheckedType, (regionId: string) => Sequence> = {
    image: (regionId) => sequence('DescribeImages', regionId),
    disk: (regionId) => sequence('DescribeDisks', regionId),
    instance: (regionId) => sequence('DescribeInstances', regionId),
    snapshot: (regionId) => sequence('DescribeSnapshots', regionId),
  };

  /** A bound of the adapter was hit: one record (the log line) and the error that ends the sequence. */
  const limitHit = (seq: Sequence, error: EcsError): EcsError => {
    options.onCall?.({
      action: seq.action,
      regionId: seq.regionId,
      ok: false,
      code: error.code,
      throttled: false,
      durationMs: now() - seq.startedAt,
      limit: true,
      sent: false,
      note: error.message,
    });
    return error;
  };

  /** One ECS call with retries; `read` turns the answer into evidence inside the attempt, so a malformed answer is retried too. */
  const call = async <T>(seq: Sequence, params: Record<string, string | number>, read: (body: unknown, observedAt: string) => Read<T>): Promise<T> => {
    const { action, regionId } = seq;
    const { client, agent } = clientFor(regionId);
    const started = now();
    const deadlineBinds = seq.deadlineAt - started < policy.budgetMs;
    const callPolicy = { ...policy, budgetMs: Math.max(0, Math.min(policy.budgetMs, seq.deadlineAt - started)) };
    let attempts = 0;
    const pair = `${action}|${regionId}`;
    return withRetry(
      async () => {
        attempts++;
        // The slot may be at most as far off as the call's time left, measured on the pacer's clock.
        if (!(await pacer.take(pair, monotonicNow() + Math.min(seq.deadlineAt, started + callPolicy.budgetMs) - now()))) throw throttledLocally();
        const remainingMs = seq.deadlineAt - now();
        if (remainingMs <= 0) throw limitHit(seq, deadlineExceeded(seq, deadlineMs, null));
        const attemptTimeoutMs = Math.min(timeoutMs, remainingMs);
        const t0 = now();
        try {
          // POST: with GET, pop-core's error messages would carry the signed URL.
          const [body, entry] = await client.request<[unknown, AnswerEntry | undefined]>(
            action,
            { RegionId: regionId, ...params },
            { method: 'POST', timeout: attemptTimeoutMs, agent },
          );
          const skew = skewOf(entry, now());
          const { value, dropped } = read(body, new Date(now()).toISOString());
          const droppedNote = dropped?.length
            ? { dropped: dropped.length, note: `dropped ${dropped.length} entries naming tasks not asked for: ${dropped.slice(0, 5).join(', ')}` }
            : {};
          pacer.succeeded(pair, skew);
          options.onCall?.({
            action,
            regionId,
            ok: true,
            throttled: false,
            durationMs: now() - t0,
            ...droppedNote,
            ...(skew === null ? {} : { skewMs: skew }),
          });
          return value;
        } catch (raw) {
          const error = raw instanceof EcsError ? raw : toEcsError(raw, attemptTimeoutMs, maxAnswerBytes);
          const entry = (raw as { entry?: AnswerEntry } | null)?.entry;
          const skew = skewOf(entry, now());
          const flags = {
            ...(skew === null ? {} : { skewMs: skew }),
            ...(error.code === 'MalformedAnswer' ? { malformed: true as const, note: error.message } : {}),
            ...(error.code === 'AnswerTooLarge' ? { limit: true as const, note: error.message } : {}),
          };
          options.onCall?.({ action, regionId, ok: false, code: error.code, throttled: error.throttled, durationMs: now() - t0, ...flags });
          if (error.throttled) pacer.throttled(pair, { timeLeftMs: timeLeftOf(entry), skewMs: skew });
          throw error;
        }
      },
      (error) => {
        if (!(error instanceof EcsError) || !error.retryable || NOT_RETRIED_HERE.has(error.code)) return { retry: false };
        // The pause itself is waited out in the pacer, at the top of the next attempt.
        return error.throttled ? { retry: true, delayMs: 0 } : { retry: true };
      },
      callPolicy,
      { now, sleep, random },
    ).catch((error: unknown) => {
      if (error instanceof EcsError && error.throttled) throw withRetryAfter(error, 1);
      // Retries stopped by the sequence's deadline, not by the policy: say so, naming the last answer.
      if (error instanceof EcsError && error.retryable && !NOT_RETRIED_HERE.has(error.code) && deadlineBinds && attempts < policy.maxAttempts) {
        throw limitHit(seq, deadlineExceeded(seq, deadlineMs, error));
      }
      throw error;
    });
  };

  return {
    async describeTaskAttribute(regionId, taskId) {
      const seq = sequence('DescribeTaskAttribute', regionId);
      return call(seq, { TaskId: taskId }, (body, observedAt) => ({ value: parseTaskAttribute(body, { regionId, taskId }, observedAt) }));
    },

    async describeTasks(regionId, query: TaskQuery) {
      const seq = sequence('DescribeTasks', regionId);
      const idChunks = query.taskIds ? chunk(query.taskIds, MAX_IDS_PER_CALL) : [undefined];
      // Keyed by id: a task created between two page calls shifts the pages and shows up twice.
      const found = new Map<string, TaskSnapshot>();
      for (const ids of idChunks) {
        if (ids && ids.length === 0) continue;
        const asked = ids ? new Set(ids) : undefined;
        for (let page = 1; ; page++) {
          const params: Record<string, string | number> = { PageSize: PAGE_SIZE, PageNumber: page };
          if (ids) params.TaskIds = ids.join(',');
          if (query.action) params.TaskAction = query.action;
          // DescribeTasks wants `yyyy-MM-ddTHH:mm:ssZ`, without milliseconds.
          if (query.startTime) params.StartTime = isoSeconds(query.startTime);
          if (query.endTime) params.EndTime = isoSeconds(query.endTime);
          const answer = await call(seq, params, (body, observedAt) => {
            const parsed = parseTaskPage(body, { regionId, taskIds: asked }, observedAt);
            return { value: parsed, dropped: parsed.notAsked };
          });
          for (const task of answer.tasks) if (!found.has(task.id)) found.set(task.id, task);
          const sawEveryAskedId = asked !== undefined && [...asked].every((id) => found.has(id));
          if (sawEveryAskedId || answer.entryCount < PAGE_SIZE || page * PAGE_SIZE >= answer.totalCount) break;
          if (page >= maxPages) throw limitHit(seq, pageLimitExceeded(maxPages, answer.totalCount));
        }
      }
      return [...found.values()];
    },

    async describeResources(regionId, type, ids) {
      const seq = resourceSequence[type](regionId);
      const found = new Map<string, ResourceState>();
      for (const chunkIds of chunk([...new Set(ids)], MAX_IDS_PER_CALL)) {
        const asked = new Set(chunkIds);
        for (let page = 1; ; page++) {
          const params: Record<string, string | number> = { PageSize: PAGE_SIZE, PageNumber: page, ...resourceFilter(type, chunkIds) };
          const answer = await call(seq, params, (body) => {
            const parsed = parseResourcePage(body, type, asked, regionId);
            return { value: parsed, dropped: parsed.notAsked };
          });
          for (const state of answer.states) if (!found.has(state.id)) found.set(state.id, state);
          if (chunkIds.every((id) => found.has(id)) || answer.entryCount < PAGE_SIZE || page * PAGE_SIZE >= answer.totalCount) break;
          if (page >= maxPages) throw limitHit(seq, pageLimitExceeded(maxPages, answer.totalCount, seq.action));
        }
      }
      return [...found.values()];
    },

    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/**
 * The id filter of each describe call, as each documents it: DescribeImages takes ids separated by commas and lists
 * only `Available` images unless `Status` names the others; the other three take a JSON array.
 */
export function resourceFilter(type: CheckedType, ids: string[]): Record<string, string> {
  switch (type) {
    case 'image':
      return { ImageId: ids.join(','), Status: 'Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated' };
    case 'disk':
      return { DiskIds: JSON.stringify(ids) };
    case 'instance':
      return { InstanceIds: JSON.stringify(ids) };
    case 'snapshot':
      return { SnapshotIds: JSON.stringify(ids) };
  }
}

/** What pop-core's verbose mode hands back beside the body (and puts on its errors): the answer's status and headers. */
interface AnswerEntry {
  response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined> };
}

/**
 * ECS's clock minus ours, from the answer's `Date` header (whole seconds, so the middle of its second is taken);
 * null without one.
 */
export function skewOf(entry: AnswerEntry | undefined, receivedAt: number): number | null {
  const date = entry?.response?.headers?.date;
  const at = typeof date === 'string' ? Date.parse(date) : Number.NaN;
  return Number.isFinite(at) ? at + 500 - receivedAt : null;
}

/**
 * How long ECS says the throttle lasts: `x-ratelimit-user-api` and `x-ratelimit-user` carry `…,TimeLeft:<ms>,…`;
 * Alibaba's own SDKs take the larger of the two (aliyun/darabonba-openapi, `GetThrottlingTimeLeft`).
 */
export function timeLeftOf(entry: AnswerEntry | undefined): number | null {
  const headers = entry?.response?.headers ?? {};
  let best: number | null = null;
  for (const name of ['x-ratelimit-user-api', 'x-ratelimit-user']) {
    const value = headers[name];
    const match = typeof value === 'string' ? /(?:^|[,;\s])TimeLeft:(\d+)/i.exec(value) : null;
    if (match) best = Math.max(best ?? 0, Number(match[1]));
  }
  return best;
}

interface Sequence {
  action: string;
  regionId: string;
  startedAt: number;
  deadlineAt: number;
}

interface Read<T> {
  value: T;
  /** TaskIds of entries left out as not asked for. */
  dropped?: string[];
}

/** Thrown into the response stream once an answer outgrows the cap; toEcsError maps it to AnswerTooLarge. */
class AnswerTooLargeSignal extends Error {
  override name = 'AnswerTooLargeSignal';
}

/**
 * pop-core reads the whole body before parsing and has no size hook, so the cap sits in the agent: it counts the
 * bytes each request's socket receives and destroys the response once they pass `maxBytes`.
 */
function capAnswerSize<A extends http.Agent>(agent: A, maxBytes: number): A {
  // addRequest is the (undocumented but long-stable) seam where an agent first sees each ClientRequest.
  const internal = agent as unknown as { addRequest(req: http.ClientRequest, ...rest: unknown[]): void };
  const addRequest = internal.addRequest.bind(agent);
  internal.addRequest = (req, ...rest) => {
    let response: http.IncomingMessage | null = null;
    req.once('response', (res: http.IncomingMessage) => (response = res));
    req.once('socket', (socket) => {
      let bytes = 0;
      const stop = () => socket.off('data', count);
      const count = (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes <= maxBytes) return;
        stop();
        const signal = new AnswerTooLargeSignal(`answer larger than ${maxBytes} bytes`);
        if (response) response.destroy(signal);
        else req.destroy(signal);
      };
      socket.on('data', count);
      // A kept-alive socket serves the next request too: stop counting once this answer is done.
      req.once('close', stop);
      req.once('response', (res: http.IncomingMessage) => res.once('end', stop));
    });
    addRequest(req, ...rest);
  };
  return agent;
}

function pageLimitExceeded(maxPages: number, totalCount: number, action = 'DescribeTasks'): EcsError {
  return new EcsError({
    code: 'PageLimitExceeded',
    message: `${action} still announced more pages after ${maxPages} (${maxPages * PAGE_SIZE} tasks; TotalCount ${totalCount}); stopped, narrow the query's time window or actions`,
    requestId: null,
    httpStatus: null,
    retryable: false,
  });
}

function deadlineExceeded(seq: Sequence, deadlineMs: number, last: EcsError | null): EcsError {
  return new EcsError({
    code: 'DeadlineExceeded',
    message: `${seq.action} in ${seq.regionId} did not complete within ${deadlineMs} ms${last ? ` (last answer: ${last.code})` : ''}; it is tried again on the next run`,
    requestId: last?.requestId ?? null,
    httpStatus: last?.httpStatus ?? null,
    retryable: true,
  });
}

const RETRYABLE_CODES = new Set(['ServiceUnavailable', 'InternalError']);

/** pop-core errors → EcsError, keeping only what is safe: its `message` and `url` hold the signed URL and token. */
export function toEcsError(raw: unknown, timeoutMs: number, maxAnswerBytes = DEFAULT_MAX_ANSWER_BYTES): EcsError {
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
    // pop-core parses the body (with json-bigint, which throws a plain object quoting the body) before looking at the status.
    return new MalformedAnswerError('not-json', 'the body is not JSON (an HTML error page, an empty or a cut-off body)');
  }
  if (err?.name === 'TypeError' && /'Code'/.test(String((raw as Error).message))) {
    // A `null` body: pop-core reads `json.Code` of it and throws.
    return new MalformedAnswerError('not-an-object', 'the body is JSON null, not an object');
  }
  if (raw instanceof AnswerTooLargeSignal) {
    return new EcsError({
      code: 'AnswerTooLarge',
      message: `ECS answered more than ${maxAnswerBytes} bytes; the answer was cut off and not read`,
      requestId: null,
      httpStatus: null,
      retryable: false,
    });
  }
  if (err?.name === 'RequestTimeoutError') {
    return new EcsError({ code: 'Timeout', message: `ECS did not answer within ${timeoutMs} ms`, requestId: null, httpStatus: null, retryable: true });
  }
  const netCode = typeof err?.code === 'string' ? err.code : 'NetworkError';
  return new EcsError({ code: 'NetworkError', message: `could not reach ECS (${netCode})`, requestId: null, httpStatus: null, retryable: true });
}

/** The pair's next paced slot lies past what this call may wait: not sent, so not a throttled call of ECS's. */
function throttledLocally(): EcsError {
  return new EcsError({
    code: 'Throttling.User',
    message: 'ECS throttled this account and the paced retry would come after this call’s deadline; it is tried again on the next run',
    requestId: null,
    httpStatus: null,
    retryable: true,
    retryAfterSeconds: 1,
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
