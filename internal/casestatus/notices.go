package casestatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// SettingNotices is the desk.SettingStore key of NoticeSettings (JSON).
const SettingNotices = "portal.notices"

// NoticeSettings are the changes a company announces to its customers.
type NoticeSettings struct {
	Assigned bool `json:"assigned"` // being handled by a team or an agent
	Pending  bool `json:"pending"`  // waiting for the customer
	Resolved bool `json:"resolved"`
}

// DefaultNotices is what a company that chose nothing announces: nothing,
// so that an upgrade never starts messaging customers unasked.
var DefaultNotices = NoticeSettings{}

// Notices reads the company's choice.
func (s *Service) Notices(ctx context.Context) (NoticeSettings, error) {
	v, err := s.st.Setting(ctx, SettingNotices)
	if errors.Is(err, desk.ErrNotFound) {
		return DefaultNotices, nil
	}
	if err != nil {
		return NoticeSettings{}, fmt.Errorf("casestatus: notices: %w", err)
	}
	var ns NoticeSettings
	if err := json.Unmarshal([]byte(v), &ns); err != nil {
		return NoticeSettings{}, fmt.Errorf("casestatus: notices: %w", err)
	}
	return ns, nil
}

// SetNotices stores the company's choice.
func (s *Service) SetNotices(ctx context.Context, ns NoticeSettings) error {
	b, _ := json.Marshal(ns)
	if err := s.st.SetSetting(ctx, SettingNotices, string(b)); err != nil {
		return fmt.Errorf("casestatus: set notices: %w", err)
	}
	return nil
}

// state is what a notice is about, as recorded by MarkStatusNotice; ""
// for states that are never recorded (snoozed: a pause, not news).
func state(c *desk.Conversation) string {
	switch c.Status {
	case desk.StatusResolved:
		return "resolved"
	case desk.StatusPending:
		return "pending"
	case desk.StatusOpen:
		if c.TeamID == 0 && c.AssigneeID == 0 {
			return "received"
		}
		return "handled:t" + strconv.FormatInt(c.TeamID, 10) + ":a" + strconv.FormatInt(c.AssigneeID, 10)
	}
	return ""
}

// Notify tells the customer of c's new state on c's channel, when the
// company announces that kind of change, the state is news (never twice
// for the same change, whichever node sees the event first), and the bot
// does not have the conversation. It reports whether a notice was sent.
//
// The notice, the status link in it and the record that the state was
// announced are written in one transaction: a notice that could not be
// stored is not recorded either, so that calling Notify again (Run does)
// sends it, once.
func (s *Service) Notify(ctx context.Context, c *desk.Conversation) (bool, error) {
	st := state(c)
	if st == "" || s.reply == nil {
		return false, nil
	}
	if s.o.BotHandles(ctx, c) {
		return false, nil
	}
	ns, err := s.Notices(ctx)
	if err != nil {
		return false, err
	}
	var on bool
	switch {
	case st == "resolved":
		on = ns.Resolved
	case st == "pending":
		on = ns.Pending
	case st != "received":
		on = ns.Assigned
	}
	now := s.clock.Now()
	// Every state is recorded, announced or not, so that the next change
	// is compared with where the case really was.
	record := func() (bool, error) {
		if _, err := s.st.MarkStatusNotice(ctx, c.ID, st, now); err != nil {
			return false, fmt.Errorf("casestatus: notify: %w", err)
		}
		return false, nil
	}
	if !on {
		return record()
	}
	ct, err := s.st.ContactByID(ctx, c.ContactID)
	if err != nil {
		return false, fmt.Errorf("casestatus: notify: %w", err)
	}
	if c.Channel == desk.ChannelEmail && ct.Email == "" {
		return record() // nowhere to write to
	}
	locale := c.Language
	if locale != "nl" && locale != "en" {
		locale = ct.Locale
	}
	if locale != "en" {
		locale = "nl"
	}
	team := s.TeamName(ctx, *c)
	// Twice at most: once more without a link when an agent revoked the
	// conversation's links between the look and the transaction.
	for range 2 {
		token := newToken()
		last, err := s.st.StatusLinkOf(ctx, c.ID)
		switch {
		case err == nil && !last.RevokedAt.IsZero():
			token = "" // an agent's revocation sticks: no link
		case err != nil && !errors.Is(err, desk.ErrNotFound):
			return false, fmt.Errorf("casestatus: notify: %w", err)
		}
		link := ""
		if token != "" {
			link = s.URL(locale, token)
		}
		body := noticeText(locale, StepOf(*c), team, link)
		var stale, revoked bool
		_, err = s.reply.ReplyWith(ctx, conversation.Actor{Name: "balie"}, c.ID, body, func(tx desk.Store) error {
			stale, revoked = false, false
			news, err := tx.MarkStatusNotice(ctx, c.ID, st, now)
			if err != nil {
				return err
			}
			if !news {
				stale = true
				return errNoNews
			}
			if token == "" {
				return nil
			}
			_, err = issue(ctx, tx, c.ID, token, now, s.o.TTL)
			revoked = errors.Is(err, desk.ErrForbidden)
			return err
		})
		switch {
		case stale:
			return false, nil
		case revoked:
			continue
		case err != nil:
			return false, fmt.Errorf("casestatus: notify: %w", err)
		}
		return true, nil
	}
	return false, fmt.Errorf("casestatus: notify: status links revoked and regenerated meanwhile: %w", desk.ErrConflict)
}

