/** What FC says went wrong, as one safe line: for the shard invoker and the CLI's `invoke`. */
import { scrub } from '../scrub.js';

/** Scrubbed of secrets, on one line, and at most `maxChars` long. */
export function safeLine(text: string, maxChars: number): string {
  const line = scrub(text).replace(/\s+/g, ' ').trim();
  return line.length > maxChars ? `${line.slice(0, maxChars)}…` : line || '(no message)';
}

/** The `errorMessage` of FC's error body (`{"errorMessage","errorType","stackTrace"}`), or the body itself, as a safe line. */
export function functionErrorMessage(data: unknown, maxChars: number): string {
  let body = data;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      // Not JSON: the text itself is the message.
    }
  }
  const message = (body as { errorMessage?: unknown } | null)?.errorMessage;
  return safeLine(typeof message === 'string' ? message : typeof body === 'string' ? body : JSON.stringify(body ?? ''), maxChars);
}

/** The invocation an FC error answered, so the advice can name the ARN, the principal and the settings to check. */
export interface FcCallSite {
  functionName: string;
  qualifier?: string;
  region: string;
  accountId: string;
  /** The principal that signed the call, e.g. "the function's role": its policy needs fc:InvokeFunction. */
  caller: string;
  /** Where the name, qualifier, region and account came from, for a not-found answer. */
  targetFrom: string;
  /** Where the access key came from, for a key or signature answer. */
  credentialsFrom: string;
}

/** An FC API error read from any of FC's body shapes, with what to do about it. */
export interface FcApiError {
  /** FC's code (`AccessDenied`, `FunctionNotFound`, …), or `HTTP<status>` when the body names none. */
  code: string;
  status: number;
  /** FC's message as one scrubbed line. */
  message: string;
  requestId: string | null;
  /** A throttle (429) or a failure on FC's side (5xx): the same call may succeed later. */
  retryable: boolean;
  /** What the user should change, or that retrying later is the fix. */
  fix: string;
}

const arnOf = (s: FcCallSite) => `acs:fc:${s.region}:${s.accountId}:functions/${s.functionName}`;
const named = (s: FcCallSite) => `${s.functionName}${s.qualifier ? ` (qualifier ${s.qualifier})` : ''} in ${s.region} of account ${s.accountId}`;

const notFound = (s: FcCallSite) => `FC has no function ${named(s)}: check ${s.targetFrom}`;
const throttled = () => 'FC throttled the call (concurrency or request rate limit): retry later; a shard that was refused is planned again by the next run';
const fcSide = () => 'FC failed on its side: retry later; if it persists, quote the request id to Alibaba Cloud support';

/** FC's codes for a refused invocation and the fix for each, as FC documents them (sources and the same table: docs/deploy.md section 5). */
export const FC_ERROR_FIXES: Readonly<Record<string, (site: FcCallSite) => string>> = {
  AccessDenied: (s) =>
    `${s.caller} lacks fc:InvokeFunction on ${arnOf(s)}: add it to the policy of ${s.caller}; if a statement scoped to that resource is already there, grant it on "Resource": "*" (docs/deploy.md)`,
  InvalidAccessKeyID: (s) => `FC does not know the access key id: check ${s.credentialsFrom}`,
  SignatureNotMatch: (s) => `FC computed a different signature: check the access key secret (${s.credentialsFrom}) and that this machine's clock is right`,
  FunctionNotFound: notFound,
  ServiceNotFound: notFound,
  VersionNotFound: notFound,
  AliasNotFound: notFound,
  EntityTooLarge: () => 'the event is larger than FC accepts for one invocation: send a smaller payload',
  InvalidArgument: () => 'FC refused a parameter of the request: check the function name and qualifier, and that the endpoint is an FC 3.0 one',
  MissingRequiredHeader: () => 'FC wants a header the request lacks: check that the endpoint is an FC 3.0 one (its account id and region)',
  PathNotSupported: () => 'FC does not serve this path: check that the endpoint is an FC 3.0 one, without a path',
  ResourceExhausted: throttled,
  ResourceThrottled: throttled,
  TooManyRequests: throttled,
  InternalServerError: fcSide,
  ServiceUnavailable: fcSide,
};

/** When the body names no code (or one not in the table), the status says which kind of problem it is. */
function fixByStatus(status: number, site: FcCallSite): string {
  if (status === 401 || status === 403)
    return `FC refused the credentials or the permission: check ${site.credentialsFrom}, and that ${site.caller} is allowed fc:InvokeFunction on ${arnOf(site)}`;
  if (status === 404) return notFound(site);
  if (status === 429) return throttled();
  if (status >= 500) return fcSide();
  return 'FC refused the request: see its message';
}

const CODE = /^[A-Za-z][\w.]{0,63}$/;

/** FC 3.0's `{Code, Message, RequestId}`, the error page's `{errorCode, errorMessage}`, FC 2.0's `{ErrorCode, ErrorMessage}` or a gateway's HTML, whatever the content type says. */
export function readFcError(status: number, headers: Record<string, string | undefined>, body: string, site: FcCallSite, maxChars: number): FcApiError {
  let parsed: Record<string, unknown> | null = null;
  if (/^\s*\{/.test(body)) {
    try {
      const value: unknown = JSON.parse(body);
      if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
    } catch {
      // A cut-off or broken JSON body: its text is still the best message there is.
    }
  }
  const field = (...names: string[]) => names.map((name) => parsed?.[name]).find((v): v is string => typeof v === 'string' && v.trim() !== '');
  const given = field('Code', 'errorCode', 'ErrorCode', 'code');
  const code = given && CODE.test(given) ? given : `HTTP${status}`;
  const text = field('Message', 'errorMessage', 'ErrorMessage', 'message') ?? (parsed ? '' : body.replace(/<[^>]*>/g, ' '));
  const requestId = field('RequestId', 'requestId') ?? headers['x-fc-request-id'] ?? null;
  const fix = (Object.hasOwn(FC_ERROR_FIXES, code) ? FC_ERROR_FIXES[code] : undefined)?.(site) ?? fixByStatus(status, site);
  return {
    code,
    status,
    message: safeLine(text, maxChars),
    requestId: requestId && /^[\w.:-]{1,128}$/.test(requestId) ? requestId : null,
    retryable: status === 429 || status >= 500,
    fix,
  };
}

/** `HTTP 403 AccessDenied: <message> (request id …); <fix>`: one line that names the problem and the fix. */
export function fcErrorLine(e: FcApiError): string {
  const code = e.code === `HTTP${e.status}` ? '' : ` ${e.code}`;
  return `HTTP ${e.status}${code}: ${e.message}${e.requestId ? ` (request id ${e.requestId})` : ''}; ${e.fix}`;
}
