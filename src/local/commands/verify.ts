/** `taskhook verify --secret whsec_… --headers <json|lines|file> < body`: does a captured delivery verify, and if not, which classic mistake it is. */
import { existsSync, readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { EXIT, UsageError, requireOption, type Io } from '../cli-context.js';
import { colorsFor } from '../colors.js';
import { exampleEvent } from '../example-events.js';

const TOLERANCE_SECONDS = 300;

export const VERIFY_USAGE = 'usage: taskhook verify --secret whsec_… --headers captured-headers.json < captured-body.json';

/** Inline JSON (`{…}`) and `name: value` lines are headers; anything else names a file of either. */
export function parseHeaders(input: string): Record<string, string> {
  const inline = input.trim().startsWith('{') || /^[\w-]+\s*:/m.test(input);
  if (!inline && !existsSync(input))
    throw new UsageError(`the --headers file "${input}" does not exist; give the file of captured headers (JSON or name: value lines), or the JSON itself`);
  const text = inline ? input : readFileSync(input, 'utf8');
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError(`--headers${inline ? '' : ` file "${input}"`} looks like JSON but does not parse`);
    }
    return Object.fromEntries(
      Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : String(v)]),
    );
  }
  const headers: Record<string, string> = {};
  for (const line of trimmed.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  return headers;
}

export type Problem =
  'wrong-secret' | 'body-changed' | 'body-reserialised' | 'timestamp-too-old' | 'timestamp-in-future' | 'header-missing' | 'header-malformed';

export interface Verdict {
  ok: boolean;
  problem: Problem | null;
  reason: string;
}

const fail = (problem: Problem, reason: string): Verdict => ({ ok: false, problem, reason });

/** The key order taskhook writes, taken from an event the real builder makes: a template for re-ordered bodies. */
let template: unknown;
const canonicalTemplate = () => (template ??= exampleEvent('ecs.task.partially_failed', { now: 0, taskId: 't-template0000' }));

/** `value` with each object's keys in the template's order (keys the template lacks keep their place after them). */
function inTemplateOrder(value: unknown, shape: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => inTemplateOrder(v, Array.isArray(shape) ? shape[0] : undefined));
  if (!value || typeof value !== 'object') return value;
  const known = shape && typeof shape === 'object' && !Array.isArray(shape) ? (shape as Record<string, unknown>) : {};
  const source = value as Record<string, unknown>;
  const keys = [...Object.keys(known).filter((k) => k in source), ...Object.keys(source).filter((k) => !(k in known))];
  return Object.fromEntries(keys.map((k) => [k, inTemplateOrder(source[k], known[k])]));
}

export function diagnose(secret: string, headers: Record<string, string>, body: string, nowSeconds: number): Verdict {
  const missing = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].filter((name) => !headers[name]);
  if (missing.length)
    return fail(
      'header-missing',
      `the ${missing.join(', ')} header${missing.length > 1 ? 's are' : ' is'} missing; capture all three webhook-* headers of the request`,
    );
  if (!/^\d{1,12}$/.test(headers['webhook-timestamp']))
    return fail('header-malformed', `the webhook-timestamp header "${headers['webhook-timestamp']}" is not Unix seconds (e.g. 1764208800)`);
  const entries = headers['webhook-signature'].split(' ').filter(Boolean);
  const hmac = entries.filter((e) => /^v1,[A-Za-z0-9+/]+={0,2}$/.test(e)).map((e) => e.slice(3));
  if (hmac.length === 0) {
    const asymmetric = entries.some((e) => e.startsWith('v1a,'));
    return fail(
      'header-malformed',
      asymmetric
        ? 'the webhook-signature header has only v1a (Ed25519) entries; this webhook signs with a key pair: verify with its public key (GET /v1/webhooks/{id}/public-key)'
        : 'the webhook-signature header has no "v1,<base64>" entry; copy the whole header, space-separated entries and all',
    );
  }
  let webhook: Webhook;
  try {
    webhook = new Webhook(secret);
  } catch {
    throw new UsageError('--secret is not a webhook secret: give the whsec_… secret shown when the webhook was created or rotated');
  }
  const id = headers['webhook-id'];
  const timestamp = Number(headers['webhook-timestamp']);
  // The signature itself, whatever the clock says: a stale capture should not hide a good signature.
  const signs = (candidate: string) => hmac.includes(webhook.sign(id, new Date(timestamp * 1000), candidate).split(',')[1]);

  if (!signs(body)) return fail(...whyNot(body, headers, signs));

  const age = nowSeconds - timestamp;
  if (age > TOLERANCE_SECONDS)
    return fail(
      'timestamp-too-old',
      `the signature is right but the timestamp is ${age} s old; receivers reject deliveries more than ${TOLERANCE_SECONDS} s off (replay protection): check the receiver's clock, or capture a fresh delivery`,
    );
  if (-age > TOLERANCE_SECONDS)
    return fail(
      'timestamp-in-future',
      `the signature is right but the timestamp is ${-age} s in the future; receivers reject deliveries more than ${TOLERANCE_SECONDS} s off: the receiver's clock is behind (sync it with NTP)`,
    );
  return { ok: true, problem: null, reason: `verified: signed by this secret ${age} s ago (webhook-id ${id})` };
}

