/**
 * Discrete events on a simulated clock: activities (a timer run, a hint) start at simulated instants and run in real
 * time; whenever none is working (each finished, or waiting in `sleep`), the clock jumps to the next instant due.
 */

export interface SimClock {
  now: () => number;
  /** Moves the clock forward to `at` (never back). */
  jumpTo: (at: number) => Promise<void>;
}

interface Due {
  at: number;
  order: number;
  fire: () => void;
}

export class SimScheduler {
  private readonly queue: Due[] = [];
  private order = 0;
  /** Activities working now: started and not finished, less those waiting in sleep. */
  private working = 0;
  /** Calls out to ECS or a webhook now (see `track`): the clock never jumps under one. */
  private inFlight = 0;
  private jumping = false;
  /** Nothing fires before run(): the activities given before it are all weighed at once. */
  private started = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly errors: unknown[] = [];
  private idle: (() => void) | null = null;
  /** Simulated ms the clock was moved by `sleep` waits (0 when no activity waited through it). */
  sleptMs = 0;
  sleeps = 0;

  constructor(private readonly clock: SimClock) {}

  /** Starts `activity` at simulated `at` (now, if that has passed). */
  at(at: number, activity: () => Promise<unknown>): void {
    this.enqueue(at, () => {
      this.working++;
      activity()
        .catch((error: unknown) => void this.errors.push(error))
        .finally(() => {
          this.working--;
          this.pump();
        });
    });
  }

  /** A wait of `ms` simulated ms for the activity calling it: the clock may jump meanwhile. */
  readonly sleep = (ms: number): Promise<void> => {
    this.sleeps++;
    const from = this.clock.now();
    return new Promise<void>((resolve) => {
      this.working--;
      this.enqueue(from + Math.max(0, ms), () => {
        this.working++;
        this.sleptMs += Math.max(0, this.clock.now() - from);
        resolve();
      });
    });
  };

  /** Counts `call` as in flight while it runs: a jump under it would age its deadlines and answers. */
  async track<T>(call: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await call();
    } finally {
      this.inFlight--;
      this.pump();
    }
  }

  /** Resolves once nothing is due and no activity works; rejects with the first error an activity threw. */
  async run(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.idle = resolve;
      this.started = true;
      this.pump();
    });
    if (this.errors.length > 0) throw this.errors[0];
  }

  private enqueue(at: number, fire: () => void): void {
    this.queue.push({ at, order: this.order++, fire });
    this.queue.sort((a, b) => a.at - b.at || a.order - b.order);
    this.pump();
  }

  private pump(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.jumping || !this.started) return;
    const next = this.queue[0];
    if (!next) {
      if (this.working <= 0 && this.inFlight === 0) this.idle?.();
      return;
    }
    const wait = next.at - this.clock.now();
    if (wait <= 0) {
      this.queue.shift();
      next.fire();
      // After the activity's own first steps, so it counts as working before anything else is weighed.
      setImmediate(() => this.pump());
      return;
    }
    if (this.working <= 0 && this.inFlight === 0) {
      this.jumping = true;
      void this.clock.jumpTo(next.at).finally(() => {
        this.jumping = false;
        this.pump();
      });
      return;
    }
    // Something works in real time: the next instant comes on its own.
    this.timer = setTimeout(() => this.pump(), wait);
  }
}
