/** The bench's side of the peer process: one request, one answer, over the IPC channel. */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetSpec } from './fleet.js';
import type { LatencySpec } from './latency-fleet.js';
import type { ReadinessSpec } from './readiness-fleet.js';
import type { ArrivalReport } from './latency-peer.js';
import type { CycleStats, PeerRequest, ReceiverStats } from './peer.js';
import type { EcsSetting } from './rows.js';

const REQUEST_TIMEOUT_MS = 120_000;

/** The bundled peer next to a bundled bench, else the TypeScript source through tsx. */
function peerScript(): { file: string; execArgv: string[] } {
  const bundled = join(__dirname, 'peer.cjs');
  if (__filename.endsWith('.cjs') && existsSync(bundled)) return { file: bundled, execArgv: [] };
  return { file: join(__dirname, 'peer.ts'), execArgv: ['--import', 'tsx'] };
}

export interface TablestoreEndpoint {
  endpoint: string;
  instanceName: string;
  accessKeyId: string;
  accessKeySecret: string;
}

export class Peer {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  private constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const w = this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      clearTimeout(w.timer);
      if (msg.error !== undefined) w.reject(new Error(`peer: ${msg.error}`));
      else w.resolve(msg.result);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) {
        clearTimeout(w.timer);
        w.reject(new Error(`peer exited with ${code}`));
      }
      this.waiting.clear();
    });
  }

  static start(): Peer {
    const { file, execArgv } = peerScript();
    return new Peer(fork(file, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  private ask<T>(req: PeerRequest): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => (this.waiting.delete(id), reject(new Error(`peer did not answer ${req.op}`))), REQUEST_TIMEOUT_MS);
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ id, req });
    });
  }

  startSim(spec: FleetSpec, ecs: EcsSetting) {
    return this.ask<{ endpoint: string }>({ op: 'startSim', spec, ecs }).then((r) => r.endpoint);
  }
  setOffset(ms: number) {
    return this.ask<object>({ op: 'offset', ms });
  }
  watched() {
    return this.ask<object>({ op: 'watched' });
  }
  finishSlot(slot: number) {
    return this.ask<{ finished: number }>({ op: 'finishSlot', slot }).then((r) => r.finished);
  }
  cycleStart() {
    return this.ask<object>({ op: 'cycleStart' });
  }
  cycleStats() {
    return this.ask<CycleStats>({ op: 'cycleStats' });
  }
  cpu() {
    return this.ask<NodeJS.CpuUsage>({ op: 'cpu' });
  }
  startReceivers(count: number, secret: string, verifyFirst: number) {
    return this.ask<{ urls: string[] }>({ op: 'startReceivers', count, secret, verifyFirst }).then((r) => r.urls);
  }
  receiverStats() {
    return this.ask<ReceiverStats>({ op: 'receiverStats' });
  }
  startTablestore() {
    return this.ask<TablestoreEndpoint>({ op: 'startTablestore' });
  }
  tablestoreRequests() {
    return this.ask<Record<string, number>>({ op: 'tablestoreRequests' });
  }
  stopTablestore() {
    return this.ask<object>({ op: 'stopTablestore' }).then(() => undefined);
  }
  /** The latency scenario's simulator and receiver: the ECS endpoint and the receiver's URL. */
  latencyStart(spec: LatencySpec, ecs: EcsSetting, secret: string) {
    return this.ask<{ endpoint: string; url: string }>({ op: 'latencyStart', spec, ecs, secret });
  }
  /** The readiness scenario's simulator and receiver, on the same peer side as the latency scenario's. */
  readinessStart(spec: ReadinessSpec, ecs: EcsSetting, secret: string) {
    return this.ask<{ endpoint: string; url: string }>({ op: 'readinessStart', spec, ecs, secret });
  }
  latencyArrivals() {
    return this.ask<ArrivalReport>({ op: 'latencyArrivals' });
  }
  /** Calls the latency simulator served since it started, by API. */
  latencyCalls() {
    return this.ask<Record<string, number>>({ op: 'latencyCalls' });
  }
  async close(): Promise<void> {
    await this.ask<object>({ op: 'stopAll' }).catch(() => undefined);
    const exited = new Promise<void>((resolve) => (this.child.exitCode !== null ? resolve() : this.child.once('exit', () => resolve())));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill(), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
