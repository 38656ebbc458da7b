/**
 * POST /v1/hints with every event shape Alibaba Cloud's samples allow, over real HTTP against the ECS simulator:
 * both type spellings and both sources, records with and without a TaskId (looked up with one DescribeTasks per
 * region, task action and minute), ModifySnapshotCategory as the ArchiveSnapshot task, and bodies sent with any
 * content type or none.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { SimTask } from '../../src/ecs/simulator/index.js';
import { HINT_TOKEN_HEADER } from '../../src/http/routes/hints.js';
import { hintAnswer } from '../../src/schema/api/hints.js';
import { taskKeyString, type TaskKey } from '../../src/store/port.js';
import { startApi, type ApiHarness } from '../support/api.js';
import { finishedExport } from '../support/helpers.js';

const API_TOKEN = 'api-token-shapes-0123456789';
const HINT_TOKEN = 'hint-token-shapes-0123456789';
const MINUTE = 60_000;

const DIR = new URL('../fixtures/hints/', import.meta.url);
const fixture = (name: string): Record<string, any> => JSON.parse(readFileSync(new URL(name, DIR), 'utf8'));

let h: ApiHarness;

beforeAll(async () => {
  h = await startApi(API_TOKEN);
  h.deps.config.hintTokens = loadConfig({ TASKHOOK_HINT_TOKENS: HINT_TOKEN }).hintTokens;
});

afterAll(() => h?.close());

/** Each call runs on a clock an hour past the last: the hint bucket is full again and earlier lookups are forgotten. */
let hours = 0;
async function later<T>(fn: () => Promise<T>): Promise<T> {
  const at = Date.now() + ++hours * 3_600_000;
  const real = h.deps.now;
  h.deps.now = () => at;
  try {
    return await fn();
  } finally {
    h.deps.now = real;
  }
}

