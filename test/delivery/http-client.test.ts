import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressPolicy, Resolver } from '../../src/net/address-policy.js';
import { createWebhookClient, WebhookSendError, type WebhookClientOptions, type WebhookRequest } from '../../src/webhooks/http-client.js';

const LOCAL_TESTS: AddressPolicy = { allowPrivate: ['127.0.0.1/32'] };

interface TestServer {
  port: number;
  /** Requests the server received (method, path, headers, body). */
  requests: Array<{ method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }>;
  /** TCP connections the server accepted. */
  connections: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real HTTP server on 127.0.0.1; `handler` answers after the request body has been read. */
async function startServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      state.requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      handler(req, res);
    });
  });
  const state: TestServer = { port: 0, requests: [], connections: 0 };
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as net.AddressInfo).port;
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return state;
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function client(options: Partial<WebhookClientOptions> = {}) {
  const c = createWebhookClient({ policy: LOCAL_TESTS, userAgent: 'taskhook-test', ...options });
  cleanups.push(() => c.close());
  return c;
}

/** A resolver that answers from a script and counts its calls. */
function scriptedResolver(answer: (call: number, hostname: string) => string[]): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (hostname: string) => {
    calls.push(hostname);
    return answer(calls.length, hostname);
  };
  return Object.assign(resolve, { calls });
}

/** Every plain TCP connection this process opens while the test runs: how many sockets, and where they connected. */
function watchOutgoingConnections() {
  const watch = { sockets: 0, connectedTo: [] as string[] };
  const onSocket = (message: unknown) => {
    const { socket } = message as { socket: net.Socket };
    watch.sockets++;
    socket.once('connect', () => watch.connectedTo.push(`${socket.remoteAddress}:${socket.remotePort}`));
  };
  dc.subscribe('net.client.socket', onSocket);
  cleanups.push(() => {
    dc.unsubscribe('net.client.socket', onSocket);
  });
  return watch;
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A throwaway self-signed certificate for `name`, made by the openssl CLI. */
function selfSignedCertificate(name: string): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskhook-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
        '-addext',
        `subjectAltName=DNS:${name}`,
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function post(url: string, extra: Partial<WebhookRequest> = {}): WebhookRequest {
  return { url, headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' }, body: '{"ok":true}', timeoutMs: 5_000, ...extra };
}

async function sendError(promise: Promise<unknown>): Promise<WebhookSendError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookSendError);
  return error as WebhookSendError;
}

