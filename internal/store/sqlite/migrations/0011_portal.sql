-- 0011: the customer portal and case status. A conversation's no-login
-- status link (one per conversation; regenerating replaces it), one-time
-- magic login links and customers' portal sessions (only hashes of their
-- secrets are kept), and the last state each conversation's customer was
-- told of (status notices are sent once per change).

CREATE TABLE status_links (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    token           TEXT    NOT NULL UNIQUE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE magic_links (
    token_hash TEXT    PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX magic_links_expires ON magic_links(expires_at);

CREATE TABLE customer_sessions (
    id_hash    TEXT    PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX customer_sessions_expires ON customer_sessions(expires_at);
CREATE INDEX customer_sessions_contact ON customer_sessions(contact_id);

CREATE TABLE status_notices (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    state           TEXT    NOT NULL,
    noticed_at      INTEGER NOT NULL
);
