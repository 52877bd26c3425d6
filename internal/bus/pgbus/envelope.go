package pgbus

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// The envelope is pgbus's own JSON shape of a desk.Event. It mirrors desk's
// fields one for one rather than reusing package wire, whose shapes are for
// the outside world and leave things out (blob keys, visitor identities).
// Between nodes every field must survive. Slices, maps and pointers are never
// omitempty, so nil and empty stay apart. Decoding ignores unknown fields, so
// a node one version ahead can add a field during a rolling upgrade.
type envelope struct {
	Type           string        `json:"type"`
	ConversationID int64         `json:"conversation_id"`
	ContactID      int64         `json:"contact_id"`
	InboxID        int64         `json:"inbox_id"`
	Message        *message      `json:"message"`
	Conversation   *conversation `json:"conversation"`
	TypingSender   string        `json:"typing_sender"`
	TypingName     string        `json:"typing_name"`
	Typing         bool          `json:"typing"`
	ArticleID      int64         `json:"article_id"`
	AgentID        int64         `json:"agent_id"`
	AgentName      string        `json:"agent_name"`
	Presence       string        `json:"presence"`
	Node           string        `json:"node"`
	At             time.Time     `json:"at"`
	VisitorKey     string        `json:"visitor_key"`
}

type message struct {
	ID             int64             `json:"id"`
	ConversationID int64             `json:"conversation_id"`
	Kind           string            `json:"kind"`
	Sender         string            `json:"sender"`
	SenderID       int64             `json:"sender_id"`
	SenderName     string            `json:"sender_name"`
	Body           string            `json:"body"`
	ExternalID     string            `json:"external_id"`
	Delivery       string            `json:"delivery"`
	Error          string            `json:"error"`
	Attachments    []attachment      `json:"attachments"`
	Activity       []activity        `json:"activity"`
	Meta           map[string]string `json:"meta"`
	CreatedAt      time.Time         `json:"created_at"`
}

// activity keeps nil and empty Args apart: JSON null and [] decode back to
// what was encoded.
type activity struct {
	Key  string   `json:"key"`
	Args []string `json:"args"`
}

type attachment struct {
	ID          int64     `json:"id"`
	MessageID   int64     `json:"message_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	BlobKey     string    `json:"blob_key"`
	ThumbKey    string    `json:"thumb_key"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	CreatedAt   time.Time `json:"created_at"`
}

