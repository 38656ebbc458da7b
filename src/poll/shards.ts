/**
 * Splitting a watch list too long for one run into shards: whole regions packed together up to the tasks one run
 * sweeps, and a region longer than that cut into task-id ranges at sampled boundaries, its ECS rate shared
 * among them (the quota is the region's, however many runs ask). The first shard is the run's own; the others
 * are handed to the Invoker, and one that fails or times out is simply planned and handed off again next run.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_SHARD_TASKS } from '../config.js';
import type { ShardSpec } from '../shards/shard.js';
import { inRegion, type Run } from './run.js';

/** A region's census is taken only when the last run saw at least this share of the shard size. */
const CENSUS_FROM_SHARE = 0.5;
/** Where the last coordinating run left the size of the list, so small lists skip the census. */
export const ACTIVE_COUNT_MARK = 'poll/active';

interface Unit {
  regions: string[];
  count: number;
  range?: { from: string | null; to: string | null };
  share?: number;
}

/** The shards of this run, its own first, and the census total; null when one run covers the list. */
export async function planShards(run: Run): Promise<{ shards: ShardSpec[]; total: number } | null> {
  const { store } = run.deps;
  const maxTasks = run.deps.config.shardTasks ?? DEFAULT_SHARD_TASKS;
  const lastCount = Number(await store.getMark(ACTIVE_COUNT_MARK));
  if (!(lastCount >= maxTasks * CENSUS_FROM_SHARE)) return null;

  const regions = (await store.listActiveRegions()).filter((r) => inRegion(run, r));
  // Every task id is sampled often enough that a region's ranges come out within a few percent of equal.
  const sampleEvery = Math.max(1, Math.floor(maxTasks / 20));
  const census = await Promise.all(regions.map(async (regionId) => ({ regionId, ...(await store.countActiveTasks(regionId, sampleEvery)) })));
  const total = census.reduce((sum, c) => sum + c.count, 0);
  if (total <= maxTasks) return null;

  const units: Unit[] = census.flatMap(({ regionId, count, samples }): Unit[] => {
    if (count <= maxTasks) return [{ regions: [regionId], count }];
    const parts = Math.min(Math.ceil(count / maxTasks), samples.length + 1);
    // Boundaries at equal steps through the samples; each range is (from, to], open at the region's ends.
    const bounds = Array.from({ length: parts - 1 }, (_, i) => samples[Math.round(((i + 1) * samples.length) / parts) - 1]);
    return [null, ...bounds].map((from, i) => ({
      regions: [regionId],
      count: Math.ceil(count / parts),
      range: { from, to: bounds[i] ?? null },
      share: 1 / parts,
    }));
  });
  return { shards: pack(units, maxTasks).map(shardOf), total };
}

/** Whole regions first-fit by size into shards of at most `maxTasks`; each range unit is a shard alone. */
function pack(units: Unit[], maxTasks: number): Unit[] {
  const ranges = units.filter((u) => u.range);
  const bins: Unit[] = [];
  for (const unit of units.filter((u) => !u.range).sort((a, b) => b.count - a.count)) {
    const bin = bins.find((b) => b.count + unit.count <= maxTasks);
    if (bin) {
      bin.regions.push(...unit.regions);
      bin.count += unit.count;
    } else bins.push({ regions: [...unit.regions], count: unit.count });
  }
  return [...bins, ...ranges];
}

/** A stable id from what the shard covers: the same plan next run names the same shards (and leases). */
function shardOf(unit: Unit): ShardSpec {
  const regions = [...unit.regions].sort();
  const what = JSON.stringify([regions, unit.range ?? null]);
  const id = `${regions[0]}${regions.length > 1 ? `+${regions.length - 1}` : ''}-${hash(what)}`;
  return { id, regions, ...(unit.range ? { range: unit.range } : {}), ...(unit.share !== undefined ? { share: unit.share } : {}) };
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);
