/** Webhook endpoints: validated at registration, static ones from TASKHOOK_WEBHOOKS kept in step, secrets shown once. */
import { createHash, randomBytes } from 'node:crypto';
import type { StaticWebhook } from '../config.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StateStore, WebhookFilter, WebhookRecord } from '../store/port.js';
import { SUBSCRIBABLE_EVENT_TYPES } from '../tasks/events.js';
import { checkWebhookUrl, type AddressPolicy, type Resolver } from '../net/address-policy.js';
import { DEFAULT_WEBHOOK_EVENTS } from './matching.js';
import {
  ROTATION_OVERLAP_MS,
  SIGNING_ALGORITHMS,
  lastPreviousExpiry,
  newSecret,
  publicKeyOf,
  rotatedSecrets,
  signingAlgorithm,
  unexpiredPrevious,
  type SigningAlgorithm,
} from './secrets.js';

export { ROTATION_OVERLAP_MS };

export interface WebhookInput {
  url?: unknown;
  description?: unknown;
  events?: unknown;
  filter?: unknown;
  enabled?: unknown;
  /** Creation only: "hmac" (default) or "ed25519". */
  signing?: unknown;
}

/**
 * What the receiver is given: the `whsec_` secret for HMAC, the `whpk_` public key for Ed25519 (never the `whsk_`
 * secret key, which only signs). `publicKey` is null for HMAC.
 */
export interface ReceiverKey {
  signing: SigningAlgorithm;
  secret: string;
  publicKey: string | null;
}

export function receiverKey(current: string): ReceiverKey {
  const signing = signingAlgorithm(current);
  const publicKey = signing === 'ed25519' ? publicKeyOf(current) : null;
  return { signing, secret: publicKey ?? current, publicKey };
}

/** What the API shows of a webhook: everything but its secrets. */
export function publicWebhook(w: WebhookRecord) {
  const { secrets, ...rest } = w;
  const now = Date.now(); // one argument only: callers pass this function to Array.map
  const previousExpiresAt = lastPreviousExpiry(secrets, now);
  return {
    ...rest,
    signing: signingAlgorithm(secrets.current),
    secretRotation: previousExpiresAt ? { previousExpiresAt, previousSecrets: unexpiredPrevious(secrets, now).length } : null,
  };
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
  const known: readonly string[] = SUBSCRIBABLE_EVENT_TYPES;
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

function checkSigning(signing: unknown): SigningAlgorithm {
  if (signing === undefined) return 'hmac';
  if (!SIGNING_ALGORITHMS.includes(signing as SigningAlgorithm))
    throw new InvalidInputError('InvalidSigning', `"signing" must be one of ${SIGNING_ALGORITHMS.join(', ')}`, 'signing');
  return signing as SigningAlgorithm;
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
): Promise<{ webhook: WebhookRecord } & ReceiverKey> {
  const at = new Date(now).toISOString();
  const secret = newSecret(checkSigning(input.signing));
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
  return { webhook, ...receiverKey(secret) };
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
  const url = patch.url === undefined ? undefined : await checkUrl(patch.url, policy, resolve);
  // Applied to the record as stored at write time, so a concurrent health update (failingSince) is not lost.
  const updated = await store.updateWebhook(webhook.id, (current) => {
    const next: WebhookRecord = {
      ...current,
      url: url ?? current.url,
      description: patch.description === undefined ? current.description : checkDescription(patch.description),
      events: patch.events === undefined ? current.events : checkEvents(patch.events),
      filter: patch.filter === undefined ? current.filter : checkFilter(patch.filter),
      updatedAt: new Date(now).toISOString(),
    };
    if (patch.enabled === true) Object.assign(next, { enabled: true, disabledReason: null, failingSince: null });
    if (patch.enabled === false) Object.assign(next, { enabled: false, disabledReason: 'disabled over the API' });
    return next;
  });
  if (!updated) throw new NotFoundError('WebhookNotFound', `no webhook "${id ?? ''}"; GET /v1/webhooks lists them`);
  return updated;
}

/** A new current secret of the same algorithm; every previous one keeps signing until its own expiry. */
export async function rotateSecret(
  store: StateStore,
  id: string | undefined,
  now: number,
): Promise<{ webhook: WebhookRecord; previousExpiresAt: string } & ReceiverKey> {
  const webhook = await requireWebhook(store, id);
  if (webhook.source === 'config') throw new ConflictError('WebhookFromConfig', 'this webhook’s secret comes from TASKHOOK_WEBHOOKS; rotate it there');
  const secret = newSecret(signingAlgorithm(webhook.secrets.current));
  const rotated = await store.updateWebhook(webhook.id, (current) => {
    current.secrets = rotatedSecrets(current.secrets, secret, now);
    current.updatedAt = new Date(now).toISOString();
    return current;
  });
  if (!rotated) throw new NotFoundError('WebhookNotFound', `no webhook "${id ?? ''}"; GET /v1/webhooks lists them`);
  return { webhook: rotated, previousExpiresAt: new Date(now + ROTATION_OVERLAP_MS).toISOString(), ...receiverKey(secret) };
}

/** The registration check for TASKHOOK_WEBHOOKS entries: the API's address policy, resolver and a logger for skips. */
export interface StaticWebhookCheck {
  policy: AddressPolicy;
  resolve?: Resolver;
  logger?: Logger;
}

/**
 * Static webhooks get a stable id from their URL, and are added, updated or removed to match the configuration.
 * With `check`, each entry first passes the same check as a registration (DNS included): one that does not is
 * logged and skipped, neither stored nor updated (a record stored before stays, the client checks every send), and
 * the run goes on.
 */
export async function syncStaticWebhooks(store: StateStore, configured: StaticWebhook[], now: number, check?: StaticWebhookCheck): Promise<void> {
  const at = new Date(now).toISOString();
  const existing = (await store.listWebhooks()).filter((w) => w.source === 'config');
  const wanted = new Map(configured.map((c) => [staticWebhookId(c.url), c]));
  for (const w of existing) if (!wanted.has(w.id)) await store.deleteWebhook(w.id);
  const refused = check ? await refusedStaticWebhooks(configured, check) : new Set<string>();
  for (const [id, c] of wanted) {
    if (refused.has(id)) continue;
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

/** The ids of the entries that fail the registration check, each logged as one warn line (index, host, why; never the secret). */
async function refusedStaticWebhooks(configured: StaticWebhook[], check: StaticWebhookCheck): Promise<Set<string>> {
  const refused = new Set<string>();
  for (const [index, c] of configured.entries()) {
    const verdict = await checkWebhookUrl(c.url, check.policy, check.resolve).catch(() => null);
    if (verdict?.ok) continue;
    refused.add(staticWebhookId(c.url));
    check.logger?.warn('static webhook skipped', {
      variable: 'TASKHOOK_WEBHOOKS',
      entry: index,
      host: hostOf(c.url),
      code: verdict?.code ?? 'InvalidWebhookUrl.Unresolvable',
      reason: verdict?.message ?? 'the address check failed',
    });
  }
  return refused;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(not a URL)';
  }
}

export function staticWebhookId(url: string): string {
  return 'wh_cfg_' + createHash('sha256').update(url).digest('hex').slice(0, 16);
}
