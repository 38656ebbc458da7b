/** The rows the bench measures and writes to bench/results/latest.json: one plain object per scenario (and cycle). */

export type StoreKind = 'sqlite' | 'tablestore' | 'memory';

/** ECS as the bench sets it up: the simulator's latency and its quota per API and region, and taskhook's pacing. */
export interface EcsSetting {
  latencyMs: number;
  /** Calls per second per (API, region) the simulator allows; taskhook is told the same (TASKHOOK_ECS_RATE). */
  quotaPerSecond: number;
}

/** One poll cycle of taskhook in one scenario. */
export interface PollRow {
  kind: 'poll';
  store: StoreKind;
  tasks: number;
  regions: number;
  /** 0 is the first poll (every task new); from 1 on, 1 % of the tasks finish before each cycle. */
  cycle: number;
  /** Tasks still running at the cycle's start (finished ones are no longer polled). */
  activeTasks: number;
  /** Tasks that finished just before this cycle. */
  finishing: number;
  /** Share of the active tasks ECS answered about during the cycle (seen from the simulator). */
  polledShare: number;
  /** `tasks.polled / tasks.active` as the poll summary reports it. */
  summaryPolledShare: number | null;
  deferred: number | null;
  cycleMs: number;
  boundMs: number;
  /** The naive poller's time for the same list (null until matched; see naiveExtrapolated). */
  naiveMs: number | null;
  naiveExtrapolated: boolean | null;
  vsBound: number | null;
  vsNaive: number | null;
  /** Calls ECS served, by API (throttled ones included). */
  calls: Record<string, number>;
  callsTotal: number;
  /** The strictly needed calls: ⌈active per region / 100⌉ DescribeTasks plus one DescribeTaskAttribute per finished task. */
  neededCalls: number;
  callsVsNeeded: number | null;
  callsPerTask: number;
  /** Calls ECS answered Throttling.User. */
  throttled: number;
  throttledShare: number;
  /** Throttled calls as the poll summary counts them. */
  summaryThrottled: number | null;
  /** The taskhook process's peak RSS so far (process.resourceUsage().maxRSS); the last cycle's is the scenario's. */
  peakRssMb: number;
  /** User + system CPU of the taskhook process during the cycle. */
  cpuMs: number;
  /** CPU of the peer process (the simulator, and the Tablestore fake in Tablestore rows) during the cycle. */
  peerCpuMs: number;
  /** StateStore method calls during the cycle. */
  storeRoundTrips: number;
  storeCalls: Record<string, number>;
  /** HTTP requests the Tablestore fake served during the cycle (Tablestore rows only). */
  tablestoreRequests: number | null;
  /** Seconds since the least recently polled active task was polled, at the cycle's end. */
  stalenessS: number | null;
  /** Where stalenessS comes from: the poll summary, or (until the summary reports it) the simulator's view. */
  stalenessSource: 'summary' | 'ecs';
  /** The same from the simulator: time since ECS last answered about the stalest task still running. */
  ecsStalenessS: number;
  /** The cycle's period: the poll interval, or the cycle's own duration when it overran the interval. */
  periodS: number;
  /** stalenessS ÷ periodS: about 1 when every task was polled during the cycle, more when some were left for the next. */
  stalenessCycles: number | null;
  events: number;
  /** Time to register the watch list before the first cycle (not part of any cycle). */
  setupMs: number;
}

/** The naive poller: one DescribeTaskAttribute per task, through the same adapter. */
export interface NaiveRow {
  kind: 'naive';
  tasks: number;
  regions: number;
  /** How long it ran (at most the measuring window). */
  measuredMs: number;
  polled: number;
  /** Time to poll the whole list: measured when it finished inside the window, else extrapolated from its rate. */
  fullListMs: number;
  extrapolated: boolean;
  /** Share of the list it reaches within the poll budget. */
  polledShareInBudget: number;
  calls: Record<string, number>;
  throttled: number;
  cpuMs: number;
  peakRssMb: number;
  workersPerRegion: number;
}

export interface SqliteWrites {
  /** Growth of the database file plus its WAL. */
  fileBytes: number;
  /** Bytes handed to write(2) (`/proc/self/io` wchar). */
  wcharBytes: number | null;
  /** Bytes sent to the storage layer (`/proc/self/io` write_bytes; 0 when the page cache still holds them). */
  ioWriteBytes: number | null;
}

/** The first poll of N new tasks on SQLite against a reference that writes the same rows, 100 per transaction. */
export interface FirstPollRow {
  kind: 'first-poll';
  store: 'sqlite';
  tasks: number;
  cycleMs: number;
  /** The ECS lower bound of the first poll (⌈N / 100⌉ DescribeTasks at the quota). */
  boundMs: number;
  /** Time the reference took to write the rows the first poll changed, one transaction per 100 rows. */
  referenceWriteMs: number;
  /** boundMs + referenceWriteMs: a poller that is as fast as ECS allows and writes like the reference. */
  referenceMs: number;
  vsReference: number;
  rowsWritten: Record<string, number>;
  transactions: number;
  taskhookWrites: SqliteWrites;
  referenceWrites: SqliteWrites;
  storeRoundTrips: number;
  cpuMs: number;
  peakRssMb: number;
}

/** Webhook delivery against a plain undici POST loop, same receivers, bodies and concurrency. */
export interface DeliveryRow {
  kind: 'delivery';
  store: StoreKind;
  receivers: number;
  deliveries: number;
  /** In flight at once: 4 per receiver, as deliverDue sends. */
  concurrency: number;
  taskhookMs: number;
  plainMs: number;
  taskhookPerSecond: number;
  plainPerSecond: number;
  /** taskhook deliveries/s ÷ plain loop POSTs/s. */
  vsPlain: number;
  succeeded: number;
  signaturesChecked: number;
  signaturesValid: number;
  cpuMs: number;
  peakRssMb: number;
}

