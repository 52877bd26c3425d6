package realtime

import (
	"strconv"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/wire"
)

// What widget visitors see. These shapes leave out everything agents keep to
// themselves: notes, activity, assignees, teams, labels, priorities, agent
// and contact ids, delivery errors.

// VisitorAttachment is a file on a message as the widget sees it. URLs are
// relative to balie's origin and need the visitor's token appended.
type VisitorAttachment struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url,omitempty"`
	Width       int    `json:"width,omitempty"`
	Height      int    `json:"height,omitempty"`
}

// VisitorMessage is a customer-visible message.
type VisitorMessage struct {
	ID             int64               `json:"id"`
	ConversationID int64               `json:"conversation_id"`
	Sender         string              `json:"sender"` // contact, agent, bot or system
	SenderName     string              `json:"sender_name"`
	Body           string              `json:"body"`
	Attachments    []VisitorAttachment `json:"attachments"`
	CreatedAt      wire.Time           `json:"created_at"`
}

// VisitorConversation is the state of a conversation a visitor may know.
type VisitorConversation struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
}

// VisitorEvent is what the widget's WebSocket receives.
type VisitorEvent struct {
	Type           string               `json:"type"` // message.created, conversation.updated, typing
	ConversationID int64                `json:"conversation_id"`
	Message        *VisitorMessage      `json:"message,omitempty"`
	Conversation   *VisitorConversation `json:"conversation,omitempty"`
	Typing         *bool                `json:"typing,omitempty"`
	Name           string               `json:"name,omitempty"`
}

// VisitorAttachmentURL is where the widget fetches an attachment.
func VisitorAttachmentURL(id int64) string {
	return "/widget/attachments/" + strconv.FormatInt(id, 10)
}

// ForVisitor converts a message for the widget; ok is false for messages the
// customer must not see (notes, activity).
func ForVisitor(m *desk.Message) (VisitorMessage, bool) {
	if m == nil || m.Kind != desk.KindMessage {
		return VisitorMessage{}, false
	}
	out := VisitorMessage{ID: m.ID, ConversationID: m.ConversationID, Sender: string(m.Sender),
		SenderName: m.SenderName, Body: m.Body, Attachments: []VisitorAttachment{}, CreatedAt: wire.Time{Time: m.CreatedAt}}
	for _, a := range m.Attachments {
		va := VisitorAttachment{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size,
			URL: VisitorAttachmentURL(a.ID), Width: a.Width, Height: a.Height}
		if a.ThumbKey != "" {
			va.ThumbURL = va.URL + "/thumb"
		}
		out.Attachments = append(out.Attachments, va)
	}
	return out, true
}

// visitorEvent converts a bus event for the widget; ok is false when the
// visitor must not receive it at all.
func visitorEvent(e desk.Event) (VisitorEvent, bool) {
	out := VisitorEvent{Type: e.Type, ConversationID: e.ConversationID}
	switch e.Type {
	case desk.EventMessageCreated:
		m, ok := ForVisitor(e.Message)
		if !ok {
			return out, false
		}
		out.Message = &m
		if out.ConversationID == 0 {
			out.ConversationID = m.ConversationID
		}
	case desk.EventConversationCreated, desk.EventConversationUpdated:
		if e.Conversation == nil {
			return out, false
		}
		out.Type = desk.EventConversationUpdated
		out.ConversationID = e.Conversation.ID
		out.Conversation = &VisitorConversation{ID: e.Conversation.ID, Status: string(e.Conversation.Status)}
	case desk.EventTyping:
		// Visitors see agents (and the bot) typing, never their own echo.
		if e.TypingSender != desk.SenderAgent && e.TypingSender != desk.SenderBot {
			return out, false
		}
		typing := e.Typing
		out.Typing, out.Name = &typing, e.TypingName
	default:
		// Assignment, delivery updates and anything new stay with the agents.
		return out, false
	}
	return out, true
}
