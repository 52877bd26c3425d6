-- 0006: one customer across channels. A merge of two contact profiles is
-- recorded with what the merged profile was, so that it can be undone.
--
-- Contact ids are kept without foreign keys: the record outlives both
-- profiles (the kept one may itself be merged away later).

CREATE TABLE contact_merges (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kept_id       bigint NOT NULL,
	merged_id     bigint NOT NULL,
	-- 0: the system.
	agent_id      bigint NOT NULL DEFAULT 0,
	-- Snapshots of the merged profile: its fields (an object, times in Unix
	-- milliseconds), its identities (an array of objects, with their ids)
	-- and the ids of its conversations.
	merged        jsonb NOT NULL,
	identities    jsonb NOT NULL DEFAULT '[]',
	conversations bigint[] NOT NULL DEFAULT '{}',
	reason        text NOT NULL DEFAULT '',
	created_at    timestamptz NOT NULL,
	undone_at     timestamptz
);
-- ContactMerges: a contact's merges, newest first.
CREATE INDEX contact_merges_kept_idx ON contact_merges (kept_id, created_at DESC, id DESC);
CREATE INDEX contact_merges_merged_idx ON contact_merges (merged_id);

-- Merge candidates by email in any case (ContactsWithEmail), like
-- contacts_email_idx for the primary address.
CREATE INDEX identities_email_lower_idx ON identities (lower(value)) WHERE kind = 'email';
