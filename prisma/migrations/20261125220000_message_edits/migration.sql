-- EditMessage (issue 11). Only the current content is stored: an edit overwrites content and
-- metadata_json in place, so no earlier version survives an edit, and a hard delete (which
-- nulls both) leaves nothing of any version behind (docs/sync-contract.md "Edits").
-- ADD COLUMN with a constant default is metadata-only in PostgreSQL >= 11: no table rewrite.
ALTER TABLE "messages" ADD COLUMN "version" BIGINT NOT NULL DEFAULT 1,
                       ADD COLUMN "edited_at" TIMESTAMPTZ(3),
                       ADD COLUMN "edit_sequence" BIGINT;

-- Sync finds the edits after a cursor as it finds deletions: a range scan of one conversation.
-- Mostly NULL (messages are rarely edited); CONCURRENTLY is not possible inside the migrator's
-- transaction, and the column is new, so the build only reads the table once.
CREATE INDEX "messages_conversation_id_edit_sequence_idx" ON "messages"("conversation_id", "edit_sequence");
