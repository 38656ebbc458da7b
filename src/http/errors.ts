/** Every error the API answers with is shaped here: {"error":{"code","message","requestId"}}, never a stack trace. */
import type { MiddlewareObj } from '@middy/core';
import { ConfigError, ConflictError, EcsError, HttpError, InvalidInputError, NotFoundError, UnavailableError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { json } from './request.js';

/** ECS codes that are the caller's mistake keep their code and become 4xx. */
const ECS_CLIENT_ERRORS: Record<string, number> = {
  'InvalidTaskId.NotFound': 404,
  'InvalidRegionId.NotFound': 400,
  MissingParameter: 400,
  InvalidParameter: 400,
};

export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof NotFoundError) return new HttpError(404, error.code, error.message);
  if (error instanceof InvalidInputError) return new HttpError(400, error.code, error.message);
  if (error instanceof ConflictError) return new HttpError(409, error.code, error.message);
  if (error instanceof UnavailableError) return new HttpError(503, error.code, error.message, error.retryAfterSeconds ? { 'retry-after': String(error.retryAfterSeconds) } : {});
  if (error instanceof EcsError) {
    const status = ECS_CLIENT_ERRORS[error.code];
    if (status) return new HttpError(status, error.code, error.message, {}, error.requestId);
    if (error.throttled) {
      const seconds = String(error.retryAfterSeconds ?? 60);
      return new HttpError(429, error.code, `ECS is throttling this account; retry after ${seconds} s`, { 'retry-after': seconds }, error.requestId);
    }
    return new HttpError(502, error.code, `ECS call failed: ${error.message}`, {}, error.requestId);
  }
  if (error instanceof ConfigError) return new HttpError(500, 'ConfigError', error.message);
  const status = (error as { statusCode?: number })?.statusCode;
  if (status === 404) return new HttpError(404, 'NotFound', 'no such route; see GET /openapi.json');
  if (status === 415) return new HttpError(415, 'UnsupportedMediaType', 'send the body as application/json');
  return new HttpError(500, 'InternalError', 'internal error; the log line with this requestId has the details');
}

export const errorResponses = (logger: () => Logger | undefined): MiddlewareObj => ({
  onError: (request) => {
    const error = toHttpError(request.error);
    const requestId = (request.context as { awsRequestId?: string; requestId?: string }).requestId ?? null;
    if (error.status >= 500) (logger() ?? createLogger()).error('request failed', { requestId, error: request.error, status: error.status });
    request.response = json(
      error.status,
      { error: { code: error.code, message: error.message, requestId: error.requestId ?? requestId } },
      error.headers,
    );
  },
});
