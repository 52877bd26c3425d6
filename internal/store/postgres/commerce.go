package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// Commerce (desk.CommerceStore): the built-in order store, subscriptions
// and the self-service actions' audit trail.

var _ desk.CommerceStore = (*Store)(nil)

const orderColumns = `id, contact_id, number, status, items, currency, total_cents, address, carrier,
	tracking_url, invoice_url, return_reason, return_label_url, placed_at, updated_at`

func scanOrder(row pgx.Row) (desk.Order, error) {
	var o desk.Order
	err := row.Scan(&o.ID, &o.ContactID, &o.Number, &o.Status, &o.Items, &o.Currency, &o.TotalCents, &o.Address,
		&o.Carrier, &o.TrackingURL, &o.InvoiceURL, &o.ReturnReason, &o.ReturnLabelURL, &o.PlacedAt, &o.UpdatedAt)
	if len(o.Items) == 0 {
		o.Items = nil
	}
	return o, err
}

// contactExists is ErrNotFound for a contact id that is not 0 and not
// stored.
func (s *Store) contactExists(ctx context.Context, id int64) error {
	if id == 0 {
		return nil
	}
	var one int
	return s.q.QueryRow(ctx, `SELECT 1 FROM contacts WHERE id = $1`, id).Scan(&one)
}

// PutOrder inserts the order or replaces the one with its number.
func (s *Store) PutOrder(ctx context.Context, o *desk.Order) error {
	const op = "put order"
	if o.Number == "" {
		return wrap(op, desk.Invalid("number", "an order needs a number"))
	}
	o.PlacedAt, o.UpdatedAt = orNow(o.PlacedAt), orNow(o.UpdatedAt)
	items := o.Items
	if items == nil {
		items = []desk.OrderItem{}
	}
	err := s.guarded(ctx, func(s *Store) error {
		if err := s.contactExists(ctx, o.ContactID); err != nil {
			return fmt.Errorf("contact: %w", err)
		}
		return s.q.QueryRow(ctx, `INSERT INTO orders (contact_id, number, status, items, currency, total_cents,
				address, carrier, tracking_url, invoice_url, return_reason, return_label_url, placed_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
			ON CONFLICT (number) DO UPDATE SET contact_id = excluded.contact_id, status = excluded.status,
				items = excluded.items, currency = excluded.currency, total_cents = excluded.total_cents,
				address = excluded.address, carrier = excluded.carrier, tracking_url = excluded.tracking_url,
				invoice_url = excluded.invoice_url, return_reason = excluded.return_reason,
				return_label_url = excluded.return_label_url, placed_at = excluded.placed_at,
				updated_at = excluded.updated_at
			RETURNING id`,
			o.ContactID, o.Number, o.Status, items, o.Currency, o.TotalCents, o.Address, o.Carrier, o.TrackingURL,
			o.InvoiceURL, o.ReturnReason, o.ReturnLabelURL, o.PlacedAt, o.UpdatedAt).Scan(&o.ID)
	})
	return wrap(op, err)
}

func (s *Store) OrderByNumber(ctx context.Context, number string) (*desk.Order, error) {
	o, err := scanOrder(s.q.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE number = $1`, number))
	if err != nil {
		return nil, wrap("order by number", err)
	}
	return &o, nil
}

// ownersCTE lists a contact and, recursively, the contacts merged into it
// (merges not undone): their orders are the contact's too.
const ownersCTE = `WITH RECURSIVE owners(id) AS (
	SELECT $1::bigint UNION SELECT m.merged_id FROM contact_merges m JOIN owners w ON m.kept_id = w.id
	WHERE m.undone_at IS NULL)`

func (s *Store) OrdersOfContact(ctx context.Context, contactID int64, limit int) ([]desk.Order, error) {
	if contactID == 0 {
		return nil, nil
	}
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	rows, err := s.q.Query(ctx, ownersCTE+` SELECT `+orderColumns+` FROM orders
		WHERE contact_id IN (SELECT id FROM owners) ORDER BY placed_at DESC, id DESC LIMIT $2`, contactID, limit)
	if err != nil {
		return nil, wrap("orders of contact", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.Order, error) { return scanOrder(row) })
	return out, wrap("orders of contact", err)
}

const subscriptionColumns = `id, contact_id, reference, plan, status, renews_at, updated_at`

func scanSubscription(row pgx.Row) (desk.Subscription, error) {
	var sub desk.Subscription
	var renews *time.Time
	err := row.Scan(&sub.ID, &sub.ContactID, &sub.Reference, &sub.Plan, &sub.Status, &renews, &sub.UpdatedAt)
	sub.RenewsAt = timeOf(renews)
	return sub, err
}

func (s *Store) PutSubscription(ctx context.Context, sub *desk.Subscription) error {
	const op = "put subscription"
	if sub.Reference == "" {
		return wrap(op, desk.Invalid("reference", "a subscription needs a reference"))
	}
	sub.UpdatedAt = orNow(sub.UpdatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		if err := s.contactExists(ctx, sub.ContactID); err != nil {
			return fmt.Errorf("contact: %w", err)
		}
		return s.q.QueryRow(ctx, `INSERT INTO subscriptions (contact_id, reference, plan, status, renews_at,
				updated_at) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (reference) DO UPDATE SET contact_id = excluded.contact_id, plan = excluded.plan,
				status = excluded.status, renews_at = excluded.renews_at, updated_at = excluded.updated_at
			RETURNING id`,
			sub.ContactID, sub.Reference, sub.Plan, sub.Status, nullTime(sub.RenewsAt), sub.UpdatedAt).Scan(&sub.ID)
	})
	return wrap(op, err)
}

func (s *Store) SubscriptionsOfContact(ctx context.Context, contactID int64) ([]desk.Subscription, error) {
	if contactID == 0 {
		return nil, nil
	}
	rows, err := s.q.Query(ctx, ownersCTE+` SELECT `+subscriptionColumns+` FROM subscriptions
		WHERE contact_id IN (SELECT id FROM owners) ORDER BY id`, contactID)
	if err != nil {
		return nil, wrap("subscriptions of contact", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.Subscription, error) {
		return scanSubscription(row)
	})
	return out, wrap("subscriptions of contact", err)
}

const actionLogColumns = `id, action, actor_kind, actor_id, contact_id, conversation_id, order_number, input,
	result, error, state, decided_by, decided_at, created_at`

func scanActionLog(row pgx.Row) (desk.ActionLog, error) {
	var l desk.ActionLog
	var decided *time.Time
	err := row.Scan(&l.ID, &l.Action, &l.ActorKind, &l.ActorID, &l.ContactID, &l.ConversationID, &l.OrderNumber,
		&l.Input, &l.Result, &l.Error, &l.State, &l.DecidedBy, &decided, &l.CreatedAt)
	l.DecidedAt = timeOf(decided)
	return l, err
}

func (s *Store) CreateActionLog(ctx context.Context, l *desk.ActionLog) error {
	l.CreatedAt = orNow(l.CreatedAt)
	if l.Input == "" {
		l.Input = "{}"
	}
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `INSERT INTO action_logs (action, actor_kind, actor_id, contact_id,
				conversation_id, order_number, input, result, error, state, decided_by, decided_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			l.Action, l.ActorKind, l.ActorID, l.ContactID, l.ConversationID, l.OrderNumber, l.Input, l.Result,
			l.Error, l.State, l.DecidedBy, nullTime(l.DecidedAt), l.CreatedAt).Scan(&l.ID)
	})
	return wrap("create action log", err)
}

