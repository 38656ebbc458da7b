/** TASKHOOK_HINT_TOKENS: parsed like TASKHOOK_API_TOKENS, refused by name without quoting the token. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

describe('TASKHOOK_HINT_TOKENS', () => {
  it('is a comma-separated list of tokens, empty (hints off) when unset', () => {
    expect(loadConfig({}).hintTokens).toEqual([]);
    expect(loadConfig({ TASKHOOK_HINT_TOKENS: ' hint-0123456789abcdef , hint-fedcba9876543210,' }).hintTokens).toEqual([
      'hint-0123456789abcdef',
      'hint-fedcba9876543210',
    ]);
  });

  it('is kept apart from the API tokens', () => {
    const config = loadConfig({ TASKHOOK_HINT_TOKENS: 'hint-0123456789abcdef', TASKHOOK_API_TOKENS: 'api-0123456789abcdef0' });
    expect(config.hintTokens).toEqual(['hint-0123456789abcdef']);
    expect(config.apiTokens).toEqual(['api-0123456789abcdef0']);
  });

  it('refuses a token shorter than 16 characters, naming the variable and not the token', () => {
    const short = 'hint-short-77';
    let error: unknown;
    try {
      loadConfig({ TASKHOOK_HINT_TOKENS: `hint-0123456789abcdef,${short}` });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^TASKHOOK_HINT_TOKENS: every token must be at least 16 characters long/);
    expect((error as Error).message).not.toContain(short);
    expect(() => loadConfig({ TASKHOOK_API_TOKENS: 'short' })).toThrow(/^TASKHOOK_API_TOKENS:/);
  });
});
