// Package wire holds the JSON shapes of balie's entities as the outside world
// sees them: in the API, on the realtime WebSocket, in outgoing webhooks and
// in the widget. One shape per entity keeps all of those consistent.
//
// wire imports only desk.
package wire

import (
	"strconv"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Time formats zero times as null.
type Time struct{ time.Time }

// MarshalJSON writes RFC 3339 UTC, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(time.RFC3339Nano) + `"`), nil
}

// UnmarshalJSON reads RFC 3339 or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return desk.Invalid("time", "not a string")
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return desk.Invalid("time", "not RFC 3339")
	}
	t.Time = v.UTC()
	return nil
}

// Identity is a contact's handle on a channel.
type Identity struct {
	Kind     string `json:"kind"`
	Value    string `json:"value"`
	Verified bool   `json:"verified"`
}

// Contact is a customer.
type Contact struct {
	ID         int64             `json:"id"`
	Name       string            `json:"name"`
	Email      string            `json:"email"`
	Phone      string            `json:"phone"`
	Locale     string            `json:"locale"`
	Attributes map[string]string `json:"attributes"`
	Identities []Identity        `json:"identities,omitempty"`
	// OwnerID is the customer's account owner (an agent); left out when
	// none. Set with PUT /contacts/{id}/owner.
	OwnerID   int64 `json:"owner_id,omitempty"`
	CreatedAt Time  `json:"created_at"`
	UpdatedAt Time  `json:"updated_at"`
}

// FromContact converts a contact. Visitor identities are secrets (hashed
// widget tokens) and are shown only by kind.
func FromContact(c *desk.Contact) *Contact {
	if c == nil {
		return nil
	}
	out := &Contact{ID: c.ID, Name: c.Name, Email: c.Email, Phone: c.Phone, Locale: c.Locale,
		Attributes: c.Attributes, OwnerID: c.OwnerID, CreatedAt: Time{c.CreatedAt}, UpdatedAt: Time{c.UpdatedAt}}
	if out.Attributes == nil {
		out.Attributes = map[string]string{}
	}
	for _, id := range c.Identities {
		v := id.Value
		if id.Kind == desk.IdentityVisitor {
			v = "web visitor"
		}
		out.Identities = append(out.Identities, Identity{Kind: string(id.Kind), Value: v, Verified: id.Verified})
	}
	return out
}

// Conversation is one case.
type Conversation struct {
	ID             int64    `json:"id"`
	InboxID        int64    `json:"inbox_id"`
	Channel        string   `json:"channel"`
	ContactID      int64    `json:"contact_id"`
	Contact        *Contact `json:"contact,omitempty"`
	Subject        string   `json:"subject"`
	Status         string   `json:"status"`
	Priority       string   `json:"priority"`
	AssigneeID     int64    `json:"assignee_id"`
	TeamID         int64    `json:"team_id"`
	Labels         []string `json:"labels"`
	SnoozedUntil   Time     `json:"snoozed_until"`
	LastActivityAt Time     `json:"last_activity_at"`
	LastMessage    string   `json:"last_message"`
	WaitingSince   Time     `json:"waiting_since"`
	Category       string   `json:"category"`
	CategoryBy     string   `json:"category_by" enum:",bot,agent"`
	Language       string   `json:"language"`
	CreatedAt      Time     `json:"created_at"`
	UpdatedAt      Time     `json:"updated_at"`
	ResolvedAt     Time     `json:"resolved_at"`
	// FirstReplyAt is when an agent first answered; HandedOverAt when the
	// bot handed over; Reopens how often it came back after resolving.
	FirstReplyAt Time `json:"first_reply_at"`
	HandedOverAt Time `json:"handed_over_at"`
	Reopens      int  `json:"reopens"`
	// SLAState is where the conversation stands against its SLA policy
	// ("", running, warning, breached); SLADueAt its next deadline.
	SLAState    string `json:"sla_state" enum:",running,warning,breached"`
	SLADueAt    Time   `json:"sla_due_at"`
	SLAPolicyID int64  `json:"sla_policy_id"`
}

// FromConversation converts a conversation.
func FromConversation(c *desk.Conversation) *Conversation {
	if c == nil {
		return nil
	}
	labels := c.Labels
	if labels == nil {
		labels = []string{}
	}
	return &Conversation{
		ID: c.ID, InboxID: c.InboxID, Channel: string(c.Channel), ContactID: c.ContactID,
		Contact: FromContact(c.Contact), Subject: c.Subject, Status: string(c.Status),
		Priority: string(c.Priority), AssigneeID: c.AssigneeID, TeamID: c.TeamID, Labels: labels,
		SnoozedUntil: Time{c.SnoozedUntil}, LastActivityAt: Time{c.LastActivityAt},
		LastMessage: c.LastMessage, WaitingSince: Time{c.WaitingSince},
		Category: c.Category, CategoryBy: string(c.CategoryBy), Language: c.Language,
		CreatedAt: Time{c.CreatedAt}, UpdatedAt: Time{c.UpdatedAt}, ResolvedAt: Time{c.ResolvedAt},
		FirstReplyAt: Time{c.FirstReplyAt}, HandedOverAt: Time{c.HandedOverAt}, Reopens: c.Reopens,
		SLAState: string(c.SLAState), SLADueAt: Time{c.SLADueAt}, SLAPolicyID: c.SLAPolicyID,
	}
}

