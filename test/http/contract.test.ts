/**
 * Every route, called over real HTTP with good and bad input, and every answer checked against the generated OpenAPI
 * document: the status is one the operation lists and the body matches its schema. A route, status or field that
 * drifts from the document fails here. At the end every operation must have answered both a 2xx and a 4xx.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishedExport } from '../support/helpers.js';
import { startApi, type ApiHarness } from '../support/api.js';
import { documentChecker, type Answer, type DocumentChecker } from '../support/openapi.js';

const TOKEN = 'contract-token-0123456789abcdef';
const T1 = 't-contract0000001';
const T2 = 't-contract0000002';
let harness: ApiHarness;
let doc: any;
let checker: DocumentChecker;
/** `GET /v1/tasks` → the statuses it answered here. */
const seen = new Map<string, Set<number>>();

beforeAll(async () => {
  harness = await startApi(TOKEN, [finishedExport(T1, Date.now() - 600_000), finishedExport(T2, Date.now() - 600_000, 'cn-beijing')]);
  doc = await (await fetch(harness.server.url + '/openapi.json')).json();
  checker = documentChecker(doc);
});

afterAll(() => harness?.close());

interface Send {
  body?: unknown;
  raw?: string;
  type?: string;
  token?: string | null;
  headers?: Record<string, string>;
}

/** One call of the operation `op` ("GET /v1/tasks/{taskId}") at `path`, checked against the document. */
async function call(op: string, path: string, send: Send = {}, expected?: number): Promise<Answer & { body: any }> {
  const [method, template] = op.split(' ');
  const headers: Record<string, string> = { ...send.headers };
  if (send.token !== null) headers.authorization = `Bearer ${send.token ?? TOKEN}`;
  const payload = send.raw ?? (send.body === undefined ? undefined : JSON.stringify(send.body));
  if (payload !== undefined) headers['content-type'] = send.type ?? 'application/json';
  const res = await fetch(harness.server.url + path, { method, headers, body: payload });
  const text = await res.text();
  const answer = {
    status: res.status,
    headers: res.headers,
    text,
    body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text,
  };
  if (expected !== undefined) expect(answer.status, `${op} at ${path}: ${text.slice(0, 300)}`).toBe(expected);
  checker.check(method, template, answer);
  (seen.get(op) ?? seen.set(op, new Set()).get(op)!).add(answer.status);
  return answer;
}

/** A 400 that names the field and uses the code. */
async function refused(op: string, path: string, send: Send, code: string, field?: string) {
  const res = await call(op, path, send, 400);
  expect(res.body.error, `${op} at ${path}`).toMatchObject({ code, ...(field !== undefined && { field }) });
  expect(res.body.error.requestId).toEqual(expect.any(String));
  return res.body.error as { code: string; message: string; field?: string };
}

let hmacId: string;
let edId: string;
const CONFIG_ID = 'wh_cfg_00c0ffee00c0ffee';

