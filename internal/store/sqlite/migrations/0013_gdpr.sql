-- 0013: GDPR (desk/gdpr.go). The anonymous facts of erased conversations,
-- the log of who looked at personal data, and the reports of erasures.
-- None of them holds personal data: ids, channels, times and counts only.

-- What analytics knows of a conversation that was erased: the columns of
-- desk.ConversationFact without the id. The rollup rebuild counts these
-- with the conversations of the same hour, so erasing a customer keeps the
-- anonymous counts.
CREATE TABLE erased_facts (
    id             INTEGER PRIMARY KEY,
    channel        TEXT    NOT NULL,
    team_id        INTEGER NOT NULL DEFAULT 0,
    category       TEXT    NOT NULL DEFAULT '',
    assignee_id    INTEGER NOT NULL DEFAULT 0,
    status         TEXT    NOT NULL,
    priority       TEXT    NOT NULL DEFAULT 'none',
    reopens        INTEGER NOT NULL DEFAULT 0,
    sla_policy_id  INTEGER NOT NULL DEFAULT 0,
    sla_state      TEXT    NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    first_reply_at INTEGER NOT NULL DEFAULT 0,
    handed_over_at INTEGER NOT NULL DEFAULT 0,
    resolved_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX erased_facts_created ON erased_facts(created_at);

-- Ids without foreign keys: the log outlives what it names.
CREATE TABLE personal_data_access (
    id              INTEGER PRIMARY KEY,
    agent_id        INTEGER NOT NULL DEFAULT 0,
    action          TEXT    NOT NULL,
    contact_id      INTEGER NOT NULL DEFAULT 0,
    conversation_id INTEGER NOT NULL DEFAULT 0,
    at              INTEGER NOT NULL
);
CREATE INDEX personal_data_access_at ON personal_data_access(at, id);
CREATE INDEX personal_data_access_contact ON personal_data_access(contact_id, at) WHERE contact_id <> 0;
CREATE INDEX personal_data_access_agent ON personal_data_access(agent_id, at);

CREATE TABLE erasure_reports (
    id            INTEGER PRIMARY KEY,
    contact_id    INTEGER NOT NULL DEFAULT 0,
    agent_id      INTEGER NOT NULL DEFAULT 0,
    reason        TEXT    NOT NULL,
    conversations INTEGER NOT NULL DEFAULT 0,
    messages      INTEGER NOT NULL DEFAULT 0,
    removed       TEXT    NOT NULL DEFAULT '{}', -- JSON object: table -> rows
    files         INTEGER NOT NULL DEFAULT 0,
    files_failed  INTEGER NOT NULL DEFAULT 0,
    residue       TEXT    NOT NULL DEFAULT '[]', -- JSON array of desk.Residue
    complete      INTEGER NOT NULL DEFAULT 0,
    at            INTEGER NOT NULL
);
CREATE INDEX erasure_reports_at ON erasure_reports(at, id);
