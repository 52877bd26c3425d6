package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Portal (desk.PortalStore): status links, magic links, customer sessions
// and status notices.

var (
	_ desk.PortalStore = (*Store)(nil)
	_ desk.PortalStore = (*txStore)(nil)
)

func (o ops) CreateStatusLink(ctx context.Context, l *desk.StatusLink) error {
	const op = "create status link"
	if l.TokenHash == "" {
		return fmt.Errorf("sqlite: %s: %w", op, desk.Invalid("token_hash", "a status link needs its token's hash"))
	}
	l.CreatedAt = nowOr(l.CreatedAt)
	l.ExpiresAt = l.ExpiresAt.UTC().Truncate(time.Millisecond)
	if !l.RevokedAt.IsZero() {
		l.RevokedAt = l.RevokedAt.UTC().Truncate(time.Millisecond)
	}
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO status_links(token_hash, conversation_id, created_at, expires_at, revoked_at)
			VALUES (?, ?, ?, ?, ?)`,
			l.TokenHash, l.ConversationID, ms(l.CreatedAt), ms(l.ExpiresAt), ms(l.RevokedAt))
		return wrap(op, err)
	})
}

const statusLinkCols = `token_hash, conversation_id, created_at, expires_at, revoked_at`

func scanStatusLink(sc rowScanner) (*desk.StatusLink, error) {
	var l desk.StatusLink
	var created, expires, revoked int64
	if err := sc.Scan(&l.TokenHash, &l.ConversationID, &created, &expires, &revoked); err != nil {
		return nil, err
	}
	l.CreatedAt, l.ExpiresAt, l.RevokedAt = fromMS(created), fromMS(expires), fromMS(revoked)
	return &l, nil
}

func (o ops) StatusLinkOf(ctx context.Context, conversationID int64) (*desk.StatusLink, error) {
	// Of links made at the same instant a live one (revoked_at 0) is the
	// newer: a link is revoked before its successor is made
	// (casestatus.Regenerate).
	l, err := scanStatusLink(o.read.QueryRowContext(ctx, `SELECT `+statusLinkCols+` FROM status_links
		WHERE conversation_id = ? ORDER BY created_at DESC, revoked_at ASC LIMIT 1`, conversationID))
	if err != nil {
		return nil, wrap("status link of conversation", err)
	}
	return l, nil
}

func (o ops) StatusLinkByHash(ctx context.Context, hash string) (*desk.StatusLink, error) {
	l, err := scanStatusLink(o.read.QueryRowContext(ctx,
		`SELECT `+statusLinkCols+` FROM status_links WHERE token_hash = ?`, hash))
	if err != nil {
		return nil, wrap("status link by hash", err)
	}
	return l, nil
}

func (o ops) RevokeStatusLink(ctx context.Context, conversationID int64, at time.Time) error {
	return o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `UPDATE status_links
			SET revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END
			WHERE conversation_id = ?`, ms(nowOr(at)), conversationID)
		return affected("revoke status link", res, err)
	})
}

func (o ops) CreateMagicLink(ctx context.Context, m *desk.MagicLink) error {
	m.CreatedAt = nowOr(m.CreatedAt)
	m.ExpiresAt = m.ExpiresAt.UTC().Truncate(time.Millisecond)
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO magic_links(token_hash, contact_id, created_at, expires_at)
			VALUES (?, ?, ?, ?)`, m.TokenHash, m.ContactID, ms(m.CreatedAt), ms(m.ExpiresAt))
		return wrap("create magic link", err)
	})
}

