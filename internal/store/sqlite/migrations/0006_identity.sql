-- 0006: one customer across channels. A merge of two contact profiles is
-- recorded with what the merged profile was, so that it can be undone.
--
-- Contact ids are kept without foreign keys: the record outlives both
-- profiles (the kept one may itself be merged away later).

CREATE TABLE contact_merges (
    id            INTEGER PRIMARY KEY,
    kept_id       INTEGER NOT NULL,
    merged_id     INTEGER NOT NULL,
    agent_id      INTEGER NOT NULL DEFAULT 0, -- 0: the system
    -- JSON snapshots of the merged profile: its fields (an object), its
    -- identities (an array of objects, with their ids) and the ids of its
    -- conversations (an array).
    merged        TEXT    NOT NULL,
    identities    TEXT    NOT NULL DEFAULT '[]',
    conversations TEXT    NOT NULL DEFAULT '[]',
    reason        TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    undone_at     INTEGER NOT NULL DEFAULT 0
);
-- ContactMerges: a contact's merges, newest first.
CREATE INDEX contact_merges_kept ON contact_merges(kept_id, created_at, id);
-- CreateContact takes ids above every merged contact's (max, one probe), so
-- that a merged contact's id is never given to a new one while the merge
-- can still be undone: SQLite reuses the highest rowid once it is deleted.
CREATE INDEX contact_merges_merged ON contact_merges(merged_id);

-- Merge candidates by email in any case (ContactsWithEmail); SQLite's
-- lower() folds ASCII only, as does the query.
CREATE INDEX identities_email_lower ON identities(lower(value)) WHERE kind = 'email';
