/**
 * The peer process: the ECS simulator, the Tablestore fake and the webhook receivers, so their CPU and memory are not
 * billed to the taskhook process under test. It also keeps ECS's view of the fleet: when each task was last answered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { EcsSimulator, type SimCall } from '../src/ecs/simulator/index.js';
import { endTimelineAt } from '../src/ecs/simulator/timeline.js';
import { startFakeTablestore, type FakeTablestore } from '../src/fakes/tablestore/index.js';
import { BENCH_KEYS, fleetTask, slotOf, type FleetSpec } from './fleet.js';
import { handleLatency, stopLatency, type LatencyRequest } from './latency-peer.js';
import type { EcsSetting } from './rows.js';

export type PeerRequest =
  | { op: 'startSim'; spec: FleetSpec; ecs: EcsSetting }
  | { op: 'offset'; ms: number }
  | { op: 'watched' }
  | { op: 'finishSlot'; slot: number }
  | { op: 'cycleStart' }
  | { op: 'cycleStats' }
  | { op: 'cpu' }
  | { op: 'startReceivers'; count: number; secret: string; verifyFirst: number }
  | { op: 'receiverStats' }
  | { op: 'startTablestore' }
  | { op: 'tablestoreRequests' }
  | { op: 'stopTablestore' }
  | { op: 'stopAll' }
  | LatencyRequest;

export interface ReceiverStats {
  received: number;
  verified: number;
  unverified: number;
}

export interface CycleStats {
  /** Calls per API since cycleStart, throttled ones included. */
  calls: Record<string, number>;
  throttled: number;
  /** Tasks running at cycleStart (not yet seen finished). */
  activeAtStart: number;
  /** Of those, how many ECS answered about (status 200) since cycleStart. */
  answered: number;
  /** Simulated now minus the last answer about the stalest task not yet seen finished. */
  stalenessMs: number;
}

const TASK_PREFIX = 't-bench';
const THROTTLED = /^Throttling/;

let offset = 0;
const clock = () => Date.now() + offset;
let sim: EcsSimulator | null = null;
let spec: FleetSpec | null = null;
/** ECS's view per fleet index: when a task was last answered about, and when the bench finished it (NaN: never). */
let lastSeen = new Float64Array(0);
let finishedAt = new Float64Array(0);
let watchedAt = 0;
let cycle = { startedAt: 0, activeAtStart: new Uint8Array(0), calls: {} as Record<string, number>, throttled: 0 };
const receivers: http.Server[] = [];
let tablestore: FakeTablestore | null = null;
const stats: ReceiverStats = { received: 0, verified: 0, unverified: 0 };

const indexOf = (taskId: string): number => {
  if (!taskId.startsWith(TASK_PREFIX)) return -1;
  const i = Number(taskId.slice(-8));
  return Number.isInteger(i) && i < lastSeen.length ? i : -1;
};
const done = (i: number) => !Number.isNaN(finishedAt[i]) && lastSeen[i] >= finishedAt[i];

function observe(call: SimCall, at: number): void {
  cycle.calls[call.action] = (cycle.calls[call.action] ?? 0) + 1;
  if (call.code && THROTTLED.test(call.code)) cycle.throttled++;
  if (call.status !== 200 || !call.taskIds) return;
  for (const id of call.taskIds) {
    const i = indexOf(id);
    if (i >= 0) lastSeen[i] = at;
  }
}

function cycleStats(): CycleStats {
  const now = clock();
  let answered = 0;
  let activeAtStart = 0;
  let oldest = Infinity;
  for (let i = 0; i < lastSeen.length; i++) {
    if (cycle.activeAtStart[i]) {
      activeAtStart++;
      if (lastSeen[i] >= cycle.startedAt) answered++;
    }
    if (!done(i)) oldest = Math.min(oldest, Number.isNaN(lastSeen[i]) ? watchedAt : lastSeen[i]);
  }
  return { calls: { ...cycle.calls }, throttled: cycle.throttled, activeAtStart, answered, stalenessMs: oldest === Infinity ? 0 : now - oldest };
}

async function stopTablestore() {
  await tablestore?.close();
  tablestore = null;
}

