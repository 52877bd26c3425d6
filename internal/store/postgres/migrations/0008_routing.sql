-- 0008: routing and service levels (desk/routing.go): agents' skills and
-- capacity, teams' routing mode and settings, a customer's account owner,
-- the SLA and reporting fields of a conversation, routing rules and SLA
-- policies. Every new column has a constant default (or none), so adding it
-- does not rewrite the table.

-- Capacity per channel as a JSON object ({"email": 10}); '' for none set.
ALTER TABLE agents ADD COLUMN capacity text NOT NULL DEFAULT '';

CREATE TABLE agent_skills (
	agent_id bigint NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
	name     text NOT NULL,
	level    integer NOT NULL,
	PRIMARY KEY (agent_id, name)
);

ALTER TABLE teams
	ADD COLUMN mode     text NOT NULL DEFAULT '',
	ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';

-- The account owner, like conversations.assignee_id: NULL for none.
ALTER TABLE contacts ADD COLUMN owner_id bigint REFERENCES agents (id) ON DELETE SET NULL;
CREATE INDEX contacts_owner_idx ON contacts (owner_id) WHERE owner_id IS NOT NULL;

-- sla_policy_id has no foreign key: DeleteSLAPolicy clears the policy of
-- its conversations itself (and the SLA sweep's writes never fail on a
-- policy deleted meanwhile).
ALTER TABLE conversations
	ADD COLUMN first_reply_at timestamptz,
	ADD COLUMN handed_over_at timestamptz,
	ADD COLUMN reopens        integer NOT NULL DEFAULT 0,
	ADD COLUMN sla_policy_id  bigint NOT NULL DEFAULT 0,
	ADD COLUMN sla_due_at     timestamptz,
	ADD COLUMN sla_state      text NOT NULL DEFAULT '';
-- SLADue: the open conversations under a policy, due first (NULL, none
-- running, last: the ascending default). Only those are in the index.
CREATE INDEX conversations_sla_due_idx ON conversations (sla_due_at, id)
	WHERE sla_policy_id <> 0 AND status <> 'resolved';

-- Conditions are arrays ('{}': any value); skills a JSON array of
-- {"name", "level"} objects. A deleted team's rules are kept without one
-- (team_id NULL), so that the conditions an admin wrote are not lost.
CREATE TABLE routing_rules (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name         text NOT NULL,
	position     integer NOT NULL DEFAULT 0,
	enabled      boolean NOT NULL DEFAULT false,
	categories   text[] NOT NULL DEFAULT '{}',
	languages    text[] NOT NULL DEFAULT '{}',
	channels     text[] NOT NULL DEFAULT '{}',
	segments     text[] NOT NULL DEFAULT '{}',
	min_priority text NOT NULL DEFAULT '',
	team_id      bigint REFERENCES teams (id) ON DELETE SET NULL,
	skills       jsonb NOT NULL DEFAULT '[]',
	priority     text NOT NULL DEFAULT '',
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL
);
CREATE INDEX routing_rules_team_idx ON routing_rules (team_id) WHERE team_id IS NOT NULL;

-- Targets in milliseconds, 0 for none.
CREATE TABLE sla_policies (
	id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name              text NOT NULL,
	position          integer NOT NULL DEFAULT 0,
	enabled           boolean NOT NULL DEFAULT false,
	priorities        text[] NOT NULL DEFAULT '{}',
	channels          text[] NOT NULL DEFAULT '{}',
	segments          text[] NOT NULL DEFAULT '{}',
	first_response_ms bigint NOT NULL DEFAULT 0,
	next_response_ms  bigint NOT NULL DEFAULT 0,
	resolution_ms     bigint NOT NULL DEFAULT 0,
	warn_at           double precision NOT NULL DEFAULT 0,
	business_hours    boolean NOT NULL DEFAULT false,
	created_at        timestamptz NOT NULL,
	updated_at        timestamptz NOT NULL
);
