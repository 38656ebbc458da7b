/** What a route is, how it is described (schema source: src/schema/) and what its handler gets; app.ts and every src/http/routes/ module import it from here. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import type { AppDeps } from '../runtime.js';

export type ApiResponse = APIGatewayProxyStructuredResultV2;

/** The normalised request, with the dependencies the appDeps middleware sets on it. */
export type ApiEvent = APIGatewayProxyEventV2 & { deps: AppDeps };

/** The invocation context as middy types it (Lambda's), plus FC's request id; the deps source reads the rest. */
export type ApiContext = Context & { requestId?: string };

/** One answer a route gives: its body (a schema registered with an id: it becomes an OpenAPI component) and headers. */
export interface ResponseSpec {
  description: string;
  /** Absent for an answer without a body (204). */
  body?: z.ZodType;
  headers?: Record<string, string>;
}

/** Everything the OpenAPI document says about a route, and what the validation middleware (./validate.ts) checks. */
export interface RouteSchema {
  operationId: string;
  summary: string;
  description?: string;
  tag: 'System' | 'Tasks' | 'Events' | 'Webhooks' | 'Runs';
  /** Answered without a token. */
  public?: boolean;
  params?: z.ZodObject;
  /** Strict: a query parameter it does not name is refused. Routes without one take no query parameters. */
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The body may be left out; the handler then gets what the body schema makes of `{}`. */
  bodyOptional?: boolean;
  /** The body is read as JSON whatever its content type says (senders that cannot be made to label it): no 415. */
  anyContentType?: boolean;
  /** The answers with their own shape: the 2xx ones, and any other whose body is not the error shape. */
  responses: Record<number, ResponseSpec>;
  /**
   * The error answers this route gives beyond those the document adds itself (400 for every route, 401 for a
   * route that needs a token, 413 and 415 for one with a body, 500 for all): status → when.
   */
  errors?: Record<number, string>;
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  handler: (event: ApiEvent, context?: ApiContext) => Promise<ApiResponse>;
  /** Absent for routes the document leaves out (the docs page and its assets). */
  schema?: RouteSchema;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** The request's input as the route's schemas parsed it. */
export interface ValidInput<S extends RouteSchema> {
  params: Parsed<S['params']>;
  query: Parsed<S['query']>;
  body: Parsed<S['body']>;
}

/** The event a validated route's handler gets. */
export type ValidEvent<S extends RouteSchema> = ApiEvent & { input: ValidInput<S> };
