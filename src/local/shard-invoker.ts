/** Shards in the local runtime: each shard a run hands off becomes a poll of its own in this process. */
import type { Logger } from '../log.js';
import type { Invoker } from '../shards/invoker.js';
import type { ShardSpec } from '../shards/shard.js';

export interface InProcessInvoker extends Invoker {
  /** Resolves once every shard run started so far has ended (the local runtime waits for them on stop). */
  idle(): Promise<void>;
}

export function inProcessInvoker(runShard: (shard: ShardSpec) => Promise<unknown>, logger: Logger): InProcessInvoker {
  const running = new Set<Promise<unknown>>();
  return {
    async invokeShard(shard) {
      // Accepted at once, as FC's asynchronous invocation is; the shard's own lease keeps two runs of it apart.
      const run = runShard(shard)
        .catch((error: unknown) => logger.warn('a shard run failed; the next run plans it again', { shard: shard.id, error }))
        .finally(() => running.delete(run));
      running.add(run);
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
