package web

import (
	"context"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// maxThread bounds the messages shown on one page.
const maxThread = 1000

type conversationData struct {
	C          *desk.Conversation
	Contact    *desk.Contact
	Name       string
	Inbox      string
	Messages   []desk.Message
	Earlier    []row
	Agents     []desk.Agent // enabled agents, for the assignee choice
	Teams      []desk.Team
	Assignee   string
	Team       string
	Labels     string
	Priorities []desk.Priority
	Snooze     []snoozeChoice
	// Uploads says whether the reply box offers a file input.
	Uploads  bool
	MaxFiles int
	MaxBytes int
	// KB shows the knowledge-base search; KBSearch is its result when the
	// page was opened with ?kbq= (the search without the script).
	KB       bool
	KBSearch kbSearchData
	// F is the front line's part: category, the bot's summary, suggested
	// replies.
	F frontData
	// Elsewhere are the other inboxes where the customer can be reached,
	// for "reply on another channel".
	Elsewhere []desk.Inbox
	// Orders are the customer's orders with their action buttons
	// (orders.go).
	Orders ordersPanel
	// LastID is the newest message shown, which the reply box sends back
	// so that a reply another agent sent meanwhile is noticed; Collision
	// is that reply, when a send was held back for it (collision.go).
	LastID    int64
	Collision *collisionData
	// SLA is the SLA panel; nil without a policy (sla.go).
	SLA *slaPanel
}

type snoozeChoice struct {
	Key string
	At  time.Time
}

func (h *Handler) conversationPage(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.showConversation(q, id, nil)
}

// showConversation renders a conversation's page; fill, when not nil,
// adds what a POST answered with (an AI draft in the reply box, a
// summary) before the page is rendered.
func (h *Handler) showConversation(q *req, id int64, fill func(*conversationData)) {
	h.showConversationStatus(q, id, http.StatusOK, fill)
}

// showConversationStatus is showConversation answering with status.
func (h *Handler) showConversationStatus(q *req, id int64, status int, fill func(*conversationData)) {
	ctx := q.r.Context()
	c, err := h.d.Store.ConversationByID(ctx, id)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.logView(q, c.ContactID, c.ID)
	d := conversationData{Uploads: h.d.Uploads != nil, MaxFiles: MaxFiles, MaxBytes: MaxUpload}
	if err := h.panelData(ctx, q.locale, c, &d); err != nil {
		h.fail(q, err)
		return
	}
	if err := h.frontPage(q, c, &d.F); err != nil {
		h.fail(q, err)
		return
	}
	if d.Contact, err = h.d.Store.ContactByID(ctx, c.ContactID); err != nil {
		h.fail(q, err)
		return
	}
	d.Name = contactName(d.Contact)
	if d.Orders, err = h.ordersOf(ctx, c, d.Contact); err != nil {
		h.fail(q, err)
		return
	}
	inboxes, err := h.d.Store.ListInboxes(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	for _, in := range inboxes {
		if in.ID != c.InboxID && conversation.Reachable(in.Channel, d.Contact) {
			d.Elsewhere = append(d.Elsewhere, in)
		}
	}
	if h.d.KB != nil {
		d.KB = true
		if kq := strings.TrimSpace(q.r.URL.Query().Get("kbq")); kq != "" {
			d.KBSearch = kbSearchData{Q: kq, Done: true}
			if d.KBSearch.Hits, err = h.kbSearchHits(q, kq); err != nil {
				h.fail(q, err)
				return
			}
		}
	}
	if d.Messages, err = h.d.Store.ListMessages(ctx, c.ID, 0, maxThread); err != nil {
		h.fail(q, err)
		return
	}
	d.LastID = lastShown(d.Messages)
	d.SLA = h.slaPanelOf(ctx, c, d.Messages)
	n, err := h.names(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	d.Assignee, d.Team = n.agents[c.AssigneeID], n.teams[c.TeamID]
	earlier, err := h.d.Store.ConversationsOfContact(ctx, c.ContactID, 50)
	if err != nil {
		h.fail(q, err)
		return
	}
	for _, e := range earlier {
		if e.ID != c.ID {
			d.Earlier = append(d.Earlier, n.row(e))
		}
	}
	if fill != nil {
		fill(&d)
	}
	h.render(q.w, q, status, "conversation", "inbox", d)
}

// panelData fills what the facts line and the side panel's manage section
// show: the parts of the page that change with the conversation.
func (h *Handler) panelData(ctx context.Context, locale string, c *desk.Conversation, d *conversationData) error {
	d.C, d.Labels, d.Priorities, d.Snooze = c, strings.Join(c.Labels, ", "), priorities, h.snoozeChoices()
	if err := h.frontPanel(ctx, locale, c, &d.F); err != nil {
		return err
	}
	if in, err := h.d.Store.InboxByID(ctx, c.InboxID); err == nil {
		d.Inbox = in.Name
	}
	agents, err := h.d.Store.ListAgents(ctx)
	if err != nil {
		return err
	}
	for _, a := range agents {
		if !a.Disabled {
			d.Agents = append(d.Agents, a)
		}
	}
	d.Teams, err = h.d.Store.ListTeams(ctx)
	return err
}

// panelFragment renders the facts line and the manage panel of a
// conversation, for the live conversation page to swap in when the
// conversation changed (status, assignee, team, labels, priority, snooze).
func (h *Handler) panelFragment(q *req) {
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fragmentFailed(q, err)
		return
	}
	c, err := h.d.Store.ConversationByID(ctx, id)
	if err != nil {
		h.fragmentFailed(q, err)
		return
	}
	var d conversationData
	if err := h.panelData(ctx, q.locale, c, &d); err != nil {
		h.fragmentFailed(q, err)
		return
	}
	h.renderView(q.w, q.locale, http.StatusOK, "conversation", "panel",
		view{Locale: q.locale, Agent: q.agent, CSRF: q.csrf, D: d})
}

// snoozeChoices are the offered wake-up times, in the agents' zone: in an
// hour, in four hours, tomorrow at nine, next Monday at nine.
func (h *Handler) snoozeChoices() []snoozeChoice {
	now := h.d.Clock.Now().In(h.loc)
	nine := func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), 9, 0, 0, 0, h.loc)
	}
	days := (8 - int(now.Weekday())) % 7
	if days == 0 {
		days = 7
	}
	return []snoozeChoice{
		{"snooze.hour", now.Add(time.Hour).Truncate(time.Minute)},
		{"snooze.hours4", now.Add(4 * time.Hour).Truncate(time.Minute)},
		{"snooze.tomorrow", nine(now.AddDate(0, 0, 1))},
		{"snooze.monday", nine(now.AddDate(0, 0, days))},
	}
}

