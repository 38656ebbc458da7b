/** The API as a client sees it: the real handler behind the local server, a memory store, ECS as the simulator, a receiver. */
import { loadConfig } from '../../src/config.js';
import type { EcsSimulator, SimTask } from '../../src/ecs/simulator/index.js';
import { createApiHandler } from '../../src/http/app.js';
import { startLocalServer, type LocalServer } from '../../src/local/http-server.js';
import { buildDeps, closeDeps, type AppDeps } from '../../src/runtime.js';
import { KEYS, startSimulator } from './helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

export interface ApiHarness {
  sim: EcsSimulator;
  deps: AppDeps;
  server: LocalServer;
  receiver: Receiver;
  /** One authenticated call; the body is sent as JSON when given and the answer parsed when there is one. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }>;
  close(): Promise<void>;
}

export async function startApi(token: string, tasks: SimTask[] = []): Promise<ApiHarness> {
  const sim = await startSimulator(tasks);
  const receiver = await startReceiver([]);
  const config = loadConfig({
    TASKHOOK_ECS_ENDPOINT: sim.endpoint,
    ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
    TASKHOOK_API_TOKENS: token,
    TASKHOOK_STORE: 'memory',
    TASKHOOK_ALLOW_PRIVATE_WEBHOOKS: '127.0.0.1/32',
    TASKHOOK_LOG_LEVEL: 'error',
  });
  const deps = await buildDeps(config, () => config.credentials);
  const server = await startLocalServer(createApiHandler(() => deps) as never, 0);
  return {
    sim,
    deps,
    server,
    receiver,
    async call(method, path, body) {
      const res = await fetch(server.url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
    },
    async close() {
      await server.close();
      await closeDeps(deps);
      await receiver.close();
      await sim.stop();
    },
  };
}
