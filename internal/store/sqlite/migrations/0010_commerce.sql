-- 0010: commerce. The built-in order store (the embedded default and the
-- demo; companies with their own systems use a connector or push orders
-- through the API) and the audit trail of self-service actions.
--
-- Contact ids are kept without foreign keys, like contact_merges: an order
-- outlives a merge of its contact (the kept contact's orders include those
-- of the contacts merged into it), and an undo gives it back unchanged.
-- 0 is a customer balie does not know yet.

CREATE TABLE orders (
    id               INTEGER PRIMARY KEY,
    contact_id       INTEGER NOT NULL DEFAULT 0,
    number           TEXT    NOT NULL UNIQUE,
    status           TEXT    NOT NULL,
    items            TEXT    NOT NULL DEFAULT '[]', -- JSON array of desk.OrderItem
    currency         TEXT    NOT NULL DEFAULT 'EUR',
    total_cents      INTEGER NOT NULL DEFAULT 0,
    address          TEXT    NOT NULL DEFAULT '{}', -- JSON desk.Address
    carrier          TEXT    NOT NULL DEFAULT '',
    tracking_url     TEXT    NOT NULL DEFAULT '',
    invoice_url      TEXT    NOT NULL DEFAULT '',
    return_reason    TEXT    NOT NULL DEFAULT '',
    return_label_url TEXT    NOT NULL DEFAULT '',
    placed_at        INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- OrdersOfContact: newest placed first.
CREATE INDEX orders_contact ON orders(contact_id, placed_at, id);

CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL DEFAULT 0,
    reference  TEXT    NOT NULL UNIQUE,
    plan       TEXT    NOT NULL DEFAULT '',
    status     TEXT    NOT NULL DEFAULT '',
    renews_at  INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
CREATE INDEX subscriptions_contact ON subscriptions(contact_id, id);

-- The audit trail outlives everything it names: no foreign keys.
CREATE TABLE action_logs (
    id              INTEGER PRIMARY KEY,
    action          TEXT    NOT NULL,
    actor_kind      TEXT    NOT NULL,
    actor_id        INTEGER NOT NULL DEFAULT 0,
    contact_id      INTEGER NOT NULL DEFAULT 0,
    conversation_id INTEGER NOT NULL DEFAULT 0,
    order_number    TEXT    NOT NULL DEFAULT '',
    input           TEXT    NOT NULL DEFAULT '{}',
    result          TEXT    NOT NULL DEFAULT '',
    error           TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL,
    decided_by      INTEGER NOT NULL DEFAULT 0,
    decided_at      INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL
);
CREATE INDEX action_logs_contact ON action_logs(contact_id, created_at);
CREATE INDEX action_logs_conversation ON action_logs(conversation_id, created_at);
-- The approvals waiting for an agent.
CREATE INDEX action_logs_pending ON action_logs(created_at) WHERE state = 'pending';
