/** What /console serves: the page and its assets, each with a content hash (for its URL and ETag) and a gzip copy; made once per process. */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { consoleFiles } from './files.js';

export const CONSOLE_PATH = '/console';
export const ASSET_PREFIX = '/console/assets/';
/** The asset names; the routes are made from this list, so their paths are fixed and the content hash goes in `?v=`. */
export const ASSET_NAMES = ['app.js', 'app.css', 'icon.svg'] as const;
export type AssetName = (typeof ASSET_NAMES)[number];

export interface ConsoleAsset {
  type: string;
  body: Buffer;
  gzipped: Buffer;
  /** The first 16 hex digits of the body's SHA-256. */
  hash: string;
}

export interface ConsoleBundle {
  page: ConsoleAsset;
  assets: Record<AssetName, ConsoleAsset>;
}

const ICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1d4ed8"/><path d="M9 16.5l4.5 4.5L23 11" fill="none" stroke="#fff" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/></svg>';

const TYPES: Record<AssetName, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

function asset(type: string, text: string): ConsoleAsset {
  const body = Buffer.from(text, 'utf8');
  return { type, body, gzipped: gzipSync(body, { level: 9 }), hash: createHash('sha256').update(body).digest('hex').slice(0, 16) };
}

export const assetUrl = (name: AssetName, bundle: Pick<ConsoleBundle, 'assets'>) => `${ASSET_PREFIX}${name}?v=${bundle.assets[name].hash}`;

/** The page: no inline script or style (the CSP allows none), the assets by hashed URL, and a note for a browser without JavaScript. */
function pageHtml(assets: Record<AssetName, ConsoleAsset>): string {
  const url = (name: AssetName) => assetUrl(name, { assets });
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    '<title>taskhook console</title>',
    `<link rel="icon" type="image/svg+xml" href="${url('icon.svg')}">`,
    `<link rel="stylesheet" href="${url('app.css')}">`,
    `<script type="module" src="${url('app.js')}"></script>`,
    '</head>',
    '<body>',
    '<div id="app"><noscript>The taskhook console needs JavaScript; the API itself is described at /openapi.json.</noscript></div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

async function makeBundle(): Promise<ConsoleBundle> {
  const files = await consoleFiles();
  const text = (name: string) => {
    const found = files[name];
    if (found === undefined) throw new Error(`the console build has no ${name}`);
    return found;
  };
  const assets: Record<AssetName, ConsoleAsset> = {
    'app.js': asset(TYPES['app.js'], text('app.js')),
    'app.css': asset(TYPES['app.css'], text('app.css')),
    'icon.svg': asset(TYPES['icon.svg'], ICON),
  };
  return { page: asset('text/html; charset=utf-8', pageHtml(assets)), assets };
}

let made: Promise<ConsoleBundle> | null = null;

/** The bundle, made on first use; a failed attempt is not kept, so the next request tries again. */
export function consoleBundle(): Promise<ConsoleBundle> {
  made ??= makeBundle().catch((error: unknown) => {
    made = null;
    throw error;
  });
  return made;
}
