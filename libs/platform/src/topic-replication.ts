/** How a topic is replicated when an app creates it (the relay's events, the stub's membership events). */
export interface TopicReplication {
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
}

/**
 * The replication of a new topic on a cluster of `brokers` brokers. 0 in `configured` means
 * "derive from the cluster": replication factor min(3, brokers), and min.insync.replicas 2 when
 * there are at least 3 replicas (1 otherwise). With acks=all this is Kafka's usual durable
 * setting: a write is acknowledged only once two brokers have it, so losing any one broker loses
 * nothing acknowledged, and one broker can be down without stopping writes. Losing a second one
 * stops writes (NOT_ENOUGH_REPLICAS) rather than acknowledging what only one broker holds.
 * On one broker (development, most tests) it is 1 and 1, as before.
 */
export function topicReplication(
  brokers: number,
  configured: { replicationFactor: number; minInsyncReplicas: number },
): TopicReplication {
  const replicationFactor = configured.replicationFactor || Math.max(1, Math.min(3, brokers));
  const minInsyncReplicas = configured.minInsyncReplicas || (replicationFactor >= 3 ? 2 : 1);
  // A topic that can never have enough in-sync replicas would refuse every write forever.
  if (minInsyncReplicas > replicationFactor)
    throw new Error(
      `min.insync.replicas ${minInsyncReplicas} exceeds the replication factor ${replicationFactor}`,
    );
  return { replicationFactor, minInsyncReplicas };
}

/** Whether a createTopics failure only says that the topics exist already (another process made them). */
export function isTopicAlreadyExists(e: unknown): boolean {
  const errors = (e as { errors?: { type?: string }[] }).errors ?? [e as { type?: string }];
  return errors.length > 0 && errors.every((x) => x?.type === 'TOPIC_ALREADY_EXISTS');
}
