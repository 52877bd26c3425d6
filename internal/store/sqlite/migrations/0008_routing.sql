-- 0008: routing and service levels (desk/routing.go): agents' skills and
-- capacity, teams' routing mode and settings, a customer's account owner,
-- the SLA and reporting fields of a conversation, routing rules and SLA
-- policies. Times are milliseconds, 0 for none, as everywhere else.

-- Capacity per channel as a JSON object ({"email": 10}); '' for none set.
ALTER TABLE agents ADD COLUMN capacity TEXT NOT NULL DEFAULT '';

CREATE TABLE agent_skills (
    agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    level    INTEGER NOT NULL,
    PRIMARY KEY (agent_id, name)
) WITHOUT ROWID;

ALTER TABLE teams ADD COLUMN mode     TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';

-- The account owner, like conversations.assignee_id: 0 for none.
ALTER TABLE contacts ADD COLUMN owner_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX contacts_owner ON contacts(owner_id) WHERE owner_id <> 0;

ALTER TABLE conversations ADD COLUMN first_reply_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN handed_over_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN reopens        INTEGER NOT NULL DEFAULT 0;
-- No foreign key: DeleteSLAPolicy clears the policy of its conversations.
ALTER TABLE conversations ADD COLUMN sla_policy_id  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sla_due_at     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN sla_state      TEXT    NOT NULL DEFAULT '';
-- SLADue: the open conversations under a policy, due first. Only those are
-- in the index, so the sweep's scan stays as small as its work.
CREATE INDEX conversations_sla_due ON conversations(sla_due_at, id)
    WHERE sla_policy_id <> 0 AND status <> 'resolved';

-- Conditions are JSON arrays of strings ('[]': any value); skills a JSON
-- array of {"name", "level"} objects. team_id 0 is no team: a deleted
-- team's rules are kept without one (DeleteTeam), so that the conditions an
-- admin wrote are not lost with it.
CREATE TABLE routing_rules (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    position     INTEGER NOT NULL DEFAULT 0,
    enabled      INTEGER NOT NULL DEFAULT 0,
    categories   TEXT    NOT NULL DEFAULT '[]',
    languages    TEXT    NOT NULL DEFAULT '[]',
    channels     TEXT    NOT NULL DEFAULT '[]',
    segments     TEXT    NOT NULL DEFAULT '[]',
    min_priority TEXT    NOT NULL DEFAULT '',
    team_id      INTEGER NOT NULL DEFAULT 0,
    skills       TEXT    NOT NULL DEFAULT '[]',
    priority     TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- Team references as in 0002: 0 or an existing team.
CREATE TRIGGER routing_rules_team_insert BEFORE INSERT ON routing_rules
WHEN new.team_id <> 0 AND NOT EXISTS (SELECT 1 FROM teams WHERE id = new.team_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: routing_rules.team_id');
END;
CREATE TRIGGER routing_rules_team_update BEFORE UPDATE OF team_id ON routing_rules
WHEN new.team_id <> 0 AND new.team_id <> old.team_id AND NOT EXISTS (SELECT 1 FROM teams WHERE id = new.team_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: routing_rules.team_id');
END;

-- Targets in milliseconds, 0 for none.
CREATE TABLE sla_policies (
    id                INTEGER PRIMARY KEY,
    name              TEXT    NOT NULL,
    position          INTEGER NOT NULL DEFAULT 0,
    enabled           INTEGER NOT NULL DEFAULT 0,
    priorities        TEXT    NOT NULL DEFAULT '[]',
    channels          TEXT    NOT NULL DEFAULT '[]',
    segments          TEXT    NOT NULL DEFAULT '[]',
    first_response_ms INTEGER NOT NULL DEFAULT 0,
    next_response_ms  INTEGER NOT NULL DEFAULT 0,
    resolution_ms     INTEGER NOT NULL DEFAULT 0,
    warn_at           REAL    NOT NULL DEFAULT 0,
    business_hours    INTEGER NOT NULL DEFAULT 0,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
