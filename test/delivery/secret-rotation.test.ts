/** Rotation keeps every previous secret for its own 24 h: real deliveries, verified by `standardwebhooks` receivers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { webhookRecord } from '../../src/fakes/records.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { StateStore, WebhookRecord, WebhookSecrets } from '../../src/store/port.js';
import { attemptSend } from '../../src/webhooks/delivery.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhooks/http-client.js';
import { publicWebhook, rotateSecret } from '../../src/webhooks/registry.js';
import { ROTATION_OVERLAP_MS, liveSecrets, previousSecrets, rotatedSecrets } from '../../src/webhooks/secrets.js';
import { newWebhookSecret, signedHeaders } from '../../src/webhooks/signing.js';
import { startReceiver, type Receiver } from '../support/receiver.js';

const T0 = Date.parse('2026-11-27T02:00:00Z');
const HOUR = 3_600_000;
let store: StateStore;
let client: WebhookClient;
const receivers: Receiver[] = [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
  store = createMemoryStore();
  client = createWebhookClient({ policy: { allowPrivate: ['127.0.0.1/32'] } });
});

afterEach(async () => {
  vi.useRealTimers();
  await client.close();
  for (const r of receivers.splice(0)) await r.close();
});

/** One real signed POST of a small event to a receiver holding only `secret`; which secret verified it. */
async function deliverTo(webhook: WebhookRecord, secret: string): Promise<{ verifiedWith: string | null; signatures: number }> {
  const r = await startReceiver([secret]);
  receivers.push(r);
  const body = JSON.stringify({ specversion: '1.0', id: 'evt_rotation', type: 'ecs.task.succeeded' });
  const { attempt } = await attemptSend({ client, now: Date.now }, { ...webhook, url: r.url }, 'evt_rotation', body, 5_000);
  expect(attempt.success).toBe(true);
  return { verifiedWith: r.received[0].verifiedWith, signatures: r.received[0].headers['webhook-signature'].split(' ').length };
}

describe('secret rotation', () => {
  it('three rotations within a day: a receiver holding any of the four secrets verifies; after 24 h only the current one', async () => {
    const original = newWebhookSecret();
    await store.putWebhook(webhookRecord('wh_rotate', { secrets: { current: original } }));
    const secrets = [original];
    for (const hours of [2, 3, 4]) {
      vi.setSystemTime(Date.now() + hours * HOUR);
      secrets.push((await rotateSecret(store, 'wh_rotate', Date.now())).secret);
    }
    const rotated = (await store.getWebhook('wh_rotate'))!;
    expect(previousSecrets(rotated.secrets)).toHaveLength(3);
    for (const secret of secrets) expect(await deliverTo(rotated, secret)).toEqual({ verifiedWith: secret, signatures: 4 });

    // The last rotation was at T0+9 h: every previous secret has lived its 24 h at T0+33 h.
    vi.setSystemTime(T0 + 9 * HOUR + ROTATION_OVERLAP_MS + 1);
    const current = secrets[3];
    expect(await deliverTo(rotated, current)).toEqual({ verifiedWith: current, signatures: 1 });
    for (const secret of secrets.slice(0, 3)) expect((await deliverTo(rotated, secret)).verifiedWith).toBeNull();
  });

  it('each previous secret expires on its own: 24 h after the rotation that replaced it', async () => {
    const original = newWebhookSecret();
    await store.putWebhook(webhookRecord('wh_stagger', { secrets: { current: original } }));
    const second = (await rotateSecret(store, 'wh_stagger', T0)).secret;
    const third = (await rotateSecret(store, 'wh_stagger', T0 + 20 * HOUR)).secret;
    const { secrets } = (await store.getWebhook('wh_stagger'))!;
    expect(liveSecrets(secrets, T0 + 23 * HOUR)).toEqual([third, original, second]);
    expect(liveSecrets(secrets, T0 + ROTATION_OVERLAP_MS + 1)).toEqual([third, second]);
    expect(liveSecrets(secrets, T0 + 20 * HOUR + ROTATION_OVERLAP_MS + 1)).toEqual([third]);
  });

  it('prunes expired secrets on every rotation, so the list never grows past a day of rotations', async () => {
    let secrets: WebhookSecrets = { current: newWebhookSecret() };
    for (let day = 0; day < 10; day++) secrets = rotatedSecrets(secrets, newWebhookSecret(), T0 + day * (ROTATION_OVERLAP_MS + 1));
    expect(previousSecrets(secrets)).toHaveLength(1);
  });

  it('reads the old single-object `previous` of existing records, and rotates them into the list shape', async () => {
    const [old, current] = [newWebhookSecret(), newWebhookSecret()];
    const legacy = { current, previous: { secret: old, expiresAt: new Date(T0 + HOUR).toISOString() } };
    expect(liveSecrets(legacy, T0)).toEqual([current, old]);
    expect(liveSecrets(legacy, T0 + HOUR)).toEqual([current]);
    expect(signedHeaders('evt_1', '{}', legacy, T0)['webhook-signature'].split(' ')).toHaveLength(2);
    await store.putWebhook(webhookRecord('wh_legacy', { secrets: legacy }));
    expect(publicWebhook((await store.getWebhook('wh_legacy'))!).secretRotation).toEqual({ previousExpiresAt: legacy.previous.expiresAt, previousSecrets: 1 });
    const next = (await rotateSecret(store, 'wh_legacy', T0)).secret;
    const { secrets } = (await store.getWebhook('wh_legacy'))!;
    expect(Array.isArray(secrets.previous)).toBe(true);
    expect(liveSecrets(secrets, T0)).toEqual([next, old, current]);
  });

  it('never shows a secret in the webhook the API lists', async () => {
    await store.putWebhook(webhookRecord('wh_public', { secrets: { current: newWebhookSecret() } }));
    await rotateSecret(store, 'wh_public', T0);
    const shown = JSON.stringify(publicWebhook((await store.getWebhook('wh_public'))!));
    expect(shown).not.toMatch(/whsec_/);
    expect(JSON.parse(shown)).toMatchObject({ signing: 'hmac', secretRotation: { previousSecrets: 1 } });
  });
});
