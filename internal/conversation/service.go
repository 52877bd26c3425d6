// Package conversation is the heart of the inbox: it ingests customer
// messages from every channel, stores agents' replies and notes, and changes a
// conversation's state (assign, transfer, labels, priority, snooze, resolve,
// reopen). Every change is written in one transaction together with its
// outbox rows (outgoing webhooks, channel sends), and announced on the bus
// after commit.
//
// conversation imports desk, contact, lang and wire.
package conversation

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
	"github.com/balie-dev/balie/internal/wire"
)

// Limits.
const (
	MaxBody        = 64 << 10 // bytes of message text
	MaxAttachments = 10
	previewLen     = 140
	maxLabels      = 20
	maxLabelLen    = 48
)

// Service runs conversations.
type Service struct {
	st    desk.Store
	bus   desk.Bus
	clock desk.Clock
	log   *slog.Logger
	// kick wakes the outbox worker after a commit that queued work.
	kick        func()
	afterIngest func(ctx context.Context, res *IngestResult)

	hooksMu  sync.Mutex
	hooks    []desk.Webhook
	hooksAt  time.Time
	inboxMu  sync.Mutex
	inboxes  map[int64]*desk.Inbox
	inboxAge map[int64]time.Time
}

// Options configure a Service.
type Options struct {
	// Kick is called after a transaction queued outbox work; may be nil.
	Kick func()
	// AfterIngest, when set, is called with every stored customer message
	// (not duplicates), after commit, on the node that took it in: the
	// bot answers from here, so that several nodes never answer twice.
	// It must not block.
	AfterIngest func(ctx context.Context, res *IngestResult)
}

// New returns a conversation service.
func New(st desk.Store, bus desk.Bus, clock desk.Clock, log *slog.Logger, opts Options) *Service {
	if opts.Kick == nil {
		opts.Kick = func() {}
	}
	return &Service{st: st, bus: bus, clock: clock, log: log, kick: opts.Kick, afterIngest: opts.AfterIngest,
		inboxes: map[int64]*desk.Inbox{}, inboxAge: map[int64]time.Time{}}
}

// Actor is who does something: an agent (ID > 0), the bot, or the system.
type Actor struct {
	AgentID int64
	Name    string
	// Bot marks the front-line bot: its messages are sent as the bot.
	Bot bool
}

// IngestResult tells what Ingest did.
type IngestResult struct {
	Conversation    *desk.Conversation
	Message         *desk.Message
	Contact         *desk.Contact
	NewConversation bool
	// Duplicate is true when the channel's message id was seen before;
	// nothing was written and Message is the stored one.
	Duplicate bool
}