describe('webhook client: responses', () => {
  it('POSTs body and headers, and returns status, headers and a body snippet', async () => {
    const server = await startServer((_req, res) => res.writeHead(200, { 'x-receiver': 'yes' }).end('accepted'));
    const response = await client().send(post(`http://127.0.0.1:${server.port}/hooks/taskhook?tenant=7`));

    expect(response).toMatchObject({ status: 200, bodySnippet: 'accepted', headers: { 'x-receiver': 'yes' } });
    expect(response.retryAfter).toBeUndefined();
    expect(response.durationMs).toBeGreaterThanOrEqual(0);
    expect(server.requests).toEqual([
      {
        method: 'POST',
        url: '/hooks/taskhook?tenant=7',
        body: '{"ok":true}',
        headers: expect.objectContaining({ 'content-type': 'application/json', 'webhook-id': 'msg_1', 'user-agent': 'taskhook-test' }),
      },
    ]);
  });

  it('returns a 302 to the metadata service as a plain 302 and never follows it', async () => {
    const watch = watchOutgoingConnections();
    const server = await startServer((_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    const response = await client().send(post(`http://127.0.0.1:${server.port}/`));

    expect(response.status).toBe(302);
    expect(response.headers.location).toBe('http://169.254.169.254/latest/meta-data/');
    expect(server.requests).toHaveLength(1);
    expect(watch.connectedTo).toEqual([`127.0.0.1:${server.port}`]);
  });

  it('returns Retry-After of a 429 raw', async () => {
    const server = await startServer((_req, res) => res.writeHead(429, { 'retry-after': 'Wed, 21 Oct 2026 07:28:00 GMT' }).end('slow down'));
    const response = await client().send(post(`http://127.0.0.1:${server.port}/`));
    expect(response).toMatchObject({ status: 429, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT', bodySnippet: 'slow down' });
  });

  it('reads only the first 4096 bytes of a 10 MB body, quickly', async () => {
    const body = Buffer.alloc(10 * 1024 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789');
    const server = await startServer((_req, res) => res.writeHead(200, { 'content-length': body.length }).end(body));
    const response = await client().send(post(`http://127.0.0.1:${server.port}/`, { timeoutMs: 2_000 }));

    expect(response.bodySnippet).toBe(body.subarray(0, 4096).toString());
    expect(response.durationMs).toBeLessThan(1_000);
  });

  it('stops reading an endless body after the snippet (it would otherwise time out)', async () => {
    let serverSawHangUp = false;
    const server = await startServer((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('x'.repeat(16 * 1024)), 1);
      res.on('close', () => {
        clearInterval(timer);
        serverSawHangUp = true;
      });
    });
    const response = await client().send(post(`http://127.0.0.1:${server.port}/`, { timeoutMs: 3_000 }));

    expect(Buffer.byteLength(response.bodySnippet)).toBe(4096);
    await expect.poll(() => serverSawHangUp).toBe(true);
  });

  it('honours maxResponseBytes', async () => {
    const server = await startServer((_req, res) => res.end('0123456789'));
    const response = await client({ maxResponseBytes: 4 }).send(post(`http://127.0.0.1:${server.port}/`));
    expect(response.bodySnippet).toBe('0123');
  });
});

describe('webhook client: failures', () => {
  it('times out a server that never answers within about timeoutMs', async () => {
    const server = await startServer(() => {});
    const error = await sendError(client().send(post(`http://127.0.0.1:${server.port}/`, { timeoutMs: 300 })));

    expect(error.code).toBe('Timeout');
    expect(error.durationMs).toBeGreaterThanOrEqual(250);
    expect(error.durationMs).toBeLessThan(2_000);
  });

  it('times out a body that stalls after the headers (the timeout covers the body)', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('only part of it');
    });
    const error = await sendError(client().send(post(`http://127.0.0.1:${server.port}/`, { timeoutMs: 300 })));
    expect(error.code).toBe('Timeout');
    expect(error.durationMs).toBeLessThan(2_000);
  });

  it("stops when the caller's signal aborts", async () => {
    const server = await startServer(() => {});
    const error = await sendError(client().send(post(`http://127.0.0.1:${server.port}/`, { timeoutMs: 10_000, signal: AbortSignal.timeout(200) })));
    expect(error.code).toBe('Timeout');
    expect(error.durationMs).toBeLessThan(2_000);
  });

  it('maps a refused port to ConnectionRefused, naming the host but not the path or query', async () => {
    const port = await closedPort();
    const error = await sendError(client().send(post(`http://127.0.0.1:${port}/secret-path?token=abc123`)));

    expect(error.code).toBe('ConnectionRefused');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).not.toMatch(/secret-path|abc123/);
  });

  it('maps a connection dropped mid-request to connection_reset', async () => {
    const server = await startServer((req) => req.socket.destroy());
    const error = await sendError(client().send(post(`http://127.0.0.1:${server.port}/`)));
    expect(error.code).toBe('ConnectionReset');
  });

  it('maps a TLS handshake failure to tls (https to a plain-http server)', async () => {
    const server = await startServer((_req, res) => res.end());
    const resolve = scriptedResolver(() => ['127.0.0.1']);
    const error = await sendError(client({ resolve }).send(post(`https://hooks.test:${server.port}/`)));

    expect(error.code).toBe('TlsError');
    expect(resolve.calls).toEqual(['hooks.test']); // https connections use the checked lookup too
    expect(server.connections).toBe(1);
  });

  it.skipIf(!hasOpenssl())('maps an untrusted certificate to tls', async () => {
    const { key, cert } = selfSignedCertificate('hooks.test');
    const servernames: string[] = [];
    const SNICallback = (servername: string, done: (err: Error | null) => void) => {
      servernames.push(servername);
      done(null); // keep the default certificate
    };
    const server = https.createServer({ key, cert, SNICallback }, (_req, res) => res.end());
    let connections = 0;
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as net.AddressInfo;

    const resolve = scriptedResolver(() => ['127.0.0.1']);
    const error = await sendError(client({ resolve }).send(post(`https://hooks.test:${port}/`)));
    expect(error.code).toBe('TlsError');
    expect(error.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(resolve.calls).toEqual(['hooks.test']);
    expect(connections).toBe(1);
    expect(servernames).toEqual(['hooks.test']); // TLS speaks to the hostname while the socket goes to the checked IP
  });

  it('refuses a URL with credentials without leaking them', async () => {
    const error = await sendError(client().send(post('http://admin:s3cr3t@127.0.0.1:9/')));
    expect(error.code).toBe('InvalidUrl');
    expect(error.message).not.toMatch(/admin|s3cr3t/);
  });
});

describe('webhook client: address policy on every connection', () => {
  it('refuses a hostname that resolves to a blocked address, before connecting', async () => {
    const watch = watchOutgoingConnections();
    const server = await startServer((_req, res) => res.end());
    const resolve = scriptedResolver(() => ['127.0.0.2']); // blocked: only 127.0.0.1/32 is allowed
    const error = await sendError(client({ resolve }).send(post(`http://hooks.test:${server.port}/`)));

    expect(error.code).toBe('BlockedAddress');
    expect(error.message).toContain('127.0.0.2 is in a blocked range (127.0.0.0/8, loopback)');
    expect(watch.connectedTo).toEqual([]);
  });

  it('refuses a hostname if ANY of its addresses is blocked, even if another one is allowed', async () => {
    const watch = watchOutgoingConnections();
    const server = await startServer((_req, res) => res.end());
    const resolve = scriptedResolver(() => ['127.0.0.1', '10.0.0.1']);
    const error = await sendError(client({ resolve }).send(post(`http://hooks.test:${server.port}/`)));

    expect(error.code).toBe('BlockedAddress');
    expect(server.connections).toBe(0);
    expect(watch.connectedTo).toEqual([]);
  });

  it('refuses https connections to blocked addresses too', async () => {
    const server = await startServer((_req, res) => res.end());
    const resolve = scriptedResolver(() => ['127.0.0.2']);
    const error = await sendError(client({ resolve }).send(post(`https://hooks.test:${server.port}/`)));

    expect(error.code).toBe('BlockedAddress');
    expect(server.connections).toBe(0);
  });

  it('fails closed when the lookup fails', async () => {
    const watch = watchOutgoingConnections();
    const resolve: Resolver = async () => {
      throw Object.assign(new Error('queryA ETIMEOUT hooks.test'), { code: 'ETIMEOUT' });
    };
    const error = await sendError(client({ resolve }).send(post('http://hooks.test/')));

    expect(error.code).toBe('Unresolvable');
    expect(watch.connectedTo).toEqual([]);
  });

  it.each(['http://[::ffff:a9fe:a9fe]/latest/meta-data/', 'http://100.100.100.200/latest/meta-data/', 'http://0x7f.2/', 'http://[::1]/'])(
    'refuses the IP literal %s at send, without opening a socket',
    async (url) => {
      const watch = watchOutgoingConnections();
      const resolve = scriptedResolver(() => ['127.0.0.1']);
      const error = await sendError(client({ resolve }).send(post(url)));

      expect(error.code).toBe('BlockedAddress');
      expect(watch.sockets).toBe(0);
      expect(resolve.calls).toEqual([]);
    },
  );

  it('is safe against DNS rebinding: one lookup per connection, and it connects to the address that lookup checked', async () => {
    const watch = watchOutgoingConnections();
    // Every response closes its connection, so every send needs a new connection (and a new lookup).
    const server = await startServer((_req, res) => res.writeHead(204, { connection: 'close' }).end());
    const resolve = scriptedResolver((call) => (call === 1 ? ['127.0.0.1'] : ['10.0.0.1']));
    const webhooks = client({ resolve });

    const first = await webhooks.send(post(`http://rebind.test:${server.port}/`));
    expect(first.status).toBe(204);
    expect(resolve.calls).toEqual(['rebind.test']); // checked and connected with the same single answer
    expect(watch.connectedTo).toEqual([`127.0.0.1:${server.port}`]);

    const second = await sendError(webhooks.send(post(`http://rebind.test:${server.port}/`)));
    expect(second.code).toBe('BlockedAddress');
    expect(resolve.calls).toEqual(['rebind.test', 'rebind.test']);
    expect(watch.connectedTo).toEqual([`127.0.0.1:${server.port}`]); // 10.0.0.1 was never contacted
    expect(server.requests).toHaveLength(1);
  });

  it('hands Node only the checked address when it asks for a single one (autoSelectFamily off)', async () => {
    const previous = net.getDefaultAutoSelectFamily();
    net.setDefaultAutoSelectFamily(false);
    cleanups.push(() => net.setDefaultAutoSelectFamily(previous));
    const watch = watchOutgoingConnections();
    const server = await startServer((_req, res) => res.end('ok'));
    const resolve = scriptedResolver(() => ['127.0.0.1']);

    const response = await client({ resolve }).send(post(`http://hooks.test:${server.port}/`));
    expect(response.status).toBe(200);
    expect(resolve.calls).toEqual(['hooks.test']);
    expect(watch.connectedTo).toEqual([`127.0.0.1:${server.port}`]);
  });
});
