import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, startSimulator } from '../support/helpers.js';
import { background } from './cli-process.js';

const COMPLETION_TYPES = ['ecs.task.succeeded', 'ecs.task.partially_failed', 'ecs.task.failed', 'ecs.task.cancelled', 'ecs.task.not_found'];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** `taskhook start` as `npm start` runs it, in the folder of its state file: no credentials, so demo mode. */
function start(statePath: string, port: string | null = '0', extraEnv: Record<string, string> = {}) {
  const run = background(['start'], {
    env: {
      ...(port === null ? {} : { TASKHOOK_PORT: port }),
      TASKHOOK_POLL_INTERVAL: '1',
      TASKHOOK_STORE: `sqlite:${statePath}`,
      TASKHOOK_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    cwd: dirname(statePath),
  });
  children.push(run.child);
  return run;
}

describe('npm start (demo mode)', () => {
  it('takes a free port when the default port 9000 is busy', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.once('error', () => resolve()).listen(9000, '127.0.0.1', () => resolve()));
    try {
      const run = start(join(mkdtempSync(join(tmpdir(), 'taskhook-port-')), 'state.db'), null);
      await run.waitFor(/port 9000 is busy/, 15_000);
      const [, url] = await run.waitFor(/API on (http:\/\/127\.0\.0\.1:\d+)/, 5_000);
      expect(url).not.toBe('http://127.0.0.1:9000');
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      run.child.kill('SIGTERM');
      expect(await new Promise((resolve) => run.child.on('close', resolve))).toBe(0);
    } finally {
      blocker.close();
    }
  });

  it('shows one line per failed delivery attempt at the default log level, with the status and the next try', async () => {
    const failing = http.createServer((req, res) => {
      req.resume();
      res.writeHead(500).end('down for maintenance');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', () => resolve()));
    try {
      const url = `http://127.0.0.1:${(failing.address() as net.AddressInfo).port}/hooks`;
      const secret = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
      const run = start(join(mkdtempSync(join(tmpdir(), 'taskhook-failing-')), 'state.db'), '0', {
        TASKHOOK_WEBHOOKS: JSON.stringify([{ url, secret, events: ['ecs.task.started'] }]),
        TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32',
      });
      const [line] = await run.waitFor(
        /^delivery failed: webhook wh_cfg_\w+ \(127\.0\.0\.1:\d+\) answered HTTP 500 for evt_\w+, attempt 1; next try \S+$/m,
        30_000,
      );
      expect(line).not.toContain(secret);
    } finally {
      failing.close();
    }
  });

  it('stops at once with one line naming the fix when the port the user chose is busy', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = String((blocker.address() as net.AddressInfo).port);
      const run = start(join(mkdtempSync(join(tmpdir(), 'taskhook-busy-')), 'state.db'), port);
      const code = await new Promise((resolve) => run.child.on('close', resolve));
      expect(code).toBe(2);
      expect(run.output()).toMatch(new RegExp(`port ${port} is already in use: stop what listens there, or set TASKHOOK_PORT to a free port`));
    } finally {
      blocker.close();
    }
  });

  it('shows every completion event type arriving with a verified signature, serves the API, and resumes after a restart', async () => {
    const state = join(mkdtempSync(join(tmpdir(), 'taskhook-start-')), 'state.db');
    const first = start(state);
    const [, url] = await first.waitFor(/API on (http:\/\/127\.0\.0\.1:\d+)/, 15_000);
    const [, token] = await first.waitFor(/API token for this run .*: (thk_\S+)/, 5_000);
    for (const type of COMPLETION_TYPES) await first.waitFor(new RegExp(`^  ${type.replace('.', '\\.')} .*signature verified$`, 'm'), 45_000);
    expect(first.output()).not.toContain('SIGNATURE INVALID');

    const events = await (await fetch(`${url}/v1/events?limit=100`, { headers: { authorization: `Bearer ${token}` } })).json();
    const types = new Set((events.events as { type: string }[]).map((e) => e.type));
    for (const type of COMPLETION_TYPES) expect(types).toContain(type);

    expect(existsSync(join(dirname(state), '.taskhook/instance.json'))).toBe(true);
    first.child.kill('SIGINT');
    expect(await new Promise((resolve) => first.child.on('close', resolve))).toBe(0);
    expect(first.output()).toContain('stopping');
    // A clean exit takes the instance file away: the CLI does not talk to a stopped instance.
    expect(existsSync(join(dirname(state), '.taskhook/instance.json'))).toBe(false);

    // The same state file: the missing task was settled last time and is not reported again, while the first
    // run's unfinished demo tasks are still watched (the new simulator does not know them: not found).
    const second = start(state);
    await second.waitFor(/API on/, 15_000);
    await second.waitFor(/^ {2}ecs\.task\.cancelled /m, 30_000);
    expect(second.output()).not.toContain('t-bp1demogone00000000');
    second.child.kill('SIGTERM');
    expect(await new Promise((resolve) => second.child.on('close', resolve))).toBe(0);
  }, 120_000);

  it('warns, with the fix, when it starts with credentials but nothing to watch', async () => {
    const sim = await startSimulator([]);
    try {
      const run = start(join(mkdtempSync(join(tmpdir(), 'taskhook-idle-')), 'state.db'), '0', {
        ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
        TASKHOOK_ECS_ENDPOINT: sim.endpoint,
      });
      const [line] = await run.waitFor(/^warning: nothing to watch: .*$/m, 15_000);
      expect(line).toContain('TASKHOOK_TASKS and TASKHOOK_DISCOVER are unset');
      expect(line).toContain('set TASKHOOK_TASKS=cn-hangzhou/t-… or TASKHOOK_DISCOVER=cn-hangzhou:*');
      await run.waitFor(/console: http:\/\/127\.0\.0\.1:\d+\/console#token=thk_\S+/, 5_000);
      run.child.kill('SIGTERM');
      expect(await new Promise((resolve) => run.child.on('close', resolve))).toBe(0);
    } finally {
      await sim.stop();
    }
  });
});
