package feedback

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// Limits of an answer.
const (
	MaxComment = 2000 // runes
	MaxText    = 500  // runes, per text question
)

// Form is what the survey page shows.
type Form struct {
	Survey    desk.Survey
	Questions []Question
	AskNPS    bool
	// Editable is false once the edit window after the first answer has
	// passed: the page then only thanks.
	Editable bool
}

// Answer is what the customer filled in.
type Answer struct {
	CSAT    int
	NPS     int // desk.NoNPS when not given
	Comment string
	Answers map[string]string // question id -> "1".."5" or text
}

// Result is what the thank-you page shows.
type Result struct {
	Survey desk.Survey
	// ReviewURL is set when the customer is invited to leave a public
	// review.
	ReviewURL string
}

// ErrClosed is an answer after the edit window; it matches
// desk.ErrForbidden.
var ErrClosed = fmt.Errorf("feedback: the survey can no longer be changed: %w", desk.ErrForbidden)

// Form returns the survey of a token. An unknown token and a skipped
// survey are ErrNotFound.
func (s *Service) Form(ctx context.Context, token string) (*Form, error) {
	sv, err := s.byToken(ctx, token)
	if err != nil {
		return nil, err
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	return &Form{Survey: *sv, Questions: set.Questions, AskNPS: set.AskNPS, Editable: s.editable(sv)}, nil
}

func (s *Service) byToken(ctx context.Context, token string) (*desk.Survey, error) {
	if token == "" || len(token) > 100 {
		return nil, fmt.Errorf("feedback: survey: %w", desk.ErrNotFound)
	}
	sv, err := s.st.SurveyByTokenHash(ctx, HashToken(token))
	if err != nil {
		return nil, fmt.Errorf("feedback: survey: %w", err)
	}
	if sv.State == desk.SurveySkipped {
		return nil, fmt.Errorf("feedback: survey: %w", desk.ErrNotFound)
	}
	return sv, nil
}

func (s *Service) editable(sv *desk.Survey) bool {
	return sv.AnsweredAt.IsZero() || s.clock.Now().Before(sv.AnsweredAt.Add(EditWindow))
}

// Validate checks an answer against the company's questions.
func (a *Answer) validate(set Settings) error {
	if a.CSAT < 1 || a.CSAT > 5 {
		return desk.Invalid("csat", "choose 1 to 5")
	}
	if !set.AskNPS {
		a.NPS = desk.NoNPS
	}
	if a.NPS != desk.NoNPS && (a.NPS < 0 || a.NPS > 10) {
		return desk.Invalid("nps", "choose 0 to 10")
	}
	a.Comment = strings.TrimSpace(a.Comment)
	if !utf8.ValidString(a.Comment) || utf8.RuneCountInString(a.Comment) > MaxComment {
		return desk.Invalid("comment", fmt.Sprintf("at most %d characters", MaxComment))
	}
	out := map[string]string{}
	for _, q := range set.Questions {
		v := strings.TrimSpace(a.Answers[q.ID])
		if v == "" {
			continue // every extra question is optional
		}
		switch q.Kind {
		case QuestionScale:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 5 {
				return desk.Invalid(q.ID, "choose 1 to 5")
			}
		case QuestionText:
			if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxText {
				return desk.Invalid(q.ID, fmt.Sprintf("at most %d characters", MaxText))
			}
		}
		out[q.ID] = v
	}
	a.Answers = out
	return nil
}

// Submit stores the answer of a token's survey (or changes it within the
// edit window), opens a follow-up when the score is low, and decides
// whether to invite the customer to leave a public review.
func (s *Service) Submit(ctx context.Context, token string, a Answer) (*Result, error) {
	sv, err := s.byToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if !s.editable(sv) {
		return nil, ErrClosed
	}
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.validate(set); err != nil {
		return nil, fmt.Errorf("feedback: answer: %w", err)
	}
	now := s.clock.Now()
	sv.State, sv.CSAT, sv.NPS, sv.Comment, sv.Answers, sv.UpdatedAt = desk.SurveyAnswered, a.CSAT, a.NPS, a.Comment, a.Answers, now
	if sv.AnsweredAt.IsZero() {
		sv.AnsweredAt = now
	}
	if err := s.st.AnswerSurvey(ctx, sv); err != nil {
		return nil, fmt.Errorf("feedback: answer: %w", err)
	}
	if set.LowScore > 0 && sv.CSAT <= set.LowScore && sv.FollowUpAt.IsZero() {
		if err := s.followUp(ctx, set, sv, now); err != nil {
			// The answer is stored; the follow-up is the company's
			// business, not the customer's error.
			s.log.Error("feedback: follow-up", "survey", sv.ID, "err", err)
		}
	}
	res := &Result{Survey: *sv}
	res.ReviewURL, err = s.reviewInvite(ctx, set, sv, now)
	if err != nil {
		s.log.Error("feedback: review invitation", "survey", sv.ID, "err", err)
	}
	return res, nil
}

// followUp opens a low score's follow-up, once per survey: the
// conversation is reopened and given to the follow-up owner (the
// configured agent, else a supervisor of its team, else any supervisor),
// with a note that shows the score and comment. Reopening puts it in
// their inbox like any case that needs work; it counts as a reopen,
// which a dissatisfied customer's case is.
func (s *Service) followUp(ctx context.Context, set Settings, sv *desk.Survey, now time.Time) error {
	if err := s.st.MarkSurveyFollowUp(ctx, sv.ID, now); err != nil {
		if errors.Is(err, desk.ErrConflict) {
			return nil // done already (an edit, or a second node)
		}
		return err
	}
	sv.FollowUpAt = now
	cv, err := s.st.ConversationByID(ctx, sv.ConversationID)
	if err != nil {
		return err
	}
	owner, err := s.followUpOwner(ctx, set, cv)
	if err != nil {
		return err
	}
	open := desk.StatusOpen
	note := fmt.Sprintf("Follow-up: the customer gave %d/5 in the satisfaction survey.", sv.CSAT)
	if sv.Comment != "" {
		note += "\n\n“" + sv.Comment + "”"
	}
	ch := conversation.Change{Status: &open, Note: note}
	if owner != 0 {
		ch.AssigneeID = &owner
	}
	_, err = s.conv.Update(ctx, system, cv.ID, ch)
	return err
}

func (s *Service) followUpOwner(ctx context.Context, set Settings, cv *desk.Conversation) (int64, error) {
	agents, err := s.st.ListAgents(ctx)
	if err != nil {
		return 0, err
	}
	var any int64
	for _, a := range agents {
		if a.Disabled {
			continue
		}
		if set.FollowUpAgentID != 0 && a.ID == set.FollowUpAgentID {
			return a.ID, nil
		}
		if a.Role != desk.RoleSupervisor {
			continue
		}
		for _, t := range a.TeamIDs {
			if t == cv.TeamID && cv.TeamID != 0 {
				return a.ID, nil
			}
		}
		if any == 0 {
			any = a.ID
		}
	}
	return any, nil
}

// reviewInvite returns the review site's address when the customer is to
// be invited: a high enough score, a site configured, and no invitation
// of this customer within the configured days. An invitation shown once
// is shown again when the customer edits their answer.
func (s *Service) reviewInvite(ctx context.Context, set Settings, sv *desk.Survey, now time.Time) (string, error) {
	if set.ReviewURL == "" || sv.CSAT < set.ReviewThreshold {
		return "", nil
	}
	if !sv.ReviewInvitedAt.IsZero() {
		return set.ReviewURL, nil
	}
	last, err := s.st.LastReviewInvite(ctx, sv.ContactID)
	if err != nil {
		return "", err
	}
	if !last.IsZero() && now.Before(last.Add(time.Duration(set.ReviewEveryDays)*24*time.Hour)) {
		return "", nil
	}
	if err := s.st.MarkReviewInvited(ctx, sv.ID, now); err != nil {
		return "", err
	}
	sv.ReviewInvitedAt = now
	return set.ReviewURL, nil
}
