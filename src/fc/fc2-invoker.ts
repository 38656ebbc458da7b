/** The Invoker on FC: each shard and each webhook's delivery run is an asynchronous invocation of the poller function, signed by @alicloud/fc2 (loaded at the first shard). */
import type FCClient from '@alicloud/fc2';
import type { Credentials } from '../config.js';
import { invokeFunction, type InvokeAnswer } from './fc-invoke.js';
import { fcErrorLine, functionErrorMessage, readFcError, safeLine, type FcCallSite } from './function-error.js';
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

/** The event body of a webhook's delivery run (src/delivery/run.ts), read back the same way. */
export interface DeliverEvent {
  deliver: { webhookId: string };
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Enough of an error message to act on; a stack trace pasted into one is not. */
const MAX_MESSAGE_CHARS = 300;
/** An async invocation's answer is a receipt or an error: anything longer is cut, never buffered whole. */
const MAX_ANSWER_BYTES = 64 * 1024;

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
  /** One asynchronous invocation of the function itself with `body`; `label` and `id` name what was handed off. */
  const queue = async (body: ShardEvent | DeliverEvent, label: string, id: string): Promise<void> => {
    const fail = (code: string, what: string, status: number | null = null, retryable = false) =>
      new ShardInvokeError(code, `${label}: ${what}`, id, status, retryable);
    let target: FcFunctionTarget;
    try {
      target = options.target();
    } catch (error) {
      throw fail('NoFunctionTarget', `cannot invoke the poller: ${messageOf(error)}`);
    }
    const credentials = options.credentials();
    if (!credentials) throw fail('NoCredentials', `cannot invoke ${target.functionName}: no credentials (the function needs a role allowed fc:InvokeFunction)`);
    const FCClientClass = await loadFc2().catch((error: unknown) => {
      throw fail('Fc2Unavailable', `cannot load @alicloud/fc2: ${messageOf(error)}`);
    });
    const call = `invoking ${target.functionName} (async)`;
    let answer: InvokeAnswer;
    try {
      answer = await invokeFunction(FCClientClass, {
        accountId: target.accountId,
        region: target.region,
        ...(target.endpoint ? { endpoint: target.endpoint } : {}),
        credentials,
        functionName: target.functionName,
        ...(target.qualifier ? { qualifier: target.qualifier } : {}),
        invocationType: 'Async',
        body: JSON.stringify(body),
        timeoutMs,
        maxBodyBytes: MAX_ANSWER_BYTES,
      });
    } catch (error) {
      const { code, retryable } = classify(error);
      throw fail(code, `${call} failed: ${code}: ${messageOf(error)}`, null, retryable);
    }
    if (answer.status < 200 || answer.status >= 300) {
      const e = readFcError(answer.status, answer.headers, answer.body, callSite(target), MAX_MESSAGE_CHARS);
      throw fail(e.code, `${call} failed: ${fcErrorLine(e)}`, e.status, e.retryable);
    }
    // FC answers a function error with 2xx, its type in this header and the error JSON as the body.
    const functionError = answer.headers['x-fc-error-type'];
    if (functionError) {
      const type = /^[\w.]{1,64}$/.test(functionError) ? functionError : 'FunctionError';
      throw fail(type, `${call} failed: ${type}: ${functionErrorMessage(answer.body, MAX_MESSAGE_CHARS)}`);
    }
    // Any other 2xx is the receipt: with or without a content type, an empty body, JSON or not.
  };
  return {
    invokeShard: (shard: ShardSpec) => queue({ shard }, `shard ${shard.id}`, shard.id),
    invokeDelivery: (webhookId: string) => queue({ deliver: { webhookId } }, `the delivery run of webhook ${webhookId}`, `deliver:${webhookId}`),
  };
}

/** Who signs a shard's invocation and where its target comes from, for the advice on an FC error. */
function callSite(target: FcFunctionTarget): FcCallSite {
  return {
    functionName: target.functionName,
    ...(target.qualifier ? { qualifier: target.qualifier } : {}),
    region: target.region,
    accountId: target.accountId,
    caller: "the function's role",
    targetFrom: 'FC_FUNCTION_NAME, FC_REGION and FC_ACCOUNT_ID (FC sets them), the version or alias the run was invoked as, and TASKHOOK_FC_ENDPOINT if set',
    credentialsFrom: "the function's role (s.yaml `role`, TASKHOOK_FC_ROLE at deploy)",
  };
}

/** No answer came: node's error (ECONNREFUSED, ECONNRESET), our deadline, or fc2 refusing its options. */
function classify(error: unknown): { code: string; retryable: boolean } {
  const e = error as { code?: unknown; name?: unknown };
  if (typeof e?.name === 'string' && /Timeout/.test(e.name)) return { code: 'Timeout', retryable: true };
  if (typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code)) return { code: 'NetworkError', retryable: true };
  return { code: 'InvokeFailed', retryable: false };
}

function messageOf(error: unknown): string {
  return safeLine(error instanceof Error ? error.message : String(error), MAX_MESSAGE_CHARS);
}
