package api

import "github.com/balie-dev/balie/internal/wire"

// Request and response bodies that are not entities of package wire. The
// OpenAPI document is generated from these types.

type newConversationIn struct {
	InboxID   int64      `json:"inbox_id"`
	ContactID int64      `json:"contact_id,omitempty"`
	Contact   *contactIn `json:"contact,omitempty"`
	Subject   string     `json:"subject,omitempty"`
	Message   struct {
		Body       string `json:"body"`
		ExternalID string `json:"external_id,omitempty"`
	} `json:"message"`
}

type newConversationOut struct {
	Conversation *wire.Conversation `json:"conversation"`
	Message      *wire.Message      `json:"message"`
}

type transferIn struct {
	TeamID     *int64 `json:"team_id,omitempty"`
	AssigneeID *int64 `json:"assignee_id,omitempty"`
	Note       string `json:"note,omitempty"`
}

type newMessageIn struct {
	Type       string `json:"type" enum:"incoming,reply,note"`
	Body       string `json:"body"`
	ExternalID string `json:"external_id,omitempty"`
	// IfLastMessageID, on a reply, is the newest message the agent saw:
	// when another agent replied to the customer since, nothing is sent
	// and the answer is 409.
	IfLastMessageID int64 `json:"if_last_message_id,omitempty"`
}

type searchHit struct {
	Conversation *wire.Conversation `json:"conversation"`
	MessageID    int64              `json:"message_id"`
	Snippet      string             `json:"snippet"`
}

type webhookIn struct {
	URL    string   `json:"url"`
	Secret string   `json:"secret"`
	Events []string `json:"events,omitempty"`
	Active *bool    `json:"active,omitempty"`
}

type conversationPage struct {
	Items      []wire.Conversation `json:"items"`
	NextCursor string              `json:"next_cursor"`
}

type list[T any] struct {
	Items []T `json:"items"`
}

// listOf converts entities for output: {"items":[...]}, never null.
func listOf[E, O any](in []E, conv func(*E) O) list[O] {
	out := list[O]{Items: make([]O, len(in))}
	for i := range in {
		out.Items[i] = conv(&in[i])
	}
	return out
}

type outboxDepth struct {
	Pending int `json:"pending"`
}
