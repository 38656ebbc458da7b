/** Stored records as tests and benchmarks build them: one definition, so neither copies the other. */
import type { WebhookRecord } from '../store/port.js';

/** An enabled API webhook with a fixed secret, subscribed to completions unless the overrides say otherwise. */
export function webhookRecord(id: string, overrides: Partial<WebhookRecord> = {}): WebhookRecord {
  const at = overrides.createdAt ?? '2026-11-27T10:00:00Z';
  return {
    id,
    url: `https://hooks.example.com/${id}`,
    description: null,
    events: ['ecs.task.succeeded'],
    filter: {},
    enabled: true,
    disabledReason: null,
    secrets: { current: 'whsec_' + Buffer.alloc(32, 7).toString('base64') },
    source: 'api',
    failingSince: null,
    createdAt: at,
    updatedAt: at,
    ...overrides,
  };
}
