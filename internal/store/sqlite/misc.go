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

// Sessions and API tokens.

func (o ops) CreateSession(ctx context.Context, s *desk.Session) error {
	s.CreatedAt = nowOr(s.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO sessions(id, agent_id, csrf_token, created_at, expires_at) VALUES (?,?,?,?,?)`,
			s.ID, s.AgentID, s.CSRFToken, ms(s.CreatedAt), ms(s.ExpiresAt))
		return wrap("create session", err)
	})
}

// SessionByID finds a session that has not expired by the real clock.
func (o ops) SessionByID(ctx context.Context, id string) (*desk.Session, error) {
	var s desk.Session
	var created, expires int64
	err := o.read.QueryRowContext(ctx, `SELECT id, agent_id, csrf_token, created_at, expires_at FROM sessions
		WHERE id = ? AND expires_at > ?`, id, time.Now().UnixMilli()).Scan(&s.ID, &s.AgentID, &s.CSRFToken, &created, &expires)
	if err != nil {
		return nil, wrap("session by id", err)
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return &s, nil
}

// DeleteSession is idempotent: logging out twice is not an error.
func (o ops) DeleteSession(ctx context.Context, id string) error {
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return wrap("delete session", err)
	})
}

// TouchSession moves the expiry of a session that has not expired yet.
func (o ops) TouchSession(ctx context.Context, id string, expiresAt time.Time) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE sessions SET expires_at = ? WHERE id = ? AND expires_at > ?`,
			ms(expiresAt), id, time.Now().UnixMilli())
		return affected("touch session", res, err)
	})
}

// DeleteAgentSessions ends the agent's sessions but exceptID.
func (o ops) DeleteAgentSessions(ctx context.Context, agentID int64, exceptID string) error {
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE agent_id = ? AND id <> ?`, agentID, exceptID)
		return wrap("delete agent sessions", err)
	})
}

func (o ops) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, ms(now))
		return wrap("delete expired sessions", err)
	})
}

const tokenCols = `id, agent_id, name, hash, prefix, created_at, last_used_at`

func scanToken(sc interface{ Scan(...any) error }, t *desk.APIToken) error {
	var created, used int64
	err := sc.Scan(&t.ID, &t.AgentID, &t.Name, &t.Hash, &t.Prefix, &created, &used)
	t.CreatedAt, t.LastUsedAt = fromMS(created), fromMS(used)
	return err
}

func (o ops) CreateAPIToken(ctx context.Context, t *desk.APIToken) error {
	t.CreatedAt = nowOr(t.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO api_tokens(agent_id, name, hash, prefix, created_at, last_used_at)
			VALUES (?,?,?,?,?,?) RETURNING id`, t.AgentID, t.Name, t.Hash, t.Prefix, ms(t.CreatedAt), ms(t.LastUsedAt)).Scan(&t.ID)
		return wrap("create api token", err)
	})
}

func (o ops) APITokenByHash(ctx context.Context, hash string) (*desk.APIToken, error) {
	var t desk.APIToken
	if err := scanToken(o.read.QueryRowContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE hash = ?`, hash), &t); err != nil {
		return nil, wrap("api token by hash", err)
	}
	return &t, nil
}

func (o ops) ListAPITokens(ctx context.Context, agentID int64) ([]desk.APIToken, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT `+tokenCols+` FROM api_tokens WHERE agent_id = ? ORDER BY id`, agentID)
	if err != nil {
		return nil, wrap("list api tokens", err)
	}
	defer rows.Close()
	var out []desk.APIToken
	for rows.Next() {
		var t desk.APIToken
		if err := scanToken(rows, &t); err != nil {
			return nil, wrap("list api tokens", err)
		}
		out = append(out, t)
	}
	return out, wrap("list api tokens", rows.Err())
}

