package desk

import (
	"context"
	"time"
)

// Store is the storage contract. Each driver (store/sqlite, store/postgres)
// implements all of it and passes store/storetest. Services declare the
// smaller interfaces they need.
//
// Missing rows are ErrNotFound, unique violations ErrConflict; a method never
// returns a nil entity with a nil error.
type Store interface {
	AgentStore
	TeamStore
	InboxStore
	ContactStore
	ConversationStore
	MessageStore
	SessionStore
	WebhookStore
	OutboxStore
	SettingStore
	KBStore
	IntentExampleStore
	FlowStore
	BotSessionStore
	SavedReplyStore
	ContactVisitStore
	IdentityStore
	RoutingStore
	AnalyticsStore
	TopicStore
	CommerceStore
	FeedbackStore
	PortalStore
	PrivacyStore
	Transactor
	Close() error
}

// Transactor runs fn in one transaction: everything fn writes through tx is
// committed together, or nothing is when fn returns an error. Drivers may
// group several concurrent transactions into one commit (SQLite does); fn must
// therefore only talk to tx, and be short.
type Transactor interface {
	InTx(ctx context.Context, fn func(tx Store) error) error
}

// AgentStore keeps agents and their team memberships.
type AgentStore interface {
	CreateAgent(ctx context.Context, a *Agent) error // sets ID, CreatedAt
	UpdateAgent(ctx context.Context, a *Agent) error // name, role, locale, password, availability, disabled
	AgentByID(ctx context.Context, id int64) (*Agent, error)
	AgentByEmail(ctx context.Context, email string) (*Agent, error) // case-insensitive
	ListAgents(ctx context.Context) ([]Agent, error)                // by name
	SetAgentTeams(ctx context.Context, agentID int64, teamIDs []int64) error
}

// TeamStore keeps teams.
type TeamStore interface {
	CreateTeam(ctx context.Context, t *Team) error
	UpdateTeam(ctx context.Context, t *Team) error
	DeleteTeam(ctx context.Context, id int64) error // conversations keep no team
	TeamByID(ctx context.Context, id int64) (*Team, error)
	ListTeams(ctx context.Context) ([]Team, error) // by name
	TeamMembers(ctx context.Context, teamID int64) ([]Agent, error)
	// SetTeamMembers makes exactly agentIDs the team's members, in one
	// transaction. A missing team is ErrNotFound; an unknown agent id is
	// ErrInvalid, and then nothing is written.
	SetTeamMembers(ctx context.Context, teamID int64, agentIDs []int64) error
}

// InboxStore keeps inboxes.
type InboxStore interface {
	CreateInbox(ctx context.Context, in *Inbox) error
	UpdateInbox(ctx context.Context, in *Inbox) error
	InboxByID(ctx context.Context, id int64) (*Inbox, error)
	InboxByKey(ctx context.Context, publicKey string) (*Inbox, error)
	ListInboxes(ctx context.Context) ([]Inbox, error)
}

// ContactStore keeps customers and their identities.
type ContactStore interface {
	CreateContact(ctx context.Context, c *Contact) error
	UpdateContact(ctx context.Context, c *Contact) error
	ContactByID(ctx context.Context, id int64) (*Contact, error) // with Identities
	// ContactByIdentity finds the contact owning (kind, value).
	ContactByIdentity(ctx context.Context, kind IdentityKind, value string) (*Contact, error)
	// AddIdentity links an identity; ErrConflict when it belongs to another
	// contact. Adding, verified, one the contact already has unverified
	// marks it verified.
	AddIdentity(ctx context.Context, id *Identity) error
	// DeleteIdentity unlinks an identity from its contact for good (a
	// widget's visitor token after the customer signed out); the contact,
	// its conversations and other identities stay. The identity also
	// leaves the merge records an undo could act on. ErrNotFound when the
	// contact does not own that identity.
	DeleteIdentity(ctx context.Context, contactID, identityID int64) error
	ListContacts(ctx context.Context, q ContactQuery) ([]Contact, error)
}

