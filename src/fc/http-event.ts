/**
 * FC 3.0 HTTP-trigger events ↔ the API Gateway v2 shape that @middy/http-router reads.
 * FC passes the event as a Buffer with `version: "v1"`, which the router cannot route; this middleware
 * rewrites it before the router runs, and the handler's result is already the FC response shape.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { MiddlewareObj } from '@middy/core';
import { InvalidInputError } from '../errors.js';

/** The FC 3.0 HTTP trigger event (built-in runtimes). Repeated headers and query values arrive comma-joined. */
export interface FcHttpEvent {
  version: 'v1';
  rawPath: string;
  body?: string;
  isBase64Encoded?: boolean;
  headers?: Record<string, string>;
  queryParameters?: Record<string, string>;
  requestContext: {
    accountId?: string;
    domainName?: string;
    domainPrefix?: string;
    requestId?: string;
    time?: string;
    timeEpoch?: string;
    http: { method: string; path?: string; protocol?: string; sourceIp?: string; userAgent?: string };
  };
}

/** An event FC would never send, or a client could forge through it: a 400, never a crash. */
const invalidEvent = (problem: string) => new InvalidInputError('InvalidEvent', `not an FC 3.0 HTTP trigger event: ${problem}`);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Header and query maps carry strings only; anything else is refused, naming the entry. */
function stringMap(value: unknown, name: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw invalidEvent(`${name} must be an object of strings`);
  for (const [key, entry] of Object.entries(value)) if (typeof entry !== 'string') throw invalidEvent(`${name}.${key} must be a string`);
  return value as Record<string, string>;
}

function parseEnvelope(input: unknown): unknown {
  if (!Buffer.isBuffer(input)) return input;
  try {
    return JSON.parse(input.toString('utf8'));
  } catch {
    throw invalidEvent('the event is not JSON');
  }
}

export function toApiGatewayEvent(input: unknown): APIGatewayProxyEventV2 {
  const raw = parseEnvelope(input);
  if (!isRecord(raw)) throw invalidEvent('the event is not a JSON object');
  if (raw.version === '2.0') return raw as unknown as APIGatewayProxyEventV2;
  const fc = raw as unknown as FcHttpEvent;
  const http = isRecord(fc.requestContext) && isRecord(fc.requestContext.http) ? fc.requestContext.http : null;
  if (!http || typeof http.method !== 'string' || http.method === '' || typeof fc.rawPath !== 'string') {
    throw invalidEvent('missing rawPath or requestContext.http.method');
  }
  if (fc.body !== undefined && fc.body !== null && typeof fc.body !== 'string') throw invalidEvent('body must be a string');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(stringMap(fc.headers, 'headers'))) headers[name.toLowerCase()] = value;
  const query = stringMap(fc.queryParameters, 'queryParameters');
  const path = typeof http.path === 'string' ? http.path : safeDecode(fc.rawPath);
  const epoch = Number(fc.requestContext.timeEpoch);
  const time = Number.isFinite(epoch) && epoch > 0 && epoch < 8.64e15 ? epoch : Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: fc.rawPath,
    rawQueryString: new URLSearchParams(query).toString(),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? { ...query } : undefined,
    body: fc.body ?? undefined,
    isBase64Encoded: fc.isBase64Encoded === true,
    requestContext: {
      accountId: fc.requestContext.accountId ?? '',
      apiId: fc.requestContext.domainPrefix ?? '',
      domainName: fc.requestContext.domainName ?? '',
      domainPrefix: fc.requestContext.domainPrefix ?? '',
      requestId: fc.requestContext.requestId ?? '',
      routeKey: '$default',
      stage: '$default',
      time: typeof fc.requestContext.time === 'string' && fc.requestContext.time ? fc.requestContext.time : new Date(time).toISOString(),
      timeEpoch: time,
      http: {
        method: http.method.toUpperCase(),
        path,
        protocol: typeof http.protocol === 'string' ? http.protocol : 'HTTP/1.1',
        sourceIp: typeof http.sourceIp === 'string' ? http.sourceIp : '',
        userAgent: typeof http.userAgent === 'string' ? http.userAgent : (headers['user-agent'] ?? ''),
      },
    },
  };
}

export const fcHttpEvent = (): MiddlewareObj<APIGatewayProxyEventV2> => ({
  before: (request) => {
    request.event = toApiGatewayEvent(request.event);
  },
});

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