func convURL(id int64) string { return "/app/conversations/" + strconv.FormatInt(id, 10) }

// action runs a conversation change posted from the side panel and
// redirects back to the conversation.
func (h *Handler) action(q *req, build func() (conversation.Change, string, error)) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := convURL(id)
	ch, okKey, err := build()
	if err == nil {
		_, err = h.d.Conversations.Update(q.r.Context(), q.actor(), id, ch)
	}
	if err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: okKey})
}

// postRetry sends a failed message again.
func (h *Handler) postRetry(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := convURL(id)
	mid, err := strconv.ParseInt(q.r.PathValue("n"), 10, 64)
	if err != nil {
		h.fail(q, desk.ErrNotFound)
		return
	}
	m, err := h.d.Store.MessageByID(q.r.Context(), mid)
	if err == nil && m.ConversationID != id {
		err = fmt.Errorf("message %d: %w", mid, desk.ErrNotFound)
	}
	if err == nil {
		_, err = h.d.Conversations.Retry(q.r.Context(), mid)
	}
	if err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.retried"})
}

func (h *Handler) postMessage(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := convURL(id) + "#reply"
	body := q.r.PostFormValue("body")
	note := q.r.PostFormValue("note") == "1"
	files := chosenFiles(q.r)
	if note && len(files) > 0 {
		h.back(q, to, flash{Kind: "error", Key: "flash.note_files"})
		return
	}
	if !note {
		// Before the files are stored: a held-back reply keeps none.
		held, err := h.holdReply(q, id, body)
		if err != nil {
			h.failed(q, to, err)
			return
		}
		if held {
			return
		}
	}
	atts, err := h.storeFiles(q, files)
	if err != nil {
		h.uploadFailed(q, to, err)
		return
	}
	key := "flash.sent"
	if note {
		key = "flash.noted"
		_, err = h.d.Conversations.Note(q.r.Context(), q.actor(), id, body)
	} else {
		_, err = h.d.Conversations.Reply(q.r.Context(), q.actor(), id, body, atts)
	}
	if err != nil {
		h.discard(q, atts)
		h.failed(q, to, err)
		return
	}
	if !note {
		h.usedSuggestion(q, id)
	}
	h.back(q, to, flash{Kind: "ok", Key: key})
}

