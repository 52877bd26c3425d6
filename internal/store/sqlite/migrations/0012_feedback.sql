-- 0012: feedback. Satisfaction surveys after resolution (one per
-- conversation), compliments from the help center, and improvement signals
-- that tie conversations to an underlying problem (closing the loop).
--
-- A survey goes with its conversation (erasing a customer erases their
-- answers); contact ids are kept without foreign keys, like orders, so
-- that a merge does not lose them.

CREATE TABLE surveys (
    id                INTEGER PRIMARY KEY,
    conversation_id   INTEGER NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE,
    contact_id        INTEGER NOT NULL DEFAULT 0,
    channel           TEXT    NOT NULL DEFAULT '',
    agent_id          INTEGER NOT NULL DEFAULT 0,
    team_id           INTEGER NOT NULL DEFAULT 0,
    category          TEXT    NOT NULL DEFAULT '',
    locale            TEXT    NOT NULL DEFAULT '',
    token_hash        TEXT    UNIQUE, -- NULL for skipped surveys
    state             TEXT    NOT NULL,
    reason            TEXT    NOT NULL DEFAULT '',
    sent_at           INTEGER NOT NULL DEFAULT 0,
    csat              INTEGER NOT NULL DEFAULT 0,
    nps               INTEGER NOT NULL DEFAULT -1,
    comment           TEXT    NOT NULL DEFAULT '',
    answers           TEXT    NOT NULL DEFAULT '{}', -- JSON object: question id -> answer
    answered_at       INTEGER NOT NULL DEFAULT 0,
    updated_at        INTEGER NOT NULL DEFAULT 0,
    follow_up_at      INTEGER NOT NULL DEFAULT 0,
    review_invited_at INTEGER NOT NULL DEFAULT 0
);
-- Results by period.
CREATE INDEX surveys_sent ON surveys(sent_at) WHERE state <> 'skipped';
-- Comments and low scores, newest answer first.
CREATE INDEX surveys_answered ON surveys(answered_at) WHERE state = 'answered';
-- The review invitation's rate limit.
CREATE INDEX surveys_contact_review ON surveys(contact_id, review_invited_at) WHERE review_invited_at > 0;
-- The survey job looks for resolved conversations by resolution time.
CREATE INDEX conversations_resolved_at ON conversations(resolved_at) WHERE status = 'resolved';

CREATE TABLE compliments (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL DEFAULT '',
    email      TEXT    NOT NULL DEFAULT '',
    body       TEXT    NOT NULL,
    locale     TEXT    NOT NULL DEFAULT '',
    about      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX compliments_created ON compliments(created_at);

CREATE TABLE improvements (
    id         INTEGER PRIMARY KEY,
    title      TEXT    NOT NULL,
    team_id    INTEGER NOT NULL DEFAULT 0,
    state      TEXT    NOT NULL DEFAULT 'open',
    created_by INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    closed_at  INTEGER NOT NULL DEFAULT 0,
    closed_by  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE improvement_signals (
    id              INTEGER PRIMARY KEY,
    improvement_id  INTEGER NOT NULL REFERENCES improvements(id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    contact_id      INTEGER NOT NULL DEFAULT 0,
    survey_id       INTEGER NOT NULL DEFAULT 0,
    note            TEXT    NOT NULL DEFAULT '',
    created_by      INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    notified_at     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (improvement_id, conversation_id)
);
CREATE INDEX improvement_signals_conversation ON improvement_signals(conversation_id);
