/**
 * The one HTTP client for webhook sends, on node:http and node:https. Every connection it opens goes through the
 * socket's DNS lookup below: a hostname is resolved once, every address is checked against the address policy,
 * and the socket is handed only those checked addresses (no second lookup, so DNS rebinding cannot swap in
 * another address). Node skips the lookup for IP-literal hosts, so those are checked in `send` before any socket
 * exists. Redirects are never followed (node:http has no redirect logic); at most 4 KB of a response is read.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { WebhookSendError, type WebhookSendErrorCode } from '../errors.js';
import {
  addressesWithoutDns,
  checkResolvedAddresses,
  defaultResolver,
  parseWebhookUrl,
  type AddressPolicy,
  type Resolver,
  type UrlProblemCode,
} from '../net/address-policy.js';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface WebhookResponse {
  status: number;
  headers: Record<string, string>;
  /** The first maxResponseBytes (4096) bytes of the body as utf8; the rest is never read. */
  bodySnippet: string;
  durationMs: number;
  retryAfter?: string;
}

export interface WebhookClientOptions {
  policy: AddressPolicy;
  resolve?: Resolver;
  userAgent?: string;
  maxResponseBytes?: number;
}

export interface WebhookClient {
  send(req: WebhookRequest): Promise<WebhookResponse>;
  close(): Promise<void>;
}

const POLICY_CODES: Record<UrlProblemCode, WebhookSendErrorCode> = {
  InvalidWebhookUrl: 'InvalidUrl',
  'InvalidWebhookUrl.Scheme': 'InvalidUrl',
  'InvalidWebhookUrl.Credentials': 'InvalidUrl',
  'InvalidWebhookUrl.BlockedAddress': 'BlockedAddress',
  'InvalidWebhookUrl.Unresolvable': 'Unresolvable',
};

export function createWebhookClient(opts: WebhookClientOptions): WebhookClient {
  const { policy, resolve = defaultResolver, userAgent = 'taskhook', maxResponseBytes = 4096 } = opts;

  /** Resolves `hostname` once and returns its addresses only if every one of them passes the policy. */
  async function checkedAddresses(hostname: string, protocol: string): Promise<string[]> {
    let addresses: string[];
    try {
      addresses = addressesWithoutDns(hostname) ?? (await resolve(hostname));
    } catch {
      addresses = []; // fail closed: reported as unresolvable below
    }
    const verdict = checkResolvedAddresses(hostname, addresses, protocol, policy);
    if (!verdict.ok) throw new WebhookSendError(POLICY_CODES[verdict.code], verdict.message);
    return verdict.addresses;
  }

  /** The socket's DNS lookup (net.connect `lookup` option): hands Node only checked addresses. */
  const checkedLookup =
    (protocol: string): LookupFunction =>
    (hostname, options, callback) => {
      checkedAddresses(hostname, protocol).then(
        (addresses) => {
          const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
          const usable = addresses.map((address) => ({ address, family: isIP(address) })).filter((a) => !family || a.family === family);
          if (usable.length === 0) {
            callback(new WebhookSendError('Unresolvable', `The webhook host ${hostname} has no address of the requested family.`), '');
          } else if (options.all) {
            callback(null, usable); // Node tries these in turn (happy eyeballs); every one was checked
          } else {
            callback(null, usable[0].address, usable[0].family);
          }
        },
        (error: Error) => callback(error, ''),
      );
    };

  // One agent per scheme, because plain http is only allowed to allowPrivate addresses. Idle sockets are kept for
  // IDLE_SOCKET_MS (less when the receiver's Keep-Alive header says so); a socket in use is bounded by the send's signal.
  const agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, lookup: checkedLookup('http:') }),
    'https:': new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, lookup: checkedLookup('https:') }),
  };

  async function send(req: WebhookRequest): Promise<WebhookResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);

    const target = parseWebhookUrl(req.url);
    if (!target.ok) throw new WebhookSendError(POLICY_CODES[target.code], target.message, elapsed());
    const { url } = target;
    const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(hostname)) {
      // Node does not call `lookup` for IP literals, so check the literal here, before any socket exists.
      const verdict = checkResolvedAddresses(hostname, [hostname], protocol, policy);
      if (!verdict.ok) throw new WebhookSendError(POLICY_CODES[verdict.code], verdict.message, elapsed());
    }

    const timeout = AbortSignal.timeout(req.timeoutMs); // covers connect + headers + body
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    const names = Object.keys(req.headers).map((name) => name.toLowerCase());
    const headers = {
      ...(names.includes('user-agent') ? {} : { 'user-agent': userAgent }),
      ...(names.includes('content-length') ? {} : { 'content-length': String(Buffer.byteLength(req.body)) }),
      ...req.headers,
    };
    try {
      const response = await post(protocol === 'https:' ? https : http, {
        agent: agents[protocol],
        hostname,
        port: url.port || undefined,
        path: url.pathname + url.search,
        method: 'POST',
        headers,
        body: req.body,
        signal,
      });
      const bodySnippet = await readSnippet(response, maxResponseBytes, signal);
      const responseHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return {
        status: response.statusCode ?? 0,
        headers: responseHeaders,
        bodySnippet,
        durationMs: elapsed(),
        ...(responseHeaders['retry-after'] !== undefined && { retryAfter: responseHeaders['retry-after'] }),
      };
    } catch (error) {
      const aborted = timeout.aborted ? 'timeout' : req.signal?.aborted ? 'cancelled' : undefined;
      throw toSendError(error, url.host, aborted, elapsed());
    }
  }

  async function close(): Promise<void> {
    agents['http:'].destroy();
    agents['https:'].destroy();
  }

  return { send, close };
}

