/** A client for the running instance's HTTP API, found through `.taskhook/instance.json`; its errors are one line naming the host. */
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

export interface InstanceApi {
  info: InstanceInfo;
  /** One authenticated call; the parsed JSON answer (null for an empty one). */
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

/** The running instance, or a usage error that says how to start one. */
export function requireInstance(io: Io, command: string): InstanceApi {
  const found = instanceOf(io);
  if (!found.live) {
    const why = found.stale ? `: ${found.stale}` : '';
    throw new UsageError(`${command} needs a running taskhook in this folder${why}; start one with \`npm start\` (in another terminal, in ${io.cwd})`);
  }
  return instanceApi(found.live);
}

export function instanceApi(info: InstanceInfo): InstanceApi {
  const host = new URL(info.apiUrl).host;
  return {
    info,
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      let res: Response;
      try {
        res = await fetch(info.apiUrl + path, {
          method,
          headers: { authorization: `Bearer ${info.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
        throw new UsageError(`could not reach the running taskhook at ${host} (${cause}); is npm start still running in this folder?`);
      }
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        throw new InstanceApiError(res.status, 'NotJson', `the running taskhook at ${host} answered HTTP ${res.status} with a body that is not JSON`);
      }
      if (!res.ok) {
        const e = (parsed as { error?: { code?: string; message?: string } } | null)?.error;
        throw new InstanceApiError(res.status, e?.code ?? `HTTP${res.status}`, e?.message ?? `HTTP ${res.status}`);
      }
      return parsed as T;
    },
  };
}
