// Package feedback asks customers what they thought and closes the loop:
// a satisfaction survey after resolution (on the customer's own channel,
// answered on a help-center page), results per agent, team, category and
// channel, a follow-up for low scores, compliments, invitations to leave a
// public review, and improvement signals whose reporters are told when
// the problem is fixed.
//
// It imports desk and conversation (to send messages and follow-ups).
package feedback

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// Store is what the service reads and writes.
type Store interface {
	desk.FeedbackStore
	desk.SettingStore
	ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error)
	ContactByID(ctx context.Context, id int64) (*desk.Contact, error)
	ListMessages(ctx context.Context, conversationID int64, afterID int64, limit int) ([]desk.Message, error)
	ListAgents(ctx context.Context) ([]desk.Agent, error)
	ListTeams(ctx context.Context) ([]desk.Team, error)
}

// Conversations is the part of conversation.Service feedback uses.
// ReplyWith runs also in the message's transaction, so that a survey or
// a fix notice is recorded exactly when its message is stored.
type Conversations interface {
	ReplyWith(ctx context.Context, by conversation.Actor, conversationID int64, body string,
		also func(tx desk.Store) error) (*desk.Message, error)
	Update(ctx context.Context, by conversation.Actor, conversationID int64, ch conversation.Change) (*desk.Conversation, error)
}

// Options configure a Service.
type Options struct {
	// BaseURL is the site's public address ("https://help.example.com"),
	// put in front of survey links; "" leaves them as paths.
	BaseURL string
	// Lookback is how far back the survey job looks for resolved
	// conversations (default three days), so that turning surveys on does
	// not survey the whole history.
	Lookback time.Duration
}

// Service runs surveys, compliments and improvement signals.
type Service struct {
	st    Store
	conv  Conversations
	clock desk.Clock
	log   *slog.Logger
	opts  Options
}

