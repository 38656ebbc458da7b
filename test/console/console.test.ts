/**
 * The console in a real browser (Debian's Chromium), against `npm start`'s demo run in-process: sign in, the demo
 * tasks moving, a task's timeline, a failing webhook, a redelivery and its attempt, a secret rotation, the poller;
 * each page screenshotted at 1280 and 375 px and checked with axe-core.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocal, type RunningLocal } from '../../src/local/start.js';
import { chromiumAvailable, CHROMIUM, launchChromium, screenshot, seriousViolations, watchProblems } from './browser.js';

if (!chromiumAvailable) console.warn(`skipping the console browser test: ${CHROMIUM} is not installed (apt-get install -y chromium)`);

/** Each step waits on the demo's timeline (its tasks finish 10–45 s after start) on a machine shared with other suites. */
const STEP_MS = 45_000;
const WIDE = { width: 1280, height: 900 };
const NARROW = { width: 375, height: 740 };

/** Tables, panels and cards that stick out of <main> (run in the page). */
const overflowing = () => {
  const main = document.querySelector('main')?.getBoundingClientRect();
  if (!main) return ['no <main>'];
  return [...document.querySelectorAll('main table, main .panel, main .card, main .chart')]
    .filter((el) => el.getBoundingClientRect().right > main.right + 1)
    .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
};

