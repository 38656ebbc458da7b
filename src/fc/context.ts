/** The parts of Function Compute's invocation `context` taskhook reads; the local runtime passes the same shape. */
import { REGION_ID, type Credentials, type Runtime } from '../config.js';
import type { FcFunctionTarget } from './fc2-invoker.js';

export interface InvocationContext {
  requestId?: string;
  accountId?: string;
  region?: string;
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  function?: { name?: string; timeout?: number; qualifier?: string };
  service?: { qualifier?: string };
}

/** The function role's credentials, when FC handed a complete set. */
export function roleCredentials(context: InvocationContext | undefined): Credentials | null {
  const c = context?.credentials;
  if (!c?.accessKeyId || !c.accessKeySecret) return null;
  return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, ...(c.securityToken ? { securityToken: c.securityToken } : {}) };
}

/** FC sets FC_FUNCTION_NAME in every function's environment. */
export function detectRuntime(env: Record<string, string | undefined>): Runtime {
  return env.FC_FUNCTION_NAME ? 'fc' : 'local';
}

/**
 * The running function itself, as a shard's target: name, region and account from FC's environment
 * (FC_FUNCTION_NAME, FC_REGION, FC_ACCOUNT_ID) or else the invocation context; the version or alias it was invoked
 * as; TASKHOOK_FC_ENDPOINT overrides the FC API origin. Throws naming the first setting that is missing or wrong.
 */
export function selfTarget(env: Record<string, string | undefined>, context: InvocationContext | undefined): FcFunctionTarget {
  const pick = (name: string, fromContext: string | undefined): string => {
    const value = env[name]?.trim() || fromContext?.trim();
    if (!value) throw new Error(`${name} is not set and the invocation context does not say it either`);
    return value;
  };
  const functionName = pick('FC_FUNCTION_NAME', context?.function?.name);
  const region = pick('FC_REGION', context?.region);
  const accountId = pick('FC_ACCOUNT_ID', context?.accountId);
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/.test(functionName))
    throw new Error(`FC_FUNCTION_NAME ${JSON.stringify(functionName.slice(0, 60))} is not a function name`);
  if (!REGION_ID.test(region)) throw new Error(`FC_REGION ${JSON.stringify(region.slice(0, 60))} is not a region id like cn-hangzhou`);
  if (!/^\d{1,20}$/.test(accountId)) throw new Error('FC_ACCOUNT_ID is not an account id (digits)');
  const qualifier = context?.function?.qualifier ?? context?.service?.qualifier;
  const endpoint = env.TASKHOOK_FC_ENDPOINT?.trim();
  return {
    functionName,
    region,
    accountId,
    ...(qualifier && qualifier !== 'LATEST' && /^[A-Za-z0-9_-]{1,128}$/.test(qualifier) ? { qualifier } : {}),
    ...(endpoint ? { endpoint: fcEndpoint(endpoint) } : {}),
  };
}

/** TASKHOOK_FC_ENDPOINT: an http(s) origin and nothing more (fc2 appends the API version and path to it). */
function fcEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('TASKHOOK_FC_ENDPOINT is not a URL; use an origin like https://1234567890123456.cn-hangzhou.fc.aliyuncs.com');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.pathname !== '/' || url.search || url.hash)
    throw new Error('TASKHOOK_FC_ENDPOINT must be an http(s) origin without path, query or credentials, like http://127.0.0.1:9000');
  return url.origin;
}
