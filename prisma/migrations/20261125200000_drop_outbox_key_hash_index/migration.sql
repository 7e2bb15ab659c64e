-- The relay reads `WHERE key_hash % $n = ANY($shards) ORDER BY id LIMIT $batch`. No btree on
-- (key_hash, id) can serve a modulo of its leading column: PostgreSQL 18 always walked
-- outbox_pkey in id order and filtered (docs/outbox-relay.md "Reading a shard's rows", EXPLAIN
-- on 200k rows over 10k conversations). The index was only written, on every insert and delete
-- of the hottest table.
DROP INDEX IF EXISTS "outbox_key_hash_id_idx";
