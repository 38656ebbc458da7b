/**
 * POST /v1/hints over real HTTP, against the ECS simulator: an ActionTrail hint watches and polls its task at
 * once, an Image:StateChange polls the import of the image, tokens are checked without being named, a forged hint
 * changes nothing, and hints past the rate are answered without a poll.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { SimTask } from '../../src/ecs/simulator/index.js';
import { createApiHandler } from '../../src/http/app.js';
import { HINT_BURST, HINT_TOKEN_HEADER } from '../../src/http/routes/hints.js';
import { startLocalServer } from '../../src/local/http-server.js';
import { createLogger } from '../../src/log.js';
import { taskKeyString, type TaskKey } from '../../src/store/port.js';
import { startApi, type ApiHarness } from '../support/api.js';
import { captureLogs, finishedExport } from '../support/helpers.js';

const API_TOKEN = 'api-token-hints-0123456789';
const HINT_TOKEN = 'hint-token-0123456789abcdef';
const WRONG = 'wrong-token-000000000000';
const IMPORT = 't-bp1hintimport0001';
const IMAGE = 'm-bp1hintimage00001';
const EXPORT = 't-bp1hintexport0001';

const DIR = new URL('../fixtures/hints/', import.meta.url);
const fixture = (name: string): Record<string, any> => JSON.parse(readFileSync(new URL(name, DIR), 'utf8'));
/** The ExportImage ActionTrail fixture, about another task of the same region. */
const exportCall = (taskId: string) => {
  const event = fixture('actiontrail-export-image.json');
  event.data.responseElements.TaskId = taskId;
  return event;
};

function importTask(timeline: SimTask['timeline'], result?: SimTask['result']): SimTask {
  return {
    taskId: IMPORT,
    regionId: 'cn-hangzhou',
    action: 'ImportImage',
    resourceId: IMAGE,
    createdAt: Date.now() - 120_000,
    timeline,
    ...(result && { result }),
  };
}

let h: ApiHarness;

beforeAll(async () => {
  h = await startApi(API_TOKEN, [
    finishedExport(EXPORT, Date.now() - 600_000),
    importTask([
      { afterMs: 0, status: 'Waiting', progress: 0 },
      { afterMs: 1_000, status: 'Processing', progress: 20 },
    ]),
  ]);
  // The harness reads its config from an environment without the hint variable: the real parser gives it one.
  h.deps.config.hintTokens = loadConfig({ TASKHOOK_HINT_TOKENS: HINT_TOKEN }).hintTokens;
});

afterAll(() => h?.close());

async function hint(body: unknown, auth: { path?: string; header?: string; bearer?: string } = { path: HINT_TOKEN }) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.header !== undefined) headers[HINT_TOKEN_HEADER] = auth.header;
  if (auth.bearer !== undefined) headers.authorization = `Bearer ${auth.bearer}`;
  const res = await fetch(`${h.server.url}/v1/hints${auth.path === undefined ? '' : `/${auth.path}`}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
}

const ecsCalls = () => Object.values(h.sim.calls()).reduce((a, b) => a + b, 0);
const eventsOf = async (key: TaskKey) => (await h.deps.store.listEvents({ ...key, limit: 50 })).items.map((e) => e.event.type);
const recordOf = async (key: TaskKey) => (await h.deps.store.getTasks([key])).get(taskKeyString(key));

/** Runs `fn` on a clock that stands still at `at`, then gives the harness its clock back. */
async function frozenAt<T>(at: number, fn: () => Promise<T>): Promise<T> {
  const real = h.deps.now;
  h.deps.now = () => at;
  try {
    return await fn();
  } finally {
    h.deps.now = real;
  }
}

describe('an ActionTrail hint', () => {
  it('watches the task it names, polls it at once and delivers its event within the request', async () => {
    const hook = await fetch(`${h.server.url}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: h.receiver.url }),
    });
    expect(hook.status).toBe(201);
    const key = { regionId: 'cn-hangzhou', taskId: EXPORT };
    expect(await recordOf(key)).toBeUndefined();

    const res = await hint(fixture('actiontrail-export-image.json'));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      accepted: true,
      kind: 'api-call',
      regionId: 'cn-hangzhou',
      taskIds: [EXPORT],
      polled: 1,
      events: { 'ecs.task.succeeded': 1 },
    });
    // Right away, with no sweep: watched through the API, terminal, its event recorded and delivered.
    expect(await recordOf(key)).toMatchObject({ sources: ['hint'], active: false, snapshot: { outcome: 'succeeded' } });
    expect(await eventsOf(key)).toContain('ecs.task.succeeded');
    expect(h.receiver.received.map((r) => r.event?.type)).toContain('ecs.task.succeeded');
  });

  it('polls an already watched task without adding a source, and a finished one not at all', async () => {
    const before = ecsCalls();
    const again = await frozenAt(Date.now() + 60_000, () => hint(fixture('actiontrail-export-image.json')));
    expect(again.body).toMatchObject({ accepted: true, taskIds: [EXPORT], polled: 0, events: {} });
    expect(ecsCalls()).toBe(before);
    expect(await recordOf({ regionId: 'cn-hangzhou', taskId: EXPORT })).toMatchObject({ sources: ['hint'] });
  });

  it('for a task ECS does not know changes nothing: not watched, no event, at most two ECS calls', async () => {
    const forged = { regionId: 'cn-hangzhou', taskId: 't-bp1forged0000001' };
    const before = ecsCalls();
    const res = await hint(exportCall(forged.taskId));
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: false, reason: 'not-found', detail: expect.any(String) });
    expect(ecsCalls() - before).toBeGreaterThan(0);
    expect(ecsCalls() - before).toBeLessThanOrEqual(2);
    expect(await recordOf(forged)).toBeUndefined();
    expect(await eventsOf(forged)).toEqual([]);
  });

  it('answers the same task hinted twice within seconds as a duplicate, without a second poll', async () => {
    const taskId = 't-bp1duplicate00001';
    h.sim.addTask(finishedExport(taskId, Date.now() - 600_000));
    const [first, second] = await frozenAt(Date.now() + 120_000, async () => [await hint(exportCall(taskId)), await hint(exportCall(taskId))]);
    expect(first.body).toMatchObject({ accepted: true, taskIds: [taskId] });
    expect(second.body).toMatchObject({ accepted: false, reason: 'duplicate' });
  });
});

