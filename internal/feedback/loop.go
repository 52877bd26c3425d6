package feedback

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// Compliment limits.
const (
	MaxComplimentBody = 2000
	maxShort          = 200
)

// Compliment stores praise from the help center. Compliments are a
// feedback record of their own, not a conversation: they need no answer,
// and an inbox full of thank-yous hides the customers who wait. They are
// listed on the satisfaction report.
func (s *Service) Compliment(ctx context.Context, c desk.Compliment) (*desk.Compliment, error) {
	c.Body, c.Name, c.Email, c.About = strings.TrimSpace(c.Body), strings.TrimSpace(c.Name),
		strings.TrimSpace(c.Email), strings.TrimSpace(c.About)
	switch {
	case c.Body == "":
		return nil, fmt.Errorf("feedback: compliment: %w", desk.Invalid("body", "write your compliment"))
	case !utf8.ValidString(c.Body+c.Name+c.Email+c.About) || utf8.RuneCountInString(c.Body) > MaxComplimentBody:
		return nil, fmt.Errorf("feedback: compliment: %w", desk.Invalid("body", fmt.Sprintf("at most %d characters", MaxComplimentBody)))
	case utf8.RuneCountInString(c.Name) > maxShort || utf8.RuneCountInString(c.About) > maxShort || len(c.Email) > maxShort:
		return nil, fmt.Errorf("feedback: compliment: %w", desk.Invalid("name", "too long"))
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			return nil, fmt.Errorf("feedback: compliment: %w", desk.Invalid("email", "not an email address"))
		}
	}
	c.CreatedAt = s.clock.Now()
	if err := s.st.CreateCompliment(ctx, &c); err != nil {
		return nil, fmt.Errorf("feedback: compliment: %w", err)
	}
	return &c, nil
}

// Signal is an agent's tag of a conversation as an improvement signal:
// either an existing problem (ImprovementID) or a new one (Title, TeamID).
type Signal struct {
	ConversationID int64
	ImprovementID  int64
	Title          string
	TeamID         int64
	Note           string
}

// Tag records that a conversation reports a problem, making the problem
// when it is new. The survey of the conversation, if answered, is linked,
// so that its comment is found with the problem.
func (s *Service) Tag(ctx context.Context, agentID int64, sig Signal) (*desk.Improvement, error) {
	cv, err := s.st.ConversationByID(ctx, sig.ConversationID)
	if err != nil {
		return nil, fmt.Errorf("feedback: tag: %w", err)
	}
	sig.Title, sig.Note = strings.TrimSpace(sig.Title), strings.TrimSpace(sig.Note)
	if utf8.RuneCountInString(sig.Title) > maxShort || utf8.RuneCountInString(sig.Note) > MaxComment {
		return nil, fmt.Errorf("feedback: tag: %w", desk.Invalid("title", "too long"))
	}
	var im *desk.Improvement
	switch {
	case sig.ImprovementID != 0:
		if im, err = s.st.ImprovementByID(ctx, sig.ImprovementID); err != nil {
			return nil, fmt.Errorf("feedback: tag: %w", err)
		}
		if im.State != desk.ImprovementOpen {
			return nil, fmt.Errorf("feedback: tag: problem %d is closed: %w", im.ID, desk.ErrConflict)
		}
	case sig.Title != "":
		im = &desk.Improvement{Title: sig.Title, TeamID: sig.TeamID, CreatedBy: agentID, CreatedAt: s.clock.Now()}
		if err := s.st.CreateImprovement(ctx, im); err != nil {
			return nil, fmt.Errorf("feedback: tag: %w", err)
		}
	default:
		return nil, fmt.Errorf("feedback: tag: %w", desk.Invalid("title", "choose a problem or name a new one"))
	}
	g := &desk.ImprovementSignal{ImprovementID: im.ID, ConversationID: cv.ID, ContactID: cv.ContactID,
		Note: sig.Note, CreatedBy: agentID, CreatedAt: s.clock.Now()}
	if sv, err := s.st.SurveyByConversation(ctx, cv.ID); err == nil && sv.State == desk.SurveyAnswered {
		g.SurveyID = sv.ID
	} else if err != nil && !errors.Is(err, desk.ErrNotFound) {
		return nil, fmt.Errorf("feedback: tag: %w", err)
	}
	if err := s.st.AddImprovementSignal(ctx, g); err != nil {
		return nil, fmt.Errorf("feedback: tag: %w", err)
	}
	return s.st.ImprovementByID(ctx, im.ID)
}

// Improvements lists problems in a state ("" any), most customers first.
func (s *Service) Improvements(ctx context.Context, state desk.ImprovementState) ([]desk.Improvement, error) {
	out, err := s.st.ListImprovements(ctx, state)
	if err != nil {
		return nil, fmt.Errorf("feedback: improvements: %w", err)
	}
	return out, nil
}

// NotifyFixed tells every customer who reported a problem that it is
// fixed, then closes it. Each customer gets one message, in the newest
// conversation in which they reported it, on that conversation's own
// channel (a reply from balie, which does not reopen a resolved
// conversation). Customers already told (an earlier run that stopped
// halfway) are not told again. It returns how many were told now.
func (s *Service) NotifyFixed(ctx context.Context, agentID, improvementID int64, body string) (int, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return 0, fmt.Errorf("feedback: notify: %w", desk.Invalid("body", "write the message to send"))
	}
	im, err := s.st.ImprovementByID(ctx, improvementID)
	if err != nil {
		return 0, fmt.Errorf("feedback: notify: %w", err)
	}
	if im.State != desk.ImprovementOpen {
		return 0, fmt.Errorf("feedback: notify: problem %d is closed: %w", im.ID, desk.ErrConflict)
	}
	sigs, err := s.st.ImprovementSignals(ctx, im.ID)
	if err != nil {
		return 0, fmt.Errorf("feedback: notify: %w", err)
	}
	// Per customer: their signals, newest last (signals come oldest first).
	byContact := map[int64][]desk.ImprovementSignal{}
	var order []int64
	for _, g := range sigs {
		if _, ok := byContact[g.ContactID]; !ok {
			order = append(order, g.ContactID)
		}
		byContact[g.ContactID] = append(byContact[g.ContactID], g)
	}
	told := 0
	for _, contactID := range order {
		gs := byContact[contactID]
		done := false
		for _, g := range gs {
			done = done || !g.NotifiedAt.IsZero()
		}
		if done {
			continue
		}
		newest := gs[len(gs)-1]
		now := s.clock.Now()
		// The customer's signals are marked in the message's transaction:
		// told and marked together, or neither (and told on a next try).
		_, err := s.conv.ReplyWith(ctx, system, newest.ConversationID, body, func(tx desk.Store) error {
			for _, g := range gs {
				if err := tx.MarkSignalNotified(ctx, g.ID, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return told, fmt.Errorf("feedback: notify conversation %d: %w", newest.ConversationID, err)
		}
		told++
	}
	if err := s.st.CloseImprovement(ctx, im.ID, agentID, s.clock.Now()); err != nil {
		return told, fmt.Errorf("feedback: notify: %w", err)
	}
	return told, nil
}
