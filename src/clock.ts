/**
 * The process's monotonic clock, in epoch-like milliseconds: it never steps when the wall clock is set, so
 * spacing, pauses and deadlines measured on it hold through an NTP step or a hand-set clock.
 */
import { performance } from 'node:perf_hooks';

export const monotonicNow = (): number => performance.timeOrigin + performance.now();

/** How far the wall clock moved against the monotonic one since `since` (ms; 0 when it did not step). */
export function wallStepSince(since: { wall: number; mono: number }, wall = Date.now(), mono = monotonicNow()): number {
  return wall - since.wall - (mono - since.mono);
}
