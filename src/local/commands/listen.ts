/**
 * `taskhook listen --forward-to URL`: pulls the event feed (GET /v1/events?after=&wait=) of the running instance or of
 * a deployed API (--api), and forwards each event, in order and signed as a delivery is, to a local URL. It registers
 * no webhook, so a listen that stops or loses its API leaves nothing behind; its cursor and signing secret stay in
 * `.taskhook/listen.json`, so the next listen in this folder goes on where this one stopped, with the same secret.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import type { TaskEvent } from '../../tasks/events.js';
import { newWebhookSecret, signedHeaders } from '../../webhooks/signing.js';
import { EXIT, UsageError, requireOption, type Io } from '../cli-context.js';
import { colorsFor } from '../colors.js';
import { ApiUnreachableError, InstanceApiError, requireApi } from '../instance-api.js';
import { STATE_DIR } from '../instance-file.js';

export interface ListenOptions {
  forwardTo?: string;
  events?: string;
  json?: boolean;
  api?: string;
  printSecret?: boolean;
  from?: string;
}

export const LISTEN_FILE = 'listen.json';
/** The long poll's wait: the API answers at most this late (it caps `wait` at 25 s). */
const WAIT_SECONDS = 25;
const FORWARD_TIMEOUT_MS = 30_000;
/** How long a stopping listen lets a forward in flight finish. */
const STOP_GRACE_MS = 2_000;
/** Backoff of a refused forward or an unreachable API: doubling from 1 s up to 30 s. */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;

/** `.taskhook/listen.json`: the forwarding secret and, per API and filter, where the feed was left. */
interface ListenState {
  secret: string;
  cursors: Record<string, string>;
}

function checkForwardUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--forward-to "${value}" is not a URL (e.g. --forward-to http://localhost:3000/hooks)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--forward-to must be an http:// or https:// URL, not "${value}"`);
  return url;
}

export function listenStatePath(cwd: string): string {
  return join(cwd, STATE_DIR, LISTEN_FILE);
}

/** The folder's listen state; a new secret the first time (written at once, so every later run signs with it). */
function loadState(cwd: string): ListenState {
  const path = listenStatePath(cwd);
  let text: string | null = null;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new UsageError(`${path} cannot be read (${(error as NodeJS.ErrnoException).code}); fix its permissions or delete it`);
  }
  if (text !== null) {
    try {
      const parsed = JSON.parse(text) as Partial<ListenState>;
      if (typeof parsed.secret === 'string' && parsed.secret.startsWith('whsec_'))
        return { secret: parsed.secret, cursors: parsed.cursors && typeof parsed.cursors === 'object' ? parsed.cursors : {} };
    } catch {
      // Reported below, the same as a file of another shape.
    }
    throw new UsageError(`${path} is not a listen state file; delete it (listen then makes a new secret and starts from now)`);
  }
  const state = { secret: newWebhookSecret(), cursors: {} };
  saveState(cwd, state);
  return state;
}

