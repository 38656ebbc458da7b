/** Standard Webhooks signing: `webhook-id`, `webhook-timestamp`, `webhook-signature` (one entry per live secret, space-separated). */
import { version } from '../../package.json';
import { liveSecrets, newSecret, signatureWith, type StoredSecrets } from './secrets.js';

export const USER_AGENT = `taskhook/${version}`;

export { liveSecrets };

/** `whsec_` + base64 of 32 random bytes: the form every Standard Webhooks library accepts. */
export function newWebhookSecret(): string {
  return newSecret('hmac');
}

/** Signed with the current secret and every previous one still inside its overlap (`v1,` HMAC or `v1a,` Ed25519). */
export function signedHeaders(eventId: string, body: string, secrets: StoredSecrets, now: number): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  const signature = liveSecrets(secrets, now)
    .map((secret) => signatureWith(secret, eventId, timestamp, body))
    .join(' ');
  return {
    'content-type': 'application/cloudevents+json; charset=utf-8',
    'user-agent': USER_AGENT,
    'webhook-id': eventId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signature,
  };
}
