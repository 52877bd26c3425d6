package conversation

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
)

// Reachable reports whether balie can start a conversation with c on a
// channel: it needs the customer's handle there (an email address for
// email, a phone number for WhatsApp, a user id for Telegram, Messenger
// and Instagram). Web chat and phone cannot be started from balie.
func Reachable(ch desk.ChannelKind, c *desk.Contact) bool {
	has := func(kind desk.IdentityKind) bool {
		for _, id := range c.Identities {
			if id.Kind == kind && id.Value != "" {
				return true
			}
		}
		return false
	}
	switch ch {
	case desk.ChannelEmail:
		return strings.TrimSpace(c.Email) != "" || has(desk.IdentityEmail)
	case desk.ChannelWhatsApp:
		return strings.TrimSpace(c.Phone) != "" || has(desk.IdentityPhone)
	case desk.ChannelTelegram:
		return has(desk.IdentityTelegram)
	case desk.ChannelMessenger:
		return has(desk.IdentityMessenger)
	case desk.ChannelInstagram:
		return has(desk.IdentityInstagram)
	}
	return false
}

// Continue answers a customer on another channel ("reply by email
// instead"): it opens a conversation in inbox toInbox for the same
// customer, with the agent's message as its first (sent through the
// outbox), and resolves the original. Both threads record where the
// conversation went on, so whoever opens either finds the other. The new
// conversation keeps the original's subject, team, category, priority and
// language, and is assigned to the agent.
func (s *Service) Continue(ctx context.Context, by Actor, fromID, toInbox int64, body string) (*desk.Conversation, *desk.Message, error) {
	body, err := cleanBody(body)
	if err != nil {
		return nil, nil, err
	}
	if body == "" {
		return nil, nil, desk.Invalid("body", "write the message to send")
	}
	now := s.clock.Now()
	terms := lang.IndexTerms(body)
	var conv *desk.Conversation
	var msg *desk.Message
	var events []desk.Event
	queued := false
	err = s.st.InTx(ctx, func(tx desk.Store) error {
		events, queued = nil, false
		src, err := tx.ConversationByID(ctx, fromID)
		if err != nil {
			return err
		}
		from, err := s.inbox(ctx, tx, src.InboxID)
		if err != nil {
			return err
		}
		to, err := s.inbox(ctx, tx, toInbox)
		if err != nil {
			return fmt.Errorf("inbox %d: %w", toInbox, err)
		}
		if to.ID == from.ID {
			return desk.Invalid("inbox_id", "the conversation is already in this inbox: reply there")
		}
		c, err := tx.ContactByID(ctx, src.ContactID)
		if err != nil {
			return err
		}
		if !Reachable(to.Channel, c) {
			return desk.Invalid("inbox_id", fmt.Sprintf("the customer has no address on %s", to.Channel))
		}
		subject := src.Subject
		if subject == "" {
			subject = clipRunes(src.LastMessage, 80)
		}
		assignee := by.AgentID
		if assignee == 0 {
			assignee = src.AssigneeID
		}
		conv = &desk.Conversation{InboxID: to.ID, Channel: to.Channel, ContactID: c.ID, Subject: subject,
			Status: desk.StatusOpen, Priority: src.Priority, AssigneeID: assignee, TeamID: src.TeamID,
			Labels: src.Labels, Category: src.Category, CategoryBy: src.CategoryBy, Language: src.Language,
			LastActivityAt: now, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateConversation(ctx, conv); err != nil {
			return err
		}
		events = append(events, desk.Event{Type: desk.EventConversationCreated, Conversation: conv})
		who := by.Name
		if who == "" {
			who = "balie"
		}
		// The link in both threads, before the message in the new one.
		link := func(in *desk.Conversation, key string, other *desk.Conversation, text string) error {
			m := &desk.Message{ConversationID: in.ID, Kind: desk.KindActivity, Sender: desk.SenderSystem,
				SenderID: by.AgentID, SenderName: who, CreatedAt: now,
				Body:     fmt.Sprintf("%s: %s %s (conversation %d)", who, text, other.Channel, other.ID),
				Activity: []desk.ActivityItem{{Key: key, Args: []string{string(other.Channel), strconv.FormatInt(other.ID, 10)}}}}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			events = append(events, desk.Event{Type: desk.EventMessageCreated, Conversation: in, Message: m})
			return nil
		}
		if err := link(conv, desk.ActivityContinuedFrom, src, "continued from"); err != nil {
			return err
		}
		m, evs, q, err := s.writeAgentMessage(ctx, tx, by, conv, to, desk.KindMessage, body, terms, nil, now)
		if err != nil {
			return err
		}
		msg, queued, events = m, q, append(events, evs...)
		if err := link(src, desk.ActivityContinuedIn, conv, "continued on"); err != nil {
			return err
		}
		if src.Status != desk.StatusResolved {
			src.Status, src.ResolvedAt, src.SnoozedUntil = desk.StatusResolved, now, time.Time{}
			src.WaitingSince = time.Time{}
		}
		src.LastActivityAt, src.UpdatedAt = now, now
		if err := tx.UpdateConversation(ctx, src); err != nil {
			return err
		}
		events = append(events, desk.Event{Type: desk.EventConversationUpdated, Conversation: src})
		q, err = s.queueWebhooks(ctx, tx, events)
		queued = queued || q
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("conversation: continue %d in inbox %d: %w", fromID, toInbox, err)
	}
	s.after(ctx, conv.ContactID, events, queued)
	return conv, msg, nil
}
