-- 0016: the sweeper deletes status links that expired or were revoked a
-- while ago (one link per status notice piles up otherwise); it runs every
-- half minute, so it must not read the whole table. Links in force have
-- no revoked_at and are left out of its index.

CREATE INDEX status_links_expires_idx ON status_links (expires_at);
CREATE INDEX status_links_revoked_idx ON status_links (revoked_at) WHERE revoked_at IS NOT NULL;
