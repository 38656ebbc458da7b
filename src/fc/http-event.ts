/**
 * FC 3.0 HTTP-trigger events ↔ the API Gateway v2 shape that @middy/http-router reads.
 * FC passes the event as a Buffer with `version: "v1"`, which the router cannot route; this middleware
 * rewrites it before the router runs, and the handler's result is already the FC response shape.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { MiddlewareObj } from '@middy/core';

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

export function toApiGatewayEvent(input: unknown): APIGatewayProxyEventV2 {
  const raw = (Buffer.isBuffer(input) ? JSON.parse(input.toString('utf8')) : input) as FcHttpEvent | APIGatewayProxyEventV2;
  if ((raw as APIGatewayProxyEventV2).version === '2.0') return raw as APIGatewayProxyEventV2;
  const fc = raw as FcHttpEvent;
  if (!fc?.requestContext?.http?.method || typeof fc.rawPath !== 'string') {
    throw new TypeError('not an FC 3.0 HTTP trigger event (missing rawPath or requestContext.http.method)');
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(fc.headers ?? {})) headers[name.toLowerCase()] = String(value);
  const query = fc.queryParameters ?? {};
  const path = fc.requestContext.http.path ?? safeDecode(fc.rawPath);
  const time = Number(fc.requestContext.timeEpoch ?? Date.now());
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: fc.rawPath,
    rawQueryString: new URLSearchParams(query).toString(),
    headers,
    queryStringParameters: Object.keys(query).length > 0 ? { ...query } : undefined,
    body: fc.body,
    isBase64Encoded: Boolean(fc.isBase64Encoded),
    requestContext: {
      accountId: fc.requestContext.accountId ?? '',
      apiId: fc.requestContext.domainPrefix ?? '',
      domainName: fc.requestContext.domainName ?? '',
      domainPrefix: fc.requestContext.domainPrefix ?? '',
      requestId: fc.requestContext.requestId ?? '',
      routeKey: '$default',
      stage: '$default',
      time: fc.requestContext.time ?? new Date(time).toISOString(),
      timeEpoch: time,
      http: {
        method: fc.requestContext.http.method.toUpperCase(),
        path,
        protocol: fc.requestContext.http.protocol ?? 'HTTP/1.1',
        sourceIp: fc.requestContext.http.sourceIp ?? '',
        userAgent: fc.requestContext.http.userAgent ?? headers['user-agent'] ?? '',
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
