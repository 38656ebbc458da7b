/**
 * The console's doctor page in a real browser (Debian's Chromium): the checks of GET /v1/doctor, a failing one with
 * its fix, a run again on request; screenshotted at 1280 and 375 px and checked with axe-core.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createApiHandler } from '../../src/http/app.js';
import { startLocalServer, type LocalServer } from '../../src/local/http-server.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';
import { KEYS, startSimulator } from '../support/helpers.js';
import { putWebhook } from '../doctor/harness.js';
import { chromiumAvailable, CHROMIUM, launchChromium, screenshot, seriousViolations, watchProblems } from './browser.js';

if (!chromiumAvailable) console.warn(`skipping the console doctor test: ${CHROMIUM} is not installed (apt-get install -y chromium)`);

const TOKEN = 'thk_console-doctor-test-token-0001';
const STEP_MS = 30_000;
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 375, height: 740 };
const DENIED_FIX = 'grant the role or user ecs:DescribeTaskAttribute (Resource "*") in its RAM policy; the next run resumes by itself';

describe.skipIf(!chromiumAvailable)('the console doctor page in Chromium', () => {
  let sim: EcsSimulator;
  let deps: AppDeps;
  let server: LocalServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    sim = await startSimulator();
    const config = loadConfig({
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
      TASKHOOK_ECS_ENDPOINT: sim.endpoint,
      TASKHOOK_DISCOVER: 'cn-hangzhou:*',
      TASKHOOK_API_TOKENS: TOKEN,
      TASKHOOK_STORE: 'memory',
      TASKHOOK_LOG_LEVEL: 'error',
    });
    deps = await buildDeps(config, () => config.credentials);
    await putWebhook(deps.store, 'wh_public00000000000000a1', 'https://93.184.216.34/hooks');
    server = await startLocalServer(createApiHandler(() => deps) as never, 0, undefined, { apiTokens: [TOKEN] });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: WIDE });
    problems = watchProblems(page);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (deps) await closeDeps(deps);
    await sim?.stop();
  });

  it(
    'lists every check with its status, and a failing one with its fix, after a link from the navigation',
    async () => {
      sim.injectFault({ kind: 'error', code: 'Forbidden.RAM', httpStatus: 403, message: 'User not authorized.', action: 'DescribeTaskAttribute', times: 1 });
      await page.goto(`${server.url}/console#token=${encodeURIComponent(TOKEN)}`);
      await page.getByRole('heading', { level: 1, name: 'Tasks' }).waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Doctor' }).click();
      await page.getByRole('heading', { level: 1, name: 'Doctor' }).waitFor();
      const summary = page.locator('#doctor-summary');
      await summary.waitFor();
      expect(await summary.getAttribute('role')).toBe('alert');
      expect(await summary.innerText()).toBe('1 check failed: ecs.describe-task-attribute:cn-hangzhou. Overall 1 failed, 1 warning, 5 passed, 4 skipped.');

      const rows = page.locator('table.stack tbody tr');
      const names = await rows.locator('code').allInnerTexts();
      expect(names).toEqual(
        expect.arrayContaining(['credentials', 'ecs.describe-tasks:cn-hangzhou', 'ecs.clock', 'store.probe', 'webhook:wh_public00000000000000a1']),
      );
      const failing = rows.filter({ hasText: 'ecs.describe-task-attribute:cn-hangzhou' });
      expect(await failing.locator('.badge').innerText()).toBe('failed');
      expect(await failing.locator('.doctor-fix').innerText()).toBe(DENIED_FIX);
      expect(await failing.innerText()).toContain('ECS denied DescribeTaskAttribute in cn-hangzhou (Forbidden.RAM)');
      const passing = rows.filter({ hasText: 'ecs.describe-tasks:cn-hangzhou' });
      expect(await passing.locator('.badge').innerText()).toBe('pass');
      expect(await passing.locator('.doctor-fix').count()).toBe(0);

      for (const size of [WIDE, NARROW]) {
        await page.setViewportSize(size);
        await screenshot(page, `doctor-${size.width}`);
        expect(await page.evaluate(() => document.documentElement.scrollWidth), `doctor fits ${size.width} px`).toBeLessThanOrEqual(size.width);
        expect(await seriousViolations(page), `axe on doctor at ${size.width} px`).toEqual([]);
      }
      await page.setViewportSize(WIDE);
    },
    STEP_MS,
  );

  it(
    'runs the checks again on request and shows them passing once the refusal is gone',
    async () => {
      await page.getByRole('button', { name: 'Run the checks again' }).click();
      await expect.poll(() => page.locator('#doctor-summary').innerText(), { timeout: 10_000 }).toMatch(/^No check failed: /);
      expect(await page.locator('#doctor-summary').getAttribute('role')).toBeNull();
      expect(await page.locator('.doctor-fix', { hasText: DENIED_FIX }).count()).toBe(0);
      expect(problems).toEqual([]);
    },
    STEP_MS,
  );
});
