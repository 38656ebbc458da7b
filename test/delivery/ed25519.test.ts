/**
 * Standard Webhooks asymmetric signing (v1a, Ed25519): created over the API, the public key served by the API, a
 * real delivery verified with node:crypto from the public key alone (the receiver holds no shared secret).
 */
import { createPublicKey, verify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { webhookRoutes } from '../../src/http/routes/webhooks.js';
import { createLogger } from '../../src/log.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore } from '../../src/store/port.js';
import { eventsForTransition } from '../../src/tasks/events.js';
import { deliverDue } from '../../src/webhooks/delivery.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhooks/http-client.js';
import { deliveriesFor } from '../../src/webhooks/matching.js';
import { ROTATION_OVERLAP_MS } from '../../src/webhooks/secrets.js';
import { snapshot } from '../store/contract.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const POLICY = { allowPrivate: ['127.0.0.1/32'] };
let store: StateStore;
let client: WebhookClient;
let servers: http.Server[] = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  store = createMemoryStore();
  client = createWebhookClient({ policy: POLICY });
});

afterEach(async () => {
  vi.useRealTimers();
  await client.close();
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  servers = [];
});

/** The verification a receiver does with nothing but `whpk_…` keys, as the README shows it. */
function verifyV1a(publicKeys: string[], headers: Record<string, string>, body: string): string | null {
  const content = Buffer.from(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`);
  const signatures = headers['webhook-signature'].split(' ').flatMap((entry) => (entry.startsWith('v1a,') ? [Buffer.from(entry.slice(4), 'base64')] : []));
  for (const publicKey of publicKeys) {
    const raw = Buffer.from(publicKey.replace(/^whpk_/, ''), 'base64');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    if (signatures.some((signature) => verify(null, content, key, signature))) return publicKey;
  }
  return null;
}

interface Got {
  headers: Record<string, string>;
  body: string;
}

async function rawReceiver(): Promise<{ url: string; received: Got[] }> {
  const received: Got[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

const route = (method: string, path: string) => webhookRoutes.find((r) => r.method === method && r.path === path)!;
const deps = () => ({ store, webhookPolicy: POLICY, webhookClient: client, now: Date.now });
async function call(method: string, path: string, pathParameters: Record<string, string>, body?: unknown) {
  const res = await route(method, path).handler({
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    pathParameters,
    deps: deps(),
  } as never);
  return { status: res.statusCode, body: JSON.parse(res.body || 'null') };
}

async function emitTo(webhookId: string) {
  const key = { regionId: 'cn-hangzhou', taskId: `t-ed25519${String(Date.now() % 100_000).padStart(6, '0')}` };
  const record = await store.watchTask(key, 'api', new Date().toISOString());
  const next = snapshot(key, 'Finished', { observedAt: new Date().toISOString(), finishedAt: new Date().toISOString() });
  const events = eventsForTransition({ previous: record.snapshot, next, sequence: record.sequence });
  const webhook = (await store.getWebhook(webhookId))!;
  const now = new Date().toISOString();
  await store.commitTransition({
    key,
    expectedVersion: record.version,
    snapshot: next,
    sequence: events.length,
    active: false,
    events,
    deliveries: events.flatMap((e) => deliveriesFor(e, [webhook], now)),
  });
}

const run = () =>
  deliverDue(
    { store, client, logger: createLogger('error'), now: Date.now, random: () => 0.5, sleep: async () => undefined },
    { deadlineMs: Date.now() + 3_000 },
  );

describe('Ed25519 signing', () => {
  it('POST /v1/webhooks {"signing":"ed25519"} → a public key; a real delivery verifies with it alone', async () => {
    const receiver = await rawReceiver();
    const created = await call('POST', '/v1/webhooks', {}, { url: receiver.url, signing: 'ed25519' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ algorithm: 'ed25519', publicKey: expect.stringMatching(/^whpk_[A-Za-z0-9+/]{43}=$/) });
    expect(created.body.secret).toBeUndefined();
    expect(JSON.stringify(created.body)).not.toMatch(/whsk_|whsec_/);
    expect(created.body.webhook.signing).toBe('ed25519');
    const id = created.body.webhook.id as string;

    const served = await call('GET', '/v1/webhooks/{webhookId}/public-key', { webhookId: id });
    expect(served).toEqual({ status: 200, body: { publicKey: created.body.publicKey, algorithm: 'ed25519', previous: [] } });

    await emitTo(id);
    expect((await run()).succeeded).toBeGreaterThan(0);
    const got = receiver.received[0];
    expect(got.headers['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    expect(verifyV1a([served.body.publicKey], got.headers, got.body)).toBe(served.body.publicKey);
    // A changed body or id does not verify.
    expect(verifyV1a([served.body.publicKey], got.headers, got.body + ' ')).toBeNull();
    expect(verifyV1a([served.body.publicKey], { ...got.headers, 'webhook-id': 'evt_other' }, got.body)).toBeNull();
  });

  it('rotation: a new key pair, the old key keeps signing (one v1a entry each) for 24 h', async () => {
    const receiver = await rawReceiver();
    const created = await call('POST', '/v1/webhooks', {}, { url: receiver.url, signing: 'ed25519' });
    const id = created.body.webhook.id as string;
    const rotated = await call('POST', '/v1/webhooks/{webhookId}/rotate-secret', { webhookId: id });
    expect(rotated.body).toMatchObject({ algorithm: 'ed25519', publicKey: expect.stringMatching(/^whpk_/), previousKeyExpiresAt: expect.any(String) });
    expect(JSON.stringify(rotated.body)).not.toMatch(/whsk_|whsec_/);
    const served = await call('GET', '/v1/webhooks/{webhookId}/public-key', { webhookId: id });
    expect(served.body.previous).toEqual([{ publicKey: created.body.publicKey, expiresAt: rotated.body.previousKeyExpiresAt }]);

    await emitTo(id);
    await run();
    const first = receiver.received[0];
    expect(first.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifyV1a([created.body.publicKey], first.headers, first.body)).toBe(created.body.publicKey);
    expect(verifyV1a([rotated.body.publicKey], first.headers, first.body)).toBe(rotated.body.publicKey);

    vi.setSystemTime(T0 + ROTATION_OVERLAP_MS + 1);
    await emitTo(id);
    await run();
    const later = receiver.received.at(-1)!;
    expect(later.headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(verifyV1a([created.body.publicKey], later.headers, later.body)).toBeNull();
    expect(verifyV1a([rotated.body.publicKey], later.headers, later.body)).toBe(rotated.body.publicKey);
  });

  it('keeps the secret key out of every API answer, and refuses a public key for an HMAC webhook', async () => {
    const receiver = await rawReceiver();
    const hmac = await call('POST', '/v1/webhooks', {}, { url: receiver.url });
    expect(hmac.body).toMatchObject({ secret: expect.stringMatching(/^whsec_/) });
    expect(hmac.body.webhook.signing).toBe('hmac');
    await expect(call('GET', '/v1/webhooks/{webhookId}/public-key', { webhookId: hmac.body.webhook.id })).rejects.toMatchObject({
      code: 'WebhookNotAsymmetric',
    });
    await expect(call('POST', '/v1/webhooks', {}, { url: receiver.url, signing: 'rsa' })).rejects.toMatchObject({ code: 'InvalidSigning' });

    const ed = await call('POST', '/v1/webhooks', {}, { url: receiver.url, signing: 'ed25519' });
    const answers = [
      await call('GET', '/v1/webhooks/{webhookId}', { webhookId: ed.body.webhook.id }),
      await call('GET', '/v1/webhooks', {}),
      await call('PATCH', '/v1/webhooks/{webhookId}', { webhookId: ed.body.webhook.id }, { description: 'ed' }),
    ];
    for (const answer of answers) expect(JSON.stringify(answer.body)).not.toMatch(/whsk_|whsec_/);
  });
});
