/**
 * "Replay bounded": 200 redeliver calls on one event queue one delivery, not 200, and past 30 a minute a token is
 * told to wait (429 with Retry-After). Over real HTTP against the simulator, with a real receiver.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { REPLAY_BURST } from '../../src/http/replay-limit.js';
import { startApi, type ApiHarness } from '../support/api.js';
import { finishedExport } from '../support/helpers.js';

const TOKEN = 'api-token-replay-0123456789';
const TASK = 't-bp1replaybound001';
let h: ApiHarness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('redelivery', () => {
  it('queues one delivery however often an event is redelivered, and limits a token’s replays', async () => {
    h = await startApi(TOKEN, [finishedExport(TASK, Date.now() - 600_000)]);
    expect((await h.call('POST', '/v1/webhooks', { url: h.receiver.url, events: ['ecs.task.succeeded'] })).status).toBe(201);
    expect((await h.call('POST', '/v1/tasks', { regionId: 'cn-hangzhou', taskId: TASK })).status).toBeLessThan(300);
    expect((await h.call('POST', '/v1/poll')).status).toBe(200);
    const [event] = (await h.call('GET', '/v1/events?type=ecs.task.succeeded')).body.events;
    await expect.poll(() => h!.receiver.received.length).toBe(1);

    const answers = [];
    for (let i = 0; i < 200; i++) answers.push(await h.call('POST', `/v1/events/${event.id}/redeliver`));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(REPLAY_BURST);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused).toHaveLength(200 - REPLAY_BURST);
    expect(refused[0].headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused[0].body.error.code).toBe('TooManyReplays');
    // Every accepted replay names the same waiting delivery.
    expect(new Set(answers.filter((a) => a.status === 202).map((a) => a.body.deliveries[0].id)).size).toBe(1);

    expect((await h.call('POST', '/v1/poll')).status).toBe(200);
    await expect.poll(() => h!.receiver.received.length).toBe(2);
    expect(new Set(h.receiver.received.map((r) => r.headers['webhook-id']))).toEqual(new Set([event.id]));
  });
});
