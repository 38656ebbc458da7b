/**
 * How long the recent tasks of each (region, action) took, kept in a mark per pair: the typical duration a
 * running task's estimated finish falls back on when its progress is not known.
 */
import { durationsMark as markOf, parseDurations, typicalDuration, withDuration } from '../tasks/estimate.js';
import type { TaskSnapshot } from '../tasks/snapshot.js';
import { nowIso, type Run } from './run.js';

/** Reads the pairs a batch needs that the run has not read yet. */
export async function loadDurations(run: Run, regionId: string, actions: Iterable<string>): Promise<void> {
  const durations = (run.durations ??= { byPair: new Map(), changed: new Set() });
  await Promise.all(
    [...new Set(actions)]
      .filter((action) => !durations.byPair.has(markOf(regionId, action)))
      .map(async (action) => {
        const name = markOf(regionId, action);
        durations.byPair.set(name, []);
        durations.byPair.set(name, parseDurations(await run.deps.store.getMark(name)));
      }),
  );
}

export const typicalFor = (run: Run, regionId: string, action: string): number | null =>
  typicalDuration(run.durations?.byPair.get(markOf(regionId, action)) ?? []);

/** The recent durations of the pair, seconds (empty when the run has not read them or none are kept). */
export const durationsFor = (run: Run, regionId: string, action: string): number[] => run.durations?.byPair.get(markOf(regionId, action)) ?? [];

/** A task that succeeded adds its duration to its pair's. */
export function noteDuration(run: Run, snapshot: TaskSnapshot): void {
  if (snapshot.outcome !== 'succeeded' || snapshot.durationSeconds === null || !run.durations) return;
  const name = markOf(snapshot.regionId, snapshot.action);
  run.durations.byPair.set(name, withDuration(run.durations.byPair.get(name) ?? [], snapshot.durationSeconds));
  run.durations.changed.add(name);
}

export async function saveDurations(run: Run): Promise<void> {
  if (!run.durations) return;
  const { byPair, changed } = run.durations;
  await Promise.all([...changed].map((name) => run.deps.store.setMark(name, JSON.stringify(byPair.get(name) ?? []), nowIso(run))));
  changed.clear();
}
