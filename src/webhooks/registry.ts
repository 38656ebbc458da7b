/** Webhook endpoints: validated at registration, static ones from TASKHOOK_WEBHOOKS kept in step, secrets shown once. */
import { createHash, randomBytes } from 'node:crypto';
import type { StaticWebhook } from '../config.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { StateStore, WebhookFilter, WebhookRecord } from '../store/port.js';
import { TASK_EVENT_TYPES } from '../tasks/events.js';
import { checkWebhookUrl, type AddressPolicy, type Resolver } from '../net/address-policy.js';
import { DEFAULT_WEBHOOK_EVENTS } from './matching.js';
import { newWebhookSecret } from './signing.js';

/** The previous secret keeps signing this long after a rotation. */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

export interface WebhookInput {
  url?: unknown;
  description?: unknown;
  events?: unknown;
  filter?: unknown;
  enabled?: unknown;
}

/** What the API shows of a webhook: everything but its secrets. */
export function publicWebhook(w: WebhookRecord) {
  const { secrets, ...rest } = w;
  return { ...rest, secretRotation: secrets.previous ? { previousExpiresAt: secrets.previous.expiresAt } : null };
}

export async function checkUrl(url: unknown, policy: AddressPolicy, resolve?: Resolver): Promise<string> {
  if (typeof url !== 'string' || url === '')
    throw new InvalidInputError('InvalidWebhookUrl', '"url" is required, e.g. https://example.com/hooks/taskhook', 'url');
  const verdict = await checkWebhookUrl(url, policy, resolve);
  if (!verdict.ok) throw new InvalidInputError(verdict.code, verdict.message, 'url');
  return verdict.url.toString();
}

export function checkEvents(events: unknown): string[] {
  if (events === undefined) return [...DEFAULT_WEBHOOK_EVENTS];
  const known: readonly string[] = TASK_EVENT_TYPES;
  if (!Array.isArray(events) || events.length === 0 || events.some((e) => typeof e !== 'string' || (e !== '*' && !known.includes(e)))) {
    throw new InvalidInputError('InvalidEvents', `"events" must be a non-empty list of: ${known.join(', ')} (or "*")`, 'events');
  }
  return [...new Set(events as string[])];
}

export function checkFilter(filter: unknown): WebhookFilter {
  if (filter === undefined || filter === null) return {};
  if (typeof filter !== 'object' || Array.isArray(filter))
    throw new InvalidInputError(
      'InvalidFilter',
      '"filter" must be an object like {"regions":["cn-hangzhou"],"actions":["ExportImage"],"taskIds":[]}',
      'filter',
    );
  const out: WebhookFilter = {};
  for (const [name, value] of Object.entries(filter)) {
    if (!['regions', 'actions', 'taskIds'].includes(name))
      throw new InvalidInputError('InvalidFilter', `"filter.${name}" is not a filter; use regions, actions or taskIds`, `filter.${name}`);
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
      throw new InvalidInputError('InvalidFilter', `"filter.${name}" must be a list of strings`, `filter.${name}`);
    out[name as keyof WebhookFilter] = value as string[];
  }
  return out;
}

function checkDescription(description: unknown): string | null {
  if (description === undefined || description === null) return null;
  if (typeof description !== 'string' || description.length > 500)
    throw new InvalidInputError('InvalidDescription', '"description" must be a string of at most 500 characters', 'description');
  return description;
}

export async function createWebhook(
  store: StateStore,
  input: WebhookInput,
  policy: AddressPolicy,
  now: number,
  resolve?: Resolver,
): Promise<{ webhook: WebhookRecord; secret: string }> {
  const at = new Date(now).toISOString();
  const secret = newWebhookSecret();
  const webhook: WebhookRecord = {
    id: 'wh_' + randomBytes(12).toString('hex'),
    url: await checkUrl(input.url, policy, resolve),
    description: checkDescription(input.description),
    events: checkEvents(input.events),
    filter: checkFilter(input.filter),
    enabled: true,
    disabledReason: null,
    secrets: { current: secret },
    source: 'api',
    failingSince: null,
    createdAt: at,
    updatedAt: at,
  };
  await store.putWebhook(webhook);
  return { webhook, secret };
}