// ContactQuery filters contacts. Search matches name, email and phone.
type ContactQuery struct {
	Search string
	Limit  int
	Offset int
}

// ConversationStore keeps conversations.
type ConversationStore interface {
	CreateConversation(ctx context.Context, c *Conversation) error
	// UpdateConversation writes subject, status, priority, assignee, team,
	// labels, snooze time, activity fields, resolved time, category (with
	// its source) and language.
	UpdateConversation(ctx context.Context, c *Conversation) error
	ConversationByID(ctx context.Context, id int64) (*Conversation, error)
	// OpenConversationFor returns the newest conversation of the contact in
	// the inbox that is not resolved.
	OpenConversationFor(ctx context.Context, inboxID, contactID int64) (*Conversation, error)
	ListConversations(ctx context.Context, q ConversationQuery) (ConversationPage, error)
	// ConversationsOfContact lists every conversation of a contact, newest first.
	ConversationsOfContact(ctx context.Context, contactID int64, limit int) ([]Conversation, error)
	// SearchConversations finds conversations by message text (stemmed, nl
	// and en), contact name, email and phone, and order-like numbers.
	SearchConversations(ctx context.Context, q SearchQuery) ([]SearchHit, error)
	// WakeSnoozed reopens snoozed conversations whose time has come and
	// returns them.
	WakeSnoozed(ctx context.Context, now time.Time) ([]Conversation, error)
	CountConversations(ctx context.Context, q ConversationQuery) (int, error)
}

// View is the agent's perspective on the inbox.
type View string

const (
	ViewAll        View = "all"
	ViewMine       View = "mine"
	ViewUnassigned View = "unassigned"
	ViewMyTeams    View = "teams"
)

// ConversationQuery filters and pages the conversation list. Results are
// ordered by LastActivityAt then ID, newest first. Pagination is by cursor:
// pass the previous page's Next as After.
type ConversationQuery struct {
	View    View
	AgentID int64   // for ViewMine and ViewMyTeams
	TeamIDs []int64 // for ViewMyTeams: the agent's teams
	Status  Status  // empty: any status
	Channel ChannelKind
	InboxID int64
	TeamID  int64
	Label   string
	// Category limits to one category key.
	Category string
	// ContactID limits to one customer.
	ContactID int64
	// SLAStates limits to conversations in one of these SLA states
	// (running, warning, breached; anything else is ErrInvalid); empty:
	// any. Resolved conversations keep a breach on record, so the at-risk
	// view combines it with a status.
	SLAStates []SLAState
	Limit     int // default 50, at most 200
	After     *Cursor
	// WithContact fills Conversation.Contact.
	WithContact bool
}

// Cursor marks a position in the conversation list.
type Cursor struct {
	At time.Time
	ID int64
}

// ConversationPage is one page of conversations.
type ConversationPage struct {
	Items []Conversation
	Next  *Cursor // nil on the last page
}

// SearchQuery is a conversation search.
type SearchQuery struct {
	Text  string
	Limit int // default 20, at most 100
}

// SearchHit is one conversation found, with the message that matched (if any).
type SearchHit struct {
	Conversation Conversation
	MessageID    int64  // 0 when the match was on the contact
	Snippet      string // plain text around the match
}

