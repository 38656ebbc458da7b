// Builds the two FC code directories (dist/api, dist/poller) and the CLI (dist/cli) with esbuild.
import { build } from 'esbuild';
import { mkdir, rm, writeFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

// Paths below are relative to the repository root, wherever the script is started from.
process.chdir(fileURLToPath(new URL('..', import.meta.url)));

const quiet = process.argv.includes('--quiet');
const functions = ['api', 'poller'].filter((name) => existsSync(`functions/${name}/index.ts`));

await rm('dist', { recursive: true, force: true });

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: false, logLevel: 'warning', legalComments: 'none' };

/** Source that only the local runtime may use: a path prefix (or file) and why it cannot go to FC. */
const LOCAL_ONLY = [
  ['src/store/sqlite.ts', 'the SQLite store (native better-sqlite3)'],
  ['src/ecs/simulator/', 'the ECS simulator'],
  ['src/local/', 'the local CLI and HTTP server'],
];

/** FC bundles get a stub for the SQLite store: open.ts imports it lazily, but esbuild would still inline it. */
const localOnlyForFc = {
  name: 'local-only-for-fc',
  setup(pluginBuild) {
    const openTs = path.resolve('src/store/open.ts');
    pluginBuild.onResolve({ filter: /^\.\/sqlite\.js$/ }, (args) =>
      args.importer === openTs ? { path: path.resolve('src/store/unavailable.ts') } : undefined,
    );
    pluginBuild.onResolve({ filter: /^better-sqlite3$/ }, (args) => ({
      errors: [{ text: `better-sqlite3 is native and local-only; ${path.relative('.', args.importer)} must not reach a Function Compute bundle` }],
    }));
  },
};

const sizes = {};

for (const name of functions) {
  // FC loads `handler: index.handler` as index.js from the code directory; the package.json pins CommonJS.
  const result = await build({
    ...common,
    entryPoints: [`functions/${name}/index.ts`],
    outfile: `dist/${name}/index.js`,
    minify: true,
    metafile: true,
    plugins: [localOnlyForFc],
  });
  const inputs = Object.keys(result.metafile.inputs).map((input) => input.split(path.sep).join('/'));
  for (const [prefix, what] of LOCAL_ONLY) {
    const leaked = inputs.find((input) => input === prefix || input.startsWith(prefix));
    if (leaked) throw new Error(`dist/${name}/index.js would contain ${what} (${leaked}); it is local-only`);
  }
  await writeFile(`dist/${name}/package.json`, JSON.stringify({ type: 'commonjs' }) + '\n');
  sizes[name] = (await stat(`dist/${name}/index.js`)).size;
}

await build({
  ...common,
  entryPoints: ['src/local/main.ts'],
  outfile: 'dist/cli/taskhook.cjs',
  packages: 'external',
});
sizes.cli = (await stat('dist/cli/taskhook.cjs')).size;

await mkdir('dist', { recursive: true });
await writeFile('dist/bundle-sizes.json', JSON.stringify(sizes, null, 2) + '\n');

if (!quiet) {
  for (const name of functions) console.log(`dist/${name}/index.js  ${(sizes[name] / 1024).toFixed(0)} KiB`);
  console.log(`dist/cli/taskhook.cjs  ${(sizes.cli / 1024).toFixed(0)} KiB`);
}