// New returns a feedback service.
func New(st Store, conv Conversations, clock desk.Clock, log *slog.Logger, opts Options) *Service {
	if opts.Lookback <= 0 {
		opts.Lookback = 72 * time.Hour
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts.BaseURL = strings.TrimSuffix(opts.BaseURL, "/")
	return &Service{st: st, conv: conv, clock: clock, log: log, opts: opts}
}

// system is balie itself, the sender of surveys and fix notices.
var system = conversation.Actor{Name: "balie"}

// EditWindow is how long after the first answer a customer may change it.
const EditWindow = 24 * time.Hour

// Reasons a conversation gets no survey.
const (
	SkipBotOnly   = "bot_only"   // no agent answered
	SkipAutomated = "automated"  // a no-reply address
	SkipChannel   = "no_channel" // phone: nothing to send the link on
)

// Job is the survey job for the sweeper: it sends the surveys that are due.
func (s *Service) Job(ctx context.Context) error {
	_, err := s.SendDue(ctx)
	return err
}

// SendDue surveys the conversations resolved at least the configured delay
// ago that are still resolved and have no survey yet. Each conversation is
// decided once: a survey row, sent or skipped, claims it, also against
// other nodes. A sent survey's row is written in the same transaction as
// its message, so a send that fails leaves no row and the next run tries
// again, and a survey is never recorded as sent without its message.
// It returns how many surveys were sent.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	set, err := s.Settings(ctx)
	if err != nil || !set.Enabled {
		return 0, err
	}
	now := s.clock.Now()
	before := now.Add(-time.Duration(set.DelayMinutes) * time.Minute)
	convs, err := s.st.SurveyCandidates(ctx, before.Add(-s.opts.Lookback), before, 100)
	if err != nil {
		return 0, fmt.Errorf("feedback: send due: %w", err)
	}
	sent := 0
	for i := range convs {
		ok, err := s.survey(ctx, set, &convs[i], now)
		if err != nil {
			if ctx.Err() != nil {
				return sent, ctx.Err()
			}
			s.log.Error("feedback: survey", "conversation", convs[i].ID, "err", err)
			continue
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// survey decides and sends one conversation's survey; true when sent.
func (s *Service) survey(ctx context.Context, set Settings, cv *desk.Conversation, now time.Time) (bool, error) {
	ct, err := s.st.ContactByID(ctx, cv.ContactID)
	if err != nil {
		return false, err
	}
	sv := &desk.Survey{ConversationID: cv.ID, ContactID: cv.ContactID, Channel: cv.Channel, AgentID: cv.AssigneeID,
		TeamID: cv.TeamID, Category: cv.Category, Locale: surveyLocale(cv, ct), NPS: desk.NoNPS}
	reason, err := s.skipReason(ctx, set, cv, ct)
	if err != nil {
		return false, err
	}
	if reason != "" {
		sv.State, sv.Reason = desk.SurveySkipped, reason
		if err := s.st.CreateSurvey(ctx, sv); err != nil && !errors.Is(err, desk.ErrConflict) {
			return false, err
		}
		return false, nil
	}
	token := newToken()
	sv.State, sv.TokenHash, sv.SentAt = desk.SurveySent, HashToken(token), now
	taken := false
	_, err = s.conv.ReplyWith(ctx, system, cv.ID, surveyMessage(sv.Locale, s.SurveyURL(sv.Locale, token)), func(tx desk.Store) error {
		err := tx.CreateSurvey(ctx, sv)
		taken = errors.Is(err, desk.ErrConflict)
		return err
	})
	if taken {
		return false, nil // another node sent it: this message is undone
	}
	if err != nil {
		return false, fmt.Errorf("send: %w", err)
	}
	return true, nil
}

// skipReason says why a conversation gets no survey; "" when it gets one.
func (s *Service) skipReason(ctx context.Context, set Settings, cv *desk.Conversation, ct *desk.Contact) (string, error) {
	if cv.Channel == desk.ChannelPhone {
		return SkipChannel, nil
	}
	if cv.Channel == desk.ChannelEmail && automatedAddress(ct.Email) {
		return SkipAutomated, nil
	}
	if !cv.FirstReplyAt.IsZero() {
		return "", nil
	}
	if !set.IncludeBotOnly {
		return SkipBotOnly, nil
	}
	// Bot-only surveys are on: still only where the bot (or someone)
	// answered at all, not for spam closed unanswered.
	msgs, err := s.st.ListMessages(ctx, cv.ID, 0, 200)
	if err != nil {
		return "", err
	}
	for _, m := range msgs {
		if m.Kind == desk.KindMessage && (m.Sender == desk.SenderBot || m.Sender == desk.SenderAgent) {
			return "", nil
		}
	}
	return SkipBotOnly, nil
}

// automatedAddress reports addresses no person reads.
func automatedAddress(email string) bool {
	local, _, ok := strings.Cut(strings.ToLower(strings.TrimSpace(email)), "@")
	if !ok {
		return false
	}
	local = strings.NewReplacer("-", "", "_", "", ".", "").Replace(local)
	for _, p := range []string{"noreply", "donotreply", "mailerdaemon", "postmaster", "bounce", "notifications"} {
		if strings.HasPrefix(local, p) {
			return true
		}
	}
	return false
}

func surveyLocale(cv *desk.Conversation, ct *desk.Contact) string {
	for _, l := range []string{cv.Language, ct.Locale} {
		if l == "nl" || l == "en" {
			return l
		}
	}
	return "nl"
}

func surveyMessage(locale, link string) string {
	if locale == "en" {
		return "Thanks for contacting us! How did we do? Let us know in one minute: " + link
	}
	return "Bedankt voor je contact met ons! Hoe hebben we je geholpen? Laat het ons in één minuut weten: " + link
}

// SurveyURL is the survey page of a token.
func (s *Service) SurveyURL(locale, token string) string {
	return s.opts.BaseURL + "/help/" + locale + "/survey/" + token
}

// newToken returns an unguessable survey token (256 bits, URL-safe).
func newToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// HashToken is how a survey token is stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
