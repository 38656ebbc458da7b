/**
 * Operational events (the Svix idea): taskhook tells the webhooks that ask for them when one of its webhooks was
 * disabled, recovered, or let a delivery die after its last retry, and when polling a region stopped because ECS
 * refuses the request or the caller (and when it resumed). CloudEvents 1.0 like the task events, ids
 * deterministic (webhook id + what happened + when), stored in the event log and queued like task events, delivered
 * only to webhooks that name the type, never by default.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../log.js';
import type { NewDelivery, StateStore, StoredEvent, WebhookRecord } from '../store/port.js';
import { OPERATIONAL_EVENT_TYPES, type OperationalEventType } from '../tasks/events.js';
import { deliveryId } from './matching.js';

export { OPERATIONAL_EVENT_TYPES, type OperationalEventType };

/** Deliveries of operational events use this in place of a region, so they never share a task's order. */
export const OPERATIONAL_REGION = 'taskhook';

export interface OperationalEventData {
  webhookId: string;
  reason: string;
  failingSince: string | null;
  eventId?: string;
  deliveryId?: string;
}

/** poller.blocked / poller.resumed: which region, which call ECS refused, why, and what to do. */
export interface PollerEventData {
  regionId: string;
  action: string;
  code: string;
  reason: string;
  fix: string;
  /** When polling the region stopped (the blocked event's time, carried by the resumed one). */
  since: string;
}

export type PollerEventType = 'poller.blocked' | 'poller.resumed';

export interface OperationalEvent {
  specversion: '1.0';
  id: string;
  type: OperationalEventType;
  source: 'taskhook';
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: OperationalEventData | PollerEventData;
}

export function isOperationalType(type: string): type is OperationalEventType {
  return (OPERATIONAL_EVENT_TYPES as readonly string[]).includes(type);
}

/** Same subject, same happening (type, and the delivery for delivery.exhausted), same time → same id. */
export function operationalEventId(type: OperationalEventType, data: OperationalEventData, time: string): string {
  return opId(data.webhookId, type, data.deliveryId ?? '', time);
}

const opId = (...parts: string[]) => `evt_op_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 26)}`;

/** The subject of a region's poller events. */
export const pollerSubject = (regionId: string) => `ecs/${regionId}`;

/** One per start and one per end of a blockage: the id comes from the region, the type and when it started. */
export function pollerEvent(type: PollerEventType, data: PollerEventData, time: string): OperationalEvent {
  const subject = pollerSubject(data.regionId);
  return { specversion: '1.0', id: opId(subject, type, data.since), type, source: 'taskhook', subject, time, datacontenttype: 'application/json', data };
}

export function operationalEvent(type: OperationalEventType, data: OperationalEventData, time: string): OperationalEvent {
  return {
    specversion: '1.0',
    id: operationalEventId(type, data, time),
    type,
    source: 'taskhook',
    subject: data.webhookId,
    time,
    datacontenttype: 'application/json',
    data,
  };
}

/** A webhook's health as trackHealth sees it before and after one attempt. */
export interface Health {
  enabled: boolean;
  failingSince: string | null;
  disabledReason: string | null;
}

/** What one attempt changed: disabled (410 or five failing days), or recovered (a success after failures). */
export function healthEvents(webhookId: string, before: Health, after: Health, time: string): OperationalEvent[] {
  if (before.enabled && !after.enabled) {
    const reason = after.disabledReason ?? 'disabled';
    return [operationalEvent('webhook.disabled', { webhookId, reason, failingSince: after.failingSince ?? before.failingSince }, time)];
  }
  if (before.failingSince !== null && after.failingSince === null && after.enabled) {
    const reason = `a delivery succeeded again after failures since ${before.failingSince}`;
    return [operationalEvent('webhook.recovered', { webhookId, reason, failingSince: before.failingSince }, time)];
  }
  return [];
}

export function exhaustedEvent(webhook: WebhookRecord, delivery: { id: string; eventId: string }, lastError: string | null, time: string): OperationalEvent {
  const reason = `delivery ${delivery.id} of ${delivery.eventId} died after its last retry${lastError ? ` (${lastError})` : ''}`;
  return operationalEvent(
    'delivery.exhausted',
    { webhookId: webhook.id, reason, failingSince: webhook.failingSince, eventId: delivery.eventId, deliveryId: delivery.id },
    time,
  );
}

/**
 * Who gets it: enabled webhooks that list the type by name ("*" means every task event, not these), and never the
 * webhook a webhook.disabled is about.
 */
export function operationalSubscribers(event: OperationalEvent, webhooks: WebhookRecord[]): WebhookRecord[] {
  return webhooks.filter((w) => w.enabled && w.events.includes(event.type) && !(event.type === 'webhook.disabled' && w.id === event.subject));
}

/** Orders one webhook's operational deliveries about one subject by the event's time (they have no task sequence). */
export const operationalSequence = (event: { time: string }) => Math.floor(Date.parse(event.time) / 1000);

export function operationalDeliveries(event: OperationalEvent, subscribers: WebhookRecord[], now: string): NewDelivery[] {
  return subscribers.map((w) => ({
    id: deliveryId(event.id, w.id),
    eventId: event.id,
    webhookId: w.id,
    regionId: OPERATIONAL_REGION,
    taskId: event.subject,
    sequence: operationalSequence(event),
    dueAt: now,
    createdAt: now,
  }));
}

export interface PublishDeps {
  store: StateStore;
  logger: Logger;
  now: () => number;
}

/**
 * The event as the event log keeps it: under OPERATIONAL_REGION and its subject (the webhook), like its deliveries.
 * The port types events as task events; an operational one differs only in `data` (no task, no sequence).
 */
export function storedOperational(event: OperationalEvent, recordedAt: string): StoredEvent {
  return { event: event as unknown as StoredEvent['event'], regionId: OPERATIONAL_REGION, taskId: event.subject, recordedAt };
}

/**
 * Logs the event as one warn line, stores it in the event log, and queues a delivery to each subscriber, sent and
 * retried like any other (so `GET /v1/events?type=...` lists it and redeliver works). Never throws.
 */
export async function publishOperational(deps: PublishDeps, event: OperationalEvent): Promise<void> {
  deps.logger.warn(event.type, { eventId: event.id, subject: event.subject, ...event.data });
  try {
    const subscribers = operationalSubscribers(event, await deps.store.listWebhooks());
    const at = new Date(deps.now()).toISOString();
    // The event before its deliveries: a delivery whose event is missing is abandoned as past retention.
    await deps.store.appendEvents([storedOperational(event, at)]);
    await deps.store.enqueueDeliveries(operationalDeliveries(event, subscribers, at));
  } catch (error) {
    deps.logger.error('operational event not published', { eventId: event.id, type: event.type, error });
  }
}
