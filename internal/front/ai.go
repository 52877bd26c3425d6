package front

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/assist/llm"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
)

// Optional generative AI. With an OpenAI-compatible provider configured
// (off by default; a hosted service or a local server such as Ollama),
// agents can have an answer drafted from the knowledge base, with the
// articles it cites, and the bot adds a three-line summary to its
// hand-over note. Everything else works without it.

const settingAI = "front.ai"

// AISettings are the provider an admin configured.
type AISettings struct {
	Enabled bool   `json:"enabled"`
	BaseURL string `json:"base_url"`
	Model   string `json:"model"`
	APIKey  string `json:"api_key,omitempty"`
	// AllowLocal lets balie reach a provider on loopback or the private
	// network (a local Ollama); off, only public addresses.
	AllowLocal bool `json:"allow_local"`
}

// AISettings returns the stored settings; the key is never returned, only
// whether one is set.
func (s *Service) AISettings(ctx context.Context) (AISettings, bool, error) {
	a, err := s.aiSettings(ctx)
	hasKey := a.APIKey != ""
	a.APIKey = ""
	return a, hasKey, err
}

func (s *Service) aiSettings(ctx context.Context) (AISettings, error) {
	v, err := s.st.Setting(ctx, settingAI)
	if errors.Is(err, desk.ErrNotFound) {
		return AISettings{}, nil
	}
	if err != nil {
		return AISettings{}, fmt.Errorf("front: ai settings: %w", err)
	}
	var a AISettings
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return AISettings{}, fmt.Errorf("front: ai settings: stored value: %w", err)
	}
	return a, nil
}

// SetAISettings stores the provider; an empty APIKey keeps the stored one.
func (s *Service) SetAISettings(ctx context.Context, a AISettings) error {
	old, err := s.aiSettings(ctx)
	if err != nil {
		return err
	}
	if a.APIKey == "" {
		a.APIKey = old.APIKey
	}
	if a.Enabled {
		cfg := llm.Config{BaseURL: strings.TrimSpace(a.BaseURL), Model: strings.TrimSpace(a.Model), APIKey: llm.Secret(a.APIKey)}
		if err := cfg.Validate(); err != nil {
			return err
		}
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return s.st.SetSetting(ctx, settingAI, string(b))
}

// ErrAIOff is returned when no provider is configured.
var ErrAIOff = fmt.Errorf("front: generative AI is not configured: %w", desk.ErrNotFound)

// ai returns a client for the configured provider.
func (s *Service) ai(ctx context.Context) (*llm.Client, error) {
	a, err := s.aiSettings(ctx)
	if err != nil {
		return nil, err
	}
	if !a.Enabled {
		return nil, ErrAIOff
	}
	hc := http.DefaultClient
	if s.opts.HTTPClient != nil {
		hc = s.opts.HTTPClient(a.AllowLocal)
	}
	return llm.New(llm.Config{BaseURL: a.BaseURL, Model: a.Model, APIKey: llm.Secret(a.APIKey)}, hc)
}

// AIDraft is an answer drafted for an agent, with the articles it cites.
type AIDraft struct {
	Text      string
	Citations []Cited
}

// Cited is an article a draft cites, numbered as in the text.
type Cited struct {
	N     int
	Title string
	URL   string
}

// DraftReply drafts an answer to a conversation's latest customer message
// from the knowledge base (internal articles included: the agent reviews
// the draft before sending).
func (s *Service) DraftReply(ctx context.Context, convID int64) (*AIDraft, error) {
	client, err := s.ai(ctx)
	if err != nil {
		return nil, err
	}
	conv, err := s.st.ConversationByID(ctx, convID)
	if err != nil {
		return nil, err
	}
	question, _ := s.latestCustomerText(ctx, convID)
	if question == "" {
		return nil, desk.Invalid("conversation", "the customer has not asked anything yet")
	}
	if s.bot == nil || s.bot.kb == nil {
		return nil, ErrAIOff
	}
	locale := conv.Language
	if locale != "en" {
		locale = "nl"
	}
	res, err := s.bot.kb.Search(ctx, kb.SearchRequest{Query: question, Locale: locale, Source: desk.SourceAgent,
		Internal: true, NoLog: true, Limit: 4})
	if err != nil {
		return nil, err
	}
	var sources []llm.Source
	for _, h := range res.Hits {
		full, err := s.bot.kb.Article(ctx, h.Article.ID)
		if err != nil {
			continue
		}
		text := s.bot.kb.Render(full).Text
		sources = append(sources, llm.Source{ID: full.ID, Title: full.Title,
			URL: s.bot.baseURL + "/help/" + full.Locale + "/a/" + full.Slug, Text: text})
	}
	d, err := client.DraftAnswer(ctx, question, sources, locale)
	if err != nil {
		return nil, err
	}
	out := &AIDraft{Text: d.Text}
	for _, i := range d.Citations {
		out.Citations = append(out.Citations, Cited{N: i + 1, Title: sources[i].Title, URL: sources[i].URL})
	}
	return out, nil
}

func (s *Service) latestCustomerText(ctx context.Context, convID int64) (string, error) {
	msgs, err := s.st.ListMessages(ctx, convID, 0, 500)
	if err != nil {
		return "", err
	}
	for i := len(msgs) - 1; i >= 0; i-- {
		if m := msgs[i]; m.Sender == desk.SenderContact && m.Kind == desk.KindMessage && strings.TrimSpace(m.Body) != "" {
			return m.Body, nil
		}
	}
	return "", nil
}

// Summarise writes a few lines on a conversation for an agent taking over.
func (s *Service) Summarise(ctx context.Context, convID int64, locale string) (string, error) {
	client, err := s.ai(ctx)
	if err != nil {
		return "", err
	}
	msgs, err := s.st.ListMessages(ctx, convID, 0, 500)
	if err != nil {
		return "", err
	}
	var turns []llm.Turn
	for _, m := range msgs {
		if m.Kind != desk.KindMessage || strings.TrimSpace(m.Body) == "" {
			continue
		}
		role := llm.RoleAgent
		switch m.Sender {
		case desk.SenderContact:
			role = llm.RoleCustomer
		case desk.SenderBot:
			role = llm.RoleBot
		}
		turns = append(turns, llm.Turn{Role: role, Text: m.Body})
	}
	if len(turns) == 0 {
		return "", desk.Invalid("conversation", "nothing to summarise")
	}
	return client.Summarise(ctx, turns, locale)
}

// aiSummary is the hand-over summary when a provider is configured; "" on
// any failure (the note stands without it).
func (s *Service) aiSummary(ctx context.Context, convID int64) string {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sum, err := s.Summarise(ctx, convID, "en")
	if err != nil {
		if !errors.Is(err, ErrAIOff) {
			s.log.Warn("front: hand-over summary", "conversation", convID, "err", err)
		}
		return ""
	}
	return sum
}
