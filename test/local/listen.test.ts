/** `taskhook listen` pulling the event feed, and the CLI's --api / TASKHOOK_API_URL / TASKHOOK_API_TOKEN, in-process over real HTTP. */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { completeIo, type Io } from '../../src/local/cli-context.js';
import { runCli } from '../../src/local/cli.js';
import { listenCommand, listenStatePath, type ListenOptions } from '../../src/local/commands/listen.js';
import { writeInstance } from '../../src/local/instance-file.js';
import type { StateStore } from '../../src/store/port.js';
import { startApi, type ApiHarness } from '../support/api.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { snapshot, transition } from '../store/contract.js';

const TOKEN = 'listen-token-0123456789abcdef';

let taskNumber = 0;
async function finishTask(store: StateStore): Promise<string[]> {
  const key = { regionId: 'cn-hangzhou', taskId: `t-listen${String(++taskNumber).padStart(8, '0')}` };
  await store.watchTask(key, 'api', new Date().toISOString());
  const commit = transition(key, 0, null, snapshot(key, 'Finished', { observedAt: new Date().toISOString() }), 0);
  await store.commitTransition(commit);
  return commit.events.map((e) => e.id);
}

interface Captured {
  io: Io;
  out: string[];
  err: string[];
}
function capture(cwd: string, env: Record<string, string> = {}): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return { io: completeIo({ out: (l) => out.push(l), err: (l) => err.push(l), tty: false, readStdin: async () => '', env, cwd }), out, err };
}

async function until(check: () => boolean, ms = 10_000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One listen running in-process; `stop()` is its Ctrl-C. */
function runListen(c: Captured, options: ListenOptions) {
  let stop!: (signal: string) => void;
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const exit = listenCommand(c.io, options, () => stopped);
  return {
    exit,
    async stop() {
      stop('SIGINT');
      return exit;
    },
  };
}

const secretIn = (cwd: string) => (JSON.parse(readFileSync(listenStatePath(cwd), 'utf8')) as { secret: string }).secret;
const ids = (r: Receiver) => r.received.map((x) => x.headers['webhook-id']);

let api: ApiHarness;
let receiver: Receiver;
const secrets: string[] = [];

beforeAll(async () => {
  api = await startApi(TOKEN);
  receiver = await startReceiver(secrets);
});
afterAll(async () => {
  await receiver.close();
  await api.close();
});
afterEach(() => {
  receiver.received.length = 0;
  receiver.respond = () => ({ status: 204 });
  secrets.length = 0;
});

describe('taskhook listen against an API reached by --api', () => {
  it('forwards each new event in order, signed with a secret kept 0600, and resumes after a restart without repeats', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'taskhook-listen-'));
    const first = capture(cwd, { TASKHOOK_API_TOKEN: TOKEN });
    const listen = runListen(first, { forwardTo: receiver.url, api: api.server.url });
    await until(() => first.out.some((l) => l.includes('no webhook is registered')), 5_000, 'listen to start');
    const secret = secretIn(cwd);
    secrets.push(secret);
    expect(statSync(listenStatePath(cwd)).mode & 0o777).toBe(0o600);
    expect([...first.out, ...first.err].join('\n')).not.toContain(secret);
    expect([...first.out, ...first.err].join('\n')).not.toContain(TOKEN);
    expect((await api.call('GET', '/v1/webhooks')).body.webhooks).toEqual([]);

    const committed = await finishTask(api.deps.store);
    await until(() => receiver.received.length >= committed.length, 5_000, 'the forwards');
    expect(ids(receiver)).toEqual(committed);
    for (const r of receiver.received) {
      expect(r.verifiedWith).toBe(secret);
      expect(r.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
      expect(r.event?.id).toBe(r.headers['webhook-id']);
    }
    expect(await listen.stop()).toBe(0);

    // Committed while no listen ran: the next one in this folder forwards exactly these, with the same secret.
    const whileStopped = await finishTask(api.deps.store);
    receiver.received.length = 0;
    const second = capture(cwd, { TASKHOOK_API_URL: api.server.url, TASKHOOK_API_TOKEN: TOKEN });
    const again = runListen(second, { forwardTo: receiver.url, printSecret: true });
    await until(() => receiver.received.length >= whileStopped.length, 5_000, 'the resumed forwards');
    expect(second.out).toContain(`  ${secret}`);
    expect(second.out.join('\n')).toContain('resuming where the last listen in this folder stopped');
    await new Promise((r) => setTimeout(r, 300));
    expect(ids(receiver)).toEqual(whileStopped);
    expect(receiver.received.every((r) => r.verifiedWith === secret)).toBe(true);
    expect(await again.stop()).toBe(0);
  }, 30_000);

  it('does not move past an event the app refused: tries it again with backoff, and a restart forwards it first', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'taskhook-listen-'));
    const c = capture(cwd, { TASKHOOK_API_TOKEN: TOKEN });
    receiver.respond = () => ({ status: 500 });
    const listen = runListen(c, { forwardTo: receiver.url, api: api.server.url, events: 'ecs.task.succeeded', json: true });
    await until(() => c.out.length > 0, 5_000, 'listen to start');
    expect(JSON.parse(c.out[0])).toMatchObject({ ready: true, events: ['ecs.task.succeeded'] });
    expect(JSON.parse(c.out[0])).not.toHaveProperty('secret');
    const [refused] = (await finishTask(api.deps.store)).slice(-1);
    const [next] = (await finishTask(api.deps.store)).slice(-1);
    await until(() => receiver.received.length >= 2, 5_000, `a retry: ${JSON.stringify([c.out, c.err, ids(receiver)])}`);
    expect(ids(receiver)).toEqual([refused, refused]);
    expect(receiver.received[1].at - receiver.received[0].at).toBeGreaterThanOrEqual(900);
    expect(await listen.stop()).toBe(0);

    receiver.received.length = 0;
    receiver.respond = () => ({ status: 204 });
    const d = capture(cwd, { TASKHOOK_API_TOKEN: TOKEN });
    const resumed = runListen(d, { forwardTo: receiver.url, api: api.server.url, events: 'ecs.task.succeeded', json: true });
    await until(() => receiver.received.length >= 2, 5_000, 'the refused event and the next');
    expect(ids(receiver)).toEqual([refused, next]);
    expect(await resumed.stop()).toBe(0);
  }, 30_000);
});