// ClaimActionLog moves a pending (or stale approving) record to
// approving; the state check and the write are one statement, so two
// approvers cannot both win.
func (s *Store) ClaimActionLog(ctx context.Context, l *desk.ActionLog, stale time.Time) error {
	const op = "claim action log"
	l.DecidedAt = orNow(l.DecidedAt)
	tag, err := s.q.Exec(ctx, `UPDATE action_logs SET state = 'approving', decided_by = $1, decided_at = $2
		WHERE id = $3 AND (state = 'pending' OR state = 'approving' AND decided_at < $4)`,
		l.DecidedBy, l.DecidedAt, l.ID, stale)
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	return wrap(op, s.actionLogConflict(ctx, l.ID))
}

// DecideActionLog moves a pending record, or one the decider claimed, on;
// the state check and the write are one statement, so two deciders cannot
// both win.
func (s *Store) DecideActionLog(ctx context.Context, l *desk.ActionLog) error {
	const op = "decide action log"
	l.DecidedAt = orNow(l.DecidedAt)
	tag, err := s.q.Exec(ctx, `UPDATE action_logs SET state = $1, result = $2, error = $3, decided_by = $4,
		decided_at = $5 WHERE id = $6 AND (state = 'pending' OR state = 'approving' AND decided_by = $4)`,
		l.State, l.Result, l.Error, l.DecidedBy, l.DecidedAt, l.ID)
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	return wrap(op, s.actionLogConflict(ctx, l.ID))
}

// actionLogConflict says why a record could not move: missing
// (ErrNotFound) or in another state (ErrConflict).
func (s *Store) actionLogConflict(ctx context.Context, id int64) error {
	var state string
	if err := s.q.QueryRow(ctx, `SELECT state FROM action_logs WHERE id = $1`, id).Scan(&state); err != nil {
		return err
	}
	return fmt.Errorf("%d is %s: %w", id, state, desk.ErrConflict)
}

func (s *Store) ActionLogByID(ctx context.Context, id int64) (*desk.ActionLog, error) {
	l, err := scanActionLog(s.q.QueryRow(ctx, `SELECT `+actionLogColumns+` FROM action_logs WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("action log by id", err)
	}
	return &l, nil
}

func (s *Store) ListActionLogs(ctx context.Context, q desk.ActionLogQuery) ([]desk.ActionLog, error) {
	var a args
	sql := `SELECT ` + actionLogColumns + ` FROM action_logs WHERE true`
	if q.ContactID != 0 {
		sql += ` AND contact_id = ` + a.add(q.ContactID)
	}
	if q.ConversationID != 0 {
		sql += ` AND conversation_id = ` + a.add(q.ConversationID)
	}
	if q.State != "" {
		sql += ` AND state = ` + a.add(q.State)
	}
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 50
	case limit > 500:
		limit = 500
	}
	sql += ` ORDER BY created_at DESC, id DESC LIMIT ` + a.add(limit)
	rows, err := s.q.Query(ctx, sql, a...)
	if err != nil {
		return nil, wrap("list action logs", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (desk.ActionLog, error) { return scanActionLog(row) })
	return out, wrap("list action logs", err)
}
