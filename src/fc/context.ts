/** The parts of Function Compute's invocation `context` taskhook reads; the local runtime passes the same shape. */
import type { Credentials, Runtime } from '../config.js';

export interface InvocationContext {
  requestId?: string;
  accountId?: string;
  credentials?: { accessKeyId?: string; accessKeySecret?: string; securityToken?: string };
  function?: { name?: string; timeout?: number };
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
