-- 0012: feedback. Satisfaction surveys after resolution (one per
-- conversation), compliments from the help center, and improvement signals
-- that tie conversations to an underlying problem (closing the loop).
--
-- A survey goes with its conversation (erasing a customer erases their
-- answers); contact ids are kept without foreign keys, like orders, so
-- that a merge does not lose them.

CREATE TABLE surveys (
	id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	conversation_id   bigint NOT NULL UNIQUE REFERENCES conversations(id) ON DELETE CASCADE,
	contact_id        bigint NOT NULL DEFAULT 0,
	channel           text NOT NULL DEFAULT '',
	agent_id          bigint NOT NULL DEFAULT 0,
	team_id           bigint NOT NULL DEFAULT 0,
	category          text NOT NULL DEFAULT '',
	locale            text NOT NULL DEFAULT '',
	token_hash        text UNIQUE, -- NULL for skipped surveys
	state             text NOT NULL,
	reason            text NOT NULL DEFAULT '',
	sent_at           timestamptz,
	csat              integer NOT NULL DEFAULT 0,
	nps               integer NOT NULL DEFAULT -1,
	comment           text NOT NULL DEFAULT '',
	answers           jsonb NOT NULL DEFAULT '{}',
	answered_at       timestamptz,
	updated_at        timestamptz,
	follow_up_at      timestamptz,
	review_invited_at timestamptz
);
CREATE INDEX surveys_sent_idx ON surveys (sent_at) WHERE state <> 'skipped';
CREATE INDEX surveys_answered_idx ON surveys (answered_at DESC) WHERE state = 'answered';
CREATE INDEX surveys_contact_review_idx ON surveys (contact_id, review_invited_at DESC)
	WHERE review_invited_at IS NOT NULL;
CREATE INDEX conversations_resolved_at_idx ON conversations (resolved_at) WHERE status = 'resolved';

CREATE TABLE compliments (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name       text NOT NULL DEFAULT '',
	email      text NOT NULL DEFAULT '',
	body       text NOT NULL,
	locale     text NOT NULL DEFAULT '',
	about      text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL
);
CREATE INDEX compliments_created_idx ON compliments (created_at DESC);

CREATE TABLE improvements (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	title      text NOT NULL,
	team_id    bigint NOT NULL DEFAULT 0,
	state      text NOT NULL DEFAULT 'open',
	created_by bigint NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL,
	closed_at  timestamptz,
	closed_by  bigint NOT NULL DEFAULT 0
);

CREATE TABLE improvement_signals (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	improvement_id  bigint NOT NULL REFERENCES improvements(id) ON DELETE CASCADE,
	conversation_id bigint NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
	contact_id      bigint NOT NULL DEFAULT 0,
	survey_id       bigint NOT NULL DEFAULT 0,
	note            text NOT NULL DEFAULT '',
	created_by      bigint NOT NULL DEFAULT 0,
	created_at      timestamptz NOT NULL,
	notified_at     timestamptz,
	UNIQUE (improvement_id, conversation_id)
);
CREATE INDEX improvement_signals_conversation_idx ON improvement_signals (conversation_id);
