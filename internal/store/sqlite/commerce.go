package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Commerce (desk.CommerceStore): the built-in order store, subscriptions
// and the self-service actions' audit trail.

var (
	_ desk.CommerceStore = (*Store)(nil)
	_ desk.CommerceStore = (*txStore)(nil)
)

const orderCols = `id, contact_id, number, status, items, currency, total_cents, address, carrier, tracking_url,
	invoice_url, return_reason, return_label_url, placed_at, updated_at`

func scanOrder(sc rowScanner, o *desk.Order) error {
	var items, addr string
	var placed, updated int64
	if err := sc.Scan(&o.ID, &o.ContactID, &o.Number, &o.Status, &items, &o.Currency, &o.TotalCents, &addr,
		&o.Carrier, &o.TrackingURL, &o.InvoiceURL, &o.ReturnReason, &o.ReturnLabelURL, &placed, &updated); err != nil {
		return err
	}
	o.PlacedAt, o.UpdatedAt = fromMS(placed), fromMS(updated)
	o.Items = nil
	if items != "" && items != "[]" {
		if err := json.Unmarshal([]byte(items), &o.Items); err != nil {
			return fmt.Errorf("order items: %w", err)
		}
	}
	o.Address = desk.Address{}
	if err := json.Unmarshal([]byte(addr), &o.Address); err != nil {
		return fmt.Errorf("order address: %w", err)
	}
	return nil
}

// contactExists is ErrNotFound (through wrap) for a contact id that is
// not 0 and not stored.
func contactExists(ctx context.Context, q *txQuerier, id int64) error {
	if id == 0 {
		return nil
	}
	var one int
	return q.QueryRowContext(ctx, `SELECT 1 FROM contacts WHERE id = ?`, id).Scan(&one)
}

// PutOrder inserts the order or replaces the one with its number.
func (o ops) PutOrder(ctx context.Context, ord *desk.Order) error {
	const op = "put order"
	if ord.Number == "" {
		return fmt.Errorf("sqlite: %s: %w", op, desk.Invalid("number", "an order needs a number"))
	}
	ord.PlacedAt = nowOr(ord.PlacedAt)
	ord.UpdatedAt = nowOr(ord.UpdatedAt)
	items := "[]"
	if len(ord.Items) > 0 {
		items = jsonText(ord.Items)
	}
	addr := jsonText(ord.Address)
	return o.write(ctx, func(q *txQuerier) error {
		if err := contactExists(ctx, q, ord.ContactID); err != nil {
			return wrap(op+": contact", err)
		}
		err := q.QueryRowContext(ctx, `INSERT INTO orders(contact_id, number, status, items, currency, total_cents,
			address, carrier, tracking_url, invoice_url, return_reason, return_label_url, placed_at, updated_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
			ON CONFLICT(number) DO UPDATE SET contact_id = excluded.contact_id, status = excluded.status,
				items = excluded.items, currency = excluded.currency, total_cents = excluded.total_cents,
				address = excluded.address, carrier = excluded.carrier, tracking_url = excluded.tracking_url,
				invoice_url = excluded.invoice_url, return_reason = excluded.return_reason,
				return_label_url = excluded.return_label_url, placed_at = excluded.placed_at,
				updated_at = excluded.updated_at
			RETURNING id`,
			ord.ContactID, ord.Number, ord.Status, items, ord.Currency, ord.TotalCents, addr, ord.Carrier,
			ord.TrackingURL, ord.InvoiceURL, ord.ReturnReason, ord.ReturnLabelURL, ms(ord.PlacedAt),
			ms(ord.UpdatedAt)).Scan(&ord.ID)
		return wrap(op, err)
	})
}

func (o ops) OrderByNumber(ctx context.Context, number string) (*desk.Order, error) {
	var ord desk.Order
	if err := scanOrder(o.read.QueryRowContext(ctx, `SELECT `+orderCols+` FROM orders WHERE number = ?`, number),
		&ord); err != nil {
		return nil, wrap("order by number", err)
	}
	return &ord, nil
}

// ownersCTE lists a contact and, recursively, the contacts merged into it
// (merges not undone): their orders are the contact's too.
const ownersCTE = `WITH RECURSIVE owners(id) AS (
	SELECT ? UNION SELECT m.merged_id FROM contact_merges m JOIN owners w ON m.kept_id = w.id WHERE m.undone_at = 0)`

func (o ops) OrdersOfContact(ctx context.Context, contactID int64, limit int) ([]desk.Order, error) {
	if contactID == 0 {
		return nil, nil
	}
	rows, err := o.read.QueryContext(ctx, ownersCTE+` SELECT `+orderCols+` FROM orders
		WHERE contact_id IN (SELECT id FROM owners) ORDER BY placed_at DESC, id DESC LIMIT ?`,
		contactID, clampLimit(limit, 50, 500))
	return collect("orders of contact", rows, err, scanOrder)
}

const subscriptionCols = `id, contact_id, reference, plan, status, renews_at, updated_at`

func scanSubscription(sc rowScanner, s *desk.Subscription) error {
	var renews, updated int64
	if err := sc.Scan(&s.ID, &s.ContactID, &s.Reference, &s.Plan, &s.Status, &renews, &updated); err != nil {
		return err
	}
	s.RenewsAt, s.UpdatedAt = fromMS(renews), fromMS(updated)
	return nil
}

