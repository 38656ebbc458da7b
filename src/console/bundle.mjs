// Builds the console's browser code (src/console/app/) with esbuild, and embeds the result in a server bundle.
import { build } from 'esbuild';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The browsers the console supports: the ones that ship native <dialog>, :focus-visible and ES2022. */
const TARGET = ['chrome111', 'edge111', 'firefox115', 'safari16.4'];

/** The console's built files, name → text (`app.js`, `app.css`); nothing is written to disk. */
export async function buildConsole() {
  const result = await build({
    entryPoints: { app: path.join(here, 'app/main.ts') },
    outdir: path.join(here, 'out'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: TARGET,
    minify: true,
    write: false,
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'warning',
  });
  return Object.fromEntries(result.outputFiles.map((file) => [path.basename(file.path), file.text]));
}

/**
 * An esbuild plugin for the server bundles: `src/console/files.ts` becomes the built files themselves (gzipped, in
 * base64: about half the bytes of the text), so no build runs at request time.
 */
export function embedConsole(files) {
  const packed = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, gzipSync(text, { level: 9 }).toString('base64')]));
  const contents = `import { gunzipSync } from 'node:zlib';
const packed = ${JSON.stringify(packed)};
export const consoleFiles = async () => Object.fromEntries(Object.entries(packed).map(([name, data]) => [name, gunzipSync(Buffer.from(data, 'base64')).toString('utf8')]));
`;
  return {
    name: 'embed-console',
    setup(pluginBuild) {
      const target = path.join(here, 'files.ts');
      pluginBuild.onLoad({ filter: /[\\/]console[\\/]files\.ts$/ }, (args) => (args.path === target ? { contents, loader: 'js' } : undefined));
    },
  };
}
