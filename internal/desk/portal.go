package desk

import (
	"context"
	"time"
)

// The customer portal and case status: what a customer sees of their own
// conversations without an agent's account.

// StatusLink is a conversation's no-login status link: whoever holds the
// token sees the case's plain steps and its public messages. There is at
// most one per conversation; regenerating replaces it.
type StatusLink struct {
	ConversationID int64
	// Token is the link's secret part (unguessable, URL-safe). It is kept
	// as is, not hashed, because status notices put it in every message.
	Token     string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time // zero while in force
}

// Live reports whether the link still opens its case at now.
func (l StatusLink) Live(now time.Time) bool {
	return l.RevokedAt.IsZero() && now.Before(l.ExpiresAt)
}

// MagicLink is a one-time login link for the portal, mailed to a
// customer's known address.
type MagicLink struct {
	// TokenHash is the SHA-256 (hex) of the link's token: the token itself
	// is only ever in the mail.
	TokenHash string
	ContactID int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until used
}

// CustomerSession is a customer's portal login, separate from agents'
// sessions.
type CustomerSession struct {
	// IDHash is the SHA-256 (hex) of the cookie's value.
	IDHash    string
	ContactID int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PortalStore keeps status links, magic links, customer sessions and which
// status notices were sent.
type PortalStore interface {
	// PutStatusLink creates the conversation's link or replaces it (token,
	// times, revocation). A missing conversation is ErrNotFound; a token
	// another conversation has is ErrConflict.
	PutStatusLink(ctx context.Context, l *StatusLink) error
	// StatusLinkOf returns the conversation's link, live or not;
	// ErrNotFound when it has none.
	StatusLinkOf(ctx context.Context, conversationID int64) (*StatusLink, error)
	// StatusLinkByToken finds a link, live or not; ErrNotFound when no
	// link has the token.
	StatusLinkByToken(ctx context.Context, token string) (*StatusLink, error)
	// RevokeStatusLink sets RevokedAt of the conversation's link (keeping
	// an earlier revocation); ErrNotFound when it has none.
	RevokeStatusLink(ctx context.Context, conversationID int64, at time.Time) error

	// CreateMagicLink stores a link; a hash seen before is ErrConflict, a
	// missing contact ErrNotFound.
	CreateMagicLink(ctx context.Context, m *MagicLink) error
	// UseMagicLink marks the link with hash used at now and returns it,
	// in one step: a link that is unknown, used or expired at now is
	// ErrNotFound, so that two clicks never both log in.
	UseMagicLink(ctx context.Context, hash string, now time.Time) (*MagicLink, error)

	// CreateCustomerSession stores a session; a missing contact is
	// ErrNotFound.
	CreateCustomerSession(ctx context.Context, s *CustomerSession) error
	// CustomerSessionByHash returns a session unexpired at now;
	// ErrNotFound otherwise.
	CustomerSessionByHash(ctx context.Context, hash string, now time.Time) (*CustomerSession, error)
	// DeleteCustomerSession ends a session; idempotent.
	DeleteCustomerSession(ctx context.Context, hash string) error
	// DeleteExpiredPortal removes expired magic links and sessions.
	DeleteExpiredPortal(ctx context.Context, now time.Time) error

	// MarkStatusNotice records that the conversation's customer was told
	// of state (a short key such as "pending") and reports whether that
	// is news: false when state is what was recorded last, so that a
	// change is announced once even when every node sees its event.
	MarkStatusNotice(ctx context.Context, conversationID int64, state string, at time.Time) (bool, error)
}
