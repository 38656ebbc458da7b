import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { background, freshDir, taskhook, type Background } from './cli-process.js';

/** One demo `taskhook start` in a folder of its own; every command below runs in that folder with no settings of its own. */
let dir: string;
let instance: Background;
let api: { url: string; token: string };
let demoTask: { taskId: string; regionId: string };
let receiver: Receiver;
const secrets: string[] = [];

const inFolder = (args: string[], env: Record<string, string> = {}) => taskhook(args, { cwd: dir, env });
const call = async (path: string) => (await fetch(api.url + path, { headers: { authorization: `Bearer ${api.token}` } })).json();

beforeAll(async () => {
  dir = freshDir('loop');
  instance = background(['start'], { cwd: dir, env: { TASKHOOK_PORT: '0', TASKHOOK_POLL_INTERVAL: '1' } });
  const [, url] = await instance.waitFor(/API on (http:\/\/127\.0\.0\.1:\d+)/, 20_000);
  const [, token] = await instance.waitFor(/API token for this run .*: (thk_\S+)/, 5_000);
  const [, taskId, regionId] = await instance.waitFor(/npx taskhook watch (t-\w+) --region (\S+)/, 5_000);
  api = { url, token };
  demoTask = { taskId, regionId };
  // The receiver a user runs: it verifies every delivery with the standardwebhooks library, with the secret listen prints.
  receiver = await startReceiver(secrets);
}, 40_000);

afterAll(async () => {
  await instance?.stop();
  await receiver?.close();
});

