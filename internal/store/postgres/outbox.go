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

const webhookColumns = `id, url, secret, events, active, created_at`

func scanWebhook(row pgx.Row) (desk.Webhook, error) {
	var w desk.Webhook
	err := row.Scan(&w.ID, &w.URL, &w.Secret, &w.Events, &w.Active, &w.CreatedAt)
	if len(w.Events) == 0 {
		w.Events = nil
	}
	return w, err
}

// nonNilStrings keeps a nil slice from being stored as NULL.
func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CreateWebhook stores a webhook and sets ID and CreatedAt.
func (s *Store) CreateWebhook(ctx context.Context, w *desk.Webhook) error {
	w.CreatedAt = orNow(w.CreatedAt)
	err := s.q.QueryRow(ctx, `INSERT INTO webhooks (url, secret, events, active, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		w.URL, w.Secret, nonNilStrings(w.Events), w.Active, w.CreatedAt).Scan(&w.ID)
	return wrap("create webhook", err)
}

// UpdateWebhook writes url, secret, events and active.
func (s *Store) UpdateWebhook(ctx context.Context, w *desk.Webhook) error {
	err := affected(s.q.Exec(ctx, `UPDATE webhooks SET url = $2, secret = $3, events = $4, active = $5
		WHERE id = $1`, w.ID, w.URL, w.Secret, nonNilStrings(w.Events), w.Active))
	return wrap("update webhook", err)
}

// DeleteWebhook removes a webhook.
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	return wrap("delete webhook", affected(s.q.Exec(ctx, `DELETE FROM webhooks WHERE id = $1`, id)))
}

// WebhookByID returns one webhook.
func (s *Store) WebhookByID(ctx context.Context, id int64) (*desk.Webhook, error) {
	w, err := scanWebhook(s.q.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("webhook by id", err)
	}
	return &w, nil
}

// ListWebhooks returns all webhooks by id.
func (s *Store) ListWebhooks(ctx context.Context) ([]desk.Webhook, error) {
	rows, err := s.q.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, wrap("list webhooks", err)
	}
	defer rows.Close()
	var out []desk.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, wrap("list webhooks", err)
		}
		out = append(out, w)
	}
	return out, wrap("list webhooks", rows.Err())
}

const outboxColumns = `id, kind, target, payload, idempotency_key, state, attempts, next_attempt_at,
	last_error, created_at, done_at, lease`

func scanOutbox(row pgx.Row) (desk.OutboxItem, error) {
	var it desk.OutboxItem
	var done *time.Time
	err := row.Scan(&it.ID, &it.Kind, &it.Target, &it.Payload, &it.IdempotencyKey, &it.State, &it.Attempts,
		&it.NextAttemptAt, &it.LastError, &it.CreatedAt, &done, &it.Lease)
	it.DoneAt = timeOf(done)
	return it, err
}

// EnqueueOutbox adds items as pending, setting ID, State and the times left
// zero. An item whose IdempotencyKey was seen before is skipped and keeps
// ID 0.
func (s *Store) EnqueueOutbox(ctx context.Context, items ...*desk.OutboxItem) error {
	run := s.guarded
	if len(items) > 1 {
		run = s.atomically
	}
	err := run(ctx, func(s *Store) error {
		for _, it := range items {
			it.CreatedAt = orNow(it.CreatedAt)
			if it.NextAttemptAt.IsZero() {
				it.NextAttemptAt = it.CreatedAt
			}
			it.NextAttemptAt = ts(it.NextAttemptAt)
			it.Lease = 0
			if it.State == "" {
				it.State = desk.OutboxPending
			}
			payload := it.Payload
			if payload == nil {
				payload = []byte{}
			}
			err := s.q.QueryRow(ctx, `INSERT INTO outbox (kind, target, payload, idempotency_key, state,
					attempts, next_attempt_at, last_error, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
				ON CONFLICT (idempotency_key) WHERE idempotency_key <> '' DO NOTHING
				RETURNING id`,
				it.Kind, it.Target, payload, it.IdempotencyKey, it.State, it.Attempts, it.NextAttemptAt,
				it.LastError, it.CreatedAt).Scan(&it.ID)
			if errors.Is(err, pgx.ErrNoRows) {
				it.ID = 0 // a repeat: already queued
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return wrap("enqueue outbox", err)
}

// ClaimOutbox leases up to limit due pending items until leaseUntil: the
// claim counts as an attempt and moves NextAttemptAt to the lease end, so
// that an item whose worker dies is due again then, and gives it a new lease
// token, which fences off the previous holder. SKIP LOCKED lets workers
// on every node claim at once without waiting for or taking each other's
// items.
func (s *Store) ClaimOutbox(ctx context.Context, now, leaseUntil time.Time, limit int) ([]desk.OutboxItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.q.Query(ctx, `UPDATE outbox o SET attempts = o.attempts + 1, lease = o.lease + 1, next_attempt_at = $2
		FROM (SELECT id FROM outbox
			WHERE state = 'pending' AND next_attempt_at <= $1
			ORDER BY next_attempt_at, id LIMIT $3
			FOR UPDATE SKIP LOCKED) due
		WHERE o.id = due.id
		RETURNING o.id, o.kind, o.target, o.payload, o.idempotency_key, o.state, o.attempts,
			o.next_attempt_at, o.last_error, o.created_at, o.done_at, o.lease`, ts(now), ts(leaseUntil), limit)
	if err != nil {
		return nil, wrap("claim outbox", err)
	}
	defer rows.Close()
	var out []desk.OutboxItem
	for rows.Next() {
		it, err := scanOutbox(rows)
		if err != nil {
			return nil, wrap("claim outbox", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("claim outbox", err)
	}
	slices.SortFunc(out, func(a, b desk.OutboxItem) int { return int(a.ID - b.ID) })
	return out, nil
}

// CompleteOutbox marks a claimed item done while its lease holds.
func (s *Store) CompleteOutbox(ctx context.Context, it *desk.OutboxItem, at time.Time) error {
	at = orNow(at)
	err := s.fenced(ctx, it, `UPDATE outbox SET state = 'done', done_at = $3, last_error = ''
		WHERE id = $1 AND state = 'pending' AND lease = $2 RETURNING 1`, at)
	if err != nil {
		return wrap("complete outbox", err)
	}
	it.State, it.DoneAt, it.LastError = desk.OutboxDone, at, ""
	return nil
}

// RetryOutbox records a failed attempt (counted when claimed) while the
// item's lease holds: the item is due again at next, or failed for good when
// giveUp.
func (s *Store) RetryOutbox(ctx context.Context, it *desk.OutboxItem, errText string, next time.Time, giveUp bool) error {
	state := desk.OutboxPending
	if giveUp {
		state = desk.OutboxFailed
	}
	next = ts(next)
	err := s.fenced(ctx, it, `UPDATE outbox SET state = $3, last_error = $4, next_attempt_at = $5
		WHERE id = $1 AND state = 'pending' AND lease = $2 RETURNING 1`, state, errText, next)
	if err != nil {
		return wrap("retry outbox", err)
	}
	it.State, it.LastError, it.NextAttemptAt = state, errText, next
	return nil
}

// fenced runs update, a lease-guarded UPDATE ... RETURNING 1 taking id and
// lease as $1 and $2, and tells apart in the same statement why it changed
// nothing: the item is gone (ErrNotFound) or its lease was lost
// (ErrConflict: claimed again, or finished by another worker).
func (s *Store) fenced(ctx context.Context, it *desk.OutboxItem, update string, args ...any) error {
	var changed, exists bool
	err := s.q.QueryRow(ctx, `WITH u AS (`+update+`)
		SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM outbox WHERE id = $1)`,
		append([]any{it.ID, it.Lease}, args...)...).Scan(&changed, &exists)
	switch {
	case err != nil:
		return err
	case changed:
		return nil
	case !exists:
		return desk.ErrNotFound
	default:
		return fmt.Errorf("item %d: lease lost: %w", it.ID, desk.ErrConflict)
	}
}

// PendingOutbox counts items not yet done or failed.
func (s *Store) PendingOutbox(ctx context.Context) (int, error) {
	var n int
	err := s.q.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE state = 'pending'`).Scan(&n)
	return n, wrap("pending outbox", err)
}

// OutboxByID returns one item.
func (s *Store) OutboxByID(ctx context.Context, id int64) (*desk.OutboxItem, error) {
	it, err := scanOutbox(s.q.QueryRow(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = $1`, id))
	if err != nil {
		return nil, wrap("outbox by id", err)
	}
	return &it, nil
}

// Setting returns a named value; ErrNotFound when unset.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.q.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	return v, wrap("setting", err)
}

// SetSetting stores a named value, replacing any earlier one.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.q.Exec(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, now())
	return wrap("set setting", err)
}
