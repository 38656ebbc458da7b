/**
 * Every hostile URL (./hostile-urls.ts) at every place a webhook URL is judged: registration (createWebhook and
 * POST /v1/webhooks), TASKHOOK_WEBHOOKS (loadConfig, then syncStaticWebhooks with a DNS that answers private
 * addresses), and at send time (the client, with a DNS that answers what each case wants). No hostile URL is
 * accepted anywhere; nothing connects anywhere but 127.0.0.1, and only where a receiver is explicitly allow-listed.
 */
import dns from 'node:dns';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError, InvalidInputError } from '../../src/errors.js';
import { createApiHandler } from '../../src/http/app.js';
import { startLocalServer, type LocalServer } from '../../src/local/http-server.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { createWebhookClient, WebhookSendError } from '../../src/webhooks/http-client.js';
import { createWebhook, syncStaticWebhooks } from '../../src/webhooks/registry.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { startReceiver } from '../support/receiver.js';
import { HOSTILE_DNS, hostileResolver, hostileUrls, type HostileUrl } from './hostile-urls.js';
import { startSecretScan, type SecretScan } from './secret-scan.js';

const NO_PRIVATE = { allowPrivate: [] };
const LOOPBACK_RECEIVER = { allowPrivate: ['127.0.0.1/32'] };
const TOKEN = 'hostile-urls-token-0123456789';
const SECRET = newWebhookSecret();
const HOSTILE = hostileUrls();
const NOW = Date.parse('2026-11-27T02:00:00Z');

/** Per place: how many hostile URLs were tried and how many were accepted (the figure for the README). */
const figures: Record<string, { tried: number; accepted: string[] }> = {};
function record(place: string, url: string, accepted: boolean) {
  const f = (figures[place] ??= { tried: 0, accepted: [] });
  f.tried++;
  if (accepted) f.accepted.push(url);
}

/** A TCP listener on 127.0.0.1 that counts connections: proof that a refused URL opened no socket. */
let tripwire: net.Server;
let tripwireConnections = 0;
let tripwirePort = 0;
let scan: SecretScan;

