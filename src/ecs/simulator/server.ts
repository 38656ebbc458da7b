/** The simulated ECS endpoint: HTTP server, request pipeline, injected faults, quotas per action and region, and call counters. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ACTIONS, type TaskStore } from './actions';
import { isOddAnswerFault, oddAnswer } from './odd-answers';
import { API_VERSION, ApiError, HTML_503, errorBody, errors, hostId, newRequestId, readParams } from './protocol';
import { rpcStringToSign, verifyRpcSignature } from './signature';
import { TaskIndex } from './task-index';
import { sortedTimeline } from './timeline';
import type { SimCall, SimFault, SimTask, SimulatorOptions } from './types';
import { REGION_IDS } from './types';

const MAX_BODY_BYTES = 1 << 20;

interface Quota {
  limit: number;
  windowMs: number;
}

interface Answer {
  status: number;
  body: string;
  contentType: string;
  code?: string;
  /** Reset the connection after this many bytes of the body. */
  resetAfterBytes?: number;
}

/** Faults that answer an ECS error instead of running the action. */
const ERROR_FAULTS: Partial<Record<SimFault['kind'], (method: string, params: Record<string, string>, fault: SimFault) => ApiError>> = {
  throttle: () => errors.throttled(),
  error: (_method, _params, fault) => new ApiError(fault.httpStatus ?? 400, fault.code ?? 'InvalidParameter', fault.message ?? `ECS answered ${fault.code}`),
  http500: () => errors.internal(),
  http503: () => errors.unavailable(),
  signatureMismatch: (method, params) => errors.signatureDoesNotMatch(rpcStringToSign(method, params)),
};

export class EcsSimulator {
  private readonly opts: SimulatorOptions;
  private readonly clock: () => number;
  private readonly store = new TaskIndex();
  /** Tasks by `<region>|<resourceId>`: what the resources' describe calls look up. */
  private readonly resources = new Map<string, SimTask>();
  private readonly faults: { fault: SimFault; left: number }[] = [];
  private readonly quotas = new Map<string, Quota>();
  private readonly quotaUse = new Map<string, { window: number; used: number }>();
  private readonly sockets = new Set<Socket>();
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private counts: Record<string, number> = {};
  private log: SimCall[] = [];
  private latencyMs = 0;
  private wallClockSkewMs: number;
  private server: Server | null = null;
  private url: string | null = null;

  constructor(opts: SimulatorOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? Date.now;
    this.wallClockSkewMs = opts.wallClockSkewMs ?? 0;
    for (const task of opts.tasks ?? []) this.addTask(task);
  }

  get endpoint(): string {
    if (!this.url) throw new Error('The ECS simulator is not started.');
    return this.url;
  }

