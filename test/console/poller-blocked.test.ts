/**
 * The console's poller page in a real browser (Debian's Chromium) when ECS refuses the caller: a poll run through
 * the API against the simulator answering InvalidTimeStamp.Expired; the alert names the region, the cause and the fix.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { createApiHandler } from '../../src/http/app.js';
import { startLocalServer, type LocalServer } from '../../src/local/http-server.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';
import { chromiumAvailable, CHROMIUM, launchChromium, seriousViolations, watchProblems } from './browser.js';

if (!chromiumAvailable) console.warn(`skipping the console poller test: ${CHROMIUM} is not installed (apt-get install -y chromium)`);

const TOKEN = 'thk_console-poller-test-token-0001';
const STEP_MS = 30_000;
const TASK = 't-bp1consoleblocked01';

describe.skipIf(!chromiumAvailable)('the console poller page in Chromium, when ECS refuses the caller', () => {
  let sim: EcsSimulator;
  let deps: AppDeps;
  let server: LocalServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    sim = await startSimulator([finishedExport(TASK, Date.now() - 60_000, 'cn-hangzhou', 600_000)]);
    const config = loadConfig({
      ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
      TASKHOOK_ECS_ENDPOINT: sim.endpoint,
      TASKHOOK_TASKS: `cn-hangzhou/${TASK}`,
      TASKHOOK_API_TOKENS: TOKEN,
      TASKHOOK_STORE: 'memory',
      TASKHOOK_LOG_LEVEL: 'error',
    });
    deps = await buildDeps(config, () => config.credentials);
    server = await startLocalServer(createApiHandler(() => deps) as never, 0, undefined, { apiTokens: [TOKEN] });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = watchProblems(page);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (deps) await closeDeps(deps);
    await sim?.stop();
  });

  it(
    'names the region ECS stopped answering, the cause and the fix, and the code in the run table',
    async () => {
      sim.injectFault({
        kind: 'error',
        code: 'InvalidTimeStamp.Expired',
        httpStatus: 400,
        message: 'Specified time stamp or date value is expired.',
        times: Infinity,
      });
      const poll = await fetch(`${server.url}/v1/poll`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(poll.status).toBe(200);
      expect(((await poll.json()) as { summary: { blocked?: unknown[] } }).summary.blocked).toHaveLength(1);

      await page.goto(`${server.url}/console#token=${encodeURIComponent(TOKEN)}`);
      await page.getByRole('heading', { level: 1, name: 'Tasks' }).waitFor();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Poller' }).click();
      const alert = page.locator('#poller-blocked');
      await alert.waitFor();
      expect(await alert.getAttribute('role')).toBe('alert');
      const text = await alert.innerText();
      expect(text).toContain('Polling stopped in cn-hangzhou');
      expect(text).toContain('InvalidTimeStamp.Expired');
      expect(text).toContain('sync the clock');
      await expect.poll(() => page.locator('table.stack tbody tr').first().innerText()).toContain('InvalidTimeStamp.Expired');
      expect(await seriousViolations(page)).toEqual([]);
      expect(problems).toEqual([]);
    },
    STEP_MS,
  );
});