beforeAll(async () => {
  scan = startSecretScan();
  scan.add(SECRET);
  scan.add(TOKEN);
  tripwire = net.createServer((socket) => {
    tripwireConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => tripwire.listen(0, '127.0.0.1', resolve));
  tripwirePort = (tripwire.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => tripwire.close(() => resolve()));
  const lines = Object.entries(figures).map(([place, f]) => `  ${place}: ${f.accepted.length} of ${f.tried} accepted`);
  process.stdout.write(`hostile URLs (${HOSTILE.length} distinct):\n${lines.join('\n')}\n`);
  for (const f of Object.values(figures)) expect(f.accepted).toEqual([]);
  expect(tripwireConnections).toBe(0);
  scan.stop();
  expect(scan.findings()).toEqual([]);
});

/** The hostile URLs with loopback hosts also aimed at the tripwire's port, so a connection would be counted. */
const aimed = (): HostileUrl[] => [
  ...HOSTILE,
  ...['127.0.0.1', '2130706433', '0x7f.1', '[::ffff:127.0.0.1]', 'localhost', 'localhost.', '127.0.0.1.nip.io'].map((host) => ({
    url: `http://${host}:${tripwirePort}/hook`,
    group: 'loopback (tripwire port)',
    needsDns: host.endsWith('nip.io'),
  })),
];

describe('the hostile URL table', () => {
  it('holds at least 150 distinct hostile URLs across every group the brief names', () => {
    expect(HOSTILE.length).toBeGreaterThanOrEqual(150);
    const groups = new Set(HOSTILE.map((u) => u.group));
    for (const g of ['loopback', 'metadata (Alibaba Cloud)', 'metadata (link-local)', 'CGNAT', 'RFC 1918', 'reserved', 'link-local', 'site-local', 'ULA']) {
      expect(groups).toContain(g);
    }
    for (const g of ['NAT64', '6to4', 'Teredo', 'IPv4-compatible', 'userinfo', 'IDN', 'scheme', 'port', 'resolves private', 'loopback name']) {
      expect(groups).toContain(g);
    }
  });
});

describe('registration: createWebhook', () => {
  it('accepts a public URL with the same resolver (control)', async () => {
    await expect(createWebhook(createMemoryStore(), { url: 'https://hooks.example.com/hook' }, NO_PRIVATE, NOW, hostileResolver())).resolves.toBeTruthy();
  });

  it.each(HOSTILE.map((h) => [h.url, h]))('refuses %s', async (_url, h) => {
    const store = createMemoryStore();
    const outcome = await createWebhook(store, { url: h.url }, NO_PRIVATE, NOW, hostileResolver()).then(
      () => 'accepted' as const,
      (error: unknown) => error,
    );
    record('createWebhook', h.url, outcome === 'accepted');
    expect(outcome).toBeInstanceOf(InvalidInputError);
    expect((outcome as InvalidInputError).code).toMatch(/^InvalidWebhookUrl/);
    expect(await store.listWebhooks()).toEqual([]);
  });
});

describe('registration: POST /v1/webhooks', () => {
  let deps: AppDeps;
  let server: LocalServer;

  beforeAll(async () => {
    // The API resolves with the system resolver; here it answers from the hostile table instead of real DNS.
    vi.spyOn(dns.promises, 'lookup').mockImplementation((async (hostname: string) => {
      const answer = HOSTILE_DNS[hostname.toLowerCase().replace(/\.$/, '')];
      if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return answer.map((address) => ({ address, family: net.isIP(address) }));
    }) as unknown as typeof dns.promises.lookup);
    const config = loadConfig({ TASKHOOK_API_TOKENS: TOKEN, TASKHOOK_STORE: 'memory', TASKHOOK_LOG_LEVEL: 'error' });
    deps = await buildDeps(config, () => null);
    server = await startLocalServer(createApiHandler(() => deps) as never, 0);
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await server.close();
    await closeDeps(deps);
  });

  it.each(HOSTILE.map((h) => [h.url, h]))('answers 400 to %s', async (_url, h) => {
    const res = await fetch(server.url + '/v1/webhooks', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: h.url }),
    });
    const body = (await res.json()) as { error?: { code: string } };
    record('POST /v1/webhooks', h.url, res.status < 300);
    expect(res.status).toBe(400);
    expect(body.error?.code).toMatch(/^InvalidWebhookUrl/);
  });

  it('stored none of them, and accepts a public one (the test DNS is the one in use)', async () => {
    expect(await deps.store.listWebhooks()).toEqual([]);
    const res = await fetch(server.url + '/v1/webhooks', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'https://hooks.example.com/hook' }),
    });
    expect(res.status).toBe(201);
  });
});