/** Written atomically, the directory 0700 and the file 0600: it holds the signing secret. */
function saveState(cwd: string, state: ListenState): void {
  const dir = join(cwd, STATE_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = listenStatePath(cwd);
  const temporary = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  rmSync(temporary, { force: true });
  writeFileSync(temporary, JSON.stringify(state, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

interface Forwarded {
  status: number | null;
  durationMs: number;
  error: string | null;
}

/** Waits `ms`, or less if the command is stopped meanwhile. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export async function listenCommand(io: Io, options: ListenOptions, untilStopped: () => Promise<unknown>): Promise<number> {
  const forwardTo = checkForwardUrl(requireOption(options.forwardTo, 'forward-to', 'http://localhost:3000/hooks'));
  const events = (options.events ?? '*')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (events.length === 0) throw new UsageError('--events must name at least one event type, or * (e.g. --events ecs.task.succeeded,ecs.task.failed)');
  const from = options.from ?? 'now';
  if (from !== 'now' && from !== 'start') throw new UsageError(`--from must be now or start, not "${from}"`);
  const api = requireApi(io, 'listen', options.api);
  const colors = colorsFor(io);
  const state = loadState(io.cwd);
  // A local instance is known by its store, which outlives the port it listened on; a deployed API by its URL.
  const feedKey = `${api.local ? `local:${api.local.store}` : api.apiUrl}|${events.join(',')}`;
  let cursor = state.cursors[feedKey] ?? from;
  const resumed = feedKey in state.cursors;

  const save = (next: string) => {
    cursor = next;
    state.cursors[feedKey] = next;
    saveState(io.cwd, state);
  };

  const stop = new AbortController();
  // A forward the app is answering when listen stops gets a moment to finish, so its event is not forwarded twice.
  const forwardsEnd = new AbortController();
  let stoppedBy: unknown;
  void untilStopped().then((signal) => {
    stoppedBy = signal;
    stop.abort();
    setTimeout(() => forwardsEnd.abort(), STOP_GRACE_MS).unref();
  });

  const report = (event: TaskEvent, result: Forwarded, attempt: number) => {
    const at = new Date().toISOString();
    if (options.json) {
      io.out(JSON.stringify({ at, eventId: event.id, type: event.type, attempt, status: result.status, durationMs: result.durationMs, error: result.error }));
      return;
    }
    const answer =
      result.status === null
        ? colors.red(`could not reach ${forwardTo.host} (${result.error})`)
        : (result.status < 300 ? colors.green : colors.red)(`${result.status} ${http.STATUS_CODES[result.status] ?? ''}`.trim());
    io.out(`${at.slice(11, 19)}  ${event.type.padEnd(26)} ${event.id}  → ${answer}  ${result.durationMs} ms`);
  };

  const forward = async (event: TaskEvent): Promise<Forwarded> => {
    const body = JSON.stringify(event);
    const started = Date.now();
    try {
      const res = await fetch(forwardTo, {
        method: 'POST',
        headers: signedHeaders(event.id, body, { current: state.secret }, Date.now()),
        body,
        redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(FORWARD_TIMEOUT_MS), forwardsEnd.signal]),
      });
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status, durationMs: Date.now() - started, error: res.ok ? null : `HTTP ${res.status}` };
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      return { status: null, durationMs: Date.now() - started, error: code };
    }
  };

  /** Forwards until the app accepts (2xx) or listen stops: false when it stopped first. */
  const deliver = async (event: TaskEvent): Promise<boolean> => {
    for (let attempt = 1, backoff = FIRST_BACKOFF_MS; ; attempt++, backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
      const result = await forward(event);
      if (stop.signal.aborted && result.status === null) return false;
      report(event, result, attempt);
      if (result.status !== null && result.status >= 200 && result.status < 300) return true;
      if (stop.signal.aborted) return false;
      if (!options.json) io.err(`taskhook: ${forwardTo.host} did not accept ${event.id}; trying it again in ${backoff / 1000} s (events after it wait)`);
      await pause(backoff, stop.signal);
      if (stop.signal.aborted) return false;
    }
  };

  const where = api.local ? `the running taskhook (${api.apiUrl})` : `the taskhook API at ${api.apiUrl}`;
  // `now` is pinned to a feed position before listen says it is ready: an event committed after that line is forwarded.
  if (cursor === 'now') save((await api.call<{ cursor: string }>('GET', `/v1/events?after=now&limit=1`, undefined, { signal: stop.signal })).cursor);
  if (options.json)
    io.out(
      JSON.stringify({
        ready: true,
        api: api.apiUrl,
        events,
        forwardTo: forwardTo.href,
        resumed,
        stateFile: listenStatePath(io.cwd),
        ...(options.printSecret ? { secret: state.secret } : {}),
      }),
    );
  else {
    io.out(`forwarding ${events.join(', ')} from ${where} to ${forwardTo.href}`);
    io.out(
      resumed
        ? 'resuming where the last listen in this folder stopped; no webhook is registered (listen pulls the event feed)'
        : `starting from ${from === 'now' ? 'now' : 'the oldest event kept'}; no webhook is registered (listen pulls the event feed)`,
    );
    if (options.printSecret) {
      io.out(`signing secret (the same for every listen in this folder; verify with it in your receiver):`);
      io.out(`  ${state.secret}`);
    } else io.out(`signing secret: in ${join(STATE_DIR, LISTEN_FILE)} (print it with --print-secret)`);
  }

  const query = (after: string) => `/v1/events?after=${encodeURIComponent(after)}&wait=${WAIT_SECONDS}&limit=1&events=${encodeURIComponent(events.join(','))}`;
  let lost = false;
  for (let backoff = FIRST_BACKOFF_MS; !stop.signal.aborted;) {
    let page: { events: TaskEvent[]; cursor: string };
    try {
      page = await api.call(`GET`, query(cursor), undefined, { timeoutMs: (WAIT_SECONDS + 15) * 1000, signal: stop.signal });
    } catch (error) {
      if (stop.signal.aborted) break;
      const transient = error instanceof ApiUnreachableError || (error instanceof InstanceApiError && (error.status >= 500 || error.status === 429));
      if (!transient) {
        if (error instanceof InstanceApiError && error.code === 'InvalidCursor')
          throw new UsageError(
            `${where} does not know the position saved in ${join(STATE_DIR, LISTEN_FILE)} (InvalidCursor); delete the file to start from now`,
          );
        throw error;
      }
      // Lost the API (stopped, redeployed, network): nothing to clean up, so wait and go on from the same cursor.
      lost = true;
      io.err(`taskhook: ${error.message}; trying again in ${backoff / 1000} s (Ctrl-C stops)`);
      await pause(backoff, stop.signal);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      continue;
    }
    if (lost && !options.json) io.err(`taskhook: reached ${where} again`);
    lost = false;
    backoff = FIRST_BACKOFF_MS;
    let delivered = true;
    for (const event of page.events) {
      delivered = await deliver(event);
      if (!delivered) break;
    }
    // The cursor moves past an event only once the app took it: a restart forwards it again.
    if (!delivered) break;
    if (page.cursor !== cursor) save(page.cursor);
  }

  if (!options.json)
    io.out(`stopped${typeof stoppedBy === 'string' ? ` (${stoppedBy})` : ''}; the next listen in this folder goes on from here with the same secret`);
  return EXIT.ok;
}