/** One bundle (or the CLI's `poll --once` path): size and load time in fresh processes. */
export interface BundleRow {
  kind: 'bundle';
  bundle: string;
  bytes: number;
  /** The whole code directory (lazily loaded chunks included); for the CLI, its one file. */
  directoryBytes: number;
  gzipBytes: number;
  /** Every file the process had loaded through require() when it exited (for the CLI, its node_modules too). */
  loadedBytes: number;
  /** require() of the bundle inside the process (median). */
  requireMs: number;
  /** Spawn to exit (median); for the CLI, the whole `poll --once` with an empty watch list. */
  spawnExitMs: number;
  /** Spawn to exit of `node -e ""` (median). */
  emptyNodeMs: number;
  aboveEmptyMs: number;
  rssMb: number;
  runs: number;
  handlerType: string;
}

export interface SkippedRow {
  kind: 'skipped';
  what: string;
  reason: string;
}

/** How the latency scenario's runs poll: the timer alone, the timer with hot tasks, or the timer with hints. */
export type LatencyMode = 'plain' | 'hot' | 'cover' | 'hints';

/** One mode of the latency scenario: tasks finishing over a window, from each true finish to its event's arrival. */
export interface LatencyRow {
  kind: 'latency';
  mode: LatencyMode;
  store: StoreKind;
  /** Measured tasks: each finishes within the window. */
  tasks: number;
  /** Tasks that finish in the warm-up before the window (not measured: they teach taskhook the typical durations). */
  historyTasks: number;
  seed: number;
  windowS: number;
  warmupS: number;
  /** Measured tasks whose completion event reached the receiver; the figures below are over these. */
  delivered: number;
  /** True finish (the simulator's timeline) to the arrival of the task's completion event, seconds. */
  p50S: number | null;
  p95S: number | null;
  maxS: number | null;
  meanS: number | null;
  /** ECS calls the simulator served over the whole scenario, warm-up included (throttled ones included), by API. */
  calls: Record<string, number>;
  callsTotal: number;
  /** callsTotal ÷ every task watched (measured and history). */
  callsPerTask: number;
  /** callsPerTask ÷ the plain row's, when both ran. */
  callsVsPlain: number | null;
  /** Timer runs started (one every interval of simulated time) and how many of them held the lease and polled. */
  timerRuns: number;
  timerRunsLeased: number;
  /** Hints sent (`pollTasks` for one task at its true finish + hintDelayS); 0 outside the hints mode. */
  hints: number;
  hintDelayS: number | null;
  /** The tasks hinted (ImportImage) and, of those delivered, hint to arrival, seconds (negative: a timer run was first). */
  hintedTasks: number;
  hintToArrivalP50S: number | null;
  hintToArrivalP95S: number | null;
  hintToArrivalMaxS: number | null;
  /** `finishing`: tasks created during the scenario; `running`: already running at the start, 10 % steps (bench/latency-fleet.ts). */
  shape?: 'finishing' | 'running';
  /** TASKHOOK_HOT_COVER of the runs (0: only hot tasks re-polled). */
  coverPercent?: number;
  /** The timer runs' time on FC at 512 MB: GB-seconds per simulated minute (delivery runs not counted: the bench delivers in the run). */
  gbSecondsPerMinute?: number;
  /** ECS calls the simulator refused for its quota. */
  throttled?: number;
  /** Whether the poller's config has the hot-task settings; the hot row measures plain polling when it has not. */
  hotSupported: boolean;
  /** The hot-task settings the runs had (0 / null: off). */
  hotIntervalSeconds: number | null;
  hotBudgetSeconds: number | null;
  /** Whether any snapshot taskhook committed carried `estimatedFinishAt` (false: the estimate is not measured). */
  estimateField: boolean;
  /** Tasks whose first running snapshot carried an estimate, and the estimate's absolute error against the true finish. */
  estimateSamples: number;
  estimateMedianErrorS: number | null;
  estimateP90ErrorS: number | null;
  /** Simulated seconds the poller waited through the bench's `sleep` (0: it waits on real timers, so the bench waits too). */
  sleptS: number;
  /** Simulated time from the first timer run (the warm-up's start) to the last activity's end, and the wall time it took. */
  simulatedS: number;
  wallMs: number;
  /** Stopped at the wall-time cap before every task was delivered. */
  cutShort: boolean;
  /** Completion events for a task that already had one, and requests whose signature did not verify. */
  repeats: number;
  unverified: number;
  peakRssMb: number;
}

/** One readiness scenario (bench/readiness.ts). */
export interface ReadinessRow {
  kind: 'readiness';
  mode: 'timer' | 'hot';
  readiness: boolean;
  mix: 'import' | 'mixed';
  tasks: number;
  /** Tasks that finished during the cycles, and those of them whose resource was checked. */
  finished: number;
  checked: number;
  /** Completion events that arrived, of the finished tasks. */
  delivered: number;
  calls: Record<string, number>;
  callsTotal: number;
  callsPerTask: number;
  /** Usable → arrival for the checked tasks (finish → arrival without readiness), seconds. */
  p50S: number | null;
  p95S: number | null;
  maxS: number | null;
  /** Completions that arrived before their resource was usable. */
  early: number;
  timerRuns: number;
  hotIntervalSeconds: number;
  hotBudgetSeconds: number;
  wallMs: number;
  cutShort: boolean;
  peakRssMb: number;
}

export type ResultRow = PollRow | NaiveRow | FirstPollRow | DeliveryRow | BundleRow | LatencyRow | ReadinessRow | SkippedRow;
