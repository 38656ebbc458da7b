/** The FC timer trigger's event and the poll options its payload may carry. */
import { REGION_ID } from '../config.js';
import { TimerPayloadError } from '../errors.js';

export interface TimerEvent {
  triggerTime?: string;
  triggerName?: string;
  payload?: string;
}

export interface TimerPayload {
  regions?: string[];
}

/** The event arrives as a Buffer of JSON; `payload` is the trigger's configured string: empty, or JSON options. */
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
  const payload = event.payload?.trim();
  if (!payload) return { event, options: {} };
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
  return { event, options: { regions } };
}
