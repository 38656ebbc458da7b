/**
 * "Watch sources do not step on each other": a hint's speculative watch is its own source, so a user's
 * `POST /v1/tasks` that lands while the hint is still asking ECS is never undone by the hint. Over real HTTP against
 * the simulator, the hint's poll held up by ECS latency.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { taskKeyString } from '../../src/store/port.js';
import { startApi, type ApiHarness } from '../support/api.js';

const API_TOKEN = 'api-token-races-0123456789';
const HINT_TOKEN = 'hint-token-races-0123456789ab';
const fixture = JSON.parse(readFileSync(new URL('../fixtures/hints/actiontrail-export-image.json', import.meta.url), 'utf8')) as Record<string, any>;

let h: ApiHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('a hint racing a registration', () => {
  it('keeps the user’s registration when the hint finds that ECS does not show the task yet', async () => {
    h = await startApi(API_TOKEN);
    h.deps.config.hintTokens = loadConfig({ TASKHOOK_HINT_TOKENS: HINT_TOKEN }).hintTokens;
    const regionId = fixture.data.acsRegion as string;
    const keys = ['t-bp1raceregister01', 't-bp1raceregister02'].map((taskId) => ({ regionId, taskId }));
    // Every ECS answer takes 400 ms: the registrations land while each hint is still polling.
    h.sim.setLatency(400);
    for (const key of keys) {
      const hint = structuredClone(fixture);
      hint.data.responseElements.TaskId = key.taskId;
      const hinted = fetch(`${h.server.url}/v1/hints/${HINT_TOKEN}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(hint),
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const registered = await h.call('POST', '/v1/tasks', key);
      expect(registered.status).toBeLessThan(300);
      const answer = (await (await hinted).json()) as { accepted: boolean; reason?: string };
      expect(answer).toMatchObject({ accepted: false, reason: 'not-found' });
    }
    const watched = await h.deps.store.getTasks(keys);
    for (const key of keys) expect(watched.get(taskKeyString(key))?.sources).toEqual(['api']);
  });
});
