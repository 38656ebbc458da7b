/**
 * Imported before ../local/cli-process.js: the CLI those suites run is a private copy of dist/cli/taskhook.cjs, so a
 * rebuild of dist/ by another suite of the same checkout cannot pull it away mid-test. The copy sits under
 * node_modules/.cache, where its packages still resolve from node_modules. A TASKHOOK_TEST_CLI given from outside wins.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const given = process.env.TASKHOOK_TEST_CLI !== process.env.TASKHOOK_TEST_CLI_COPY ? process.env.TASKHOOK_TEST_CLI : undefined;
if (!given) {
  mkdirSync(join(process.cwd(), 'node_modules/.cache'), { recursive: true });
  const dir = mkdtempSync(join(process.cwd(), 'node_modules/.cache/taskhook-cli-'));
  copyFileSync(join(process.cwd(), 'dist/cli/taskhook.cjs'), join(dir, 'taskhook.cjs'));
  process.env.TASKHOOK_TEST_CLI = process.env.TASKHOOK_TEST_CLI_COPY = join(dir, 'taskhook.cjs');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
}