/** Idle keep-alive sockets close after this; receivers commonly drop idle connections after 5 s. */
const IDLE_SOCKET_MS = 4_000;

type PostOptions = http.RequestOptions & { body: string; signal: AbortSignal };

/** One POST: resolves with the response once its headers arrived; the body is left to the caller to read. */
function post(transport: typeof http | typeof https, options: PostOptions): Promise<http.IncomingMessage> {
  const { body, ...requestOptions } = options;
  return new Promise((resolve, reject) => {
    const request = transport.request(requestOptions, resolve);
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Reads at most `limit` bytes; leaving the loop early destroys the response and its socket, so the rest is never
 * read. An abort of `signal` (the send's timeout) ends a body that stalls.
 */
async function readSnippet(body: http.IncomingMessage, limit: number, signal: AbortSignal): Promise<string> {
  const onAbort = () => body.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

function toSendError(error: unknown, host: string, aborted: 'timeout' | 'cancelled' | undefined, durationMs: number): WebhookSendError {
  const fail = (code: WebhookSendErrorCode, what: string) =>
    new WebhookSendError(code, `Webhook POST to ${host} failed: ${what}.`, durationMs, { cause: error });

  if (error instanceof WebhookSendError) return new WebhookSendError(error.code, error.message, durationMs); // refused by the policy
  if (aborted === 'timeout') return fail('Timeout', 'no complete response within the timeout');
  if (aborted === 'cancelled') return fail('Timeout', 'cancelled by the caller');
  const code = errorCode(error);
  if (code === 'ETIMEDOUT') return fail('Timeout', `timed out (${code})`);
  if (code === 'ECONNREFUSED') return fail('ConnectionRefused', 'connection refused');
  if (code === 'ECONNRESET' || code === 'EPIPE') return fail('ConnectionReset', 'connection reset by the server');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return fail('Unresolvable', 'host could not be resolved');
  if (code && TLS_ERROR.test(code)) return fail('TlsError', `TLS error (${code})`);
  return fail('NetworkError', code ? `network error (${code})` : 'network error');
}

/** Handshake errors (ERR_SSL_*, ERR_TLS_*, EPROTO: OpenSSL refused the peer's records) and OpenSSL's certificate verification codes. */
const TLS_ERROR =
  /^EPROTO$|CERT|SSL|TLS|CRL|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED|HOSTNAME_MISMATCH/;

/** The first error code along the cause chain, or of the first attempt when Node tried several addresses (an AggregateError). */
function errorCode(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e instanceof AggregateError && e.errors[0] instanceof Error ? e.errors[0] : e.cause) {
    const { code } = e as { code?: unknown };
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export { WebhookSendError, type WebhookSendErrorCode };
