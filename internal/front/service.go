// Package front is the digital front line: it categorises every new
// conversation and detects its language at first contact, learns from the
// categories agents set and correct, and runs the bot that makes first
// contact in chat and messaging: it answers from the knowledge base, offers
// guided flows, asks whether that helped, and hands over to the right
// team with the whole story when it cannot help, when the customer asks
// for a person or is upset, or when the topic is one for people.
//
// front imports desk, lang, kb, flow, conversation and assist/classify.
package front

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/lang"
)

// Store is what the front line needs from storage.
type Store interface {
	desk.SettingStore
	desk.IntentExampleStore
	desk.BotSessionStore
	desk.SavedReplyStore
	ContactByID(ctx context.Context, id int64) (*desk.Contact, error)
	SearchConversations(ctx context.Context, q desk.SearchQuery) ([]desk.SearchHit, error)
	TeamByID(ctx context.Context, id int64) (*desk.Team, error)
	InboxByID(ctx context.Context, id int64) (*desk.Inbox, error)
	ConversationByID(ctx context.Context, id int64) (*desk.Conversation, error)
	ListMessages(ctx context.Context, conversationID int64, afterID int64, limit int) ([]desk.Message, error)
	ListConversations(ctx context.Context, q desk.ConversationQuery) (desk.ConversationPage, error)
	ListAgents(ctx context.Context) ([]desk.Agent, error)
}

// Options tune the front line.
type Options struct {
	// Threshold is the classifier's confidence for acting on a category
	// (default 0.5).
	Threshold float64
	// HTTPClient returns the client for a generative-AI provider;
	// allowLocal lets it reach loopback and private addresses. nil: the
	// standard client.
	HTTPClient func(allowLocal bool) *http.Client
}

// Service is the front line. It is safe for concurrent use.
type Service struct {
	st    Store
	conv  *conversation.Service
	clock desk.Clock
	log   *slog.Logger
	opts  Options
	clf   classifier
	bot   *Bot
}

// New returns the service; call Retrain before use (App.Start does).
func New(st Store, conv *conversation.Service, clock desk.Clock, log *slog.Logger, opts Options) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Threshold <= 0 {
		opts.Threshold = 0.5
	}
	return &Service{st: st, conv: conv, clock: clock, log: log, opts: opts}
}

// firstCustomerText is the text the category is learnt from: the
// conversation's first customer message.
func (s *Service) firstCustomerText(ctx context.Context, convID int64) (string, error) {
	msgs, err := s.st.ListMessages(ctx, convID, 0, 20)
	if err != nil {
		return "", err
	}
	for _, m := range msgs {
		if m.Sender == desk.SenderContact && m.Kind == desk.KindMessage && strings.TrimSpace(m.Body) != "" {
			return m.Body, nil
		}
	}
	return "", nil
}

// Categorise sets a new conversation's category from its first message,
// when the classifier is confident; the language was set at ingest.
func (s *Service) Categorise(ctx context.Context, conv *desk.Conversation, text string) (Classification, error) {
	c := s.Classify(text)
	if !c.OK || conv.Category != "" {
		return c, nil
	}
	key := c.Category
	updated, err := s.conv.Update(ctx, conversation.Actor{Bot: true, Name: "bot"}, conv.ID,
		conversation.Change{Category: &key, CategoryBy: desk.CategoryByBot})
	if err != nil {
		return c, fmt.Errorf("front: categorise: %w", err)
	}
	*conv = *updated
	return c, nil
}

// SetCategory is an agent setting or correcting a conversation's
// category: the conversation's first message becomes a training example
// (replacing an earlier one of the same conversation), so the classifier
// learns from it.
func (s *Service) SetCategory(ctx context.Context, by *desk.Agent, convID int64, key string) (*desk.Conversation, error) {
	key = strings.TrimSpace(key)
	if key != "" {
		if _, ok := s.Category(ctx, key); !ok {
			return nil, desk.Invalid("category", fmt.Sprintf("unknown category %q", key))
		}
	}
	conv, err := s.conv.Update(ctx, conversation.Actor{AgentID: by.ID, Name: by.Name}, convID,
		conversation.Change{Category: &key, CategoryBy: desk.CategoryByAgent})
	if err != nil {
		return nil, err
	}
	if key == "" {
		return conv, nil
	}
	text, err := s.firstCustomerText(ctx, convID)
	if err != nil || text == "" {
		return conv, err
	}
	e := &desk.IntentExample{Text: text, Category: key, Locale: lang.Detect(text), Source: "agent",
		ConversationID: convID, CreatedAt: s.clock.Now()}
	if err := s.learn(ctx, e); err != nil {
		return nil, err
	}
	return conv, nil
}
