/**
 * `npm start` / `taskhook start`: the two FC handlers behind a local HTTP server and an interval timer.
 * Without Alibaba Cloud credentials it runs the demo: the ECS simulator with demo tasks, discovery of them,
 * and a receiver that verifies and prints every delivery.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { handler as apiHandler } from '../../functions/api/index.js';
import { handler as pollHandler } from '../../functions/poller/index.js';
import { loadConfig } from '../config.js';
import { EcsSimulator } from '../ecs/simulator/index.js';
import { demoTasks } from '../ecs/simulator/scenarios.js';
import type { PollSummary } from '../poller.js';
import { closeProcessDeps } from '../runtime.js';
import { newWebhookSecret } from '../webhooks/signing.js';
import { startDemoReceiver, type DemoReceiver } from './demo-receiver.js';
import { startLocalServer, type FcHandler } from './http-server.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  print?: (line: string) => void;
  /** Seconds between poll runs; the demo default is 5, otherwise TASKHOOK_POLL_INTERVAL. */
  intervalSeconds?: number;
}

export interface RunningLocal {
  url: string;
  token: string | null;
  demo: boolean;
  /** Runs one poll now (the timer keeps going). */
  pollNow(): Promise<PollSummary>;
  stop(): Promise<void>;
}

/** A task id no simulator knows: the demo shows what ecs.task.not_found looks like. */
const DEMO_MISSING_TASK = 'cn-hangzhou/t-bp1demogone00000000';

export async function startLocal(options: StartOptions = {}): Promise<RunningLocal> {
  const env = options.env ?? process.env;
  const print = options.print ?? ((line: string) => process.stdout.write(line + '\n'));
  const initial = loadConfig(env, 'local');
  const demo = !initial.credentials && !initial.ecsEndpoint;
  let simulator: EcsSimulator | null = null;
  let receiver: DemoReceiver | null = null;

  if (demo) {
    const accessKeyId = 'LTAIdemo' + randomBytes(6).toString('hex');
    const accessKeySecret = randomBytes(18).toString('base64url');
    // Second precision (ECS also answers in minutes) keeps the demo's short durations readable.
    simulator = new EcsSimulator({ credentials: [{ accessKeyId, accessKeySecret }], tasks: demoTasks(Date.now()), timePrecision: 'second' });
    const endpoint = await simulator.start();
    const secret = newWebhookSecret();
    receiver = await startDemoReceiver(secret, (line) => print(`  ${line}`));
    const demoWebhook = { url: receiver.url, secret, description: 'demo receiver', events: ['ecs.task.succeeded', 'ecs.task.partially_failed', 'ecs.task.failed', 'ecs.task.cancelled', 'ecs.task.not_found', 'ecs.task.started', 'ecs.task.progress'] };
    // The handlers read their configuration from the environment, exactly as on FC.
    Object.assign(env, {
      ALIBABA_CLOUD_ACCESS_KEY_ID: accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: accessKeySecret,
      TASKHOOK_ECS_ENDPOINT: endpoint,
      TASKHOOK_DISCOVER: env.TASKHOOK_DISCOVER || 'cn-hangzhou:*;cn-beijing:*',
      TASKHOOK_TASKS: [env.TASKHOOK_TASKS, DEMO_MISSING_TASK].filter(Boolean).join(','),
      TASKHOOK_WEBHOOKS: JSON.stringify([...initial.webhooks, demoWebhook]),
      TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: [env.TASKHOOK_ALLOW_PRIVATE_WEBHOOKS, '127.0.0.1/32'].filter(Boolean).join(','),
      // The demo's own lines tell the story; JSON logs only for what goes wrong, unless asked for.
      TASKHOOK_LOG_LEVEL: env.TASKHOOK_LOG_LEVEL || 'warn',
    });
  }
  let token: string | null = null;
  if (initial.apiTokens.length === 0) {
    token = 'thk_' + randomBytes(24).toString('base64url');
    env.TASKHOOK_API_TOKENS = token;
  }
  const config = loadConfig(env, 'local');
  const server = await startLocalServer(apiHandler as unknown as FcHandler, config.port).catch(async (error: NodeJS.ErrnoException) => {
    // A busy default port should not stop a first try; a port the user chose should.
    if (error.code !== 'EADDRINUSE' || env.TASKHOOK_PORT) throw error;
    print(`port ${config.port} is busy, so the API takes a free port (set TASKHOOK_PORT to choose one)`);
    return startLocalServer(apiHandler as unknown as FcHandler, 0);
  });
  const intervalMs = (options.intervalSeconds ?? (demo && !env.TASKHOOK_POLL_INTERVAL ? 5 : config.pollIntervalSeconds)) * 1000;

  // The timer calls the FC timer handler with the event FC would send; the next run is scheduled after this one ends.
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<PollSummary> | null = null;
  let stopped = false;
  const pollNow = () => {
    const event = Buffer.from(JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'local-timer', payload: '' }));
    const run = (pollHandler(event, { requestId: randomUUID(), function: { name: 'poller', timeout: Math.max(30, intervalMs / 1000) } }) as Promise<PollSummary>).finally(() => {
      if (inFlight === run) inFlight = null;
    });
    inFlight = run;
    return run;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      pollNow()
        .catch((error: unknown) => print(`poll failed: ${(error as Error).message}`))
        .finally(schedule);
    }, intervalMs);
  };

  const shown = token ?? '<a token from TASKHOOK_API_TOKENS>';
  const auth = `-H 'Authorization: Bearer ${shown}'`;
  print(`taskhook is running: API on ${server.url}, polling every ${intervalMs / 1000} s, state in ${describeStore(config.store)}`);
  if (demo) {
    print(`demo mode: no Alibaba Cloud credentials are set, so ECS is the built-in simulator (${config.ecsEndpoint}) with six demo tasks.`);
    print(`events arrive below within a minute, each verified by a demo webhook receiver:`);
  }
  if (token) print(`API token for this run (set TASKHOOK_API_TOKENS to choose your own): ${token}`);
  print('try:');
  print(`  curl -s ${auth} ${server.url}/v1/tasks`);
  print(`  curl -s ${auth} '${server.url}/v1/events?limit=5'`);
  if (demo) {
    const first = simulator!.tasks()[0];
    print(`  curl -s ${auth} '${server.url}/v1/tasks/${first.taskId}?regionId=${first.regionId}'`);
  }
  print(`  npx taskhook --help`);

  // First poll right away, so discovery and the first events do not wait a whole interval.
  pollNow()
    .catch((error: unknown) => print(`poll failed: ${(error as Error).message}`))
    .finally(schedule);

  return {
    url: server.url,
    token,
    demo,
    pollNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      // A run in progress finishes (its commits are atomic); anything it did not reach is polled next start.
      await inFlight?.catch(() => undefined);
      await server.close();
      await closeProcessDeps();
      await receiver?.close();
      await simulator?.stop();
    },
  };
}

function describeStore(store: ReturnType<typeof loadConfig>['store']): string {
  return store.kind === 'sqlite' ? store.path : store.kind;
}
