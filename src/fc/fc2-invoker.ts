/** The Invoker on FC: each shard is an asynchronous invocation of the poller function through @alicloud/fc2, loaded at the first shard. */
import type FCClient from '@alicloud/fc2';
import type { Credentials } from '../config.js';
import { functionErrorMessage, safeLine } from './function-error.js';
import { ShardInvokeError, type Invoker } from '../shards/invoker.js';
import type { ShardSpec } from '../shards/shard.js';

/** The function a shard runs in, and where its API answers. */
export interface FcFunctionTarget {
  functionName: string;
  region: string;
  accountId: string;
  /** A version or alias to invoke; absent means LATEST. */
  qualifier?: string;
  /** The FC API origin, e.g. http://127.0.0.1:9000; absent means fc2's https endpoint for the account and region. */
  endpoint?: string;
}

export interface Fc2InvokerOptions {
  /** Read at each shard: a missing setting fails that shard with a message naming it, not the instance. */
  target: () => FcFunctionTarget;
  /** The function role's current credentials (they rotate), read at each shard. */
  credentials: () => Credentials | null;
  /** How long one invocation request may take; an async invocation is only queued, so this is short. */
  timeoutMs?: number;
}

/** The event body of a shard's invocation, which the poller's timer-event parser reads back. */
export interface ShardEvent {
  shard: ShardSpec;
}

/** FC 3.0 functions live outside services; their invoke path is under the 2023-03-30 API version. */
const FC3_API_VERSION = '2023-03-30';
const DEFAULT_TIMEOUT_MS = 10_000;
/** Enough of an error message to act on; a stack trace pasted into one is not. */
const MAX_MESSAGE_CHARS = 300;

type Fc2Constructor = typeof FCClient;

let fc2: Promise<Fc2Constructor> | null = null;

/** @alicloud/fc2 on first use only: a run that never shards never loads it. A failed load is tried again next time. */
function loadFc2(): Promise<Fc2Constructor> {
  fc2 ??= import('@alicloud/fc2').then((m) => m.default);
  fc2.catch(() => (fc2 = null));
  return fc2;
}

export function createFc2Invoker(options: Fc2InvokerOptions): Invoker {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    async invokeShard(shard: ShardSpec): Promise<void> {
      const fail = (code: string, what: string, status: number | null = null, retryable = false) =>
        new ShardInvokeError(code, `shard ${shard.id}: ${what}`, shard.id, status, retryable);
      let target: FcFunctionTarget;
      try {
        target = options.target();
      } catch (error) {
        throw fail('NoFunctionTarget', `cannot invoke the poller: ${messageOf(error)}`);
      }
      const credentials = options.credentials();
      if (!credentials)
        throw fail('NoCredentials', `cannot invoke ${target.functionName}: no credentials (the function needs a role allowed fc:InvokeFunction)`);
      const FCClientClass = await loadFc2().catch((error: unknown) => {
        throw fail('Fc2Unavailable', `cannot load @alicloud/fc2: ${messageOf(error)}`);
      });
      const body: ShardEvent = { shard };
      const call = `invoking ${target.functionName} (async)`;
      let response: Awaited<ReturnType<FCClient['post']>>;
      try {
        // fc2 checks its options here (an STS key without its token throws), so this is inside the try too.
        const client = new FCClientClass(target.accountId, {
          accessKeyID: credentials.accessKeyId,
          accessKeySecret: credentials.accessKeySecret,
          securityToken: credentials.securityToken,
          region: target.region,
          secure: true,
          timeout: timeoutMs,
          ...(target.endpoint ? { endpoint: target.endpoint } : {}),
        });
        client.version = FC3_API_VERSION;
        response = await client.post(
          `/functions/${encodeURIComponent(target.functionName)}/invocations`,
          JSON.stringify(body),
          { 'x-fc-invocation-type': 'Async' },
          target.qualifier ? { qualifier: target.qualifier } : undefined,
        );
      } catch (error) {
        const { code, status, retryable } = classify(error);
        throw fail(code, `${call} failed: ${code}: ${messageOf(error)}`, status, retryable);
      }
      // FC answers a function error with 2xx, its type in this header and the error JSON as the body.
      const functionError = response.headers['x-fc-error-type'];
      if (functionError) {
        const type = /^[\w.]{1,64}$/.test(functionError) ? functionError : 'FunctionError';
        throw fail(type, `${call} failed: ${type}: ${functionErrorMessage(response.data, MAX_MESSAGE_CHARS)}`);
      }
    },
  };
}

/**
 * fc2 throws `POST /functions/… failed with 429. requestid: …, message: ….` with FC's ErrorCode as `code` for an
 * HTTP error, and node's or httpx's error (ECONNREFUSED, RequestTimeoutError) when no answer came.
 */
function classify(error: unknown): { code: string; status: number | null; retryable: boolean } {
  const e = error as { code?: unknown; name?: unknown; message?: unknown };
  const status = Number(/ failed with (\d{3})\b/.exec(typeof e?.message === 'string' ? e.message : '')?.[1]) || null;
  if (status !== null) {
    const code = typeof e.code === 'string' && /^\w+(\.\w+)*$/.test(e.code) ? e.code : `HTTP${status}`;
    return { code, status, retryable: status === 429 || status >= 500 };
  }
  if (typeof e?.name === 'string' && /Timeout/.test(e.name)) return { code: 'Timeout', status: null, retryable: true };
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) return { code: 'NetworkError', status: null, retryable: true };
  return { code: 'InvokeFailed', status: null, retryable: false };
}

function messageOf(error: unknown): string {
  return safeLine(error instanceof Error ? error.message : String(error), MAX_MESSAGE_CHARS);
}
