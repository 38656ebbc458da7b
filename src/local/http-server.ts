/**
 * A Node HTTP server that turns each request into an FC 3.0 HTTP event and calls the FC handler with it.
 * The framing around it cannot hurt the process: bodies are read with a limit inside the request's own error
 * handling, header/time limits are set, parse errors get a JSON 400, and every failure answer is JSON with a code.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FcHttpEvent } from '../fc/http-event.js';
import { publicPathMatcher, tokenMatches } from '../http/auth.js';
import { consoleRoutes } from '../http/routes/console.js';
import { hintRoutes } from '../http/routes/hints.js';
import { systemRoutes } from '../http/routes/system.js';
import { createLogger, type Logger } from '../log.js';

export type FcHandler = (event: Buffer, context: Record<string, unknown>) => Promise<unknown>;

interface FcResult {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** What a client may send before the server stops listening to it. */
export interface HttpLimits {
  maxBodyBytes: number;
  /** Request line plus headers; more gets 431. */
  maxHeaderBytes: number;
  /** From connect (or the previous response) to the end of the headers; longer gets 408. */
  headersTimeoutMs: number;
  /** From connect to the end of the body; longer gets 408. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: HttpLimits = {
  maxBodyBytes: 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

export interface LocalServerOptions extends Partial<HttpLimits> {
  /** When set, every path but the public ones needs `Authorization: Bearer <one of these>` before its body is read. */
  apiTokens?: string[];
  /** Where handler failures are logged; the default is the JSON logger on stdout. */
  logger?: Logger;
}

/** Answers the server gives itself, without the handler. */
export type FramingCode =
  | 'BadRequest'
  | 'MissingHost'
  | 'InvalidPath'
  | 'Unauthorized'
  | 'RequestTimeout'
  | 'PayloadTooLarge'
  | 'ExpectationFailed'
  | 'MethodNotAllowed'
  | 'HeadersTooLarge'
  | 'InternalError';

const FRAMING_ANSWERS: Record<FramingCode, { status: number; message: (limits: HttpLimits) => string; headers?: Record<string, string> }> = {
  BadRequest: { status: 400, message: () => 'the request is not valid HTTP/1.1' },
  MissingHost: { status: 400, message: () => 'an HTTP/1.1 request needs a Host header' },
  InvalidPath: { status: 400, message: () => 'the request path is malformed (a bad percent-escape?)' },
  Unauthorized: {
    status: 401,
    message: () => 'send Authorization: Bearer <token> with a token from TASKHOOK_API_TOKENS',
    headers: { 'www-authenticate': 'Bearer' },
  },
  RequestTimeout: { status: 408, message: (l) => `the request did not arrive within ${l.requestTimeoutMs} ms (headers within ${l.headersTimeoutMs} ms)` },
  PayloadTooLarge: { status: 413, message: (l) => `the body is larger than ${l.maxBodyBytes} bytes` },
  ExpectationFailed: { status: 417, message: () => 'the only Expect this server meets is 100-continue' },
  MethodNotAllowed: { status: 405, message: () => 'CONNECT is not served here: this is not a proxy' },
  HeadersTooLarge: { status: 431, message: (l) => `the request line and headers are larger than ${l.maxHeaderBytes} bytes` },
  InternalError: { status: 500, message: () => 'the handler failed; the log line with this requestId has the details' },
};

/** Node's parser and timer errors (the `clientError` event), by the answer each gets; anything else is a 400. */
const CLIENT_ERROR_ANSWERS: Record<string, FramingCode> = {
  HPE_HEADER_OVERFLOW: 'HeadersTooLarge',
  ERR_HTTP_REQUEST_TIMEOUT: 'RequestTimeout',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'PayloadTooLarge',
};

/** Socket errors after which nothing can be written back. */
const SOCKET_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** After an early answer, the client gets this long to read it before the socket is destroyed (so unread input cannot keep it open). */
const LINGER_MS = 1_000;

