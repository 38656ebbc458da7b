/**
 * One whole run with every kind of secret set (API token, AccessKey secret, STS token, static and API webhook
 * secrets, Ed25519 secret keys): every log line, stdout/stderr write and response body is scanned for all of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { loadConfig } from '../../src/config.js';
import { createApiHandler } from '../../src/http/app.js';
import { startLocalServer, type LocalServer } from '../../src/local/http-server.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { STS, finishedExport, startSimulator } from '../support/helpers.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startSecretScan, type SecretScan } from './secret-scan.js';

const TOKEN = 'scan-token-' + 'f00dfeed'.repeat(4);
const STATIC_SECRET = newWebhookSecret();
const TASK = 't-secretscan0001';
let scan: SecretScan;
let sim: EcsSimulator;
let deps: AppDeps;
let server: LocalServer;
const receivers: Receiver[] = [];

async function api(method: string, path: string, body?: unknown, token = TOKEN) {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

beforeAll(async () => {
  scan = startSecretScan();
  scan.add(TOKEN);
  scan.add(STATIC_SECRET);
  sim = await startSimulator([finishedExport(TASK, Date.now() - 600_000)]);
  // The static webhook's receiver answers 500 then 410: retries, failures, a disabled webhook, operational events.
  const staticReceiver = await startReceiver([STATIC_SECRET], (_r, i) => ({ status: i === 0 ? 500 : 410, body: 'nope' }));
  receivers.push(staticReceiver);
  const config = loadConfig({
    TASKHOOK_ECS_ENDPOINT: sim.endpoint,
    ALIBABA_CLOUD_ACCESS_KEY_ID: STS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: STS.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: STS.securityToken,
    TASKHOOK_API_TOKENS: TOKEN,
    TASKHOOK_STORE: 'memory',
    TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32',
    TASKHOOK_LOG_LEVEL: 'debug',
    TASKHOOK_TASKS: `cn-hangzhou/${TASK}`,
    TASKHOOK_WEBHOOKS: JSON.stringify([{ url: staticReceiver.url, secret: STATIC_SECRET, events: ['ecs.task.succeeded'] }]),
  });
  deps = await buildDeps(config, () => config.credentials);
  server = await startLocalServer(createApiHandler(() => deps) as never, 0);
});

afterAll(async () => {
  scan.stop();
  await server.close();
  await closeDeps(deps);
  for (const r of receivers) await r.close();
  await sim.stop();
});

describe('secret scan over a whole run', () => {
  it('lets no secret out in any log line, output line or response body', async () => {
    const shown: string[] = [];
    const ops = await startReceiver([]);
    receivers.push(ops);
    const hmac = await api('POST', '/v1/webhooks', { url: ops.url, events: ['ecs.task.succeeded', 'webhook.disabled', 'delivery.exhausted'] });
    shown.push(hmac.body!.secret as string);
    const ed = await api('POST', '/v1/webhooks', { url: ops.url, signing: 'ed25519' });
    const [hmacId, edId] = [hmac.body!.webhook, ed.body!.webhook].map((w) => (w as { id: string }).id);
    shown.push((await api('POST', `/v1/webhooks/${hmacId}/rotate-secret`)).body!.secret as string);
    shown.push((await api('POST', `/v1/webhooks/${hmacId}/rotate-secret`)).body!.secret as string);
    await api('POST', `/v1/webhooks/${edId}/rotate-secret`);
    await api('GET', '/v1/webhooks');
    await api('GET', `/v1/webhooks/${edId}`);
    await api('GET', `/v1/webhooks/${edId}/public-key`);
    await api('PATCH', `/v1/webhooks/${hmacId}`, { description: 'scanned' });
    await api('POST', `/v1/webhooks/${hmacId}/test`);
    await api('POST', '/v1/poll');
    await api('POST', '/v1/poll');
    await api('GET', '/v1/events');
    await api('GET', '/v1/events?type=webhook.disabled');
    await api('GET', `/v1/webhooks/${hmacId}/attempts`);
    await api('GET', `/v1/tasks/${TASK}?regionId=cn-hangzhou`);
    // Failures: hostile and malformed input, a wrong token, an unknown route.
    await api('POST', '/v1/webhooks', { url: 'https://user:' + TOKEN + '@169.254.169.254/' });
    await api('POST', '/v1/webhooks', '{"url": ');
    await api('GET', '/v1/webhooks', undefined, TOKEN.slice(0, -1) + 'x');
    await api('GET', '/v1/nowhere');

    for (const secret of shown) scan.add(secret);
    for (const w of await deps.store.listWebhooks()) {
      scan.add(w.secrets.current);
      const previous = w.secrets.previous as unknown;
      for (const p of Array.isArray(previous) ? previous : previous ? [previous] : []) scan.add((p as { secret: string }).secret);
    }
    const captured = scan.captured();
    expect(captured.filter((c) => c.where === 'log').length).toBeGreaterThan(5);
    expect(captured.filter((c) => c.where.startsWith('response')).length).toBeGreaterThan(15);
    expect(ops.received.length).toBeGreaterThan(0); // deliveries and operational events really went out

    const findings = scan.findings();
    process.stdout.write(`secret scan: ${findings.length} found of ${scan.patterns()} patterns over ${captured.length} captured texts\n`);
    expect(findings).toEqual([]);
  });

  it('would catch a leak (the scan is not blind)', () => {
    const probe = startSecretScan();
    try {
      probe.add(TOKEN);
      deps.logger.info('oops', { token: 'prefix ' + STATIC_SECRET.replace('whsec_', '') });
      process.stderr.write(`debug ${TOKEN}\n`);
      expect(probe.findings().map((f) => f.where)).toEqual(['stderr']);
    } finally {
      probe.stop();
    }
  });
});
