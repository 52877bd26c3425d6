package webchat

import (
	"fmt"
	"net/http"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// The visitor's cases: a known visitor's conversations on every channel, so
// that the help center's contact page can say "your question of 12 March is
// being handled" before the customer asks again.
//
// Like the help view's reads, this is a GET with the token in the query (the
// help center is another page of the same origin, the widget's localStorage
// is where the token lives). An unknown, malformed or missing token answers
// an empty list with 200, exactly as a known visitor without conversations
// does: the route tells nobody whether a token is valid.

// casesLimit is how many conversations the list shows, newest first.
const casesLimit = 10

// caseItem is one conversation as the customer may see it: no notes,
// assignee, team, labels, priority or category.
type caseItem struct {
	ID int64 `json:"id"`
	// Subject is the conversation's subject, else a preview of its newest
	// customer-visible message.
	Subject        string    `json:"subject_or_preview"`
	Status         string    `json:"status"` // open, pending, snoozed, resolved
	Channel        string    `json:"channel"`
	CreatedAt      time.Time `json:"created_at"`
	LastActivityAt time.Time `json:"last_activity_at"`
}

type caseList struct {
	Items []caseItem `json:"items"`
}

// cases lists the visitor's conversations in all inboxes, newest first.
func (h *Handler) cases(w http.ResponseWriter, r *http.Request) {
	v, err := h.admitHelpGet(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := caseList{Items: []caseItem{}}
	if v.contact == nil {
		writeJSON(w, http.StatusOK, out)
		return
	}
	convs, err := h.d.Store.ConversationsOfContact(r.Context(), v.contact.ID, casesLimit)
	if err != nil {
		h.writeError(w, r, fmt.Errorf("webchat: cases: %w", err))
		return
	}
	for _, c := range convs {
		// The store lists the contact's own; checked again because a
		// list of someone else's would be the worst bug this route has.
		if c.ContactID != v.contact.ID {
			continue
		}
		out.Items = append(out.Items, caseItem{ID: c.ID, Subject: caseTitle(&c), Status: caseStatus(c.Status),
			Channel: string(c.Channel), CreatedAt: c.CreatedAt, LastActivityAt: c.LastActivityAt})
	}
	writeJSON(w, http.StatusOK, out)
}

// caseTitle is what the customer wrote about: the subject, else the preview
// of the newest message (notes never set it).
func caseTitle(c *desk.Conversation) string {
	if c.Subject != "" {
		return c.Subject
	}
	return c.LastMessage
}

// caseStatus passes the four known statuses; anything newer is shown as
// open rather than leaking a state the widget cannot name.
func caseStatus(s desk.Status) string {
	switch s {
	case desk.StatusOpen, desk.StatusPending, desk.StatusSnoozed, desk.StatusResolved:
		return string(s)
	}
	return string(desk.StatusOpen)
}