type conversation struct {
	ID             int64     `json:"id"`
	InboxID        int64     `json:"inbox_id"`
	Channel        string    `json:"channel"`
	ContactID      int64     `json:"contact_id"`
	Subject        string    `json:"subject"`
	Status         string    `json:"status"`
	Priority       string    `json:"priority"`
	AssigneeID     int64     `json:"assignee_id"`
	TeamID         int64     `json:"team_id"`
	Labels         []string  `json:"labels"`
	SnoozedUntil   time.Time `json:"snoozed_until"`
	LastActivityAt time.Time `json:"last_activity_at"`
	LastMessage    string    `json:"last_message"`
	WaitingSince   time.Time `json:"waiting_since"`
	Category       string    `json:"category"`
	CategoryBy     string    `json:"category_by"`
	Language       string    `json:"language"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
	ResolvedAt     time.Time `json:"resolved_at"`
	FirstReplyAt   time.Time `json:"first_reply_at"`
	HandedOverAt   time.Time `json:"handed_over_at"`
	Reopens        int       `json:"reopens"`
	SLAPolicyID    int64     `json:"sla_policy_id"`
	SLADueAt       time.Time `json:"sla_due_at"`
	SLAState       string    `json:"sla_state"`
	Contact        *contact  `json:"contact"`
}

type contact struct {
	ID         int64             `json:"id"`
	Name       string            `json:"name"`
	Email      string            `json:"email"`
	Phone      string            `json:"phone"`
	Locale     string            `json:"locale"`
	Attributes map[string]string `json:"attributes"`
	OwnerID    int64             `json:"owner_id"`
	Identities []identity        `json:"identities"`
	CreatedAt  time.Time         `json:"created_at"`
	UpdatedAt  time.Time         `json:"updated_at"`
}

type identity struct {
	ID        int64     `json:"id"`
	ContactID int64     `json:"contact_id"`
	Kind      string    `json:"kind"`
	Value     string    `json:"value"`
	Verified  bool      `json:"verified"`
	CreatedAt time.Time `json:"created_at"`
}

// encode turns e into the JSON sent between nodes.
func encode(e desk.Event) ([]byte, error) {
	env := envelope{
		Type: e.Type, ConversationID: e.ConversationID, ContactID: e.ContactID, InboxID: e.InboxID,
		Message: fromMessage(e.Message), Conversation: fromConversation(e.Conversation),
		TypingSender: string(e.TypingSender), TypingName: e.TypingName, Typing: e.Typing, ArticleID: e.ArticleID,
		AgentID: e.AgentID, AgentName: e.AgentName, Presence: e.Presence, Node: e.Node, At: e.At,
		VisitorKey: e.VisitorKey,
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("pgbus: encode %s: %w", e.Type, err)
	}
	return b, nil
}

// decode is the inverse of encode.
func decode(b []byte) (desk.Event, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return desk.Event{}, fmt.Errorf("pgbus: decode: %w", err)
	}
	return desk.Event{
		Type: env.Type, ConversationID: env.ConversationID, ContactID: env.ContactID, InboxID: env.InboxID,
		Message: env.Message.toDesk(), Conversation: env.Conversation.toDesk(),
		TypingSender: desk.Sender(env.TypingSender), TypingName: env.TypingName, Typing: env.Typing, ArticleID: env.ArticleID,
		AgentID: env.AgentID, AgentName: env.AgentName, Presence: env.Presence, Node: env.Node, At: env.At,
		VisitorKey: env.VisitorKey,
	}, nil
}

func fromMessage(m *desk.Message) *message {
	if m == nil {
		return nil
	}
	out := &message{
		ID: m.ID, ConversationID: m.ConversationID, Kind: string(m.Kind), Sender: string(m.Sender),
		SenderID: m.SenderID, SenderName: m.SenderName, Body: m.Body, ExternalID: m.ExternalID,
		Delivery: string(m.Delivery), Error: m.Error, Meta: m.Meta, CreatedAt: m.CreatedAt,
	}
	if m.Attachments != nil {
		out.Attachments = make([]attachment, len(m.Attachments))
		for i, a := range m.Attachments {
			out.Attachments[i] = attachment{
				ID: a.ID, MessageID: a.MessageID, Name: a.Name, ContentType: a.ContentType, Size: a.Size,
				BlobKey: a.BlobKey, ThumbKey: a.ThumbKey, Width: a.Width, Height: a.Height, CreatedAt: a.CreatedAt,
			}
		}
	}
	if m.Activity != nil {
		out.Activity = make([]activity, len(m.Activity))
		for i, a := range m.Activity {
			out.Activity[i] = activity{Key: a.Key, Args: a.Args}
		}
	}
	return out
}

func (m *message) toDesk() *desk.Message {
	if m == nil {
		return nil
	}
	out := &desk.Message{
		ID: m.ID, ConversationID: m.ConversationID, Kind: desk.MessageKind(m.Kind), Sender: desk.Sender(m.Sender),
		SenderID: m.SenderID, SenderName: m.SenderName, Body: m.Body, ExternalID: m.ExternalID,
		Delivery: desk.Delivery(m.Delivery), Error: m.Error, Meta: m.Meta, CreatedAt: m.CreatedAt,
	}
	if m.Attachments != nil {
		out.Attachments = make([]desk.Attachment, len(m.Attachments))
		for i, a := range m.Attachments {
			out.Attachments[i] = desk.Attachment{
				ID: a.ID, MessageID: a.MessageID, Name: a.Name, ContentType: a.ContentType, Size: a.Size,
				BlobKey: a.BlobKey, ThumbKey: a.ThumbKey, Width: a.Width, Height: a.Height, CreatedAt: a.CreatedAt,
			}
		}
	}
	if m.Activity != nil {
		out.Activity = make([]desk.ActivityItem, len(m.Activity))
		for i, a := range m.Activity {
			out.Activity[i] = desk.ActivityItem{Key: a.Key, Args: a.Args}
		}
	}
	return out
}

func fromConversation(c *desk.Conversation) *conversation {
	if c == nil {
		return nil
	}
	return &conversation{
		ID: c.ID, InboxID: c.InboxID, Channel: string(c.Channel), ContactID: c.ContactID, Subject: c.Subject,
		Status: string(c.Status), Priority: string(c.Priority), AssigneeID: c.AssigneeID, TeamID: c.TeamID,
		Labels: c.Labels, SnoozedUntil: c.SnoozedUntil, LastActivityAt: c.LastActivityAt,
		LastMessage: c.LastMessage, WaitingSince: c.WaitingSince, CreatedAt: c.CreatedAt,
		Category: c.Category, CategoryBy: string(c.CategoryBy), Language: c.Language,
		UpdatedAt: c.UpdatedAt, ResolvedAt: c.ResolvedAt, FirstReplyAt: c.FirstReplyAt, HandedOverAt: c.HandedOverAt,
		Reopens: c.Reopens, SLAPolicyID: c.SLAPolicyID, SLADueAt: c.SLADueAt, SLAState: string(c.SLAState),
		Contact: fromContact(c.Contact),
	}
}

func (c *conversation) toDesk() *desk.Conversation {
	if c == nil {
		return nil
	}
	return &desk.Conversation{
		ID: c.ID, InboxID: c.InboxID, Channel: desk.ChannelKind(c.Channel), ContactID: c.ContactID,
		Subject: c.Subject, Status: desk.Status(c.Status), Priority: desk.Priority(c.Priority),
		AssigneeID: c.AssigneeID, TeamID: c.TeamID, Labels: c.Labels, SnoozedUntil: c.SnoozedUntil,
		LastActivityAt: c.LastActivityAt, LastMessage: c.LastMessage, WaitingSince: c.WaitingSince,
		Category: c.Category, CategoryBy: desk.CategorySource(c.CategoryBy), Language: c.Language,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ResolvedAt: c.ResolvedAt, FirstReplyAt: c.FirstReplyAt,
		HandedOverAt: c.HandedOverAt, Reopens: c.Reopens, SLAPolicyID: c.SLAPolicyID, SLADueAt: c.SLADueAt,
		SLAState: desk.SLAState(c.SLAState), Contact: c.Contact.toDesk(),
	}
}

func fromContact(c *desk.Contact) *contact {
	if c == nil {
		return nil
	}
	out := &contact{
		ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, Locale: c.Locale,
		Attributes: c.Attributes, OwnerID: c.OwnerID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if c.Identities != nil {
		out.Identities = make([]identity, len(c.Identities))
		for i, id := range c.Identities {
			out.Identities[i] = identity{ID: id.ID, ContactID: id.ContactID, Kind: string(id.Kind),
				Value: id.Value, Verified: id.Verified, CreatedAt: id.CreatedAt}
		}
	}
	return out
}

func (c *contact) toDesk() *desk.Contact {
	if c == nil {
		return nil
	}
	out := &desk.Contact{
		ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, Locale: c.Locale,
		Attributes: c.Attributes, OwnerID: c.OwnerID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
	if c.Identities != nil {
		out.Identities = make([]desk.Identity, len(c.Identities))
		for i, id := range c.Identities {
			out.Identities[i] = desk.Identity{ID: id.ID, ContactID: id.ContactID, Kind: desk.IdentityKind(id.Kind),
				Value: id.Value, Verified: id.Verified, CreatedAt: id.CreatedAt}
		}
	}
	return out
}
