/** /docs: Redoc served by the function itself (no CDN, no token), gzip when the client takes it, under a strict CSP. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsGzip, DOCS_CSP, rendererSizes } from '../../src/http/docs/page.js';
import { REDOC_GZIP_BASE64, REDOC_SHA256, REDOC_VERSION } from '../../src/http/docs/redoc-asset.js';
import { startApi, type ApiHarness } from '../support/api.js';

const require = createRequire(import.meta.url);
const installed = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'));
let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApi('docs-token-0123456789abcdef');
});
afterAll(() => harness?.close());

/** A GET with exactly these headers (fetch would add its own accept-encoding and inflate the answer). */
function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(harness.server.url + path, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('/docs', () => {
  it('is an HTML page for Redoc with no token, pointing at this origin’s document and script only, under a strict CSP', async () => {
    const page = await get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(DOCS_CSP);
    expect(DOCS_CSP).toContain("default-src 'none'");
    expect(DOCS_CSP).toContain("script-src 'self'");
    expect(DOCS_CSP).not.toMatch(/script-src[^;]*unsafe/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const html = page.body.toString('utf8');
    expect(html).toContain('<redoc spec-url="/openapi.json"');
    expect(html).toContain(`<script src="/docs/redoc.standalone.js?v=${REDOC_VERSION}"></script>`);
    // Nothing from elsewhere, and no inline script.
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script>/);
  });

  it('serves the renderer gzip-compressed to a client that takes gzip, and inflated to one that does not', async () => {
    const gz = await get('/docs/redoc.standalone.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(gz.status).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('accept-encoding');
    expect(gz.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(gz.body.length).toBe((await rendererSizes()).gzip);
    expect(gunzipSync(gz.body).equals(installed)).toBe(true);

    const plain = await get('/docs/redoc.standalone.js', { 'accept-encoding': 'gzip;q=0, identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(installed)).toBe(true);
    expect((await get('/docs/redoc.standalone.js')).body.equals(installed)).toBe(true);

    const again = await get('/docs/redoc.standalone.js', { 'if-none-match': String(gz.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const licence = await get('/docs/redoc.standalone.js.LICENSE.txt');
    expect(licence.status).toBe(200);
    expect(licence.body.toString('utf8')).toContain('ReDoc');
  });

  it('ships the Redoc that is installed: the bundled asset is the installed file, gzip-compressed (npm run docs:asset)', async () => {
    const { version } = JSON.parse(readFileSync(require.resolve('redoc/package.json'), 'utf8')) as { version: string };
    expect(REDOC_VERSION).toBe(version);
    expect(REDOC_SHA256).toBe(createHash('sha256').update(installed).digest('hex'));
    expect(gunzipSync(Buffer.from(REDOC_GZIP_BASE64, 'base64')).equals(installed)).toBe(true);
    const sizes = await rendererSizes();
    console.log(`renderer: redoc ${version}, ${installed.length} bytes; ${sizes.gzip} gzipped; ${sizes.bundled} bytes in its file`);
  });

  it('reads accept-encoding as HTTP means it', () => {
    expect(acceptsGzip('gzip')).toBe(true);
    expect(acceptsGzip('br, GZIP;q=0.5')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('br, deflate')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});
