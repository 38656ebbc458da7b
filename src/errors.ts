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

/** An error the HTTP API answers with: status, a stable code string and a human message. */
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
  | 'blocked_address'
  | 'unresolvable'
  | 'invalid_url'
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'network'
  | 'tls';

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