// errNoNews undoes a notice whose state was announced already.
var errNoNews = errors.New("casestatus: state announced already")

func noticeText(locale string, step Step, team, link string) string {
	var head string
	switch locale {
	case "en":
		switch step {
		case StepHandling:
			head = "Your question is being handled."
			if team != "" {
				head = "Your question is being handled by team " + team + "."
			}
		case StepWaiting:
			head = "We are waiting for you: please answer our last message so that we can go on."
		case StepSolved:
			head = "Your question has been solved. Reply to this message if anything is still unclear."
		}
		if link != "" {
			head += "\nWhere your question stands: " + link
		}
	default:
		switch step {
		case StepHandling:
			head = "Je vraag is in behandeling."
			if team != "" {
				head = "Je vraag is in behandeling bij team " + team + "."
			}
		case StepWaiting:
			head = "We wachten op jou: beantwoord ons laatste bericht, dan kunnen we verder."
		case StepSolved:
			head = "Je vraag is opgelost. Reageer op dit bericht als er nog iets onduidelijk is."
		}
		if link != "" {
			head += "\nHier zie je hoe je vraag ervoor staat: " + link
		}
	}
	return head
}

// Subscriber is the bus the notices follow.
type Subscriber interface {
	Subscribe(fn func(desk.Event)) (cancel func())
}

// Run sends notices for the bus's conversation events until ctx is done.
// Events are queued: the bus's subscribers must not block. A notice that
// fails is tried again later (three tries in all, RetryDelay apart and
// doubling), on the conversation as it is by then.
func (s *Service) Run(ctx context.Context, bus Subscriber) {
	type job struct {
		c     desk.Conversation
		tries int // tries so far
	}
	const maxTries = 3
	queue := make(chan job, 256)
	enqueue := func(j job) {
		select {
		case queue <- j:
		default:
			s.o.Log.Warn("casestatus: notice queue full, change not announced", "conversation", j.c.ID)
		}
	}
	cancel := bus.Subscribe(func(e desk.Event) {
		if e.Conversation == nil || e.Type != desk.EventConversationUpdated && e.Type != desk.EventConversationAssigned {
			return
		}
		enqueue(job{c: *e.Conversation})
	})
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-queue:
			work := context.WithoutCancel(ctx)
			if j.tries > 0 {
				c, err := s.st.ConversationByID(work, j.c.ID)
				if err != nil {
					s.o.Log.Error("casestatus: status notice", "conversation", j.c.ID, "err", err)
					continue
				}
				j.c = *c
			}
			_, err := s.Notify(work, &j.c)
			if err == nil {
				continue
			}
			j.tries++
			if j.tries >= maxTries {
				s.o.Log.Error("casestatus: status notice, giving up", "conversation", j.c.ID, "tries", j.tries, "err", err)
				continue
			}
			s.o.Log.Warn("casestatus: status notice, will try again", "conversation", j.c.ID, "err", err)
			time.AfterFunc(s.o.RetryDelay<<(j.tries-1), func() {
				if ctx.Err() == nil {
					enqueue(j)
				}
			})
		}
	}
}
