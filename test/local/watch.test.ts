import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EcsSimulator, SimTask } from '../../src/ecs/simulator/index.js';
import { progressFrame } from '../../src/local/progress.js';
import type { TaskSnapshot } from '../../src/tasks/snapshot.js';
import { KEYS, startSimulator } from '../support/helpers.js';
import { inTerminal, stripAnsi, taskhook } from './cli-process.js';

let sim: EcsSimulator;
const env = () => ({
  ALIBABA_CLOUD_ACCESS_KEY_ID: KEYS.accessKeyId,
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: KEYS.accessKeySecret,
  TASKHOOK_ECS_ENDPOINT: sim.endpoint,
});

/** An import that climbs to 100 % over `ms`, then finishes. */
function climbing(taskId: string, ms: number): SimTask {
  return {
    taskId,
    regionId: 'cn-hangzhou',
    action: 'ImportImage',
    createdAt: Date.now(),
    timeline: [
      { afterMs: 0, status: 'Waiting' },
      { afterMs: ms / 5, status: 'Processing', progress: 20 },
      { afterMs: (ms * 2) / 5, status: 'Processing', progress: 40 },
      { afterMs: (ms * 3) / 5, status: 'Processing', progress: 60 },
      { afterMs: (ms * 4) / 5, status: 'Processing', progress: 80 },
      { afterMs: ms, status: 'Finished', progress: 100 },
    ],
    result: { totalCount: 1, successCount: 1, failedCount: 0 },
  };
}

beforeAll(async () => {
  sim = await startSimulator([
    {
      taskId: 't-bp1forever00000000001',
      regionId: 'cn-hangzhou',
      action: 'ExportImage',
      createdAt: Date.now(),
      timeline: [{ afterMs: 0, status: 'Processing', progress: 35 }],
    },
  ]);
});
afterAll(() => sim.stop());

