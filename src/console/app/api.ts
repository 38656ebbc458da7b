/** The console's API client: same-origin calls with the bearer token, JSON both ways, failures as ApiError with the API's own code and message. */

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | undefined>;

export interface ApiClient {
  get<T>(path: string, query?: Query): Promise<T>;
  /** A POST, PATCH or DELETE; a body, when given, goes as JSON. */
  send<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, query?: Query): Promise<T>;
}

const TIMEOUT_MS = 20_000;

/** `/v1/x` plus the query parameters that have a value. */
export function apiPath(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** The API's error shape is {"error":{"code","message","field"}}; anything else is described by its status. */
async function failure(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON: the status says enough */
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | null)?.error;
  if (error && typeof error.code === 'string' && typeof error.message === 'string')
    return new ApiError(res.status, error.code, error.message, typeof error.field === 'string' ? error.field : undefined);
  return new ApiError(res.status, `HTTP${res.status}`, `the API answered HTTP ${res.status} ${res.statusText}`.trim());
}

/** `onUnauthorized` runs on any 401: the token was refused, so the console signs out. */
export function apiClient(token: string, onUnauthorized: (error: ApiError) => void): ApiClient {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'omit',
        cache: 'no-store',
        signal: controller.signal,
      });
    } catch (error) {
      const timedOut = controller.signal.aborted;
      throw new ApiError(
        0,
        timedOut ? 'Timeout' : 'NetworkError',
        timedOut ? `no answer within ${TIMEOUT_MS / 1000} s` : `the API could not be reached (${(error as Error).message})`,
      );
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) {
      const error = await failure(res);
      if (res.status === 401) onUnauthorized(error);
      throw error;
    }
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  };
  return {
    get: (path, query) => call('GET', apiPath(path, query)),
    send: (method, path, body, query) => call(method, apiPath(path, query), body),
  };
}

/** Every page of a cursor-paged list, up to `maxPages` (the rest is left for a filter or a narrower query). */
export async function allPages<T>(load: (cursor: string | undefined) => Promise<{ items: T[]; cursor: string | null }>, maxPages = 10): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const answer = await load(cursor);
    items.push(...answer.items);
    if (!answer.cursor) break;
    cursor = answer.cursor;
  }
  return items;
}
