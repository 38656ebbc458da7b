import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import type { EcsSimulator } from '../../src/ecs/simulator/index.js';
import { newWebhookSecret } from '../../src/webhooks/signing.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { startFakeTablestore, type FakeTablestore } from '../../src/fakes/tablestore/index.js';
import { KEYS, finishedExport, startSimulator } from '../support/helpers.js';

const CLI = join(process.cwd(), 'dist/cli/taskhook.cjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, with only the environment given here. */
function taskhook(args: string[], env: Record<string, string> = {}, stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let sim: EcsSimulator;
let dir: string;
const now = Date.now();
const ecsEnv = () => ({
  ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
  TASKHOOK_ECS_ENDPOINT: sim.endpoint,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'taskhook-cli-'));
  sim = await startSimulator([
    finishedExport('t-clidone00000001', now - 600_000),
    {
      taskId: 't-clifail00000001',
      regionId: 'cn-hangzhou',
      action: 'ImportImage',
      createdAt: now,
      timeline: [
        { afterMs: 0, status: 'Processing', progress: 40 },
        { afterMs: 1_000, status: 'Failed' },
      ],
      result: {
        totalCount: 1,
        successCount: 0,
        failedCount: 1,
        operations: [{ status: 'Failed', errorCode: 'InvalidImage.Format', errorMessage: 'bad image' }],
      },
    },
  ]);
});

afterAll(async () => {
  await sim.stop();
});

