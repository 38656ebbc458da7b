/**
 * The peer's side of the latency scenario: the ECS simulator with the scenario's timelines, and a webhook receiver
 * that notes, on the simulated clock, when each task's completion event arrives.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { EcsSimulator } from '../src/ecs/simulator/index.js';
import { COMPLETION_EVENT_TYPES } from '../src/tasks/events.js';
import { BENCH_KEYS } from './fleet.js';
import { latencyFleet, type LatencySpec } from './latency-fleet.js';
import { readinessFleet, type ReadinessSpec } from './readiness-fleet.js';

/** Every call the scenarios make, each held to the quota per region. */
const RESOURCE_CALLS = ['DescribeTasks', 'DescribeTaskAttribute', 'DescribeImages', 'DescribeDisks', 'DescribeInstances', 'DescribeSnapshots'];
import type { EcsSetting } from './rows.js';

export type LatencyRequest =
  | { op: 'latencyStart'; spec: LatencySpec; ecs: EcsSetting; secret: string }
  | { op: 'readinessStart'; spec: ReadinessSpec; ecs: EcsSetting; secret: string }
  | { op: 'latencyArrivals' }
  | { op: 'latencyCalls' }
  | { op: 'latencyStop' };

/** The first completion event of a task to arrive, at simulated epoch ms. */
export interface Arrival {
  taskId: string;
  type: string;
  at: number;
}

export interface ArrivalReport {
  arrivals: Arrival[];
  /** Completion events for a task that already had one (a retry of a delivery that had arrived, or a second event). */
  repeats: number;
  /** Requests whose signature did not verify (none should). */
  unverified: number;
  /** Requests that were not completion events (none, with a completion-only webhook). */
  others: number;
}

const COMPLETIONS: ReadonlySet<string> = new Set(COMPLETION_EVENT_TYPES);

let sim: EcsSimulator | null = null;
let receiver: http.Server | null = null;
let arrivals = new Map<string, Arrival>();
const counts = { repeats: 0, unverified: 0, others: 0 };

/** Signatures are checked by the library's own signing; its timestamp window is applied on the simulated clock. */
const TOLERANCE_S = 300;

function verified(verifier: Webhook, headers: http.IncomingHttpHeaders, body: string, at: number): boolean {
  const [id, timestamp, signatures] = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => String(headers[h] ?? ''));
  const seconds = Number(timestamp);
  if (!id || !signatures || !Number.isInteger(seconds) || Math.abs(at / 1000 - seconds) > TOLERANCE_S) return false;
  const expected = verifier.sign(id, new Date(seconds * 1000), body);
  return signatures.split(' ').includes(expected);
}

function startReceiver(secret: string, clock: () => number): Promise<string> {
  const verifier = new Webhook(secret);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // The arrival instant is taken before any work on the body.
      const at = clock();
      const body = Buffer.concat(chunks).toString('utf8');
      if (!verified(verifier, req.headers, body, at)) counts.unverified++;
      let event: { type?: string; subject?: string } = {};
      try {
        event = JSON.parse(body) as typeof event;
      } catch {
        // Counted with the others below.
      }
      if (!event.type || !event.subject || !COMPLETIONS.has(event.type)) counts.others++;
      else if (arrivals.has(event.subject)) counts.repeats++;
      else arrivals.set(event.subject, { taskId: event.subject, type: event.type, at });
      res.writeHead(204).end();
    });
  });
  receiver = server;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`)));
}

export async function stopLatency(): Promise<void> {
  await sim?.stop();
  sim = null;
  const server = receiver;
  receiver = null;
  if (server) await new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections()));
}

export async function handleLatency(msg: LatencyRequest, clock: () => number): Promise<unknown> {
  switch (msg.op) {
    case 'latencyStart':
    case 'readinessStart': {
      await stopLatency();
      arrivals = new Map();
      Object.assign(counts, { repeats: 0, unverified: 0, others: 0 });
      const tasks = msg.op === 'latencyStart' ? latencyFleet(msg.spec).map((t) => t.task) : readinessFleet(msg.spec).map((t) => t.task);
      sim = new EcsSimulator({ credentials: [BENCH_KEYS], tasks, clock });
      sim.setLatency(msg.ecs.latencyMs);
      for (const action of RESOURCE_CALLS) sim.setQuota(action, msg.ecs.quotaPerSecond, 1_000);
      const endpoint = await sim.start();
      return { endpoint, url: await startReceiver(msg.secret, clock) };
    }
    case 'latencyArrivals':
      return { arrivals: [...arrivals.values()], ...counts } satisfies ArrivalReport;
    case 'latencyCalls':
      return sim?.calls() ?? {};
    case 'latencyStop':
      await stopLatency();
      return {};
  }
}
