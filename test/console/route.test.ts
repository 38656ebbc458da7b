/** GET /console and its assets over real HTTP: public, under a strict CSP, cacheable by hash; and embedded in the FC and CLI bundles. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleBundle } from '../../src/console/assets.js';
import { loadConfig } from '../../src/config.js';
import { createApiHandler } from '../../src/http/app.js';
import { CONSOLE_CSP } from '../../src/http/routes/console.js';
import { startLocalServer, type LocalServer } from '../../src/local/http-server.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';

const TOKEN = 'thk_console-route-test-token-0001';
const root = process.cwd();

/** One GET with node:http, so the answer is seen as sent (fetch would undo the gzip). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('the console routes', () => {
  let deps: AppDeps;
  let server: LocalServer;
  let page: string;
  let assetUrls: string[];

  beforeAll(async () => {
    const config = loadConfig({ TASKHOOK_STORE: 'memory', TASKHOOK_API_TOKENS: TOKEN, TASKHOOK_LOG_LEVEL: 'error' });
    deps = await buildDeps(config, () => config.credentials);
    // As `npm start` serves it: the server checks the token before the handler does (apiTokens).
    server = await startLocalServer(createApiHandler(() => deps) as never, 0, undefined, { apiTokens: [TOKEN] });
    const answer = await get(`${server.url}/console`);
    page = answer.body.toString('utf8');
    assetUrls = [...page.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]);
  }, 30_000);

  afterAll(async () => {
    await server?.close();
    if (deps) await closeDeps(deps);
  });

  it('answers the page without a token, under a CSP with no inline script, self-only connections and no framing', async () => {
    const answer = await get(`${server.url}/console`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = answer.headers['content-security-policy'];
    expect(csp).toBe(CONSOLE_CSP);
    const directives = new Map(
      String(csp)
        .split('; ')
        .map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]),
    );
    expect(directives.get('default-src')).toBe("'self'");
    expect(directives.get('script-src')).toBe("'self'");
    expect(directives.get('style-src')).toBe("'self'");
    expect(directives.get('connect-src')).toBe("'self'");
    expect(directives.get('frame-ancestors')).toBe("'none'");
    expect(String(csp)).not.toMatch(/unsafe-inline|unsafe-eval|\*|data:|https?:/);
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['x-frame-options']).toBe('DENY');
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.headers['set-cookie']).toBeUndefined();
    // No inline script or style: every <script> has a src, and there is no <style> or style attribute.
    expect(page.match(/<script\b[^>]*>/g)).toEqual([expect.stringMatching(/^<script type="module" src="\/console\/assets\/app\.js\?v=[0-9a-f]{16}">$/)]);
    expect(page).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(assetUrls.sort()).toEqual([
      expect.stringMatching(/^\/console\/assets\/app\.css\?v=[0-9a-f]{16}$/),
      expect.stringMatching(/^\/console\/assets\/app\.js\?v=[0-9a-f]{16}$/),
      expect.stringMatching(/^\/console\/assets\/icon\.svg\?v=[0-9a-f]{16}$/),
    ]);
    expect((await get(`${server.url}/console/`)).status).toBe(200);
  });

  it('serves each asset by its hashed URL for a year, and by any other URL only after revalidation', async () => {
    const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
    for (const url of assetUrls) {
      const answer = await get(server.url + url);
      expect(answer.status, url).toBe(200);
      expect(answer.headers['content-type']).toBe(types[url.split('?')[0].split('.').pop()!]);
      expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(answer.body.length).toBeGreaterThan(100);
      const unhashed = await get(server.url + url.split('?')[0]);
      expect(unhashed.headers['cache-control']).toBe('no-cache');
      expect(unhashed.body.equals(answer.body)).toBe(true);
      expect((await get(`${server.url}${url.split('?')[0]}?v=0000000000000000`)).headers['cache-control']).toBe('no-cache');
    }
  });

  it('answers a matching If-None-Match with 304 and no body', async () => {
    const first = await get(`${server.url}/console`);
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
    const again = await get(`${server.url}/console`, { 'if-none-match': `W/"other", ${etag}` });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect((await get(`${server.url}/console`, { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('sends gzip to a client that accepts it, the same bytes once unpacked', async () => {
    const js = assetUrls.find((u) => u.includes('app.js'))!;
    const plain = await get(server.url + js);
    const zipped = await get(server.url + js, { 'accept-encoding': 'gzip, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
  });

  it('opens nothing else to callers without a token', async () => {
    for (const url of ['/v1/tasks', '/v1/webhooks', '/console/assets/other.js', '/console/assets', '/consoles', '/console/x']) {
      const answer = await get(server.url + url);
      expect(answer.status, url).toBe(401);
    }
    const unknown = await get(`${server.url}/console/assets/other.js`, { authorization: `Bearer ${TOKEN}` });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body.toString('utf8'))).toMatchObject({ error: { code: 'NotFound' } });
  });
});

describe('the console in the bundles', () => {
  let tmp: string;

  beforeAll(() => {
    // The global setup builds once per run; building again here would delete dist/ under suites running alongside.
    if (!existsSync(path.join(root, 'dist/bundle-sizes.json'))) execFileSync(process.execPath, ['scripts/build.mjs', '--quiet'], { cwd: root, stdio: 'pipe' });
    tmp = mkdtempSync(path.join(tmpdir(), 'taskhook-console-bundle-'));
  });

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('embeds the built console in dist/api/index.js and dist/cli/taskhook.cjs, with no build step left in them', async () => {
    // The bundles carry each file gzipped in base64; zlib at one level packs the same text to the same bytes.
    const packed = gzipSync((await consoleBundle()).assets['app.js'].body, { level: 9 }).toString('base64');
    for (const file of ['dist/api/index.js', 'dist/cli/taskhook.cjs']) {
      const text = readFileSync(path.join(root, file), 'utf8');
      expect(text.includes(packed), `${file} holds the console's app.js`).toBe(true);
      expect(text, file).not.toMatch(/bundle\.mjs|require\(["']esbuild["']\)/);
    }
    expect(readFileSync(path.join(root, 'dist/poller/index.js'), 'utf8').includes(packed)).toBe(false);
  });

  it('answers GET /console and its script from the FC bundle as FC runs it, the same files a build from source makes', async () => {
    const runner = path.join(tmp, 'runner.cjs');
    writeFileSync(
      runner,
      `const { handler } = require(${JSON.stringify(path.join(root, 'dist/api/index.js'))});
const event = (rawPath, query) => Buffer.from(JSON.stringify({ version: 'v1', rawPath, headers: {}, queryParameters: query, body: '', isBase64Encoded: false,
  requestContext: { requestId: 'r-console', http: { method: 'GET', path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' } } }));
(async () => {
  const page = await handler(event('/console', {}), { requestId: 'r-console' });
  const v = /app\\.js\\?v=([0-9a-f]+)/.exec(page.body)[1];
  const js = await handler(event('/console/assets/app.js', { v }), { requestId: 'r-console' });
  process.stdout.write(JSON.stringify({ page, js }));
})();`,
    );
    const out = execFileSync(process.execPath, [runner], {
      cwd: tmp,
      env: {
        PATH: process.env.PATH ?? '',
        TASKHOOK_STORE: 'memory',
        FC_FUNCTION_NAME: 'taskhook-api',
        TASKHOOK_API_TOKENS: TOKEN,
        TASKHOOK_LOG_LEVEL: 'error',
      },
      encoding: 'utf8',
    });
    const { page, js } = JSON.parse(out) as Record<string, { statusCode: number; headers: Record<string, string>; body: string }>;
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const fromSource = (await consoleBundle()).assets['app.js'].body.toString('utf8');
    expect(js.body).toBe(fromSource);
  }, 30_000);
});
