/**
 * A client for a taskhook HTTP API: a deployed one named by `--api` or TASKHOOK_API_URL (token in TASKHOOK_API_TOKEN),
 * else the running instance found through `.taskhook/instance.json`. Its errors are one line naming the host, never the token.
 */
import { UsageError, instanceOf, type Io } from './cli-context.js';
import type { InstanceInfo } from './instance-file.js';

/** The instance answered with an error (`{"error":{"code","message"}}`). */
export class InstanceApiError extends Error {
  override name = 'InstanceApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CallOptions {
  timeoutMs?: number;
  /** Aborts the call (the command is stopping). */
  signal?: AbortSignal;
}

/** The API did not answer at all (down, unreachable, timed out): worth trying again, unlike an answer that refuses. */
export class ApiUnreachableError extends UsageError {
  override name = 'ApiUnreachableError';
}

export interface ApiClient {
  /** The API's base URL, e.g. http://127.0.0.1:9000 or https://taskhook.example.com. */
  apiUrl: string;
  /** The local instance behind it; null for a deployed API named by --api or TASKHOOK_API_URL. */
  local: InstanceInfo | null;
  /** One authenticated call; the parsed JSON answer (null for an empty one). `timeoutMs` bounds it (default 30 s). */
  call<T = unknown>(method: string, path: string, body?: unknown, options?: CallOptions): Promise<T>;
}

/** A client of the local instance, with what its instance file says. */
export interface InstanceApi extends ApiClient {
  info: InstanceInfo;
  local: InstanceInfo;
}

/** Where a deployed API is named: the option wins over the environment. */
export function remoteApiUrl(io: Io, option?: string): { url: string; from: string } | null {
  const fromOption = option?.trim();
  const fromEnv = io.env.TASKHOOK_API_URL?.trim();
  const value = fromOption || fromEnv;
  if (!value) return null;
  const from = fromOption ? '--api' : 'TASKHOOK_API_URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${from} "${value}" is not a URL; give the API's base URL, e.g. https://taskhook.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${from} must be an http:// or https:// URL, not "${value}"`);
  if (url.username || url.password) throw new UsageError(`${from} must not carry credentials; put the token in TASKHOOK_API_TOKEN`);
  return { url: url.href.replace(/\/+$/, ''), from };
}

/**
 * The API a command talks to: a deployed one when `--api` or TASKHOOK_API_URL names it (TASKHOOK_API_TOKEN required),
 * else the running instance in this folder, or a usage error that says how to get either.
 */
export function requireApi(io: Io, command: string, option?: string): ApiClient {
  const remote = remoteApiUrl(io, option);
  if (!remote) return requireInstance(io, command, true);
  const token = io.env.TASKHOOK_API_TOKEN?.trim();
  if (!token)
    throw new UsageError(`${remote.from} names an API but TASKHOOK_API_TOKEN is not set; export TASKHOOK_API_TOKEN with one of that API's TASKHOOK_API_TOKENS`);
  return client(remote.url, token, null);
}

/** The deployed API `--api` or TASKHOOK_API_URL names, else null (the command then uses this folder's instance or store). */
export function namedApi(io: Io, command: string, option?: string): ApiClient | null {
  return remoteApiUrl(io, option) ? requireApi(io, command, option) : null;
}

/** The running instance, or a usage error that says how to start one (or, with `orRemote`, how to name a deployed API). */
export function requireInstance(io: Io, command: string, orRemote = false): InstanceApi {
  const found = instanceOf(io);
  if (!found.live) {
    const why = found.stale ? `: ${found.stale}` : '';
    const remote = orRemote ? ', or name a deployed API with --api <url> (or TASKHOOK_API_URL) and TASKHOOK_API_TOKEN' : '';
    throw new UsageError(`${command} needs a running taskhook in this folder${why}; start one with \`npm start\` (in another terminal, in ${io.cwd})${remote}`);
  }
  return instanceApi(found.live);
}

export function instanceApi(info: InstanceInfo): InstanceApi {
  return { ...client(info.apiUrl, info.token, info), info, local: info };
}

function client(apiUrl: string, token: string, local: InstanceInfo | null): ApiClient {
  const host = new URL(apiUrl).host;
  const what = local ? `the running taskhook at ${host}` : `the taskhook API at ${host}`;
  return {
    apiUrl,
    local,
    async call<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
      let res: Response;
      try {
        res = await fetch(apiUrl + path, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: options.signal ? AbortSignal.any([timeout, options.signal]) : timeout,
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
        const fix = local ? 'is npm start still running in this folder?' : 'check --api (or TASKHOOK_API_URL) and the network';
        throw new ApiUnreachableError(`could not reach ${what} (${cause}); ${fix}`);
      }
      if (res.status === 401 && !local)
        throw new UsageError(`${what} refused TASKHOOK_API_TOKEN (401); set it to one of the tokens in that API's TASKHOOK_API_TOKENS`);
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        throw new InstanceApiError(res.status, 'NotJson', `${what} answered HTTP ${res.status} with a body that is not JSON; is that URL a taskhook API?`);
      }
      if (!res.ok) {
        const e = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
        throw new InstanceApiError(res.status, e?.code ?? `HTTP${res.status}`, e?.message ?? `HTTP ${res.status}`);
      }
      return parsed as T;
    },
  };
}
