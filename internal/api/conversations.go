package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/wire"
)

func (h *Handler) listConversations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	p := principal(r)
	cq := desk.ConversationQuery{View: desk.View(q.Get("view")), Status: desk.Status(q.Get("status")),
		Channel: desk.ChannelKind(q.Get("channel")), Label: q.Get("label"), WithContact: true,
		AgentID: p.Agent.ID, TeamIDs: p.Agent.TeamIDs}
	switch cq.View {
	case "":
		cq.View = desk.ViewAll
	case desk.ViewAll, desk.ViewMine, desk.ViewUnassigned, desk.ViewMyTeams:
	default:
		return desk.Invalid("view", "must be all, mine, unassigned or teams")
	}
	if cq.Status != "" && !cq.Status.Valid() {
		return desk.Invalid("status", "must be open, pending, snoozed or resolved")
	}
	if cq.Channel != "" && !desk.KnownChannel(cq.Channel) {
		return desk.Invalid("channel", "unknown channel")
	}
	if v := q.Get("sla"); v != "" {
		for part := range strings.SplitSeq(v, ",") {
			st := desk.SLAState(strings.TrimSpace(part))
			if !st.Valid() {
				return desk.Invalid("sla", "comma-separated running, warning or breached")
			}
			cq.SLAStates = append(cq.SLAStates, st)
		}
	}
	var err error
	if cq.InboxID, err = queryID(r, "inbox_id"); err != nil {
		return err
	}
	if cq.TeamID, err = queryID(r, "team_id"); err != nil {
		return err
	}
	if cq.ContactID, err = queryID(r, "contact_id"); err != nil {
		return err
	}
	if cq.Limit, err = queryInt(r, "limit", 50, 200); err != nil {
		return err
	}
	if cq.After, err = DecodeCursor(q.Get("cursor")); err != nil {
		return err
	}
	page, err := h.Store.ListConversations(r.Context(), cq)
	if err != nil {
		return err
	}
	items := make([]*wire.Conversation, len(page.Items))
	for i := range page.Items {
		items[i] = wire.FromConversation(&page.Items[i])
	}
	return write(w, http.StatusOK, map[string]any{"items": items, "next_cursor": EncodeCursor(page.Next)})
}

type contactIn struct {
	Name       *string           `json:"name"`
	Email      *string           `json:"email"`
	Phone      *string           `json:"phone"`
	Locale     *string           `json:"locale"`
	Attributes map[string]string `json:"attributes"`
}

func (c contactIn) input() contact.Input {
	return contact.Input{Name: c.Name, Email: c.Email, Phone: c.Phone, Locale: c.Locale, Attributes: c.Attributes}
}

func (h *Handler) createConversation(w http.ResponseWriter, r *http.Request) error {
	var in newConversationIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.InboxID == 0 {
		return desk.Invalid("inbox_id", "required")
	}
	inbound := desk.Inbound{InboxID: in.InboxID, ContactID: in.ContactID, Subject: in.Subject,
		Body: in.Message.Body, ExternalID: in.Message.ExternalID, NewConversation: true}
	if in.ContactID == 0 {
		if in.Contact == nil {
			return desk.Invalid("contact", "give contact_id or a contact with an email or phone")
		}
		if in.Contact.Name != nil {
			inbound.FromName = *in.Contact.Name
		}
		if in.Contact.Email != nil {
			inbound.FromEmail = *in.Contact.Email
		}
		if in.Contact.Phone != nil {
			inbound.FromPhone = *in.Contact.Phone
		}
	}
	res, err := h.Conversations.Ingest(r.Context(), inbound)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	return write(w, status, map[string]any{"conversation": wire.FromConversation(res.Conversation),
		"message": wire.FromMessage(res.Message)})
}

func (h *Handler) getConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	c, err := h.Store.ConversationByID(r.Context(), id)
	if err != nil {
		return fmt.Errorf("conversation %d: %w", id, err)
	}
	if c.Contact == nil {
		if ct, err := h.Store.ContactByID(r.Context(), c.ContactID); err == nil {
			c.Contact = ct
		}
	}
	h.logView(r, c.ContactID, c.ID)
	return write(w, http.StatusOK, wire.FromConversation(c))
}

type changeIn struct {
	Status       *desk.Status   `json:"status"`
	Priority     *desk.Priority `json:"priority"`
	AssigneeID   *int64         `json:"assignee_id"`
	TeamID       *int64         `json:"team_id"`
	Labels       *[]string      `json:"labels"`
	SnoozedUntil *wire.Time     `json:"snoozed_until"`
	Subject      *string        `json:"subject"`
}

