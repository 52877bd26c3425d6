-- 0014: SLA escalations exactly once (desk/sla.go), and the inbox's SLA
-- filter (ConversationQuery.SLAStates).

-- An escalation is recorded before the sweep performs it and marked done
-- after; the unique key is what makes two escalations the same one.
CREATE TABLE sla_escalations (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	target          text NOT NULL,
	started_at      timestamptz NOT NULL,
	state           text NOT NULL,
	due_at          timestamptz,
	created_at      timestamptz NOT NULL,
	attempts        integer NOT NULL DEFAULT 0,
	last_error      text NOT NULL DEFAULT '',
	lease_until     timestamptz,
	done_at         timestamptz,
	gave_up         boolean NOT NULL DEFAULT false,
	UNIQUE (conversation_id, target, started_at, state)
);
-- ClaimSLAEscalations: only the owed ones are in the index.
CREATE INDEX sla_escalations_owed_idx ON sla_escalations (created_at, id) WHERE done_at IS NULL;

-- The SLA filter: only conversations under a policy are in the index; the
-- query repeats its condition so that a generic plan can use it too.
CREATE INDEX conversations_sla_state_idx ON conversations (sla_state, status, last_activity_at DESC, id DESC)
	WHERE sla_state <> '';