async function hint(body: unknown, contentType: string | null = 'application/json') {
  const headers: Record<string, string> = { [HINT_TOKEN_HEADER]: HINT_TOKEN };
  if (contentType !== null) headers['content-type'] = contentType;
  const res = await fetch(`${h.server.url}/v1/hints`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}

/** A POST with no content-type header at all (fetch would label a string body text/plain). */
function postWithoutContentType(path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${h.server.url}${path}`, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const recordOf = async (key: TaskKey) => (await h.deps.store.getTasks([key])).get(taskKeyString(key));
const eventsOf = async (key: TaskKey) => (await h.deps.store.listEvents({ ...key, limit: 50 })).items.map((e) => e.event.type);
/** DescribeTasks calls by action and time window (the lookups), as opposed to those naming task ids (the polls). */
const lookups = () => h.sim.callLog().filter((c) => c.action === 'DescribeTasks' && (c.taskIds ?? []).length === 0).length;
const ecsCalls = () => h.sim.callLog().length;

/** A minute of the past no other test uses, so each lookup sees only the tasks its test made. */
let minutesBack = 0;
const freshMinute = () => Math.floor(Date.now() / MINUTE) * MINUTE - (minutesBack += 15) * MINUTE;

function task(taskId: string, action: string, regionId: string, createdAt: number, finished = true): SimTask {
  const done = finishedExport(taskId, createdAt, regionId);
  return finished ? { ...done, action } : { ...done, action, timeline: done.timeline.slice(0, 2), result: undefined };
}

/** The record inside the fixture (the envelope's `data`, or the fixture itself when bare), called at `at`. */
function calledAt(event: Record<string, any>, at: number) {
  const record = event.data ?? event;
  record.eventTime = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (event.data) event.time = record.eventTime;
  return event;
}

describe('records with a TaskId, in every type spelling and source', () => {
  it.each([
    ['actiontrail-export-image.json', 'ecs:ActionTrail:ApiCall', 'acs.ecs', 'cn-hangzhou', 'ExportImage'],
    ['actiontrail-sample-import-image-with-response.json', 'actiontrail:ActionTrail:ApiCall', 'acs.actiontrail', 'cn-beijing', 'ImportImage'],
    ['actiontrail-sample-modify-snapshot-category-archive.json', 'actiontrail:ActionTrail:ApiCall', 'acs.ecs', 'cn-beijing', 'ArchiveSnapshot'],
  ])('%s (%s, %s) watches the task it names and polls it', async (name, type, source, regionId, action) => {
    const event = fixture(name);
    expect([event.type, event.source]).toEqual([type, source]);
    const taskId = `t-shape${String(++minutesBack).padStart(12, '0')}`;
    event.data.responseElements.TaskId = taskId;
    h.sim.addTask(task(taskId, action, regionId, Date.now() - 10 * MINUTE));
    const res = await later(() => hint(event));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: true, kind: 'api-call', regionId, taskIds: [taskId], polled: 1, events: { 'ecs.task.succeeded': 1 } });
    expect(res.body.lookup).toBeUndefined();
    expect(await recordOf({ regionId, taskId })).toMatchObject({ sources: ['hint'], active: false, snapshot: { action, outcome: 'succeeded' } });
  });
});

describe('records without a TaskId', () => {
  it.each([
    ['eventbridge-sample-export-image-actiontrail-type.json', 'cn-hangzhou', 'ExportImage'],
    ['eventbridge-sample-export-image-ecs-type.json', 'cn-hangzhou', 'ExportImage'],
    ['actiontrail-sample-redeploy-instance-no-response.json', 'cn-beijing', 'RedeployInstance'],
    ['actiontrail-sample-bare-export-image-no-response.json', 'cn-beijing', 'ExportImage'],
    ['actiontrail-sample-modify-snapshot-category-no-response.json', 'cn-beijing', 'ArchiveSnapshot'],
    ['actiontrail-response-string-without-task-id.json', 'cn-beijing', 'ExportImage'],
  ])('%s: one DescribeTasks finds the task, which is watched and its completion recorded', async (name, regionId, action) => {
    const minute = freshMinute();
    const taskId = `t-found${String(minutesBack).padStart(12, '0')}`;
    h.sim.addTask(task(taskId, action, regionId, minute + 20_000));
    // Neither another action in the same minute nor the same action minutes before the window is the call's task.
    const otherAction = `t-other${String(minutesBack).padStart(12, '0')}`;
    const earlier = `t-early${String(minutesBack).padStart(12, '0')}`;
    h.sim.addTask(task(otherAction, action === 'ImportImage' ? 'ExportImage' : 'ImportImage', regionId, minute + 25_000));
    h.sim.addTask(task(earlier, action, regionId, minute - 7 * MINUTE));

    const before = lookups();
    const res = await later(() => hint(calledAt(fixture(name), minute + 19_000)));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      accepted: true,
      kind: 'api-call',
      regionId,
      taskIds: [taskId],
      polled: 1,
      events: { 'ecs.task.succeeded': 1 },
      lookup: { call: 'DescribeTasks', found: 1, watched: 1 },
    });
    expect(res.body.ecsCalls.DescribeTasks).toBeGreaterThanOrEqual(2);
    // The documented answer holds every field this one has, the lookup among them.
    expect(hintAnswer.parse(res.body)).toEqual(res.body);
    expect(lookups() - before).toBe(1);
    expect(await recordOf({ regionId, taskId })).toMatchObject({ sources: ['hint'], active: false, snapshot: { action, outcome: 'succeeded' } });
    expect(await eventsOf({ regionId, taskId })).toContain('ecs.task.succeeded');
    expect(await recordOf({ regionId, taskId: otherAction })).toBeUndefined();
    expect(await recordOf({ regionId, taskId: earlier })).toBeUndefined();
  });

  it('watches a task still running, and the next poll run finds its completion', async () => {
    const minute = freshMinute();
    const key = { regionId: 'cn-hangzhou', taskId: 't-running0000000001' };
    h.sim.addTask(task(key.taskId, 'ExportImage', key.regionId, minute + 5_000, false));
    const res = await later(() => hint(calledAt(fixture('eventbridge-sample-export-image-actiontrail-type.json'), minute + 4_000)));
    expect(res.body).toMatchObject({ accepted: true, taskIds: [key.taskId], polled: 1, events: {}, lookup: { found: 1, watched: 1 } });
    expect(await recordOf(key)).toMatchObject({ sources: ['hint'], active: true, snapshot: { outcome: 'running' } });

    h.sim.addTask(task(key.taskId, 'ExportImage', key.regionId, minute + 5_000));
    expect((await h.call('POST', '/v1/poll')).status).toBe(200);
    expect(await recordOf(key)).toMatchObject({ active: false, snapshot: { outcome: 'succeeded' } });
    expect(await eventsOf(key)).toContain('ecs.task.succeeded');
  });

  it('watches only the tasks not watched yet, and says how many DescribeTasks found', async () => {
    const minute = freshMinute();
    const watched = { regionId: 'cn-hangzhou', taskId: 't-watched000000001' };
    const fresh = { regionId: 'cn-hangzhou', taskId: 't-fresh00000000001' };
    h.sim.addTask(task(watched.taskId, 'ExportImage', 'cn-hangzhou', minute + 1_000, false));
    h.sim.addTask(task(fresh.taskId, 'ExportImage', 'cn-hangzhou', minute + 2_000));
    await h.deps.store.watchTask(watched, 'config', new Date().toISOString());
    const res = await later(() => hint(calledAt(fixture('eventbridge-sample-export-image-ecs-type.json'), minute + 1_000)));
    expect(res.body).toMatchObject({ accepted: true, taskIds: [fresh.taskId], lookup: { found: 2, watched: 1 } });
    expect(await recordOf(watched)).toMatchObject({ sources: ['config'] });
  });

  it('makes one DescribeTasks for a burst of 20 hints of one region, action and minute, and one more for the next minute', async () => {
    const minute = freshMinute();
    const key = { regionId: 'cn-hangzhou', taskId: 't-burst00000000001' };
    h.sim.addTask(task(key.taskId, 'ExportImage', key.regionId, minute + 30_000));
    const events = Array.from({ length: 20 }, (_, i) => calledAt(fixture('eventbridge-sample-export-image-actiontrail-type.json'), minute + i * 2_500));
    const before = lookups();
    const at = Date.now() + ++hours * 3_600_000;
    const real = h.deps.now;
    try {
      h.deps.now = () => at;
      const answers = await Promise.all(events.map((event) => hint(event)));
      expect(answers.every((a) => a.status === 202)).toBe(true);
      expect(answers.filter((a) => a.body.accepted === true)).toHaveLength(1);
      expect(answers.filter((a) => a.body.reason === 'duplicate')).toHaveLength(19);
      expect(lookups() - before).toBe(1);
      expect(await recordOf(key)).toMatchObject({ sources: ['hint'] });

      // Half a minute later, past the 5 s duplicate window of a single task, the minute counts as looked up still.
      h.deps.now = () => at + 30_000;
      const again = await hint(calledAt(fixture('eventbridge-sample-export-image-ecs-type.json'), minute + 59_000));
      expect(again.body).toMatchObject({ accepted: false, reason: 'duplicate', detail: expect.stringContaining('DescribeTasks') });
      expect(lookups() - before).toBe(1);

      // A later minute is another key: one more lookup, which finds no task created around it.
      h.deps.now = () => at + 31_000;
      const nextMinute = await hint(calledAt(fixture('eventbridge-sample-export-image-ecs-type.json'), minute + 4 * MINUTE));
      expect(nextMinute.body).toMatchObject({ accepted: false, reason: 'not-found' });
      expect(lookups() - before).toBe(2);
    } finally {
      h.deps.now = real;
    }
  });

  it('answers not-found when DescribeTasks shows no task of the call, and watches nothing', async () => {
    const minute = freshMinute();
    const before = lookups();
    const res = await later(() => hint(calledAt(fixture('actiontrail-sample-redeploy-instance-no-response.json'), minute)));
    expect(res.body).toEqual({ accepted: false, reason: 'not-found', detail: expect.stringContaining('DescribeTasks') });
    expect(lookups() - before).toBe(1);
  });

  it('answers unanswered when DescribeTasks fails, and watches nothing', async () => {
    const minute = freshMinute();
    const taskId = 't-unanswered000001';
    h.sim.addTask(task(taskId, 'ExportImage', 'cn-hangzhou', minute + 1_000));
    h.sim.injectFault({ kind: 'signatureMismatch', action: 'DescribeTasks', times: 1 });
    const res = await later(() => hint(calledAt(fixture('eventbridge-sample-export-image-ecs-type.json'), minute)));
    h.sim.clearFaults();
    expect(res.body).toEqual({ accepted: false, reason: 'unanswered', detail: expect.stringContaining('DescribeTasks') });
    expect(await recordOf({ regionId: 'cn-hangzhou', taskId })).toBeUndefined();
  });

  it('still starts nothing for a failed call (errorCode), with no ECS call', async () => {
    const event = calledAt(fixture('eventbridge-sample-export-image-actiontrail-type.json'), freshMinute());
    event.data.errorCode = 'InvalidImageId.NotFound';
    const before = ecsCalls();
    const res = await later(() => hint(event));
    expect(res.body).toMatchObject({ accepted: false, reason: 'ignored', detail: 'the call failed, so it started no task' });
    expect(ecsCalls()).toBe(before);
  });
});

describe('ModifySnapshotCategory', () => {
  it('with Category=Archive is watched as the ArchiveSnapshot task; with Category=Standard it is ignored', async () => {
    const archive = fixture('actiontrail-sample-modify-snapshot-category-archive.json');
    const key = { regionId: 'cn-beijing', taskId: 't-2zehintarchive001' };
    h.sim.addTask(task(key.taskId, 'ArchiveSnapshot', key.regionId, Date.now() - 10 * MINUTE, false));
    const res = await later(() => hint(archive));
    expect(res.body).toMatchObject({ accepted: true, taskIds: [key.taskId], polled: 1 });
    expect(await recordOf(key)).toMatchObject({ sources: ['hint'], active: true, snapshot: { action: 'ArchiveSnapshot' } });

    const standard = fixture('actiontrail-sample-modify-snapshot-category-standard.json');
    h.sim.addTask(task('t-2zehintstandard01', 'ArchiveSnapshot', 'cn-beijing', Date.now() - 10 * MINUTE));
    const before = ecsCalls();
    const ignored = await later(() => hint(standard));
    expect(ignored).toEqual({
      status: 202,
      body: { accepted: false, reason: 'ignored', detail: 'a ModifySnapshotCategory call whose Category is not Archive starts no archive task' },
    });
    expect(ecsCalls()).toBe(before);
    expect(await recordOf({ regionId: 'cn-beijing', taskId: 't-2zehintstandard01' })).toBeUndefined();
  });
});

describe('content types', () => {
  it('takes a hint sent as text/plain, with another content type, or with none', async () => {
    const ids = ['t-plain000000000001', 't-octet000000000001', 't-nontype000000001'];
    for (const id of ids) h.sim.addTask(finishedExport(id, Date.now() - 10 * MINUTE));
    const event = (taskId: string) => {
      const body = fixture('actiontrail-export-image.json');
      body.data.responseElements.TaskId = taskId;
      return body;
    };
    const plain = await later(() => hint(event(ids[0]), 'text/plain;charset=utf-8'));
    const octets = await later(() => hint(event(ids[1]), 'application/octet-stream'));
    const none = await later(() => postWithoutContentType('/v1/hints', JSON.stringify(event(ids[2])), { [HINT_TOKEN_HEADER]: HINT_TOKEN }));
    for (const [i, res] of [plain, octets, none].entries()) {
      expect(res.status, ids[i]).toBe(202);
      expect(res.body, ids[i]).toMatchObject({ accepted: true, taskIds: [ids[i]] });
    }
  });

  it('still answers 400 on the hint route for a body that is no JSON object, whatever its content type', async () => {
    for (const [body, type] of [
      ['hi', 'text/plain'],
      ['[1,2]', null],
    ] as const) {
      const headers: Record<string, string> = { [HINT_TOKEN_HEADER]: HINT_TOKEN, ...(type && { 'content-type': type }) };
      const res = type ? await fetch(`${h.server.url}/v1/hints`, { method: 'POST', headers, body }) : await postWithoutContentType('/v1/hints', body, headers);
      const answer = 'json' in res ? { status: res.status, body: await res.json() } : res;
      expect(answer.status, body).toBe(400);
      expect(answer.body.error.code, body).toBe('InvalidBody');
    }
  });

  it('keeps 415 on the other JSON routes, with text/plain and with no content type', async () => {
    const body = JSON.stringify({ regionId: 'cn-hangzhou', taskId: 't-not0watched00001' });
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    const plain = await fetch(`${h.server.url}/v1/tasks`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body });
    expect(plain.status).toBe(415);
    expect((await plain.json()).error.code).toBe('UnsupportedMediaType');
    const none = await postWithoutContentType('/v1/tasks', body, auth);
    expect(none.status).toBe(415);
    expect(none.body.error.code).toBe('UnsupportedMediaType');
    expect(await recordOf({ regionId: 'cn-hangzhou', taskId: 't-not0watched00001' })).toBeUndefined();
  });
});
