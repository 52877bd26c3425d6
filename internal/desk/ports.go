package desk

import (
	"context"
	"io"
	"net/http"
	"time"
)

// Clock tells the time; tests pass a fixed one.
type Clock interface{ Now() time.Time }

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// Event types published on the bus and sent to webhooks.
const (
	EventMessageCreated       = "message.created"
	EventMessageUpdated       = "message.updated" // delivery state changed
	EventConversationCreated  = "conversation.created"
	EventConversationUpdated  = "conversation.updated" // status, priority, labels
	EventConversationAssigned = "conversation.assigned"
	EventTyping               = "typing" // ephemeral; never sent to webhooks
	// EventPresence: an agent views or answers a conversation, or left it
	// (AgentID, AgentName, Presence, Node). Ephemeral; never sent to
	// webhooks.
	EventPresence = "agent.presence"
	// EventAgentChanged: an agent's role, status, availability, password,
	// teams, skills or capacity changed (AgentID). Every node drops what
	// it cached of them and routing reads the agents again. Internal:
	// never sent to webhooks or browsers.
	EventAgentChanged = "agent.changed"
	// EventArticleChanged: an article was created, changed, deleted or
	// learned from a search (ArticleID). Every node's search index follows.
	EventArticleChanged = "article.changed"
	// EventKBSettingsChanged: synonyms or other search settings changed.
	EventKBSettingsChanged = "kb.settings.changed"
	// EventVisitorSignedOut: a widget visitor signed out (VisitorKey).
	// Every node closes the sockets opened with that key. Internal: never
	// sent to webhooks or browsers.
	EventVisitorSignedOut = "visitor.signed_out"
)

// Event is a domain event. Realtime delivery, webhooks, analytics and the bot
// subscribe to them.
type Event struct {
	Type           string
	ConversationID int64
	ContactID      int64
	InboxID        int64
	Message        *Message      // for message events
	Conversation   *Conversation // the conversation after the change
	// Typing events: who is typing and whether they started or stopped.
	TypingSender Sender
	TypingName   string
	Typing       bool
	// ArticleID is the article of article events.
	ArticleID int64
	// Presence events: the agent, what they do ("viewing", "replying",
	// "left") and the node that saw it.
	AgentID   int64
	AgentName string
	Presence  string
	Node      string
	At        time.Time
	// VisitorKey is the widget visitor of visitor events: the key the
	// realtime hub files their sockets by (the token's hash, never the
	// token).
	VisitorKey string
}

// Bus publishes events to subscribers. The in-process bus delivers to every
// subscriber of this process; a networked bus (NATS) to every node.
type Bus interface {
	Publish(ctx context.Context, e Event)
	// Subscribe calls fn for every event until the returned cancel is
	// called. fn must not block for long: slow subscribers lose events
	// rather than hold up the publisher.
	Subscribe(fn func(Event)) (cancel func())
}

// Blob stores attachment bytes under opaque keys.
type Blob interface {
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	Open(ctx context.Context, key string) (io.ReadCloser, error) // ErrNotFound when missing
	Delete(ctx context.Context, key string) error
}

// Inbound is a customer message as a channel adapter hands it over.
type Inbound struct {
	InboxID    int64
	ExternalID string // provider's message id; empty when the channel has none
	// From identifies the sender on the channel.
	From        Identity
	FromName    string
	FromEmail   string // extra identities the channel knows
	FromPhone   string
	Subject     string
	Body        string
	Attachments []InboundAttachment
	// Meta is stored on the message as desk.Message.Meta.
	Meta map[string]string
	// ContactID, when set, is the sender (the API knows it); From is then
	// optional.
	ContactID int64
	// ConversationID, when set, adds to that conversation (web chat knows it).
	ConversationID int64
	// NewConversation opens a new conversation even when the contact has an
	// open one in the inbox.
	NewConversation bool
	At              time.Time
}

// InboundAttachment is an attachment already stored in the blob store.
type InboundAttachment struct {
	Name        string
	ContentType string
	Size        int64
	BlobKey     string
	ThumbKey    string
	Width       int
	Height      int
}

// Outbound is a message to send to a customer on a channel.
type Outbound struct {
	Inbox        Inbox
	Conversation Conversation
	Contact      Contact
	Message      Message
	// IdempotencyKey is stable across retries of the same send.
	IdempotencyKey string
}

// Channel is what every channel adapter implements.
type Channel interface {
	Kind() ChannelKind
	// Send delivers an outbound message and returns the provider's id.
	// A temporary failure is returned as an error wrapping ErrTemporary.
	Send(ctx context.Context, out Outbound) (providerID string, err error)
}

// WebhookChannel is a channel that receives provider webhooks, mounted at
// /hooks/<kind>/<inbox key>.
type WebhookChannel interface {
	Channel
	Webhook(inbox Inbox) http.Handler
}

// ErrTemporary marks an error worth retrying later (timeouts, HTTP 429/5xx).
var ErrTemporary = temporary{}

type temporary struct{}

func (temporary) Error() string { return "temporary failure" }
