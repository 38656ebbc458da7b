/** A Node HTTP server that turns each request into an FC 3.0 HTTP event and calls the FC handler with it. */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FcHttpEvent } from '../http/fc-event.js';

export type FcHandler = (event: Buffer, context: Record<string, unknown>) => Promise<unknown>;

interface FcResult {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml|.*\+json))/i;

/** Like FC: repeated headers and query values become one comma-joined string; binary bodies go base64. */
export function toFcEvent(req: http.IncomingMessage, body: Buffer, requestId: string): FcHttpEvent {
  const url = new URL(req.url ?? '/', 'http://local');
  const queryParameters: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) queryParameters[key] = url.searchParams.getAll(key).join(',');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? '');
  return {
    version: 'v1',
    rawPath: url.pathname,
    body: isText ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !isText,
    headers,
    queryParameters,
    requestContext: {
      accountId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      requestId,
      time: new Date().toISOString(),
      timeEpoch: String(Date.now()),
      http: {
        method: req.method ?? 'GET',
        path: decodeURIComponent(url.pathname),
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
    },
  };
}

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

export async function startLocalServer(handler: FcHandler, port: number, host = '127.0.0.1'): Promise<LocalServer> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const requestId = randomUUID();
    try {
      const event = toFcEvent(req, Buffer.concat(chunks), requestId);
      const result = (await handler(Buffer.from(JSON.stringify(event)), { requestId, function: { name: 'api', timeout: 30 } })) as FcResult;
      const body = result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
      res.writeHead(result.statusCode ?? 200, { ...result.headers, 'x-fc-request-id': requestId });
      res.end(body);
    } catch {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'InternalError', message: 'the handler failed', requestId } }));
    }
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