func (o ops) DeleteAPIToken(ctx context.Context, id int64) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM api_tokens WHERE id = ?`, id)
		return affected("delete api token", res, err)
	})
}

func (o ops) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, ms(at), id)
		return affected("touch api token", res, err)
	})
}

// Webhooks.

const webhookCols = `id, url, secret, events, active, created_at`

func scanWebhook(sc interface{ Scan(...any) error }, w *desk.Webhook) error {
	var events string
	var active int
	var created int64
	if err := sc.Scan(&w.ID, &w.URL, &w.Secret, &events, &active, &created); err != nil {
		return err
	}
	w.Active, w.CreatedAt = active != 0, fromMS(created)
	var err error
	w.Events, err = parseStrings(events)
	return err
}

func (o ops) CreateWebhook(ctx context.Context, w *desk.Webhook) error {
	w.CreatedAt = nowOr(w.CreatedAt)
	return o.write(ctx, func(q *txQuerier) error {
		err := q.QueryRowContext(ctx, `INSERT INTO webhooks(url, secret, events, active, created_at) VALUES (?,?,?,?,?) RETURNING id`,
			w.URL, w.Secret, labelsText(w.Events), boolInt(w.Active), ms(w.CreatedAt)).Scan(&w.ID)
		return wrap("create webhook", err)
	})
}

func (o ops) UpdateWebhook(ctx context.Context, w *desk.Webhook) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE webhooks SET url = ?, secret = ?, events = ?, active = ? WHERE id = ?`,
			w.URL, w.Secret, labelsText(w.Events), boolInt(w.Active), w.ID)
		return affected("update webhook", res, err)
	})
}

func (o ops) DeleteWebhook(ctx context.Context, id int64) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
		return affected("delete webhook", res, err)
	})
}

func (o ops) WebhookByID(ctx context.Context, id int64) (*desk.Webhook, error) {
	var w desk.Webhook
	if err := scanWebhook(o.read.QueryRowContext(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id = ?`, id), &w); err != nil {
		return nil, wrap("webhook by id", err)
	}
	return &w, nil
}

func (o ops) ListWebhooks(ctx context.Context) ([]desk.Webhook, error) {
	rows, err := o.read.QueryContext(ctx, `SELECT `+webhookCols+` FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, wrap("list webhooks", err)
	}
	defer rows.Close()
	var out []desk.Webhook
	for rows.Next() {
		var w desk.Webhook
		if err := scanWebhook(rows, &w); err != nil {
			return nil, wrap("list webhooks", err)
		}
		out = append(out, w)
	}
	return out, wrap("list webhooks", rows.Err())
}

// Outbox.

const outboxCols = `id, kind, target, payload, idempotency_key, state, attempts, next_attempt_at, last_error, created_at,
	done_at, lease`

func scanOutbox(sc interface{ Scan(...any) error }, it *desk.OutboxItem) error {
	var next, created, done int64
	err := sc.Scan(&it.ID, &it.Kind, &it.Target, &it.Payload, &it.IdempotencyKey, &it.State, &it.Attempts,
		&next, &it.LastError, &created, &done, &it.Lease)
	it.NextAttemptAt, it.CreatedAt, it.DoneAt = fromMS(next), fromMS(created), fromMS(done)
	return err
}

// EnqueueOutbox adds pending items. An item whose idempotency key is
// already queued is skipped and keeps ID 0.
func (o ops) EnqueueOutbox(ctx context.Context, items ...*desk.OutboxItem) error {
	now := nowOr(time.Time{})
	for _, it := range items {
		if it.CreatedAt.IsZero() {
			it.CreatedAt = now
		}
		if it.NextAttemptAt.IsZero() {
			it.NextAttemptAt = it.CreatedAt
		}
		it.State, it.Attempts, it.Lease = desk.OutboxPending, 0, 0
		if it.Payload == nil {
			it.Payload = []byte{}
		}
	}
	return o.write(ctx, func(q *txQuerier) error {
		for _, it := range items {
			res, err := q.ExecContext(ctx, `INSERT INTO outbox(kind, target, payload, idempotency_key, state, attempts,
				next_attempt_at, created_at) VALUES (?,?,?,?,?,0,?,?) ON CONFLICT DO NOTHING`,
				it.Kind, it.Target, it.Payload, it.IdempotencyKey, it.State, ms(it.NextAttemptAt), ms(it.CreatedAt))
			it.ID, err = insertedID("enqueue outbox", res, err)
			switch {
			case errors.Is(err, desk.ErrNotFound):
				it.ID = 0 // the key was seen before
			case err != nil:
				return err
			}
		}
		return nil
	})
}

// ClaimOutbox leases due items: their next attempt moves to leaseUntil, so
// nobody claims them again unless the lease runs out, the claim counts as an
// attempt, and the lease token moves on, which fences off the previous
// holder.
func (o ops) ClaimOutbox(ctx context.Context, now, leaseUntil time.Time, limit int) ([]desk.OutboxItem, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []desk.OutboxItem
	err := o.write(ctx, func(q *txQuerier) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, `SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id LIMIT ?`, ms(now), limit)
		if err != nil {
			return wrap("claim outbox", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return wrap("claim outbox", err)
			}
			ids = append(ids, id)
		}
		err = rows.Err()
		rows.Close()
		if err != nil || len(ids) == 0 {
			return wrap("claim outbox", err)
		}
		rows, err = q.QueryContext(ctx, `UPDATE outbox SET attempts = attempts + 1, lease = lease + 1, next_attempt_at = ?
			WHERE id IN (SELECT value FROM json_each(?)) RETURNING `+outboxCols, ms(leaseUntil), idsJSON(ids))
		if err != nil {
			return wrap("claim outbox", err)
		}
		defer rows.Close()
		byID := make(map[int64]desk.OutboxItem, len(ids))
		for rows.Next() {
			var it desk.OutboxItem
			if err := scanOutbox(rows, &it); err != nil {
				return wrap("claim outbox", err)
			}
			byID[it.ID] = it
		}
		if err := rows.Err(); err != nil {
			return wrap("claim outbox", err)
		}
		for _, id := range ids { // due order, which RETURNING does not keep
			out = append(out, byID[id])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return slices.Clip(out), nil
}

// CompleteOutbox marks a claimed item done while its lease holds.
func (o ops) CompleteOutbox(ctx context.Context, it *desk.OutboxItem, at time.Time) error {
	at = nowOr(at)
	err := o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE outbox SET state = 'done', done_at = ?, last_error = ''
			WHERE id = ? AND state = 'pending' AND lease = ?`, ms(at), it.ID, it.Lease)
		return fenced(ctx, q, "complete outbox", it.ID, res, err)
	})
	if err == nil {
		it.State, it.DoneAt, it.LastError = desk.OutboxDone, at, ""
	}
	return err
}

// RetryOutbox records a failed attempt of a claimed item while its lease
// holds.
func (o ops) RetryOutbox(ctx context.Context, it *desk.OutboxItem, errText string, next time.Time, giveUp bool) error {
	state := desk.OutboxPending
	if giveUp {
		state = desk.OutboxFailed
	}
	err := o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE outbox SET state = ?, last_error = ?, next_attempt_at = ?
			WHERE id = ? AND state = 'pending' AND lease = ?`, state, errText, ms(next), it.ID, it.Lease)
		return fenced(ctx, q, "retry outbox", it.ID, res, err)
	})
	if err == nil {
		it.State, it.LastError, it.NextAttemptAt = state, errText, fromMS(ms(next))
	}
	return err
}