/** A request the server answers itself; `Aborted` means the client is gone and there is no one to answer. */
export class FramingError extends Error {
  override name = 'FramingError';
  constructor(readonly code: FramingCode | 'Aborted') {
    super(code);
  }
}

export const errorBody = (code: string, message: string, requestId?: string) => JSON.stringify({ error: { code, message, ...(requestId && { requestId }) } });

/** A whole HTTP/1.1 response for a socket that has no ServerResponse (the `clientError` case). */
function rawAnswer(code: FramingCode, limits: HttpLimits): string {
  const { status, message } = FRAMING_ANSWERS[code];
  const body = errorBody(code, message(limits));
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

function lingerThenDestroy(socket: Socket | null): void {
  if (socket) setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** A JSON error answer; `close` ends the connection after it, for answers given before the body was read. */
export function sendError(
  res: http.ServerResponse,
  code: string,
  status: number,
  message: string,
  options: { requestId?: string; headers?: Record<string, string>; close?: boolean } = {},
): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = errorBody(code, message, options.requestId);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...options.headers,
    ...(options.close && { connection: 'close' }),
  });
  res.end(body);
  if (options.close) res.once('finish', () => lingerThenDestroy(res.socket));
}

/**
 * The body, read inside the request's error handling: a Content-Length or a stream over the limit stops at once.
 * `beforeRead` runs once the declared length passed (the 100 Continue goes out there, not before the checks).
 */
export function readBody(req: http.IncomingMessage, maxBytes: number, beforeRead: () => void = () => {}): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.reject(new FramingError('PayloadTooLarge'));
  beforeRead();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (error: FramingError) => {
      req.off('data', onData);
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) stop(new FramingError('PayloadTooLarge'));
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    // Stays attached: an error after this promise settled still has a listener, so it cannot crash the process.
    req.on('error', () => stop(new FramingError('Aborted')));
    req.once('close', () => {
      if (!req.complete) stop(new FramingError('Aborted'));
    });
  });
}

export interface RequestScope {
  requestId: string;
  readBody: () => Promise<Buffer>;
}

export type Serve = (req: http.IncomingMessage, res: http.ServerResponse, scope: RequestScope) => Promise<void>;

/** An http.Server with the limits set and every stream, parser and handler failure answered (or the socket closed) here. */
export function createGuardedServer(limits: HttpLimits, serve: Serve, logger: Logger): http.Server {
  // A socket's in-flight response: once its headers are out, a raw error answer would corrupt the stream.
  const inFlight = new WeakMap<Socket, http.ServerResponse>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const requestId = randomUUID();
    inFlight.set(req.socket, res);
    // A client that hangs up mid-answer makes writes fail; that is not the server's problem.
    res.on('error', () => {});
    // With a checkContinue listener Node leaves the 100 Continue to us: it goes out only once the body is wanted.
    const sendContinue = () => {
      if (/^100-continue$/i.test(req.headers.expect ?? '')) res.writeContinue();
    };
    const served =
      req.httpVersion === '1.1' && !req.headers.host
        ? Promise.reject(new FramingError('MissingHost'))
        : serve(req, res, { requestId, readBody: () => readBody(req, limits.maxBodyBytes, sendContinue) });
    served.catch((error: unknown) => {
      if (error instanceof FramingError) {
        if (error.code === 'Aborted') res.destroy();
        else answerFraming(res, error.code, limits, requestId);
        return;
      }
      logger.error('local HTTP request failed', { requestId, method: req.method, error });
      answerFraming(res, 'InternalError', limits, requestId);
    });
  };
  const server = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      requestTimeout: limits.requestTimeoutMs,
      // Node refuses a headers timeout longer than the request timeout.
      headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks both timeouts on this interval, so it bounds how late a 408 can come.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
      // Checked in onRequest instead, so the 400 is JSON like every other answer.
      requireHostHeader: false,
    },
    onRequest,
  );
  server.maxHeadersCount = 100;
  server.on('checkContinue', onRequest);
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    res.on('error', () => {});
    answerFraming(res, 'ExpectationFailed', limits, randomUUID());
  });
  const answerRaw = (socket: Socket, code: FramingCode) => {
    socket.on('error', () => {});
    socket.end(rawAnswer(code, limits));
    lingerThenDestroy(socket);
  };
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const answerable = socket.writable && !SOCKET_GONE.has(error.code ?? '') && !inFlight.get(socket)?.headersSent;
    if (answerable) answerRaw(socket, CLIENT_ERROR_ANSWERS[error.code ?? ''] ?? 'BadRequest');
    else socket.destroy();
  });
  // Without a listener Node drops a CONNECT silently; with one, the socket is ours to answer.
  server.on('connect', (_req: http.IncomingMessage, socket: Socket) => answerRaw(socket, 'MethodNotAllowed'));
  return server;
}

