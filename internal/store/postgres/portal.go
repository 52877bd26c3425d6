package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/balie-dev/balie/internal/desk"
)

// Portal (desk.PortalStore): status links, magic links, customer sessions
// and status notices.

var _ desk.PortalStore = (*Store)(nil)

func (s *Store) CreateStatusLink(ctx context.Context, l *desk.StatusLink) error {
	const op = "create status link"
	if l.TokenHash == "" {
		return wrap(op, desk.Invalid("token_hash", "a status link needs its token's hash"))
	}
	l.CreatedAt, l.ExpiresAt = orNow(l.CreatedAt), ts(l.ExpiresAt)
	if !l.RevokedAt.IsZero() {
		l.RevokedAt = ts(l.RevokedAt)
	}
	_, err := s.q.Exec(ctx, `INSERT INTO status_links (token_hash, conversation_id, created_at, expires_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5)`,
		l.TokenHash, l.ConversationID, l.CreatedAt, l.ExpiresAt, nullTime(l.RevokedAt))
	return wrap(op, err)
}

const statusLinkColumns = `token_hash, conversation_id, created_at, expires_at, revoked_at`

func scanStatusLink(row pgx.Row) (*desk.StatusLink, error) {
	var l desk.StatusLink
	var revoked *time.Time
	if err := row.Scan(&l.TokenHash, &l.ConversationID, &l.CreatedAt, &l.ExpiresAt, &revoked); err != nil {
		return nil, err
	}
	l.CreatedAt, l.ExpiresAt, l.RevokedAt = l.CreatedAt.UTC(), l.ExpiresAt.UTC(), timeOf(revoked)
	return &l, nil
}

func (s *Store) StatusLinkOf(ctx context.Context, conversationID int64) (*desk.StatusLink, error) {
	// Of links made at the same instant a live one is the newer: a link
	// is revoked before its successor is made (casestatus.Regenerate).
	l, err := scanStatusLink(s.q.QueryRow(ctx, `SELECT `+statusLinkColumns+` FROM status_links
		WHERE conversation_id = $1 ORDER BY created_at DESC, revoked_at DESC NULLS FIRST LIMIT 1`, conversationID))
	if err != nil {
		return nil, wrap("status link of conversation", err)
	}
	return l, nil
}

func (s *Store) StatusLinkByHash(ctx context.Context, hash string) (*desk.StatusLink, error) {
	l, err := scanStatusLink(s.q.QueryRow(ctx,
		`SELECT `+statusLinkColumns+` FROM status_links WHERE token_hash = $1`, hash))
	if err != nil {
		return nil, wrap("status link by hash", err)
	}
	return l, nil
}

func (s *Store) RevokeStatusLink(ctx context.Context, conversationID int64, at time.Time) error {
	return wrap("revoke status link", affected(s.q.Exec(ctx, `UPDATE status_links
		SET revoked_at = COALESCE(revoked_at, $2) WHERE conversation_id = $1`, conversationID, orNow(at))))
}

func (s *Store) CreateMagicLink(ctx context.Context, m *desk.MagicLink) error {
	m.CreatedAt, m.ExpiresAt = orNow(m.CreatedAt), ts(m.ExpiresAt)
	_, err := s.q.Exec(ctx, `INSERT INTO magic_links (token_hash, contact_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4)`, m.TokenHash, m.ContactID, m.CreatedAt, m.ExpiresAt)
	return wrap("create magic link", err)
}

func (s *Store) UseMagicLink(ctx context.Context, hash string, now time.Time) (*desk.MagicLink, error) {
	var m desk.MagicLink
	var used *time.Time
	err := s.q.QueryRow(ctx, `UPDATE magic_links SET used_at = $3
		WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
		RETURNING token_hash, contact_id, created_at, expires_at, used_at`, hash, ts(now), orNow(now)).
		Scan(&m.TokenHash, &m.ContactID, &m.CreatedAt, &m.ExpiresAt, &used)
	if err != nil {
		return nil, wrap("use magic link", err)
	}
	m.CreatedAt, m.ExpiresAt, m.UsedAt = m.CreatedAt.UTC(), m.ExpiresAt.UTC(), timeOf(used)
	return &m, nil
}

func (s *Store) CreateCustomerSession(ctx context.Context, cs *desk.CustomerSession) error {
	cs.CreatedAt, cs.ExpiresAt = orNow(cs.CreatedAt), ts(cs.ExpiresAt)
	_, err := s.q.Exec(ctx, `INSERT INTO customer_sessions (id_hash, contact_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4)`, cs.IDHash, cs.ContactID, cs.CreatedAt, cs.ExpiresAt)
	return wrap("create customer session", err)
}

func (s *Store) CustomerSessionByHash(ctx context.Context, hash string, now time.Time) (*desk.CustomerSession, error) {
	var cs desk.CustomerSession
	err := s.q.QueryRow(ctx, `SELECT id_hash, contact_id, created_at, expires_at
		FROM customer_sessions WHERE id_hash = $1 AND expires_at > $2`, hash, ts(now)).
		Scan(&cs.IDHash, &cs.ContactID, &cs.CreatedAt, &cs.ExpiresAt)
	if err != nil {
		return nil, wrap("customer session", err)
	}
	cs.CreatedAt, cs.ExpiresAt = cs.CreatedAt.UTC(), cs.ExpiresAt.UTC()
	return &cs, nil
}

func (s *Store) DeleteCustomerSession(ctx context.Context, hash string) error {
	_, err := s.q.Exec(ctx, `DELETE FROM customer_sessions WHERE id_hash = $1`, hash)
	return wrap("delete customer session", err)
}

// deleteDeadStatusLinksSQL removes the links that expired or were revoked
// at or before $1, but not a revoked link that no other link of its
// conversation comes before in StatusLinkOf's order (newer, or made at the
// same instant and not revoked or revoked later): while it is the
// conversation's newest, it keeps an agent's revocation in force.
const deleteDeadStatusLinksSQL = `DELETE FROM status_links l
	WHERE (l.expires_at <= $1 OR l.revoked_at <= $1)
		AND NOT (l.revoked_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM status_links n
			WHERE n.conversation_id = l.conversation_id
				AND (n.created_at > l.created_at
					OR (n.created_at = l.created_at AND (n.revoked_at IS NULL OR n.revoked_at > l.revoked_at)))))`

func (s *Store) DeleteExpiredPortal(ctx context.Context, now time.Time) error {
	if _, err := s.q.Exec(ctx, `DELETE FROM magic_links WHERE expires_at <= $1`, ts(now)); err != nil {
		return wrap("delete expired magic links", err)
	}
	if _, err := s.q.Exec(ctx, `DELETE FROM customer_sessions WHERE expires_at <= $1`, ts(now)); err != nil {
		return wrap("delete expired customer sessions", err)
	}
	_, err := s.q.Exec(ctx, deleteDeadStatusLinksSQL, ts(now.Add(-desk.StatusLinkKeep)))
	return wrap("delete dead status links", err)
}

func (s *Store) MarkStatusNotice(ctx context.Context, conversationID int64, state string, at time.Time) (bool, error) {
	tag, err := s.q.Exec(ctx, `INSERT INTO status_notices (conversation_id, state, noticed_at) VALUES ($1, $2, $3)
		ON CONFLICT (conversation_id) DO UPDATE SET state = excluded.state, noticed_at = excluded.noticed_at
		WHERE status_notices.state <> excluded.state`, conversationID, state, orNow(at))
	if err != nil {
		return false, wrap("mark status notice", err)
	}
	return tag.RowsAffected() > 0, nil
}
