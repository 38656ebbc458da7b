/**
 * A webhook's signing secrets over time, as pure functions: which algorithm a secret is for, how a rotation keeps
 * every previous secret until its own expiry, which secrets sign at a given moment, and one Standard Webhooks
 * signature per secret (`v1,` HMAC-SHA256 for `whsec_` secrets, `v1a,` Ed25519 for `whsk_` secret keys).
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { PreviousSecret, WebhookSecrets } from '../store/port.js';

/** A previous secret keeps signing this long after the rotation that replaced it (the README promises 24 h). */
export const ROTATION_OVERLAP_MS = 24 * 3_600_000;

export type SigningAlgorithm = 'hmac' | 'ed25519';
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['hmac', 'ed25519'];

/** The Standard Webhooks prefixes: symmetric secret, asymmetric secret key, asymmetric public key. */
export const SECRET_PREFIX = { hmac: 'whsec_', ed25519: 'whsk_', publicKey: 'whpk_' } as const;

/** What a record may hold: `previous` was one object before rotations kept every secret, so both shapes are read. */
export type StoredSecrets = WebhookSecrets;

/** The secret's algorithm, from its prefix: the record needs no separate field, and old records stay HMAC. */
export function signingAlgorithm(secret: string): SigningAlgorithm {
  return secret.startsWith(SECRET_PREFIX.ed25519) ? 'ed25519' : 'hmac';
}

/** A fresh current secret: `whsec_` + 32 random bytes, or `whsk_` + an Ed25519 key (seed ‖ public key, 64 bytes). */
export function newSecret(algorithm: SigningAlgorithm = 'hmac'): string {
  if (algorithm === 'hmac') return SECRET_PREFIX.hmac + randomBytes(32).toString('base64');
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  return SECRET_PREFIX.ed25519 + Buffer.concat([Buffer.from(jwk.d!, 'base64url'), Buffer.from(jwk.x!, 'base64url')]).toString('base64');
}

/** Every previous secret, whichever shape the record has, expired ones included. */
export function previousSecrets(secrets: StoredSecrets): PreviousSecret[] {
  const { previous } = secrets;
  return previous === undefined ? [] : Array.isArray(previous) ? previous : [previous];
}

export function unexpiredPrevious(secrets: StoredSecrets, now: number): PreviousSecret[] {
  return previousSecrets(secrets).filter((p) => Date.parse(p.expiresAt) > now);
}

/** The secrets to sign with at `now`: the current one, then every previous one whose overlap has not ended. */
export function liveSecrets(secrets: StoredSecrets, now: number): string[] {
  return [secrets.current, ...unexpiredPrevious(secrets, now).map((p) => p.secret)];
}

/** After a rotation to `next`: the old current secret joins the previous ones for 24 h; expired ones are dropped. */
export function rotatedSecrets(secrets: StoredSecrets, next: string, now: number): WebhookSecrets {
  const previous = [...unexpiredPrevious(secrets, now), { secret: secrets.current, expiresAt: new Date(now + ROTATION_OVERLAP_MS).toISOString() }];
  return { current: next, previous };
}

/** When the newest previous secret stops signing; null when none is left. */
export function lastPreviousExpiry(secrets: StoredSecrets, now: number): string | null {
  const expiries = unexpiredPrevious(secrets, now).map((p) => p.expiresAt);
  return expiries.length > 0 ? expiries.reduce((a, b) => (a > b ? a : b)) : null;
}

function ed25519Key(secretKey: string): KeyObject {
  const raw = Buffer.from(secretKey.slice(SECRET_PREFIX.ed25519.length), 'base64');
  if (raw.length !== 64) throw new Error('an Ed25519 secret key must hold 64 bytes (seed and public key)');
  const [d, x] = [raw.subarray(0, 32), raw.subarray(32)].map((b) => b.toString('base64url'));
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d, x }, format: 'jwk' });
}

/** `whpk_` + base64 of the raw 32-byte public key of a `whsk_` secret key (what a receiver verifies with). */
export function publicKeyOf(secretKey: string): string {
  const raw = Buffer.from(secretKey.slice(SECRET_PREFIX.ed25519.length), 'base64');
  return SECRET_PREFIX.publicKey + raw.subarray(32).toString('base64');
}

/** One Standard Webhooks signature of `id.timestamp.body`: `v1,<hmac>` or `v1a,<ed25519>`. */
export function signatureWith(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (signingAlgorithm(secret) === 'hmac') return new Webhook(secret).sign(id, new Date(timestampSeconds * 1000), body);
  return 'v1a,' + sign(null, Buffer.from(`${id}.${timestampSeconds}.${body}`, 'utf8'), ed25519Key(secret)).toString('base64');
}