describe('TASKHOOK_WEBHOOKS: loadConfig, then syncStaticWebhooks', () => {
  const env = (url: string) => ({ TASKHOOK_WEBHOOKS: JSON.stringify([{ url, secret: SECRET }]) });
  const needDns: string[] = [];

  it.each(HOSTILE.map((h) => [h.url, h]))('loadConfig refuses %s unless only DNS can tell', (_url, h) => {
    let error: unknown = null;
    try {
      loadConfig(env(h.url));
    } catch (e) {
      error = e;
    }
    if (h.needsDns && error === null) {
      needDns.push(h.url); // a name: syncStaticWebhooks resolves and refuses it (below)
      return;
    }
    record('loadConfig (syntax, IP literals, localhost names)', h.url, error === null);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/^TASKHOOK_WEBHOOKS: entry 0: /);
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain(SECRET.slice(6));
  });

  it('names entry i and the blocked range in one line', () => {
    const webhooks = [
      { url: 'https://hooks.example.com/', secret: SECRET },
      { url: 'https://169.254.169.254/latest/meta-data/?token=t0ps3cret', secret: SECRET },
    ];
    expect(() => loadConfig({ TASKHOOK_WEBHOOKS: JSON.stringify(webhooks) })).toThrow(
      /^TASKHOOK_WEBHOOKS: entry 1: https:\/\/169\.254\.169\.254\/ is a blocked address \(169\.254\.0\.0\/16, link-local, holds cloud metadata services, RFC 3927\)/,
    );
    try {
      loadConfig({ TASKHOOK_WEBHOOKS: JSON.stringify(webhooks) });
    } catch (error) {
      expect(String(error)).not.toContain('t0ps3cret');
      expect(String(error).split('\n')).toHaveLength(1);
    }
  });

  it('accepts a private address that TASKHOOK_ALLOW_PRIVATE_WEBHOOKS lists, over plain http', () => {
    const config = loadConfig({ ...env('http://127.0.0.1:8787/hook'), TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32' });
    expect(config.webhooks.map((w) => w.url)).toEqual(['http://127.0.0.1:8787/hook']);
  });

  it('leaves to syncStaticWebhooks only names that need DNS', () => {
    expect(needDns.length).toBeGreaterThan(0);
    expect(needDns.every((url) => HOSTILE.find((h) => h.url === url)?.needsDns)).toBe(true);
  });

  it.each(HOSTILE.map((h) => [h.url, h]))('syncStaticWebhooks skips %s with one warn line and stores nothing', async (_url, h) => {
    const store = createMemoryStore();
    const lines: string[] = [];
    const restore = setLogSink((line) => lines.push(line));
    try {
      await syncStaticWebhooks(store, [{ url: h.url, secret: SECRET }], NOW, { policy: NO_PRIVATE, resolve: hostileResolver(), logger: createLogger('info') });
    } finally {
      restore();
    }
    const stored = await store.listWebhooks();
    record('syncStaticWebhooks (DNS answering private addresses)', h.url, stored.length > 0);
    expect(stored).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', msg: 'static webhook skipped', entry: 0, code: expect.stringMatching(/^InvalidWebhookUrl/) });
    expect(lines[0]).not.toContain(SECRET.slice(6));
  });

  it('keeps a public static webhook next to a skipped one, and the run goes on when DNS fails', async () => {
    const store = createMemoryStore();
    const configured = [
      { url: 'https://nxdomain.attacker.test/hook', secret: SECRET },
      { url: 'https://hooks.example.com/hook', secret: SECRET },
      { url: 'https://metadata.attacker.test/hook', secret: SECRET },
    ];
    const failing = async () => Promise.reject(new Error('SERVFAIL'));
    await syncStaticWebhooks(store, configured, NOW, { policy: NO_PRIVATE, resolve: hostileResolver(), logger: createLogger('error') });
    expect((await store.listWebhooks()).map((w) => w.url)).toEqual(['https://hooks.example.com/hook']);
    await expect(syncStaticWebhooks(store, configured, NOW, { policy: NO_PRIVATE, resolve: failing, logger: createLogger('error') })).resolves.toBeUndefined();
  });
});

describe('send time: the client refuses before connecting', () => {
  const REFUSED = ['BlockedAddress', 'InvalidUrl', 'Unresolvable'];

  it.each(aimed().map((h) => [h.url, h]))('refuses %s', async (_url, h) => {
    const resolve = hostileResolver();
    const client = createWebhookClient({ policy: NO_PRIVATE, resolve });
    try {
      const before = tripwireConnections;
      const outcome = await client.send({ url: h.url, headers: {}, body: '{}', timeoutMs: 3_000 }).then(
        () => 'accepted' as const,
        (error: unknown) => error,
      );
      record('client.send (DNS answering what each case wants)', h.url, outcome === 'accepted');
      expect(outcome).toBeInstanceOf(WebhookSendError);
      expect(REFUSED).toContain((outcome as WebhookSendError).code);
      expect(tripwireConnections).toBe(before);
    } finally {
      await client.close();
    }
  });
});

describe('redirects: never followed', () => {
  it.each([301, 302, 303, 307, 308])('HTTP %i to every hostile URL: the answer is the redirect, 0 followed', async (status) => {
    // Header values are ASCII: the IDN spellings go out in their URL-parsed form.
    const targets = [...aimed().map((h) => h.url), `http://127.0.0.1:${tripwirePort}/`, `http://localhost:${tripwirePort}/`].map((t) =>
      /^[\x20-\x7e]+$/.test(t) ? t : encodeURI(t),
    );
    const receiver = await startReceiver([], (_r, i) => ({ status, headers: { location: targets[i] } }));
    const client = createWebhookClient({ policy: LOOPBACK_RECEIVER, resolve: hostileResolver() });
    const before = tripwireConnections;
    try {
      for (const target of targets) {
        const res = await client.send({ url: receiver.url, headers: {}, body: '{}', timeoutMs: 3_000 });
        expect(res.status).toBe(status);
        expect(res.headers.location).toBe(target);
      }
      // Followed = any request beyond one per send at the receiver, or any connection at the tripwire.
      const followed = receiver.received.length - targets.length + (tripwireConnections - before);
      for (const target of targets) record(`redirect ${status} → hostile URL (followed)`, target, followed > 0);
      expect(followed).toBe(0);
    } finally {
      await client.close();
      await receiver.close();
    }
  });
});