// Attachment is a file on a message.
type Attachment struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url,omitempty"`
	Width       int    `json:"width,omitempty"`
	Height      int    `json:"height,omitempty"`
}

// Message is one entry in a thread.
type Message struct {
	ID             int64  `json:"id"`
	ConversationID int64  `json:"conversation_id"`
	Kind           string `json:"kind"`
	Sender         string `json:"sender"`
	SenderID       int64  `json:"sender_id"`
	SenderName     string `json:"sender_name"`
	Body           string `json:"body"`
	// Activity is what an activity message records, for clients that show
	// it in their own words; Body has it in English.
	Activity    []ActivityItem `json:"activity,omitempty"`
	ExternalID  string         `json:"external_id"`
	Delivery    string         `json:"delivery"`
	Error       string         `json:"error"`
	Attachments []Attachment   `json:"attachments"`
	// Email is set for inbound mail.
	Email *EmailInfo `json:"email,omitempty"`
	// SenderUnverified is set on a customer message whose sender's
	// address was typed in rather than proven, to where it was typed
	// ("contact_form"): anyone may have written it, so check before
	// acting on the contact's orders or details.
	SenderUnverified string `json:"sender_unverified,omitempty"`
	CreatedAt        Time   `json:"created_at"`
}

// EmailInfo is what balie knows about an inbound mail beyond its text.
type EmailInfo struct {
	// Auth is the sender authentication, "spf=pass dkim=pass dmarc=pass;
	// checker", "" when not known.
	Auth string `json:"auth,omitempty"`
	// To lists the mail's To and Cc addresses, comma separated.
	To string `json:"to,omitempty"`
	// HTMLURL serves the sanitised HTML version, "" when the mail had none.
	HTMLURL string `json:"html_url,omitempty"`
}

// ActivityItem is one change in an activity message: a key and its
// arguments, as in desk.ActivityItem (resolved, reopened, pending, snoozed
// [RFC 3339 time], priority [priority], labels [comma-joined], team [name,
// "" for none], assigned [name, "" for nobody], snooze_ended). No enum in
// the schema: clients should skip keys they do not know, and use Body.
// Args is always an array.
type ActivityItem struct {
	Key  string   `json:"key"`
	Args []string `json:"args"`
}

// AttachmentURL is where agents fetch an attachment.
func AttachmentURL(id int64) string { return "/attachments/" + strconv.FormatInt(id, 10) }

// FromMessage converts a message with agent-facing attachment URLs.
func FromMessage(m *desk.Message) *Message {
	if m == nil {
		return nil
	}
	out := &Message{ID: m.ID, ConversationID: m.ConversationID, Kind: string(m.Kind),
		Sender: string(m.Sender), SenderID: m.SenderID, SenderName: m.SenderName, Body: m.Body,
		ExternalID: m.ExternalID, Delivery: string(m.Delivery), Error: m.Error,
		Attachments: []Attachment{}, CreatedAt: Time{m.CreatedAt}}
	if auth, to, html := m.Meta[desk.MetaEmailAuth], m.Meta[desk.MetaEmailTo], m.Meta[desk.MetaEmailHTML]; auth+to+html != "" {
		out.Email = &EmailInfo{Auth: auth, To: to}
		if html != "" {
			out.Email.HTMLURL = "/messages/" + strconv.FormatInt(m.ID, 10) + "/html"
		}
	}
	if m.Sender == desk.SenderContact {
		out.SenderUnverified = m.Meta[desk.MetaSenderUnverified]
	}
	for _, it := range m.Activity {
		args := it.Args
		if args == nil {
			args = []string{}
		}
		out.Activity = append(out.Activity, ActivityItem{Key: it.Key, Args: args})
	}
	for _, a := range m.Attachments {
		wa := Attachment{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size,
			URL: AttachmentURL(a.ID), Width: a.Width, Height: a.Height}
		if a.ThumbKey != "" {
			wa.ThumbURL = wa.URL + "/thumb"
		}
		out.Attachments = append(out.Attachments, wa)
	}
	return out
}

// Event is what realtime subscribers and webhooks receive.
type Event struct {
	Type           string        `json:"type"`
	ConversationID int64         `json:"conversation_id,omitempty"`
	Conversation   *Conversation `json:"conversation,omitempty"`
	Message        *Message      `json:"message,omitempty"`
	// Typing events.
	Sender string `json:"sender,omitempty"`
	Name   string `json:"name,omitempty"`
	Typing *bool  `json:"typing,omitempty"`
	At     Time   `json:"at"`
}

// FromEvent converts a bus event.
func FromEvent(e desk.Event) Event {
	out := Event{Type: e.Type, ConversationID: e.ConversationID,
		Conversation: FromConversation(e.Conversation), Message: FromMessage(e.Message), At: Time{e.At}}
	if e.Type == desk.EventTyping {
		typing := e.Typing
		out.Sender, out.Name, out.Typing = string(e.TypingSender), e.TypingName, &typing
	}
	return out
}

// WebhookBody is the JSON body of an outgoing webhook delivery.
type WebhookBody struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt Time   `json:"created_at"`
	Data      struct {
		Conversation *Conversation `json:"conversation,omitempty"`
		Message      *Message      `json:"message,omitempty"`
	} `json:"data"`
}