function answerFraming(res: http.ServerResponse, code: FramingCode, limits: HttpLimits, requestId: string): void {
  const { status, message, headers } = FRAMING_ANSWERS[code];
  // An answer before the body was read (or after a broken one) closes the connection: the rest of the input is not HTTP we trust.
  sendError(res, code, status, message(limits), { requestId, headers, close: code !== 'InternalError' });
}

/** The request target as a URL and its decoded path; a target that does not parse or decode is InvalidPath. */
function parseTarget(rawUrl: string | undefined): { url: URL; path: string } {
  try {
    const url = new URL(rawUrl ?? '/', 'http://local');
    return { url, path: decodeURIComponent(url.pathname) };
  } catch {
    throw new FramingError('InvalidPath');
  }
}

/** Like FC: repeated headers and query values become one comma-joined string; binary bodies go base64. */
export function toFcEvent(req: http.IncomingMessage, body: Buffer, requestId: string): FcHttpEvent {
  const { url, path } = parseTarget(req.url);
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
        path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
    },
  };
}

const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml|.*\+json))/i;

/** The paths the API answers without a token; the same list its bearerAuth middleware uses. */
const isPublic = publicPathMatcher([...systemRoutes, ...consoleRoutes, ...hintRoutes].map((route) => route.path));

/** The check the API handler makes, made before the body is read; `undefined` tokens leave it to the handler. */
function authorized(req: http.IncomingMessage, path: string, tokens: string[] | undefined): boolean {
  if (tokens === undefined || isPublic(path)) return true;
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return match !== null && tokens.length > 0 && tokenMatches(match[1], tokens);
}

/** The handler's FC response, written as is; one that is not an FC response is the handler's failure. */
function writeFcResult(res: http.ServerResponse, result: unknown, requestId: string): void {
  if (typeof result !== 'object' || result === null) throw new TypeError('the FC handler returned no response object');
  const { statusCode = 200, headers, body, isBase64Encoded } = result as FcResult;
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) throw new TypeError('the FC handler returned an invalid statusCode');
  const payload = body === undefined ? '' : Buffer.from(String(body), isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(statusCode, { ...headers, 'x-fc-request-id': requestId });
  res.end(payload);
}

export interface LocalServer {
  url: string;
  close(): Promise<void>;
}

export async function startLocalServer(handler: FcHandler, port: number, host = '127.0.0.1', options: LocalServerOptions = {}): Promise<LocalServer> {
  const { apiTokens, logger = createLogger(), ...limitOptions } = options;
  const limits: HttpLimits = { ...DEFAULT_LIMITS, ...definedOnly(limitOptions) };
  const server = createGuardedServer(
    limits,
    async (req, res, { requestId, readBody: read }) => {
      const { path } = parseTarget(req.url);
      if (!authorized(req, path, apiTokens)) throw new FramingError('Unauthorized');
      const event = toFcEvent(req, await read(), requestId);
      const result = await handler(Buffer.from(JSON.stringify(event)), { requestId, function: { name: 'api', timeout: 30 } });
      writeFcResult(res, result, requestId);
    },
    logger,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After listen, a server error (an accept failure) is logged, not thrown into an event nobody listens to.
  server.on('error', (error) => logger.warn('local HTTP server error', { error }));
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

/** `{ maxBodyBytes: undefined }` must not override the default. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
