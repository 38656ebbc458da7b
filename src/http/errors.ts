/** Every error the API answers with is shaped here: {"error":{"code","message","field"?,"requestId"}}, never a stack trace. */
import { scrub } from '../scrub.js';
import type { MiddlewareObj } from '@middy/core';
import { ConfigError, ConflictError, EcsError, HttpError, InvalidInputError, NotFoundError, StoreError, UnavailableError } from '../errors.js';
import { createLogger } from '../log.js';
import type { AppDeps } from '../runtime.js';
import { json } from './request.js';
import type { ApiContext, ApiResponse } from './route.js';

export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  /** The input the error is about, when it names one. */
  field?: string;
  headers?: Record<string, string>;
  /** ECS's request id, which beats ours for tracing a failed ECS call. */
  requestId?: string | null;
}

/** ECS codes that are the caller's mistake keep their code and become 4xx. */
const ECS_CLIENT_ERRORS: Record<string, number> = {
  'InvalidTaskId.NotFound': 404,
  'InvalidRegionId.NotFound': 400,
  MissingParameter: 400,
  InvalidParameter: 400,
};

const retryAfter = (seconds: number | undefined): Record<string, string> => (seconds ? { 'retry-after': String(seconds) } : {});

function ecsAnswer(error: EcsError): ErrorAnswer {
  const ids = { code: error.code, requestId: error.requestId };
  const status = ECS_CLIENT_ERRORS[error.code];
  if (status) return { ...ids, status, message: error.message };
  if (!error.throttled) return { ...ids, status: 502, message: `ECS call failed: ${error.message}` };
  const seconds = error.retryAfterSeconds ?? 60;
  return { ...ids, status: 429, message: `ECS is throttling this account; retry after ${seconds} s`, headers: retryAfter(seconds) };
}

/** A table row: errors of `type` are answered by `answer`. */
const on =
  <E extends Error>(type: abstract new (...args: never[]) => E, answer: (error: E) => ErrorAnswer) =>
  (error: unknown): ErrorAnswer | undefined =>
    error instanceof type ? answer(error) : undefined;

/** How each error class is answered; the first row the error is an instance of wins. */
const ANSWERS = [
  on(HttpError, ({ status, code, message, headers, requestId }) => ({ status, code, message, headers, requestId })),
  on(NotFoundError, ({ code, message }) => ({ status: 404, code, message })),
  on(InvalidInputError, ({ code, message, field }) => ({ status: 400, code, message, field })),
  on(ConflictError, ({ code, message }) => ({ status: 409, code, message })),
  on(UnavailableError, ({ code, message, retryAfterSeconds }) => ({ status: 503, code, message, headers: retryAfter(retryAfterSeconds) })),
  on(EcsError, ecsAnswer),
  // A store that cannot serve now (a full disk, a busy file, Tablestore unavailable): say so, and when to try again.
  (error: unknown) =>
    error instanceof StoreError && error.retryable
      ? { status: 503, code: 'StoreUnavailable', message: `the state store failed: ${error.message}`, headers: retryAfter(5) }
      : undefined,
  on(ConfigError, ({ message }) => ({ status: 500, code: 'ConfigError', message })),
];

/** Errors from middy itself carry only a statusCode (http-router's unknown route is a 404). */
const MIDDY_STATUS: Record<number, ErrorAnswer> = {
  404: { status: 404, code: 'NotFound', message: 'no such route; see GET /openapi.json' },
};

const INTERNAL: ErrorAnswer = { status: 500, code: 'InternalError', message: 'internal error; the log line with this requestId has the details' };

export function answerFor(error: unknown): ErrorAnswer {
  for (const row of ANSWERS) {
    const answer = row(error);
    if (answer) return answer;
  }
  return MIDDY_STATUS[(error as { statusCode?: number })?.statusCode ?? 0] ?? INTERNAL;
}

/** The event may still be FC's raw one when the error came before the dependencies were set. */
export const errorResponses = (): MiddlewareObj<{ deps?: AppDeps }, ApiResponse, Error, ApiContext> => ({
  onError: (request) => {
    const { status, code, message, field, headers, requestId = null } = answerFor(request.error);
    const ours = request.context.requestId ?? null;
    if (status >= 500) (request.event.deps?.logger ?? createLogger()).error('request failed', { requestId: ours, error: request.error, status });
    // The scrubber once more at the boundary: a message may quote what a dependency answered.
    request.response = json(status, { error: { code, message: scrub(message), ...(field && { field }), requestId: requestId ?? ours } }, headers);
  },
});
