/** A webhook consumer for tests: a real HTTP server that verifies with `standardwebhooks` and parses with `cloudevents`. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP, type CloudEventV1 } from 'cloudevents';
import { Webhook } from 'standardwebhooks';

export interface Received {
  headers: Record<string, string>;
  body: string;
  /** Which of the receiver's secrets verified the signature (null: none did). */
  verifiedWith: string | null;
  event: CloudEventV1<unknown> | null;
  at: number;
}

/** Decides each answer; default 204. `hang` never answers. */
export type Responder = (r: Received, index: number) => { status: number; headers?: Record<string, string>; body?: string } | 'hang';

export interface Receiver {
  url: string;
  received: Received[];
  respond: Responder;
  /** Stops accepting connections (the endpoint is "down") until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(secrets: string[], respond: Responder = () => ({ status: 204 })): Promise<Receiver> {
  const received: Received[] = [];
  const hanging = new Set<http.ServerResponse>();
  let port = 0;
  let server: http.Server;

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    let verifiedWith: string | null = null;
    for (const secret of secrets) {
      try {
        new Webhook(secret).verify(body, headers);
        verifiedWith = secret;
        break;
      } catch {
        /* try the next secret */
      }
    }
    let event: CloudEventV1<unknown> | null;
    try {
      event = HTTP.toEvent({ headers, body }) as CloudEventV1<unknown>;
    } catch {
      event = null;
    }
    const r: Received = { headers, body, verifiedWith, event, at: Date.now() };
    received.push(r);
    const answer = receiver.respond(r, received.length - 1);
    if (answer === 'hang') {
      hanging.add(res);
      return;
    }
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(answer.body ?? '');
  };

  const listen = () =>
    new Promise<void>((resolve) => {
      server = http.createServer((req, res) => void handler(req, res));
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  await listen();
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks/taskhook`,
    received,
    respond,
    down: stop,
    up: listen,
    close: stop,
  };
  return receiver;
}
