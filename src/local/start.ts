/**
 * `npm start` / `taskhook start`: the two FC handlers behind a local HTTP server and an interval timer.
 * Without Alibaba Cloud credentials it runs the demo: the ECS simulator with demo tasks, discovery of them,
 * and a receiver that verifies and prints every delivery.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { loadConfig, type Config, type StaticWebhook } from '../config.js';
import { UsageError } from '../errors.js';
import { createLogger } from '../log.js';
import { EcsSimulator } from '../ecs/simulator/index.js';
import { demoTasks } from '../ecs/simulator/scenarios.js';
import { createPollHandler } from '../fc/poll-handler.js';
import { createApiHandler } from '../http/app.js';
import type { PollSummary } from '../poller.js';
import { buildDeps, closeDeps, type AppDeps } from '../runtime.js';
import { openStoreFor } from '../store/open.js';
import { COMPLETION_EVENT_TYPES } from '../tasks/events.js';
import type { AttemptReport } from '../webhooks/delivery.js';
import { createDispatcher } from '../webhooks/dispatcher.js';
import { newWebhookSecret } from '../webhooks/signing.js';
import { startDemoReceiver, type DemoReceiver } from './demo-receiver.js';
import { removeInstance, writeInstance } from './instance-file.js';
import { inProcessInvoker } from './shard-invoker.js';
import { startLocalServer, type FcHandler } from './http-server.js';

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  print?: (line: string) => void;
  /** Warnings (stderr in the CLI); defaults to `print`. */
  warn?: (line: string) => void;
  /** Where `.taskhook/instance.json` is written for the CLI; the process's working directory by default. */
  cwd?: string;
  /** Seconds between poll runs; the demo default is 5, otherwise TASKHOOK_POLL_INTERVAL. */
  intervalSeconds?: number;
  /** A damaged or non-SQLite state file is moved aside and a new store made, instead of refusing to start (`--move-aside-corrupt`). */
  moveAsideCorrupt?: boolean;
}

export interface RunningLocal {
  url: string;
  token: string | null;
  demo: boolean;
  /** Runs one poll now (the timer keeps going). */
  pollNow(): Promise<PollSummary>;
  stop(): Promise<void>;
}

/** How long stop waits for deliveries in flight; a receiver still answering then is cut off and its delivery retried next start. */
const STOP_DELIVERIES_MS = 2_000;
/** How much longer than its function timeout a run may go before the timer stops waiting for it and goes on. */
const HUNG_GRACE_MS = 10_000;
/** A failure that repeats the last one is shown again after this long, not every interval. */
const REPEAT_FAILURE_MS = 60_000;

/** A task id no simulator knows: the demo shows what ecs.task.not_found looks like. */
const DEMO_MISSING_TASK = { regionId: 'cn-hangzhou', taskId: 't-bp1demogone00000000' };