/** The signature does not match this body: find the one mistake that explains it, or say it is the secret. */
function whyNot(body: string, headers: Record<string, string>, signs: (candidate: string) => boolean): [Problem, string] {
  const edits: [string, string][] = [
    [body.replace(/\r\n/g, '\n'), 'its line endings were changed to CRLF'],
    [body.replace(/\s+$/, ''), 'whitespace or a newline was added at its end'],
  ];
  for (const [candidate, what] of edits) {
    if (candidate !== body && signs(candidate))
      return ['body-changed', `signature mismatch: the body was changed (${what}); keep the raw bytes of the request`];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined) {
    const compact = JSON.stringify(parsed);
    const verbatim = 'verify the raw request body, before any JSON parsing (express.raw(), request.get_data(), …)';
    if (compact !== body && signs(compact))
      return [
        'body-reserialised',
        `signature mismatch: the body was re-serialised (${/\n/.test(body) ? 'pretty-printed' : 'its whitespace changed'}); taskhook sends compact JSON: ${verbatim}`,
      ];
    const ordered = JSON.stringify(inTemplateOrder(parsed, canonicalTemplate()));
    if (ordered !== compact && signs(ordered))
      return ['body-reserialised', `signature mismatch: the body was re-serialised with its keys re-ordered; ${verbatim}`];
  }
  const length = headers['content-length'];
  if (length && /^\d+$/.test(length) && Number(length) !== Buffer.byteLength(body))
    return [
      'body-changed',
      `signature mismatch: the body is ${Buffer.byteLength(body)} bytes but content-length says ${length}: it was cut or edited after it arrived`,
    ];
  if (parsed === undefined) return ['body-changed', 'signature mismatch: the body is not the JSON taskhook sent (cut, or edited); capture the whole raw body'];
  const bodyId = (parsed as { id?: unknown })?.id;
  if (typeof bodyId === 'string' && bodyId !== headers['webhook-id'])
    return [
      'body-changed',
      `signature mismatch: the body is event ${bodyId} but webhook-id is ${headers['webhook-id']}: the headers and the body come from different deliveries`,
    ];
  return [
    'wrong-secret',
    'signature mismatch: wrong secret (this secret did not sign this body); use the secret of this webhook, or the previous one during a rotation — if the secret is right, the body was edited',
  ];
}

export async function verifyCommand(io: Io, options: { secret?: string; headers?: string; json?: boolean }): Promise<number> {
  const secret = requireOption(options.secret, 'secret', 'whsec_…');
  const headers = parseHeaders(requireOption(options.headers, 'headers', 'captured-headers.json'));
  // Nothing piped in: say so now instead of waiting for a body that never comes.
  if (io.stdinTty) throw new UsageError(`no body on stdin: pipe the captured body in (${VERIFY_USAGE})`);
  const body = await io.readStdin();
  if (body === '') throw new UsageError(`the body on stdin is empty: pipe the captured body in (${VERIFY_USAGE})`);
  const verdict = diagnose(secret, headers, body, Math.floor(Date.now() / 1000));
  if (options.json) io.out(JSON.stringify(verdict));
  else {
    const colors = colorsFor(io);
    io.out(verdict.ok ? colors.green(verdict.reason) : colors.red(verdict.reason));
  }
  return verdict.ok ? EXIT.ok : EXIT.failed;
}
