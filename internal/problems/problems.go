// Package problems finds recurring problems in what customers write: every
// hour it clusters the first message of the last week's conversations into
// topics (internal/assist/topics) and flags the topics that grew unusually
// fast in the last hour ("20 customers about failed payments"), so that
// they can be fixed at the source and answered in the FAQ.
//
// The latest report is kept in the settings store, so every node and a
// restart see the same one; computing it again is idempotent, so several
// nodes doing so at once only waste a little work.
package problems

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/balie-dev/balie/internal/assist/topics"
	"github.com/balie-dev/balie/internal/desk"
)

// settingKey holds the latest report as JSON.
const settingKey = "problems.report"

// Store is what the service reads and where it keeps its report.
type Store interface {
	desk.TopicStore
	desk.SettingStore
}

// Options tune the service; the zero value is the defaults.
type Options struct {
	// Every is how often the report is computed again (default 1 h; the
	// job runs more often and skips until then).
	Every time.Duration
	// Window is the recent period a surge is judged on (default 1 h).
	Window time.Duration
	// Baseline is the period before it that sets what is normal (default
	// 7 days).
	Baseline time.Duration
	// MaxTexts bounds the texts clustered per run (default 20,000: about
	// half a second of work).
	MaxTexts int
}

func (o Options) withDefaults() Options {
	if o.Every <= 0 {
		o.Every = time.Hour
	}
	if o.Window <= 0 {
		o.Window = time.Hour
	}
	if o.Baseline <= 0 {
		o.Baseline = 7 * 24 * time.Hour
	}
	if o.MaxTexts <= 0 {
		o.MaxTexts = 20000
	}
	return o
}

// Service computes and serves the recurring-problems report.
type Service struct {
	st    Store
	clock desk.Clock
	log   *slog.Logger
	opt   Options
}

// New returns a Service.
func New(st Store, clock desk.Clock, log *slog.Logger, opt Options) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{st: st, clock: clock, log: log, opt: opt.withDefaults()}
}

// Report is one run's result.
type Report struct {
	At     time.Time     `json:"at"`
	Since  time.Time     `json:"since"`
	Window time.Duration `json:"window"`
	Texts  int           `json:"texts"`
	// Topics are biggest first; the catch-all "other" is left out.
	Topics []Topic `json:"topics"`
	// Surges are the topics growing unusually fast, most unusual first.
	Surges []Surge `json:"surges"`
}

// Topic is a recurring problem.
type Topic struct {
	ID       string   `json:"id"`
	Label    string   `json:"label"`
	Size     int      `json:"size"`
	Recent   int      `json:"recent"`   // conversations in the last 24 hours
	Examples []string `json:"examples"` // what customers wrote, shortened
	// Conversations are some of the topic's conversations, newest first.
	Conversations []int64 `json:"conversations"`
	// Categories counts the topic's conversations per category key.
	Categories map[string]int `json:"categories,omitempty"`
}

// Surge is a topic with more conversations in the window than its share of
// the baseline predicts.
type Surge struct {
	Topic    Topic   `json:"topic"`
	Recent   int     `json:"recent"`
	Expected float64 `json:"expected"`
	Score    float64 `json:"score"` // -log10 of the chance of so many by accident
}

// Bounds of a stored report: the conversation ids kept per topic, and the
// topics (biggest first) kept at all.
const (
	maxConversations = 20
	maxTopics        = 100
)

// Compute builds a report of the conversations up to now.
func (s *Service) Compute(ctx context.Context) (*Report, error) {
	now := s.clock.Now().UTC()
	since := now.Add(-s.opt.Baseline - s.opt.Window)
	msgs, err := s.st.FirstMessages(ctx, since, now.Add(time.Second), s.opt.MaxTexts)
	if err != nil {
		return nil, fmt.Errorf("problems: %w", err)
	}
	docs := make([]topics.Doc, len(msgs))
	byID := make(map[int64]desk.FirstMessage, len(msgs))
	for i, m := range msgs {
		docs[i] = topics.Doc{ID: m.ConversationID, Text: m.Text, Lang: m.Language, At: m.At}
		byID[m.ConversationID] = m
	}
	clusters := topics.Cluster(docs, topics.Options{})
	rep := &Report{At: now, Since: since, Window: s.opt.Window, Texts: len(docs), Topics: []Topic{}, Surges: []Surge{}}
	views := map[string]Topic{}
	for _, c := range clusters {
		if c.ID == topics.OtherID {
			continue
		}
		t := Topic{ID: c.ID, Label: c.Label, Size: c.Size, Examples: c.Examples, Categories: map[string]int{}}
		ids := slices.Clone(c.DocIDs)
		slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(b, a) })
		for _, id := range ids {
			m := byID[id]
			if now.Sub(m.At) <= 24*time.Hour {
				t.Recent++
			}
			if m.Category != "" {
				t.Categories[m.Category]++
			}
		}
		t.Conversations = ids[:min(len(ids), maxConversations)]
		if len(rep.Topics) < maxTopics {
			rep.Topics = append(rep.Topics, t)
		}
		views[t.ID] = t
	}
	for _, sg := range topics.Surges(clusters, docs, now, s.opt.Window, topics.SurgeOptions{Baseline: s.opt.Baseline}) {
		rep.Surges = append(rep.Surges, Surge{Topic: views[sg.Topic.ID], Recent: sg.Recent, Expected: sg.Expected, Score: sg.Score})
	}
	return rep, nil
}

// Latest returns the stored report; desk.ErrNotFound before the first run.
func (s *Service) Latest(ctx context.Context) (*Report, error) {
	raw, err := s.st.Setting(ctx, settingKey)
	if err != nil {
		return nil, fmt.Errorf("problems: latest: %w", err)
	}
	var rep Report
	if err := json.Unmarshal([]byte(raw), &rep); err != nil {
		return nil, fmt.Errorf("problems: latest: %w", err)
	}
	return &rep, nil
}

// Refresh computes the report when the stored one is older than Every (or
// when force is set), stores it, and logs each surge that is new since the
// previous report.
func (s *Service) Refresh(ctx context.Context, force bool) (*Report, error) {
	prev, err := s.Latest(ctx)
	if err != nil && !errors.Is(err, desk.ErrNotFound) {
		s.log.Warn("problems: previous report unreadable, computing a new one", "err", err)
	}
	if !force && prev != nil && s.clock.Now().Sub(prev.At) < s.opt.Every {
		return prev, nil
	}
	rep, err := s.Compute(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("problems: %w", err)
	}
	if err := s.st.SetSetting(ctx, settingKey, string(raw)); err != nil {
		return nil, fmt.Errorf("problems: store report: %w", err)
	}
	for _, sg := range rep.Surges {
		if prev == nil || !slices.ContainsFunc(prev.Surges, func(p Surge) bool { return p.Topic.ID == sg.Topic.ID }) {
			s.log.Warn("problems: surge", "topic", sg.Topic.Label, "recent", sg.Recent, "expected", fmt.Sprintf("%.1f", sg.Expected))
		}
	}
	return rep, nil
}

// Job is the periodic task: it refreshes the report when it is due.
func (s *Service) Job(ctx context.Context) error {
	_, err := s.Refresh(ctx, false)
	return err
}
