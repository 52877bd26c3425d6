-- The digital front line: a conversation's category and language, the
-- classifier's examples, guided flows with their versions and runs, the
-- bot's memory per conversation, saved replies with what agents do with
-- suggestions, and contact-page visits. Ids that may be 0 ("none") are not
-- foreign keys. Paths are JSON arrays.

ALTER TABLE conversations ADD COLUMN category    TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN category_by TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN language    TEXT NOT NULL DEFAULT '';
-- The category filter of the inbox, in list order like the other views.
CREATE INDEX conversations_category ON conversations(category, last_activity_at, id);

CREATE TABLE intent_examples (
    id              INTEGER PRIMARY KEY,
    text            TEXT    NOT NULL,
    category        TEXT    NOT NULL,
    locale          TEXT    NOT NULL DEFAULT '',
    source          TEXT    NOT NULL DEFAULT '',
    conversation_id INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
-- One example per conversation: an agent's correction replaces it.
CREATE UNIQUE INDEX intent_examples_conversation ON intent_examples(conversation_id) WHERE conversation_id <> 0;

CREATE TABLE flows (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL,
    locale      TEXT    NOT NULL,
    slug        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    definition  TEXT    NOT NULL DEFAULT '',
    version     INTEGER NOT NULL DEFAULT 0,
    category    TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (locale, slug)
);

CREATE TABLE flow_versions (
    flow_id    INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    definition TEXT    NOT NULL,
    agent_id   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (flow_id, version)
) WITHOUT ROWID;

CREATE TABLE flow_runs (
    id              INTEGER PRIMARY KEY,
    flow_id         INTEGER NOT NULL REFERENCES flows(id) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    source          TEXT    NOT NULL DEFAULT '',
    conversation_id INTEGER NOT NULL DEFAULT 0,
    visitor_key     TEXT    NOT NULL DEFAULT '',
    path            TEXT    NOT NULL DEFAULT '[]',
    outcome         TEXT    NOT NULL DEFAULT '',
    started_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    ended_at        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX flow_runs_flow ON flow_runs(flow_id, started_at, id);
CREATE INDEX flow_runs_conversation ON flow_runs(conversation_id, started_at, id);

CREATE TABLE bot_sessions (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id) ON DELETE CASCADE,
    state           TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL
);

CREATE TABLE saved_replies (
    id         INTEGER PRIMARY KEY,
    team_id    INTEGER NOT NULL DEFAULT 0,
    locale     TEXT    NOT NULL DEFAULT '',
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    shortcut   TEXT    NOT NULL DEFAULT '',
    category   TEXT    NOT NULL DEFAULT '',
    uses       INTEGER NOT NULL DEFAULT 0,
    agent_id   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX saved_replies_shortcut ON saved_replies(team_id, locale, shortcut) WHERE shortcut <> '';

CREATE TABLE suggestion_events (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL DEFAULT 0,
    agent_id        INTEGER NOT NULL DEFAULT 0,
    kind            TEXT    NOT NULL,
    ref             TEXT    NOT NULL DEFAULT '',
    category        TEXT    NOT NULL DEFAULT '',
    action          TEXT    NOT NULL,
    at              INTEGER NOT NULL
);
CREATE INDEX suggestion_events_at ON suggestion_events(at);

CREATE TABLE contact_visits (
    id          INTEGER PRIMARY KEY,
    locale      TEXT    NOT NULL DEFAULT '',
    query       TEXT    NOT NULL DEFAULT '',
    topic       TEXT    NOT NULL DEFAULT '',
    answered    INTEGER NOT NULL DEFAULT 0,
    contacted   INTEGER NOT NULL DEFAULT 0,
    visitor_key TEXT    NOT NULL DEFAULT '',
    contact_id  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX contact_visits_created ON contact_visits(created_at);