describe('the local loop: npm start, and the CLI in the same folder', () => {
  it('writes .taskhook/instance.json (dir 0700, file 0600) with the API, the token and the demo simulator, and prints the console URL', async () => {
    const info = JSON.parse(readFileSync(join(dir, '.taskhook/instance.json'), 'utf8'));
    expect(info).toMatchObject({
      apiUrl: api.url,
      token: api.token,
      demo: true,
      simulator: { endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) },
    });
    expect(statSync(join(dir, '.taskhook')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, '.taskhook/instance.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, '.taskhook/state.db')).mode & 0o777).toBe(0o600);
    expect(instance.stdout()).toContain(`console: ${api.url}/console#token=${api.token}`);
  });

  it('lookup and watch reach the demo simulator with no credentials set', async () => {
    const looked = await inFolder(['lookup', demoTask.taskId, '--region', demoTask.regionId, '--json']);
    expect(looked.code).toBe(0);
    expect(JSON.parse(looked.stdout)).toMatchObject({ id: demoTask.taskId, action: 'ExportImage' });
    const watched = await inFolder(['watch', demoTask.taskId, '--region', demoTask.regionId, '--interval', '0.5', '--timeout', '60']);
    expect(watched.code).toBe(0);
    expect(watched.stdout.trim().split('\n').at(-1)).toMatch(new RegExp(`^${demoTask.taskId}: succeeded at `));
    // Elsewhere, the same lookup says what is missing and how to fix it.
    const elsewhere = await taskhook(['lookup', demoTask.taskId, '--region', demoTask.regionId]);
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toContain(
      'ECS NoCredentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run this in the folder where `npm start` runs',
    );
  }, 70_000);

  it('webhooks go through the running instance API', async () => {
    const listed = JSON.parse((await inFolder(['webhooks', 'list', '--json'])).stdout) as { id: string; description: string | null }[];
    expect(listed.map((w) => w.description)).toContain('demo receiver');
    const added = JSON.parse((await inFolder(['webhooks', 'add', '--url', receiver.url, '--events', 'ecs.task.failed', '--json'])).stdout);
    const viaApi = (await call('/v1/webhooks')) as { webhooks: { id: string }[] };
    expect(viaApi.webhooks.map((w) => w.id)).toContain(added.webhook.id);
    expect((await inFolder(['webhooks', 'remove', added.webhook.id])).code).toBe(0);
    expect(((await call('/v1/webhooks')) as { webhooks: { id: string }[] }).webhooks.map((w) => w.id)).not.toContain(added.webhook.id);
  });

  it('listen pulls the event feed and forwards each event signed to a local receiver that verifies it, registering no webhook', async () => {
    const webhooksBefore = ((await call('/v1/webhooks')) as { webhooks: { id: string }[] }).webhooks.map((w) => w.id);
    // --from start: the demo's failed import was committed before this listen began.
    const listen = background(['listen', '--forward-to', receiver.url, '--from', 'start', '--print-secret'], { cwd: dir });
    await listen.waitFor(/no webhook is registered \(listen pulls the event feed\)/, 10_000);
    const [, secret] = await listen.waitFor(/^ {2}(whsec_\S+)$/m, 5_000);
    secrets.push(secret);
    const [, eventId] = await listen.waitFor(/ecs\.task\.failed +(evt_\w+) {2}→ 204 No Content/, 20_000);
    const forwarded = receiver.received.find((r) => r.headers['webhook-id'] === eventId)!;
    expect(forwarded.verifiedWith).toBe(secret);
    expect(forwarded.event?.type).toBe('ecs.task.failed');
    expect(forwarded.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(forwarded.headers['user-agent']).toMatch(/^taskhook\//);
    expect(JSON.parse(forwarded.body).data.task).toMatchObject({ outcome: 'failed', operations: [{ errorCode: 'InvalidOSSObject.NotFound' }] });
    expect(((await call('/v1/webhooks')) as { webhooks: { id: string }[] }).webhooks.map((w) => w.id)).toEqual(webhooksBefore);

    expect(await listen.stop('SIGINT')).toBe(0);
    expect(listen.stdout()).toContain('stopped (SIGINT); the next listen in this folder goes on from here with the same secret');
    expect(statSync(join(dir, '.taskhook/listen.json')).mode & 0o777).toBe(0o600);
  }, 40_000);

  it('trigger --url sends one realistic event signed with --secret', async () => {
    const secret = newWebhookSecret();
    secrets.push(secret);
    const before = receiver.received.length;
    const run = await taskhook(['trigger', 'ecs.task.partially_failed', '--url', receiver.url, '--secret', secret]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^sent ecs\.task\.partially_failed evt_\w+ to http:\/\/127\.0\.0\.1:\d+\/hooks\/taskhook → HTTP 204 in \d+ ms\n$/);
    const got = receiver.received[before];
    expect(got.verifiedWith).toBe(secret);
    expect(JSON.parse(got.body).data.task).toMatchObject({ outcome: 'partially_failed', counts: { total: 2, succeeded: 1, failed: 1 } });
    const unsigned = await taskhook(['trigger', 'ecs.task.succeeded', '--url', receiver.url]);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('--url needs --secret');
  });
});

describe('without a running instance', () => {
  it('listen and trigger say to start one; a file left by a stopped instance is named as stale', async () => {
    const empty = freshDir('noinstance');
    const listen = await taskhook(['listen', '--forward-to', 'http://localhost:3000/hooks'], { cwd: empty });
    expect(listen.code).toBe(2);
    expect(listen.stderr).toContain('listen needs a running taskhook in this folder');
    expect(listen.stderr).toContain('npm start');
    expect(listen.stderr).toContain('--api <url> (or TASKHOOK_API_URL) and TASKHOOK_API_TOKEN');
    const trigger = await taskhook(['trigger', 'ecs.task.succeeded'], { cwd: empty });
    expect(trigger.code).toBe(2);
    expect(trigger.stderr).toContain('trigger without --url needs a running taskhook in this folder');

    mkdirSync(join(empty, '.taskhook'));
    const dead = {
      pid: 2 ** 22 + 12345,
      startedAt: new Date().toISOString(),
      apiUrl: 'http://127.0.0.1:9',
      token: 'thk_x',
      consoleUrl: '',
      store: 'memory',
      demo: false,
      simulator: null,
      allowPrivateWebhooks: [],
    };
    writeFileSync(join(empty, '.taskhook/instance.json'), JSON.stringify(dead));
    const stale = await taskhook(['listen', '--forward-to', 'http://localhost:3000/hooks'], { cwd: empty });
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain(`which is no longer running`);
  });
});
