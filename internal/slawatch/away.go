package slawatch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/sla"
)

// The out-of-hours reply: a customer who writes while their conversation's
// team is closed is told when it is back, once per conversation per closed
// period. Not while the bot has the conversation (it tells the customer
// itself when it hands over), not while an agent is talking with the
// customer anyway (an agent working late), and not to automated mail
// (the mail channel does not store it).

// Default away texts, for teams with hours but without texts of their own.
const (
	DefaultAwayNL = "Bedankt voor je bericht! We zijn er weer {{next_open}}; dan helpen we je zo snel mogelijk."
	DefaultAwayEN = "Thanks for your message! We are back {{next_open}} and will help you as soon as we can."
)

// quiet is how long no agent may have written for the away reply to go
// out: within it, someone is evidently there.
const quiet = time.Hour

type awayJob struct{ convID, msgID int64 }

// AfterIngest queues the out-of-hours check of a stored customer message
// (conversation.Options.AfterIngest). It never blocks: when the queue is
// full the check is dropped, and the customer gets no away reply.
func (s *Service) AfterIngest(_ context.Context, res *conversation.IngestResult) {
	if res == nil || res.Duplicate || res.Message == nil || res.Conversation == nil {
		return
	}
	select {
	case s.away <- awayJob{res.Conversation.ID, res.Message.ID}:
	default:
		s.log.Warn("slawatch: away queue full", "conversation", res.Conversation.ID)
	}
}

// Run handles the queued checks until ctx is done.
func (s *Service) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.away:
			if _, err := s.Away(context.WithoutCancel(ctx), j.convID, j.msgID); err != nil {
				s.log.Warn("slawatch: away reply", "conversation", j.convID, "err", err)
			}
		}
	}
}

// Away sends the out-of-hours reply for customer message msgID of the
// conversation when it is due, and returns it (nil when none was due).
func (s *Service) Away(ctx context.Context, convID, msgID int64) (*desk.Message, error) {
	now := s.clock.Now()
	e, err := s.loadEnv(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("slawatch: away: %w", err)
	}
	if len(e.hours) == 0 {
		// No team keeps hours: always open, and the message need not be
		// read again (this runs for every customer message).
		return nil, nil
	}
	c, err := s.st.ConversationByID(ctx, convID)
	if err != nil {
		return nil, fmt.Errorf("slawatch: away: %w", err)
	}
	h, ok := e.hoursOf(c)
	if !ok || h.Open(now) {
		return nil, nil
	}
	next := h.NextOpen(now)
	if next.IsZero() {
		// Closed for good (everything a holiday): no promise to make.
		return nil, nil
	}
	if in := e.inboxes[c.InboxID]; in != nil && front.BotConfigOf(in).Enabled &&
		c.HandedOverAt.IsZero() && c.AssigneeID == 0 {
		return nil, nil
	}
	msgs, err := thread(ctx, s.st, c.ID)
	if err != nil {
		return nil, fmt.Errorf("slawatch: away: %w", err)
	}
	team := e.teams[e.teamOf(c)]
	found := false
	for _, m := range msgs {
		if m.ID == msgID {
			found = m.Sender == desk.SenderContact && m.Kind == desk.KindMessage
		}
		if m.Kind != desk.KindMessage {
			continue
		}
		switch m.Sender {
		case desk.SenderAgent, desk.SenderBot:
			if now.Sub(m.CreatedAt) < quiet {
				return nil, nil
			}
		case desk.SenderSystem:
			// Two closed moments share a closed period when the team
			// opens next at the same time.
			if h.NextOpen(m.CreatedAt).Equal(next) && isAway(team, h, m) {
				return nil, nil
			}
		}
	}
	if !found {
		return nil, nil
	}
	body := AwayText(team, c.Language, next, now)
	m, err := s.convs.Reply(ctx, balie, c.ID, body, nil)
	if err != nil {
		return nil, fmt.Errorf("slawatch: away: %w", err)
	}
	return m, nil
}

// isAway reports whether balie's message m was the team's away reply, as
// it would have been written at the time (other parts of balie write system
// messages too: the queue position). A text changed since is not
// recognised, which costs at most one more reply.
func isAway(t *desk.Team, h sla.Hours, m desk.Message) bool {
	for _, lang := range []string{"nl", "en"} {
		if m.Body == AwayText(t, lang, h.NextOpen(m.CreatedAt), m.CreatedAt) {
			return true
		}
	}
	return false
}

// AwayText is a team's out-of-hours reply in the customer's language with
// {{next_open}} filled in: English for "en", Dutch otherwise (balie's
// customers are Dutch first); the team's text, else the default.
func AwayText(t *desk.Team, lang string, next, now time.Time) string {
	key, def := desk.TeamAwayNL, DefaultAwayNL
	if lang != "" && lang != "nl" {
		key, def, lang = desk.TeamAwayEN, DefaultAwayEN, "en"
	} else {
		lang = "nl"
	}
	text := def
	if t != nil && strings.TrimSpace(t.Settings[key]) != "" {
		text = t.Settings[key]
	}
	return strings.ReplaceAll(text, "{{next_open}}", sla.FormatWhen(next, now, lang))
}
