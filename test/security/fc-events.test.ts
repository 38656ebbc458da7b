/**
 * Malformed FC 3.0 HTTP events straight into the API handler, as FC would hand them over: every answer is JSON
 * with an error code and a status below 500, and the handler never throws.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createApiHandler } from '../../src/http/app.js';
import { buildDeps, type AppDeps } from '../../src/runtime.js';

const TOKEN = 'fc-events-token-0123456789';
let deps: AppDeps;
let handler: ReturnType<typeof createApiHandler>;

beforeAll(async () => {
  const config = loadConfig({
    TASKHOOK_API_TOKENS: TOKEN,
    TASKHOOK_STORE: 'memory',
    TASKHOOK_LOG_LEVEL: 'error',
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIfcevents0001',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'fc-events-secret',
  });
  deps = await buildDeps(config, () => config.credentials);
  handler = createApiHandler(() => deps);
});

afterAll(async () => {
  await deps.store.close();
});

const good = (over: Record<string, unknown> = {}, ctx: Record<string, unknown> = {}, http: Record<string, unknown> = {}) => ({
  version: 'v1',
  rawPath: '/v1/tasks',
  body: '',
  isBase64Encoded: false,
  headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  queryParameters: {},
  requestContext: { requestId: 'req-fc', timeEpoch: String(Date.now()), http: { method: 'GET', path: '/v1/tasks', ...http }, ...ctx },
  ...over,
});

const raw = (text: string) => Buffer.from(text);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Malformed envelopes: not JSON, not an object, missing or mistyped fields. */
const envelopes: Array<[string, Buffer]> = [
  ['empty buffer', raw('')],
  ['whitespace', raw('   ')],
  ['truncated JSON', raw('{"version":"v1","rawPath":"/v1/tas')],
  ['not JSON', raw('GET /v1/tasks HTTP/1.1')],
  ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x01])],
  ['null', json(null)],
  ['a number', json(42)],
  ['a string', json('hello')],
  ['an array', json([good()])],
  ['empty object', json({})],
  ...(['rawPath', 'requestContext'] as const).map((k): [string, Buffer] => [`no ${k}`, json({ ...good(), [k]: undefined })]),
  ...[null, 42, true, {}, []].map((v): [string, Buffer] => [`rawPath ${JSON.stringify(v)}`, json(good({ rawPath: v }))]),
  ...[null, 42, 'x', []].map((v): [string, Buffer] => [`requestContext ${JSON.stringify(v)}`, json(good({ requestContext: v }))]),
  ...[null, 42, 'GET', []].map((v): [string, Buffer] => [`http ${JSON.stringify(v)}`, json(good({}, { http: v }))]),
  ...[null, 42, true, {}, [], ''].map((v): [string, Buffer] => [`method ${JSON.stringify(v)}`, json(good({}, {}, { method: v }))]),
  ...[null, 42, 'x', ['a']].map((v): [string, Buffer] => [`headers ${JSON.stringify(v)}`, json(good({ headers: v }))]),
  ...[{ authorization: 42 }, { authorization: null }, { authorization: ['Bearer x'] }, { authorization: { a: 1 } }].map((v): [string, Buffer] => [
    `header value ${JSON.stringify(v)}`,
    json(good({ headers: v })),
  ]),
  ...[null, 42, 'a=b', ['x']].map((v): [string, Buffer] => [`queryParameters ${JSON.stringify(v)}`, json(good({ queryParameters: v }))]),
  ...[{ limit: 5 }, { limit: null }, { limit: ['1'] }, { cursor: { a: 1 } }].map((v): [string, Buffer] => [
    `query value ${JSON.stringify(v)}`,
    json(good({ queryParameters: v })),
  ]),
  ...[42, {}, [], true].map((v): [string, Buffer] => [
    `body ${JSON.stringify(v)}`,
    json(good({ body: v, requestContext: { requestId: 'r', http: { method: 'POST', path: '/v1/tasks' } } })),
  ]),
  ...['yes', 1, null].map((v): [string, Buffer] => [`isBase64Encoded ${JSON.stringify(v)}`, json(good({ isBase64Encoded: v }))]),
  ...['soon', '-1', 'NaN', '9'.repeat(400)].map((v): [string, Buffer] => [`timeEpoch ${v.slice(0, 12)}`, json(good({}, { timeEpoch: v }))]),
  ['version 3', json(good({ version: '3' }))],
  ...[42, null, ['x'], {}].map((v): [string, Buffer] => [`protocol ${JSON.stringify(v)}`, json(good({}, {}, { protocol: v }))]),
  ...[42, {}, ['1.2.3.4']].map((v): [string, Buffer] => [`sourceIp ${JSON.stringify(v)}`, json(good({}, {}, { sourceIp: v }))]),
  ...[42, {}, null].map((v): [string, Buffer] => [`http.path ${JSON.stringify(v)}`, json(good({}, {}, { path: v }))]),
  ...[42, {}, ''].map((v): [string, Buffer] => [`requestContext.time ${JSON.stringify(v)}`, json(good({}, { time: v }))]),
];

/** Well-formed envelopes carrying hostile requests. */
const post = (body: string, headers: Record<string, string> = {}, path = '/v1/tasks', extra: Record<string, unknown> = {}) =>
  json(
    good(
      { rawPath: path, body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers }, ...extra },
      {},
      { method: 'POST', path },
    ),
  );