// MessageStore keeps messages and their attachments.
type MessageStore interface {
	// CreateMessage stores a message and its attachments (setting their IDs).
	// A message with an ExternalID already stored in the same conversation's
	// inbox is ErrConflict.
	CreateMessage(ctx context.Context, m *Message) error
	MessageByID(ctx context.Context, id int64) (*Message, error)
	// MessageByExternalID finds an ingested message by provider id in an inbox.
	MessageByExternalID(ctx context.Context, inboxID int64, externalID string) (*Message, error)
	// ListMessages returns a conversation's messages oldest first, with
	// attachments and sender names. AfterID > 0 returns only newer ones.
	ListMessages(ctx context.Context, conversationID int64, afterID int64, limit int) ([]Message, error)
	SetDelivery(ctx context.Context, messageID int64, d Delivery, errText string) error
	// SetExternalID records the provider's id of a message balie sent, so
	// that the provider's delivery and read receipts find it. It sets the
	// id only when the message has none; an id another message of the
	// inbox has is ErrConflict; a missing message ErrNotFound.
	SetExternalID(ctx context.Context, messageID int64, externalID string) error
	AttachmentByID(ctx context.Context, id int64) (*Attachment, error)
	// AttachmentsOfContact lists the files of a contact's messages on every
	// channel, newest first (then highest id), at most limit.
	AttachmentsOfContact(ctx context.Context, contactID int64, limit int) ([]ContactFile, error)
	// OutboundFor reads what sending a message takes, in one round trip:
	// the message (with attachments), its conversation, inbox and contact
	// (with identities). IdempotencyKey is left empty. A missing message is
	// ErrNotFound.
	OutboundFor(ctx context.Context, messageID int64) (*Outbound, error)
}

// SessionStore keeps browser sessions and API tokens.
type SessionStore interface {
	CreateSession(ctx context.Context, s *Session) error
	SessionByID(ctx context.Context, id string) (*Session, error) // ErrNotFound when expired
	DeleteSession(ctx context.Context, id string) error
	// TouchSession moves an unexpired session's expiry; ErrNotFound when it
	// is gone or expired.
	TouchSession(ctx context.Context, id string, expiresAt time.Time) error
	// DeleteAgentSessions ends every session of the agent except exceptID
	// ("" ends them all), e.g. after a password change. Idempotent.
	DeleteAgentSessions(ctx context.Context, agentID int64, exceptID string) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error
	CreateAPIToken(ctx context.Context, t *APIToken) error
	APITokenByHash(ctx context.Context, hash string) (*APIToken, error)
	ListAPITokens(ctx context.Context, agentID int64) ([]APIToken, error)
	DeleteAPIToken(ctx context.Context, id int64) error
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
}

// WebhookStore keeps outgoing webhook subscriptions.
type WebhookStore interface {
	CreateWebhook(ctx context.Context, w *Webhook) error
	UpdateWebhook(ctx context.Context, w *Webhook) error
	DeleteWebhook(ctx context.Context, id int64) error
	WebhookByID(ctx context.Context, id int64) (*Webhook, error)
	ListWebhooks(ctx context.Context) ([]Webhook, error)
}

// OutboxStore is the queue of outbound sends.
type OutboxStore interface {
	// EnqueueOutbox adds items; an IdempotencyKey seen before is skipped.
	EnqueueOutbox(ctx context.Context, items ...*OutboxItem) error
	// ClaimOutbox leases up to limit due pending items until leaseUntil, so
	// that no other worker (on any node) takes them meanwhile. Each claim
	// gives the item a new Lease token.
	ClaimOutbox(ctx context.Context, now, leaseUntil time.Time, limit int) ([]OutboxItem, error)
	// CompleteOutbox marks a claimed item done and sets its State and
	// DoneAt. It acts only while it.Lease is still the item's lease and the
	// item is pending: a worker whose lease ran out and was claimed by
	// another gets ErrConflict and must leave the item alone. A missing
	// item is ErrNotFound.
	CompleteOutbox(ctx context.Context, it *OutboxItem, at time.Time) error
	// RetryOutbox records a failed attempt of a claimed item, fenced by
	// it.Lease like CompleteOutbox: state becomes OutboxFailed when giveUp,
	// else the item is due again at next. It sets State, LastError and
	// NextAttemptAt on it.
	RetryOutbox(ctx context.Context, it *OutboxItem, errText string, next time.Time, giveUp bool) error
	// PendingOutbox counts items not yet done or failed.
	PendingOutbox(ctx context.Context) (int, error)
	OutboxByID(ctx context.Context, id int64) (*OutboxItem, error)
}

// SettingStore keeps small named configuration values (JSON text).
type SettingStore interface {
	Setting(ctx context.Context, key string) (string, error) // ErrNotFound when unset
	SetSetting(ctx context.Context, key, value string) error
}