describe.skipIf(!chromiumAvailable)('the console in Chromium', () => {
  let dir: string;
  let local: RunningLocal;
  let failing: http.Server;
  let failingUrl: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  let createdSecret = '';
  const lines: string[] = [];

  /** Checks the page at both widths: a screenshot each, no horizontal scrolling at 375 px, no serious or critical axe violation. */
  async function checkPage(name: string) {
    for (const size of [WIDE, NARROW]) {
      await page.setViewportSize(size);
      await screenshot(page, `${name}-${size.width}`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} fits ${size.width} px`).toBeLessThanOrEqual(size.width);
      expect(await page.evaluate(overflowing), `${name} at ${size.width} px: nothing wider than the page's main column`).toEqual([]);
      expect(await seriousViolations(page), `axe on ${name} at ${size.width} px`).toEqual([]);
    }
    await page.setViewportSize(WIDE);
  }

  const go = async (hash: string, heading: RegExp) => {
    await page.evaluate((h) => (location.hash = h), hash);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'taskhook-console-'));
    failing = http.createServer((req, res) => {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain' }).end('down for maintenance');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', () => resolve()));
    failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/hooks`;
    // The demo: no credentials, so the ECS simulator with its nine tasks, a poll every second.
    local = await startLocal({
      env: { TASKHOOK_PORT: '0', TASKHOOK_STORE: `sqlite:${path.join(dir, 'state.db')}`, TASKHOOK_LOG_LEVEL: 'error' },
      print: (line) => lines.push(line),
      cwd: dir,
      intervalSeconds: 1,
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: WIDE });
    page = await context.newPage();
    problems = watchProblems(page);
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await local?.stop();
    await new Promise((resolve) => failing?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, STEP_MS);

  it(
    'asks for a token, refuses a wrong one, and keeps a right one in sessionStorage only',
    async () => {
      const other = await browser.newPage({ viewport: WIDE });
      const otherProblems = watchProblems(other);
      const response = await other.goto(`${local.url}/console`);
      expect(response?.status()).toBe(200);
      const label = other.getByLabel('API token');
      await label.waitFor();
      page = other;
      await checkPage('sign-in');
      await label.fill('thk_not-the-token-0000000000');
      await other.getByRole('button', { name: 'Sign in' }).click();
      await other.getByText('The API refused this token.').waitFor();
      await label.fill(local.token!);
      await label.press('Enter');
      await other.getByRole('heading', { level: 1, name: 'Tasks' }).waitFor();
      expect(await other.evaluate(() => Object.values(sessionStorage))).toEqual([local.token]);
      expect(await other.evaluate(() => localStorage.length)).toBe(0);
      expect(await other.context().cookies()).toEqual([]);
      await other.getByRole('button', { name: 'Sign out' }).click();
      await other.getByLabel('API token').waitFor();
      expect(await other.evaluate(() => sessionStorage.length)).toBe(0);
      expect(otherProblems).toEqual([]);
      await other.close();
    },
    STEP_MS,
  );

  it(
    'signs in from a #token= link and takes the token out of the address bar at once',
    async () => {
      page = context.pages()[0];
      await page.goto(`${local.url}/console#token=${encodeURIComponent(local.token!)}`);
      await page.getByRole('heading', { level: 1, name: 'Tasks' }).waitFor();
      expect(page.url()).toBe(`${local.url}/console#/tasks`);
      // about:blank, then the console: the token URL was replaced, not left behind as an entry of its own.
      expect(await page.evaluate(() => history.length)).toBe(2);
      expect(await page.evaluate(() => sessionStorage.getItem('taskhook.console.token'))).toBe(local.token);
    },
    STEP_MS,
  );

  it(
    'shows the demo tasks moving: status, progress, elapsed time and last poll change without a reload',
    async () => {
      const rows = page.locator('table.stack tbody tr');
      await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(6);
      const state = () => page.locator('table.stack tbody').innerText();
      const before = await state();
      await expect.poll(state, { timeout: 15_000 }).not.toBe(before);
      // The progress bars are native <progress> elements with a name; at least one task has moved past 0.
      await expect
        .poll(async () => Math.max(...(await page.locator('progress').evaluateAll((bars) => bars.map((b) => (b as HTMLProgressElement).value)))), {
          timeout: 15_000,
        })
        .toBeGreaterThan(0);
      expect(await page.getByRole('columnheader', { name: 'Last polled' }).count()).toBe(1);

      await page.getByLabel('Region', { exact: true }).first().selectOption('cn-beijing');
      await expect.poll(() => rows.count()).toBe(1);
      await expect.poll(() => page.locator('table.stack tbody').innerText()).toContain('ModifyDiskSpec');
      expect(page.url()).toContain('region=cn-beijing');
      await page.getByLabel('Region', { exact: true }).first().selectOption('');
      await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(6);
      await checkPage('tasks');
    },
    STEP_MS,
  );

  it(
    'shows a finished task waiting for its resource, and a stalled task, in the list while it happens',
    async () => {
      const tbody = page.locator('table.stack tbody');
      // The demo's image stays Creating 15–35 s, its instance Starting 20–30 s, its disk Modifying 25–40 s after start.
      await expect
        .poll(() => tbody.innerText(), { timeout: STEP_MS - 5_000 })
        .toMatch(/waiting for (image|disk|instance) \S+ \((Creating|Modifying|Starting)\)/);
      // Its stalled import is stuck at 30 % from 5 to 45 s, reported once 20 s have passed.
      await expect.poll(() => tbody.innerText(), { timeout: STEP_MS - 5_000 }).toMatch(/stalled: progress stuck at 30 % for \d+ s/);
      expect(await page.locator('.readiness.warn').count()).toBeGreaterThan(0);
    },
    STEP_MS,
  );

  it(
    'watches and unwatches a task by keyboard alone, with the focus visible',
    async () => {
      const taskId = 't-bp1keyboard00000001';
      const focusOn = async (match: (el: { id: string; label: string | null }) => boolean) => {
        for (let i = 0; i < 80; i++) {
          await page.keyboard.press('Tab');
          const focused = await page.evaluate(() => ({ id: document.activeElement?.id ?? '', label: document.activeElement?.textContent ?? null }));
          if (match(focused)) return;
        }
        throw new Error('the element never took the focus by Tab');
      };
      await page.locator('body').focus();
      await focusOn((el) => el.id === 'watch-region');
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline).not.toBe('none');
      await page.keyboard.type('cn-hangzhou');
      await page.keyboard.press('Tab');
      await page.keyboard.type(taskId);
      await page.keyboard.press('Enter');
      const row = page.locator('table.stack tbody tr', { hasText: taskId });
      await row.waitFor();
      await page.locator('body').focus();
      await focusOn((el) => el.label === `Unwatch ${taskId}`);
      await page.keyboard.press('Enter');
      await expect.poll(() => row.count()).toBe(0);
    },
    STEP_MS,
  );

  it(
    'opens a task: its state, operations with their error codes, and the timeline of its events',
    async () => {
      const failedRow = page.locator('table.stack tbody tr', { hasText: 'ImportImage' }).filter({ has: page.locator('.outcome-failed') });
      await failedRow.waitFor({ timeout: 25_000 });
      await failedRow.getByRole('link').first().click();
      await page.getByRole('heading', { level: 2, name: 'Operations' }).waitFor();
      await page.getByText('InvalidOSSObject.NotFound').first().waitFor();
      const timeline = page.locator('ol.timeline');
      await expect.poll(() => timeline.innerText()).toContain('ecs.task.failed');
      expect(await timeline.innerText()).toContain('ecs.task.started');
      await checkPage('task');
    },
    STEP_MS,
  );

  it(
    'opens a task whose image became usable after the task finished: the resource, when it was usable, and the stall of another',
    async () => {
      await go('#/tasks', /Tasks/);
      const row = page.locator('table.stack tbody tr', { hasText: /image m-\S+ Available/ }).first();
      await row.waitFor({ timeout: STEP_MS - 5_000 });
      await row.getByRole('link').first().click();
      const usable = page.locator('dl.facts div', { has: page.locator('dt', { hasText: 'Usable' }) });
      await expect.poll(() => usable.innerText()).toMatch(/image m-\S+ usable/);
      await expect.poll(() => page.locator('ol.timeline').innerText()).toMatch(/ecs\.task\.succeeded[\s\S]*image m-\S+ usable/);
      expect(await page.locator('dl.facts').innerText()).toMatch(/Resource\s+image m-\S+ Available/i);
      await checkPage('task-ready');
      await go('#/tasks', /Tasks/);
      await page
        .locator('table.stack tbody tr', { hasText: 'ImportImage' })
        .filter({ hasText: '70' })
        .first()
        .waitFor({ timeout: STEP_MS - 5_000 });
      await go('#/events', /Events/);
      await page.getByLabel('Type').selectOption('ecs.task.stalled');
      await page.getByRole('button', { name: 'Apply' }).click();
      await expect.poll(() => page.locator('table.stack tbody tr').count()).toBe(1);
      await page.locator('table.stack tbody tr').getByRole('link', { name: /^t-/ }).first().click();
      await expect
        .poll(() => page.locator('ol.timeline').innerText(), { timeout: STEP_MS - 10_000 })
        .toMatch(/ecs\.task\.stalled[\s\S]*progress stuck at 30 %/);
      await expect.poll(() => page.locator('ol.timeline').innerText(), { timeout: STEP_MS - 10_000 }).toContain('ecs.task.resumed');
    },
    STEP_MS,
  );

  it(
    'adds a webhook and shows its secret once, never storing it',
    async () => {
      await go('#/webhooks', /Webhooks/);
      await page.getByLabel('URL').fill(failingUrl);
      await page.getByLabel('Description (optional)').fill('failing receiver');
      await page.getByRole('button', { name: 'Add webhook' }).click();
      const dialog = page.getByRole('dialog', { name: 'Webhook created' });
      await dialog.waitFor();
      createdSecret = await dialog.getByLabel('Secret').inputValue();
      expect(createdSecret).toMatch(/^whsec_/);
      await dialog.getByRole('button', { name: 'I have stored it' }).click();
      await dialog.waitFor({ state: 'hidden' });
      expect(await page.content()).not.toContain(createdSecret);
      expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }) + location.href)).not.toContain(
        createdSecret,
      );
      await page.getByRole('heading', { level: 2, name: 'failing receiver' }).waitFor();
    },
    STEP_MS,
  );

  it(
    'lists events with filters and redelivers one, showing the new attempt with its status, duration and response',
    async () => {
      await go('#/events', /Events/);
      await page.getByLabel('Type').selectOption('ecs.task.failed');
      await page.getByRole('button', { name: 'Apply' }).click();
      await expect.poll(() => page.locator('table.stack tbody tr').count()).toBe(1);
      await checkPage('events');
      await page.locator('table.stack tbody tr').getByRole('link', { name: 'ecs.task.failed' }).click();
      await page.getByRole('heading', { level: 2, name: /^Attempts/ }).waitFor();
      await page.locator('.live', { hasText: 'Live' }).waitFor();
      const attempts = page.locator('table.stack', { has: page.locator('caption', { hasText: 'Delivery attempts' }) }).locator('tbody tr');
      const before = await attempts.count();
      await page.getByLabel('Send to').selectOption({ label: `failing receiver — ${failingUrl}` });
      await page.getByRole('button', { name: 'Redeliver' }).click();
      await page.locator('p.ok', { hasText: /^Queued 1 delivery \(failing receiver\)/ }).waitFor();
      await expect.poll(() => attempts.count(), { timeout: 15_000 }).toBe(before + 1);
      // Newest first: the redelivery's attempt, to the receiver that answers 500.
      const newest = await attempts.first().innerText();
      expect(newest).toContain('failing receiver');
      expect(newest).toContain('HTTP 500');
      expect(newest).toContain('down for maintenance');
      expect(newest).toMatch(/\d+ ms/);
      await checkPage('event');
    },
    STEP_MS,
  );

  it(
    'marks the webhook whose receiver answers 500 failing, with its success rate, and pings it',
    async () => {
      await go('#/webhooks', /Webhooks/);
      const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'failing receiver' }) });
      await expect.poll(() => card.locator('.badge').innerText(), { timeout: 15_000 }).toBe('failing');
      expect(await card.innerText()).toMatch(/0 %\s+of \d+ attempts?/);
      expect(await card.locator('dd').nth(1).innerText()).toMatch(/ago|just now/);
      const demo = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'demo receiver' }) });
      expect(await demo.locator('.badge').innerText()).toBe('healthy');
      await card.getByRole('button', { name: 'Test ping to failing receiver' }).click();
      await card.getByText(/^Test ping: HTTP 500 in \d+/).waitFor();
      await card.getByRole('button', { name: 'Disable failing receiver' }).click();
      await expect.poll(() => card.locator('.badge').innerText()).toBe('disabled: disabled over the API');
      await card.getByRole('button', { name: 'Enable failing receiver' }).click();
      await expect.poll(() => card.locator('.badge').innerText()).toBe('healthy');
    },
    STEP_MS,
  );

  it(
    'rotates a secret after a confirmation and shows the new one once',
    async () => {
      const card = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'failing receiver' }) });
      await card.getByRole('button', { name: 'Rotate secret of failing receiver' }).click();
      const confirm = page.getByRole('dialog', { name: 'Rotate the signing secret?' });
      await confirm.getByRole('button', { name: 'Rotate' }).click();
      const shown = page.getByRole('dialog', { name: 'New signing secret' });
      await shown.waitFor();
      const secret = await shown.getByLabel('Secret').inputValue();
      expect(secret).toMatch(/^whsec_/);
      expect(secret).not.toBe(createdSecret);
      expect(await shown.innerText()).toMatch(/previous secret keeps signing until/);
      await shown.getByRole('button', { name: 'I have stored it' }).click();
      await shown.waitFor({ state: 'hidden' });
      expect(await page.content()).not.toContain(secret);
      expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }))).not.toContain(secret);
      await expect.poll(() => card.innerText()).toContain('rotated');
      // The demo receiver is configured in TASKHOOK_WEBHOOKS: its secret is rotated there, so no button.
      const demo = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'demo receiver' }) });
      expect(await demo.getByRole('button', { name: /Rotate/ }).count()).toBe(0);
      await checkPage('webhooks');
    },
    STEP_MS,
  );

  it(
    'charts recent poll runs, or says there is no run history yet where GET /v1/runs answers 404',
    async () => {
      await go('#/poller', /Poller/);
      await page.getByRole('button', { name: 'Poll now' }).click();
      await page.locator('p.ok, p.notice', { hasText: /^(Poll run done in|Another poll run is in progress)/ }).waitFor();
      await page.locator('#no-runs, .chart canvas').first().waitFor();
      // What the page shows follows what the API has: a 404 or no runs is "no run history yet", runs are charted and listed.
      const runs = await fetch(`${local.url}/v1/runs?limit=5`, { headers: { authorization: `Bearer ${local.token}` } });
      const recorded = runs.status === 404 ? [] : ((await runs.json()) as { runs: unknown[] }).runs;
      if (runs.status !== 404) expect(runs.status).toBe(200);
      if (recorded.length === 0) {
        await page.getByText(/^No run history yet/).waitFor();
      } else {
        await expect.poll(() => page.locator('.chart canvas').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
        await expect.poll(() => page.locator('table.stack tbody tr').count()).toBeGreaterThan(0);
      }
      await checkPage('poller');
      // The watch list once the demo has played out, for the README.
      await go('#/tasks', /Tasks/);
      await page.locator('table.stack tbody tr').first().waitFor();
      await screenshot(page, 'overview-1280');
      expect(problems).toEqual([]);
    },
    STEP_MS,
  );
});