export async function startLocal(options: StartOptions = {}): Promise<RunningLocal> {
  const env = options.env ?? process.env;
  const print = options.print ?? ((line: string) => process.stdout.write(line + '\n'));
  const warn = options.warn ?? print;
  const cwd = options.cwd ?? process.cwd();
  const initial = loadConfig(env, 'local');
  // The state file first: a damaged one stops start-up here, before anything listens or says it is running.
  const store = initial.store.kind === 'sqlite' ? await openStoreFor(initial.store, { notice: warn, moveAsideCorrupt: options.moveAsideCorrupt }) : undefined;
  const demo = !initial.credentials && !initial.ecsEndpoint;
  let simulator: EcsSimulator | null = null;
  let receiver: DemoReceiver | null = null;
  let config: Config = initial;

  if (demo) {
    const credentials = { accessKeyId: 'LTAIdemo' + randomBytes(6).toString('hex'), accessKeySecret: randomBytes(18).toString('base64url') };
    // Second precision (ECS also answers in minutes) keeps the demo's short durations readable.
    simulator = new EcsSimulator({ credentials: [credentials], tasks: demoTasks(Date.now()), timePrecision: 'second' });
    const endpoint = await simulator.start();
    const secret = newWebhookSecret();
    receiver = await startDemoReceiver(secret, (line) => print(`  ${line}`));
    const demoWebhook: StaticWebhook = {
      url: receiver.url,
      secret,
      description: 'demo receiver',
      events: [...COMPLETION_EVENT_TYPES, 'ecs.task.started', 'ecs.task.progress', 'ecs.task.stalled', 'ecs.task.resumed'],
    };
    config = {
      ...initial,
      credentials,
      ecsEndpoint: endpoint,
      discover: initial.discover.length
        ? initial.discover
        : [
            { regionId: 'cn-hangzhou', actions: [] },
            { regionId: 'cn-beijing', actions: [] },
          ],
      tasks: [...initial.tasks, DEMO_MISSING_TASK],
      webhooks: [...initial.webhooks, demoWebhook],
      allowPrivateWebhooks: [...initial.allowPrivateWebhooks, '127.0.0.1/32'],
      // The demo's own lines tell the story; JSON logs only for what goes wrong, unless asked for.
      logLevel: env.TASKHOOK_LOG_LEVEL ? initial.logLevel : 'warn',
      // Demo timelines run in seconds, so a vanished task is confirmed gone within the demo's first minute.
      confirmSeconds: env.TASKHOOK_CONFIRM_SECONDS ? initial.confirmSeconds : 10,
      // Likewise, a demo task stuck for 20 seconds has stalled (its half-failing import pauses 18 s, which is not one).
      stallFloorSeconds: env.TASKHOOK_STALL_FLOOR ? initial.stallFloorSeconds : 20,
    };
  }
  let token: string | null = null;
  if (config.apiTokens.length === 0) {
    token = 'thk_' + randomBytes(24).toString('base64url');
    config = { ...config, apiTokens: [token] };
  }
  // The same handlers FC runs, given this process's dependencies instead of an FC instance's.
  const running = buildDeps(config, () => config.credentials, store).then((deps) => {
    const onDeliveryAttempt = (report: AttemptReport) => failedAttemptLine(report).forEach(print);
    // Deliveries go out from per-webhook workers beside the runs, so a receiver that hangs holds up only its own.
    const deliveries = createDispatcher({ store: deps.store, client: deps.webhookClient, logger: deps.logger, now: deps.now, onAttempt: onDeliveryAttempt });
    return { ...deps, onDeliveryAttempt, deliveries };
  });
  const depsOf = (): Promise<AppDeps> => running;
  const apiHandler = createApiHandler(depsOf) as unknown as FcHandler;
  // A list too long for one run is split into shards; locally each shard runs as a poll of its own in this process.
  const shards = inProcessInvoker(
    (shard) =>
      pollHandler(Buffer.from(JSON.stringify({ payload: JSON.stringify({ shard }) })), {
        requestId: randomUUID(),
        function: { name: 'poller', timeout: Math.max(30, intervalMs / 1000) },
      }),
    createLogger(config.logLevel),
  );
  // Stop ends a run's hot passes and new work at once; what a run already started still commits.
  const halt = new AbortController();
  // A run's hot-task passes end before the next tick, as on FC with its 1-minute timer.
  const pollHandler = createPollHandler(async () => {
    const deps = await running;
    const hotBudgetSeconds = Math.min(deps.config.hotBudgetSeconds, Math.max(0, intervalMs / 1000 - 1));
    return { ...deps, invoker: shards, halt: halt.signal, config: { ...deps.config, hotBudgetSeconds } };
  });
  const guard = { apiTokens: config.apiTokens };
  const server = await startLocalServer(apiHandler, config.port, undefined, guard)
    .catch(async (error: NodeJS.ErrnoException) => {
      // A busy default port should not stop a first try; a port the user chose should.
      if (error.code !== 'EADDRINUSE' || env.TASKHOOK_PORT) throw error;
      print(`port ${config.port} is busy, so the API takes a free port (set TASKHOOK_PORT to choose one)`);
      return startLocalServer(apiHandler, 0, undefined, guard);
    })
    .catch(async (error: NodeJS.ErrnoException) => {
      // Nothing started may keep the process alive once the API cannot listen.
      await closeDeps(await running).catch(() => undefined);
      await receiver?.close();
      await simulator?.stop();
      if (error.code === 'EADDRINUSE')
        throw new UsageError(`port ${config.port} is already in use: stop what listens there, or set TASKHOOK_PORT to a free port`);
      throw error;
    });
  const intervalMs = (options.intervalSeconds ?? (demo && !env.TASKHOOK_POLL_INTERVAL ? 5 : config.pollIntervalSeconds)) * 1000;

  // The timer calls the FC timer handler with the event FC would send; the next run is scheduled after this one ends.
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<PollSummary> | null = null;
  let stopped = false;
  const runTimeoutSeconds = Math.max(30, intervalMs / 1000);
  const pollNow = () => {
    const event = Buffer.from(JSON.stringify({ triggerTime: new Date().toISOString(), triggerName: 'local-timer', payload: '' }));
    const run = pollHandler(event, { requestId: randomUUID(), function: { name: 'poller', timeout: runTimeoutSeconds } }).finally(() => {
      if (inFlight === run) inFlight = null;
    });
    inFlight = run;
    return run;
  };
  // A failing run says why in one line (again once a minute while it keeps failing), and one line says when runs work again.
  let failing: { since: string; runs: number; line: string; shownAt: number } | null = null;
  const failed = (error: unknown) => {
    const line = `poll failed: ${oneLine(error)} (the next run is in ${intervalMs / 1000} s)`;
    failing = { since: failing?.since ?? new Date().toISOString(), runs: (failing?.runs ?? 0) + 1, line: failing?.line ?? '', shownAt: failing?.shownAt ?? 0 };
    if (failing.line === line && Date.now() - failing.shownAt < REPEAT_FAILURE_MS) return;
    warn(line);
    Object.assign(failing, { line, shownAt: Date.now() });
  };
  const succeeded = () => {
    if (failing) print(`polling works again: ${failing.runs} run${failing.runs === 1 ? '' : 's'} failed since ${failing.since}`);
    failing = null;
  };
  // A run that neither ends nor fails (a call that hangs) must not stop the timer: past its function's timeout, it is left behind.
  const hungAfterMs = runTimeoutSeconds * 1000 + HUNG_GRACE_MS;
  const timedRun = async () => {
    let watchdog: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => (watchdog = setTimeout(resolve, hungAfterMs, 'hung')));
    try {
      if ((await Promise.race([pollNow(), hung])) === 'hung')
        failed(new Error(`a poll run is still going after ${hungAfterMs / 1000} s; the timer goes on without it`));
      else succeeded();
    } catch (error) {
      failed(error);
    } finally {
      clearTimeout(watchdog);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => void timedRun().then(schedule, schedule), intervalMs);
  };

  const shown = token ?? '<a token from TASKHOOK_API_TOKENS>';
  const auth = `-H 'Authorization: Bearer ${shown}'`;
  // The token in the console URL's fragment never reaches a server log; the user-chosen token is not printed.
  const consoleUrl = `${server.url}/console#token=${token ?? '<your token>'}`;
  const simulatorKey = demo ? config.credentials : null;
  // The store is open by now, so its files exist and writeInstance can make them the owner's only.
  await running;
  const infoFile = writeInstance(cwd, {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    apiUrl: server.url,
    token: config.apiTokens[0],
    consoleUrl: `${server.url}/console#token=${config.apiTokens[0]}`,
    store: config.store.kind === 'sqlite' ? `sqlite:${resolve(cwd, config.store.path)}` : config.store.kind,
    demo,
    simulator: simulatorKey && config.ecsEndpoint ? { endpoint: config.ecsEndpoint, ...simulatorKey } : null,
    allowPrivateWebhooks: config.allowPrivateWebhooks,
  });
  print(`taskhook is running: API on ${server.url}, polling every ${intervalMs / 1000} s, state in ${describeStore(config.store)}`);
  print(`console: ${consoleUrl}`);
  if (demo) {
    print(`demo mode: no Alibaba Cloud credentials are set, so ECS is the built-in simulator (${config.ecsEndpoint}) with nine demo tasks.`);
    print(`the CLI in this folder uses it: its endpoint and access key are in ${infoFile} (readable by you only).`);
    print(`events arrive below within a minute, each verified by a demo webhook receiver:`);
  } else if (config.tasks.length === 0 && config.discover.length === 0) {
    warn(
      'warning: nothing to watch: TASKHOOK_TASKS and TASKHOOK_DISCOVER are unset, so only tasks registered over the API (POST /v1/tasks) are polled; ' +
        'set TASKHOOK_TASKS=cn-hangzhou/t-… or TASKHOOK_DISCOVER=cn-hangzhou:* (or start without credentials for the demo)',
    );
  }
  if (token) print(`API token for this run (set TASKHOOK_API_TOKENS to choose your own): ${token}`);
  print('try:');
  print(`  curl -s ${auth} ${server.url}/v1/tasks`);
  print(`  curl -s ${auth} '${server.url}/v1/events?limit=5'`);
  if (demo) {
    const first = simulator!.tasks()[0];
    print(`  curl -s ${auth} '${server.url}/v1/tasks/${first.taskId}?regionId=${first.regionId}'`);
  }
  if (demo) {
    const first = simulator!.tasks()[0];
    print(`  npx taskhook watch ${first.taskId} --region ${first.regionId}`);
  }
  print(`  npx taskhook listen --forward-to http://localhost:3000/hooks`);
  print(`  npx taskhook --help`);

  // First poll right away, so discovery and the first events do not wait a whole interval.
  void timedRun().then(schedule, schedule);

  return {
    url: server.url,
    token,
    demo,
    pollNow,
    async stop() {
      stopped = true;
      halt.abort();
      if (timer) clearTimeout(timer);
      removeInstance(cwd);
      // A run in progress finishes (its commits are atomic); anything it did not reach is polled next start. A hung one is not waited for.
      if (inFlight) await Promise.race([inFlight.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, hungAfterMs).unref())]);
      await shards.idle();
      const deps = await running;
      await deps.deliveries.close(STOP_DELIVERIES_MS);
      // Cuts off an attempt still in flight, and lets its worker record it before the store closes.
      await deps.webhookClient.close();
      await deps.deliveries.idle(STOP_DELIVERIES_MS);
      await server.close();
      await closeDeps(deps);
      await receiver?.close();
      await simulator?.stop();
    },
  };
}

/** An error's message on one line. */
const oneLine = (error: unknown) => String((error as Error)?.message ?? error).replace(/\s*\n\s*/g, ' ');

function describeStore(store: Config['store']): string {
  return store.kind === 'sqlite' ? store.path : store.kind;
}

/** A failed attempt, one line: which webhook, what came back, and when it is tried again. Nothing for a success. */
function failedAttemptLine(report: AttemptReport): string[] {
  if (report.outcome === 'succeeded') return [];
  const answer = report.status === null ? (report.error ?? 'no answer') : `HTTP ${report.status}`;
  const next = report.outcome === 'dead' ? 'no more retries' : `next try ${report.nextAttemptAt}`;
  return [`delivery failed: webhook ${report.webhookId} (${report.host}) answered ${answer} for ${report.eventId}, attempt ${report.attempt}; ${next}`];
}
