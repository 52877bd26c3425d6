-- 0015: status links keep only the SHA-256 (hex) of their token, like
-- magic links and customer sessions, so that a copy of the database or a
-- backup opens no case; and a conversation may have several links (each
-- status notice hands out one of its own, since a stored hash cannot be
-- put in a message again).
--
-- The links made before keep working: their tokens are hashed in place
-- (the hash of the token as the customer's link carries it, in UTF-8).

ALTER TABLE status_links DROP CONSTRAINT status_links_pkey;
ALTER TABLE status_links ADD COLUMN token_hash text;
UPDATE status_links SET token_hash = encode(sha256(convert_to(token, 'UTF8')), 'hex');
ALTER TABLE status_links DROP COLUMN token;
ALTER TABLE status_links ALTER COLUMN token_hash SET NOT NULL;
ALTER TABLE status_links ADD PRIMARY KEY (token_hash);
CREATE INDEX status_links_conversation_idx ON status_links (conversation_id, created_at);
