import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
import { CLI, background, taskhook } from './cli-process.js';

/** The CLI as a process in a fresh folder: (args, env, stdin). */
const cli = (args: string[], env: Record<string, string> = {}, stdin = '') => taskhook(args, { env, stdin });

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
  it('prints its usage with --help (and with no command at all) and exits 0', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    for (const command of ['start', 'poll', 'lookup', 'watch', 'webhooks', 'listen', 'trigger', 'verify', 'simulate', 'tables', 'invoke', 'completion'])
      expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(run.stdout).toContain('Exit codes:');
    const bare = await cli([]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toContain('Usage: taskhook <command> [options]');
  });

  it('prints the version with --version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const run = await cli([flag]);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(version);
    }
  });

  /** Every command, by the words that name it. */
  const COMMANDS = [
    ['start'],
    ['poll'],
    ['lookup'],
    ['watch'],
    ['webhooks'],
    ['webhooks', 'add'],
    ['webhooks', 'list'],
    ['webhooks', 'test'],
    ['webhooks', 'rotate'],
    ['webhooks', 'remove'],
    ['listen'],
    ['trigger'],
    ['verify'],
    ['simulate'],
    ['tables'],
    ['tables', 'init'],
    ['invoke'],
    ['completion'],
  ];

  it('has a help text of its own for every command, with examples for each that runs', async () => {
    const global = (await cli(['--help'])).stdout;
    const seen = new Set<string>();
    for (const words of COMMANDS) {
      const run = await cli([...words, '--help']);
      expect(run.code, words.join(' ')).toBe(0);
      expect(run.stderr, words.join(' ')).toBe('');
      expect(run.stdout, words.join(' ')).toMatch(new RegExp(`^Usage: taskhook ${words.join(' ')}\\b`));
      expect(run.stdout).not.toBe(global);
      seen.add(run.stdout);
      const group = words.length === 1 && ['webhooks', 'tables'].includes(words[0]);
      if (!group) expect(run.stdout, words.join(' ')).toMatch(/\nExamples:\n {2}\$ (npm start|taskhook|TASKHOOK_|source)/);
    }
    expect(seen.size).toBe(COMMANDS.length);
  });

  it('refuses options another command has, per command, in one line naming its help (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['lookup', 't-clidone00000001', '--region', 'cn-hangzhou', '--url', 'x', '--once'], "unknown option '--url'"],
      [['simulate', '--once'], "unknown option '--once'"],
      [['verify', '--secret', 'whsec_x', '--headers', '{}', '--region', 'cn-hangzhou'], "unknown option '--region'"],
      [['webhooks', 'list', '--url', 'https://example.com'], "unknown option '--url'"],
      [['watch', 't-clidone00000001', '--region', 'cn-hangzhou', 'extra'], 'too many arguments'],
      [['trigger', 'ecs.task.done'], 'ecs.task.succeeded'],
      [['completion', 'fish'], 'bash, zsh'],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout, args.join(' ')).toBe('');
      expect(run.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(run.stderr, args.join(' ')).toContain(message);
      expect(run.stderr).toMatch(new RegExp(`\\(see taskhook ${args[0]}( \\w+)? --help\\)`));
    }
  });

  it('names the fix when a required option is missing', async () => {
    const poll = await cli(['poll']);
    expect(poll.code).toBe(2);
    expect(poll.stderr.trim()).toBe('taskhook: use taskhook poll --once for one cycle (taskhook start polls on a timer)');
    const listen = await cli(['listen']);
    expect(listen.stderr.trim()).toBe('taskhook: --forward-to is required (e.g. --forward-to http://localhost:3000/hooks)');
  });

  it('answers an unknown command or option with one line on stderr and exit 2', async () => {
    const run = await cli(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('unknown command "frobnicate"');
    const bad = await cli(['lookup', 't-clidone00000001', '--regoin', 'cn-hangzhou']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'--regoin'");
    expect(bad.stderr).toContain('--region');
  });

  it('looks a task up, readable and as JSON', async () => {
    const run = await cli(['lookup', 't-clidone00000001', '--region', 'cn-hangzhou'], ecsEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('status    Finished (succeeded)  100%');
    expect(run.stdout).toContain('OSSObject=MYOSSPRE_m-23f8tcp_t-23ym6mv.vhd');
    const json = await cli(['lookup', 't-clidone00000001', '--region', 'cn-hangzhou', '--json'], ecsEnv());
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 't-clidone00000001', outcome: 'succeeded', counts: { total: 1, succeeded: 1, failed: 0 } });
  });

  it('names a bad task id, a missing region and an unknown task in one line each', async () => {
    expect((await cli(['lookup', 'nope', '--region', 'cn-hangzhou'], ecsEnv())).stderr).toContain('"nope" is not a task id');
    expect((await cli(['lookup', 't-clidone00000001'], ecsEnv())).stderr).toContain('--region is required (e.g. --region cn-hangzhou)');
    const missing = await cli(['lookup', 't-cliunknown00001', '--region', 'cn-hangzhou'], ecsEnv());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^taskhook: ECS InvalidTaskId\.NotFound: .*\(request [0-9A-F-]{36}\)\n$/);
    expect(missing.stderr).not.toContain(KEYS.accessKeySecret);
  });

  it('watches a task to success with a progress line and exits 0', async () => {
    sim.addTask(finishedExport('t-clisoon00000001', Date.now(), 'cn-hangzhou', 2_500));
    const run = await cli(['watch', 't-clisoon00000001', '--region', 'cn-hangzhou', '--interval', '0.2'], ecsEnv());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\[#+-*\]\s+\d+%\s+Processing/);
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^t-clisoon00000001: succeeded at /);
  });

  it('exits 1 when the watched task fails or is not found, and 2 when ECS cannot be reached', async () => {
    expect((await cli(['watch', 't-clifail00000001', '--region', 'cn-hangzhou', '--interval', '0.2'], ecsEnv())).code).toBe(1);
    const gone = await cli(['watch', 't-cliunknown00001', '--region', 'cn-hangzhou', '--interval', '0.2'], ecsEnv());
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain('not found in cn-hangzhou');
    const down = await cli(['watch', 't-clidone00000001', '--region', 'cn-hangzhou'], { ...ecsEnv(), TASKHOOK_ECS_ENDPOINT: 'http://127.0.0.1:9' });
    expect(down.code).toBe(2);
    expect(down.stderr).toContain('could not reach ECS');
  });

  it('runs one poll cycle with --once and prints the summary as JSON on stdout, the log lines on stderr', async () => {
    const run = await cli(['poll', '--once'], {
      ...ecsEnv(),
      TASKHOOK_STORE: `sqlite:${join(dir, 'poll.db')}`,
      TASKHOOK_TASKS: 'cn-hangzhou/t-clidone00000001',
      TASKHOOK_LOG_LEVEL: 'debug',
    });
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({ leased: true, tasks: { polled: 1 }, events: { 'ecs.task.succeeded': 1 } });
    const logs = run.stderr
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { level: string; msg: string });
    expect(logs.map((l) => l.msg)).toContain('poll finished');
    const compact = await cli(['poll', '--once', '--json'], { ...ecsEnv(), TASKHOOK_STORE: `sqlite:${join(dir, 'poll.db')}`, TASKHOOK_LOG_LEVEL: 'info' });
    expect(compact.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(compact.stdout)).toMatchObject({ leased: true });
  });

  it('loads only what the command needs: poll --once never loads the Function Compute SDK (@alicloud/fc2, ali-oss, urllib)', async () => {
    const probe = join(dir, 'modules.cjs');
    const list = join(dir, 'modules.txt');
    writeFileSync(probe, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, Object.keys(require.cache).join('\\n')));`);
    const child = spawn(process.execPath, ['--require', probe, CLI, 'poll', '--once'], {
      env: { PATH: process.env.PATH ?? '', ...ecsEnv(), TASKHOOK_STORE: `sqlite:${join(dir, 'lazy.db')}` },
      cwd: dir,
    });
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    const modules = readFileSync(list, 'utf8').split('\n');
    expect(modules.some((m) => m.includes('/@alicloud/pop-core/'))).toBe(true); // the probe sees what poll uses
    for (const sdk of ['/@alicloud/fc2/', '/ali-oss/', '/urllib/'])
      expect(
        modules.filter((m) => m.includes(sdk)),
        sdk,
      ).toEqual([]);
  });

  describe('webhooks', () => {
    let receiver: Receiver;
    const env = () => ({ TASKHOOK_STORE: `sqlite:${join(dir, 'hooks.db')}`, TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32' });
    beforeAll(async () => {
      receiver = await startReceiver([]);
    });
    afterAll(() => receiver.close());

    it('adds, lists, tests and rotates a webhook in the configured store', async () => {
      const added = await cli(['webhooks', 'add', '--url', receiver.url, '--events', 'ecs.task.succeeded,ecs.task.failed', '--json'], env());
      expect(added.code).toBe(0);
      const { webhook, secret } = JSON.parse(added.stdout);
      expect(secret).toMatch(/^whsec_/);
      expect(webhook.events).toEqual(['ecs.task.succeeded', 'ecs.task.failed']);

      const listed = await cli(['webhooks', 'list'], env());
      expect(listed.stdout).toContain(webhook.id);
      expect(listed.stdout).not.toContain(secret);

      receiver.respond = () => ({ status: 204 });
      const tested = await cli(['webhooks', 'test', webhook.id], env());
      expect(tested.code).toBe(0);
      expect(tested.stdout).toMatch(/^ok: HTTP 204/);
      const ping = receiver.received.at(-1)!;
      expect(() => new Webhook(secret).verify(ping.body, ping.headers)).not.toThrow();
      expect(JSON.parse(ping.body).type).toBe('webhook.test');

      const rotated = await cli(['webhooks', 'rotate', webhook.id], env());
      expect(rotated.stdout).toMatch(/new secret for wh_\w+ \(shown once\): whsec_/);
    });

    it('answers --json on every webhooks command, and lines the list up in columns', async () => {
      const first = JSON.parse((await cli(['webhooks', 'add', '--url', receiver.url, '--json'], env())).stdout);
      const second = JSON.parse(
        (await cli(['webhooks', 'add', '--url', `${receiver.url}/with/a/longer/path`, '--events', '*', '--description', 'second', '--json'], env())).stdout,
      );
      const listed = JSON.parse((await cli(['webhooks', 'list', '--json'], env())).stdout) as { id: string; secrets?: unknown }[];
      expect(listed.map((w) => w.id)).toEqual(expect.arrayContaining([first.webhook.id, second.webhook.id]));
      expect(listed.every((w) => w.secrets === undefined)).toBe(true);

      receiver.respond = () => ({ status: 204 });
      expect(JSON.parse((await cli(['webhooks', 'test', first.webhook.id, '--json'], env())).stdout)).toMatchObject({ success: true, status: 204 });
      const rotated = JSON.parse((await cli(['webhooks', 'rotate', first.webhook.id, '--json'], env())).stdout);
      expect(rotated).toMatchObject({ webhookId: first.webhook.id, secret: expect.stringMatching(/^whsec_/), previousExpiresAt: expect.any(String) });

      const table = (await cli(['webhooks', 'list'], env())).stdout.trimEnd().split('\n');
      expect(table[0]).toMatch(/^ID +STATE +SOURCE +URL +EVENTS/);
      // Every row starts its columns where the header's do.
      const starts = (line: string) => [...line.matchAll(/(?<= {2})\S/g)].map((m) => m.index).slice(0, 4);
      for (const row of table.slice(1)) expect(starts(row)).toEqual(starts(table[0]));

      expect(JSON.parse((await cli(['webhooks', 'remove', second.webhook.id, '--json'], env())).stdout)).toEqual({ removed: second.webhook.id });
      const after = JSON.parse((await cli(['webhooks', 'list', '--json'], env())).stdout) as { id: string }[];
      expect(after.map((w) => w.id)).not.toContain(second.webhook.id);
      const missing = await cli(['webhooks', 'test', 'wh_nope', '--json'], env());
      expect(missing.code).toBe(2);
      expect(missing.stdout).toBe('');
    });

    it('refuses a webhook URL that points at the metadata service', async () => {
      const run = await cli(['webhooks', 'add', '--url', 'http://100.100.100.200/latest/meta-data/'], env());
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
      const run = await cli(['verify', '--secret', secret, '--headers', headersAt(nowSeconds())], {}, body);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^verified/);
    });

    it('tells a wrong secret from a re-serialized body and from a stale timestamp', async () => {
      const wrong = await cli(['verify', '--secret', newWebhookSecret(), '--headers', headersAt(nowSeconds())], {}, body);
      expect(wrong.code).toBe(1);
      expect(wrong.stdout).toContain('wrong secret');
      const pretty = await cli(['verify', '--secret', secret, '--headers', headersAt(nowSeconds())], {}, JSON.stringify(JSON.parse(body), null, 2));
      expect(pretty.stdout).toContain('the body was re-serialised (pretty-printed)');
      const stale = await cli(['verify', '--secret', secret, '--headers', headersAt(nowSeconds() - 3600)], {}, body);
      expect(stale.code).toBe(1);
      expect(stale.stdout).toMatch(/signature is right but the timestamp is 36\d\d s old/);
    });
  });

  it('runs the simulator alone, lists its task ids and the exact environment, and stops cleanly on SIGTERM', async () => {
    const sim = background(['simulate', '--port', '0']);
    await sim.waitFor(/ npm start\n/, 10_000);
    const out = sim.stdout();
    const endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+) with 9 tasks:/.exec(out)![1];
    const ids = [...out.matchAll(/^ {2}(cn-[a-z]+) +(t-\w+) +(\w+)$/gm)].map((m) => `${m[1]}/${m[2]}`);
    expect(ids).toHaveLength(9);
    const line = /^ {2}(ALIBABA_CLOUD_ACCESS_KEY_ID=\S+ .*) npm start$/m.exec(out)![1];
    const env = Object.fromEntries(line.split(' ').map((pair) => pair.split(/=(.*)/s, 2) as [string, string]));
    expect(Object.keys(env)).toEqual(['ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET', 'TASKHOOK_ECS_ENDPOINT', 'TASKHOOK_TASKS']);
    expect(env.TASKHOOK_ECS_ENDPOINT).toBe(endpoint);
    expect(env.TASKHOOK_TASKS.split(',')).toEqual(ids);
    const res = await fetch(endpoint + '/?Action=DescribeTasks');
    expect(res.status).toBe(400); // unsigned: refused like ECS would
    // The environment it printed works as printed: one of its tasks, looked up with exactly those variables.
    const [regionId, taskId] = ids[0].split('/');
    const looked = await cli(['lookup', taskId, '--region', regionId, '--json'], env);
    expect(JSON.parse(looked.stdout)).toMatchObject({ id: taskId, regionId });
    expect(await sim.stop('SIGTERM')).toBe(0);
  });

  it('runs the simulator from a scenario file, and prints it as JSON with --json', async () => {
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
    const sim = background(['simulate', '--scenario', file, '--access-key-id', 'LTAIscenario0001', '--access-key-secret', 'scenario-secret', '--json']);
    const [line] = await sim.waitFor(/^\{.*\}$/m, 10_000);
    const info = JSON.parse(line);
    expect(info.tasks).toEqual([{ regionId: 'cn-shanghai', taskId: 't-bp1scenario00000001', action: 'ExportImage' }]);
    expect(info.env).toMatchObject({ ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIscenario0001', TASKHOOK_TASKS: 'cn-shanghai/t-bp1scenario00000001' });
    const run = await cli(['lookup', 't-bp1scenario00000001', '--region', 'cn-shanghai', '--json'], {
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIscenario0001',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'scenario-secret',
      TASKHOOK_ECS_ENDPOINT: info.endpoint,
    });
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 't-bp1scenario00000001', outcome: 'succeeded' });
    expect(await sim.stop('SIGTERM')).toBe(0);
  });

  it('names a bad scenario file by path, line and problem, lists the known statuses, and refuses a bad or busy port', async () => {
    const oneLine = (run: { code: number | null; stdout: string; stderr: string }) => {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).not.toContain('unexpected');
      return run.stderr.trim();
    };
    const missing = join(dir, 'missing.json');
    expect(oneLine(await cli(['simulate', '--scenario', missing]))).toBe(`taskhook: cannot read the scenario file ${missing} (no such file)`);

    const syntax = join(dir, 'syntax.json');
    writeFileSync(syntax, '{\n  "tasks": [\n    { "taskId": "t-bp1x0000000001", }\n  ]\n}\n');
    expect(oneLine(await cli(['simulate', '--scenario', syntax]))).toMatch(new RegExp(`^taskhook: ${syntax}:3: not valid JSON: `));

    const done = join(dir, 'done.json');
    const scenario = {
      tasks: [
        {
          taskId: 't-bp1x0000000001',
          regionId: 'cn-hangzhou',
          action: 'ExportImage',
          timeline: [
            { afterMs: 0, status: 'Waiting' },
            { afterMs: 1000, status: 'Done' },
          ],
        },
      ],
    };
    writeFileSync(done, JSON.stringify(scenario, null, 2));
    const doneLine =
      JSON.stringify(scenario, null, 2)
        .split('\n')
        .findIndex((l) => l.includes('"Done"')) + 1;
    expect(oneLine(await cli(['simulate', '--scenario', done]))).toBe(
      `taskhook: ${done}:${doneLine}: tasks[0].timeline[1].status "Done" is not an ECS task status (expected one of: Waiting, Processing, Paused, Finished, Failed, Deleted); add "unknownStatus": true to the step to simulate one`,
    );

    for (const port of ['abc', '70000', '-1'])
      expect(oneLine(await cli(['simulate', '--port', port]))).toContain(`--port must be a port number from 0 to 65535`);
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((blocker.address() as AddressInfo).port);
      expect(oneLine(await cli(['simulate', '--port', port]))).toContain(`port ${port} is already in use`);
    } finally {
      blocker.close();
    }
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
      const first = await cli(['tables', 'init', '--json'], env);
      expect(first.code).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ notReady: [] });
      const tables = ots.tables();
      expect(tables.length).toBeGreaterThan(3);
      expect(tables.every((t) => t.startsWith('cli_'))).toBe(true);
      const second = await cli(['tables', 'init'], env);
      expect(second.code).toBe(0);
      expect(ots.tables()).toEqual(tables);
    });

    it('names every setting it needs when nothing is configured', async () => {
      const run = await cli(['tables', 'init']);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      for (const name of [
        'TASKHOOK_STORE=tablestore',
        'TASKHOOK_OTS_ENDPOINT',
        'TASKHOOK_OTS_INSTANCE',
        'ALIBABA_CLOUD_ACCESS_KEY_ID',
        'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
      ])
        expect(run.stderr).toContain(name);
      const partial = await cli(['tables', 'init', '--json'], { ALIBABA_CLOUD_ACCESS_KEY_ID: 'a', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'b' });
      expect(partial.code).toBe(2);
      expect(partial.stderr).toMatch(/not set: TASKHOOK_OTS_ENDPOINT, TASKHOOK_OTS_INSTANCE$/m);
    });

    it('names the host (never the key) when the endpoint cannot be reached', async () => {
      const run = await cli(['tables', 'init'], {
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIunreachable01',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'unreachable-secret-0001',
        TASKHOOK_OTS_ENDPOINT: 'http://127.0.0.1:9',
        TASKHOOK_OTS_INSTANCE: 'nowhere',
      });
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toBe(
        'taskhook: could not reach Tablestore at 127.0.0.1:9 (NetworkingError); check TASKHOOK_OTS_ENDPOINT and that this machine can reach it',
      );
      expect(run.stderr).not.toContain('unreachable-secret');
    }, 60_000);
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
      const sync = await cli(['invoke', '--region', 'cn-hangzhou', '--account-id', '1234567890', '--endpoint', endpoint], env);
      expect(sync.code).toBe(0);
      expect(JSON.parse(sync.stdout)).toEqual({ leased: true, body: 'taskhook-invoke' });
      const queued = await cli(['invoke', '--region', 'cn-hangzhou', '--account-id', '1234567890', '--endpoint', endpoint, '--async'], env);
      expect(queued.stdout).toContain('queued: request id fc-req-1');
      const broken = await cli(
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