/** The frames a redrawing terminal shows: split at each carriage return, line clear or newline. */
// eslint-disable-next-line no-control-regex
const FRAME_BREAK = /\r\x1b\[2K|\r?\n|\r/;
const framesOf = (raw: string) =>
  raw
    .split(FRAME_BREAK)
    .map(stripAnsi)
    .filter((f) => f.length > 0);

describe('taskhook watch in a terminal', () => {
  for (const columns of [80, 120]) {
    it(`redraws one line in place that fits ${columns} columns, and ends on a clean line`, async () => {
      const taskId = `t-bp1width${columns}0000000001`;
      sim.addTask(climbing(taskId, 3_000));
      const run = await inTerminal(['watch', taskId, '--region', 'cn-hangzhou', '--interval', '0.3'], columns, { env: env() });
      expect(run.code).toBe(0);
      // Each redraw erases the whole line first, so a shorter frame never leaves the tail of a longer one.
      expect(run.stdout.split('\r\x1b[2K').length).toBeGreaterThan(5);
      const frames = framesOf(run.stdout);
      for (const frame of frames) expect(frame.length, JSON.stringify(frame)).toBeLessThan(columns);
      const progress = frames.filter((f) => /^\[[#-]+\] +\d+%/.test(f));
      expect(new Set(progress.map((f) => /(\d+)%/.exec(f)![1])).size).toBeGreaterThan(2);
      for (const f of progress) expect(f).toMatch(/^\[[#-]+\] +\d+% {2}(Waiting|Processing|Finished) {2}(?:\d+m )?\d+s {2}ImportImage t-bp1width/);
      if (columns === 120) expect(progress[0]).toMatch(/^\[[#-]{30}\]/);
      expect(frames.at(-1)).toMatch(new RegExp(`^${taskId}: succeeded at \\S+Z$`));
      // Colour on a terminal: the status word.
      expect(run.stdout).toContain('\x1b[36mProcessing\x1b[39m');
    });
  }

  it('never colours with NO_COLOR, and cuts the line to a narrow terminal', async () => {
    const run = await inTerminal(['watch', 't-bp1forever00000000001', '--region', 'cn-hangzhou', '--interval', '0.3', '--timeout', '1.5'], 40, {
      env: { ...env(), NO_COLOR: '1' },
    });
    expect(run.code).toBe(1);
    expect(run.stdout.replaceAll('\r\x1b[2K', '')).not.toContain('\x1b[');
    const frames = framesOf(run.stdout);
    for (const frame of frames.slice(0, -1)) expect(frame.length).toBeLessThan(40);
    expect(frames.some((f) => f.endsWith('…'))).toBe(true);
  });

  it('stops with exit 1 and one clear line at --timeout', async () => {
    const run = await inTerminal(['watch', 't-bp1forever00000000001', '--region', 'cn-hangzhou', '--interval', '0.3', '--timeout', '1'], 80, { env: env() });
    expect(run.code).toBe(1);
    expect(framesOf(run.stdout).at(-1)).toMatch(/^t-bp1forever00000000001: timed out after 1s \(--timeout\), still Processing at 35%$/);
  });
});

/** An import that finishes after `ms`; its image stays Creating `lagMs` longer (or for good, as `readyStatus` says). */
function lateImage(taskId: string, imageId: string, ms: number, lagMs: number, readyStatus?: string): SimTask {
  return {
    ...climbing(taskId, ms),
    resourceId: imageId,
    result: { totalCount: 1, successCount: 1, failedCount: 0, operations: [{ status: 'Success', relatedItems: [{ name: 'ImageId', value: imageId }] }] },
    resource: { readyAfterMs: lagMs, ...(readyStatus ? { readyStatus } : {}) },
  };
}

describe('taskhook watch waits for the resource', () => {
  it('says what it waits for after the task finished, and ends when the image is usable', async () => {
    sim.addTask(lateImage('t-bp1lateimage0000001', 'm-bp1lateimage0000001', 500, 2_000));
    const run = await taskhook(['watch', 't-bp1lateimage0000001', '--region', 'cn-hangzhou', '--interval', '0.2'], { env: env() });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const finished = lines.findIndex((l) => /^t-bp1lateimage0000001: succeeded at /.test(l));
    expect(finished).toBeGreaterThanOrEqual(0);
    expect(lines[finished + 1]).toMatch(/^task finished \d+ s ago; image m-bp1lateimage0000001 is still Creating$/);
    expect(lines.at(-1)).toMatch(/^t-bp1lateimage0000001: ready: image m-bp1lateimage0000001 Available, \d+ s after the task finished$/);
  });

  it('exits 1 when the image ends unusable, and does not wait with --until finished', async () => {
    sim.addTask(lateImage('t-bp1badimage00000001', 'm-bp1badimage00000001', 300, 300, 'CreateFailed'));
    const bad = await taskhook(['watch', 't-bp1badimage00000001', '--region', 'cn-hangzhou', '--interval', '0.2'], { env: env() });
    expect(bad.code).toBe(1);
    expect(bad.stdout.trim().split('\n').at(-1)).toBe('t-bp1badimage00000001: not ready: image m-bp1badimage00000001 is CreateFailed');
    sim.addTask(lateImage('t-bp1notwaited0000001', 'm-bp1notwaited0000001', 300, 60_000));
    const before = sim.calls().DescribeImages ?? 0;
    const finished = await taskhook(['watch', 't-bp1notwaited0000001', '--region', 'cn-hangzhou', '--interval', '0.2', '--until', 'finished'], { env: env() });
    expect(finished.code).toBe(0);
    expect(finished.stdout.trim().split('\n').at(-1)).toMatch(/^t-bp1notwaited0000001: succeeded at /);
    expect(sim.calls().DescribeImages ?? 0).toBe(before);
    const wrong = await taskhook(['watch', 't-bp1notwaited0000001', '--region', 'cn-hangzhou', '--until', 'usable'], { env: env() });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--until must be ready');
  });
});

describe('taskhook watch without a terminal', () => {
  it('prints one line per change (no redraws) and the outcome', async () => {
    sim.addTask(climbing('t-bp1piped00000000001', 2_000));
    const run = await taskhook(['watch', 't-bp1piped00000000001', '--region', 'cn-hangzhou', '--interval', '0.2'], { env: env() });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('\r');
    expect(run.stdout).not.toContain('\x1b[');
    const lines = run.stdout.trim().split('\n');
    // No two neighbouring lines report the same state.
    const states = lines.slice(0, -1).map((l) => /\d+% {2}\w+/.exec(l)![0]);
    expect(new Set(states).size).toBe(states.length);
    expect(lines.at(-1)).toMatch(/^t-bp1piped00000000001: succeeded at /);
  });

  it('prints one JSON line per change with --json, and a timeout as JSON too', async () => {
    sim.addTask(climbing('t-bp1json000000000001', 2_000));
    const run = await taskhook(['watch', 't-bp1json000000000001', '--region', 'cn-hangzhou', '--interval', '0.2', '--json'], { env: env() });
    expect(run.code).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: string; progress: number | null; outcome: string; terminal: boolean; elapsedSeconds: number });
    expect(lines.length).toBeGreaterThan(2);
    expect(lines.at(-1)).toMatchObject({ status: 'Finished', outcome: 'succeeded', terminal: true });
    expect(lines.every((l) => typeof l.elapsedSeconds === 'number' && 'estimatedFinishAt' in l)).toBe(true);
    const timedOut = await taskhook(['watch', 't-bp1forever00000000001', '--region', 'cn-hangzhou', '--interval', '0.2', '--timeout', '0.5', '--json'], {
      env: env(),
    });
    expect(timedOut.code).toBe(1);
    expect(JSON.parse(timedOut.stdout.trim().split('\n').at(-1)!)).toMatchObject({ timedOut: true, status: 'Processing', progress: 35 });
  });

  it('refuses a bad --interval or --timeout in one line', async () => {
    for (const [flag, value] of [
      ['--interval', '0'],
      ['--timeout', 'soon'],
    ]) {
      const run = await taskhook(['watch', 't-bp1forever00000000001', '--region', 'cn-hangzhou', flag, value], { env: env() });
      expect(run.code).toBe(2);
      expect(run.stderr.trim()).toMatch(new RegExp(`^taskhook: ${flag} must be seconds from `));
    }
  });
});

describe('the progress frame', () => {
  const task = (over: Partial<TaskSnapshot & { estimatedFinishAt: string | null }> = {}) => ({
    id: 't-bp1frame0000000000001',
    regionId: 'cn-hangzhou',
    action: 'ExportImage',
    status: 'Processing',
    outcome: 'running' as const,
    terminal: false,
    progress: 45,
    supportCancel: true,
    createdAt: null,
    finishedAt: null,
    durationSeconds: null,
    counts: null,
    operations: [],
    resourceId: null,
    requestId: null,
    observedAt: '2026-01-01T00:00:00Z',
    ...over,
  });

  it('shows the ETA when the lookup carries estimatedFinishAt, and nothing when it does not', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(progressFrame(task({ estimatedFinishAt: '2026-01-01T00:02:10Z' }), 65_000, now, 120)).toContain('  1m 05s  ETA 2m 10s  ExportImage');
    expect(progressFrame(task({ estimatedFinishAt: '2025-12-31T23:59:00Z' }), 65_000, now, 120)).toContain('ETA any moment');
    expect(progressFrame(task(), 65_000, now, 120)).not.toContain('ETA');
    expect(progressFrame(task({ estimatedFinishAt: null }), 65_000, now, 120)).not.toContain('ETA');
  });

  it('fits every width from 1 to 200 columns', () => {
    const now = Date.now();
    for (let width = 1; width <= 200; width++) {
      const frame = progressFrame(task({ estimatedFinishAt: new Date(now + 3_600_000).toISOString() }), 4_000_000, now, width);
      expect(frame.length, `width ${width}`).toBeLessThanOrEqual(Math.max(1, width - 1));
    }
  });
});
