-- 0011: the customer portal and case status. A conversation's no-login
-- status link (one per conversation; regenerating replaces it), one-time
-- magic login links and customers' portal sessions (only hashes of their
-- secrets are kept), and the last state each conversation's customer was
-- told of (status notices are sent once per change).

CREATE TABLE status_links (
	conversation_id bigint PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
	token           text NOT NULL UNIQUE,
	created_at      timestamptz NOT NULL,
	expires_at      timestamptz NOT NULL,
	revoked_at      timestamptz
);

CREATE TABLE magic_links (
	token_hash text PRIMARY KEY,
	contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at    timestamptz
);
CREATE INDEX magic_links_expires_idx ON magic_links (expires_at);

CREATE TABLE customer_sessions (
	id_hash    text PRIMARY KEY,
	contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX customer_sessions_expires_idx ON customer_sessions (expires_at);
CREATE INDEX customer_sessions_contact_idx ON customer_sessions (contact_id);

CREATE TABLE status_notices (
	conversation_id bigint PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
	state           text NOT NULL,
	noticed_at      timestamptz NOT NULL
);
