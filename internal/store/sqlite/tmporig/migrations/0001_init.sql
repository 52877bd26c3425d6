-- balie schema for SQLite, version 1.
-- Times are INTEGER milliseconds since the Unix epoch, UTC; 0 means "not set".
-- Columns ending in _key hold a normalised form for case-insensitive lookups
-- (computed in Go, because SQLite's lower() only folds ASCII).

CREATE TABLE agents (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL,
    email_key     TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    locale        TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    availability  TEXT    NOT NULL DEFAULT '',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

CREATE TABLE agent_teams (
    agent_id INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    team_id  INTEGER NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    PRIMARY KEY (agent_id, team_id)
) WITHOUT ROWID;
CREATE INDEX agent_teams_team ON agent_teams(team_id, agent_id);

CREATE TABLE inboxes (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    channel    TEXT    NOT NULL,
    public_key TEXT    NOT NULL UNIQUE,
    team_id    INTEGER NOT NULL DEFAULT 0,
    settings   TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);

CREATE TABLE contacts (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL DEFAULT '',
    email      TEXT    NOT NULL DEFAULT '',
    email_key  TEXT    NOT NULL DEFAULT '',
    phone      TEXT    NOT NULL DEFAULT '',
    phone_key  TEXT    NOT NULL DEFAULT '', -- digits only
    locale     TEXT    NOT NULL DEFAULT '',
    attributes TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX contacts_email ON contacts(email_key) WHERE email_key <> '';
CREATE INDEX contacts_phone ON contacts(phone_key) WHERE phone_key <> '';

-- Words of contact names, for search. Contentless: the text lives in contacts.
CREATE VIRTUAL TABLE contact_fts USING fts5(
    terms, content = '', contentless_delete = 1, detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE identities (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    verified   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, value)
);
CREATE INDEX identities_contact ON identities(contact_id);

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY,
    inbox_id         INTEGER NOT NULL REFERENCES inboxes(id),
    channel          TEXT    NOT NULL,
    contact_id       INTEGER NOT NULL REFERENCES contacts(id),
    subject          TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL,
    priority         TEXT    NOT NULL DEFAULT 'none',
    assignee_id      INTEGER NOT NULL DEFAULT 0, -- 0: unassigned
    team_id          INTEGER NOT NULL DEFAULT 0, -- 0: no team
    labels           TEXT    NOT NULL DEFAULT '[]', -- JSON array, mirrored in conversation_labels
    snoozed_until    INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER NOT NULL,
    last_message     TEXT    NOT NULL DEFAULT '',
    waiting_since    INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    resolved_at      INTEGER NOT NULL DEFAULT 0
);
-- The list is always ordered by (last_activity_at, id) descending; each of
-- the first four indexes serves a default view (all, status, mine and
-- unassigned, teams) as a range scan in that order. Every new message moves
-- last_activity_at and so rewrites these entries: the inbox and contact
-- indexes leave it out, as their lists are short or rarely asked for.
CREATE INDEX conversations_activity ON conversations(last_activity_at, id);
CREATE INDEX conversations_status ON conversations(status, last_activity_at, id);
CREATE INDEX conversations_assignee ON conversations(assignee_id, status, last_activity_at, id);
CREATE INDEX conversations_team ON conversations(team_id, status, last_activity_at, id);
CREATE INDEX conversations_inbox ON conversations(inbox_id);
CREATE INDEX conversations_contact ON conversations(contact_id, inbox_id);

CREATE TABLE conversation_labels (
    label           TEXT    NOT NULL,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    PRIMARY KEY (label, conversation_id)
) WITHOUT ROWID;
CREATE INDEX conversation_labels_conversation ON conversation_labels(conversation_id);

-- The join table follows the JSON column, so writers only set labels.
CREATE TRIGGER conversations_labels_insert AFTER INSERT ON conversations
WHEN new.labels <> '[]'
BEGIN
    INSERT OR IGNORE INTO conversation_labels(label, conversation_id)
        SELECT value, new.id FROM json_each(new.labels);
END;
CREATE TRIGGER conversations_labels_update AFTER UPDATE OF labels ON conversations
WHEN old.labels IS NOT new.labels
BEGIN
    DELETE FROM conversation_labels WHERE conversation_id = new.id;
    INSERT OR IGNORE INTO conversation_labels(label, conversation_id)
        SELECT value, new.id FROM json_each(new.labels);
END;

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    inbox_id        INTEGER NOT NULL, -- copied from the conversation for the unique index
    kind            TEXT    NOT NULL,
    sender          TEXT    NOT NULL,
    sender_id       INTEGER NOT NULL DEFAULT 0,
    body            TEXT    NOT NULL DEFAULT '',
    external_id     TEXT    NOT NULL DEFAULT '',
    delivery        TEXT    NOT NULL DEFAULT '',
    error           TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX messages_conversation ON messages(conversation_id, id);
CREATE UNIQUE INDEX messages_external ON messages(inbox_id, external_id) WHERE external_id <> '';

-- Analysed terms (lang.IndexTerms) of searchable messages; rowid = message id.
CREATE VIRTUAL TABLE message_fts USING fts5(
    terms, content = '', contentless_delete = 1, detail = none,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL DEFAULT '',
    content_type TEXT    NOT NULL DEFAULT '',
    size         INTEGER NOT NULL DEFAULT 0,
    blob_key     TEXT    NOT NULL DEFAULT '',
    thumb_key    TEXT    NOT NULL DEFAULT '',
    width        INTEGER NOT NULL DEFAULT 0,
    height       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);

CREATE TABLE sessions (
    id         TEXT    PRIMARY KEY,
    agent_id   INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    agent_id     INTEGER NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL DEFAULT '',
    hash         TEXT    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_tokens_agent ON api_tokens(agent_id);

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    url        TEXT    NOT NULL,
    secret     TEXT    NOT NULL DEFAULT '',
    events     TEXT    NOT NULL DEFAULT '[]',
    active     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    target          INTEGER NOT NULL DEFAULT 0,
    payload         BLOB    NOT NULL,
    idempotency_key TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    done_at         INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX outbox_idempotency ON outbox(idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state = 'pending';

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