const get = (path: string, query: Record<string, string> = {}, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
  json(good({ rawPath: path, queryParameters: query, headers }, {}, { method: 'GET', path }));

const requests: Array<[string, Buffer]> = [
  ...[
    '{',
    '[]',
    'null',
    '"x"',
    '1',
    '{"regionId":1}',
    '{"regionId":"cn-hangzhou"}',
    '{"taskId":"t-x"}',
    '{"regionId":"cn-hangzhou","taskId":"../etc"}',
    '{"regionId":"\u0000","taskId":"t-abcdefgh"}',
  ].map((b): [string, Buffer] => [`watch body ${b}`, post(b)]),
  ['base64 body not base64', post('%%%%', {}, '/v1/tasks', { isBase64Encoded: true })],
  ['base64 body of garbage JSON', post(Buffer.from('{"regionId":').toString('base64'), {}, '/v1/tasks', { isBase64Encoded: true })],
  ['text/plain body', post('{"regionId":"cn-hangzhou","taskId":"t-abcdefgh"}', { 'content-type': 'text/plain' })],
  ['no content type', post('{"regionId":"cn-hangzhou","taskId":"t-abcdefgh"}', { 'content-type': '' })],
  ['webhook url typo', post('{"url":"htp:/x"}', {}, '/v1/webhooks')],
  ['webhook to metadata', post('{"url":"http://100.100.100.200/latest/meta-data/"}', {}, '/v1/webhooks')],
  ['webhook events not a list', post('{"url":"https://example.com/h","events":"all"}', {}, '/v1/webhooks')],
  ['webhook filter wrong', post('{"url":"https://example.com/h","filter":{"regions":"cn"}}', {}, '/v1/webhooks')],
  ['huge description', post(JSON.stringify({ url: 'https://example.com/h', description: 'x'.repeat(100_000) }), {}, '/v1/webhooks')],
  ...['', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `bearer ${TOKEN}x`, TOKEN, `Bearer ${TOKEN.slice(0, -1)}`, 'Bearer \u0000'].map((a): [string, Buffer] => [
    `authorization ${JSON.stringify(a).slice(0, 20)}`,
    get('/v1/tasks', {}, { authorization: a }),
  ]),
  ...['abc', '-1', '0', '501', '1e3', '1.5', ' 5'].map((l): [string, Buffer] => [`limit ${l}`, get('/v1/tasks', { limit: l })]),
  ...['garbage!', '%%%', 'a'.repeat(5000), '=='].map((c): [string, Buffer] => [`cursor ${c.slice(0, 10)}`, get('/v1/events', { cursor: c })]),
  ...['ecs.task.nope', "'; DROP TABLE events; --", '<script>'].map((t): [string, Buffer] => [`event type ${t.slice(0, 12)}`, get('/v1/events', { type: t })]),
  ...['t-', 't-%00', 't-../../x', 'x'.repeat(300), 't-αβγδεζηθ'].map((t): [string, Buffer] => [
    `task id ${t.slice(0, 12)}`,
    get(`/v1/tasks/${encodeURIComponent(t)}`, { regionId: 'cn-hangzhou' }),
  ]),
  ...['', 'cn hangzhou', 'CN-HANGZHOU', 'cn-hangzhou,cn-beijing', '../x'].map((r): [string, Buffer] => [
    `region ${r || '(empty)'}`,
    get('/v1/tasks/t-abcdefgh1', { regionId: r }),
  ]),
  ...['/v1/nope', '/v1/tasks/', '/v1//tasks', '/V1/TASKS', '/v1/tasks/%E0%A4%A', '/v1/webhooks/%00', '/v1/events/' + 'e'.repeat(2000)].map(
    (p): [string, Buffer] => [`path ${p.slice(0, 20)}`, get(p)],
  ),
  ...['PUT', 'TRACE', 'OPTIONS', 'CONNECT', 'get'].map((m): [string, Buffer] => [`method ${m}`, json(good({}, {}, { method: m }))]),
  ['recover without since', post('', {}, '/v1/webhooks/wh_nope/recover')],
  ['redeliver unknown event', post('{}', {}, '/v1/events/evt_nope/redeliver')],
  ['patch unknown webhook', json(good({ rawPath: '/v1/webhooks/wh_nope', body: '{"enabled":"yes"}' }, {}, { method: 'PATCH', path: '/v1/webhooks/wh_nope' }))],
];

describe('malformed FC 3.0 HTTP events', () => {
  const cases = [...envelopes, ...requests];

  it(`answers ${cases.length} malformed events with JSON error codes below 500, and never throws`, async () => {
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    for (const [name, event] of cases) {
      let answer: { statusCode?: number; body?: string };
      try {
        answer = await handler(event as never, { requestId: 'req-fc' } as never);
      } catch (error) {
        bad.push(`${name}: threw ${(error as Error).message}`);
        continue;
      }
      const status = answer.statusCode ?? 0;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      let body: { error?: { code?: string } } | undefined;
      try {
        body = JSON.parse(answer.body ?? '') as { error?: { code?: string } };
      } catch {
        /* not JSON */
      }
      if (status >= 500 || status === 0) bad.push(`${name}: status ${status}`);
      else if (status >= 400 && !body?.error?.code) bad.push(`${name}: ${status} without a JSON error code`);
    }
    console.log(`FC events: ${cases.length}; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(bad).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(130);
  });
});
