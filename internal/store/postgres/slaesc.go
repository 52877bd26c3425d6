package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// SLA escalations (desk.SLAEscalationStore): what the SLA sweep owes and
// has done. NULL is the zero time.

var _ desk.SLAEscalationStore = (*Store)(nil)

const slaEscColumns = `id, conversation_id, target, started_at, state, due_at, created_at, attempts, last_error,
	lease_until, done_at, gave_up`

func scanSLAEscalation(row pgx.Row, e *desk.SLAEscalation) error {
	var due, lease, done *time.Time
	if err := row.Scan(&e.ID, &e.ConversationID, &e.Target, &e.StartedAt, &e.State, &due, &e.CreatedAt,
		&e.Attempts, &e.LastError, &lease, &done, &e.GaveUp); err != nil {
		return err
	}
	e.StartedAt, e.CreatedAt = e.StartedAt.UTC(), e.CreatedAt.UTC()
	e.DueAt, e.LeaseUntil, e.DoneAt = timeOf(due), timeOf(lease), timeOf(done)
	return nil
}

// OweSLAEscalation inserts the escalation unless its unique key is taken;
// then it reads the stored one instead. It runs guarded: a missing
// conversation must not spoil the caller's transaction.
func (s *Store) OweSLAEscalation(ctx context.Context, e *desk.SLAEscalation) (bool, error) {
	const op = "owe sla escalation"
	if e.State != desk.SLAWarning && e.State != desk.SLABreached {
		return false, fmt.Errorf("postgres: %s: %w", op, desk.Invalid("state", fmt.Sprintf("warning or breached, not %q", e.State)))
	}
	e.CreatedAt = orNow(e.CreatedAt)
	want := *e
	var got desk.SLAEscalation
	inserted := false
	err := s.guarded(ctx, func(s *Store) error {
		err := scanSLAEscalation(s.q.QueryRow(ctx, `INSERT INTO sla_escalations (conversation_id, target,
				started_at, state, due_at, created_at, attempts, lease_until)
			VALUES ($1, $2, $3, $4, $5, $6, 1, $7)
			ON CONFLICT (conversation_id, target, started_at, state) DO NOTHING
			RETURNING `+slaEscColumns,
			want.ConversationID, want.Target, ts(want.StartedAt), want.State, nullTime(want.DueAt), want.CreatedAt,
			nullTime(want.LeaseUntil)), &got)
		if err == nil {
			inserted = true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		inserted = false
		return scanSLAEscalation(s.q.QueryRow(ctx, `SELECT `+slaEscColumns+` FROM sla_escalations
			WHERE conversation_id = $1 AND target = $2 AND started_at = $3 AND state = $4`,
			want.ConversationID, want.Target, ts(want.StartedAt), want.State), &got)
	})
	if err != nil {
		return false, wrap(op, err)
	}
	*e = got
	return inserted, nil
}

// ClaimSLAEscalations leases the oldest owed escalations whose lease has
// passed; SKIP LOCKED lets two nodes claim at once without waiting.
func (s *Store) ClaimSLAEscalations(ctx context.Context, now, leaseUntil time.Time, limit int) ([]desk.SLAEscalation, error) {
	const op = "claim sla escalations"
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.q.Query(ctx, `UPDATE sla_escalations e SET attempts = e.attempts + 1, lease_until = $2
		FROM (SELECT id FROM sla_escalations
			WHERE done_at IS NULL AND (lease_until IS NULL OR lease_until <= $1)
			ORDER BY created_at, id LIMIT $3
			FOR UPDATE SKIP LOCKED) owed
		WHERE e.id = owed.id
		RETURNING e.id, e.conversation_id, e.target, e.started_at, e.state, e.due_at, e.created_at, e.attempts,
			e.last_error, e.lease_until, e.done_at, e.gave_up`, ts(now), ts(leaseUntil), limit)
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
	if err := rows.Err(); err != nil {
		return nil, wrap(op, err)
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
func (s *Store) FinishSLAEscalation(ctx context.Context, id int64, at time.Time, reason string) error {
	return s.settleSLAEscalation(ctx, "finish sla escalation", id, `UPDATE sla_escalations
		SET done_at = $2, gave_up = $3 <> '', last_error = CASE WHEN $3 <> '' THEN $3 ELSE last_error END,
			lease_until = NULL
		WHERE id = $1 AND done_at IS NULL`, id, orNow(at), reason)
}

// FailSLAEscalation records a failed attempt and releases the lease.
func (s *Store) FailSLAEscalation(ctx context.Context, id int64, errText string) error {
	return s.settleSLAEscalation(ctx, "fail sla escalation", id, `UPDATE sla_escalations
		SET last_error = $2, lease_until = NULL WHERE id = $1 AND done_at IS NULL`, id, errText)
}

// settleSLAEscalation runs an update of an owed escalation; when it
// touched nothing, the escalation is done already (ErrConflict) or missing.
func (s *Store) settleSLAEscalation(ctx context.Context, op string, id int64, query string, args ...any) error {
	tag, err := s.q.Exec(ctx, query, args...)
	if err != nil {
		return wrap(op, err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	var exists bool
	if err := s.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sla_escalations WHERE id = $1)`, id).Scan(&exists); err != nil {
		return wrap(op, err)
	}
	if !exists {
		return fmt.Errorf("postgres: %s %d: %w", op, id, desk.ErrNotFound)
	}
	return fmt.Errorf("postgres: %s %d: done already: %w", op, id, desk.ErrConflict)
}

// SLAEscalationsOf lists a conversation's escalations, oldest first.
func (s *Store) SLAEscalationsOf(ctx context.Context, conversationID int64) ([]desk.SLAEscalation, error) {
	const op = "sla escalations of conversation"
	rows, err := s.q.Query(ctx, `SELECT `+slaEscColumns+` FROM sla_escalations
		WHERE conversation_id = $1 ORDER BY created_at, id`, conversationID)
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
