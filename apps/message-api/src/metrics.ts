import { LATENCY_BUCKETS } from '@realchat/platform';
import { Counter, Histogram, Registry } from 'prom-client';
import type { ConversationApiObserver } from './adapters/conversation-api-client';

/** message-api's own series (the gRPC server and pool series come from platform). */
export class MessageApiMetrics {
  private readonly conversationApi: Histogram<'method' | 'code'>;
  private readonly membersCache: Counter<'result'>;
  private readonly lockWait: Histogram;
  private readonly sendBatch: Histogram;

  constructor(registry: Registry) {
    this.conversationApi = new Histogram({
      name: 'conversation_api_client_seconds',
      help: 'Calls to the Conversation API by method and gRPC status code (errors: code != OK)',
      labelNames: ['method', 'code'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.membersCache = new Counter({
      name: 'members_cache_lookups_total',
      help: "Lookups of a conversation's members: answered from the cache (hit) or not (miss)",
      labelNames: ['result'] as const,
      registers: [registry],
    });
    this.lockWait = new Histogram({
      name: 'conversation_lock_wait_seconds',
      help: "Time a write waited to take its conversation's write lock (one round trip included)",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.sendBatch = new Histogram({
      name: 'message_send_batch_size',
      help: 'Sends written by one group commit (one lock, one numbering call, one insert)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    });
  }

  /** For ConversationApiDirectory. */
  readonly conversationApiObserver: ConversationApiObserver = {
    call: (method, code, seconds) => this.conversationApi.observe({ method, code }, seconds),
    membersLookup: (result) => this.membersCache.inc({ result }),
  };

  /** For SendMessage: the size of each group commit. */
  readonly sendBatchSize = (sends: number): void => this.sendBatch.observe(sends);

  /** For MessageStore. */
  readonly lockWaitSeconds = (seconds: number): void => this.lockWait.observe(seconds);
}
