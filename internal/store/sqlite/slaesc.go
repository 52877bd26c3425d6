package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// SLA escalations (desk.SLAEscalationStore): what the SLA sweep owes and
// has done. Times are milliseconds, 0 for none.

var (
	_ desk.SLAEscalationStore = (*Store)(nil)
	_ desk.SLAEscalationStore = (*txStore)(nil)
)

const slaEscCols = `id, conversation_id, target, started_at, state, due_at, created_at, attempts, last_error,
	lease_until, done_at, gave_up`

func scanSLAEscalation(sc interface{ Scan(...any) error }, e *desk.SLAEscalation) error {
	var started, due, created, lease, done int64
	var gaveUp int
	if err := sc.Scan(&e.ID, &e.ConversationID, &e.Target, &started, &e.State, &due, &created, &e.Attempts,
		&e.LastError, &lease, &done, &gaveUp); err != nil {
		return err
	}
	e.StartedAt, e.DueAt, e.CreatedAt = fromMS(started), fromMS(due), fromMS(created)
	e.LeaseUntil, e.DoneAt, e.GaveUp = fromMS(lease), fromMS(done), gaveUp != 0
	return nil
}

func checkEscalationState(s desk.SLAState) error {
	if s != desk.SLAWarning && s != desk.SLABreached {
		return desk.Invalid("state", fmt.Sprintf("warning or breached, not %q", s))
	}
	return nil
}

// OweSLAEscalation inserts the escalation unless its unique key is taken;
// then it reads the stored one instead.
func (o ops) OweSLAEscalation(ctx context.Context, e *desk.SLAEscalation) (bool, error) {
	const op = "owe sla escalation"
	if err := checkEscalationState(e.State); err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	e.CreatedAt = nowOr(e.CreatedAt)
	want := *e
	var got desk.SLAEscalation
	inserted := false
	err := o.write(ctx, func(q *txQuerier) error {
		err := scanSLAEscalation(q.QueryRowContext(ctx, `INSERT INTO sla_escalations(conversation_id, target, started_at, state,
			due_at, created_at, attempts, lease_until) VALUES (?,?,?,?,?,?,1,?)
			ON CONFLICT (conversation_id, target, started_at, state) DO NOTHING RETURNING `+slaEscCols,
			want.ConversationID, want.Target, ms(want.StartedAt), want.State, ms(want.DueAt), ms(want.CreatedAt),
			ms(want.LeaseUntil)), &got)
		if err == nil {
			inserted = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return wrap(op, err)
		}
		inserted = false
		err = scanSLAEscalation(q.QueryRowContext(ctx, `SELECT `+slaEscCols+` FROM sla_escalations
			WHERE conversation_id = ? AND target = ? AND started_at = ? AND state = ?`,
			want.ConversationID, want.Target, ms(want.StartedAt), want.State), &got)
		return wrap(op, err)
	})
	if err != nil {
		return false, err
	}
	*e = got
	return inserted, nil
}

// ClaimSLAEscalations leases the oldest owed escalations whose lease has
// passed (a range of the partial index sla_escalations_owed).
func (o ops) ClaimSLAEscalations(ctx context.Context, now, leaseUntil time.Time, limit int) ([]desk.SLAEscalation, error) {
	const op = "claim sla escalations"
	if limit <= 0 {
		return nil, nil
	}
	var out []desk.SLAEscalation
	err := o.write(ctx, func(q *txQuerier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `UPDATE sla_escalations SET attempts = attempts + 1, lease_until = ?
			WHERE id IN (SELECT id FROM sla_escalations WHERE done_at = 0 AND lease_until <= ?
				ORDER BY created_at, id LIMIT ?)
			RETURNING `+slaEscCols, ms(leaseUntil), ms(now), limit)
		if err != nil {
			return wrap(op, err)
		}
		defer rows.Close()
		for rows.Next() {
			var e desk.SLAEscalation
			if err := scanSLAEscalation(rows, &e); err != nil {
				return wrap(op, err)
			}
			out = append(out, e)
		}
		return wrap(op, rows.Err())
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives no order.
	slices.SortFunc(out, func(a, b desk.SLAEscalation) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return out, nil
}

// FinishSLAEscalation marks an owed escalation done, or given up.
func (o ops) FinishSLAEscalation(ctx context.Context, id int64, at time.Time, reason string) error {
	at = nowOr(at)
	return o.settleSLAEscalation(ctx, "finish sla escalation", id, `UPDATE sla_escalations SET done_at = ?,
		gave_up = ?, last_error = CASE WHEN ? <> '' THEN ? ELSE last_error END, lease_until = 0
		WHERE id = ? AND done_at = 0`, ms(at), boolInt(reason != ""), reason, reason, id)
}

// FailSLAEscalation records a failed attempt and releases the lease.
func (o ops) FailSLAEscalation(ctx context.Context, id int64, errText string) error {
	return o.settleSLAEscalation(ctx, "fail sla escalation", id, `UPDATE sla_escalations SET last_error = ?,
		lease_until = 0 WHERE id = ? AND done_at = 0`, errText, id)
}

// settleSLAEscalation runs an update of an owed escalation; when it
// touched nothing, the escalation is done already (ErrConflict) or missing.
func (o ops) settleSLAEscalation(ctx context.Context, op string, id int64, query string, args ...any) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, query, args...)
		if err != nil {
			return wrap(op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return wrap(op, err)
		}
		if n > 0 {
			return nil
		}
		var one int
		if err := q.QueryRowContext(ctx, `SELECT 1 FROM sla_escalations WHERE id = ?`, id).Scan(&one); err != nil {
			return wrap(op, err)
		}
		return fmt.Errorf("sqlite: %s %d: done already: %w", op, id, desk.ErrConflict)
	})
}

// SLAEscalationsOf lists a conversation's escalations, oldest first.
func (o ops) SLAEscalationsOf(ctx context.Context, conversationID int64) ([]desk.SLAEscalation, error) {
	const op = "sla escalations of conversation"
	rows, err := o.read.QueryContext(ctx, `SELECT `+slaEscCols+` FROM sla_escalations
		WHERE conversation_id = ? ORDER BY created_at, id`, conversationID)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	var out []desk.SLAEscalation
	for rows.Next() {
		var e desk.SLAEscalation
		if err := scanSLAEscalation(rows, &e); err != nil {
			return nil, wrap(op, err)
		}
		out = append(out, e)
	}
	return out, wrap(op, rows.Err())
}
