-- Full-text search over messages (GET /api/search, worker/db/search.ts).
--
-- An external-content FTS5 index: it stores only the index, and reads bodies (for
-- snippet()) from `messages` by its rowid. `messages` has a composite text primary key, so
-- it is a rowid table: that implicit rowid is the join key. (A VACUUM may renumber implicit
-- rowids; should one ever run, `INSERT INTO messages_fts(messages_fts) VALUES('rebuild')`
-- rebuilds the index from `messages`.)
--
-- Tokenizer: unicode61 with diacritics folded ("cafe" finds "café"), case-folded,
-- splitting on Unicode separators and punctuation: word search in every script that
-- separates words by spaces. Not trigram: it would find substrings (and CJK) but triples the
-- index, needs 3+ characters per term and cannot rank words. `prefix` keeps 2- and
-- 3-character prefix queries (the word being typed) off a scan of the term list.
--
-- The room id is indexed too (a second column, a phrase of its id's parts): a search ANDs
-- the person's words with the ids of their rooms, so FTS5 intersects posting lists instead
-- of walking every match in D1 to keep the few in their rooms (all rooms share this index:
-- a common word can have millions of matches in rooms the searcher is not in).
--
-- What is indexed: messages with text that are neither deleted (tombstones have body '')
-- nor a call's history line (its body is a text fallback). The triggers keep the index
-- exactly in step with that rule, so every path that writes `messages` keeps it right by
-- itself: the flush's `INSERT … ON CONFLICT DO NOTHING` (a skipped row fires nothing), an
-- edit's `UPDATE … SET body`, a deletion's tombstone, a deleted room's rows. The external
-- content 'delete' command must be given exactly what was indexed, hence the same
-- condition on OLD as on NEW.
CREATE VIRTUAL TABLE `messages_fts` USING fts5(
	body,
	room_id,
	content = 'messages',
	content_rowid = 'rowid',
	tokenize = 'unicode61 remove_diacritics 2',
	prefix = '2 3'
);
--> statement-breakpoint
CREATE TRIGGER `messages_fts_insert` AFTER INSERT ON `messages`
WHEN NEW.body <> '' AND NEW.deleted = 0 AND NEW.call IS NULL
BEGIN
	INSERT INTO messages_fts (rowid, body, room_id) VALUES (NEW.rowid, NEW.body, NEW.room_id);
END;
--> statement-breakpoint
CREATE TRIGGER `messages_fts_delete` AFTER DELETE ON `messages`
WHEN OLD.body <> '' AND OLD.deleted = 0 AND OLD.call IS NULL
BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, body, room_id) VALUES ('delete', OLD.rowid, OLD.body, OLD.room_id);
END;
--> statement-breakpoint
CREATE TRIGGER `messages_fts_update` AFTER UPDATE OF body, deleted, call ON `messages`
BEGIN
	INSERT INTO messages_fts (messages_fts, rowid, body, room_id)
		SELECT 'delete', OLD.rowid, OLD.body, OLD.room_id WHERE OLD.body <> '' AND OLD.deleted = 0 AND OLD.call IS NULL;
	INSERT INTO messages_fts (rowid, body, room_id)
		SELECT NEW.rowid, NEW.body, NEW.room_id WHERE NEW.body <> '' AND NEW.deleted = 0 AND NEW.call IS NULL;
END;
--> statement-breakpoint
-- Messages already in D1.
INSERT INTO messages_fts (rowid, body, room_id)
	SELECT rowid, body, room_id FROM messages WHERE body <> '' AND deleted = 0 AND call IS NULL;
