// Builds the two FC code directories (dist/api, dist/poller) and the CLI (dist/cli) with esbuild.
import { build } from 'esbuild';
import { mkdir, rm, writeFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';

const quiet = process.argv.includes('--quiet');
const functions = ['api', 'poller'].filter((name) => existsSync(`functions/${name}/index.ts`));

await rm('dist', { recursive: true, force: true });

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: false, logLevel: 'warning', legalComments: 'none' };

for (const name of functions) {
  // FC loads `handler: index.handler` as index.js from the code directory; the package.json pins CommonJS.
  await build({
    ...common,
    entryPoints: [`functions/${name}/index.ts`],
    outfile: `dist/${name}/index.js`,
    minify: true,
    metafile: false,
    // Local-only pieces never reach an FC bundle: SQLite is native, and the store factory loads it lazily.
    external: ['better-sqlite3'],
  });
  await writeFile(`dist/${name}/package.json`, JSON.stringify({ type: 'commonjs' }) + '\n');
}

await build({
  ...common,
  entryPoints: ['src/local/cli.ts'],
  outfile: 'dist/cli/taskhook.cjs',
  packages: 'external',
});

if (!quiet) {
  for (const name of functions) {
    const { size } = await stat(`dist/${name}/index.js`);
    console.log(`dist/${name}/index.js  ${(size / 1024).toFixed(0)} KiB`);
  }
  const { size } = await stat('dist/cli/taskhook.cjs');
  console.log(`dist/cli/taskhook.cjs  ${(size / 1024).toFixed(0)} KiB`);
}