describe('an Image:StateChange hint', () => {
  it('polls the watched ImportImage task of the image now, and its completion is recorded at once', async () => {
    const key = { regionId: 'cn-hangzhou', taskId: IMPORT };
    const call = (method: string, path: string, body?: unknown) =>
      fetch(h.server.url + path, {
        method,
        headers: { authorization: `Bearer ${API_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    expect((await call('POST', '/v1/tasks', key)).status).toBe(201);
    expect((await call('POST', '/v1/poll')).status).toBe(200);
    expect(await recordOf(key)).toMatchObject({ active: true, snapshot: { action: 'ImportImage', resourceId: IMAGE, outcome: 'running' } });

    // The import finishes in ECS; the image's state change is the only news of it.
    h.sim.addTask(
      importTask(
        [
          { afterMs: 0, status: 'Waiting', progress: 0 },
          { afterMs: 1_000, status: 'Finished', progress: 100 },
        ],
        { totalCount: 1, successCount: 1, failedCount: 0, operations: [{ status: 'Success', relatedItems: [{ name: 'ImageId', value: IMAGE }] }] },
      ),
    );
    const res = await hint(fixture('image-state-available.json'), { header: HINT_TOKEN });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: true, kind: 'image-state', taskIds: [IMPORT], polled: 1, events: { 'ecs.task.succeeded': 1 } });
    expect(await recordOf(key)).toMatchObject({ active: false, snapshot: { outcome: 'succeeded' } });
    expect(await eventsOf(key)).toContain('ecs.task.succeeded');
  });

  it('of an image no watched import works on polls nothing', async () => {
    const event = fixture('image-state-create-failed.json');
    event.data.content.imageId = 'm-bp1nobodyimports01';
    const before = ecsCalls();
    const res = await hint(event);
    expect(res.body).toEqual({ accepted: false, reason: 'unmatched', detail: expect.any(String) });
    expect(ecsCalls()).toBe(before);
  });
});

describe('authentication', () => {
  it('takes the hint token in the path or the header, and a bearer API token; an event it does not use is ignored (202)', async () => {
    const other = fixture('eventbridge-other-event.json');
    for (const auth of [{ path: HINT_TOKEN }, { header: HINT_TOKEN }, { bearer: API_TOKEN }]) {
      const res = await hint(other, auth);
      expect(res.status, JSON.stringify(Object.keys(auth))).toBe(202);
      expect(res.body).toMatchObject({ accepted: false, reason: 'ignored' });
    }
  });

  it('refuses a hint without a token or with a wrong one (401), naming no token, and reads no byte of its body', async () => {
    const before = ecsCalls();
    const { result, lines } = await captureLogs(async () => {
      const logger = h.deps.logger;
      h.deps.logger = createLogger('debug');
      try {
        return [
          await hint(fixture('actiontrail-import-image.json'), {}),
          await hint(fixture('actiontrail-import-image.json'), { path: WRONG }),
          await hint(fixture('actiontrail-import-image.json'), { header: WRONG }),
          await hint(fixture('actiontrail-import-image.json'), { bearer: WRONG }),
          // The API token is no hint token, and the hint token no bearer token.
          await hint(fixture('actiontrail-import-image.json'), { path: API_TOKEN }),
          await hint(fixture('actiontrail-import-image.json'), { bearer: HINT_TOKEN }),
        ];
      } finally {
        h.deps.logger = logger;
      }
    });
    for (const res of result) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('Unauthorized');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      for (const token of [HINT_TOKEN, API_TOKEN, WRONG]) expect(res.text).not.toContain(token);
    }
    for (const token of [HINT_TOKEN, API_TOKEN, WRONG]) expect(lines.join('\n')).not.toContain(token);
    expect(ecsCalls()).toBe(before);
  });

  it('passes the guard of the local server (npm start), which checks bearer tokens before reading a body', async () => {
    const guarded = await startLocalServer(createApiHandler(() => h.deps) as never, 0, undefined, { apiTokens: [API_TOKEN] });
    try {
      const post = (path: string, headers: Record<string, string> = {}) =>
        fetch(guarded.url + path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(fixture('eventbridge-other-event.json')),
        });
      expect((await post(`/v1/hints/${HINT_TOKEN}`)).status).toBe(202);
      expect((await post('/v1/hints', { [HINT_TOKEN_HEADER]: HINT_TOKEN })).status).toBe(202);
      expect((await post(`/v1/hints/${WRONG}`)).status).toBe(401);
      // Only the hint routes are let through: the rest of /v1 still needs the bearer token at the door.
      expect((await post(`/v1/hints/${HINT_TOKEN}/more`)).status).toBe(401);
      expect((await post('/v1/poll')).status).toBe(401);
    } finally {
      await guarded.close();
    }
  });

  it('answers 404 while no hint token is configured, whatever is sent', async () => {
    const tokens = h.deps.config.hintTokens;
    h.deps.config.hintTokens = [];
    try {
      for (const auth of [{}, { path: HINT_TOKEN }, { header: HINT_TOKEN }, { bearer: API_TOKEN }]) {
        const res = await hint(fixture('actiontrail-import-image.json'), auth);
        expect(res.status).toBe(404);
        expect(res.body.error).toMatchObject({ code: 'NotFound', message: expect.stringContaining('TASKHOOK_HINT_TOKENS') });
        for (const token of [HINT_TOKEN, API_TOKEN]) expect(res.text).not.toContain(token);
      }
    } finally {
      h.deps.config.hintTokens = tokens;
    }
  });
});

describe('pacing', () => {
  it(`polls at most ${HINT_BURST} hints at once; the rest are answered 202 for the rate and neither watched nor polled`, async () => {
    const ids = Array.from({ length: HINT_BURST + 4 }, (_, i) => `t-bp1ratehint${String(i).padStart(5, '0')}`);
    for (const id of ids) h.sim.addTask(finishedExport(id, Date.now() - 600_000));
    // A clock that stands still: the bucket refills once (a quiet spell) and never during the burst.
    const answers = await frozenAt(Date.now() + 3_600_000, async () => {
      const out: Array<{ id: string; calls: number; res: Awaited<ReturnType<typeof hint>> }> = [];
      for (const id of ids) out.push({ id, calls: ecsCalls(), res: await hint(exportCall(id)) });
      return out.map((a, i) => ({ ...a, cost: (i + 1 < out.length ? out[i + 1].calls : ecsCalls()) - a.calls }));
    });
    const admitted = answers.filter((a) => a.res.body.accepted === true);
    const paced = answers.filter((a) => a.res.body.reason === 'rate');
    expect(answers.every((a) => a.res.status === 202)).toBe(true);
    expect(admitted).toHaveLength(HINT_BURST);
    expect(paced.map((a) => a.id)).toEqual(ids.slice(HINT_BURST));
    for (const a of admitted) expect(await eventsOf({ regionId: 'cn-hangzhou', taskId: a.id })).toContain('ecs.task.succeeded');
    for (const a of paced) {
      expect(a.cost, a.id).toBe(0);
      expect(await recordOf({ regionId: 'cn-hangzhou', taskId: a.id })).toBeUndefined();
    }
  });
});