// Ingest stores a customer's message: it resolves the sender to a contact,
// finds or opens the conversation, stores the message and its attachments and
// queues webhooks, all in one transaction. A repeated ExternalID is not stored
// twice.
func (s *Service) Ingest(ctx context.Context, in desk.Inbound) (*IngestResult, error) {
	body, err := cleanBody(in.Body)
	if err != nil {
		return nil, err
	}
	if body == "" && len(in.Attachments) == 0 {
		return nil, desk.Invalid("body", "a message needs text or an attachment")
	}
	if len(in.Attachments) > MaxAttachments {
		return nil, desk.Invalid("attachments", fmt.Sprintf("at most %d", MaxAttachments))
	}
	if len(in.ExternalID) > 255 {
		return nil, desk.Invalid("external_id", "at most 255 bytes")
	}
	inbox, err := s.inbox(ctx, s.st, in.InboxID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	if in.At.IsZero() || in.At.After(now) {
		in.At = now
	}
	// Text analysis runs here, in the request's goroutine, not in the
	// transaction (the embedded store has a single writer).
	terms := lang.IndexTerms(body)
	language := lang.Detect(body)
	// A sender known by id is read before the transaction, from a reader:
	// the single writer of the embedded store is the scarce resource.
	var known *desk.Contact
	if in.ContactID != 0 {
		if known, err = s.st.ContactByID(ctx, in.ContactID); err != nil {
			return nil, fmt.Errorf("conversation: ingest: contact %d: %w", in.ContactID, err)
		}
	}
	var res IngestResult
	var events []desk.Event
	queued := false
	ingest := func(tx desk.Store) error {
		res, events, queued = IngestResult{}, nil, false
		if in.ExternalID != "" {
			m, err := tx.MessageByExternalID(ctx, inbox.ID, in.ExternalID)
			if err == nil {
				if in.ConversationID != 0 && m.ConversationID != in.ConversationID {
					return fmt.Errorf("external id %q belongs to conversation %d: %w", in.ExternalID, m.ConversationID, desk.ErrConflict)
				}
				res.Duplicate, res.Message = true, m
				return nil
			}
			if !errors.Is(err, desk.ErrNotFound) {
				return err
			}
		}
		c := known
		if c == nil {
			c, _, err = contact.Resolve(ctx, tx, contact.Sender{Identity: in.From, Name: in.FromName,
				Email: in.FromEmail, Phone: in.FromPhone})
			if err != nil {
				return err
			}
		}
		res.Contact = c

		var conv *desk.Conversation
		switch {
		case in.ConversationID != 0:
			conv, err = tx.ConversationByID(ctx, in.ConversationID)
			if err != nil {
				return fmt.Errorf("conversation %d: %w", in.ConversationID, err)
			}
			if conv.ContactID != c.ID || conv.InboxID != inbox.ID {
				return fmt.Errorf("conversation %d is not this sender's: %w", conv.ID, desk.ErrForbidden)
			}
		case !in.NewConversation:
			conv, err = tx.OpenConversationFor(ctx, inbox.ID, c.ID)
			if err != nil && !errors.Is(err, desk.ErrNotFound) {
				return err
			}
		}
		m := &desk.Message{Kind: desk.KindMessage, Sender: desk.SenderContact,
			SenderID: c.ID, SenderName: c.Name, Body: body, ExternalID: in.ExternalID, CreatedAt: in.At, Meta: in.Meta,
			SearchTerms: terms}
		for _, a := range in.Attachments {
			m.Attachments = append(m.Attachments, desk.Attachment{Name: a.Name, ContentType: a.ContentType,
				Size: a.Size, BlobKey: a.BlobKey, ThumbKey: a.ThumbKey, Width: a.Width, Height: a.Height, CreatedAt: in.At})
		}
		if conv == nil {
			// A new conversation is created in its final state: one write.
			conv = &desk.Conversation{InboxID: inbox.ID, Channel: inbox.Channel, ContactID: c.ID,
				Subject: clipRunes(strings.TrimSpace(in.Subject), 200), Status: desk.StatusOpen,
				Priority: desk.PriorityNone, TeamID: inbox.TeamID, LastActivityAt: in.At,
				LastMessage: preview(m), WaitingSince: in.At, Language: language, CreatedAt: in.At, UpdatedAt: in.At}
			if err := tx.CreateConversation(ctx, conv); err != nil {
				return err
			}
			res.NewConversation = true
		} else {
			// A customer writing brings the conversation back to the agents.
			if conv.Status == desk.StatusResolved {
				conv.Reopens++
			}
			if conv.Status != desk.StatusOpen {
				conv.Status, conv.SnoozedUntil, conv.ResolvedAt = desk.StatusOpen, time.Time{}, time.Time{}
			}
			conv.LastActivityAt, conv.UpdatedAt = in.At, in.At
			conv.LastMessage = preview(m)
			if conv.WaitingSince.IsZero() {
				conv.WaitingSince = in.At
			}
			if conv.Language == "" {
				conv.Language = language
			}
			if err := tx.UpdateConversation(ctx, conv); err != nil {
				return err
			}
		}
		m.ConversationID = conv.ID
		if err := tx.CreateMessage(ctx, m); err != nil {
			return err
		}
		res.Conversation, res.Message = conv, m
		if res.NewConversation {
			events = append(events, desk.Event{Type: desk.EventConversationCreated, Conversation: conv})
		}
		events = append(events, desk.Event{Type: desk.EventMessageCreated, Conversation: conv, Message: m})
		queued, err = s.queueWebhooks(ctx, tx, events)
		return err
	}
	// A race with a concurrent first message of the same new customer is
	// resolved by trying again: the second try finds the customer.
	for attempt := 0; ; attempt++ {
		err = s.st.InTx(ctx, ingest)
		if !errors.Is(err, contact.ErrRace) || attempt == 2 {
			break
		}
	}
	if err != nil {
		if errors.Is(err, desk.ErrConflict) && !errors.Is(err, contact.ErrRace) && in.ExternalID != "" {
			// Another request stored the same provider message first.
			m, gerr := s.st.MessageByExternalID(ctx, inbox.ID, in.ExternalID)
			if gerr == nil && (in.ConversationID == 0 || m.ConversationID == in.ConversationID) {
				res = IngestResult{Duplicate: true, Message: m}
				err = nil
			}
		}
		if err != nil {
			return nil, fmt.Errorf("conversation: ingest: %w", err)
		}
	}
	if res.Duplicate {
		conv, err := s.st.ConversationByID(ctx, res.Message.ConversationID)
		if err != nil {
			return nil, fmt.Errorf("conversation: ingest: %w", err)
		}
		res.Conversation = conv
		if res.Contact, err = s.st.ContactByID(ctx, conv.ContactID); err != nil {
			return nil, fmt.Errorf("conversation: ingest: %w", err)
		}
		return &res, nil
	}
	s.after(ctx, res.Conversation.ContactID, events, queued)
	if s.afterIngest != nil {
		s.afterIngest(ctx, &res)
	}
	return &res, nil
}

// Reply stores an agent's message to the customer and queues it for sending
// on the conversation's channel.
func (s *Service) Reply(ctx context.Context, by Actor, conversationID int64, body string, atts []desk.InboundAttachment) (*desk.Message, error) {
	m, _, err := s.addAgentMessage(ctx, by, conversationID, desk.KindMessage, body, atts, nil, "")
	return m, err
}

// ReplyWith is Reply that also runs also in the message's transaction, after
// the message is written: an error from also stores nothing and is returned
// (wrapped). Callers record there that they sent something (a survey, a
// status notice), so that it is recorded exactly when it is sent. also may
// run more than once when the transaction is retried.
func (s *Service) ReplyWith(ctx context.Context, by Actor, conversationID int64, body string, also func(tx desk.Store) error) (*desk.Message, error) {
	m, _, err := s.addAgentMessage(ctx, by, conversationID, desk.KindMessage, body, nil, also, "")
	return m, err
}

// Note stores an internal note that only agents see.
func (s *Service) Note(ctx context.Context, by Actor, conversationID int64, body string) (*desk.Message, error) {
	m, _, err := s.addAgentMessage(ctx, by, conversationID, desk.KindNote, body, nil, nil, "")
	return m, err
}

// addAgentMessage stores an agent's (or balie's) message or note. With a
// key (see NoteOnce) a message of the same kind already stored under it in
// the conversation is returned instead, with created false.
func (s *Service) addAgentMessage(ctx context.Context, by Actor, convID int64, kind desk.MessageKind, body string, atts []desk.InboundAttachment,
	also func(tx desk.Store) error, key string) (_ *desk.Message, created bool, _ error) {
	body, err := cleanBody(body)
	if err != nil {
		return nil, false, err
	}
	if body == "" && len(atts) == 0 {
		return nil, false, desk.Invalid("body", "a message needs text or an attachment")
	}
	if len(atts) > MaxAttachments {
		return nil, false, desk.Invalid("attachments", fmt.Sprintf("at most %d", MaxAttachments))
	}
	now := s.clock.Now()
	terms := lang.IndexTerms(body) // before the transaction; see Ingest
	var msg *desk.Message
	var events []desk.Event
	queued, existed := false, false
	var contactID, inboxID int64
	err = s.st.InTx(ctx, func(tx desk.Store) error {
		msg, events, queued, existed = nil, nil, false, false
		conv, err := tx.ConversationByID(ctx, convID)
		if err != nil {
			return err
		}
		contactID, inboxID = conv.ContactID, conv.InboxID
		inbox, err := s.inbox(ctx, tx, conv.InboxID)
		if err != nil {
			return err
		}
		if key != "" {
			m, err := keyed(ctx, tx, conv.InboxID, convID, kind, key)
			if err == nil {
				msg, existed = m, true
				return nil
			}
			if !errors.Is(err, desk.ErrNotFound) {
				return err
			}
		}
		msg, events, queued, err = s.writeKeyed(ctx, tx, by, conv, inbox, kind, body, terms, atts, key, now)
		if err != nil {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		q, err := s.queueWebhooks(ctx, tx, events)
		queued = queued || q
		return err
	})
	if err != nil && key != "" && errors.Is(err, desk.ErrConflict) && inboxID != 0 {
		// A concurrent call with the same key committed first (PostgreSQL;
		// the embedded store's single writer finds it in the transaction).
		if m, kerr := keyed(ctx, s.st, inboxID, convID, kind, key); kerr == nil {
			return m, false, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("conversation: %s on %d: %w", kind, convID, err)
	}
	if existed {
		return msg, false, nil
	}
	s.after(ctx, contactID, events, queued)
	return msg, true, nil
}

// writeAgentMessage stores an agent's (or the bot's, or balie's) message or
// note in conv within tx, updates the conversation, and queues the send
// when the channel needs one. It returns the events to publish and whether
// the outbox has work.
func (s *Service) writeAgentMessage(ctx context.Context, tx desk.Store, by Actor, conv *desk.Conversation, inbox *desk.Inbox,
	kind desk.MessageKind, body string, terms []string, atts []desk.InboundAttachment, now time.Time) (*desk.Message, []desk.Event, bool, error) {
	return s.writeKeyed(ctx, tx, by, conv, inbox, kind, body, terms, atts, "", now)
}

// writeKeyed is writeAgentMessage storing key, when not empty, as the
// message's ExternalID: the inbox's unique index on it makes a second
// message under the same key a conflict.
func (s *Service) writeKeyed(ctx context.Context, tx desk.Store, by Actor, conv *desk.Conversation, inbox *desk.Inbox,
	kind desk.MessageKind, body string, terms []string, atts []desk.InboundAttachment, key string, now time.Time) (*desk.Message, []desk.Event, bool, error) {
	var events []desk.Event
	m := &desk.Message{ConversationID: conv.ID, Kind: kind, Sender: desk.SenderAgent,
		SenderID: by.AgentID, SenderName: by.Name, Body: body, ExternalID: key, CreatedAt: now, SearchTerms: terms}
	switch {
	case by.Bot:
		m.Sender = desk.SenderBot
	case by.AgentID == 0:
		m.Sender = desk.SenderSystem
	}
	for _, a := range atts {
		m.Attachments = append(m.Attachments, desk.Attachment{Name: a.Name, ContentType: a.ContentType,
			Size: a.Size, BlobKey: a.BlobKey, ThumbKey: a.ThumbKey, Width: a.Width, Height: a.Height, CreatedAt: now})
	}
	sendOut := kind == desk.KindMessage && needsSend(inbox.Channel)
	if kind == desk.KindMessage {
		m.Delivery = desk.DeliverySent // web chat: delivered live over the socket
		if sendOut {
			m.Delivery = desk.DeliveryQueued
		}
	}
	if err := tx.CreateMessage(ctx, m); err != nil {
		return nil, nil, false, err
	}
	conv.LastActivityAt, conv.UpdatedAt = now, now
	if kind == desk.KindMessage && m.Sender != desk.SenderSystem {
		// Answered: the customer is no longer waiting. balie's own notices
		// (your place in the queue, we are closed) answer nothing.
		conv.LastMessage = preview(m)
		conv.WaitingSince = time.Time{}
		if m.Sender == desk.SenderAgent && conv.FirstReplyAt.IsZero() {
			conv.FirstReplyAt = now
		}
	}
	if conv.AssigneeID == 0 && kind == desk.KindMessage && by.AgentID != 0 {
		// Whoever answers an unassigned conversation takes it.
		conv.AssigneeID = by.AgentID
		events = append(events, desk.Event{Type: desk.EventConversationAssigned, Conversation: conv})
	}
	if err := tx.UpdateConversation(ctx, conv); err != nil {
		return nil, nil, false, err
	}
	queued := false
	if sendOut {
		item := &desk.OutboxItem{Kind: desk.OutboxChannelSend, Target: m.ID,
			IdempotencyKey: "send-" + strconv.FormatInt(m.ID, 10), State: desk.OutboxPending,
			NextAttemptAt: now, CreatedAt: now}
		if err := tx.EnqueueOutbox(ctx, item); err != nil {
			return nil, nil, false, err
		}
		queued = true
	}
	events = append(events, desk.Event{Type: desk.EventMessageCreated, Conversation: conv, Message: m})
	return m, events, queued, nil
}

// needsSend reports whether agent messages on a channel leave through the
// outbox. Web chat delivers over the visitor's WebSocket instead.
func needsSend(k desk.ChannelKind) bool { return k != desk.ChannelWebChat }

// Change is a set of changes to a conversation's state; nil fields stay.
type Change struct {
	Status       *desk.Status
	Priority     *desk.Priority
	AssigneeID   *int64
	TeamID       *int64
	Labels       *[]string
	SnoozedUntil *time.Time
	Subject      *string
	// Category sets what the conversation is about (a key; "" clears it),
	// recorded as set by CategoryBy.
	Category   *string
	CategoryBy desk.CategorySource
	// Handover records that the bot handed the conversation to people:
	// the customer is waiting for a person from now on.
	Handover bool
	// Note is added as an internal note in the same transaction (transfer).
	Note string
	// IfUnassigned applies the change only while the conversation is still
	// open and nobody is assigned, checked in the transaction: routing
	// decides on a read taken earlier, and must not overwrite an agent who
	// took the conversation or resolved it meanwhile. Otherwise the result
	// is desk.ErrConflict and nothing changes.
	IfUnassigned bool
}

// Update applies a change and records what changed as activity in the thread.
func (s *Service) Update(ctx context.Context, by Actor, conversationID int64, ch Change) (*desk.Conversation, error) {
	if err := s.validate(ctx, ch); err != nil {
		return nil, err
	}
	note, err := cleanBody(ch.Note)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	var conv *desk.Conversation
	var events []desk.Event
	queued := false
	err = s.st.InTx(ctx, func(tx desk.Store) error {
		events, queued = nil, false
		c, err := tx.ConversationByID(ctx, conversationID)
		if err != nil {
			return err
		}
		if ch.IfUnassigned && (c.Status != desk.StatusOpen || c.AssigneeID != 0) {
			return fmt.Errorf("conversation %d is %s, assignee %d: %w", c.ID, c.Status, c.AssigneeID, desk.ErrConflict)
		}
		// Each change is recorded twice: as a catalogue key with arguments,
		// which the agent UI shows in the reader's language, and in
		// English in Body, for API and webhook consumers.
		var activity []desk.ActivityItem
		var english []string
		record := func(text, key string, args ...string) {
			english = append(english, text)
			activity = append(activity, desk.ActivityItem{Key: key, Args: args})
		}
		assigned, updated := false, false
		if ch.Status != nil && *ch.Status != c.Status {
			switch *ch.Status {
			case desk.StatusResolved:
				c.ResolvedAt = now
				c.SnoozedUntil = time.Time{}
				record("resolved", desk.ActivityResolved)
			case desk.StatusOpen:
				if c.Status == desk.StatusResolved {
					c.Reopens++
				}
				c.ResolvedAt, c.SnoozedUntil = time.Time{}, time.Time{}
				record("reopened", desk.ActivityReopened)
			case desk.StatusPending:
				record("set to pending", desk.ActivityPending)
			case desk.StatusSnoozed:
				if ch.SnoozedUntil == nil || !ch.SnoozedUntil.After(now) {
					return desk.Invalid("snoozed_until", "snoozing needs a time in the future")
				}
			}
			c.Status = *ch.Status
			updated = true
		}
		if ch.SnoozedUntil != nil && !ch.SnoozedUntil.IsZero() {
			if !ch.SnoozedUntil.After(now) {
				return desk.Invalid("snoozed_until", "must be in the future")
			}
			c.Status, c.SnoozedUntil = desk.StatusSnoozed, ch.SnoozedUntil.UTC()
			record("snoozed until "+c.SnoozedUntil.Format("2006-01-02 15:04 MST"),
				desk.ActivitySnoozed, c.SnoozedUntil.Format(time.RFC3339))
			updated = true
		}
		if ch.Priority != nil && *ch.Priority != c.Priority {
			c.Priority = *ch.Priority
			record("priority "+string(c.Priority), desk.ActivityPriority, string(c.Priority))
			updated = true
		}
		if ch.Subject != nil {
			c.Subject = clipRunes(strings.TrimSpace(*ch.Subject), 200)
			updated = true
		}
		if ch.Labels != nil {
			c.Labels = desk.NormaliseLabels(*ch.Labels)
			record("labels: "+strings.Join(c.Labels, ", "), desk.ActivityLabels, strings.Join(c.Labels, ","))
			updated = true
		}
		if ch.TeamID != nil && *ch.TeamID != c.TeamID {
			c.TeamID = *ch.TeamID
			text, name := "moved to no team", ""
			if c.TeamID != 0 {
				t, err := tx.TeamByID(ctx, c.TeamID)
				if err != nil {
					return fmt.Errorf("team %d: %w", c.TeamID, err)
				}
				text, name = "moved to team "+t.Name, t.Name
			}
			record(text, desk.ActivityTeam, name)
			assigned = true
		}
		if ch.Category != nil && (*ch.Category != c.Category || ch.CategoryBy != c.CategoryBy) {
			key := strings.ToLower(strings.TrimSpace(*ch.Category))
			if len(key) > 64 {
				return desk.Invalid("category", "at most 64 characters")
			}
			// The classifier's guess at first contact shows in the header,
			// not as a line in the thread; an agent's choice is recorded.
			if key != c.Category && ch.CategoryBy != desk.CategoryByBot {
				record("category: "+key, desk.ActivityCategory, key)
			}
			c.Category, c.CategoryBy = key, ch.CategoryBy
			if key == "" {
				c.CategoryBy = ""
			}
			updated = true
		}
		if ch.Handover {
			c.WaitingSince = now
			if c.HandedOverAt.IsZero() {
				c.HandedOverAt = now
			}
			team := ""
			if c.TeamID != 0 {
				if t, err := tx.TeamByID(ctx, c.TeamID); err == nil {
					team = t.Name
				}
			}
			record("handed over by the bot", desk.ActivityHandover, team)
			assigned = true
		}
		if ch.AssigneeID != nil && *ch.AssigneeID != c.AssigneeID {
			c.AssigneeID = *ch.AssigneeID
			text, name := "assigned to nobody", ""
			if c.AssigneeID != 0 {
				a, err := tx.AgentByID(ctx, c.AssigneeID)
				if err != nil {
					return fmt.Errorf("agent %d: %w", c.AssigneeID, err)
				}
				if a.Disabled {
					return desk.Invalid("assignee_id", "agent is disabled")
				}
				text, name = "assigned to "+a.Name, a.Name
			}
			record(text, desk.ActivityAssigned, name)
			assigned = true
		}
		c.UpdatedAt, c.LastActivityAt = now, now
		if err := tx.UpdateConversation(ctx, c); err != nil {
			return err
		}
		if len(activity) > 0 {
			who := by.Name
			if who == "" {
				who = "balie"
			}
			m := &desk.Message{ConversationID: c.ID, Kind: desk.KindActivity, Sender: desk.SenderSystem,
				SenderID: by.AgentID, SenderName: who, Body: who + ": " + strings.Join(english, "; "),
				Activity: activity, CreatedAt: now}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			events = append(events, desk.Event{Type: desk.EventMessageCreated, Conversation: c, Message: m})
		}
		if note != "" {
			m := &desk.Message{ConversationID: c.ID, Kind: desk.KindNote, Sender: desk.SenderAgent,
				SenderID: by.AgentID, SenderName: by.Name, Body: note, CreatedAt: now}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			events = append(events, desk.Event{Type: desk.EventMessageCreated, Conversation: c, Message: m})
		}
		if assigned {
			events = append(events, desk.Event{Type: desk.EventConversationAssigned, Conversation: c})
		}
		if updated || (!assigned && len(activity) == 0) {
			events = append(events, desk.Event{Type: desk.EventConversationUpdated, Conversation: c})
		}
		conv = c
		queued, err = s.queueWebhooks(ctx, tx, events)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("conversation: update %d: %w", conversationID, err)
	}
	s.after(ctx, conv.ContactID, events, queued)
	return conv, nil
}

func (s *Service) validate(ctx context.Context, ch Change) error {
	if ch.Status != nil && !ch.Status.Valid() {
		return desk.Invalid("status", "must be open, pending, snoozed or resolved")
	}
	if ch.Priority != nil && !ch.Priority.Valid() {
		return desk.Invalid("priority", "must be none, low, medium, high or urgent")
	}
	if ch.Labels != nil {
		if len(*ch.Labels) > maxLabels {
			return desk.Invalid("labels", fmt.Sprintf("at most %d", maxLabels))
		}
		for _, l := range *ch.Labels {
			if len(l) > maxLabelLen || strings.ContainsAny(l, ",<>\"'") {
				return desk.Invalid("labels", "labels are short words without , < > or quotes")
			}
		}
	}
	if ch.Subject != nil && len(*ch.Subject) > 1000 {
		return desk.Invalid("subject", "too long")
	}
	return nil
}

// WakeSnoozed reopens conversations whose snooze ended, notes it in each
// thread and tells webhooks. The worker calls it periodically.
func (s *Service) WakeSnoozed(ctx context.Context) (int, error) {
	woken, err := s.st.WakeSnoozed(ctx, s.clock.Now())
	if err != nil {
		return 0, fmt.Errorf("conversation: wake snoozed: %w", err)
	}
	for i := range woken {
		c := &woken[i]
		now := s.clock.Now()
		var events []desk.Event
		queued := false
		err := s.st.InTx(ctx, func(tx desk.Store) error {
			m := &desk.Message{ConversationID: c.ID, Kind: desk.KindActivity, Sender: desk.SenderSystem,
				SenderName: "balie", Body: "balie: snooze ended, back in the inbox",
				Activity: []desk.ActivityItem{{Key: desk.ActivitySnoozeEnded}}, CreatedAt: now}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			events = []desk.Event{{Type: desk.EventMessageCreated, Conversation: c, Message: m},
				{Type: desk.EventConversationUpdated, Conversation: c}}
			var err error
			queued, err = s.queueWebhooks(ctx, tx, events)
			return err
		})
		if err != nil {
			return i, fmt.Errorf("conversation: wake snoozed %d: %w", c.ID, err)
		}
		s.after(ctx, c.ContactID, events, queued)
	}
	return len(woken), nil
}

// Typing announces that someone started or stopped typing. Nothing is stored.
func (s *Service) Typing(ctx context.Context, conv *desk.Conversation, sender desk.Sender, name string, typing bool) {
	s.bus.Publish(ctx, desk.Event{Type: desk.EventTyping, ConversationID: conv.ID, ContactID: conv.ContactID,
		InboxID: conv.InboxID, TypingSender: sender, TypingName: name, Typing: typing, At: s.clock.Now()})
}

// after publishes events once their transaction committed.
func (s *Service) after(ctx context.Context, contactID int64, events []desk.Event, queued bool) {
	now := s.clock.Now()
	for _, e := range events {
		if e.Conversation != nil {
			e.ConversationID, e.InboxID = e.Conversation.ID, e.Conversation.InboxID
		}
		e.ContactID, e.At = contactID, now
		s.bus.Publish(ctx, e)
	}
	if queued {
		s.kick()
	}
}

// queueWebhooks writes one outbox row per subscribed webhook and event.
func (s *Service) queueWebhooks(ctx context.Context, tx desk.Store, events []desk.Event) (bool, error) {
	hooks, err := s.webhooks(ctx, tx)
	if err != nil || len(hooks) == 0 {
		return false, err
	}
	now := s.clock.Now()
	queued := false
	for _, e := range events {
		for _, h := range hooks {
			if !h.Wants(e.Type) {
				continue
			}
			var body wire.WebhookBody
			body.ID = randomID()
			body.Type, body.CreatedAt = e.Type, wire.Time{Time: now}
			body.Data.Conversation = wire.FromConversation(e.Conversation)
			body.Data.Message = wire.FromMessage(e.Message)
			payload, err := json.Marshal(body)
			if err != nil {
				return false, err
			}
			item := &desk.OutboxItem{Kind: desk.OutboxWebhook, Target: h.ID, Payload: payload,
				IdempotencyKey: "hook-" + body.ID, State: desk.OutboxPending, NextAttemptAt: now, CreatedAt: now}
			if err := tx.EnqueueOutbox(ctx, item); err != nil {
				return false, err
			}
			queued = true
		}
	}
	return queued, nil
}

// webhooks returns the configured webhooks, cached for a second: they are
// read on every message and change rarely.
// st is the transaction the caller is in (see inbox); the lock is not held
// while reading.
func (s *Service) webhooks(ctx context.Context, st desk.WebhookStore) ([]desk.Webhook, error) {
	s.hooksMu.Lock()
	hooks, fresh := s.hooks, s.hooks != nil && s.clock.Now().Sub(s.hooksAt) < time.Second
	s.hooksMu.Unlock()
	if fresh {
		return hooks, nil
	}
	hooks, err := st.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	if hooks == nil {
		hooks = []desk.Webhook{}
	}
	s.hooksMu.Lock()
	s.hooks, s.hooksAt = hooks, s.clock.Now()
	s.hooksMu.Unlock()
	return hooks, nil
}

// InvalidateCaches forgets cached webhooks and inboxes after an admin change.
func (s *Service) InvalidateCaches() {
	s.hooksMu.Lock()
	s.hooks = nil
	s.hooksMu.Unlock()
	s.inboxMu.Lock()
	s.inboxes = map[int64]*desk.Inbox{}
	s.inboxMu.Unlock()
}

// inbox returns an inbox, cached for a few seconds. st is the store to read
// through on a miss: inside a transaction that must be the transaction (a
// second connection could deadlock a pool of busy transactions).
func (s *Service) inbox(ctx context.Context, st desk.InboxStore, id int64) (*desk.Inbox, error) {
	s.inboxMu.Lock()
	in, ok := s.inboxes[id]
	fresh := ok && s.clock.Now().Sub(s.inboxAge[id]) < 5*time.Second
	s.inboxMu.Unlock()
	if fresh {
		return in, nil
	}
	in, err := st.InboxByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("inbox %d: %w", id, err)
	}
	s.inboxMu.Lock()
	s.inboxes[id], s.inboxAge[id] = in, s.clock.Now()
	s.inboxMu.Unlock()
	return in, nil
}

// cleanBody checks message text: valid UTF-8, within limits, no NUL bytes,
// trimmed. The text is stored as the customer wrote it; every place that
// shows it escapes it.
func cleanBody(s string) (string, error) {
	if len(s) > MaxBody {
		return "", fmt.Errorf("body over %d bytes: %w", MaxBody, desk.ErrTooLarge)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.ReplaceAll(s, "\x00", "")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(s), nil
}

func preview(m *desk.Message) string {
	p := strings.Join(strings.Fields(m.Body), " ")
	if p == "" && len(m.Attachments) > 0 {
		p = "📎 " + m.Attachments[0].Name
	}
	return clipRunes(p, previewLen)
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func randomID() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b[:])
}

// deliveryRank orders delivery states: a receipt never moves a message
// back (a late "delivered" after "read" changes nothing). Failed is final
// only over queued and sent.
func deliveryRank(d desk.Delivery) int {
	switch d {
	case desk.DeliveryQueued:
		return 1
	case desk.DeliverySent:
		return 2
	case desk.DeliveryFailed:
		return 3
	case desk.DeliveryDelivered:
		return 4
	case desk.DeliveryRead:
		return 5
	}
	return 0
}

// Receipt records a provider's delivery or read receipt (or failure) for
// a message balie sent, found by the provider's id in the inbox. Unknown
// ids are ErrNotFound (receipts for messages sent outside balie); a
// receipt that would move the state backwards is ignored. Agents see the
// change live and subscribed webhooks get message.updated.
func (s *Service) Receipt(ctx context.Context, inboxID int64, externalID string, d desk.Delivery, errText string) error {
	m, err := s.st.MessageByExternalID(ctx, inboxID, externalID)
	if err == nil && m.Kind != desk.KindMessage {
		// A note's idempotency key (NoteOnce) is no provider's id.
		err = fmt.Errorf("message %d is a %s: %w", m.ID, m.Kind, desk.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("conversation: receipt %q: %w", externalID, err)
	}
	if deliveryRank(d) <= deliveryRank(m.Delivery) {
		return nil
	}
	errText = clipRunes(errText, 500)
	var conv *desk.Conversation
	var events []desk.Event
	queued := false
	err = s.st.InTx(ctx, func(tx desk.Store) error {
		if err := tx.SetDelivery(ctx, m.ID, d, errText); err != nil {
			return err
		}
		c, err := tx.ConversationByID(ctx, m.ConversationID)
		if err != nil {
			return err
		}
		conv = c
		m.Delivery, m.Error = d, errText
		events = []desk.Event{{Type: desk.EventMessageUpdated, Conversation: c, Message: m}}
		queued, err = s.queueWebhooks(ctx, tx, events)
		return err
	})
	if err != nil {
		return fmt.Errorf("conversation: receipt %q: %w", externalID, err)
	}
	s.after(ctx, conv.ContactID, events, queued)
	return nil
}

// Retry sends again a message whose delivery failed (the agent's "retry"
// button): it goes back to queued with a new outbox item. Only a failed
// message can be retried, so nothing that was sent is sent twice.
func (s *Service) Retry(ctx context.Context, messageID int64) (*desk.Message, error) {
	now := s.clock.Now()
	var msg *desk.Message
	var events []desk.Event
	var contactID int64
	err := s.st.InTx(ctx, func(tx desk.Store) error {
		m, err := tx.MessageByID(ctx, messageID)
		if err != nil {
			return err
		}
		if m.Kind != desk.KindMessage || m.Sender == desk.SenderContact {
			return desk.Invalid("message", "only messages to the customer can be sent again")
		}
		if m.Delivery != desk.DeliveryFailed {
			return fmt.Errorf("message %d is %s, not failed: %w", m.ID, m.Delivery, desk.ErrConflict)
		}
		conv, err := tx.ConversationByID(ctx, m.ConversationID)
		if err != nil {
			return err
		}
		contactID = conv.ContactID
		if err := tx.SetDelivery(ctx, m.ID, desk.DeliveryQueued, ""); err != nil {
			return err
		}
		// A new key: the provider never accepted the failed attempt.
		item := &desk.OutboxItem{Kind: desk.OutboxChannelSend, Target: m.ID,
			IdempotencyKey: fmt.Sprintf("send-%d-retry-%d", m.ID, now.UnixNano()), State: desk.OutboxPending,
			NextAttemptAt: now, CreatedAt: now}
		if err := tx.EnqueueOutbox(ctx, item); err != nil {
			return err
		}
		m.Delivery, m.Error = desk.DeliveryQueued, ""
		msg = m
		events = []desk.Event{{Type: desk.EventMessageUpdated, Conversation: conv, Message: m}}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("conversation: retry message %d: %w", messageID, err)
	}
	s.after(ctx, contactID, events, true)
	return msg, nil
}
