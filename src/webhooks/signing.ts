/** Standard Webhooks signing: `webhook-id`, `webhook-timestamp`, `webhook-signature` (one `v1,` entry per live secret). */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { version } from '../../package.json';
import type { WebhookSecrets } from '../store/port.js';

export const USER_AGENT = `taskhook/${version}`;

/** `whsec_` + base64 of 32 random bytes: the form every Standard Webhooks library accepts. */
export function newWebhookSecret(): string {
  return 'whsec_' + randomBytes(32).toString('base64');
}

/** The secrets to sign with at `now`: the current one, and the previous one until its overlap ends. */
export function liveSecrets(secrets: WebhookSecrets, now: number): string[] {
  const live = [secrets.current];
  if (secrets.previous && Date.parse(secrets.previous.expiresAt) > now) live.push(secrets.previous.secret);
  return live;
}

export function signedHeaders(eventId: string, body: string, secrets: WebhookSecrets, now: number): Record<string, string> {
  const timestamp = new Date(now);
  const signature = liveSecrets(secrets, now)
    .map((secret) => new Webhook(secret).sign(eventId, timestamp, body))
    .join(' ');
  return {
    'content-type': 'application/cloudevents+json; charset=utf-8',
    'user-agent': USER_AGENT,
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(now / 1000)),
    'webhook-signature': signature,
  };
}