describe('taskhook listen beside a local instance (.taskhook/instance.json)', () => {
  it('pulls from the instance in this folder with no --api and no token in the environment', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'taskhook-listen-'));
    writeInstance(cwd, {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      apiUrl: api.server.url,
      token: TOKEN,
      consoleUrl: `${api.server.url}/console`,
      store: 'memory',
      demo: false,
      simulator: null,
      allowPrivateWebhooks: [],
    });
    const c = capture(cwd);
    const listen = runListen(c, { forwardTo: receiver.url });
    await until(() => c.out.some((l) => l.includes('no webhook is registered')), 5_000, 'listen to start');
    expect(c.out[0]).toContain(`from the running taskhook (${api.server.url})`);
    secrets.push(secretIn(cwd));
    const committed = await finishTask(api.deps.store);
    await until(() => receiver.received.length >= committed.length, 5_000, 'the forwards');
    expect(ids(receiver)).toEqual(committed);
    expect(receiver.received.every((r) => r.verifiedWith === secrets[0])).toBe(true);
    expect(await listen.stop()).toBe(0);
  }, 20_000);

  it('keeps trying while its API is gone, with nothing to remove, and stops cleanly', async () => {
    const doomed = await startApi(TOKEN);
    const cwd = mkdtempSync(join(tmpdir(), 'taskhook-listen-'));
    const c = capture(cwd, { TASKHOOK_API_TOKEN: TOKEN });
    const listen = runListen(c, { forwardTo: receiver.url, api: doomed.server.url });
    await until(() => c.out.some((l) => l.includes('no webhook is registered')), 5_000, 'listen to start');
    await doomed.close();
    await until(() => c.err.length > 0, 10_000, 'the unreachable line');
    expect(c.err[0]).toMatch(/^taskhook: could not reach the taskhook API at 127\.0\.0\.1:\d+ \(\w+\); .*trying again in 1 s \(Ctrl-C stops\)$/);
    expect(await listen.stop()).toBe(0);
    expect(c.out.at(-1)).toBe('stopped (SIGINT); the next listen in this folder goes on from here with the same secret');
  }, 20_000);
});

