/** The port a poll run fans its shards (and webhooks' delivery runs) out through: each becomes a run of its own, started elsewhere. */
import type { ShardSpec } from './shard.js';

export interface Invoker {
  /** Resolves once the shard's run was accepted (not when it finished); rejects with a ShardInvokeError. */
  invokeShard(shard: ShardSpec): Promise<void>;
  /** Starts a delivery run of one webhook (src/delivery/run.ts); resolves once accepted. Without it, a run delivers itself. */
  invokeDelivery?(webhookId: string): Promise<void>;
}

/** A shard that could not be handed over. Messages carry no credential, signature or signed URL. */
export class ShardInvokeError extends Error {
  override name = 'ShardInvokeError';
  constructor(
    /** FC's error code (`ResourceThrottled`, `AccessDenied`, …), the function's error type, or one of ours (`NoCredentials`, `NetworkError`). */
    readonly code: string,
    message: string,
    readonly shardId: string,
    /** The HTTP status of the answer, when there was one. */
    readonly status: number | null = null,
    /** Whether the same call may succeed later: throttling, a 5xx or a network failure. */
    readonly retryable = false,
  ) {
    super(message);
  }
}
