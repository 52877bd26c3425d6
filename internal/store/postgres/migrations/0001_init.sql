-- 0001: the initial schema. Shipped migrations are never edited; add a new
-- numbered file instead.

CREATE TABLE agents (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	email         text NOT NULL,
	name          text NOT NULL DEFAULT '',
	role          text NOT NULL,
	locale        text NOT NULL DEFAULT '',
	password_hash text NOT NULL DEFAULT '',
	availability  text NOT NULL DEFAULT 'offline',
	disabled      boolean NOT NULL DEFAULT false,
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX agents_email_key ON agents (lower(email));

CREATE TABLE teams (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name        text NOT NULL,
	description text NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL
);

CREATE TABLE agent_teams (
	agent_id bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	team_id  bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	PRIMARY KEY (agent_id, team_id)
);
CREATE INDEX agent_teams_team_idx ON agent_teams (team_id);

CREATE TABLE inboxes (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name       text NOT NULL,
	channel    text NOT NULL,
	public_key text NOT NULL DEFAULT '',
	team_id    bigint REFERENCES teams (id) ON DELETE SET NULL,
	settings   jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX inboxes_public_key_key ON inboxes (public_key) WHERE public_key <> '';

CREATE TABLE contacts (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name       text NOT NULL DEFAULT '',
	email      text NOT NULL DEFAULT '',
	phone      text NOT NULL DEFAULT '',
	locale     text NOT NULL DEFAULT '',
	attributes jsonb NOT NULL DEFAULT '{}',
	-- Terms of the name, from lang.IndexTerms, for search.
	name_terms tsvector NOT NULL DEFAULT ''::tsvector,
	-- Digits of the phone number, so that "+31 6 1234" finds "+3161234".
	phone_digits text GENERATED ALWAYS AS (regexp_replace(phone, '[^0-9]', '', 'g')) STORED,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL
);
CREATE INDEX contacts_name_terms_idx ON contacts USING gin (name_terms);
CREATE INDEX contacts_email_idx ON contacts (lower(email)) WHERE email <> '';
CREATE INDEX contacts_phone_idx ON contacts (phone_digits) WHERE phone_digits <> '';
CREATE INDEX contacts_created_idx ON contacts (created_at DESC, id DESC);

CREATE TABLE identities (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
	kind       text NOT NULL,
	value      text NOT NULL,
	verified   boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL,
	UNIQUE (kind, value)
);
CREATE INDEX identities_contact_idx ON identities (contact_id);

CREATE TABLE conversations (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	inbox_id         bigint NOT NULL REFERENCES inboxes (id),
	channel          text NOT NULL,
	contact_id       bigint NOT NULL REFERENCES contacts (id),
	subject          text NOT NULL DEFAULT '',
	status           text NOT NULL,
	priority         text NOT NULL DEFAULT 'none',
	assignee_id      bigint REFERENCES agents (id) ON DELETE SET NULL,
	team_id          bigint REFERENCES teams (id) ON DELETE SET NULL,
	-- Labels are kept here for cheap reads and in conversation_labels for
	-- filtering.
	labels           text[] NOT NULL DEFAULT '{}',
	snoozed_until    timestamptz,
	last_activity_at timestamptz NOT NULL,
	last_message     text NOT NULL DEFAULT '',
	waiting_since    timestamptz,
	created_at       timestamptz NOT NULL,
	updated_at       timestamptz NOT NULL,
	resolved_at      timestamptz
);
-- The list is ordered by (last_activity_at, id) newest first and paged by
-- cursor; each filter has an index in that order, so that a page is a short
-- range scan however many conversations there are.
CREATE INDEX conversations_activity_idx ON conversations (last_activity_at DESC, id DESC);
CREATE INDEX conversations_status_idx ON conversations (status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_assignee_idx ON conversations (assignee_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_assignee_status_idx ON conversations (assignee_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_team_idx ON conversations (team_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_team_status_idx ON conversations (team_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_inbox_idx ON conversations (inbox_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_channel_idx ON conversations (channel, last_activity_at DESC, id DESC);
CREATE INDEX conversations_contact_idx ON conversations (contact_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_open_idx ON conversations (contact_id, inbox_id, created_at DESC, id DESC)
	WHERE status <> 'resolved';
CREATE INDEX conversations_snoozed_idx ON conversations (snoozed_until) WHERE status = 'snoozed';

-- One row per label of a conversation, with the conversation's activity time
-- copied so that filtering on a label is a range scan too.
CREATE TABLE conversation_labels (
	conversation_id  bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	label            text NOT NULL,
	last_activity_at timestamptz NOT NULL,
	PRIMARY KEY (conversation_id, label)
);
CREATE INDEX conversation_labels_idx ON conversation_labels (label, last_activity_at DESC, conversation_id DESC);

CREATE TABLE messages (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	-- Copied from the conversation: external ids are unique per inbox.
	inbox_id        bigint NOT NULL,
	kind            text NOT NULL,
	sender          text NOT NULL,
	sender_id       bigint NOT NULL DEFAULT 0,
	body            text NOT NULL DEFAULT '',
	external_id     text NOT NULL DEFAULT '',
	delivery        text NOT NULL DEFAULT '',
	error           text NOT NULL DEFAULT '',
	-- Search terms from lang.IndexTerms; NULL for activity, which is not
	-- searchable.
	terms           tsvector,
	created_at      timestamptz NOT NULL
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
CREATE UNIQUE INDEX messages_external_key ON messages (inbox_id, external_id) WHERE external_id <> '';
CREATE INDEX messages_terms_idx ON messages USING gin (terms);

CREATE TABLE attachments (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	message_id   bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	name         text NOT NULL DEFAULT '',
	content_type text NOT NULL DEFAULT '',
	size         bigint NOT NULL DEFAULT 0,
	blob_key     text NOT NULL DEFAULT '',
	thumb_key    text NOT NULL DEFAULT '',
	width        integer NOT NULL DEFAULT 0,
	height       integer NOT NULL DEFAULT 0,
	created_at   timestamptz NOT NULL
);
CREATE INDEX attachments_message_idx ON attachments (message_id, id);

CREATE TABLE sessions (
	id         text PRIMARY KEY,
	agent_id   bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	csrf_token text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
CREATE INDEX sessions_agent_idx ON sessions (agent_id);

CREATE TABLE api_tokens (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	agent_id     bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	name         text NOT NULL DEFAULT '',
	hash         text NOT NULL UNIQUE,
	prefix       text NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz
);
CREATE INDEX api_tokens_agent_idx ON api_tokens (agent_id);

CREATE TABLE webhooks (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	url        text NOT NULL,
	secret     text NOT NULL DEFAULT '',
	events     text[] NOT NULL DEFAULT '{}',
	active     boolean NOT NULL DEFAULT true,
	created_at timestamptz NOT NULL
);

CREATE TABLE outbox (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind            text NOT NULL,
	target          bigint NOT NULL DEFAULT 0,
	payload         bytea NOT NULL DEFAULT '',
	idempotency_key text NOT NULL DEFAULT '',
	state           text NOT NULL DEFAULT 'pending',
	attempts        integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL,
	last_error      text NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL,
	done_at         timestamptz
);
CREATE UNIQUE INDEX outbox_idempotency_key ON outbox (idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id) WHERE state = 'pending';

CREATE TABLE settings (
	key        text PRIMARY KEY,
	value      text NOT NULL,
	updated_at timestamptz NOT NULL
);
