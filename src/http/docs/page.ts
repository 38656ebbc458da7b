/** The /docs page: Redoc, served from this function (no CDN), rendering /openapi.json under a strict Content Security Policy. */
import { gunzipSync } from 'node:zlib';
import type { ApiResponse } from '../route.js';

type Asset = typeof import('./redoc-asset.js');
let asset: Promise<Asset> | undefined;
/** The renderer (430 KB) loads at the first /docs request, from a file of its own on FC: no part of the API's start. */
const loadAsset = () => (asset ??= import('./redoc-asset.js'));

export const DOCS_PATH = '/docs';
export const RENDERER_PATH = '/docs/redoc.standalone.js';
export const RENDERER_LICENSE_PATH = '/docs/redoc.standalone.js.LICENSE.txt';

/**
 * Only this origin's own script and JSON; styles inline too (Redoc's styled-components writes <style> elements), its
 * search index in a blob: worker, its icons as data: images. No frames, forms, base changes or plugins.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HARDENING = {
  'content-security-policy': DOCS_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const page = (version: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>taskhook API</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <redoc spec-url="/openapi.json" expand-responses="200,201,202" required-props-first="true" path-in-middle-panel="true"></redoc>
    <script src="${RENDERER_PATH}?v=${version}"></script>
  </body>
</html>
`;

export async function docsPage(): Promise<ApiResponse> {
  const { REDOC_VERSION } = await loadAsset();
  return { statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...HARDENING }, body: page(REDOC_VERSION) };
}

let inflated: Buffer | undefined;

/** Bytes the asset takes on disk (base64 of the gzip stream) and what it weighs on the wire. */
export async function rendererSizes(): Promise<{ bundled: number; gzip: number }> {
  const { REDOC_GZIP_BASE64 } = await loadAsset();
  return { bundled: REDOC_GZIP_BASE64.length, gzip: Buffer.from(REDOC_GZIP_BASE64, 'base64').length };
}

/** Whether `accept-encoding` takes gzip: named (or `*`) and not at q=0. */
export function acceptsGzip(header: string | undefined): boolean {
  for (const part of (header ?? '').split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if ((coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0)) return true;
  }
  return false;
}

/** The renderer: the stored gzip stream as it is when the client takes gzip, inflated (once per instance) when it does not. */
export async function rendererAsset(acceptEncoding: string | undefined, ifNoneMatch: string | undefined): Promise<ApiResponse> {
  const { REDOC_GZIP_BASE64, REDOC_SHA256 } = await loadAsset();
  const etag = `"${REDOC_SHA256.slice(0, 32)}"`;
  const headers = { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400', etag, vary: 'accept-encoding', ...HARDENING };
  if (ifNoneMatch === etag) return { statusCode: 304, headers, body: '' };
  if (acceptsGzip(acceptEncoding))
    return { statusCode: 200, headers: { ...headers, 'content-encoding': 'gzip' }, body: REDOC_GZIP_BASE64, isBase64Encoded: true };
  inflated ??= gunzipSync(Buffer.from(REDOC_GZIP_BASE64, 'base64'));
  return { statusCode: 200, headers, body: inflated.toString('base64'), isBase64Encoded: true };
}

export async function rendererLicense(): Promise<ApiResponse> {
  const { REDOC_LICENSE } = await loadAsset();
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'public, max-age=86400', ...HARDENING },
    body: REDOC_LICENSE,
  };
}
