/** The paths the bearer check lets through to routes that check their own token: literal ones, and `{name}` as one segment. */
import { describe, expect, it } from 'vitest';
import { publicPathMatcher } from '../../src/http/auth.js';

describe('publicPathMatcher', () => {
  const isPublic = publicPathMatcher(['/healthz', '/v1/hints', '/v1/hints/{token}']);

  it('matches literal paths, with or without a trailing slash, and one segment for a {name}', () => {
    for (const path of ['/healthz', '/healthz/', '/v1/hints', '/v1/hints/', '/v1/hints/abc-DEF_123', '/v1/hints/a.b']) expect(isPublic(path), path).toBe(true);
  });

  it('matches nothing else: not two segments, not an empty one, not a prefix or a look-alike', () => {
    for (const path of ['/', '/v1', '/v1/hints/a/b', '/v1/hintsX', '/v1/hintsX/abc', '/x/v1/hints/abc', '/v1/tasks', '/healthz/x']) {
      expect(isPublic(path), path).toBe(false);
    }
  });

  it('treats regular-expression characters in a path as themselves', () => {
    const dotted = publicPathMatcher(['/schemas/ecs-task-event.json', '/a+b/{id}']);
    expect(dotted('/schemas/ecs-task-event.json')).toBe(true);
    expect(dotted('/schemas/ecs-task-eventXjson')).toBe(false);
    expect(dotted('/a+b/1')).toBe(true);
    expect(dotted('/aab/1')).toBe(false);
  });
});
