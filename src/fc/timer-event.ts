/** The poller's FC event: a timer trigger's (with the poll options its payload may carry), a shard invocation's, or a delivery run's. */
import { REGION_ID } from '../config.js';
import { InvalidInputError, TimerPayloadError } from '../errors.js';
import { parseShard, type ShardSpec } from '../shards/shard.js';

export interface TimerEvent {
  triggerTime?: string;
  triggerName?: string;
  payload?: string;
  /** Set by a shard invocation (see src/fc/fc2-invoker.ts), never by the timer trigger. */
  shard?: unknown;
  /** Set by a delivery run's invocation (see src/delivery/fc-invoker.ts), never by the timer trigger. */
  deliver?: unknown;
}

export interface TimerPayload {
  regions?: string[];
  /** The shard this run covers, when the event is a shard invocation. */
  shard?: ShardSpec;
  /** The webhook whose deliveries this run sends, when the event is a delivery run's invocation. */
  deliver?: { webhookId: string };
}

/** A webhook id as the store makes them: printable, no spaces, bounded. */
const WEBHOOK_ID = /^[\w.:-]{1,128}$/;

/**
 * The event arrives as a Buffer of JSON. A timer trigger's `payload` is its configured string: empty, or JSON options.
 * A shard invocation's event is `{"shard": {...}}` (a ShardSpec), which names its own regions.
 */
export function parseTimerEvent(input: unknown): { event: TimerEvent; options: TimerPayload } {
  const text = Buffer.isBuffer(input) ? input.toString('utf8') : typeof input === 'string' ? input : JSON.stringify(input ?? {});
  let event: TimerEvent = {};
  if (text.trim()) {
    try {
      event = JSON.parse(text) as TimerEvent;
    } catch {
      throw new TimerPayloadError('the timer event is not JSON');
    }
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new TimerPayloadError('the timer event is not a JSON object');
  const options = payloadOptions(event.payload);
  if (event.deliver !== undefined) {
    if (event.shard !== undefined || options.regions) throw new TimerPayloadError('a delivery event names only its webhook: {"deliver":{"webhookId":"wh_…"}}');
    const webhookId: unknown = typeof event.deliver === 'object' && event.deliver !== null ? Reflect.get(event.deliver, 'webhookId') : undefined;
    if (typeof webhookId !== 'string' || !WEBHOOK_ID.test(webhookId))
      throw new TimerPayloadError('the delivery event needs "deliver": {"webhookId": "wh_…"} with the id of a registered webhook');
    return { event, options: { deliver: { webhookId } } };
  }
  if (event.shard === undefined) return { event, options };
  if (options.regions) throw new TimerPayloadError('a shard event names its regions in "shard"; a "regions" payload next to it is refused');
  return { event, options: { shard: shardOf(event.shard) } };
}

function payloadOptions(raw: unknown): TimerPayload {
  if (raw !== undefined && raw !== null && typeof raw !== 'string') throw new TimerPayloadError('the timer event "payload" must be a string');
  const payload = raw?.trim();
  if (!payload) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    throw new TimerPayloadError(`the timer payload must be empty or JSON like {"regions":["cn-hangzhou"]}, got ${JSON.stringify(payload.slice(0, 60))}`);
  }
  const regions = (parsed as TimerPayload)?.regions;
  if (regions !== undefined && (!Array.isArray(regions) || regions.some((r) => typeof r !== 'string' || !REGION_ID.test(r)))) {
    throw new TimerPayloadError('the timer payload "regions" must be a list of region ids like ["cn-hangzhou"]');
  }
  return regions === undefined ? {} : { regions };
}

function shardOf(value: unknown): ShardSpec {
  try {
    return parseShard(value);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new TimerPayloadError(`the shard event is not usable: ${error.message}`);
    throw error;
  }
}
