/**
 * For webhook receivers (`import { verifyDelivery } from 'taskhook/consumer'`): the types of every event taskhook
 * delivers, and verifyDelivery, which checks a delivery's Standard Webhooks signature and answers its typed event.
 */
import { createPublicKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { deliveredEvent, type DeliveredEvent, type OperationalEvent, type TaskEvent, type TestEvent } from '../schema/event.js';

export type { DeliveredEvent, OperationalEvent, TaskEvent, TestEvent };
/** The normalized task a task event carries (`event.data.task`). */
export type TaskSnapshot = TaskEvent['data']['task'];
export type TaskEventType = TaskEvent['type'];

/** Why a delivery was refused: a header is missing, the signature or its time is wrong, or the body is not an event. */
export type VerificationFailure = 'headers' | 'signature' | 'timestamp' | 'body';

export class DeliveryVerificationError extends Error {
  override name = 'DeliveryVerificationError';
  constructor(
    readonly reason: VerificationFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Node's `req.headers`, a fetch `Headers`, or a plain object; names in any case. */
export type DeliveryHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyOptions {
  /** How far the `webhook-timestamp` may be from now, in seconds. Default 300 (Standard Webhooks' window). */
  toleranceSeconds?: number;
  /** The clock, in ms since the epoch. Default Date.now. */
  now?: () => number;
}

function headerMap(headers: DeliveryHeaders): Record<string, string> {
  const entries: Array<[string, string | string[] | undefined]> = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  const out: Record<string, string> = {};
  for (const [name, value] of entries) if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(' ') : value;
  return out;
}

function checkTimestampFormat(timestamp: string): void {
  if (!/^\d{1,12}$/.test(timestamp)) throw new DeliveryVerificationError('headers', `webhook-timestamp "${timestamp.slice(0, 40)}" is not Unix seconds`);
}

/** After the signature: a stale but genuine delivery is told apart from a forged one. */
function checkTimestamp(timestamp: string, options: VerifyOptions): void {
  checkTimestampFormat(timestamp);
  const seconds = Number(timestamp);
  const skew = (options.now ?? Date.now)() / 1000 - seconds;
  const tolerance = options.toleranceSeconds ?? 300;
  if (skew > tolerance)
    throw new DeliveryVerificationError('timestamp', `the signature is right but the timestamp is ${Math.round(skew)} s old (more than ${tolerance} s)`);
  if (skew < -tolerance) throw new DeliveryVerificationError('timestamp', `the timestamp is ${Math.round(-skew)} s in the future (more than ${tolerance} s)`);
}

/** `whpk_` + base64 of the raw 32-byte key, as GET /v1/webhooks/{id}/public-key answers it. */
function ed25519Key(publicKey: string): KeyObject {
  const raw = Buffer.from(publicKey.slice('whpk_'.length), 'base64');
  if (raw.length !== 32) throw new DeliveryVerificationError('signature', 'the public key is not a whpk_ Ed25519 key (32 bytes, base64)');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}

function verifySignature(headers: Record<string, string>, body: string, secret: string, options: VerifyOptions): void {
  const missing = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].filter((name) => !headers[name]);
  if (missing.length > 0) throw new DeliveryVerificationError('headers', `the delivery has no ${missing.join(', ')} header`);
  if (secret.startsWith('whpk_')) {
    // Ed25519 (v1a): one entry per live key; after a rotation the old key's entry is there for 24 h.
    const key = ed25519Key(secret);
    const content = Buffer.from(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`);
    const entries = headers['webhook-signature'].split(' ').filter((entry) => entry.startsWith('v1a,'));
    const verifies = (entry: string) => {
      try {
        return verify(null, content, key, Buffer.from(entry.slice('v1a,'.length), 'base64'));
      } catch {
        return false;
      }
    };
    if (!entries.some(verifies))
      throw new DeliveryVerificationError(
        'signature',
        'no v1a signature verifies with this public key (a wrong key, or a body that is not byte-for-byte what was sent)',
      );
    checkTimestamp(headers['webhook-timestamp'], options);
    return;
  }
  if (!secret.startsWith('whsec_')) throw new DeliveryVerificationError('signature', 'the secret must be the webhook’s whsec_ secret or its whpk_ public key');
  checkTimestampFormat(headers['webhook-timestamp']);
  // HMAC (v1): the library's signature of this id, timestamp and body, against every v1 entry (one per live secret).
  const signed = new Webhook(secret).sign(headers['webhook-id'], new Date(Number(headers['webhook-timestamp']) * 1000), body);
  const expected = Buffer.from(signed.slice('v1,'.length));
  const entries = headers['webhook-signature'].split(' ').filter((entry) => entry.startsWith('v1,'));
  const matches = (entry: string) => {
    const given = Buffer.from(entry.slice('v1,'.length));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  if (!entries.some(matches))
    throw new DeliveryVerificationError('signature', 'no v1 signature matches this secret (a wrong secret, or a body that is not byte-for-byte what was sent)');
  checkTimestamp(headers['webhook-timestamp'], options);
}

/**
 * Checks the delivery's signature (`whsec_` secret: HMAC v1; `whpk_` public key: Ed25519 v1a) and timestamp on the
 * raw body, then parses it: the typed event, or a DeliveryVerificationError saying what is wrong.
 */
export function verifyDelivery(headers: DeliveryHeaders, body: string | Uint8Array, secret: string, options: VerifyOptions = {}): DeliveredEvent {
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  const map = headerMap(headers);
  verifySignature(map, text, secret, options);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DeliveryVerificationError('body', 'the delivery is signed but its body is not JSON');
  }
  const result = deliveredEvent.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new DeliveryVerificationError('body', `the delivery is signed but is not a taskhook event: ${issue.path.join('.') || 'the body'}: ${issue.message}`);
  }
  if (result.data.id !== map['webhook-id'])
    throw new DeliveryVerificationError('body', `the event id ${result.data.id} is not the webhook-id header ${map['webhook-id']}`);
  return result.data;
}