// fenced checks the result of a lease-guarded outbox update: no row changed
// is ErrNotFound when the item is gone, else ErrConflict (the lease was
// lost: claimed again, or finished by another worker).
func fenced(ctx context.Context, q *txQuerier, op string, id int64, res sql.Result, err error) error {
	err = affected(op, res, err)
	if !errors.Is(err, desk.ErrNotFound) {
		return err
	}
	var one int
	if err := q.QueryRowContext(ctx, `SELECT 1 FROM outbox WHERE id = ?`, id).Scan(&one); err != nil {
		return wrap(op, err)
	}
	return fmt.Errorf("sqlite: %s %d: lease lost: %w", op, id, desk.ErrConflict)
}

func (o ops) PendingOutbox(ctx context.Context) (int, error) {
	return o.count(ctx, "pending outbox", `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`)
}

func (o ops) OutboxByID(ctx context.Context, id int64) (*desk.OutboxItem, error) {
	var it desk.OutboxItem
	if err := scanOutbox(o.read.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM outbox WHERE id = ?`, id), &it); err != nil {
		return nil, wrap("outbox by id", err)
	}
	return &it, nil
}

// Settings.

func (o ops) Setting(ctx context.Context, key string) (string, error) {
	var v string
	if err := o.read.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v); err != nil {
		return "", wrap("setting "+key, err)
	}
	return v, nil
}

func (o ops) SetSetting(ctx context.Context, key, value string) error {
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO settings(key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		return wrap("set setting", err)
	})
}
