/** `taskhook verify --secret whsec_… --headers <json|file> < body`: does a captured delivery verify, and if not, why. */
import { existsSync, readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { EXIT, UsageError, requireOption, type CliIo } from '../cli-context.js';

const TOLERANCE_SECONDS = 300;

/** Headers as a JSON object, or `name: value` lines, given inline or as a file path. */
export function parseHeaders(input: string): Record<string, string> {
  const text = existsSync(input) ? readFileSync(input, 'utf8') : input;
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return Object.fromEntries(Object.entries(JSON.parse(trimmed) as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), String(v)]));
    } catch {
      throw new UsageError('--headers looks like JSON but does not parse');
    }
  }
  const headers: Record<string, string> = {};
  for (const line of trimmed.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  return headers;
}

export interface Verdict {
  ok: boolean;
  reason: string;
}

export function diagnose(secret: string, headers: Record<string, string>, body: string, nowSeconds: number): Verdict {
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    if (!headers[name]) return { ok: false, reason: `the ${name} header is missing; capture all three webhook-* headers` };
  }
  let webhook: Webhook;
  try {
    webhook = new Webhook(secret);
  } catch {
    return { ok: false, reason: 'the secret is not a whsec_… secret (base64 after the prefix)' };
  }
  const timestamp = Number(headers['webhook-timestamp']);
  // The signature itself, whatever the clock says: a stale capture should not hide a good signature.
  const expected = webhook.sign(headers['webhook-id'], new Date(timestamp * 1000), body).split(',')[1];
  const presented = headers['webhook-signature'].split(' ').map((s) => s.split(',')[1]);
  if (!presented.includes(expected)) {
    let reserialized = false;
    try {
      reserialized = JSON.stringify(JSON.parse(body)) !== body;
    } catch {
      /* not JSON: nothing to compare */
    }
    if (reserialized)
      return {
        ok: false,
        reason:
          'signature mismatch: the body is not byte-for-byte what was sent (taskhook sends compact JSON; verify the raw request body, before any JSON parsing)',
      };
    return {
      ok: false,
      reason: 'signature mismatch: wrong secret (or the body was changed); check the secret of this webhook, and the previous one during a rotation',
    };
  }
  const age = nowSeconds - timestamp;
  if (Math.abs(age) > TOLERANCE_SECONDS) {
    return {
      ok: false,
      reason: `the signature is right but the timestamp is ${age > 0 ? `${age} s old` : `${-age} s in the future`}; receivers reject deliveries more than ${TOLERANCE_SECONDS} s off (replay protection)`,
    };
  }
  return { ok: true, reason: `verified: signed by this secret ${age} s ago (webhook-id ${headers['webhook-id']})` };
}

export async function verifyCommand(io: CliIo, options: { secret?: string; headers?: string }): Promise<number> {
  const secret = requireOption(options.secret, 'secret', 'whsec_…');
  const headers = parseHeaders(requireOption(options.headers, 'headers', '\'{"webhook-id":"…","webhook-timestamp":"…","webhook-signature":"v1,…"}\''));
  const body = await io.readStdin();
  const verdict = diagnose(secret, headers, body, Math.floor(Date.now() / 1000));
  io.out(verdict.reason);
  return verdict.ok ? EXIT.ok : EXIT.failed;
}
