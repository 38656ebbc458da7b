/**
 * The one HTTP client for webhook sends. Every connection it opens goes through `connect` below:
 * a hostname is resolved once, inside the socket's DNS lookup, every address is checked against the
 * address policy, and the socket is handed only those checked addresses (no second lookup, so DNS
 * rebinding cannot swap in another address). Node skips the lookup for IP-literal hosts, so those are
 * checked in `connect` directly. Redirects are never followed; at most 4 KB of a response is read.
 */
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
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

  // One connector per scheme, because plain http is only allowed to allowPrivate addresses.
  const connectors = {
    'http:': buildConnector({ lookup: checkedLookup('http:') }),
    'https:': buildConnector({ lookup: checkedLookup('https:') }),
  };

  const agent = new Agent({
    connect(options, callback) {
      const protocol = options.protocol === 'https:' ? 'https:' : 'http:';
      if (isIP(options.hostname)) {
        // Node does not call `lookup` for IP literals, so check the literal here, before any socket exists.
        const verdict = checkResolvedAddresses(options.hostname, [options.hostname], protocol, policy);
        if (!verdict.ok) return callback(new WebhookSendError(POLICY_CODES[verdict.code], verdict.message), null);
      }
      connectors[protocol](options, callback);
    },
  });

  async function send(req: WebhookRequest): Promise<WebhookResponse> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);

    const target = parseWebhookUrl(req.url);
    if (!target.ok) throw new WebhookSendError(POLICY_CODES[target.code], target.message, elapsed());
    const { url } = target;

    const timeout = AbortSignal.timeout(req.timeoutMs); // covers connect + headers + body
    const signal = req.signal ? AbortSignal.any([timeout, req.signal]) : timeout;
    const hasUserAgent = Object.keys(req.headers).some((name) => name.toLowerCase() === 'user-agent');
    try {
      const response = await agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers: hasUserAgent ? req.headers : { 'user-agent': userAgent, ...req.headers },
        body: req.body,
        signal,
      });
      const bodySnippet = await readSnippet(response.body, maxResponseBytes);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return {
        status: response.statusCode,
        headers,
        bodySnippet,
        durationMs: elapsed(),
        ...(headers['retry-after'] !== undefined && { retryAfter: headers['retry-after'] }),
      };
    } catch (error) {
      const aborted = timeout.aborted ? 'timeout' : req.signal?.aborted ? 'cancelled' : undefined;
      throw toSendError(error, url.host, aborted, elapsed());
    }
  }

  return { send, close: () => agent.close() };
}

/** Reads at most `limit` bytes; leaving the loop early destroys the stream, so the rest is never read. */
async function readSnippet(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) break;
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
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return fail('Timeout', `timed out (${code})`);
  if (code === 'ECONNREFUSED') return fail('ConnectionRefused', 'connection refused');
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET') return fail('ConnectionReset', 'connection reset by the server');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return fail('Unresolvable', 'host could not be resolved');
  if (code && TLS_ERROR.test(code)) return fail('TlsError', `TLS error (${code})`);
  return fail('NetworkError', code ? `network error (${code})` : 'network error');
}

/** Handshake errors (ERR_SSL_*, ERR_TLS_*) and OpenSSL's certificate verification codes. */
const TLS_ERROR =
  /CERT|SSL|TLS|CRL|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH_EXCEEDED|HOSTNAME_MISMATCH/;

/** The first error code along the cause chain (undici sometimes wraps the socket error). */
function errorCode(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const { code } = e as { code?: unknown };
    if (typeof code === 'string') return code;
  }
  return undefined;
}

export { WebhookSendError, type WebhookSendErrorCode };
