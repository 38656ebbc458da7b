/**
 * The event's JSON Schema: schemas/ecs-task-event.json is what the schema source generates (`npm run schemas`), it is
 * served at /schemas/ecs-task-event.json, and real deliveries (task, operational and test events) match it and are
 * CloudEvents 1.0 in structured mode as the `cloudevents` SDK reads them.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { CloudEvent } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENT_SCHEMA_PATH, eventJsonSchema } from '../../src/schema/event.js';
import { createLogger } from '../../src/log.js';
import { operationalEvent, publishOperational } from '../../src/webhooks/operational.js';
import { finishedExport } from '../support/helpers.js';
import { startApi, type ApiHarness } from '../support/api.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const committed = JSON.parse(readFileSync(new URL('../../schemas/ecs-task-event.json', import.meta.url), 'utf8'));
const ajv = new Ajv2020({ strict: true, allErrors: true, strictTypes: false });
addFormats(ajv);
const validate = ajv.compile(committed);
const errors = (value: unknown) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApi('schema-token-0123456789abcdef', [finishedExport('t-schema00000001', Date.now() - 600_000)]);
});
afterAll(() => harness?.close());

describe('the event JSON Schema', () => {
  it('is committed exactly as the schema source generates it (run `npm run schemas` after changing src/schema/)', () => {
    expect(committed).toEqual(eventJsonSchema());
    expect(committed.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('is served without a token at /schemas/ecs-task-event.json', async () => {
    const res = await fetch(harness.server.url + EVENT_SCHEMA_PATH);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(committed);
  });

  it('matches the README’s example event, and refuses a body that is not one', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## The event'));
    const example = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]);
    expect(errors(example)).toEqual([]);
    expect(errors({ ...example, data: { ...example.data, task: { ...example.data.task, outcome: 'done' } } })).not.toEqual([]);
    expect(errors({ ...example, type: 'ecs.task.finished' })).not.toEqual([]);
    const { specversion: _, ...withoutVersion } = example;
    expect(errors(withoutVersion)).not.toEqual([]);
  });

  it('matches every body a real delivery carries: task events, an operational event, the test ping', async () => {
    const { receiver, deps } = harness;
    const created = await (
      await fetch(harness.server.url + '/v1/webhooks', {
        method: 'POST',
        headers: { authorization: 'Bearer schema-token-0123456789abcdef', 'content-type': 'application/json' },
        body: JSON.stringify({ url: receiver.url, events: ['*', 'webhook.disabled'] }),
      })
    ).json();
    const post = (path: string, body?: unknown) =>
      fetch(harness.server.url + path, {
        method: 'POST',
        headers: { authorization: 'Bearer schema-token-0123456789abcdef', ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    await post('/v1/tasks', { regionId: 'cn-hangzhou', taskId: 't-schema00000001' });
    const disabled = operationalEvent(
      'webhook.disabled',
      { webhookId: 'wh_gone', reason: 'the endpoint answered 410 Gone', failingSince: null },
      new Date().toISOString(),
    );
    await publishOperational({ store: deps.store, logger: createLogger('error'), now: Date.now }, disabled);
    await post('/v1/poll');
    await post(`/v1/webhooks/${created.webhook.id}/test`);

    const types = receiver.received.map((r) => JSON.parse(r.body).type);
    expect(types).toEqual(expect.arrayContaining(['ecs.task.status_changed', 'ecs.task.succeeded', 'webhook.disabled', 'webhook.test']));
    for (const r of receiver.received) {
      expect(errors(JSON.parse(r.body)), r.body.slice(0, 200)).toEqual([]);
      expect(r.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
      expect(r.event, 'the cloudevents SDK reads it as a structured CloudEvent').not.toBeNull();
      expect(new CloudEvent(r.event!).validate()).toBe(true);
      expect(r.event!.specversion).toBe('1.0');
    }
  });
});
