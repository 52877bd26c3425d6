-- 0016: the sweeper deletes status links that expired or were revoked a
-- while ago (one link per status notice piles up otherwise); it runs every
-- half minute on the one writer, so it must not read the whole table.
-- Links in force have revoked_at 0, so a range from 1 skips them.

CREATE INDEX status_links_expires ON status_links(expires_at);
CREATE INDEX status_links_revoked ON status_links(revoked_at);
