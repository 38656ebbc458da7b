/** One shard of a poll run's work: whole regions, or a task-id range inside one region. */
import { REGION_ID, TASK_ID } from '../config.js';
import { InvalidInputError } from '../errors.js';

export interface ShardSpec {
  /** Names the shard in logs and summaries. */
  id: string;
  regions: string[];
  /**
   * The task ids after `from` up to and including `to`, compared as strings (the sweep's `after`/`upTo`, as
   * src/poll/shards.ts cuts a region); `null` leaves that end open. Only with one region.
   */
  range?: { from: string | null; to: string | null };
  /** The share of the configured ECS rate this shard may use (0–1]: shards of one region split its quota. Default 1. */
  share?: number;
}

/** Printable ASCII without spaces, so an id is safe in a log line. */
const SHARD_ID = /^[\x21-\x7e]{1,128}$/;
/** More regions than Alibaba Cloud has is not a shard anyone meant. */
const MAX_REGIONS = 100;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A value quoted in an error: short, and never a whole hostile payload. */
const quote = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
};

const invalid = (field: string, problem: string) => new InvalidInputError('InvalidShard', `shard.${field} ${problem}`, `shard.${field}`);

function onlyKeys(value: Record<string, unknown>, allowed: string[], where: string): void {
  const extra = Object.keys(value).filter((key) => !allowed.includes(key));
  if (extra.length > 0) throw invalid(extra[0], `is not a shard field (${where} has ${allowed.join(', ')})`);
}

function rangeEnd(value: unknown, field: 'from' | 'to'): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !TASK_ID.test(value))
    throw invalid(`range.${field}`, `must be a task id like "t-bp1abc0000000001" or null, got ${quote(value)}`);
  return value;
}

/** The ShardSpec `value` spells, or an InvalidInputError (code InvalidShard) naming the field that is wrong. */
export function parseShard(value: unknown): ShardSpec {
  if (!isRecord(value))
    throw new InvalidInputError('InvalidShard', `a shard must be an object like {"id":"cn-hangzhou","regions":["cn-hangzhou"]}, got ${quote(value)}`, 'shard');
  onlyKeys(value, ['id', 'regions', 'range', 'share'], 'a shard');
  const { id, regions, range, share } = value;
  if (typeof id !== 'string' || !SHARD_ID.test(id)) throw invalid('id', `must be 1 to 128 printable characters without spaces, got ${quote(id)}`);
  if (!Array.isArray(regions) || regions.length === 0 || regions.length > MAX_REGIONS)
    throw invalid('regions', `must be a list of 1 to ${MAX_REGIONS} region ids like ["cn-hangzhou"], got ${quote(regions)}`);
  for (const [i, region] of regions.entries()) {
    if (typeof region !== 'string' || !REGION_ID.test(region)) throw invalid(`regions[${i}]`, `must be a region id like "cn-hangzhou", got ${quote(region)}`);
    if (regions.indexOf(region) !== i) throw invalid(`regions[${i}]`, `repeats ${quote(region)}`);
  }
  if (share !== undefined && (typeof share !== 'number' || !(share > 0 && share <= 1)))
    throw invalid('share', `must be a number above 0 and at most 1 (the shard's part of the ECS rate), got ${quote(share)}`);
  const shard: ShardSpec = { id, regions: [...(regions as string[])], ...(share !== undefined ? { share } : {}) };
  if (range === undefined) return shard;
  if (!isRecord(range)) throw invalid('range', `must be an object like {"from":"t-…","to":null}, got ${quote(range)}`);
  onlyKeys(range, ['from', 'to'], 'a range');
  if (!('from' in range) || !('to' in range)) throw invalid('range', 'must name both from and to (null for an open end)');
  if (regions.length !== 1) throw invalid('range', `is a task-id range inside one region, but the shard names ${regions.length} regions`);
  const from = rangeEnd(range.from, 'from');
  const to = rangeEnd(range.to, 'to');
  if (from !== null && to !== null && from >= to) throw invalid('range', `must have from before to, got ${quote(from)} to ${quote(to)}`);
  return { ...shard, range: { from, to } };
}
