package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/kb/kbfile"
)

// BotResult is what happened to the simulated customers.
type BotResult struct {
	// Answerable customers asked a question one of the articles answers;
	// the others asked something the knowledge base knows nothing about.
	Answerable   BotGroup `json:"answerable"`
	Unanswerable BotGroup `json:"unanswerable"`
	// Stuck counts customers left neither solved nor with a person after
	// the conversation ran its course: the target is zero.
	Stuck int `json:"stuck"`
}

// BotGroup counts one kind of customer.
type BotGroup struct {
	Customers  int     `json:"customers"`
	Resolved   int     `json:"resolved"`    // the bot solved it (the customer said the article helped)
	HandedOver int     `json:"handed_over"` // a person took over
	Stuck      int     `json:"stuck"`
	Messages   float64 `json:"bot_messages_per_customer"`
	// ResolvedShare and HandedOverShare are the shares of Customers.
	ResolvedShare   float64 `json:"resolved_share"`
	HandedOverShare float64 `json:"handed_over_share"`
}

// BotOptions configure RunBot.
type BotOptions struct {
	DataDir string // ../shared/data
	// Limit caps the customers of each kind (0: every query).
	Limit int
	// Open returns a fresh, empty store; RunBot closes it.
	Open func(ctx context.Context) (desk.Store, error)
}

// RunBot simulates customers arriving in a web chat with the bot on: the
// stackfaq corpus is the knowledge base; its dev queries are customers
// with answerable questions, and clinc150's out-of-scope questions
// customers with questions it cannot answer. A customer says "yes" when the
// bot shows an article that answers them (by the qrels), "no" otherwise,
// and keeps answering whatever the bot asks for up to ten messages. It
// runs the product's own services (conversation, kb, front) on a real
// store.
func RunBot(ctx context.Context, o BotOptions) (BotResult, error) {
	dir := filepath.Join(o.DataDir, "faq_retrieval", "stackfaq")
	d, err := loadFAQFiles(filepath.Join(dir, "corpus.jsonl"), filepath.Join(dir, "queries_dev.jsonl"), filepath.Join(dir, "qrels_dev.tsv"))
	if err != nil {
		return BotResult{}, err
	}
	oos, err := readOOS(filepath.Join(o.DataDir, "intent", "clinc150", "train_val.json"))
	if err != nil {
		return BotResult{}, err
	}
	st, err := o.Open(ctx)
	if err != nil {
		return BotResult{}, fmt.Errorf("eval: bot: open store: %w", err)
	}
	defer st.Close()
	fst, ok := st.(front.Store)
	if !ok {
		return BotResult{}, fmt.Errorf("eval: bot: the store has no front-line storage: %w", desk.ErrInvalid)
	}
	// A Tuesday morning in Amsterdam: hand-overs find people at work.
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		ams = time.UTC
	}
	clock := desk.ClockFunc(func() time.Time { return time.Date(2026, 3, 3, 10, 0, 0, 0, ams) })
	quiet := slog.New(slog.DiscardHandler)
	b := bus.NewLocal(0)
	conv := conversation.New(st, b, clock, quiet, conversation.Options{})
	kbs := kb.New(st, b, clock, quiet, kb.Options{})
	fr := front.New(fst, conv, clock, quiet, front.Options{})
	bot := fr.NewBot(front.BotOptions{KB: kbs})
	if err := fr.Retrain(ctx); err != nil {
		return BotResult{}, err
	}
	team := &desk.Team{Name: "Support"}
	if err := st.CreateTeam(ctx, team); err != nil {
		return BotResult{}, err
	}
	agent := &desk.Agent{Email: "agent@example.com", Name: "Agent", Role: desk.RoleAgent, Locale: "en",
		PasswordHash: "x", Availability: desk.Online}
	if err := st.CreateAgent(ctx, agent); err != nil {
		return BotResult{}, err
	}
	inbox := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "sim", TeamID: team.ID,
		Settings: map[string]string{"bot": "on"}}
	if err := st.CreateInbox(ctx, inbox); err != nil {
		return BotResult{}, err
	}
	ids := map[string]int64{} // corpus id → article id
	for _, c := range d.corpus {
		a, err := kbs.CreateArticle(ctx, nil, kb.ArticleInput{Locale: "en", Slug: kbfile.Slugify("faq " + c.ID),
			Title: c.Title, Body: c.Text, Status: desk.ArticlePublished})
		if err != nil {
			return BotResult{}, fmt.Errorf("eval: bot: import %s: %w", c.ID, err)
		}
		ids[c.ID] = a.ID
	}
	if err := kbs.Load(ctx); err != nil {
		return BotResult{}, err
	}

	sim := &botSim{conv: conv, bot: bot, st: st, inbox: inbox}
	var res BotResult
	answerable := d.queries
	if o.Limit > 0 && len(answerable) > o.Limit {
		answerable = answerable[:o.Limit]
	}
	for i, q := range answerable {
		right := map[int64]bool{}
		for cid := range d.qrels[q.ID] {
			right[ids[cid]] = true
		}
		out, err := sim.customer(ctx, fmt.Sprintf("a%d", i), q.Text, right)
		if err != nil {
			return BotResult{}, err
		}
		res.Answerable.add(out)
	}
	if o.Limit > 0 && len(oos) > o.Limit {
		oos = oos[:o.Limit]
	}
	for i, q := range oos {
		out, err := sim.customer(ctx, fmt.Sprintf("u%d", i), q, nil)
		if err != nil {
			return BotResult{}, err
		}
		res.Unanswerable.add(out)
	}
	res.Answerable.finish()
	res.Unanswerable.finish()
	res.Stuck = res.Answerable.Stuck + res.Unanswerable.Stuck
	return res, nil
}

