/** The bench's side of the peer process: one request, one answer, over the IPC channel. */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { PeerRequest, ReceiverStats } from './peer.js';
import type { FleetSpec } from './fleet.js';

const REQUEST_TIMEOUT_MS = 30_000;

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
    const file = join(__dirname, 'peer.ts');
    return new Peer(fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  private ask<T>(req: PeerRequest): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => (this.waiting.delete(id), reject(new Error(`peer did not answer ${req.op}`))), REQUEST_TIMEOUT_MS);
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ id, req });
    });
  }

  startSim(spec: FleetSpec) {
    return this.ask<{ endpoint: string }>({ op: 'startSim', spec }).then((r) => r.endpoint);
  }
  setOffset(ms: number) {
    return this.ask<object>({ op: 'offset', ms });
  }
  calls() {
    return this.ask<Record<string, number>>({ op: 'calls' });
  }
  resetCounters() {
    return this.ask<object>({ op: 'reset' });
  }
  cpu() {
    return this.ask<NodeJS.CpuUsage>({ op: 'cpu' });
  }
  startReceiver(secret: string, verifyFirst: number) {
    return this.ask<{ url: string }>({ op: 'startReceiver', secret, verifyFirst }).then((r) => r.url);
  }
  receiverStats() {
    return this.ask<ReceiverStats>({ op: 'receiverStats' });
  }
  startTablestore() {
    return this.ask<{ endpoint: string; instanceName: string; accessKeyId: string; accessKeySecret: string }>({ op: 'startTablestore' });
  }
  tablestoreRequests() {
    return this.ask<Record<string, number>>({ op: 'tablestoreRequests' });
  }
  stopTablestore() {
    return this.ask<object>({ op: 'stopTablestore' }).then(() => undefined);
  }
  stopAll() {
    return this.ask<object>({ op: 'stopAll' });
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
