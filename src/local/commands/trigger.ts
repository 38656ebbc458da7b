/**
 * `taskhook trigger <event-type>`: one realistic, signed event of that type, to `--url` (signed with `--secret`) or to
 * every matching webhook of the running instance (signed with each webhook's own secrets, sent by the real delivery path).
 */
import { Webhook } from 'standardwebhooks';
import { REGION_ID, loadConfig } from '../../config.js';
import { buildDeps, closeDeps } from '../../runtime.js';
import { TASK_EVENT_TYPES, type TaskEvent } from '../../tasks/events.js';
import { attemptSend } from '../../webhooks/delivery.js';
import { webhooksFor } from '../../webhooks/matching.js';
import { signedHeaders } from '../../webhooks/signing.js';
import { EXIT, UsageError, type Io } from '../cli-context.js';
import { colorsFor, type Colors } from '../colors.js';
import { exampleEvent, isTaskEventType } from '../example-events.js';
import { requireInstance } from '../instance-api.js';

export interface TriggerOptions {
  url?: string;
  secret?: string;
  region?: string;
  json?: boolean;
}

const SEND_TIMEOUT_MS = 30_000;

interface Sent {
  eventId: string;
  type: string;
  to: string;
  webhookId: string | null;
  status: number | null;
  durationMs: number;
  error: string | null;
}

function line(sent: Sent, colors: Colors): string {
  const ok = sent.status !== null && sent.status >= 200 && sent.status < 300;
  const answer = sent.status === null ? sent.error : `HTTP ${sent.status}`;
  const target = sent.webhookId ? `${sent.webhookId} (${sent.to})` : sent.to;
  return `sent ${sent.type} ${sent.eventId} to ${target} → ${(ok ? colors.green : colors.red)(answer ?? '')} in ${sent.durationMs} ms`;
}

async function toUrl(url: string, secret: string, event: TaskEvent, body: string): Promise<Sent> {
  const started = Date.now();
  const base = { eventId: event.id, type: event.type, to: url, webhookId: null };
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: signedHeaders(event.id, body, { current: secret }, Date.now()),
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    return { ...base, status: res.status, durationMs: Date.now() - started, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    return { ...base, status: null, durationMs: Date.now() - started, error: `could not reach ${new URL(url).host} (${code})` };
  }
}

/** Through the running instance's store: its webhooks (static ones included) that want this event, each signed with its own secrets. */
async function toInstance(io: Io, event: TaskEvent, body: string): Promise<Sent[]> {
  const { info } = requireInstance(io, 'trigger without --url');
  if (info.store === 'memory')
    throw new UsageError(
      'the running taskhook keeps its state in memory, so its webhooks cannot be read from here; use --url and --secret, or TASKHOOK_STORE=sqlite:…',
    );
  const config = loadConfig(
    {
      ...io.env,
      TASKHOOK_STORE: info.store,
      TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: info.allowPrivateWebhooks.join(','),
      TASKHOOK_LOG_LEVEL: io.env.TASKHOOK_LOG_LEVEL ?? 'warn',
    },
    'local',
  );
  const deps = await buildDeps(config, () => config.credentials);
  try {
    const targets = webhooksFor(event, await deps.store.listWebhooks());
    if (targets.length === 0)
      throw new UsageError(
        `no enabled webhook of the running taskhook subscribes to ${event.type}; run \`taskhook listen --forward-to …\` or \`taskhook webhooks add --url … --events ${event.type}\` first, or use --url`,
      );
    return await Promise.all(
      targets.map(async (webhook) => {
        const { attempt } = await attemptSend({ client: deps.webhookClient, now: deps.now }, webhook, event.id, body, SEND_TIMEOUT_MS);
        return {
          eventId: event.id,
          type: event.type,
          to: new URL(webhook.url).host,
          webhookId: webhook.id,
          status: attempt.status,
          durationMs: attempt.durationMs,
          error: attempt.error,
        };
      }),
    );
  } finally {
    await closeDeps(deps);
  }
}

export async function triggerCommand(io: Io, type: string, options: TriggerOptions): Promise<number> {
  if (options.region !== undefined && !REGION_ID.test(options.region)) throw new UsageError(`"${options.region}" is not a region id (e.g. cn-hangzhou)`);
  if (!isTaskEventType(type)) throw new UsageError(`"${type}" is not an event type taskhook sends; use one of: ${TASK_EVENT_TYPES.join(', ')}`);
  if (options.url && !options.secret) throw new UsageError('--url needs --secret whsec_… (the secret the receiver verifies with)');
  if (options.secret && !options.url) throw new UsageError('--secret goes with --url; without --url each webhook is signed with its own secret');
  if (options.secret) {
    try {
      new Webhook(options.secret);
    } catch {
      throw new UsageError('--secret is not a webhook secret: give a whsec_… secret');
    }
  }
  const event = exampleEvent(type, { regionId: options.region });
  const body = JSON.stringify(event);
  const sent = options.url ? [await toUrl(options.url, options.secret!, event, body)] : await toInstance(io, event, body);
  const colors = colorsFor(io);
  for (const s of sent) io.out(options.json ? JSON.stringify(s) : line(s, colors));
  return sent.every((s) => s.status !== null && s.status >= 200 && s.status < 300) ? EXIT.ok : EXIT.failed;
}