func (o ops) PutSubscription(ctx context.Context, s *desk.Subscription) error {
	const op = "put subscription"
	if s.Reference == "" {
		return fmt.Errorf("sqlite: %s: %w", op, desk.Invalid("reference", "a subscription needs a reference"))
	}
	s.UpdatedAt = nowOr(s.UpdatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		if err := contactExists(ctx, q, s.ContactID); err != nil {
			return wrap(op+": contact", err)
		}
		err := q.QueryRowContext(ctx, `INSERT INTO subscriptions(contact_id, reference, plan, status, renews_at,
			updated_at) VALUES (?,?,?,?,?,?)
			ON CONFLICT(reference) DO UPDATE SET contact_id = excluded.contact_id, plan = excluded.plan,
				status = excluded.status, renews_at = excluded.renews_at, updated_at = excluded.updated_at
			RETURNING id`,
			s.ContactID, s.Reference, s.Plan, s.Status, ms(s.RenewsAt), ms(s.UpdatedAt)).Scan(&s.ID)
		return wrap(op, err)
	})
}

func (o ops) SubscriptionsOfContact(ctx context.Context, contactID int64) ([]desk.Subscription, error) {
	if contactID == 0 {
		return nil, nil
	}
	rows, err := o.read.QueryContext(ctx, ownersCTE+` SELECT `+subscriptionCols+` FROM subscriptions
		WHERE contact_id IN (SELECT id FROM owners) ORDER BY id`, contactID)
	return collect("subscriptions of contact", rows, err, scanSubscription)
}

const actionLogCols = `id, action, actor_kind, actor_id, contact_id, conversation_id, order_number, input, result,
	error, state, decided_by, decided_at, created_at`

func scanActionLog(sc rowScanner, l *desk.ActionLog) error {
	var decided, created int64
	if err := sc.Scan(&l.ID, &l.Action, &l.ActorKind, &l.ActorID, &l.ContactID, &l.ConversationID,
		&l.OrderNumber, &l.Input, &l.Result, &l.Error, &l.State, &l.DecidedBy, &decided, &created); err != nil {
		return err
	}
	l.DecidedAt, l.CreatedAt = fromMS(decided), fromMS(created)
	return nil
}

func (o ops) CreateActionLog(ctx context.Context, l *desk.ActionLog) error {
	l.CreatedAt = nowOr(l.CreatedAt)
	if l.Input == "" {
		l.Input = "{}"
	}
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO action_logs(action, actor_kind, actor_id, contact_id,
			conversation_id, order_number, input, result, error, state, decided_by, decided_at, created_at)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id`,
			l.Action, l.ActorKind, l.ActorID, l.ContactID, l.ConversationID, l.OrderNumber, l.Input, l.Result,
			l.Error, l.State, l.DecidedBy, ms(l.DecidedAt), ms(l.CreatedAt)).Scan(&l.ID)
		return wrap("create action log", err)
	})
}

// ClaimActionLog moves a pending (or stale approving) record to
// approving; the state check and the write are one statement, so two
// approvers cannot both win.
func (o ops) ClaimActionLog(ctx context.Context, l *desk.ActionLog, stale time.Time) error {
	const op = "claim action log"
	l.DecidedAt = nowOr(l.DecidedAt)
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE action_logs SET state = 'approving', decided_by = ?, decided_at = ?
			WHERE id = ? AND (state = 'pending' OR state = 'approving' AND decided_at < ?)`,
			l.DecidedBy, ms(l.DecidedAt), l.ID, ms(stale))
		if err != nil {
			return wrap(op, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return wrap(op, err)
		}
		return wrap(op, actionLogConflict(ctx, q, l.ID))
	})
}

// DecideActionLog moves a pending record, or one the decider claimed, on;
// the state check and the write are one statement, so two deciders cannot
// both win.
func (o ops) DecideActionLog(ctx context.Context, l *desk.ActionLog) error {
	const op = "decide action log"
	l.DecidedAt = nowOr(l.DecidedAt)
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE action_logs SET state = ?, result = ?, error = ?, decided_by = ?,
			decided_at = ? WHERE id = ? AND (state = 'pending' OR state = 'approving' AND decided_by = ?)`,
			l.State, l.Result, l.Error, l.DecidedBy, ms(l.DecidedAt), l.ID, l.DecidedBy)
		if err != nil {
			return wrap(op, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return wrap(op, err)
		}
		return wrap(op, actionLogConflict(ctx, q, l.ID))
	})
}

// actionLogConflict says why a record could not move: missing
// (ErrNotFound) or in another state (ErrConflict).
func actionLogConflict(ctx context.Context, q *txQuerier, id int64) error {
	var state string
	if err := q.QueryRowContext(ctx, `SELECT state FROM action_logs WHERE id = ?`, id).Scan(&state); err != nil {
		return err
	}
	return fmt.Errorf("%d is %s: %w", id, state, desk.ErrConflict)
}

func (o ops) ActionLogByID(ctx context.Context, id int64) (*desk.ActionLog, error) {
	var l desk.ActionLog
	if err := scanActionLog(o.read.QueryRowContext(ctx, `SELECT `+actionLogCols+` FROM action_logs WHERE id = ?`, id),
		&l); err != nil {
		return nil, wrap("action log by id", err)
	}
	return &l, nil
}

func (o ops) ListActionLogs(ctx context.Context, q desk.ActionLogQuery) ([]desk.ActionLog, error) {
	where, args := "1=1", []any{}
	if q.ContactID != 0 {
		where += ` AND contact_id = ?`
		args = append(args, q.ContactID)
	}
	if q.ConversationID != 0 {
		where += ` AND conversation_id = ?`
		args = append(args, q.ConversationID)
	}
	if q.State != "" {
		where += ` AND state = ?`
		args = append(args, q.State)
	}
	args = append(args, clampLimit(q.Limit, 50, 500))
	rows, err := o.read.QueryContext(ctx, `SELECT `+actionLogCols+` FROM action_logs WHERE `+where+`
		ORDER BY created_at DESC, id DESC LIMIT ?`, args...)
	return collect("list action logs", rows, err, scanActionLog)
}
