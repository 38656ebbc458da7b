/** Reading what a client sent, with errors that name the wrong field; only a body that is not JSON is an HTTP matter (415). */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError, InvalidInputError } from '../errors.js';
import { REGION_ID, TASK_ID } from '../config.js';
import type { ApiResponse } from './route.js';

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResponse {
  return { statusCode, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(body) };
}

/** One value of a query parameter; FC joins repeated parameters with commas, which is ambiguous for ids. */
export function queryParam(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const value = event.queryStringParameters?.[name];
  return value === undefined || value === '' ? undefined : value;
}

export function requireRegionId(value: string | undefined, where = 'regionId query parameter'): string {
  if (value === undefined) throw new InvalidInputError('MissingParameter', `the ${where} is required, e.g. ?regionId=cn-hangzhou`, 'regionId');
  if (value.includes(',')) throw new InvalidInputError('InvalidParameter', `the ${where} must name one region, got "${value}"`, 'regionId');
  if (!REGION_ID.test(value)) throw new InvalidInputError('InvalidRegionId.Malformed', `"${value}" is not a region id (e.g. cn-hangzhou)`, 'regionId');
  return value;
}

export function requireTaskId(value: string | undefined): string {
  if (value === undefined || value === '') throw new InvalidInputError('MissingParameter', 'a task id is required, e.g. t-bp1abcdefgh1234567', 'taskId');
  if (!TASK_ID.test(value)) throw new InvalidInputError('InvalidTaskId.Malformed', `"${value}" is not a task id (t- followed by letters and digits)`, 'taskId');
  return value;
}

export function jsonBody<T = Record<string, unknown>>(event: APIGatewayProxyEventV2): T {
  if (!event.body) throw new InvalidInputError('InvalidBody', 'the request needs a JSON body');
  const type = event.headers['content-type'] ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) throw new HttpError(415, 'UnsupportedMediaType', 'send the body as application/json');
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as T;
  } catch {
    throw new InvalidInputError('InvalidBody', 'the body is not a JSON object');
  }
}

/** `?limit=` as a page size, 1–500, default 50. */
export function pageLimit(event: APIGatewayProxyEventV2): number {
  const raw = queryParam(event, 'limit');
  if (raw === undefined) return 50;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 500)
    throw new InvalidInputError('InvalidParameter', `limit must be a whole number from 1 to 500, got "${raw}"`, 'limit');
  return Number(raw);
}

/** An ISO 8601 time from a query parameter. */
export function timeParam(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const raw = queryParam(event, name);
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new InvalidInputError('InvalidParameter', `${name} must be an ISO 8601 time such as 2026-11-27T00:00:00Z, got "${raw}"`, name);
  return new Date(ms).toISOString();
}
