/** The demo's webhook consumer: verifies every delivery with `standardwebhooks` and prints one line per event. */
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { createLogger } from '../log.js';
import type { TaskEvent } from '../tasks/events.js';
import { DEFAULT_LIMITS, createGuardedServer, sendError, type HttpLimits } from './http-server.js';

export interface DemoReceiver {
  url: string;
  close(): Promise<void>;
}

/** `ecs.task.succeeded  t-bp1…  ExportImage  cn-hangzhou  6m 0s  signature verified` */
export function describeEvent(event: TaskEvent, verified: boolean): string {
  const task = event.data?.task;
  const parts = [event.type.padEnd(26), event.subject];
  if (task) {
    parts.push(...[task.action, task.regionId].filter(Boolean));
    if (event.type === 'ecs.task.progress' && task.progress !== null) parts.push(`${task.progress}%`);
    if (task.durationSeconds !== null) parts.push(`took ${formatDuration(task.durationSeconds)}`);
    const failure = task.operations.find((op) => op.errorCode);
    if (failure && task.outcome !== 'succeeded') parts.push(`${failure.errorCode}: ${failure.errorMessage ?? ''}`);
    if (task.counts && task.outcome === 'partially_failed') parts.push(`${task.counts.succeeded}/${task.counts.total} succeeded`);
    parts.push(...readinessPart(event));
  }
  parts.push(verified ? 'signature verified' : 'SIGNATURE INVALID');
  return parts.join('  ');
}

/** What the resource waited for and how it ended, or how a stall looks: one part of the line, or none. */
function readinessPart(event: TaskEvent): string[] {
  const task = event.data.task;
  if (event.type === 'ecs.task.stalled' && task.stall)
    return [`stuck ${formatDuration(task.stall.stuckSeconds)}${task.progress !== null ? ` at ${task.progress}%` : ''}`];
  if (event.type === 'ecs.task.resumed') return [`moving again${task.progress !== null ? ` at ${task.progress}%` : ''}`];
  const { readiness, resource } = task;
  if (event.type !== 'ecs.task.succeeded' || !readiness || !resource) return [];
  const name = `${resource.type} ${resource.id}`;
  if (readiness.state === 'ready' && task.readyAt) {
    const after = (Date.parse(task.readyAt) - Date.parse(readiness.since)) / 1000;
    return [`${name} ${resource.status ?? 'ready'} ${formatDuration(after)} after the task`];
  }
  if (readiness.state === 'not_ready') return [`not ready: ${readiness.reason ?? name}`];
  return [];
}

function formatDuration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m}m ${Math.round(seconds % 60)}s` : `${Math.round(seconds)}s`;
}

/** What the demo receiver answers a delivery whose signature does not verify (or that is not a delivery at all). */
const INVALID_SIGNATURE = { code: 'InvalidSignature', status: 400, message: 'the webhook-signature does not verify with the demo secret' };

export async function startDemoReceiver(secret: string, print: (line: string) => void, limits: Partial<HttpLimits> = {}): Promise<DemoReceiver> {
  const webhook = new Webhook(secret);
  const logger = createLogger('warn');
  // The same framing as the local API server: body limit, header/time limits, stream errors answered or closed, never thrown.
  const server = createGuardedServer(
    { ...DEFAULT_LIMITS, ...limits },
    async (req, res, { readBody }) => {
      const body = (await readBody()).toString('utf8');
      let verified = true;
      try {
        webhook.verify(body, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      try {
        print(describeEvent(JSON.parse(body) as TaskEvent, verified));
      } catch {
        print(`a delivery that is not JSON  ${verified ? 'signature verified' : 'SIGNATURE INVALID'}`);
      }
      if (verified) {
        res.writeHead(204);
        res.end();
      } else {
        sendError(res, INVALID_SIGNATURE.code, INVALID_SIGNATURE.status, INVALID_SIGNATURE.message);
      }
    },
    logger,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.on('error', (error) => logger.warn('demo receiver server error', { error }));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
