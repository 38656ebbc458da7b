/**
 * Every ECS error, classified once: what it is evidence about, and for the ones that stop polling, the cause and
 * the fix in one line. Only an answer about a task may judge that task (mark it gone, retire it); an answer about
 * the request or the caller pauses the region and touches no task.
 *
 * Sources: ECS's common error codes (help.aliyun.com/document_detail/25492.html, mirrored at
 * developer.aliyun.com/ask/209782), the DescribeTaskAttribute and DescribeTasks pages (document_detail/25622.html),
 * the POP gateway's answers for an expired timestamp ("the request's Timestamp and the server's time differ by more
 * than 15 minutes", developer.aliyun.com/ask/9487) and API throttling (help.aliyun.com/zh/ecs/developer-reference/api-throttling).
 */
import type { EcsError } from '../errors.js';

/**
 * - `task`: about the one task id asked for (it may be marked, after confirmation).
 * - `region`: the region is unknown to ECS (its tasks may be marked, after confirmation).
 * - `clock`, `signature`, `parameters`: about the request; `credentials`, `permission`: about the caller. These
 *   pause the region for the run and never touch a task.
 * - `transient`: throttling, 5xx, gateway pages, timeouts, the adapter's own bounds: tried again.
 * - `unknown`: a 4xx code this table does not know. Split a batch on it to find an id it names, never retire on it
 *   without a second agreeing answer, and treat it as about the request when every part of the batch gets it.
 */
export type EcsErrorClass = 'task' | 'region' | 'clock' | 'signature' | 'parameters' | 'credentials' | 'permission' | 'transient' | 'unknown';

/** The classes that say nothing about any task: the region is paused, the tasks stay as they are. */
export const BLOCKING_CLASSES: ReadonlySet<EcsErrorClass> = new Set(['clock', 'signature', 'parameters', 'credentials', 'permission']);

/** Exact codes first, then prefixes (the part before the first dot, or the whole code). */
const BY_CODE: Record<string, EcsErrorClass> = {
  'InvalidTaskId.NotFound': 'task',
  MissingFromDescribeTasks: 'task',
  'InvalidRegionId.NotFound': 'region',
  IllegalTimestamp: 'clock',
  'InvalidTimeStamp.Expired': 'clock',
  'InvalidTimeStamp.Format': 'parameters',
  SignatureDoesNotMatch: 'signature',
  IncompleteSignature: 'signature',
  SignatureNonceUsed: 'signature',
  InvalidSignatureMethod: 'signature',
  MissingParameter: 'parameters',
  InvalidParameter: 'parameters',
  UnsupportedOperation: 'parameters',
  UnsupportedHTTPMethod: 'parameters',
  'InvalidAction.NotFound': 'parameters',
  InvalidVersion: 'parameters',
  'InvalidAccessKeyId.NotFound': 'credentials',
  'InvalidAccessKeyId.Inactive': 'credentials',
  InvalidAccessKeyId: 'credentials',
  NoCredentials: 'credentials',
  InvalidOwnerId: 'credentials',
  InvalidOwnerAccount: 'credentials',
  'Forbidden.RAM': 'permission',
  Forbidden: 'permission',
  NoPermission: 'permission',
  Unauthorized: 'permission',
  ServiceUnavailable: 'transient',
  InternalError: 'transient',
  Timeout: 'transient',
  NetworkError: 'transient',
  MalformedAnswer: 'transient',
  DeadlineExceeded: 'transient',
  AnswerTooLarge: 'transient',
  PageLimitExceeded: 'transient',
};

const BY_PREFIX: Array<[RegExp, EcsErrorClass]> = [
  [/^Throttling/, 'transient'],
  [/^InvalidTaskId\./, 'task'],
  [/^InvalidRegionId\./, 'region'],
  [/^InvalidTimeStamp\./, 'clock'],
  [/^(MissingParameter|InvalidParameter|MissingRegionId)\b/, 'parameters'],
  [/^Signature/, 'signature'],
  [/^(InvalidAccessKeyId|InvalidSecurityToken|InvalidAccessKeySecret)\b/, 'credentials'],
  [/^(Forbidden|NoPermission|Unauthorized)\b/, 'permission'],
];

export function classifyEcsError(error: Pick<EcsError, 'code' | 'httpStatus' | 'retryable'>): EcsErrorClass {
  const exact = BY_CODE[error.code];
  if (exact) return exact;
  for (const [pattern, cls] of BY_PREFIX) if (pattern.test(error.code)) return cls;
  if (error.retryable || (error.httpStatus !== null && error.httpStatus >= 500)) return 'transient';
  if (error.httpStatus === 401 || error.httpStatus === 403) return 'permission';
  return 'unknown';
}

export interface BlockingContext {
  action: string;
  regionId: string;
  /** ECS's clock minus ours, when an answer's `Date` header showed it. */
  skewMs?: number | null;
}

/** For an error that stops polling: the cause and what to do, one line each, naming no secret. */
export function explainBlocking(error: Pick<EcsError, 'code' | 'message'>, cls: EcsErrorClass, ctx: BlockingContext): { cause: string; fix: string } {
  switch (cls) {
    case 'clock': {
      const skew = ctx.skewMs != null && Math.abs(ctx.skewMs) >= 1_000 ? describeSkew(ctx.skewMs) : 'off';
      return {
        cause: `ECS refused the request's timestamp (${error.code}): this machine's clock is ${skew}; ECS accepts requests within 15 minutes of its own time`,
        fix: 'sync the clock (e.g. enable NTP: timedatectl set-ntp true) and the next run resumes by itself',
      };
    }
    case 'signature':
      return {
        cause: `ECS refused the request's signature (${error.code})`,
        fix:
          error.code === 'SignatureNonceUsed'
            ? 'a nonce was reused (a replayed request or a proxy retrying it): the next run retries with new nonces; if it persists, check for a proxy replaying requests'
            : 'the AccessKey secret does not match the AccessKey ID: check ALIBABA_CLOUD_ACCESS_KEY_SECRET (or the role credentials) and that no proxy rewrites the request',
      };
    case 'credentials':
      return {
        cause: `ECS does not accept the credentials (${error.code})`,
        fix:
          error.code === 'NoCredentials'
            ? 'set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or give the function a RAM role'
            : 'the AccessKey is unknown, disabled or its STS token expired: create or enable a key (RAM console) or check the role; then the next run resumes',
      };
    case 'permission':
      return {
        cause: `ECS denied ${ctx.action} in ${ctx.regionId} (${error.code})`,
        fix: `grant the role or user ecs:${ctx.action} (Resource "*") in its RAM policy; the next run resumes by itself`,
      };
    case 'parameters':
      return {
        cause: `ECS refused the request's parameters (${error.code}: ${error.message})`,
        fix: 'the request taskhook sent is not one this ECS endpoint accepts: check TASKHOOK_ECS_ENDPOINT and the region; if it persists, report it with the request id',
      };
    default:
      return { cause: `ECS answered ${error.code}: ${error.message}`, fix: 'tried again next run' };
  }
}

/** "7 min ahead of ECS" / "40 s behind ECS". */
export function describeSkew(skewMs: number): string {
  // skewMs is ECS minus us: ECS ahead means our clock is behind.
  const ours = -skewMs;
  const abs = Math.abs(ours);
  const amount = abs >= 90_000 ? `${Math.round(abs / 60_000)} min` : `${Math.round(abs / 1_000)} s`;
  return `${amount} ${ours > 0 ? 'ahead of' : 'behind'} ECS`;
}