describe('the document', () => {
  it('is served with servers set to the origin it was asked at, and lists every operation once', async () => {
    const res = await call('GET /openapi.json', '/openapi.json', { token: null }, 200);
    expect(res.body.servers).toEqual([{ url: harness.server.url, description: expect.any(String) }]);
    const ids = Object.values(doc.paths).flatMap((item: any) => Object.values(item).map((o: any) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    await refused('GET /openapi.json', '/openapi.json?pretty=1', { token: null }, 'InvalidParameter', 'pretty');
  });

  it('answers the public routes without a token', async () => {
    await call('GET /healthz', '/healthz', { token: null }, 200);
    await refused('GET /healthz', '/healthz?probe=1', { token: null }, 'InvalidParameter', 'probe');
    await call('GET /schemas/ecs-task-event.json', '/schemas/ecs-task-event.json', { token: null }, 200);
    await refused('GET /schemas/ecs-task-event.json', '/schemas/ecs-task-event.json?v=2', { token: null }, 'InvalidParameter', 'v');
  });
});

describe('tasks', () => {
  it('looks a task up live and refuses bad ids, regions and parameters by name', async () => {
    const live = await call('GET /v1/tasks/{taskId}', `/v1/tasks/${T1}?regionId=cn-hangzhou`, {}, 200);
    expect(live.body).toMatchObject({ source: 'live', task: { id: T1, outcome: 'succeeded' } });
    await refused('GET /v1/tasks/{taskId}', `/v1/tasks/oops?regionId=cn-hangzhou`, {}, 'InvalidTaskId.Malformed', 'taskId');
    await refused('GET /v1/tasks/{taskId}', `/v1/tasks/${T1}`, {}, 'MissingParameter', 'regionId');
    await refused('GET /v1/tasks/{taskId}', `/v1/tasks/${T1}?regionId=Not%20A%20Region`, {}, 'InvalidRegionId.Malformed', 'regionId');
    await refused('GET /v1/tasks/{taskId}', `/v1/tasks/${T1}?regionId=cn-hangzhou&cached=yes`, {}, 'InvalidParameter', 'cached');
    await refused('GET /v1/tasks/{taskId}', `/v1/tasks/${T1}?regionId=cn-hangzhou&regionld=x`, {}, 'InvalidParameter', 'regionld');
    await call('GET /v1/tasks/{taskId}', `/v1/tasks/${T1}?regionId=xx-nowhere-1`, {}, 400);
    expect((await call('GET /v1/tasks/{taskId}', `/v1/tasks/t-nosuchtask0001?regionId=cn-hangzhou`, {}, 404)).body.error.code).toBe('InvalidTaskId.NotFound');
    expect((await call('GET /v1/tasks/{taskId}', `/v1/tasks/${T1}?regionId=cn-hangzhou&cached=1`, {}, 404)).body.error.code).toBe('NotWatched');
  });

  it('answers 502 in the error shape when ECS keeps failing', async () => {
    harness.sim.injectFault({ kind: 'http500', times: Infinity });
    try {
      await call('GET /v1/tasks/{taskId}', `/v1/tasks/${T1}?regionId=cn-hangzhou`, {}, 502);
    } finally {
      harness.sim.clearFaults();
    }
  }, 30_000);

  it('watches tasks (201, then 200) and refuses bodies that are wrong, unknown, not JSON or too large', async () => {
    await call('POST /v1/tasks', '/v1/tasks', { body: { regionId: 'cn-hangzhou', taskId: T1 } }, 201);
    await call('POST /v1/tasks', '/v1/tasks', { body: { regionId: 'cn-hangzhou', taskId: T1 } }, 200);
    await call('POST /v1/tasks', '/v1/tasks', { body: { regionId: 'cn-beijing', taskId: T2 } }, 201);
    await refused('POST /v1/tasks', '/v1/tasks', { body: { taskId: T1 } }, 'MissingParameter', 'regionId');
    await refused('POST /v1/tasks', '/v1/tasks', { body: { regionId: 'cn-hangzhou', taskId: 5 } }, 'InvalidTaskId.Malformed', 'taskId');
    const typo = await refused('POST /v1/tasks', '/v1/tasks', { body: { regionId: 'cn-hangzhou', tasksId: T1 } }, 'InvalidParameter', 'tasksId');
    expect(typo.message).toContain('did you mean "taskId"');
    await refused('POST /v1/tasks', '/v1/tasks', { raw: '{"regionId":', type: 'application/json' }, 'InvalidBody');
    await refused('POST /v1/tasks', '/v1/tasks', { raw: '[1,2]' }, 'InvalidBody');
    await refused('POST /v1/tasks', '/v1/tasks', {}, 'InvalidBody');
    expect((await call('POST /v1/tasks', '/v1/tasks', { raw: 'hi', type: 'text/plain' }, 415)).body.error.code).toBe('UnsupportedMediaType');
    expect((await call('POST /v1/tasks', '/v1/tasks', { raw: JSON.stringify({ regionId: 'x'.repeat(1_100_000) }) }, 413)).body.error.code).toBe(
      'PayloadTooLarge',
    );
  });

  it('lists the watch list page by page and refuses cursors it did not hand out', async () => {
    const first = await call('GET /v1/tasks', '/v1/tasks?limit=1', {}, 200);
    expect(first.body.tasks).toHaveLength(1);
    expect(first.body.cursor).toEqual(expect.any(String));
    const next = await call('GET /v1/tasks', `/v1/tasks?limit=1&cursor=${first.body.cursor}`, {}, 200);
    expect(next.body.tasks[0].taskId).not.toBe(first.body.tasks[0].taskId);
    await refused('GET /v1/tasks', '/v1/tasks?cursor=garbage', {}, 'InvalidCursor', 'cursor');
    await refused('GET /v1/tasks', '/v1/tasks?cursor=%%%', {}, 'InvalidCursor', 'cursor');
    await refused('GET /v1/tasks', '/v1/tasks?limit=0', {}, 'InvalidParameter', 'limit');
    await refused('GET /v1/tasks', '/v1/tasks?limit=ten', {}, 'InvalidParameter', 'limit');
    await refused('GET /v1/tasks', '/v1/tasks?limit=501', {}, 'InvalidParameter', 'limit');
    await refused('GET /v1/tasks', '/v1/tasks?page=2', {}, 'InvalidParameter', 'page');
  });
});

describe('webhooks', () => {
  it('registers hmac and ed25519 webhooks, and refuses a typo, a wrong type, a blocked URL by name', async () => {
    const url = harness.receiver.url;
    const hmac = await call('POST /v1/webhooks', '/v1/webhooks', { body: { url, events: ['ecs.task.succeeded'], filter: { regions: ['cn-hangzhou'] } } }, 201);
    hmacId = hmac.body.webhook.id;
    const ed = await call('POST /v1/webhooks', '/v1/webhooks', { body: { url, signing: 'ed25519', filter: { regions: ['cn-hangzhou'] } } }, 201);
    edId = ed.body.webhook.id;
    expect(ed.body.publicKey).toMatch(/^whpk_/);

    const typo = await refused('POST /v1/webhooks', '/v1/webhooks', { body: { url, evnts: ['ecs.task.failed'] } }, 'InvalidParameter', 'evnts');
    expect(typo.message).toContain('did you mean "events"');
    const events = await refused('POST /v1/webhooks', '/v1/webhooks', { body: { url, events: ['ecs.task.done'] } }, 'InvalidEvents', 'events');
    expect(events.message).toContain('ecs.task.succeeded');
    await refused('POST /v1/webhooks', '/v1/webhooks', { body: { url, events: 'ecs.task.failed' } }, 'InvalidEvents', 'events');
    await refused('POST /v1/webhooks', '/v1/webhooks', { body: { url, events: [] } }, 'InvalidEvents', 'events');
    await refused('POST /v1/webhooks', '/v1/webhooks', { body: { url, filter: { zones: ['a'] } } }, 'InvalidFilter', 'filter.zones');
    await refused('POST /v1/webhooks', '/v1/webhooks', { body: { url, filter: { regions: 'cn-hangzhou' } } }, 'InvalidFilter', 'filter.regions');
    await refused('POST /v1/webhooks', '/v1/webhooks', { body: { url, signing: 'rsa' } }, 'InvalidSigning', 'signing');
    await refused('POST /v1/webhooks', '/v1/webhooks', { body: { url, description: 7 } }, 'InvalidDescription', 'description');
    await refused('POST /v1/webhooks', '/v1/webhooks', { body: { url, enabled: false } }, 'InvalidParameter', 'enabled');
    await refused('POST /v1/webhooks', '/v1/webhooks', { body: {} }, 'MissingParameter', 'url');
    await refused(
      'POST /v1/webhooks',
      '/v1/webhooks',
      { body: { url: 'http://100.100.100.200/latest/meta-data/' } },
      'InvalidWebhookUrl.BlockedAddress',
      'url',
    );
    await refused('POST /v1/webhooks', '/v1/webhooks', { body: { url: 'not a url' } }, 'InvalidWebhookUrl', 'url');
  });

  it('shows, changes, tests and rotates webhooks; refuses bad ids and unknown ones', async () => {
    await call('GET /v1/webhooks', '/v1/webhooks', {}, 200);
    await refused('GET /v1/webhooks', '/v1/webhooks?limit=5', {}, 'InvalidParameter', 'limit');
    await call('GET /v1/webhooks/{webhookId}', `/v1/webhooks/${hmacId}`, {}, 200);
    await refused('GET /v1/webhooks/{webhookId}', '/v1/webhooks/nope', {}, 'InvalidWebhookId.Malformed', 'webhookId');
    expect((await call('GET /v1/webhooks/{webhookId}', '/v1/webhooks/wh_000000000000000000000000', {}, 404)).body.error.code).toBe('WebhookNotFound');

    await call('PATCH /v1/webhooks/{webhookId}', `/v1/webhooks/${hmacId}`, { body: { description: 'ops' } }, 200);
    await refused('PATCH /v1/webhooks/{webhookId}', `/v1/webhooks/${hmacId}`, { body: { enabled: 'yes' } }, 'InvalidEnabled', 'enabled');
    await refused('PATCH /v1/webhooks/{webhookId}', `/v1/webhooks/${hmacId}`, { body: { signing: 'ed25519' } }, 'InvalidParameter', 'signing');
    await call('PATCH /v1/webhooks/{webhookId}', '/v1/webhooks/wh_000000000000000000000000', { body: { description: 'x' } }, 404);

    expect((await call('POST /v1/webhooks/{webhookId}/test', `/v1/webhooks/${hmacId}/test`, {}, 200)).body).toMatchObject({ success: true, status: 204 });
    await call('POST /v1/webhooks/{webhookId}/test', '/v1/webhooks/wh_000000000000000000000000/test', {}, 404);
    await refused('POST /v1/webhooks/{webhookId}/test', '/v1/webhooks/hook-1/test', {}, 'InvalidWebhookId.Malformed', 'webhookId');

    await call('GET /v1/webhooks/{webhookId}/public-key', `/v1/webhooks/${edId}/public-key`, {}, 200);
    expect((await call('GET /v1/webhooks/{webhookId}/public-key', `/v1/webhooks/${hmacId}/public-key`, {}, 409)).body.error.code).toBe('WebhookNotAsymmetric');
    await call('GET /v1/webhooks/{webhookId}/public-key', '/v1/webhooks/wh_000000000000000000000000/public-key', {}, 404);
    await refused('GET /v1/webhooks/{webhookId}/public-key', '/v1/webhooks/x/public-key', {}, 'InvalidWebhookId.Malformed', 'webhookId');

    await call('POST /v1/webhooks/{webhookId}/rotate-secret', `/v1/webhooks/${hmacId}/rotate-secret`, {}, 200);
    await call('POST /v1/webhooks/{webhookId}/rotate-secret', `/v1/webhooks/${edId}/rotate-secret`, {}, 200);
    await call('POST /v1/webhooks/{webhookId}/rotate-secret', '/v1/webhooks/wh_000000000000000000000000/rotate-secret', {}, 404);
    await refused('POST /v1/webhooks/{webhookId}/rotate-secret', '/v1/webhooks/x/rotate-secret', {}, 'InvalidWebhookId.Malformed', 'webhookId');
  });

  it('refuses changes to a webhook from TASKHOOK_WEBHOOKS with 409', async () => {
    const at = new Date().toISOString();
    await harness.deps.store.putWebhook({
      id: CONFIG_ID,
      url: harness.receiver.url,
      description: null,
      events: ['ecs.task.succeeded'],
      filter: {},
      enabled: true,
      disabledReason: null,
      secrets: { current: 'whsec_' + randomBytes(32).toString('base64') },
      source: 'config',
      failingSince: null,
      createdAt: at,
      updatedAt: at,
    });
    await call('PATCH /v1/webhooks/{webhookId}', `/v1/webhooks/${CONFIG_ID}`, { body: { url: harness.receiver.url } }, 409);
    await call('POST /v1/webhooks/{webhookId}/rotate-secret', `/v1/webhooks/${CONFIG_ID}/rotate-secret`, {}, 409);
    await call('DELETE /v1/webhooks/{webhookId}', `/v1/webhooks/${CONFIG_ID}`, {}, 409);
  });
});

describe('polls, events, deliveries and runs', () => {
  it('polls now (200), and answers 409 while another run holds the lease', async () => {
    const poll = await call('POST /v1/poll', '/v1/poll', {}, 200);
    expect(poll.body.summary).toMatchObject({ leased: true, events: { 'ecs.task.succeeded': 2 } });
    expect(await harness.deps.store.acquireLease('poll', 'another-run', 60_000, Date.now())).toBe(true);
    try {
      expect((await call('POST /v1/poll', '/v1/poll', {}, 409)).body.summary.leased).toBe(false);
    } finally {
      await harness.deps.store.releaseLease('poll', 'another-run');
    }
    await refused('POST /v1/poll', '/v1/poll?regions=cn-hangzhou', {}, 'InvalidParameter', 'regions');
  });

  it('lists and shows events, page by page, and refuses bad filters, ids and cursors', async () => {
    const first = await call('GET /v1/events', '/v1/events?limit=1', {}, 200);
    expect(first.body.cursor).toEqual(expect.any(String));
    await call('GET /v1/events', `/v1/events?limit=1&cursor=${first.body.cursor}`, {}, 200);
    await call('GET /v1/events', `/v1/events?type=ecs.task.succeeded&regionId=cn-hangzhou&taskId=${T1}`, {}, 200);
    await call('GET /v1/events', '/v1/events?regionId=taskhook&taskId=wh_000000000000000000000000', {}, 200);
    await refused('GET /v1/events', '/v1/events?type=ecs.task.done', {}, 'InvalidParameter', 'type');
    await refused('GET /v1/events', '/v1/events?taskId=oops', {}, 'InvalidTaskId.Malformed', 'taskId');
    await refused('GET /v1/events', '/v1/events?cursor=garbage', {}, 'InvalidCursor', 'cursor');
    // A cursor of another listing is not one of this listing's.
    await refused('GET /v1/tasks', `/v1/tasks?cursor=${first.body.cursor}`, {}, 'InvalidCursor', 'cursor');

    const id = first.body.events[0].id;
    const detail = await call('GET /v1/events/{eventId}', `/v1/events/${id}`, {}, 200);
    expect(detail.body.deliveries.length).toBeGreaterThanOrEqual(0);
    expect((await call('GET /v1/events/{eventId}', '/v1/events/evt_nope', {}, 404)).body.error.code).toBe('EventNotFound');
    await refused('GET /v1/events/{eventId}', '/v1/events/nope', {}, 'InvalidEventId.Malformed', 'eventId');
  });

  it('redelivers (202), and answers 404 and 409 where there is nothing to send to', async () => {
    const hangzhou = (await call('GET /v1/events', `/v1/events?taskId=${T1}&regionId=cn-hangzhou`, {}, 200)).body.events[0];
    const beijing = (await call('GET /v1/events', `/v1/events?taskId=${T2}&regionId=cn-beijing`, {}, 200)).body.events[0];
    await call('POST /v1/events/{eventId}/redeliver', `/v1/events/${hangzhou.id}/redeliver`, {}, 202);
    await call('POST /v1/events/{eventId}/redeliver', `/v1/events/${hangzhou.id}/redeliver`, { body: { webhookId: hmacId } }, 202);
    // Both webhooks filter on cn-hangzhou: nothing subscribes to the Beijing task.
    expect((await call('POST /v1/events/{eventId}/redeliver', `/v1/events/${beijing.id}/redeliver`, {}, 409)).body.error.code).toBe('NoMatchingWebhook');
    await call('POST /v1/events/{eventId}/redeliver', `/v1/events/${hangzhou.id}/redeliver`, { body: { webhookId: 'wh_000000000000000000000000' } }, 404);
    await call('POST /v1/events/{eventId}/redeliver', '/v1/events/evt_nope/redeliver', {}, 404);
    await refused(
      'POST /v1/events/{eventId}/redeliver',
      `/v1/events/${hangzhou.id}/redeliver`,
      { body: { webhookId: 'x' } },
      'InvalidWebhookId.Malformed',
      'webhookId',
    );
    await refused('POST /v1/events/{eventId}/redeliver', `/v1/events/${hangzhou.id}/redeliver`, { body: { webhook: hmacId } }, 'InvalidParameter', 'webhook');
  });

  it('lists attempts page by page and recovers failed deliveries since a time', async () => {
    const first = await call('GET /v1/webhooks/{webhookId}/attempts', `/v1/webhooks/${hmacId}/attempts?limit=1`, {}, 200);
    expect(first.body.attempts).toHaveLength(1);
    if (first.body.cursor) await call('GET /v1/webhooks/{webhookId}/attempts', `/v1/webhooks/${hmacId}/attempts?limit=1&cursor=${first.body.cursor}`, {}, 200);
    await refused('GET /v1/webhooks/{webhookId}/attempts', `/v1/webhooks/${hmacId}/attempts?cursor=garbage`, {}, 'InvalidCursor', 'cursor');
    await call('GET /v1/webhooks/{webhookId}/attempts', '/v1/webhooks/wh_000000000000000000000000/attempts', {}, 404);

    const since = new Date(Date.now() - 3_600_000).toISOString();
    await call('POST /v1/webhooks/{webhookId}/recover', `/v1/webhooks/${hmacId}/recover?since=${since}`, {}, 202);
    await refused('POST /v1/webhooks/{webhookId}/recover', `/v1/webhooks/${hmacId}/recover`, {}, 'MissingParameter', 'since');
    await refused('POST /v1/webhooks/{webhookId}/recover', `/v1/webhooks/${hmacId}/recover?since=yesterday`, {}, 'InvalidParameter', 'since');
    await refused('POST /v1/webhooks/{webhookId}/recover', `/v1/webhooks/${hmacId}/recover?since=2020-01-01T00:00:00Z`, {}, 'InvalidParameter', 'since');
    await call('POST /v1/webhooks/{webhookId}/recover', `/v1/webhooks/wh_000000000000000000000000/recover?since=${since}`, {}, 404);
  });

  it('lists recent runs newest first, page by page: the polls of this test and the runs recorded after them', async () => {
    const summary = (await call('POST /v1/poll', '/v1/poll', {}, 200)).body.summary;
    const base = Date.now() + 3_600_000;
    for (const i of [0, 1, 2]) {
      const startedAt = new Date(base + i * 60_000).toISOString();
      await harness.deps.store.recordRun({ id: `run_${i}`, startedAt, finishedAt: new Date(base + i * 60_000 + 400).toISOString(), summary });
    }
    const first = await call('GET /v1/runs', '/v1/runs?limit=2', {}, 200);
    expect(first.body.runs.map((r: { id: string }) => r.id)).toEqual(['run_2', 'run_1']);
    const next = await call('GET /v1/runs', `/v1/runs?limit=2&cursor=${first.body.cursor}`, {}, 200);
    expect(next.body.runs[0].id).toBe('run_0');
    // After them, the runs the poller kept for each POST /v1/poll above, newest first.
    const all = (await call('GET /v1/runs', '/v1/runs?limit=500', {}, 200)).body.runs as Array<{ id: string; startedAt: string; summary: { leased: boolean } }>;
    expect(all.filter((r) => !r.id.startsWith('run_') && r.summary.leased).length).toBeGreaterThanOrEqual(2);
    expect(all.map((r) => r.startedAt)).toEqual(
      all
        .map((r) => r.startedAt)
        .sort()
        .reverse(),
    );
    await refused('GET /v1/runs', '/v1/runs?cursor=garbage', {}, 'InvalidCursor', 'cursor');
    await refused('GET /v1/runs', '/v1/runs?limit=-1', {}, 'InvalidParameter', 'limit');
  });

  it('stops watching (204, then 404) and removes webhooks (204, then 404)', async () => {
    await call('DELETE /v1/tasks/{taskId}', `/v1/tasks/${T2}?regionId=cn-beijing`, {}, 204);
    await call('DELETE /v1/tasks/{taskId}', `/v1/tasks/${T2}?regionId=cn-beijing`, {}, 404);
    await refused('DELETE /v1/tasks/{taskId}', `/v1/tasks/${T2}`, {}, 'MissingParameter', 'regionId');
    await call('DELETE /v1/webhooks/{webhookId}', `/v1/webhooks/${edId}`, {}, 204);
    await call('DELETE /v1/webhooks/{webhookId}', `/v1/webhooks/${edId}`, {}, 404);
    await refused('DELETE /v1/webhooks/{webhookId}', '/v1/webhooks/nope', {}, 'InvalidWebhookId.Malformed', 'webhookId');
  });
});

describe('hints', () => {
  const HINT = 'contract-hint-token-0123456789';
  /** A task no test watched before: a hint watches it. */
  const T3 = 't-contract0000003';
  const other = { specversion: '1.0', id: 'evt-other', source: 'acs:aliyuncvc', type: 'aliyuncvc:MeetingEvent:MemberOperate', data: {} };
  const trail = {
    specversion: '1.0',
    id: 'evt-trail',
    source: 'acs.ecs',
    type: 'ecs:ActionTrail:ApiCall',
    aliyunregionid: 'cn-beijing',
    data: { eventName: 'ModifyDiskSpec', eventType: 'ApiCall', serviceName: 'Ecs', acsRegion: 'cn-beijing', responseElements: { TaskId: T3 } },
  };
  const inHeader = { 'x-taskhook-hint-token': HINT };

  it('answers 404 while TASKHOOK_HINT_TOKENS is empty, then takes hints by path or header token (202) and refuses a wrong token (401)', async () => {
    harness.sim.addTask(finishedExport(T3, Date.now() - 600_000, 'cn-beijing'));
    harness.deps.config.hintTokens = [];
    expect((await call('POST /v1/hints', '/v1/hints', { token: null, headers: inHeader, body: trail }, 404)).body.error.code).toBe('NotFound');
    harness.deps.config.hintTokens = [HINT];
    expect((await call('POST /v1/hints/{token}', `/v1/hints/${HINT}`, { token: null, body: other }, 202)).body).toMatchObject({
      accepted: false,
      reason: 'ignored',
    });
    const accepted = await call('POST /v1/hints', '/v1/hints', { token: null, headers: inHeader, body: trail }, 202);
    expect(accepted.body).toMatchObject({ accepted: true, kind: 'api-call', regionId: 'cn-beijing', taskIds: [T3], polled: 1 });
    const wrong = await call('POST /v1/hints/{token}', '/v1/hints/not-the-hint-token-000', { token: null, body: trail }, 401);
    expect(wrong.text).not.toContain(HINT);
  });

  it('refuses a body that is no JSON object (400), whatever its content type says, with the bearer API token too', async () => {
    await refused('POST /v1/hints/{token}', `/v1/hints/${HINT}`, { token: null, raw: '[1,2]' }, 'InvalidBody');
    await refused('POST /v1/hints', '/v1/hints', { token: null, headers: inHeader }, 'InvalidBody');
    expect((await call('POST /v1/hints', '/v1/hints', { raw: 'hi', type: 'text/plain' }, 400)).body.error.code).toBe('InvalidBody');
  });
});

describe('doctor', () => {
  it('answers the checks it ran, each with a status', async () => {
    const res = await call('GET /v1/doctor', '/v1/doctor', {}, 200);
    expect(res.body.checks.length).toBeGreaterThan(0);
    for (const check of res.body.checks) expect(['pass', 'warn', 'fail', 'skip']).toContain(check.status);
  });
});

describe('authentication and coverage', () => {
  it('answers 401 on every route that needs a token, as documented', async () => {
    const ids: Record<string, string> = { taskId: T1, webhookId: hmacId, eventId: 'evt_nope' };
    for (const [template, item] of Object.entries<any>(doc.paths)) {
      for (const [method, operation] of Object.entries<any>(item)) {
        if (operation.security.length === 0) continue;
        const path = template.replace(/\{(\w+)\}/g, (_, name: string) => ids[name]);
        const res = await call(`${method.toUpperCase()} ${template}`, path, { token: null, ...(operation.requestBody && { body: {} }) }, 401);
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        await call(`${method.toUpperCase()} ${template}`, path, { token: 'not-the-token-00000000', ...(operation.requestBody && { body: {} }) }, 401);
      }
    }
  });

  it('called every operation of the document with an answer of 2xx and one of 4xx', () => {
    const missing: string[] = [];
    for (const [template, item] of Object.entries<any>(doc.paths)) {
      for (const method of Object.keys(item)) {
        const op = `${method.toUpperCase()} ${template}`;
        const statuses = [...(seen.get(op) ?? [])];
        if (!statuses.some((s) => s >= 200 && s < 300)) missing.push(`${op}: no 2xx`);
        if (!statuses.some((s) => s >= 400 && s < 500)) missing.push(`${op}: no 4xx`);
      }
    }
    expect(missing).toEqual([]);
  });
});
