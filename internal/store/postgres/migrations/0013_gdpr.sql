-- 0013: GDPR (desk/gdpr.go). The anonymous facts of erased conversations,
-- the log of who looked at personal data, and the reports of erasures.
-- None of them holds personal data: ids, channels, times and counts only.

-- What analytics knows of a conversation that was erased: the columns of
-- desk.ConversationFact without the id. The rollup rebuild counts these
-- with the conversations of the same hour, so erasing a customer keeps the
-- anonymous counts.
CREATE TABLE erased_facts (
	id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	channel        text NOT NULL,
	team_id        bigint NOT NULL DEFAULT 0,
	category       text NOT NULL DEFAULT '',
	assignee_id    bigint NOT NULL DEFAULT 0,
	status         text NOT NULL,
	priority       text NOT NULL DEFAULT 'none',
	reopens        integer NOT NULL DEFAULT 0,
	sla_policy_id  bigint NOT NULL DEFAULT 0,
	sla_state      text NOT NULL DEFAULT '',
	created_at     timestamptz NOT NULL,
	first_reply_at timestamptz,
	handed_over_at timestamptz,
	resolved_at    timestamptz
);
CREATE INDEX erased_facts_created_idx ON erased_facts (created_at);

-- Ids without foreign keys: the log outlives what it names.
CREATE TABLE personal_data_access (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	agent_id        bigint NOT NULL DEFAULT 0,
	action          text NOT NULL,
	contact_id      bigint NOT NULL DEFAULT 0,
	conversation_id bigint NOT NULL DEFAULT 0,
	at              timestamptz NOT NULL
);
CREATE INDEX personal_data_access_at_idx ON personal_data_access (at, id);
CREATE INDEX personal_data_access_contact_idx ON personal_data_access (contact_id, at) WHERE contact_id <> 0;
CREATE INDEX personal_data_access_agent_idx ON personal_data_access (agent_id, at);

CREATE TABLE erasure_reports (
	id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	contact_id    bigint NOT NULL DEFAULT 0,
	agent_id      bigint NOT NULL DEFAULT 0,
	reason        text NOT NULL,
	conversations integer NOT NULL DEFAULT 0,
	messages      integer NOT NULL DEFAULT 0,
	removed       jsonb NOT NULL DEFAULT '{}',
	files         integer NOT NULL DEFAULT 0,
	files_failed  integer NOT NULL DEFAULT 0,
	residue       jsonb NOT NULL DEFAULT '[]',
	complete      boolean NOT NULL DEFAULT false,
	at            timestamptz NOT NULL
);
CREATE INDEX erasure_reports_at_idx ON erasure_reports (at, id);
