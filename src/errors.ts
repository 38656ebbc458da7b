/** Every error taskhook raises on purpose. Messages name the problem and what to do; none carries a secret or URL. */

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly variable: string,
    problem: string,
    example: string,
  ) {
    super(`${variable}: ${problem} (example: ${variable}=${example})`);
  }
}

export interface EcsErrorFields {
  code: string;
  message: string;
  requestId: string | null;
  httpStatus: number | null;
  retryable: boolean;
  /** Seconds until ECS will accept the call again, when it was throttled. */
  retryAfterSeconds?: number;
}

/** A failed ECS call. The message comes from ECS's own `Message` or is written here, never from pop-core's (it embeds the signed URL). */
export class EcsError extends Error implements EcsErrorFields {
  override name = 'EcsError';
  readonly code: string;
  readonly requestId: string | null;
  readonly httpStatus: number | null;
  readonly retryable: boolean;
  readonly retryAfterSeconds?: number;
  constructor(fields: EcsErrorFields) {
    super(fields.message);
    this.code = fields.code;
    this.requestId = fields.requestId;
    this.httpStatus = fields.httpStatus;
    this.retryable = fields.retryable;
    this.retryAfterSeconds = fields.retryAfterSeconds;
  }
  get throttled(): boolean {
    return /^Throttling/.test(this.code);
  }
}

/** A store call that failed after its retries; the message names the operation and the store's own code. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    message: string,
    readonly code: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** Someone else committed this task's transition first (optimistic concurrency lost). */
export class VersionConflictError extends Error {
  override name = 'VersionConflictError';
  constructor(readonly key: string) {
    super(`state of ${key} changed since it was read; another run committed first`);
  }
}

/**
 * The domain's verdicts on a request. Each carries a stable code (PascalCase, dotted like ECS's own:
 * `WebhookNotFound`, `InvalidTaskId.Malformed`) and a message that says what to do. The HTTP layer maps the
 * class to a status and the CLI to an exit code, each with one table; the domain never speaks HTTP.
 */
export abstract class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The thing named does not exist (or is past its retention period). */
export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
}

/** The input is malformed or out of range; `field` names the part that is wrong, when there is one. */
export class InvalidInputError extends DomainError {
  override name = 'InvalidInputError';
  constructor(
    code: string,
    message: string,
    readonly field?: string,
  ) {
    super(code, message);
  }
}

/** The request is well formed but contradicts the current state (a static webhook, a disabled one). */
export class ConflictError extends DomainError {
  override name = 'ConflictError';
}

/** A dependency cannot serve now; trying again later may work. */
export class UnavailableError extends DomainError {
  override name = 'UnavailableError';
  constructor(
    code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message);
  }
}

/** What only HTTP has (a missing bearer token, a body that is not JSON): status, code and message. Only src/http/ creates these. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly requestId: string | null = null,
  ) {
    super(message);
  }
}

export type WebhookSendErrorCode =
  'BlockedAddress' | 'Unresolvable' | 'InvalidUrl' | 'Timeout' | 'ConnectionRefused' | 'ConnectionReset' | 'NetworkError' | 'TlsError';

/** A webhook POST that got no HTTP answer. Messages name the host, never the full URL, its userinfo, headers or body. */
export class WebhookSendError extends Error {
  override name = 'WebhookSendError';
  constructor(
    readonly code: WebhookSendErrorCode,
    message: string,
    readonly durationMs = 0,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A CLI call with a missing or wrong argument; the message says what to type instead. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A timer trigger payload that is neither empty nor the JSON options taskhook reads. */
export class TimerPayloadError extends Error {
  override name = 'TimerPayloadError';
}
