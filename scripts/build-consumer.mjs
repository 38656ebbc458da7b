// Builds the receiver helper `taskhook/consumer` (src/consumer/): dist/consumer/index.{mjs,cjs} with esbuild, and its .d.ts with tsc.
import { execFileSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(import.meta.url);
const quiet = process.argv.includes('--quiet');

await rm('dist/consumer', { recursive: true, force: true });
// zod and standardwebhooks stay imports: they are this package's dependencies, installed beside it.
const common = {
  entryPoints: ['src/consumer/index.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none',
};
await build({ ...common, format: 'esm', outfile: 'dist/consumer/index.mjs' });
await build({ ...common, format: 'cjs', outfile: 'dist/consumer/index.cjs' });

// Declarations of the consumer module and what it reaches (the schema source), under dist/consumer/types/.
execFileSync(
  process.execPath,
  [
    require.resolve('typescript/bin/tsc'),
    'src/consumer/index.ts',
    ...['--declaration', '--emitDeclarationOnly', '--outDir', 'dist/consumer/types', '--rootDir', 'src'],
    ...['--module', 'preserve', '--moduleResolution', 'bundler', '--target', 'es2022', '--strict', '--skipLibCheck', '--types', 'node'],
    ...['--resolveJsonModule', '--esModuleInterop', '--isolatedModules'],
  ],
  { stdio: 'inherit' },
);
if (!quiet) console.log('dist/consumer: index.mjs, index.cjs, types/consumer/index.d.ts');
