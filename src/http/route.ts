/** What a route is and what its handler gets; app.ts and every src/http/routes/ module import it from here. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { AppDeps } from '../runtime.js';

export type ApiResponse = APIGatewayProxyStructuredResultV2;

/** The normalised request, with the dependencies the appDeps middleware sets on it. */
export type ApiEvent = APIGatewayProxyEventV2 & { deps: AppDeps };

/** The invocation context as middy types it (Lambda's), plus FC's request id; the deps source reads the rest. */
export type ApiContext = Context & { requestId?: string };

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  handler: (event: ApiEvent) => Promise<ApiResponse>;
}
