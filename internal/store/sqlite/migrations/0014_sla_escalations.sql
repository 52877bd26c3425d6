-- 0014: SLA escalations exactly once (desk/sla.go), and the inbox's SLA
-- filter (ConversationQuery.SLAStates).

-- An escalation is recorded before the sweep performs it and marked done
-- after; the unique key is what makes two escalations the same one.
CREATE TABLE sla_escalations (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    target          TEXT    NOT NULL,
    started_at      INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    due_at          INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    done_at         INTEGER NOT NULL DEFAULT 0,
    gave_up         INTEGER NOT NULL DEFAULT 0,
    UNIQUE (conversation_id, target, started_at, state)
);
-- ClaimSLAEscalations: only the owed ones are in the index.
CREATE INDEX sla_escalations_owed ON sla_escalations(created_at, id) WHERE done_at = 0;

-- The SLA filter: only conversations under a policy are in the index; the
-- query repeats its condition so that SQLite uses it.
CREATE INDEX conversations_sla_state ON conversations(sla_state, status, last_activity_at, id)
    WHERE sla_state <> '';
