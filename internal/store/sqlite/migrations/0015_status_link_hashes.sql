-- 0015: status links keep only the SHA-256 (hex) of their token, like
-- magic links and customer sessions, so that a copy of the database or a
-- backup opens no case; and a conversation may have several links (each
-- status notice hands out one of its own, since a stored hash cannot be
-- put in a message again).
--
-- SQLite has no SHA-256 function and migrations are plain SQL, so the
-- links made before this migration cannot be kept as hashes: they stop
-- working. Customers who open one see the "link expired" page; the next
-- status notice, or an agent, hands out a new one.

DROP TABLE status_links;

CREATE TABLE status_links (
    token_hash      TEXT    PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX status_links_conversation ON status_links(conversation_id, created_at);