async function stopAll() {
  await stopTablestore();
  await stopLatency();
  await sim?.stop();
  sim = null;
  const servers = receivers.splice(0);
  await Promise.all(servers.map((r) => new Promise<void>((resolve) => (r.close(() => resolve()), r.closeAllConnections()))));
}

function receiver(verifier: Webhook, verifyFirst: number): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      stats.received++;
      // The first `verifyFirst` signed requests are checked; the plain loop's unsigned ones are only counted.
      if (req.headers['webhook-signature'] && stats.verified + stats.unverified < verifyFirst) {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        try {
          verifier.verify(Buffer.concat(chunks).toString('utf8'), headers);
          stats.verified++;
        } catch {
          stats.unverified++;
        }
      }
      res.writeHead(204).end();
    });
  });
}

async function handle(msg: PeerRequest): Promise<unknown> {
  switch (msg.op) {
    case 'startSim': {
      await sim?.stop();
      offset = 0;
      spec = msg.spec;
      lastSeen = new Float64Array(spec.count).fill(NaN);
      finishedAt = new Float64Array(spec.count).fill(NaN);
      watchedAt = clock();
      const tasks = Array.from({ length: spec.count }, (_, i) => fleetTask(msg.spec, i));
      sim = new EcsSimulator({ credentials: [BENCH_KEYS], tasks, clock, onCall: observe });
      sim.setLatency(msg.ecs.latencyMs);
      for (const action of ['DescribeTasks', 'DescribeTaskAttribute']) sim.setQuota(action, msg.ecs.quotaPerSecond, 1_000);
      return { endpoint: await sim.start() };
    }
    case 'offset':
      offset = msg.ms;
      return {};
    case 'watched':
      watchedAt = clock();
      return {};
    case 'finishSlot': {
      if (!sim || !spec) throw new Error('finishSlot before startSim');
      const now = clock();
      let finished = 0;
      for (let i = 0; i < spec.count; i++) {
        if (slotOf(spec, i) !== msg.slot) continue;
        sim.addTask(endTimelineAt(fleetTask(spec, i), now, 'Finished'));
        finishedAt[i] = now;
        finished++;
      }
      return { finished };
    }
    case 'cycleStart': {
      sim?.resetCounters();
      const activeAtStart = new Uint8Array(lastSeen.length);
      for (let i = 0; i < lastSeen.length; i++) activeAtStart[i] = done(i) ? 0 : 1;
      cycle = { startedAt: clock(), activeAtStart, calls: {}, throttled: 0 };
      return {};
    }
    case 'cycleStats':
      return cycleStats();
    case 'cpu':
      return process.cpuUsage();
    case 'startReceivers': {
      Object.assign(stats, { received: 0, verified: 0, unverified: 0 });
      const verifier = new Webhook(msg.secret);
      const urls: string[] = [];
      for (let i = 0; i < msg.count; i++) {
        const server = receiver(verifier, msg.verifyFirst);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
        receivers.push(server);
        urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
      }
      return { urls };
    }
    case 'receiverStats':
      return { ...stats };
    case 'startTablestore': {
      await stopTablestore();
      tablestore = await startFakeTablestore();
      const { endpoint, instanceName, accessKeyId, accessKeySecret } = tablestore;
      return { endpoint, instanceName, accessKeyId, accessKeySecret };
    }
    case 'tablestoreRequests':
      return tablestore?.requests() ?? {};
    case 'stopTablestore':
      await stopTablestore();
      return {};
    case 'stopAll':
      await stopAll();
      return {};
    case 'latencyStart':
    case 'readinessStart':
      // A fresh scenario starts on the wall clock, as startSim does.
      offset = 0;
      return handleLatency(msg, clock);
    case 'latencyArrivals':
    case 'latencyCalls':
    case 'latencyStop':
      return handleLatency(msg, clock);
  }
}

process.on('message', (raw: { id: number; req: PeerRequest }) => {
  handle(raw.req).then(
    (result) => process.send?.({ id: raw.id, result }),
    (error: unknown) => process.send?.({ id: raw.id, error: String(error) }),
  );
});
process.on('disconnect', () => void stopAll().then(() => process.exit(0)));
