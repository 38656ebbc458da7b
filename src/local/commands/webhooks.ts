/**
 * `taskhook webhooks add|list|test|rotate|remove`: through the running instance's API when `npm start` runs in this
 * folder, otherwise in the configured store directly. Either way the same registry rules apply.
 */
import { sendTestPing } from '../../webhooks/replay.js';
import { createWebhook, publicWebhook, requireWebhook, rotateSecret } from '../../webhooks/registry.js';
import { EXIT, UsageError, instanceOf, requireOption, withDeps, type Io } from '../cli-context.js';
import { colorsFor } from '../colors.js';
import { instanceApi, namedApi } from '../instance-api.js';
import { table } from '../table.js';

type PublicWebhook = ReturnType<typeof publicWebhook>;

interface TestAttempt {
  success: boolean;
  status: number | null;
  durationMs: number;
  error: string | null;
}

interface Rotation {
  webhookId: string;
  secret: string | null;
  publicKey: string | null;
  previousExpiresAt: string | null;
}

/** What the commands need, from the instance's API or from the store. */
interface Registry {
  where: string;
  add(input: { url: string; events?: string[]; description?: string }): Promise<{ webhook: PublicWebhook; secret: string }>;
  list(): Promise<PublicWebhook[]>;
  test(id: string): Promise<TestAttempt>;
  rotate(id: string): Promise<Rotation>;
  remove(id: string): Promise<void>;
}

/** `api`: the --api option; a deployed API it (or TASKHOOK_API_URL) names comes before this folder's instance and store. */
async function withRegistry<T>(io: Io, work: (registry: Registry) => Promise<T>, apiOption?: string): Promise<T> {
  const live = instanceOf(io).live;
  const api = namedApi(io, 'webhooks', apiOption) ?? (live ? instanceApi(live) : null);
  if (api) {
    const path = (id: string) => `/v1/webhooks/${encodeURIComponent(id)}`;
    return work({
      where: api.local ? `the running taskhook (${api.apiUrl})` : `the taskhook API at ${api.apiUrl}`,
      add: (input) => api.call('POST', '/v1/webhooks', input),
      list: async () => (await api.call<{ webhooks: PublicWebhook[] }>('GET', '/v1/webhooks')).webhooks,
      test: (id) => api.call('POST', `${path(id)}/test`),
      rotate: async (id) => {
        const r = await api.call<{ secret?: string; publicKey?: string; previousSecretExpiresAt?: string; previousKeyExpiresAt?: string }>(
          'POST',
          `${path(id)}/rotate-secret`,
        );
        return {
          webhookId: id,
          secret: r.secret ?? null,
          publicKey: r.publicKey ?? null,
          previousExpiresAt: r.previousSecretExpiresAt ?? r.previousKeyExpiresAt ?? null,
        };
      },
      remove: async (id) => {
        await api.call('DELETE', path(id));
      },
    });
  }
  return withDeps(io, (deps) =>
    work({
      where: `the store ${deps.config.store.kind === 'sqlite' ? deps.config.store.path : deps.config.store.kind}`,
      add: async (input) => {
        const { webhook, secret } = await createWebhook(deps.store, input, deps.webhookPolicy, deps.now());
        return { webhook: publicWebhook(webhook), secret };
      },
      list: async () => (await deps.store.listWebhooks()).map(publicWebhook),
      test: async (id) => sendTestPing(deps.webhookClient, await requireWebhook(deps.store, id), deps.now),
      rotate: async (id) => {
        const { webhook, secret, publicKey, previousExpiresAt } = await rotateSecret(deps.store, id, deps.now());
        return { webhookId: webhook.id, secret: publicKey ? null : secret, publicKey, previousExpiresAt };
      },
      remove: async (id) => {
        const webhook = await requireWebhook(deps.store, id);
        if (webhook.source === 'config') throw new UsageError(`${id} comes from TASKHOOK_WEBHOOKS; remove it there`);
        await deps.store.deleteWebhook(id);
      },
    }),
  );
}

export interface AddOptions {
  api?: string;
  url?: string;
  events?: string;
  description?: string;
  json?: boolean;
}

export function addCommand(io: Io, options: AddOptions): Promise<number> {
  const url = requireOption(options.url, 'url', 'https://example.com/hooks/taskhook');
  const events = options.events
    ?.split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  return withRegistry(
    io,
    async (registry) => {
      const { webhook, secret } = await registry.add({ url, events, ...(options.description ? { description: options.description } : {}) });
      if (options.json) io.out(JSON.stringify({ webhook, secret }, null, 2));
      else {
        io.out(`added ${webhook.id} → ${webhook.url} (${webhook.events.join(', ')}) in ${registry.where}`);
        io.out(`secret (shown once; give it to the receiver): ${secret}`);
      }
      return EXIT.ok;
    },
    options.api,
  );
}

export function listCommand(io: Io, options: { json?: boolean; api?: string }): Promise<number> {
  return withRegistry(
    io,
    async (registry) => {
      const list = await registry.list();
      if (options.json) io.out(JSON.stringify(list, null, 2));
      else if (list.length === 0) io.out('no webhooks; add one with: taskhook webhooks add --url https://…');
      else {
        const colors = colorsFor(io);
        // Event types without their common prefix: `succeeded,failed` reads as ecs.task.succeeded, ecs.task.failed.
        const events = (w: PublicWebhook) => w.events.map((e) => e.replace(/^ecs\.task\./, '')).join(',');
        const rows = list.map((w) => [w.id, w.enabled ? 'enabled' : 'DISABLED', w.source, w.url, events(w), w.disabledReason ?? w.description ?? '']);
        const lines = table(['ID', 'STATE', 'SOURCE', 'URL', 'EVENTS (ecs.task.*)', 'NOTE'], rows);
        io.out(colors.bold(lines[0]));
        for (const line of lines.slice(1)) io.out(line);
      }
      return EXIT.ok;
    },
    options.api,
  );
}

export function testCommand(io: Io, id: string, options: { json?: boolean; api?: string }): Promise<number> {
  return withRegistry(
    io,
    async (registry) => {
      const attempt = await registry.test(id);
      if (options.json) io.out(JSON.stringify(attempt, null, 2));
      else io.out(attempt.success ? `ok: HTTP ${attempt.status} in ${attempt.durationMs} ms` : `failed: ${attempt.error}`);
      return attempt.success ? EXIT.ok : EXIT.failed;
    },
    options.api,
  );
}

export function rotateCommand(io: Io, id: string, options: { json?: boolean; api?: string }): Promise<number> {
  return withRegistry(
    io,
    async (registry) => {
      const rotation = await registry.rotate(id);
      if (options.json) io.out(JSON.stringify(rotation, null, 2));
      else {
        io.out(rotation.publicKey ? `new public key for ${id}: ${rotation.publicKey}` : `new secret for ${id} (shown once): ${rotation.secret}`);
        io.out(`the previous ${rotation.publicKey ? 'key' : 'secret'} keeps signing until ${rotation.previousExpiresAt}`);
      }
      return EXIT.ok;
    },
    options.api,
  );
}

export function removeCommand(io: Io, id: string, options: { json?: boolean; api?: string }): Promise<number> {
  return withRegistry(
    io,
    async (registry) => {
      await registry.remove(id);
      io.out(options.json ? JSON.stringify({ removed: id }) : `removed ${id}`);
      return EXIT.ok;
    },
    options.api,
  );
}