describe('taskhook CLI (run as a process)', () => {
  it('prints its usage with --help and exits 0', async () => {
    const run = await taskhook(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['start', 'poll --once', 'lookup', 'watch', 'webhooks add', 'verify', 'simulate', 'tables init', 'invoke'])
      expect(run.stdout).toContain(command);
  });

  it('answers an unknown command or option with one line on stderr and exit 2', async () => {
    const run = await taskhook(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('unknown command "frobnicate"');
    const bad = await taskhook(['lookup', 't-clidone00000001', '--regoin', 'cn-hangzhou']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'--regoin'");
  });

  it('looks a task up, readable and as JSON', async () => {
    const run = await taskhook(['lookup', 't-clidone00000001', '--region', 'cn-hangzhou'], ecsEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('status    Finished (succeeded)  100%');
    expect(run.stdout).toContain('OSSObject=MYOSSPRE_m-23f8tcp_t-23ym6mv.vhd');
    const json = await taskhook(['lookup', 't-clidone00000001', '--region', 'cn-hangzhou', '--json'], ecsEnv());
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 't-clidone00000001', outcome: 'succeeded', counts: { total: 1, succeeded: 1, failed: 0 } });
  });

  it('names a bad task id, a missing region and an unknown task in one line each', async () => {
    expect((await taskhook(['lookup', 'nope', '--region', 'cn-hangzhou'], ecsEnv())).stderr).toContain('"nope" is not a task id');
    expect((await taskhook(['lookup', 't-clidone00000001'], ecsEnv())).stderr).toContain('--region is required');
    const missing = await taskhook(['lookup', 't-cliunknown00001', '--region', 'cn-hangzhou'], ecsEnv());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^taskhook: ECS InvalidTaskId\.NotFound: .*\(request [0-9A-F-]{36}\)\n$/);
    expect(missing.stderr).not.toContain(KEYS.accessKeySecret);
  });

  it('watches a task to success with a progress line and exits 0', async () => {
    sim.addTask(finishedExport('t-clisoon00000001', Date.now(), 'cn-hangzhou', 2_500));
    const run = await taskhook(['watch', 't-clisoon00000001', '--region', 'cn-hangzhou', '--interval', '0.2'], ecsEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\[#+-*\]\s+\d+%\s+Processing/);
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^t-clisoon00000001: succeeded at /);
  });

  it('exits 1 when the watched task fails or is not found, and 2 when ECS cannot be reached', async () => {
    expect((await taskhook(['watch', 't-clifail00000001', '--region', 'cn-hangzhou', '--interval', '0.2'], ecsEnv())).code).toBe(1);
    const gone = await taskhook(['watch', 't-cliunknown00001', '--region', 'cn-hangzhou', '--interval', '0.2'], ecsEnv());
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain('not found in cn-hangzhou');
    const down = await taskhook(['watch', 't-clidone00000001', '--region', 'cn-hangzhou'], { ...ecsEnv(), TASKHOOK_ECS_ENDPOINT: 'http://127.0.0.1:9' });
    expect(down.code).toBe(2);
    expect(down.stderr).toContain('could not reach ECS');
  });

  it('runs one poll cycle with --once and prints the summary', async () => {
    const run = await taskhook(['poll', '--once'], {
      ...ecsEnv(),
      TASKHOOK_STORE: `sqlite:${join(dir, 'poll.db')}`,
      TASKHOOK_TASKS: 'cn-hangzhou/t-clidone00000001',
    });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ leased: true, tasks: { polled: 1 }, events: { 'ecs.task.succeeded': 1 } });
  });

  describe('webhooks', () => {
    let receiver: Receiver;
    const env = () => ({ TASKHOOK_STORE: `sqlite:${join(dir, 'hooks.db')}`, TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32' });
    beforeAll(async () => {
      receiver = await startReceiver([]);
    });
    afterAll(() => receiver.close());

    it('adds, lists, tests and rotates a webhook in the configured store', async () => {
      const added = await taskhook(['webhooks', 'add', '--url', receiver.url, '--events', 'ecs.task.succeeded,ecs.task.failed', '--json'], env());
      expect(added.code).toBe(0);
      const { webhook, secret } = JSON.parse(added.stdout);
      expect(secret).toMatch(/^whsec_/);
      expect(webhook.events).toEqual(['ecs.task.succeeded', 'ecs.task.failed']);

      const listed = await taskhook(['webhooks', 'list'], env());
      expect(listed.stdout).toContain(webhook.id);
      expect(listed.stdout).not.toContain(secret);

      receiver.respond = () => ({ status: 204 });
      const tested = await taskhook(['webhooks', 'test', webhook.id], env());
      expect(tested.code).toBe(0);
      expect(tested.stdout).toMatch(/^ok: HTTP 204/);
      const ping = receiver.received.at(-1)!;
      expect(() => new Webhook(secret).verify(ping.body, ping.headers)).not.toThrow();
      expect(JSON.parse(ping.body).type).toBe('webhook.test');

      const rotated = await taskhook(['webhooks', 'rotate', webhook.id], env());
      expect(rotated.stdout).toMatch(/new secret for wh_\w+ \(shown once\): whsec_/);
    });

    it('refuses a webhook URL that points at the metadata service', async () => {
      const run = await taskhook(['webhooks', 'add', '--url', 'http://100.100.100.200/latest/meta-data/'], env());
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('100.100.100.200');
    });
  });

  describe('verify', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ specversion: '1.0', id: 'evt_cli0001', type: 'ecs.task.succeeded' });
    const headersAt = (seconds: number) => {
      const signature = new Webhook(secret).sign('evt_cli0001', new Date(seconds * 1000), body);
      return JSON.stringify({ 'webhook-id': 'evt_cli0001', 'webhook-timestamp': String(seconds), 'webhook-signature': signature });
    };
    const nowSeconds = () => Math.floor(Date.now() / 1000);

    it('says verified for a genuine delivery', async () => {
      const run = await taskhook(['verify', '--secret', secret, '--headers', headersAt(nowSeconds())], {}, body);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^verified/);
    });

    it('tells a wrong secret from a re-serialized body and from a stale timestamp', async () => {
      const wrong = await taskhook(['verify', '--secret', newWebhookSecret(), '--headers', headersAt(nowSeconds())], {}, body);
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain('wrong secret');
      const pretty = await taskhook(['verify', '--secret', secret, '--headers', headersAt(nowSeconds())], {}, JSON.stringify(JSON.parse(body), null, 2));
      expect(pretty.stdout).toContain('not byte-for-byte');
      const stale = await taskhook(['verify', '--secret', secret, '--headers', headersAt(nowSeconds() - 3600)], {}, body);
      expect(stale.code).toBe(1);
      expect(stale.stdout).toMatch(/signature is right but the timestamp is 36\d\d s old/);
    });
  });

  it('runs the simulator alone and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, 'simulate', '--port', '0'], { env: { PATH: process.env.PATH ?? '' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('TASKHOOK_ECS_ENDPOINT=') && resolve()));
    const endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
    const res = await fetch(endpoint + '/?Action=DescribeTasks');
    expect(res.status).toBe(400); // unsigned: refused like ECS would
    child.kill('SIGTERM');
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
  });

  it('runs the simulator from a scenario file', async () => {
    const file = join(dir, 'scenario.json');
    writeFileSync(
      file,
      JSON.stringify({
        tasks: [
          {
            taskId: 't-bp1scenario00000001',
            regionId: 'cn-shanghai',
            action: 'ExportImage',
            afterMs: -60_000,
            timeline: [
              { afterMs: 0, status: 'Waiting' },
              { afterMs: 1_000, status: 'Finished' },
            ],
          },
        ],
      }),
    );
    const child = spawn(
      process.execPath,
      [CLI, 'simulate', '--scenario', file, '--access-key-id', 'LTAIscenario0001', '--access-key-secret', 'scenario-secret'],
      { env: { PATH: process.env.PATH ?? '' } },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('TASKHOOK_ECS_ENDPOINT=') && resolve()));
    const endpoint = /TASKHOOK_ECS_ENDPOINT=(\S+)/.exec(out)![1];
    const run = await taskhook(['lookup', 't-bp1scenario00000001', '--region', 'cn-shanghai', '--json'], {
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIscenario0001',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'scenario-secret',
      TASKHOOK_ECS_ENDPOINT: endpoint,
    });
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 't-bp1scenario00000001', outcome: 'succeeded' });
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('close', resolve));
    const broken = await taskhook(['simulate', '--scenario', join(dir, 'missing.json')]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('missing.json');
  });

  describe('tables init', () => {
    let ots: FakeTablestore;
    beforeAll(async () => {
      ots = await startFakeTablestore();
    });
    afterAll(() => ots.close());

    it('creates the Tablestore tables, and a second run changes nothing', async () => {
      const env = {
        ALIBABA_CLOUD_ACCESS_KEY_ID: ots.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: ots.accessKeySecret,
        TASKHOOK_OTS_ENDPOINT: ots.endpoint,
        TASKHOOK_OTS_INSTANCE: ots.instanceName,
        TASKHOOK_TABLE_PREFIX: 'cli_',
      };
      const first = await taskhook(['tables', 'init'], env);
      expect(first.code).toBe(0);
      const tables = ots.tables();
      expect(tables.length).toBeGreaterThan(3);
      expect(tables.every((t) => t.startsWith('cli_'))).toBe(true);
      const second = await taskhook(['tables', 'init'], env);
      expect(second.code).toBe(0);
      expect(ots.tables()).toEqual(tables);
    });

    it('names the missing setting when the instance is not configured', async () => {
      const run = await taskhook(['tables', 'init'], { ALIBABA_CLOUD_ACCESS_KEY_ID: 'a', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'b' });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('TASKHOOK_OTS_INSTANCE');
    });
  });

  it('invokes the deployed poller through @alicloud/fc2, signed, sync and async', async () => {
    const seen: { path: string; type: string; authorization: string; signatureOk: boolean }[] = [];
    const fc = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const h = req.headers as Record<string, string>;
        const fcHeaders = Object.keys(h)
          .filter((k) => k.startsWith('x-fc-'))
          .sort()
          .map((k) => `${k}:${h[k]}\n`)
          .join('');
        const toSign = `${req.method}\n${h['content-md5'] ?? ''}\n${h['content-type'] ?? ''}\n${h.date}\n${fcHeaders}${req.url}`;
        const expected = `FC ${KEYS.accessKeyId}:${createHmac('sha256', KEYS.accessKeySecret).update(toSign).digest('base64')}`;
        seen.push({ path: req.url ?? '', type: h['x-fc-invocation-type'], authorization: h.authorization, signatureOk: h.authorization === expected });
        // A function that throws: FC still answers 200, with the error type in a header and the error JSON as the body.
        if (req.url?.includes('/functions/taskhook-broken/')) {
          res.writeHead(200, { 'content-type': 'application/json', 'x-fc-request-id': 'fc-req-2', 'x-fc-error-type': 'UnhandledInvocationError' });
          res.end(
            JSON.stringify({
              errorMessage: `ECS call failed\n  AccessKeyId=${KEYS.accessKeyId}&Signature=abc`,
              errorType: 'EcsError',
              stackTrace: ['EcsError: ECS call failed', '    at poll (/code/index.js:1:1)'],
            }),
          );
          return;
        }
        // An async invocation is accepted with 202 and no body.
        res.writeHead(h['x-fc-invocation-type'] === 'Async' ? 202 : 200, {
          ...(h['x-fc-invocation-type'] === 'Async' ? {} : { 'content-type': 'application/json' }),
          'x-fc-request-id': 'fc-req-1',
        });
        res.end(h['x-fc-invocation-type'] === 'Async' ? '' : JSON.stringify({ leased: true, body: JSON.parse(body).triggerName }));
      });
    });
    await new Promise<void>((r) => fc.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(fc.address() as AddressInfo).port}`;
    try {
      const env = { ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId, ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret };
      const sync = await taskhook(['invoke', '--region', 'cn-hangzhou', '--account-id', '1234567890', '--endpoint', endpoint], env);
      expect(sync.code).toBe(0);
      expect(JSON.parse(sync.stdout)).toEqual({ leased: true, body: 'taskhook-invoke' });
      const queued = await taskhook(['invoke', '--region', 'cn-hangzhou', '--account-id', '1234567890', '--endpoint', endpoint, '--async'], env);
      expect(queued.stdout).toContain('queued: request id fc-req-1');
      const broken = await taskhook(
        ['invoke', '--function', 'taskhook-broken', '--region', 'cn-hangzhou', '--account-id', '1234567890', '--endpoint', endpoint],
        env,
      );
      expect(broken.code).toBe(1);
      expect(broken.stdout).toBe('');
      expect(broken.stderr.trim().split('\n')).toHaveLength(1);
      expect(broken.stderr).toContain('UnhandledInvocationError: ECS call failed');
      expect(broken.stderr).not.toContain(KEYS.accessKeyId);
      expect(broken.stderr).not.toContain('stackTrace');
      expect(seen.map((s) => [s.path, s.type, s.signatureOk])).toEqual([
        ['/2023-03-30/functions/taskhook-poller/invocations', 'Sync', true],
        ['/2023-03-30/functions/taskhook-poller/invocations', 'Async', true],
        ['/2023-03-30/functions/taskhook-broken/invocations', 'Sync', true],
      ]);
    } finally {
      fc.close();
    }
  });
});
