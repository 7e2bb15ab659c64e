import { LATENCY_BUCKETS } from '@realchat/platform';
import type { ReadReplicasObserver, ReplicaLag } from '@realchat/persistence';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConversationApiObserver } from './adapters/conversation-api-client';

/** message-api's own series (the gRPC server and pool series come from platform). */
export class MessageApiMetrics {
  private readonly conversationApi: Histogram<'method' | 'code'>;
  private readonly membersCache: Counter<'result'>;
  private readonly membersEvictions: Counter<'reason'>;
  private readonly membershipEventsLive: Gauge;
  private readonly lockWait: Histogram;
  private readonly sendBatch: Histogram;
  private readonly syncReads: Counter<'target'>;
  private readonly readFallbacks: Counter<'replica' | 'reason'>;
  private readonly replicaLagSeconds: Gauge<'replica'>;
  private readonly replicaLagBytes: Gauge<'replica'>;
  private readonly replicaUp: Gauge<'replica'>;

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
    this.membersEvictions = new Counter({
      name: 'members_cache_evictions_total',
      help: 'Conversations evicted by a MEMBERSHIP_CHANGED event (event), or whole-cache clears when the events stopped being live (fallback)',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
    this.membershipEventsLive = new Gauge({
      name: 'membership_events_live',
      help: 'Whether the MEMBERSHIP_CHANGED consumer is in its group, fetching and caught up (1: long cache TTL) or not (0: short TTL)',
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
    this.syncReads = new Counter({
      name: 'sync_reads_total',
      help: 'Sync reads by the server that served them: a replica (host:port) or primary',
      labelNames: ['target'] as const,
      registers: [registry],
    });
    this.readFallbacks = new Counter({
      name: 'read_replica_fallbacks_total',
      help: 'Reads a replica could not serve (unreachable, recovery-conflict) that went elsewhere',
      labelNames: ['replica', 'reason'] as const,
      registers: [registry],
    });
    this.replicaLagSeconds = new Gauge({
      name: 'read_replica_lag_seconds',
      help: 'Age of the last transaction a replica applied while it has WAL left to apply (0: caught up), sampled',
      labelNames: ['replica'] as const,
      registers: [registry],
    });
    this.replicaLagBytes = new Gauge({
      name: 'read_replica_lag_bytes',
      help: 'WAL bytes of the primary a replica has not applied yet, sampled',
      labelNames: ['replica'] as const,
      registers: [registry],
    });
    this.replicaUp = new Gauge({
      name: 'read_replica_up',
      help: 'Whether the last lag sample reached the replica and the primary (1) or not (0)',
      labelNames: ['replica'] as const,
      registers: [registry],
    });
  }

  /** For ConversationApiDirectory. */
  readonly conversationApiObserver: ConversationApiObserver = {
    call: (method, code, seconds) => this.conversationApi.observe({ method, code }, seconds),
    membersLookup: (result) => this.membersCache.inc({ result }),
    membersCache: {
      evicted: (reason) => this.membersEvictions.inc({ reason }),
      live: (live) => this.membershipEventsLive.set(live ? 1 : 0),
    },
  };

  /** For SendMessage: the size of each group commit. */
  readonly sendBatchSize = (sends: number): void => this.sendBatch.observe(sends);

  /** For MessageStore. */
  readonly lockWaitSeconds = (seconds: number): void => this.lockWait.observe(seconds);

  /** For ReadReplicas. */
  readonly readReplicasObserver: ReadReplicasObserver = {
    served: (target) => this.syncReads.inc({ target }),
    fallback: (replica, reason) => this.readFallbacks.inc({ replica, reason }),
  };

  /** Records one lag sample of every replica. */
  replicaLag(samples: readonly ReplicaLag[]): void {
    for (const s of samples) {
      this.replicaUp.set({ replica: s.replica }, s.up ? 1 : 0);
      if (!s.up) continue;
      this.replicaLagSeconds.set({ replica: s.replica }, s.seconds);
      this.replicaLagBytes.set({ replica: s.replica }, s.bytes);
    }
  }
}
