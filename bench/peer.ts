/** Child process hosting the ECS simulator and the webhook receiver, so their CPU is not billed to the code under test. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { EcsSimulator } from '../src/ecs/simulator/index.js';
import { startFakeTablestore, type FakeTablestore } from '../src/fakes/tablestore/index.js';
import { BENCH_KEYS, fleet, type FleetSpec } from './fleet.js';

export type PeerRequest =
  | { op: 'startSim'; spec: FleetSpec }
  | { op: 'offset'; ms: number }
  | { op: 'calls' }
  | { op: 'reset' }
  | { op: 'cpu' }
  | { op: 'startReceiver'; secret: string; verifyFirst: number }
  | { op: 'receiverStats' }
  | { op: 'startTablestore' }
  | { op: 'tablestoreRequests' }
  | { op: 'stopTablestore' }
  | { op: 'stopAll' };

export interface ReceiverStats {
  received: number;
  verified: number;
  unverified: number;
}

let offset = 0;
const clock = () => Date.now() + offset;
let sim: EcsSimulator | null = null;
let receiver: http.Server | null = null;
let tablestore: FakeTablestore | null = null;
const stats: ReceiverStats = { received: 0, verified: 0, unverified: 0 };

async function stopTablestore() {
  await tablestore?.close();
  tablestore = null;
}

async function stopAll() {
  await stopTablestore();
  await sim?.stop();
  sim = null;
  const r = receiver;
  receiver = null;
  if (r) await new Promise<void>((resolve) => (r.close(() => resolve()), r.closeAllConnections()));
}

async function handle(msg: PeerRequest): Promise<unknown> {
  switch (msg.op) {
    case 'startSim': {
      await sim?.stop();
      offset = 0;
      sim = new EcsSimulator({ credentials: [BENCH_KEYS], tasks: fleet(msg.spec), clock });
      return { endpoint: await sim.start() };
    }
    case 'offset':
      offset = msg.ms;
      return {};
    case 'calls':
      return sim?.calls() ?? {};
    case 'reset':
      sim?.resetCounters();
      return {};
    case 'cpu':
      return process.cpuUsage();
    case 'startReceiver': {
      Object.assign(stats, { received: 0, verified: 0, unverified: 0 });
      const verifier = new Webhook(msg.secret);
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const n = stats.received++;
          if (n < msg.verifyFirst) {
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
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      receiver = server;
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
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
  }
}

process.on('message', (raw: { id: number; req: PeerRequest }) => {
  handle(raw.req).then(
    (result) => process.send?.({ id: raw.id, result }),
    (error: unknown) => process.send?.({ id: raw.id, error: String(error) }),
  );
});
process.on('disconnect', () => void stopAll().then(() => process.exit(0)));
