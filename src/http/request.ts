/** Reading and writing HTTP bodies: JSON answers, and the JSON object a request sends (a body not labelled JSON is an HTTP matter, 415, except on routes that take any content type). */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError, InvalidInputError } from '../errors.js';
import type { ApiResponse } from './route.js';

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

/**
 * The body as a JSON object; what it holds is the route schema's business (./validate.ts). With `anyContentType`
 * (a route whose senders cannot be made to label the body JSON) the label is not checked, only the body.
 */
export function jsonBody(event: APIGatewayProxyEventV2, anyContentType = false): Record<string, unknown> {
  if (!event.body) throw new InvalidInputError('InvalidBody', 'the request needs a JSON body');
  const type = event.headers['content-type'] ?? '';
  if (!anyContentType && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new HttpError(415, 'UnsupportedMediaType', 'send the body as application/json');
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new InvalidInputError('InvalidBody', 'the body is not a JSON object');
  }
}
