-- Outbox leases: each claim increments lease, and completing or retrying an
-- item requires the lease of the claim, so that a worker whose lease ran out
-- cannot overwrite the result of the worker that claimed the item next.
ALTER TABLE outbox ADD COLUMN lease INTEGER NOT NULL DEFAULT 0;

-- Sessions are ended per agent (password change, disabled agent).
CREATE INDEX sessions_agent ON sessions(agent_id);

-- Team references, as PostgreSQL's foreign keys keep them: team_id is 0 or
-- an existing team. DeleteTeam clears the references of a deleted team;
-- these triggers refuse new references to a missing one (e.g. a conversation
-- read before the team was deleted and written back after).
UPDATE inboxes SET team_id = 0 WHERE team_id <> 0 AND team_id NOT IN (SELECT id FROM teams);
UPDATE conversations SET team_id = 0 WHERE team_id <> 0 AND team_id NOT IN (SELECT id FROM teams);

CREATE TRIGGER inboxes_team_insert BEFORE INSERT ON inboxes
WHEN new.team_id <> 0 AND NOT EXISTS (SELECT 1 FROM teams WHERE id = new.team_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: inboxes.team_id');
END;
CREATE TRIGGER inboxes_team_update BEFORE UPDATE OF team_id ON inboxes
WHEN new.team_id <> 0 AND new.team_id <> old.team_id AND NOT EXISTS (SELECT 1 FROM teams WHERE id = new.team_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: inboxes.team_id');
END;
CREATE TRIGGER conversations_team_insert BEFORE INSERT ON conversations
WHEN new.team_id <> 0 AND NOT EXISTS (SELECT 1 FROM teams WHERE id = new.team_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: conversations.team_id');
END;
CREATE TRIGGER conversations_team_update BEFORE UPDATE OF team_id ON conversations
WHEN new.team_id <> 0 AND new.team_id <> old.team_id AND NOT EXISTS (SELECT 1 FROM teams WHERE id = new.team_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: conversations.team_id');
END;