func (o ops) UseMagicLink(ctx context.Context, hash string, now time.Time) (*desk.MagicLink, error) {
	var m desk.MagicLink
	err := o.write(ctx, func(q *txQuerier) error {
		var created, expires, used int64
		err := q.QueryRowContext(ctx, `UPDATE magic_links SET used_at = ?
			WHERE token_hash = ? AND used_at = 0 AND expires_at > ?
			RETURNING token_hash, contact_id, created_at, expires_at, used_at`,
			ms(nowOr(now)), hash, ms(now)).Scan(&m.TokenHash, &m.ContactID, &created, &expires, &used)
		m.CreatedAt, m.ExpiresAt, m.UsedAt = fromMS(created), fromMS(expires), fromMS(used)
		return wrap("use magic link", err)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func (o ops) CreateCustomerSession(ctx context.Context, s *desk.CustomerSession) error {
	s.CreatedAt = nowOr(s.CreatedAt)
	s.ExpiresAt = s.ExpiresAt.UTC().Truncate(time.Millisecond)
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `INSERT INTO customer_sessions(id_hash, contact_id, created_at, expires_at)
			VALUES (?, ?, ?, ?)`, s.IDHash, s.ContactID, ms(s.CreatedAt), ms(s.ExpiresAt))
		return wrap("create customer session", err)
	})
}

func (o ops) CustomerSessionByHash(ctx context.Context, hash string, now time.Time) (*desk.CustomerSession, error) {
	var s desk.CustomerSession
	var created, expires int64
	err := o.read.QueryRowContext(ctx, `SELECT id_hash, contact_id, created_at, expires_at
		FROM customer_sessions WHERE id_hash = ? AND expires_at > ?`, hash, ms(now)).
		Scan(&s.IDHash, &s.ContactID, &created, &expires)
	if err != nil {
		return nil, wrap("customer session", err)
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return &s, nil
}

func (o ops) DeleteCustomerSession(ctx context.Context, hash string) error {
	return o.write(ctx, func(q *txQuerier) error {
		_, err := q.ExecContext(ctx, `DELETE FROM customer_sessions WHERE id_hash = ?`, hash)
		return wrap("delete customer session", err)
	})
}

// deleteDeadStatusLinksSQL removes the links that expired or were revoked
// at or before ?1, but not a revoked link that no other link of its
// conversation comes before in StatusLinkOf's order (newer, or made at the
// same instant and revoked earlier or not at all): while it is the
// conversation's newest, it keeps an agent's revocation in force.
const deleteDeadStatusLinksSQL = `DELETE FROM status_links
	WHERE (expires_at <= ?1 OR (revoked_at > 0 AND revoked_at <= ?1))
		AND NOT (revoked_at > 0 AND NOT EXISTS (SELECT 1 FROM status_links n
			WHERE n.conversation_id = status_links.conversation_id
				AND (n.created_at > status_links.created_at
					OR (n.created_at = status_links.created_at AND n.revoked_at < status_links.revoked_at))))`

func (o ops) DeleteExpiredPortal(ctx context.Context, now time.Time) error {
	return o.write(ctx, func(q *txQuerier) error {
		if _, err := q.ExecContext(ctx, `DELETE FROM magic_links WHERE expires_at <= ?`, ms(now)); err != nil {
			return wrap("delete expired magic links", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM customer_sessions WHERE expires_at <= ?`, ms(now)); err != nil {
			return wrap("delete expired customer sessions", err)
		}
		_, err := q.ExecContext(ctx, deleteDeadStatusLinksSQL, ms(now.Add(-desk.StatusLinkKeep)))
		return wrap("delete dead status links", err)
	})
}

func (o ops) MarkStatusNotice(ctx context.Context, conversationID int64, state string, at time.Time) (bool, error) {
	const op = "mark status notice"
	news := false
	err := o.write(ctx, func(q *txQuerier) error {
		res, err := q.ExecContext(ctx, `INSERT INTO status_notices(conversation_id, state, noticed_at) VALUES (?, ?, ?)
			ON CONFLICT(conversation_id) DO UPDATE SET state = excluded.state, noticed_at = excluded.noticed_at
			WHERE status_notices.state <> excluded.state`, conversationID, state, ms(nowOr(at)))
		if err != nil {
			return wrap(op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return wrap(op, err)
		}
		news = n > 0
		return nil
	})
	return news, err
}