  async start(): Promise<string> {
    if (this.server) throw new Error('The ECS simulator is already started.');
    const host = this.opts.host ?? '127.0.0.1';
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.opts.port ?? 0, host, () => resolve());
      });
    } catch (err) {
      this.server = null;
      throw err;
    }
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : this.opts.port;
    this.url = `http://${host}:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const [timer, release] of this.waits) {
      clearTimeout(timer);
      release();
    }
    this.waits.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  addTask(task: SimTask): void {
    if (!REGION_IDS.includes(task.regionId)) throw new Error(`Unknown region id ${task.regionId} for task ${task.taskId}.`);
    if (task.timeline.length === 0) throw new Error(`Task ${task.taskId} needs at least one timeline step.`);
    const stored = sortedTimeline(structuredClone(task));
    this.store.put(stored);
    if (stored.resourceId) this.resources.set(`${stored.regionId}|${stored.resourceId}`, stored);
  }

  removeTask(regionId: string, taskId: string): void {
    const task = this.store.get(regionId, taskId);
    if (task?.resourceId && this.resources.get(`${regionId}|${task.resourceId}`) === task) this.resources.delete(`${regionId}|${task.resourceId}`);
    this.store.delete(regionId, taskId);
  }

  /** Copies of the tasks as they stand now, cancellations included. */
  tasks(): SimTask[] {
    return [...this.store.values()].map((t) => structuredClone(t));
  }

  injectFault(fault: SimFault): void {
    if (fault.kind === 'latency' && !(Number(fault.latencyMs) >= 0)) throw new Error('A latency fault needs latencyMs >= 0.');
    if (fault.bytes !== undefined && !(fault.bytes >= 0)) throw new Error('A hugeBody fault needs bytes >= 0.');
    this.faults.push({ fault: { ...fault }, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Moves the simulated ECS's wall clock `ms` away from this machine's (see SimulatorOptions.wallClockSkewMs). */
  setWallClockSkew(ms: number): void {
    this.wallClockSkewMs = ms;
  }

  setLatency(ms: number): void {
    this.latencyMs = Math.max(0, ms);
  }

  /**
   * `callsPerWindow` calls of `action` per region in each fixed window of `windowMs` (ECS counts per API and region:
   * 50 calls/s is `setQuota(action, 50, 1000)`); past it, calls answer Throttling.User (HTTP 400) until the window turns.
   */
  setQuota(action: string, callsPerWindow: number, windowMs = 60_000): void {
    if (!(Number.isInteger(callsPerWindow) && callsPerWindow >= 0)) throw new Error(`A quota needs a whole number of calls >= 0, not ${callsPerWindow}.`);
    if (!(windowMs > 0)) throw new Error(`A quota window needs windowMs > 0, not ${windowMs}.`);
    this.quotas.set(action, { limit: callsPerWindow, windowMs });
    for (const k of this.quotaUse.keys()) if (k.startsWith(`${action}|`)) this.quotaUse.delete(k);
  }

  calls(): Record<string, number> {
    return { ...this.counts };
  }

  callLog(): SimCall[] {
    return this.log.map((c) => ({ ...c }));
  }

  resetCounters(): void {
    this.counts = {};
    this.log = [];
  }

  private readonly taskStore: TaskStore = {
    get: (regionId, taskId) => this.store.get(regionId, taskId),
    inRegion: (regionId) => this.store.inRegion(regionId),
    createdBetween: (regionId, from, to, action) => this.store.createdBetween(regionId, from, to, action),
    put: (task) => {
      this.store.put(task);
      if (task.resourceId) this.resources.set(`${task.regionId}|${task.resourceId}`, task);
    },
    byResource: (regionId, id) => this.resources.get(`${regionId}|${id}`),
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: string;
    try {
      body = await readBody(req);
    } catch {
      req.socket.destroy();
      return;
    }
    const params = readParams(req.url, body, req.headers['content-type']);
    const requestId = newRequestId();
    const action = params.Action ?? '';
    const regionId = params.RegionId || undefined;
    const taskIds = params.TaskId
      ? [params.TaskId]
      : params.TaskIds?.split(',')
          .map((s) => s.trim())
          .filter(Boolean);
    const arrivedAt = this.clock();
    const call: SimCall = { action, regionId, taskIds, status: 0, securityToken: params.SecurityToken !== undefined };
    if (action) this.counts[action] = (this.counts[action] ?? 0) + 1;
    this.log.push(call);

    let delay = this.latencyMs;
    let answer: Answer | 'drop';
    const extraHeaders: Record<string, string> = {};
    try {
      verifyRpcSignature(req.method ?? 'GET', params, this.opts.credentials, Date.now() + this.wallClockSkewMs);
      if (params.Version !== API_VERSION) throw errors.invalidVersion();
      if (!action) throw errors.missing('Action');
      if (!Object.hasOwn(ACTIONS, action)) throw errors.actionNotFound();
      const fault = this.takeFault(action, regionId);
      if (fault?.kind === 'latency') delay += fault.latencyMs ?? 0;
      if (fault?.kind === 'drop') answer = 'drop';
      else if (fault?.kind === 'html503') answer = { status: 503, body: HTML_503, contentType: 'text/html' };
      else {
        const errorFault = fault && ERROR_FAULTS[fault.kind];
        if (errorFault) {
          if (fault.kind === 'throttle' && fault.timeLeftMs !== undefined)
            extraHeaders['x-ratelimit-user-api'] = `Limit:100,Remain:0,TimeLeft:${fault.timeLeftMs},Reset:-1`;
          throw errorFault(req.method ?? 'GET', params, fault);
        }
        this.spendQuota(action, regionId ?? '');
        const now = this.clock();
        const run = (p: Record<string, string>) =>
          ACTIONS[action](p, { store: this.taskStore, now, precision: this.opts.timePrecision ?? 'minute', requestId });
        const result = run(params);
        if (isOddAnswerFault(fault)) {
          const existingTasks = () => this.taskStore.inRegion(regionId ?? '').filter((t) => t.createdAt <= now);
          answer = { status: 200, ...oddAnswer(fault.kind, result, { action, params, answerWith: run, existingTasks, fault }) };
        } else {
          answer = { status: 200, body: JSON.stringify(result), contentType: 'application/json;charset=utf-8' };
        }
      }
    } catch (caught) {
      const err = caught instanceof ApiError ? caught : errors.internal();
      const body = errorBody(err, requestId, hostId(regionId, REGION_IDS));
      answer = { status: err.status, body, contentType: 'application/json;charset=utf-8', code: err.code };
    }

    if (answer !== 'drop') {
      call.status = answer.status;
      call.code = answer.code;
    }
    this.opts.onCall?.(call, arrivedAt);
    if (delay > 0) await this.wait(delay);
    if (!this.server || res.destroyed) return;
    if (answer === 'drop') {
      req.socket.destroy();
      return;
    }
    if (answer.resetAfterBytes !== undefined) {
      // Promise the whole body, send part of it, then reset: the client sees the connection die mid-answer.
      const bytes = Buffer.from(answer.body);
      res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': bytes.length, 'x-acs-request-id': requestId });
      res.write(bytes.subarray(0, answer.resetAfterBytes), () => req.socket.destroy());
      return;
    }
    // ECS's gateway dates every answer (on the simulated clock); a client can read the clock skew from it.
    const date = new Date(this.clock() + this.wallClockSkewMs).toUTCString();
    res.writeHead(answer.status, { 'content-type': answer.contentType, 'x-acs-request-id': requestId, date, ...extraHeaders });
    res.end(answer.body);
  }

  private takeFault(action: string, regionId: string | undefined): SimFault | undefined {
    const entry = this.faults.find(
      ({ fault, left }) => left > 0 && (!fault.action || fault.action === action) && (!fault.regionId || fault.regionId === regionId),
    );
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) this.faults.splice(this.faults.indexOf(entry), 1);
    return entry.fault;
  }

  /** ECS counts calls per action and region in fixed windows; once spent, every call fails until the next window. */
  private spendQuota(action: string, regionId: string): void {
    const quota = this.quotas.get(action);
    if (!quota) return;
    const window = Math.floor(this.clock() / quota.windowMs);
    const k = `${action}|${regionId}`;
    const use = this.quotaUse.get(k);
    const used = use?.window === window ? use.used : 0;
    if (used >= quota.limit) throw errors.throttled();
    this.quotaUse.set(k, { window, used: used + 1 });
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waits.delete(timer);
        resolve();
      }, ms);
      this.waits.set(timer, resolve);
    });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error('request body too large'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
