/**
 * Captures everything a test run lets out (log lines through setLogSink, stdout and stderr writes, every fetch
 * response body) and finds any secret in it: the secrets a test registers, the shared fixtures' AccessKey and STS
 * values, and any `whsk_` Ed25519 secret key or `whsec_` secret outside the create/rotate answers that show it once.
 */
import { setLogSink } from '../../src/log.js';
import { KEYS, STS } from '../support/helpers.js';

export interface Finding {
  where: string;
  pattern: string;
}

/** Answers that show a secret once by design: creating a webhook and rotating its secret. */
const SHOWS_SECRET = [/^POST \/v1\/webhooks$/, /^POST \/v1\/webhooks\/[^/]+\/rotate-secret$/];
/** Key shapes that must never appear at all (Ed25519 secret keys), or only in the answers above (HMAC secrets). */
const NEVER = /whsk_[A-Za-z0-9+/]{20,}/;
const ONCE = /whsec_[A-Za-z0-9+/]{20,}/;

export interface SecretScan {
  /** Registers a secret value; its prefix-less body is checked too (a secret that lost its prefix is still a secret). */
  add(secret: string): void;
  /** Distinct values and shapes checked. */
  patterns(): number;
  /** Everything captured so far: where it came from and the text. */
  captured(): Array<{ where: string; text: string }>;
  findings(): Finding[];
  stop(): void;
}

export function startSecretScan(): SecretScan {
  const secrets = new Set<string>();
  const captured: Array<{ where: string; text: string; showsSecret?: boolean }> = [];
  const add = (secret: string) => {
    if (secret.length < 12) return;
    secrets.add(secret);
    const body = secret.replace(/^(whsec_|whsk_)/, '');
    if (body !== secret) secrets.add(body);
  };
  for (const s of [KEYS.accessKeySecret, STS.accessKeySecret, STS.securityToken]) add(s);

  const restoreSink = setLogSink((line) => captured.push({ where: 'log', text: line }));
  const writes = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
  process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    captured.push({ where: 'stdout', text: String(chunk) });
    return writes.out(chunk, ...rest);
  };
  process.stderr.write = (chunk: string | Uint8Array, ...rest: never[]) => {
    captured.push({ where: 'stderr', text: String(chunk) });
    return writes.err(chunk, ...rest);
  };
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const res = await realFetch(input, init);
    const request = `${init?.method ?? 'GET'} ${new URL(String(input instanceof Request ? input.url : input)).pathname}`;
    captured.push({ where: `response to ${request}`, text: await res.clone().text(), showsSecret: SHOWS_SECRET.some((p) => p.test(request)) });
    return res;
  };

  return {
    add,
    patterns: () => secrets.size + 2,
    captured: () => captured.map(({ where, text }) => ({ where, text })),
    findings() {
      const found: Finding[] = [];
      for (const c of captured) {
        if (NEVER.test(c.text)) found.push({ where: c.where, pattern: 'whsk_…' });
        if (!c.showsSecret && ONCE.test(c.text)) found.push({ where: c.where, pattern: 'whsec_…' });
        for (const s of secrets) {
          // A create/rotate answer may show its own webhook secret; nothing else may.
          if (c.text.includes(s) && !(c.showsSecret && /^(whsec_)?[A-Za-z0-9+/]{43}=$/.test(s))) found.push({ where: c.where, pattern: `${s.slice(0, 6)}…` });
        }
      }
      return found;
    },
    stop() {
      restoreSink();
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
      globalThis.fetch = realFetch;
    },
  };
}
