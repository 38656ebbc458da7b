/** Bearer-token check against TASKHOOK_API_TOKENS, in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import { HttpError } from '../errors.js';
import type { ApiEvent } from './route.js';

export interface BearerAuthOptions {
  /** Paths answered without a token. */
  publicPaths: string[];
  /** The accepted tokens, read per request because the dependencies are. */
  tokens: (event: ApiEvent) => string[];
}

const defaults: BearerAuthOptions = {
  publicPaths: [],
  tokens: (event) => event.deps.config.apiTokens,
};

/** Hashing first makes every comparison the same length, so timing reveals neither content nor length. */
const digest = (value: string) => createHash('sha256').update(value).digest();

export function tokenMatches(presented: string, tokens: string[]): boolean {
  const candidate = digest(presented);
  let ok = false;
  for (const token of tokens) ok = timingSafeEqual(candidate, digest(token)) || ok;
  return ok;
}

export const bearerAuth = (opts: Partial<BearerAuthOptions> = {}): MiddlewareObj<ApiEvent> => {
  const options = { ...defaults, ...opts };
  const publicPaths = new Set(options.publicPaths);
  return {
    before: (request) => {
      const path = request.event.requestContext.http.path.replace(/\/+$/, '') || '/';
      if (publicPaths.has(path)) return;
      const header = request.event.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const allowed = options.tokens(request.event);
      if (!match || allowed.length === 0 || !tokenMatches(match[1], allowed)) {
        throw new HttpError(
          401,
          'Unauthorized',
          allowed.length === 0
            ? 'no API tokens are configured; set TASKHOOK_API_TOKENS'
            : 'send Authorization: Bearer <token> with a token from TASKHOOK_API_TOKENS',
          { 'www-authenticate': 'Bearer' },
        );
      }
    },
  };
};
