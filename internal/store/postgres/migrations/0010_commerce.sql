-- 0010: commerce. The built-in order store (the embedded default and the
-- demo; companies with their own systems use a connector or push orders
-- through the API) and the audit trail of self-service actions.
--
-- Contact ids are kept without foreign keys, like contact_merges: an order
-- outlives a merge of its contact (the kept contact's orders include those
-- of the contacts merged into it), and an undo gives it back unchanged.
-- 0 is a customer balie does not know yet.

CREATE TABLE orders (
	id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	contact_id       bigint NOT NULL DEFAULT 0,
	number           text NOT NULL UNIQUE,
	status           text NOT NULL,
	items            jsonb NOT NULL DEFAULT '[]',
	currency         text NOT NULL DEFAULT 'EUR',
	total_cents      bigint NOT NULL DEFAULT 0,
	address          jsonb NOT NULL DEFAULT '{}',
	carrier          text NOT NULL DEFAULT '',
	tracking_url     text NOT NULL DEFAULT '',
	invoice_url      text NOT NULL DEFAULT '',
	return_reason    text NOT NULL DEFAULT '',
	return_label_url text NOT NULL DEFAULT '',
	placed_at        timestamptz NOT NULL,
	updated_at       timestamptz NOT NULL
);
-- OrdersOfContact: newest placed first.
CREATE INDEX orders_contact_idx ON orders (contact_id, placed_at DESC, id DESC);

CREATE TABLE subscriptions (
	id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	contact_id bigint NOT NULL DEFAULT 0,
	reference  text NOT NULL UNIQUE,
	plan       text NOT NULL DEFAULT '',
	status     text NOT NULL DEFAULT '',
	renews_at  timestamptz,
	updated_at timestamptz NOT NULL
);
CREATE INDEX subscriptions_contact_idx ON subscriptions (contact_id, id);

-- The audit trail outlives everything it names: no foreign keys.
CREATE TABLE action_logs (
	id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	action          text NOT NULL,
	actor_kind      text NOT NULL,
	actor_id        bigint NOT NULL DEFAULT 0,
	contact_id      bigint NOT NULL DEFAULT 0,
	conversation_id bigint NOT NULL DEFAULT 0,
	order_number    text NOT NULL DEFAULT '',
	input           text NOT NULL DEFAULT '{}',
	result          text NOT NULL DEFAULT '',
	error           text NOT NULL DEFAULT '',
	state           text NOT NULL,
	decided_by      bigint NOT NULL DEFAULT 0,
	decided_at      timestamptz,
	created_at      timestamptz NOT NULL
);
CREATE INDEX action_logs_contact_idx ON action_logs (contact_id, created_at DESC);
CREATE INDEX action_logs_conversation_idx ON action_logs (conversation_id, created_at DESC);
CREATE INDEX action_logs_pending_idx ON action_logs (created_at DESC) WHERE state = 'pending';