export async function requireWebhook(store: StateStore, id: string | undefined): Promise<WebhookRecord> {
  const webhook = id ? await store.getWebhook(id) : null;
  if (!webhook) throw new NotFoundError('WebhookNotFound', `no webhook "${id ?? ''}"; GET /v1/webhooks lists them`);
  return webhook;
}

export async function updateWebhook(
  store: StateStore,
  id: string | undefined,
  patch: WebhookInput,
  policy: AddressPolicy,
  now: number,
  resolve?: Resolver,
): Promise<WebhookRecord> {
  const webhook = await requireWebhook(store, id);
  if (webhook.source === 'config' && (patch.url !== undefined || patch.events !== undefined || patch.filter !== undefined)) {
    throw new ConflictError('WebhookFromConfig', 'this webhook comes from TASKHOOK_WEBHOOKS; change it there (enabled and description may be changed here)');
  }
  if (patch.enabled !== undefined && typeof patch.enabled !== 'boolean')
    throw new InvalidInputError('InvalidEnabled', '"enabled" must be true or false', 'enabled');
  const next: WebhookRecord = {
    ...webhook,
    url: patch.url === undefined ? webhook.url : await checkUrl(patch.url, policy, resolve),
    description: patch.description === undefined ? webhook.description : checkDescription(patch.description),
    events: patch.events === undefined ? webhook.events : checkEvents(patch.events),
    filter: patch.filter === undefined ? webhook.filter : checkFilter(patch.filter),
    updatedAt: new Date(now).toISOString(),
  };
  if (patch.enabled === true) Object.assign(next, { enabled: true, disabledReason: null, failingSince: null });
  if (patch.enabled === false) Object.assign(next, { enabled: false, disabledReason: 'disabled over the API' });
  await store.putWebhook(next);
  return next;
}

export async function rotateSecret(store: StateStore, id: string | undefined, now: number): Promise<{ webhook: WebhookRecord; secret: string }> {
  const webhook = await requireWebhook(store, id);
  if (webhook.source === 'config') throw new ConflictError('WebhookFromConfig', 'this webhook’s secret comes from TASKHOOK_WEBHOOKS; rotate it there');
  const secret = newWebhookSecret();
  webhook.secrets = { current: secret, previous: { secret: webhook.secrets.current, expiresAt: new Date(now + ROTATION_OVERLAP_MS).toISOString() } };
  webhook.updatedAt = new Date(now).toISOString();
  await store.putWebhook(webhook);
  return { webhook, secret };
}

/** Static webhooks get a stable id from their URL, and are added, updated or removed to match the configuration. */
export async function syncStaticWebhooks(store: StateStore, configured: StaticWebhook[], now: number): Promise<void> {
  const at = new Date(now).toISOString();
  const existing = (await store.listWebhooks()).filter((w) => w.source === 'config');
  const wanted = new Map(configured.map((c) => [staticWebhookId(c.url), c]));
  for (const w of existing) if (!wanted.has(w.id)) await store.deleteWebhook(w.id);
  for (const [id, c] of wanted) {
    const current = existing.find((w) => w.id === id);
    const events = c.events?.length ? c.events : [...DEFAULT_WEBHOOK_EVENTS];
    const filter = c.filter ?? {};
    const unchanged =
      current &&
      current.secrets.current === c.secret &&
      JSON.stringify(current.events) === JSON.stringify(events) &&
      JSON.stringify(current.filter) === JSON.stringify(filter);
    if (unchanged) continue;
    await store.putWebhook({
      id,
      url: c.url,
      description: c.description ?? current?.description ?? null,
      events,
      filter,
      enabled: current?.enabled ?? true,
      disabledReason: current?.disabledReason ?? null,
      secrets: { current: c.secret },
      source: 'config',
      failingSince: current?.failingSince ?? null,
      createdAt: current?.createdAt ?? at,
      updatedAt: at,
    });
  }
}

export function staticWebhookId(url: string): string {
  return 'wh_cfg_' + createHash('sha256').update(url).digest('hex').slice(0, 16);
}