// postContinue answers on another channel: the conversation goes on in a
// new one there, which the agent is taken to.
func (h *Handler) postContinue(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	inbox, err := formID(q.r, "inbox_id")
	if err != nil {
		h.failed(q, convURL(id), err)
		return
	}
	conv, _, err := h.d.Conversations.Continue(q.r.Context(), q.actor(), id, inbox, q.r.PostFormValue("body"))
	if err != nil {
		h.failed(q, convURL(id)+"#reply", err)
		return
	}
	h.back(q, convURL(conv.ID), flash{Kind: "ok", Key: "continue.done"})
}

// chosenFiles returns the files posted in the composer's file input.
// Browsers send one empty part when no file was chosen; it is skipped.
func chosenFiles(r *http.Request) []*multipart.FileHeader {
	if r.MultipartForm == nil {
		return nil
	}
	return slices.DeleteFunc(slices.Clone(r.MultipartForm.File["files"]), func(fh *multipart.FileHeader) bool {
		return fh.Filename == "" && fh.Size == 0
	})
}

// storeFiles checks the count and sizes of all files before storing any,
// then stores them one by one; on a failure it removes those already
// stored.
func (h *Handler) storeFiles(q *req, files []*multipart.FileHeader) ([]desk.InboundAttachment, error) {
	if len(files) == 0 {
		return nil, nil
	}
	if h.d.Uploads == nil {
		return nil, fmt.Errorf("web: uploads are off: %w", desk.ErrForbidden)
	}
	if len(files) > MaxFiles {
		return nil, desk.Invalid("files", fmt.Sprintf("at most %d files", MaxFiles))
	}
	for _, fh := range files {
		if fh.Size > MaxUpload {
			return nil, fmt.Errorf("web: file %q: %w", fh.Filename, desk.ErrTooLarge)
		}
	}
	atts := make([]desk.InboundAttachment, 0, len(files))
	for _, fh := range files {
		att, err := h.storeFile(q, fh)
		if err != nil {
			h.discard(q, atts)
			return nil, err
		}
		atts = append(atts, att)
	}
	return atts, nil
}

func (h *Handler) storeFile(q *req, fh *multipart.FileHeader) (desk.InboundAttachment, error) {
	f, err := fh.Open()
	if err != nil {
		return desk.InboundAttachment{}, fmt.Errorf("web: open upload: %w", err)
	}
	defer f.Close()
	return h.d.Uploads.Store(q.r.Context(), cleanName(fh.Filename), f)
}

// discard removes stored files that did not end up on a message, even when
// the request was cancelled meanwhile.
func (h *Handler) discard(q *req, atts []desk.InboundAttachment) {
	ctx := context.WithoutCancel(q.r.Context())
	for _, a := range atts {
		h.d.Uploads.Discard(ctx, a)
	}
}

// uploadFailed redirects back after a file was refused, saying why.
func (h *Handler) uploadFailed(q *req, to string, err error) {
	switch {
	case errors.Is(err, desk.ErrTooLarge):
		h.back(q, to, flash{Kind: "error", Key: "flash.file_too_large"})
	case errors.Is(err, desk.ErrInvalid) && !errors.As(err, new(*desk.ValidationError)):
		h.back(q, to, flash{Kind: "error", Key: "flash.file_type"})
	default:
		h.failed(q, to, err)
	}
}

