-- CreateTable
CREATE TABLE "messages" (
    "message_id" UUID NOT NULL,
    "conversation_id" TEXT NOT NULL,
    "sender_user_id" TEXT NOT NULL,
    "sequence" BIGINT NOT NULL,
    "message_type" TEXT NOT NULL,
    "content" TEXT,
    "metadata_json" TEXT,
    "idempotency_key" TEXT,
    "payload_hash" TEXT NOT NULL,
    "sent_at" TIMESTAMPTZ(3) NOT NULL,
    "deleted_at" TIMESTAMPTZ(3),
    "deletion_sequence" BIGINT,
    "deletion_mode" TEXT,
    "deleted_by" TEXT,

    CONSTRAINT "messages_pkey" PRIMARY KEY ("message_id")
);

-- CreateTable
CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "conversation_id" TEXT NOT NULL,
    "key_hash" INTEGER NOT NULL,
    "event_type" INTEGER NOT NULL,
    "schema_version" INTEGER NOT NULL,
    "payload" BYTEA NOT NULL,
    "traceparent" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error_history" JSONB NOT NULL DEFAULT '[]',

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "outbox_dead_letters" (
    "id" BIGINT NOT NULL,
    "event_id" UUID NOT NULL,
    "conversation_id" TEXT NOT NULL,
    "key_hash" INTEGER NOT NULL,
    "event_type" INTEGER NOT NULL,
    "schema_version" INTEGER NOT NULL,
    "payload" BYTEA NOT NULL,
    "traceparent" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "attempts" INTEGER NOT NULL,
    "errors" JSONB NOT NULL,
    "parked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "outbox_dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "relay_shard_leases" (
    "shard" INTEGER NOT NULL,
    "owner" TEXT,
    "epoch" BIGINT NOT NULL DEFAULT 0,
    "expires_at" TIMESTAMPTZ(3),

    CONSTRAINT "relay_shard_leases_pkey" PRIMARY KEY ("shard")
);

-- CreateTable
CREATE TABLE "relay_replicas" (
    "replica_id" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "relay_replicas_pkey" PRIMARY KEY ("replica_id")
);

-- CreateTable
CREATE TABLE "stub_conversations" (
    "conversation_id" TEXT NOT NULL,
    "type" INTEGER NOT NULL,
    "display_name" TEXT NOT NULL,
    "avatar_url" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stub_conversations_pkey" PRIMARY KEY ("conversation_id")
);

-- CreateTable
CREATE TABLE "stub_participants" (
    "conversation_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "role" INTEGER NOT NULL,
    "joined_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "stub_participants_pkey" PRIMARY KEY ("conversation_id","user_id")
);

-- CreateTable
CREATE TABLE "stub_sequences" (
    "conversation_id" TEXT NOT NULL,
    "last_sequence" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "stub_sequences_pkey" PRIMARY KEY ("conversation_id")
);

-- CreateIndex
CREATE INDEX "messages_conversation_id_deletion_sequence_idx" ON "messages"("conversation_id", "deletion_sequence");

-- CreateIndex
CREATE UNIQUE INDEX "messages_conversation_id_sequence_key" ON "messages"("conversation_id", "sequence");

-- CreateIndex
CREATE UNIQUE INDEX "messages_conversation_id_sender_user_id_idempotency_key_key" ON "messages"("conversation_id", "sender_user_id", "idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_key_hash_id_idx" ON "outbox"("key_hash", "id");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_dead_letters_event_id_key" ON "outbox_dead_letters"("event_id");

-- CreateIndex
CREATE INDEX "stub_participants_user_id_idx" ON "stub_participants"("user_id");

-- AddForeignKey
ALTER TABLE "stub_participants" ADD CONSTRAINT "stub_participants_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "stub_conversations"("conversation_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "stub_sequences" ADD CONSTRAINT "stub_sequences_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "stub_conversations"("conversation_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The outbox is a queue: rows are inserted and deleted at a high rate. Vacuum it far more
-- eagerly than the defaults (20% dead tuples) so that it stays small under sustained load.
ALTER TABLE "outbox" SET (autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0);
