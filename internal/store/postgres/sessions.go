package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// CreateSession stores a browser session; CreatedAt is set when zero.
func (s *Store) CreateSession(ctx context.Context, se *desk.Session) error {
	se.CreatedAt = orNow(se.CreatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		_, err := s.q.Exec(ctx, `INSERT INTO sessions (id, agent_id, csrf_token, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, se.ID, se.AgentID, se.CSRFToken, se.CreatedAt, ts(se.ExpiresAt))
		return err
	})
	return wrap("create session", err)
}

// SessionByID returns a session that has not expired; an expired one is
// ErrNotFound.
func (s *Store) SessionByID(ctx context.Context, id string) (*desk.Session, error) {
	var se desk.Session
	err := s.q.QueryRow(ctx, `SELECT id, agent_id, csrf_token, created_at, expires_at FROM sessions
		WHERE id = $1 AND expires_at > $2`, id, time.Now()).
		Scan(&se.ID, &se.AgentID, &se.CSRFToken, &se.CreatedAt, &se.ExpiresAt)
	if err != nil {
		return nil, wrap("session by id", err)
	}
	return &se, nil
}

// DeleteSession removes a session; a missing one is no error (logging out
// twice is fine).
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.q.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return wrap("delete session", err)
}

// TouchSession moves the expiry of a session that has not expired yet.
func (s *Store) TouchSession(ctx context.Context, id string, expiresAt time.Time) error {
	err := affected(s.q.Exec(ctx, `UPDATE sessions SET expires_at = $2 WHERE id = $1 AND expires_at > $3`,
		id, ts(expiresAt), time.Now()))
	return wrap("touch session", err)
}

// DeleteAgentSessions ends the agent's sessions but exceptID.
func (s *Store) DeleteAgentSessions(ctx context.Context, agentID int64, exceptID string) error {
	_, err := s.q.Exec(ctx, `DELETE FROM sessions WHERE agent_id = $1 AND id <> $2`, agentID, exceptID)
	return wrap("delete agent sessions", err)
}

// DeleteExpiredSessions removes sessions expired at now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	_, err := s.q.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, ts(now))
	return wrap("delete expired sessions", err)
}

const apiTokenColumns = `id, agent_id, name, hash, prefix, created_at, last_used_at`

func scanAPIToken(row pgx.Row) (desk.APIToken, error) {
	var t desk.APIToken
	var used *time.Time
	err := row.Scan(&t.ID, &t.AgentID, &t.Name, &t.Hash, &t.Prefix, &t.CreatedAt, &used)
	t.LastUsedAt = timeOf(used)
	return t, err
}

// CreateAPIToken stores a token and sets ID and CreatedAt; a hash in use is
// ErrConflict.
func (s *Store) CreateAPIToken(ctx context.Context, t *desk.APIToken) error {
	t.CreatedAt = orNow(t.CreatedAt)
	err := s.guarded(ctx, func(s *Store) error {
		return s.q.QueryRow(ctx, `INSERT INTO api_tokens (agent_id, name, hash, prefix, created_at, last_used_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			t.AgentID, t.Name, t.Hash, t.Prefix, t.CreatedAt, nullTime(t.LastUsedAt)).Scan(&t.ID)
	})
	return wrap("create api token", err)
}

// APITokenByHash finds a token by the hash of its value.
func (s *Store) APITokenByHash(ctx context.Context, hash string) (*desk.APIToken, error) {
	t, err := scanAPIToken(s.q.QueryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE hash = $1`, hash))
	if err != nil {
		return nil, wrap("api token by hash", err)
	}
	return &t, nil
}

// ListAPITokens returns an agent's tokens by id.
func (s *Store) ListAPITokens(ctx context.Context, agentID int64) ([]desk.APIToken, error) {
	rows, err := s.q.Query(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE agent_id = $1 ORDER BY id`, agentID)
	if err != nil {
		return nil, wrap("list api tokens", err)
	}
	defer rows.Close()
	var out []desk.APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, wrap("list api tokens", err)
		}
		out = append(out, t)
	}
	return out, wrap("list api tokens", rows.Err())
}

// DeleteAPIToken removes a token.
func (s *Store) DeleteAPIToken(ctx context.Context, id int64) error {
	return wrap("delete api token", affected(s.q.Exec(ctx, `DELETE FROM api_tokens WHERE id = $1`, id)))
}

// TouchAPIToken records when a token was last used.
func (s *Store) TouchAPIToken(ctx context.Context, id int64, at time.Time) error {
	err := affected(s.q.Exec(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, ts(at)))
	return wrap("touch api token", err)
}
