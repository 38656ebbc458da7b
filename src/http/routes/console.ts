/** GET /console and its assets: the web console, answered without a token (its API calls send one), under a strict Content-Security-Policy. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ASSET_NAMES, ASSET_PREFIX, CONSOLE_PATH, consoleBundle, type ConsoleAsset } from '../../console/assets.js';
import type { ApiResponse, ApiRoute } from '../route.js';

/** Same-origin everything, no inline script or style, no framing, no plugins, no <base> or form posts elsewhere. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** A hashed URL never changes content: cached for a year. The page and an unhashed URL are revalidated each time (the ETag makes that a 304). */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

const matchesEtag = (header: string | undefined, etag: string) =>
  header !== undefined && header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag || tag.trim() === '*');

function answer(event: APIGatewayProxyEventV2, asset: ConsoleAsset, cacheControl: string): ApiResponse {
  const etag = `"${asset.hash}"`;
  const headers = { ...SECURITY_HEADERS, 'content-type': asset.type, 'cache-control': cacheControl, etag, vary: 'accept-encoding' };
  if (matchesEtag(event.headers['if-none-match'], etag)) return { statusCode: 304, headers, body: '' };
  if (/\bgzip\b/i.test(event.headers['accept-encoding'] ?? ''))
    return { statusCode: 200, headers: { ...headers, 'content-encoding': 'gzip' }, body: asset.gzipped.toString('base64'), isBase64Encoded: true };
  return { statusCode: 200, headers, body: asset.body.toString('utf8') };
}

export const consoleRoutes: ApiRoute[] = [
  { method: 'GET', path: CONSOLE_PATH, handler: async (event) => answer(event, (await consoleBundle()).page, REVALIDATE) },
  ...ASSET_NAMES.map((name): ApiRoute => ({
    method: 'GET',
    path: `${ASSET_PREFIX}${name}`,
    handler: async (event) => {
      const asset = (await consoleBundle()).assets[name];
      return answer(event, asset, event.queryStringParameters?.v === asset.hash ? IMMUTABLE : REVALIDATE);
    },
  })),
];