func (c changeIn) change() conversation.Change {
	ch := conversation.Change{Status: c.Status, Priority: c.Priority, AssigneeID: c.AssigneeID,
		TeamID: c.TeamID, Labels: c.Labels, Subject: c.Subject}
	if c.SnoozedUntil != nil {
		t := c.SnoozedUntil.Time
		ch.SnoozedUntil = &t
	}
	return ch
}

func (h *Handler) updateConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in changeIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := h.Conversations.Update(r.Context(), actor(r), id, in.change())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, wire.FromConversation(c))
}

func (h *Handler) transfer(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in transferIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.TeamID == nil && in.AssigneeID == nil {
		return desk.Invalid("team_id", "transfer to a team, an agent or both")
	}
	c, err := h.Conversations.Update(r.Context(), actor(r), id, conversation.Change{TeamID: in.TeamID,
		AssigneeID: in.AssigneeID, Note: in.Note})
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, wire.FromConversation(c))
}

func (h *Handler) listMessages(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	after, err := queryID(r, "after_id")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 200, 1000)
	if err != nil {
		return err
	}
	if _, err := h.Store.ConversationByID(r.Context(), id); err != nil {
		return fmt.Errorf("conversation %d: %w", id, err)
	}
	ms, err := h.Store.ListMessages(r.Context(), id, after, limit)
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, listOf(ms, wire.FromMessage))
}

func (h *Handler) createMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in newMessageIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var m *desk.Message
	switch in.Type {
	case "incoming":
		c, err := h.Store.ConversationByID(r.Context(), id)
		if err != nil {
			return fmt.Errorf("conversation %d: %w", id, err)
		}
		res, err := h.Conversations.Ingest(r.Context(), desk.Inbound{InboxID: c.InboxID, ContactID: c.ContactID,
			ConversationID: c.ID, Body: in.Body, ExternalID: in.ExternalID})
		if err != nil {
			return err
		}
		if res.Duplicate {
			return write(w, http.StatusOK, wire.FromMessage(res.Message))
		}
		m = res.Message
	case "reply", "":
		if in.ExternalID != "" {
			return desk.Invalid("external_id", "only for incoming messages")
		}
		if err := h.replyCollision(r, id, in.IfLastMessageID); err != nil {
			return err
		}
		m, err = h.Conversations.Reply(r.Context(), actor(r), id, in.Body, nil)
	case "note":
		if in.IfLastMessageID != 0 {
			return desk.Invalid("if_last_message_id", "only for replies")
		}
		m, err = h.Conversations.Note(r.Context(), actor(r), id, in.Body)
	default:
		return desk.Invalid("type", "must be incoming, reply or note")
	}
	if err != nil {
		return err
	}
	return write(w, http.StatusCreated, wire.FromMessage(m))
}

func (h *Handler) search(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query().Get("q")
	if len(q) > 500 {
		return desk.Invalid("q", "at most 500 characters")
	}
	limit, err := queryInt(r, "limit", 20, 100)
	if err != nil {
		return err
	}
	items := []searchHit{}
	if q != "" {
		hits, err := h.Store.SearchConversations(r.Context(), desk.SearchQuery{Text: q, Limit: limit})
		if err != nil {
			return err
		}
		for i := range hits {
			items = append(items, searchHit{wire.FromConversation(&hits[i].Conversation), hits[i].MessageID, hits[i].Snippet})
		}
	}
	return write(w, http.StatusOK, map[string]any{"items": items})
}

func (h *Handler) outbox(w http.ResponseWriter, r *http.Request) error {
	n, err := h.Store.PendingOutbox(r.Context())
	if err != nil {
		return err
	}
	return write(w, http.StatusOK, map[string]int{"pending": n})
}

func (h *Handler) realtime(w http.ResponseWriter, r *http.Request) error {
	if h.Realtime == nil {
		return fmt.Errorf("realtime is not running: %w", desk.ErrNotFound)
	}
	h.Realtime(w, r, principal(r).Agent)
	return nil
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request) error {
	return write(w, http.StatusOK, agentOut(principal(r).Agent))
}

// replyCollision refuses a reply when another agent replied to the
// customer after message seen (0: no check), so that the customer does not
// get two answers at once; the client shows that reply and may send again
// without the check.
func (h *Handler) replyCollision(r *http.Request, id, seen int64) error {
	if seen == 0 {
		return nil
	}
	if seen < 0 {
		return desk.Invalid("if_last_message_id", "not a message id")
	}
	newer, err := h.Store.ListMessages(r.Context(), id, seen, 200)
	if err != nil {
		return fmt.Errorf("api: reply: %w", err)
	}
	clash := conversation.RepliesSince(newer, actor(r).AgentID)
	if len(clash) == 0 {
		return nil
	}
	last := clash[len(clash)-1]
	return fmt.Errorf("api: reply: %s replied since message %d (message %d): %w",
		last.SenderName, seen, last.ID, desk.ErrConflict)
}
