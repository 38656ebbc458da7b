import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { TimerPayloadError } from '../../src/errors.js';
import { pollBudgetMs } from '../../src/budget.js';
import { createPollHandler } from '../../src/fc/poll-handler.js';
import { buildDeps, closeDeps } from '../../src/runtime.js';
import { parseTimerEvent } from '../../src/fc/timer-event.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';

const event = (payload: string) => Buffer.from(JSON.stringify({ triggerTime: '2026-11-27T03:34:09Z', triggerName: 'every-minute', payload }));

describe('the FC timer event', () => {
  it('reads the Buffer FC sends, with an empty payload or JSON options', () => {
    expect(parseTimerEvent(event('')).options).toEqual({});
    expect(parseTimerEvent(event('{"regions":["cn-beijing"]}')).options).toEqual({ regions: ['cn-beijing'] });
    expect(parseTimerEvent(event('')).event.triggerName).toBe('every-minute');
    expect(parseTimerEvent(Buffer.alloc(0)).options).toEqual({});
  });

  it('names what is wrong with a payload it cannot use', () => {
    expect(() => parseTimerEvent(event('poll please'))).toThrow(TimerPayloadError);
    expect(() => parseTimerEvent(event('poll please'))).toThrow(/must be empty or JSON like/);
    expect(() => parseTimerEvent(event('{"regions":"cn-beijing"}'))).toThrow(/must be a list of region ids/);
    expect(() => parseTimerEvent(Buffer.from('{'))).toThrow(/not JSON/);
  });

  it('takes the run budget from the function timeout, or TASKHOOK_POLL_BUDGET when smaller, less a margin', () => {
    expect(pollBudgetMs(300, null)).toBe(290_000);
    expect(pollBudgetMs(300, 240)).toBe(240_000);
    expect(pollBudgetMs(10, null)).toBe(8_000);
    expect(pollBudgetMs(undefined, null)).toBe(50_000);
  });

  it('polls only the regions a payload names', async () => {
    const sim = await startSimulator([
      finishedExport('t-timerhz0000001', Date.now() - 600_000),
      finishedExport('t-timerbj0000001', Date.now() - 600_000, 'cn-beijing'),
    ]);
    const config = loadConfig({
      TASKHOOK_STORE: 'memory',
      TASKHOOK_ECS_ENDPOINT: sim.endpoint,
      TASKHOOK_TASKS: 'cn-hangzhou/t-timerhz0000001,cn-beijing/t-timerbj0000001',
      TASKHOOK_LOG_LEVEL: 'error',
    });
    const deps = await buildDeps(config, () => KEYS);
    try {
      const handler = createPollHandler(() => deps);
      const summary = await handler(event('{"regions":["cn-beijing"]}'), { requestId: 'r1', function: { timeout: 60 } });
      expect(summary).toMatchObject({ leased: true, tasks: { polled: 1 }, events: { 'ecs.task.succeeded': 1 } });
      expect(sim.callLog().every((c) => c.regionId === 'cn-beijing')).toBe(true);
    } finally {
      await closeDeps(deps);
      await sim.stop();
    }
  });
});