// cleanName keeps the base name of an uploaded file, without control
// characters or quotes, at most 200 bytes of whole characters.
func cleanName(n string) string {
	n = path.Base(strings.ReplaceAll(n, `\`, "/"))
	n = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == utf8.RuneError {
			return -1
		}
		return r
	}, n))
	if n == "" || n == "." || n == "/" || n == ".." {
		return "file"
	}
	for len(n) > 200 {
		_, size := utf8.DecodeLastRuneInString(n)
		n = n[:len(n)-size]
	}
	return n
}

func (h *Handler) postAssign(q *req) {
	h.action(q, func() (conversation.Change, string, error) {
		var id int64
		var err error
		if q.r.PostFormValue("me") == "1" {
			id = q.agent.ID
		} else if id, err = formID(q.r, "assignee_id"); err != nil {
			return conversation.Change{}, "", err
		}
		return conversation.Change{AssigneeID: &id}, "flash.assigned", nil
	})
}

func (h *Handler) postTransfer(q *req) {
	h.action(q, func() (conversation.Change, string, error) {
		team, err := formID(q.r, "team_id")
		if err != nil {
			return conversation.Change{}, "", err
		}
		agent, err := formID(q.r, "assignee_id")
		if err != nil {
			return conversation.Change{}, "", err
		}
		return conversation.Change{TeamID: &team, AssigneeID: &agent, Note: q.r.PostFormValue("note")},
			"flash.transferred", nil
	})
}

func (h *Handler) postLabels(q *req) {
	h.action(q, func() (conversation.Change, string, error) {
		labels := strings.Split(q.r.PostFormValue("labels"), ",")
		return conversation.Change{Labels: &labels}, "flash.saved", nil
	})
}

func (h *Handler) postPriority(q *req) {
	h.action(q, func() (conversation.Change, string, error) {
		p := desk.Priority(q.r.PostFormValue("priority"))
		return conversation.Change{Priority: &p}, "flash.saved", nil
	})
}

// postSnooze takes one of the offered choices (the time as RFC 3339) or a
// datetime-local value from the custom field, read in the agents' zone.
func (h *Handler) postSnooze(q *req) {
	h.action(q, func() (conversation.Change, string, error) {
		v := q.r.PostFormValue("until")
		if v == "custom" || v == "" {
			v = q.r.PostFormValue("custom")
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			t, err = time.ParseInLocation("2006-01-02T15:04", v, h.loc)
		}
		if err != nil {
			return conversation.Change{}, "", desk.Invalid("snoozed_until", "pick a time")
		}
		t = t.UTC()
		return conversation.Change{SnoozedUntil: &t}, "flash.snoozed", nil
	})
}

func (h *Handler) postStatus(q *req) {
	h.action(q, func() (conversation.Change, string, error) {
		s := desk.Status(q.r.PostFormValue("status"))
		if s == desk.StatusSnoozed || !s.Valid() {
			return conversation.Change{}, "", desk.Invalid("status", "open, pending or resolved")
		}
		key := "flash.saved"
		switch s {
		case desk.StatusResolved:
			key = "flash.resolved"
		case desk.StatusOpen:
			key = "flash.reopened"
		}
		return conversation.Change{Status: &s}, key, nil
	})
}

type contactData struct {
	Contact       *desk.Contact
	Name          string
	Conversations []row
	// Duplicates are profiles that may be the same person, Merges the
	// profiles merged into this one (newest first).
	Duplicates []duplicate
	Merges     []mergeRow
	// Attachments are the files of the customer's conversations, newest
	// first; AttachmentsCapped says the list may be incomplete.
	Attachments       []attachmentRow
	AttachmentsCapped bool
}

func (h *Handler) contactPage(q *req) {
	ctx := q.r.Context()
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	c, err := h.d.Store.ContactByID(ctx, id)
	if err != nil {
		h.fail(q, err)
		return
	}
	convs, err := h.d.Store.ConversationsOfContact(ctx, id, 200)
	if err != nil {
		h.fail(q, err)
		return
	}
	n, err := h.names(ctx)
	if err != nil {
		h.fail(q, err)
		return
	}
	h.logView(q, c.ID, 0)
	d := contactData{Contact: c, Name: contactName(c)}
	for _, cv := range convs {
		d.Conversations = append(d.Conversations, n.row(cv))
	}
	if err := h.identityData(ctx, q.locale, c, convs, n, &d); err != nil {
		h.fail(q, err)
		return
	}
	h.render(q.w, q, http.StatusOK, "contact", "search", d)
}

func (h *Handler) postContact(q *req) {
	id, err := pathID(q.r)
	if err != nil {
		h.fail(q, err)
		return
	}
	to := "/app/contacts/" + strconv.FormatInt(id, 10)
	if h.d.Contacts == nil {
		h.failed(q, to, desk.ErrForbidden)
		return
	}
	name, email, phone := q.r.PostFormValue("name"), q.r.PostFormValue("email"), q.r.PostFormValue("phone")
	if _, err := h.d.Contacts.Update(q.r.Context(), id, contact.Input{Name: &name, Email: &email, Phone: &phone}); err != nil {
		h.failed(q, to, err)
		return
	}
	h.back(q, to, flash{Kind: "ok", Key: "flash.saved"})
}
