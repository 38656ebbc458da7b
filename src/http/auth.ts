/** Bearer-token check against TASKHOOK_API_TOKENS, in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import { HttpError } from '../errors.js';
import type { ApiEvent } from './route.js';

export interface BearerAuthOptions {
  /** Paths answered without a bearer token (the route checks its own), `{name}` standing for one segment. */
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

/** `/v1/hints/{token}` → a pattern where `{token}` stands for one non-empty segment and the rest is literal. */
const templatePattern = (template: string) => {
  const literalParts = template.split(/\{\w+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literalParts.join('[^/]+')}$`);
};

/** Whether a request path is one of `paths`: literal paths match exactly, a `{name}` segment matches any one segment. */
export function publicPathMatcher(paths: string[]): (path: string) => boolean {
  const literal = new Set(paths.filter((p) => !p.includes('{')));
  const templates = paths.filter((p) => p.includes('{')).map(templatePattern);
  return (path) => {
    const trimmed = path.replace(/\/+$/, '') || '/';
    return literal.has(trimmed) || templates.some((t) => t.test(trimmed));
  };
}

export const bearerAuth = (opts: Partial<BearerAuthOptions> = {}): MiddlewareObj<ApiEvent> => {
  const options = { ...defaults, ...opts };
  const isPublic = publicPathMatcher(options.publicPaths);
  return {
    before: (request) => {
      if (isPublic(request.event.requestContext.http.path)) return;
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
