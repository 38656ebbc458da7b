// Writes src/http/docs/redoc-asset.ts: the installed Redoc standalone bundle, gzip-compressed and base64-encoded, with its licence.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';
import { format, resolveConfig } from 'prettier';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(import.meta.url);

const bundle = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'));
const licence = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js.LICENSE.txt'), 'utf8');
const { version } = JSON.parse(readFileSync(require.resolve('redoc/package.json'), 'utf8'));
const gzip = gzipSync(bundle, { level: constants.Z_BEST_COMPRESSION });

const out = `/** Redoc ${version}'s standalone bundle (MIT), gzip-compressed: written by \`npm run docs:asset\` from node_modules/redoc; do not edit. */

export const REDOC_VERSION = ${JSON.stringify(version)};
/** SHA-256 of the uncompressed bundle: its ETag, and what the test compares with the installed file. */
export const REDOC_SHA256 = ${JSON.stringify(createHash('sha256').update(bundle).digest('hex'))};
export const REDOC_GZIP_BASE64 = ${JSON.stringify(gzip.toString('base64'))};
export const REDOC_LICENSE = ${JSON.stringify(licence)};
`;
const file = 'src/http/docs/redoc-asset.ts';
writeFileSync(file, await format(out, { ...(await resolveConfig(file)), filepath: file }));
console.log(`src/http/docs/redoc-asset.ts: redoc ${version}, ${bundle.length} bytes, ${gzip.length} gzipped, ${out.length} in the module`);