describe('the CLI reaching a deployed API', () => {
  const run = async (argv: string[], env: Record<string, string>, cwd = mkdtempSync(join(tmpdir(), 'taskhook-cli-api-'))) => {
    const c = capture(cwd, env);
    const code = await runCli(argv, { out: c.io.out, err: c.io.err, tty: false, readStdin: c.io.readStdin, env, cwd });
    return { code, out: c.out, err: c.err };
  };

  it('lists the webhooks of the API named by --api, or by TASKHOOK_API_URL, with TASKHOOK_API_TOKEN', async () => {
    const created = await api.call('POST', '/v1/webhooks', { url: receiver.url, description: 'cli-api' });
    const byOption = await run(['webhooks', 'list', '--api', api.server.url, '--json'], { TASKHOOK_API_TOKEN: TOKEN });
    expect(byOption.code).toBe(0);
    expect(JSON.parse(byOption.out.join('\n')).map((w: { id: string }) => w.id)).toContain(created.body.webhook.id);
    const byEnv = await run(['webhooks', 'list'], { TASKHOOK_API_URL: `${api.server.url}/`, TASKHOOK_API_TOKEN: TOKEN });
    expect(byEnv.code).toBe(0);
    expect(byEnv.out.join('\n')).toContain(created.body.webhook.id);
    await api.call('DELETE', `/v1/webhooks/${created.body.webhook.id}`);
  });

  it('says in one line that TASKHOOK_API_TOKEN is missing, and never prints a token it was given', async () => {
    const missing = await run(['listen', '--forward-to', receiver.url, '--api', api.server.url], {});
    expect(missing.code).toBe(2);
    expect(missing.err).toEqual([
      "taskhook: --api names an API but TASKHOOK_API_TOKEN is not set; export TASKHOOK_API_TOKEN with one of that API's TASKHOOK_API_TOKENS",
    ]);
    const wrong = await run(['webhooks', 'list'], { TASKHOOK_API_URL: api.server.url, TASKHOOK_API_TOKEN: 'wrong-token-do-not-print' });
    expect(wrong.code).toBe(2);
    expect(wrong.err).toHaveLength(1);
    expect(wrong.err[0]).toMatch(/refused TASKHOOK_API_TOKEN \(401\); set it to one of the tokens/);
    expect([...wrong.out, ...wrong.err].join('\n')).not.toContain('wrong-token-do-not-print');
  });

  it('refuses an --api that is not an http(s) URL or that carries credentials, and names --api where there is no instance', async () => {
    const bad = await run(['webhooks', 'list', '--api', 'taskhook.example.com'], { TASKHOOK_API_TOKEN: TOKEN });
    expect(bad.err).toEqual(['taskhook: --api "taskhook.example.com" is not a URL; give the API\'s base URL, e.g. https://taskhook.example.com']);
    const creds = await run(['webhooks', 'list'], { TASKHOOK_API_URL: 'https://user:pw@taskhook.example.com', TASKHOOK_API_TOKEN: TOKEN });
    expect(creds.err[0]).toContain('TASKHOOK_API_URL must not carry credentials');
    expect(creds.err[0]).not.toContain('pw@');
    const down = await run(['listen', '--forward-to', receiver.url, '--api', 'http://127.0.0.1:9'], { TASKHOOK_API_TOKEN: TOKEN });
    expect(down.code).toBe(2);
    expect(down.err).toEqual([expect.stringMatching(/^taskhook: could not reach the taskhook API at 127\.0\.0\.1:9 \(\w+\); check --api/)]);
    const none = await run(['listen', '--forward-to', receiver.url], {});
    expect(none.code).toBe(2);
    expect(none.err[0]).toContain('listen needs a running taskhook in this folder');
    expect(none.err[0]).toContain('--api <url> (or TASKHOOK_API_URL) and TASKHOOK_API_TOKEN');
  });
});
