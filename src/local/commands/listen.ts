/**
 * `taskhook listen --forward-to URL`: a temporary webhook on the running instance whose deliveries are forwarded,
 * byte for byte with their headers, to a local URL; the receiver's answer goes back to taskhook.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXIT, UsageError, portOption, requireOption, type Io } from '../cli-context.js';
import { colorsFor } from '../colors.js';
import { InstanceApiError, requireInstance } from '../instance-api.js';

export interface ListenOptions {
  forwardTo?: string;
  events?: string;
  port?: string;
  json?: boolean;
}

/** Headers that describe one connection, not the message: never forwarded. */
const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'expect',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
]);
const MAX_BODY_BYTES = 5 * 1024 * 1024;
const FORWARD_TIMEOUT_MS = 30_000;
/** What goes back to taskhook of the receiver's answer (taskhook keeps the first 4 KB). */
const MAX_ANSWER_BYTES = 64 * 1024;

function checkForwardUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--forward-to "${value}" is not a URL (e.g. --forward-to http://localhost:3000/hooks)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--forward-to must be an http:// or https:// URL, not "${value}"`);
  return url;
}

interface Forwarded {
  status: number | null;
  durationMs: number;
  error: string | null;
}

export async function listenCommand(io: Io, options: ListenOptions, untilStopped: () => Promise<unknown>): Promise<number> {
  const forwardTo = checkForwardUrl(requireOption(options.forwardTo, 'forward-to', 'http://localhost:3000/hooks'));
  const port = portOption(options.port);
  const events = (options.events ?? '*')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const api = requireInstance(io, 'listen');
  const colors = colorsFor(io);

  const report = (type: string, eventId: string, result: Forwarded) => {
    const at = new Date().toISOString();
    if (options.json) {
      io.out(JSON.stringify({ at, eventId, type, status: result.status, durationMs: result.durationMs, error: result.error }));
      return;
    }
    const answer =
      result.status === null
        ? colors.red(`could not reach ${forwardTo.host} (${result.error})`)
        : (result.status < 300 ? colors.green : colors.red)(`${result.status} ${http.STATUS_CODES[result.status] ?? ''}`.trim());
    io.out(`${at.slice(11, 19)}  ${type.padEnd(26)} ${eventId}  → ${answer}  ${result.durationMs} ms`);
  };

  const forward = async (req: http.IncomingMessage, body: Buffer): Promise<{ result: Forwarded; answer: { status: number; type: string; body: Buffer } }> => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const started = Date.now();
    try {
      const res = await fetch(forwardTo, {
        method: req.method,
        headers,
        body: body.length ? new Uint8Array(body) : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS),
      });
      const answer = Buffer.from(await res.arrayBuffer()).subarray(0, MAX_ANSWER_BYTES);
      return {
        result: { status: res.status, durationMs: Date.now() - started, error: null },
        answer: { status: res.status, type: res.headers.get('content-type') ?? 'text/plain', body: answer },
      };
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      const message = `taskhook listen could not reach ${forwardTo.href} (${code})`;
      return {
        result: { status: null, durationMs: Date.now() - started, error: code },
        answer: { status: 502, type: 'text/plain', body: Buffer.from(message) },
      };
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      let type = '?';
      try {
        const parsed = (JSON.parse(body.toString('utf8')) as { type?: unknown }).type;
        if (typeof parsed === 'string') type = parsed;
      } catch {
        // Not an event: forwarded all the same, the receiver decides.
      }
      void forward(req, body).then(({ result, answer }) => {
        report(type, String(req.headers['webhook-id'] ?? '-'), result);
        res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
      });
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new UsageError(`port ${port} is already in use: choose another with --port (0 takes a free one)`) : error),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const listenUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/taskhook-listen`;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());

  let created: { webhook: { id: string; events: string[] }; secret: string };
  try {
    created = await api.call('POST', '/v1/webhooks', { url: listenUrl, events, description: `taskhook listen → ${forwardTo.href} (temporary)` });
  } catch (error) {
    await close();
    if (error instanceof InstanceApiError && error.code.startsWith('InvalidWebhookUrl'))
      throw new UsageError(
        `the running taskhook refuses a webhook on ${listenUrl} (${error.code}); start it with TASKHOOK_ALLOW_PRIVATE_WEBHOOKS=127.0.0.1/32 (demo mode allows it already)`,
      );
    throw error;
  }
  const { webhook, secret } = created;
  if (options.json)
    io.out(JSON.stringify({ ready: true, webhookId: webhook.id, secret, events: webhook.events, listening: listenUrl, forwardTo: forwardTo.href }));
  else {
    io.out(`forwarding ${webhook.events.join(', ')} from ${api.info.apiUrl} to ${forwardTo.href}`);
    io.out(`temporary webhook ${webhook.id}, removed when you stop (Ctrl-C); its secret, shown once, for your receiver:`);
    io.out(`  ${secret}`);
  }

  const signal = await untilStopped();
  await close();
  try {
    await api.call('DELETE', `/v1/webhooks/${encodeURIComponent(webhook.id)}`);
    if (!options.json) io.out(`removed temporary webhook ${webhook.id}${typeof signal === 'string' ? ` (${signal})` : ''}`);
  } catch (error) {
    io.err(
      `taskhook: could not remove the temporary webhook ${webhook.id} (${(error as Error).message}); remove it with taskhook webhooks remove ${webhook.id}`,
    );
    return EXIT.error;
  }
  return EXIT.ok;
}
