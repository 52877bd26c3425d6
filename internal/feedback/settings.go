package feedback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/desk"
)

// settingKey is the SettingStore key of the company's feedback settings.
const settingKey = "feedback"

// Question kinds.
const (
	QuestionScale = "scale" // 1–5
	QuestionText  = "text"
)

// MaxQuestions is how many questions of its own a company may add.
const MaxQuestions = 3

// Question is one of the company's own survey questions.
type Question struct {
	ID    string `json:"id"` // "q1".."q3": the key of Survey.Answers
	Label string `json:"label"`
	Kind  string `json:"kind"`
}

// Settings are the company's survey, review and follow-up choices.
type Settings struct {
	// Enabled sends a survey after resolution.
	Enabled bool `json:"enabled"`
	// DelayMinutes is how long a conversation must stay resolved before
	// its survey goes out (a customer who writes again meanwhile reopens
	// it, and then gets none for the first resolution).
	DelayMinutes int `json:"delay_minutes"`
	// IncludeBotOnly surveys conversations the bot closed without an agent.
	IncludeBotOnly bool `json:"include_bot_only,omitempty"`
	// AskNPS adds the 0–10 "would you recommend us" question.
	AskNPS    bool       `json:"ask_nps,omitempty"`
	Questions []Question `json:"questions,omitempty"`
	// LowScore is the CSAT at or below which a follow-up opens (0: none).
	LowScore int `json:"low_score"`
	// FollowUpAgentID gets low-score follow-ups; 0: a supervisor of the
	// conversation's team, else any supervisor.
	FollowUpAgentID int64 `json:"follow_up_agent_id,omitempty"`
	// ReviewURL is the public review site to invite happy customers to
	// ("" invites nobody); ReviewThreshold the CSAT from which they are
	// invited; ReviewEveryDays how often one customer may be invited.
	ReviewURL       string `json:"review_url,omitempty"`
	ReviewThreshold int    `json:"review_threshold"`
	ReviewEveryDays int    `json:"review_every_days"`
}

// DefaultSettings are used until an admin saves their own. Surveys are
// off until a company turns them on: an upgrade never starts messaging
// customers unasked.
func DefaultSettings() Settings {
	return Settings{Enabled: false, DelayMinutes: 30, LowScore: 2, ReviewThreshold: 5, ReviewEveryDays: 90}
}

// Validate checks s and normalises its questions' ids.
func (s *Settings) Validate() error {
	switch {
	case s.DelayMinutes < 0 || s.DelayMinutes > 7*24*60:
		return desk.Invalid("delay_minutes", "between 0 and 10080")
	case s.LowScore < 0 || s.LowScore > 4:
		return desk.Invalid("low_score", "between 0 (no follow-up) and 4")
	case s.ReviewThreshold < 1 || s.ReviewThreshold > 5:
		return desk.Invalid("review_threshold", "between 1 and 5")
	case s.ReviewEveryDays < 0 || s.ReviewEveryDays > 3650:
		return desk.Invalid("review_every_days", "between 0 and 3650")
	case len(s.Questions) > MaxQuestions:
		return desk.Invalid("questions", fmt.Sprintf("at most %d", MaxQuestions))
	}
	if s.ReviewURL != "" {
		u, err := url.Parse(s.ReviewURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return desk.Invalid("review_url", "an http(s) address")
		}
	}
	qs := s.Questions[:0]
	for _, q := range s.Questions {
		q.Label = strings.TrimSpace(q.Label)
		if q.Label == "" {
			continue // an emptied question is removed
		}
		if utf8.RuneCountInString(q.Label) > 200 {
			return desk.Invalid("questions", "a question has at most 200 characters")
		}
		if q.Kind != QuestionScale && q.Kind != QuestionText {
			return desk.Invalid("questions", "a question is a scale or a text")
		}
		q.ID = fmt.Sprintf("q%d", len(qs)+1)
		qs = append(qs, q)
	}
	s.Questions = qs
	return nil
}

// Settings returns the company's settings; the defaults when unset.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	v, err := s.st.Setting(ctx, settingKey)
	if errors.Is(err, desk.ErrNotFound) {
		return DefaultSettings(), nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("feedback: settings: %w", err)
	}
	set := DefaultSettings()
	if err := json.Unmarshal([]byte(v), &set); err != nil {
		return Settings{}, fmt.Errorf("feedback: settings: %w", err)
	}
	return set, nil
}

// SaveSettings validates and stores the company's settings.
func (s *Service) SaveSettings(ctx context.Context, set Settings) error {
	if err := set.Validate(); err != nil {
		return fmt.Errorf("feedback: save settings: %w", err)
	}
	b, err := json.Marshal(set)
	if err != nil {
		return fmt.Errorf("feedback: save settings: %w", err)
	}
	if err := s.st.SetSetting(ctx, settingKey, string(b)); err != nil {
		return fmt.Errorf("feedback: save settings: %w", err)
	}
	return nil
}
