package desk

import (
	"context"
	"time"
)

// The customer portal and case status: what a customer sees of their own
// conversations without an agent's account.

// StatusLink is a no-login status link to a conversation: whoever holds
// the token sees the case's plain steps and its public messages. A
// conversation may have several (each status notice carries one of its
// own, so that a link in an earlier message keeps working); revoking
// stops them all.
type StatusLink struct {
	// TokenHash is the SHA-256 (hex) of the link's token (unguessable,
	// URL-safe): the token itself is only in the messages and the answer
	// that handed it out, so a copy of the database opens no case.
	TokenHash      string
	ConversationID int64
	CreatedAt      time.Time
	ExpiresAt      time.Time
	RevokedAt      time.Time // zero while in force
}

// StatusLinkKeep is how long a status link stays stored after it expired
// or was revoked, before DeleteExpiredPortal removes it: long enough for
// a link that stopped working lately to still be looked up (by hash, or
// as the conversation's last link), short enough that a link per status
// notice does not pile up.
const StatusLinkKeep = 30 * 24 * time.Hour

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
	// CreateStatusLink adds a link to a conversation; its other links stay
	// as they are. A missing conversation is ErrNotFound, a hash seen
	// before ErrConflict, an empty hash ErrInvalid.
	CreateStatusLink(ctx context.Context, l *StatusLink) error
	// StatusLinkOf returns the conversation's newest link, live or not;
	// ErrNotFound when it has none.
	StatusLinkOf(ctx context.Context, conversationID int64) (*StatusLink, error)
	// StatusLinkByHash finds a link by its token's hash, live or not;
	// ErrNotFound when no link has it.
	StatusLinkByHash(ctx context.Context, hash string) (*StatusLink, error)
	// RevokeStatusLink sets RevokedAt of every link of the conversation
	// (keeping earlier revocations); ErrNotFound when it has none.
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
	// DeleteExpiredPortal removes expired magic links and sessions, and
	// status links expired or revoked StatusLinkKeep or longer before now,
	// except a conversation's newest link when revoked: it is what keeps
	// an agent's revocation in force (no new link is handed out after it).
	DeleteExpiredPortal(ctx context.Context, now time.Time) error

	// MarkStatusNotice records that the conversation's customer was told
	// of state (a short key such as "pending") and reports whether that
	// is news: false when state is what was recorded last, so that a
	// change is announced once even when every node sees its event.
	MarkStatusNotice(ctx context.Context, conversationID int64, state string, at time.Time) (bool, error)
}