type botSim struct {
	conv  *conversation.Service
	bot   *front.Bot
	st    desk.Store
	inbox *desk.Inbox
	n     int
}

type simOutcome struct {
	resolved, handedOver bool
	botMessages          int
}

// customer plays one customer until the bot solved it or handed over.
func (s *botSim) customer(ctx context.Context, who, question string, right map[int64]bool) (simOutcome, error) {
	var out simOutcome
	var convID int64
	text := question
	for range 10 {
		s.n++
		in := desk.Inbound{InboxID: s.inbox.ID, ExternalID: fmt.Sprintf("sim-%d", s.n), Body: text,
			From: desk.Identity{Kind: desk.IdentityEmail, Value: who + "@example.com"}, ConversationID: convID,
			NewConversation: convID == 0}
		r, err := s.conv.Ingest(ctx, in)
		if err != nil {
			return out, fmt.Errorf("eval: bot: %w", err)
		}
		convID = r.Conversation.ID
		s.bot.Handle(ctx, convID, r.Message)
		c, err := s.st.ConversationByID(ctx, convID)
		if err != nil {
			return out, err
		}
		msgs, err := s.st.ListMessages(ctx, convID, r.Message.ID, 100)
		if err != nil {
			return out, err
		}
		var said string
		for _, m := range msgs {
			if m.Sender == desk.SenderBot && m.Kind == desk.KindMessage {
				said = m.Body
				out.botMessages++
			}
		}
		switch {
		case c.Status == desk.StatusResolved:
			out.resolved = true
			return out, nil
		case hasHandover(ctx, s.st, convID):
			out.handedOver = true
			return out, nil
		case said == "":
			return out, nil // the bot said nothing: stuck
		}
		text = "no"
		if shownRight(ctx, s.st, said, right) {
			text = "yes"
		}
	}
	return out, nil
}

// shownRight reports whether the bot's message links one of the right
// articles.
func shownRight(ctx context.Context, st desk.Store, said string, right map[int64]bool) bool {
	for id := range right {
		a, err := st.ArticleByID(ctx, id)
		if err == nil && strings.Contains(said, "/a/"+a.Slug) {
			return true
		}
	}
	return false
}

// hasHandover reports whether the bot handed the conversation over.
func hasHandover(ctx context.Context, st desk.Store, convID int64) bool {
	msgs, err := st.ListMessages(ctx, convID, 0, 200)
	if err != nil {
		return false
	}
	for _, m := range msgs {
		for _, a := range m.Activity {
			if a.Key == desk.ActivityHandover {
				return true
			}
		}
	}
	return false
}

func (g *BotGroup) add(o simOutcome) {
	g.Customers++
	g.Messages += float64(o.botMessages)
	switch {
	case o.resolved:
		g.Resolved++
	case o.handedOver:
		g.HandedOver++
	default:
		g.Stuck++
	}
}

func (g *BotGroup) finish() {
	if g.Customers == 0 {
		return
	}
	n := float64(g.Customers)
	g.Messages /= n
	g.ResolvedShare = float64(g.Resolved) / n
	g.HandedOverShare = float64(g.HandedOver) / n
}

// readOOS reads clinc150's out-of-scope validation questions.
func readOOS(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	var d struct {
		OOSVal [][2]string `json:"oos_val"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("eval: %s: %w", path, err)
	}
	out := make([]string, len(d.OOSVal))
	for i, p := range d.OOSVal {
		out[i] = p[0]
	}
	return out, nil
}
