package front

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/lang"
)

// The bot makes first contact in an inbox whose settings turn it on. For
// every customer message it decides, in order:
//
//  1. a person already has the conversation (assigned, or handed over):
//     stay silent;
//  2. the customer asks for a person, is upset, the topic is one for
//     people, or the bot has said enough (maxTurns): hand over;
//  3. it was waiting for "did this help?": yes ends the conversation
//     solved, no tries the category's flow or hands over;
//  4. a flow is running: the message is the answer to its step;
//  5. otherwise it is a question: a confident knowledge-base answer is
//     sent with its link and "did this help?"; else the category's flow is
//     offered; else it hands over.
//
// A hand-over moves the conversation to the category's team (or the
// inbox's), tells the customer honestly who picks it up and when (business
// hours, their place in the queue), and leaves agents a note with the
// category, the articles shown and whether they helped, and the flow's
// path, so that nobody asks the customer twice.

// Limits that keep the bot from going round in circles.
const (
	maxTurns   = 8 // bot messages in one conversation before a hand-over
	maxAnswers = 2 // knowledge-base answers before a hand-over
	botName    = "Balie-assistent"
)

// Flows is what the bot needs of guided flows.
type Flows interface {
	// Start starts the published flow of a group in a locale for a
	// conversation; ok is false when there is none.
	Start(ctx context.Context, groupID int64, locale string, conversationID int64) (run int64, title string, step FlowStep, ok bool, err error)
	// Answer gives the customer's text to the run's current step.
	Answer(ctx context.Context, run int64, text string) (FlowStep, error)
	// Path describes the run's steps and answers, for the hand-over note.
	Path(ctx context.Context, run int64) ([]string, error)
}

// FlowStep is what a flow shows next.
type FlowStep struct {
	Text    string // the step as text, choices numbered
	Done    bool
	Outcome desk.FlowOutcome
	// ArticleGroupID is the article the flow ended in (Outcome article).
	ArticleGroupID int64
	TeamID         int64 // a hand-over's team, 0 for the category's
}

// BotConfig is an inbox's bot, from its settings.
type BotConfig struct {
	Enabled  bool
	Greeting map[string]string // by locale
	// Threshold is the knowledge-base coverage from which the bot answers
	// (default DefaultBotThreshold).
	Threshold float64
	// HumanOnly are category keys the bot hands over at once (besides
	// categories marked HumanOnly).
	HumanOnly []string
	// Formal speaks "u" rather than "je" in Dutch.
	Formal bool
}

// DefaultBotThreshold is the knowledge-base coverage from which the bot
// answers. It is lower than kb.ConfidentCoverage: a wrong answer costs the
// customer one "no" (then the next candidate, a flow or a person), while
// a missed answer costs them a wait. Measured with `balie eval bot`.
const DefaultBotThreshold = 0.35

// BotConfigOf reads an inbox's settings: bot=on, bot_greeting_nl,
// bot_greeting_en, bot_threshold, bot_human_only (comma-separated keys),
// bot_tone=formal.
func BotConfigOf(in *desk.Inbox) BotConfig {
	s := in.Settings
	c := BotConfig{Enabled: s["bot"] == "on", Threshold: DefaultBotThreshold,
		Greeting: map[string]string{"nl": s["bot_greeting_nl"], "en": s["bot_greeting_en"]}, Formal: s["bot_tone"] == "formal"}
	if t, err := strconv.ParseFloat(s["bot_threshold"], 64); err == nil && t > 0 && t <= 1 {
		c.Threshold = t
	}
	for k := range strings.SplitSeq(s["bot_human_only"], ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.HumanOnly = append(c.HumanOnly, k)
		}
	}
	return c
}

// botState is what the bot remembers of a conversation (BotSession.State).
type botState struct {
	Phase   string  `json:"phase"` // "", "feedback", "flow", "human", "solved"
	Turns   int     `json:"turns"`
	Answers int     `json:"answers"`
	Shown   []shown `json:"shown,omitempty"`
	// Next are further articles that passed the threshold for the last
	// question, offered when the first did not help.
	Next      []int64 `json:"next,omitempty"`
	FlowRun   int64   `json:"flow_run,omitempty"`
	FlowTitle string  `json:"flow_title,omitempty"`
	FlowTried bool    `json:"flow_tried,omitempty"`
	Reason    string  `json:"reason,omitempty"` // why it handed over
	// Misses counts answers in a row the bot did not understand.
	Misses  int  `json:"misses,omitempty"`
	Greeted bool `json:"greeted,omitempty"`
}

type shown struct {
	ArticleID int64  `json:"article_id"`
	Title     string `json:"title"`
	Helped    string `json:"helped,omitempty"` // "yes", "no", "" unknown
}

// Bot answers customers. Messages of one conversation are handled in
// order, by one of a few workers.
type Bot struct {
	s       *Service
	kb      *kb.Service
	flows   Flows
	baseURL string
	workers []chan job
	wg      sync.WaitGroup
}

type job struct {
	convID int64
	msg    *desk.Message
}

// BotOptions wire the bot.
type BotOptions struct {
	KB    *kb.Service
	Flows Flows // nil: no flows
	// BaseURL makes article links absolute ("https://help.example.com");
	// "" leaves them as paths.
	BaseURL string
	Workers int // default 4
}

// NewBot returns the service's bot; Run starts its workers.
func (s *Service) NewBot(o BotOptions) *Bot {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	b := &Bot{s: s, kb: o.KB, flows: o.Flows, baseURL: strings.TrimRight(o.BaseURL, "/")}
	for range o.Workers {
		b.workers = append(b.workers, make(chan job, 1024))
	}
	s.bot = b
	return b
}

// AfterIngest is conversation.Options.AfterIngest: it categorises a new
// conversation and queues the message for the bot.
func (b *Bot) AfterIngest(ctx context.Context, res *conversation.IngestResult) {
	if res == nil || res.Duplicate || res.Message == nil || res.Conversation == nil {
		return
	}
	j := job{convID: res.Conversation.ID, msg: res.Message}
	h := fnv.New32a()
	h.Write([]byte(strconv.FormatInt(j.convID, 10)))
	ch := b.workers[int(h.Sum32())%len(b.workers)]
	select {
	case ch <- j:
	default:
		// A full queue must not lose the customer's message: wait for room
		// on the side, the request goes on.
		go func() { ch <- j }()
	}
}

// Run handles queued messages until ctx is done, then finishes what is
// queued.
func (b *Bot) Run(ctx context.Context) {
	for _, ch := range b.workers {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			for {
				select {
				case j := <-ch:
					b.handle(context.WithoutCancel(ctx), j)
				case <-ctx.Done():
					for {
						select {
						case j := <-ch:
							b.handle(context.WithoutCancel(ctx), j)
						default:
							return
						}
					}
				}
			}
		}()
	}
	b.wg.Wait()
}

// Sweep answers customer messages the bot missed: queued on a node that
// stopped before it got to them. A conversation in an inbox with the bot
// on, with nobody assigned, whose newest message is the customer's and
// older than a minute (and younger than an hour), and which the bot has not handed over or solved,
// gets its turn now. The sweeper runs it periodically.
func (b *Bot) Sweep(ctx context.Context) error {
	type lister interface {
		ListInboxes(ctx context.Context) ([]desk.Inbox, error)
	}
	ls, ok := b.s.st.(lister)
	if !ok {
		return nil
	}
	inboxes, err := ls.ListInboxes(ctx)
	if err != nil {
		return err
	}
	now := b.s.clock.Now()
	cutoff, oldest := now.Add(-time.Minute), now.Add(-time.Hour)
	for _, in := range inboxes {
		if !BotConfigOf(&in).Enabled {
			continue
		}
		page, err := b.s.st.ListConversations(ctx, desk.ConversationQuery{View: desk.ViewUnassigned, InboxID: in.ID,
			Status: desk.StatusOpen, Limit: 100})
		if err != nil {
			return err
		}
		for _, c := range page.Items {
			// Within the last hour only: turning the bot on must not answer
			// customers who have long been waiting for a person.
			if c.WaitingSince.IsZero() || c.WaitingSince.After(cutoff) || c.WaitingSince.Before(oldest) ||
				c.LastActivityAt.After(cutoff) {
				continue
			}
			st, err := b.load(ctx, c.ID)
			if err != nil || st.Phase == "human" {
				continue
			}
			msgs, err := b.s.st.ListMessages(ctx, c.ID, 0, 500)
			if err != nil || len(msgs) == 0 {
				continue
			}
			last := msgs[len(msgs)-1]
			if last.Sender == desk.SenderContact && last.Kind == desk.KindMessage {
				b.handle(ctx, job{convID: c.ID, msg: &last})
			}
		}
	}
	return nil
}

// Handle runs one message synchronously (tests, simulations).
func (b *Bot) Handle(ctx context.Context, convID int64, msg *desk.Message) {
	b.handle(ctx, job{convID: convID, msg: msg})
}

func (b *Bot) handle(ctx context.Context, j job) {
	if err := b.turn(ctx, j); err != nil {
		b.s.log.Warn("front: bot", "conversation", j.convID, "err", err)
	}
}

// turn is the bot's answer to one customer message.
func (b *Bot) turn(ctx context.Context, j job) error {
	conv, err := b.s.st.ConversationByID(ctx, j.convID)
	if err != nil {
		return err
	}
	inbox, err := b.s.st.InboxByID(ctx, conv.InboxID)
	if err != nil {
		return err
	}
	cfg := BotConfigOf(inbox)
	newConv := conv.Category == "" && conv.CategoryBy == ""
	text := strings.TrimSpace(j.msg.Body)
	var cls Classification
	if newConv && text != "" {
		if cls, err = b.s.Categorise(ctx, conv, text); err != nil {
			return err
		}
	}
	if !cfg.Enabled {
		return nil
	}
	st, err := b.load(ctx, conv.ID)
	if err != nil {
		return err
	}
	if st.Phase == "human" || conv.AssigneeID != 0 {
		return nil
	}
	t := texts(conv.Language, cfg.Formal)
	c := &botTurn{b: b, ctx: ctx, conv: conv, inbox: inbox, cfg: cfg, st: st, t: t}
	if !st.Greeted && cfg.Greeting[c.locale()] != "" {
		c.say(cfg.Greeting[c.locale()])
	}
	st.Greeted = true
	c.decide(text, cls)
	return c.finish()
}

// botTurn is one turn's working state.
type botTurn struct {
	b     *Bot
	ctx   context.Context
	conv  *desk.Conversation
	inbox *desk.Inbox
	cfg   BotConfig
	st    *botState
	t     phrases
	out   []string // what the bot says this turn, sent as one message
	// handover, when set, is the reason to hand over after speaking.
	handover string
	team     int64
	resolve  bool
}

func (c *botTurn) locale() string {
	if c.conv.Language == "en" {
		return "en"
	}
	return "nl"
}

func (c *botTurn) say(s string) { c.out = append(c.out, s) }

func (c *botTurn) decide(text string, cls Classification) {
	switch {
	case c.st.Turns >= maxTurns:
		c.handOver("the bot answered enough times without solving it", 0)
		return
	case wantsHuman(text):
		c.handOver("the customer asked for a person", 0)
		return
	case isUpset(text):
		c.handOver("the customer seems upset", 0)
		return
	}
	switch c.st.Phase {
	case "feedback":
		switch yesNo(text) {
		case "yes", "no":
			c.st.Misses = 0
		}
		switch yesNo(text) {
		case "yes":
			c.markHelped("yes")
			c.say(c.t.glad)
			c.st.Phase, c.resolve = "solved", true
			return
		case "no":
			c.markHelped("no")
			if c.nextCandidate() || c.tryFlow() {
				return
			}
			c.handOver("the article did not help", 0)
			return
		}
		// Neither. A word or two ("1", "hmm") is not a new question: ask
		// again, and after twice a person takes over. A sentence is a new
		// question; the article's verdict stays open.
		if len(lang.Tokens(text)) <= 2 {
			c.misunderstood(c.t.yesOrNo)
			return
		}
	case "flow":
		if c.st.FlowRun != 0 && c.b.flows != nil {
			step, err := c.b.flows.Answer(c.ctx, c.st.FlowRun, text)
			if err == nil {
				c.flowStep(step)
				return
			}
			c.b.s.log.Warn("front: bot flow", "run", c.st.FlowRun, "err", err)
		}
		c.st.Phase = ""
	case "solved":
		c.st.Phase = ""
	}
	c.question(text, cls)
}

// question answers a customer's question from the knowledge base, with a
// flow, or by handing over.
func (c *botTurn) question(text string, cls Classification) {
	cat, hasCat := c.b.s.Category(c.ctx, c.conv.Category)
	if hasCat && (cat.HumanOnly || contains(c.cfg.HumanOnly, cat.Key)) {
		c.handOver("the topic ("+cat.Key+") is one for people", cat.TeamID)
		return
	}
	if c.st.Answers >= maxAnswers {
		c.handOver("the knowledge base did not answer", 0)
		return
	}
	if len(lang.QueryTerms(text)) == 0 || onlyDigits(text) || onlyGreeting(text) {
		c.misunderstood(c.t.rephrase)
		return
	}
	if c.b.kb != nil && text != "" {
		res, err := c.b.kb.Search(c.ctx, kb.SearchRequest{Query: text, Locale: c.locale(), Source: desk.SourceBot,
			Visitor: kb.Visitor{ContactID: c.conv.ContactID, IP: "bot"}, Limit: 3})
		if err == nil && len(res.Hits) > 0 && res.Hits[0].Coverage >= c.cfg.Threshold {
			c.st.Next = nil
			for _, h := range res.Hits[1:] {
				if h.Coverage >= c.cfg.Threshold {
					c.st.Next = append(c.st.Next, h.Article.ID)
				}
			}
			c.answer(res.Hits[0].Article)
			return
		}
	}
	if hasCat && cat.ArticleGroupID != 0 && c.b.kb != nil {
		if arts, err := c.b.kb.Articles(c.ctx, desk.ArticleQuery{GroupID: cat.ArticleGroupID, Locale: c.locale(), Public: true}); err == nil && len(arts) > 0 {
			c.answer(&arts[0])
			return
		}
	}
	if c.tryFlow() {
		return
	}
	_ = cls
	c.handOver("the bot found no confident answer", 0)
}

// misunderstood asks again, and hands over after two misunderstandings in
// a row.
func (c *botTurn) misunderstood(ask string) {
	c.st.Misses++
	if c.st.Misses > 2 {
		c.handOver("the bot did not understand the customer", 0)
		return
	}
	c.say(ask)
}

// onlyGreeting reports a message that only says hello.
func onlyGreeting(s string) bool {
	toks := lang.Tokens(s)
	if len(toks) == 0 {
		return false
	}
	for _, t := range toks {
		switch t {
		case "hoi", "hallo", "hai", "hey", "hi", "hello", "goedemorgen", "goedemiddag", "goedenavond", "dag",
			"morning", "good", "afternoon", "evening", "daar", "there", "ik", "heb", "een", "vraag", "i", "have", "a", "question":
		default:
			return false
		}
	}
	return true
}

func onlyDigits(s string) bool {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' && r != ' ' {
			return false
		}
	}
	return s != ""
}

// answer sends an article and asks whether it helped.
func (c *botTurn) answer(a *desk.Article) {
	for _, s := range c.st.Shown {
		if s.ArticleID == a.ID && s.Helped == "no" {
			c.handOver("the article did not help", 0)
			return
		}
	}
	line := fmt.Sprintf(c.t.article, a.Title)
	if a.Description != "" {
		line += "\n" + a.Description
	}
	line += "\n" + c.b.baseURL + "/help/" + a.Locale + "/a/" + a.Slug
	c.say(line)
	c.say(c.t.helped)
	c.st.Shown = append(c.st.Shown, shown{ArticleID: a.ID, Title: a.Title})
	c.st.Answers++
	c.st.Phase, c.st.Misses = "feedback", 0
}

// nextCandidate offers the next article that passed the threshold for the
// question, when the bot may still answer; false when there is none.
func (c *botTurn) nextCandidate() bool {
	for len(c.st.Next) > 0 && c.st.Answers < maxAnswers && c.b.kb != nil {
		id := c.st.Next[0]
		c.st.Next = c.st.Next[1:]
		a, err := c.b.kb.Article(c.ctx, id)
		if err != nil || a.Status != desk.ArticlePublished || a.Internal {
			continue
		}
		c.say(c.t.another)
		c.answer(a)
		return true
	}
	return false
}

// tryFlow starts the category's flow once; false when there is none.
func (c *botTurn) tryFlow() bool {
	if c.b.flows == nil || c.st.FlowTried {
		return false
	}
	cat, ok := c.b.s.Category(c.ctx, c.conv.Category)
	if !ok || cat.FlowGroupID == 0 {
		return false
	}
	c.st.FlowTried = true
	run, title, step, ok, err := c.b.flows.Start(c.ctx, cat.FlowGroupID, c.locale(), c.conv.ID)
	if err != nil || !ok {
		if err != nil {
			c.b.s.log.Warn("front: bot flow", "err", err)
		}
		return false
	}
	c.st.FlowRun, c.st.FlowTitle, c.st.Phase = run, title, "flow"
	c.say(fmt.Sprintf(c.t.flowIntro, title))
	c.flowStep(step)
	return true
}

func (c *botTurn) flowStep(step FlowStep) {
	if !step.Done {
		c.say(step.Text)
		return
	}
	switch step.Outcome {
	case desk.FlowSolved:
		if step.Text != "" {
			c.say(step.Text)
		}
		c.say(c.t.glad)
		c.st.Phase, c.resolve = "solved", true
	case desk.FlowArticle:
		c.st.Phase = ""
		if c.b.kb != nil && step.ArticleGroupID != 0 {
			arts, err := c.b.kb.Articles(c.ctx, desk.ArticleQuery{GroupID: step.ArticleGroupID, Locale: c.locale(), Public: true})
			if err == nil && len(arts) > 0 {
				c.answer(&arts[0])
				return
			}
		}
		c.handOver("the flow ended in an article the bot cannot show", step.TeamID)
	default:
		if step.Text != "" {
			c.say(step.Text)
		}
		c.handOver("the flow handed over", step.TeamID)
	}
}

func (c *botTurn) markHelped(v string) {
	if n := len(c.st.Shown); n > 0 && c.st.Shown[n-1].Helped == "" {
		c.st.Shown[n-1].Helped = v
		if c.b.kb != nil && v != "" {
			// The customer's answer is the article's helpfulness vote.
			c.b.kb.Feedback(c.ctx, kb.FeedbackInput{ArticleID: c.st.Shown[n-1].ArticleID, Helpful: v == "yes",
				Visitor: kb.Visitor{IP: "contact-" + strconv.FormatInt(c.conv.ContactID, 10), ContactID: c.conv.ContactID}})
		}
	}
}

func (c *botTurn) handOver(reason string, team int64) {
	c.handover, c.team = reason, team
}

// finish sends what the bot said, hands over or resolves, and saves the
// state.
func (c *botTurn) finish() error {
	ctx := c.ctx
	bot := conversation.Actor{Bot: true, Name: botName}
	if c.handover != "" {
		team := c.team
		if team == 0 {
			if cat, ok := c.b.s.Category(ctx, c.conv.Category); ok {
				team = cat.TeamID
			}
		}
		if team == 0 {
			team = c.inbox.TeamID
		}
		c.say(c.b.s.handoverText(ctx, c.t, team, c.conv))
		c.st.Phase, c.st.Reason = "human", c.handover
	}
	if len(c.out) > 0 {
		c.st.Turns++
		if _, err := c.b.s.conv.Reply(ctx, bot, c.conv.ID, strings.Join(c.out, "\n\n"), nil); err != nil {
			return err
		}
	}
	if err := c.b.save(ctx, c.conv.ID, c.st); err != nil {
		return err
	}
	switch {
	case c.handover != "":
		team := c.team
		if team == 0 {
			if cat, ok := c.b.s.Category(ctx, c.conv.Category); ok {
				team = cat.TeamID
			}
		}
		note := c.b.s.handoverNote(ctx, c.conv, c.st)
		if sum := c.b.s.aiSummary(ctx, c.conv.ID); sum != "" {
			note += "\n\nSummary (AI):\n" + sum
		}
		ch := conversation.Change{Handover: true, Note: note}
		if team != 0 {
			ch.TeamID = &team
		}
		if _, err := c.b.s.conv.Update(ctx, bot, c.conv.ID, ch); err != nil {
			return err
		}
	case c.resolve:
		resolved := desk.StatusResolved
		if _, err := c.b.s.conv.Update(ctx, bot, c.conv.ID, conversation.Change{Status: &resolved}); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bot) load(ctx context.Context, convID int64) (*botState, error) {
	var st botState
	sess, err := b.s.st.BotSessionOf(ctx, convID)
	if errors.Is(err, desk.ErrNotFound) {
		return &st, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(sess.State), &st); err != nil {
		return nil, fmt.Errorf("front: bot state of conversation %d: %w", convID, err)
	}
	return &st, nil
}

func (b *Bot) save(ctx context.Context, convID int64, st *botState) error {
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return b.s.st.PutBotSession(ctx, &desk.BotSession{ConversationID: convID, State: string(v), UpdatedAt: b.s.clock.Now()})
}

// State describes what the bot did in a conversation, for the agent's
// view of a hand-over; ok is false when the bot never spoke there.
func (s *Service) State(ctx context.Context, convID int64) (BotSummary, bool) {
	if s.bot == nil {
		return BotSummary{}, false
	}
	st, err := s.bot.load(ctx, convID)
	if err != nil || (st.Turns == 0 && st.Phase == "") {
		return BotSummary{}, false
	}
	sum := BotSummary{Phase: st.Phase, Reason: st.Reason, FlowTitle: st.FlowTitle, Turns: st.Turns}
	for _, a := range st.Shown {
		sum.Articles = append(sum.Articles, ShownArticle{ID: a.ArticleID, Title: a.Title, Helped: a.Helped})
	}
	if st.FlowRun != 0 && s.bot.flows != nil {
		sum.FlowPath, _ = s.bot.flows.Path(ctx, st.FlowRun)
	}
	return sum, true
}

// BotSummary is the bot's part of a conversation.
type BotSummary struct {
	Phase     string // "human" after a hand-over, "solved", ...
	Reason    string // why it handed over
	Turns     int
	Articles  []ShownArticle
	FlowTitle string
	FlowPath  []string
}

// ShownArticle is an article the bot sent, and whether it helped.
type ShownArticle struct {
	ID     int64
	Title  string
	Helped string // "yes", "no", ""
}

// handoverNote is the note agents find: everything the customer already
// told and tried.
func (s *Service) handoverNote(ctx context.Context, conv *desk.Conversation, st *botState) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Handed over by the bot: %s.", st.Reason)
	if conv.Category != "" {
		name := conv.Category
		if c, ok := s.Category(ctx, conv.Category); ok {
			name = c.Name("en")
		}
		fmt.Fprintf(&b, "\nCategory: %s (%s).", name, conv.CategoryBy)
	}
	if conv.Language != "" {
		fmt.Fprintf(&b, " Language: %s.", conv.Language)
	}
	for _, a := range st.Shown {
		helped := "no answer"
		switch a.Helped {
		case "yes":
			helped = "helped"
		case "no":
			helped = "did not help"
		}
		fmt.Fprintf(&b, "\nArticle shown: %q (%s).", a.Title, helped)
	}
	if st.FlowRun != 0 && s.bot != nil && s.bot.flows != nil {
		if path, err := s.bot.flows.Path(ctx, st.FlowRun); err == nil && len(path) > 0 {
			fmt.Fprintf(&b, "\nFlow %q: %s.", st.FlowTitle, strings.Join(path, " → "))
		}
	}
	return b.String()
}

// handoverText tells the customer honestly who picks the conversation up
// and when.
func (s *Service) handoverText(ctx context.Context, t phrases, teamID int64, conv *desk.Conversation) string {
	now := s.clock.Now()
	hours := s.Hours(ctx)
	if !hours.Open(now) {
		next := hours.Next(now)
		return fmt.Sprintf(t.closed, t.when(next, now, hours.Location()))
	}
	online := 0
	if agents, err := s.st.ListAgents(ctx); err == nil {
		for _, a := range agents {
			if a.Availability == desk.Online && !a.Disabled && (teamID == 0 || containsID(a.TeamIDs, teamID)) {
				online++
			}
		}
	}
	if online == 0 {
		return t.noneOnline
	}
	ahead := 0
	q := desk.ConversationQuery{View: desk.ViewUnassigned, Status: desk.StatusOpen, TeamID: teamID, Limit: 200}
	if page, err := s.st.ListConversations(ctx, q); err == nil {
		for _, c := range page.Items {
			if c.ID != conv.ID && !c.WaitingSince.IsZero() && c.WaitingSince.Before(now) {
				ahead++
			}
		}
	}
	if ahead == 0 {
		return t.nextUp
	}
	return fmt.Sprintf(t.queue, ahead+1)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsID(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// yesNo reads a customer's answer to "did this help?".
func yesNo(text string) string {
	toks := lang.Tokens(text)
	if len(toks) == 0 {
		if strings.Contains(text, "👍") {
			return "yes"
		}
		if strings.Contains(text, "👎") {
			return "no"
		}
		return ""
	}
	if len(toks) > 6 {
		return "" // a sentence: more likely a new question
	}
	switch toks[0] {
	case "ja", "jazeker", "jawel", "yes", "yep", "yeah", "ok", "oke", "okay", "top", "super", "thanks", "bedankt", "dank", "dankjewel", "dankuwel", "opgelost", "solved", "helped", "geholpen", "perfect":
		return "yes"
	case "nee", "neen", "no", "nope", "niet", "not", "helaas", "unfortunately":
		return "no"
	}
	return ""
}

// wantsHuman reports whether the customer asks for a person.
func wantsHuman(text string) bool {
	t := " " + strings.Join(lang.Tokens(text), " ") + " "
	for _, p := range []string{" medewerker ", " mens ", " persoon ", " iemand spreken ", " echt iemand ", " een mens ",
		" collega ", " bellen ", " telefonisch ", " human ", " real person ", " agent ", " someone ", " operator ",
		" speak to a person ", " talk to a person ", " representative "} {
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
}

// isUpset reports signs of an upset customer: strong words, shouting.
func isUpset(text string) bool {
	t := " " + strings.Join(lang.Tokens(text), " ") + " "
	for _, w := range []string{" belachelijk ", " schandalig ", " waardeloos ", " boos ", " woedend ", " oplichters ",
		" oplichting ", " nooit meer ", " klacht ", " ontevreden ", " teleurgesteld ", " onacceptabel ", " bizar ",
		" ridiculous ", " outrageous ", " terrible ", " angry ", " furious ", " scam ", " unacceptable ",
		" disgusting ", " worst ", " complaint ", " disappointed "} {
		if strings.Contains(t, w) {
			return true
		}
	}
	if strings.Count(text, "!") >= 3 {
		return true
	}
	shouting, words := 0, 0
	for _, f := range strings.Fields(text) {
		letters, upper := 0, 0
		for _, r := range f {
			if r >= 'A' && r <= 'Z' {
				upper++
			}
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				letters++
			}
		}
		if letters >= 3 {
			words++
			if upper == letters {
				shouting++
			}
		}
	}
	return words >= 3 && shouting*2 > words
}

// BusinessHours says when people answer.
type BusinessHours struct {
	Zone string `json:"zone"` // IANA name, default Europe/Amsterdam
	// Days maps weekday numbers (0 Sunday .. 6 Saturday) to opening and
	// closing time ("09:00", "17:30"); a missing day is closed.
	Days map[string][2]string `json:"days"`
}

// DefaultHours: weekdays 9 to 17, Amsterdam time.
var DefaultHours = BusinessHours{Zone: "Europe/Amsterdam", Days: map[string][2]string{
	"1": {"09:00", "17:00"}, "2": {"09:00", "17:00"}, "3": {"09:00", "17:00"}, "4": {"09:00", "17:00"}, "5": {"09:00", "17:00"}}}

const settingHours = "front.hours"

// Hours returns the business hours.
func (s *Service) Hours(ctx context.Context) BusinessHours {
	v, err := s.st.Setting(ctx, settingHours)
	if err != nil {
		return DefaultHours
	}
	var h BusinessHours
	if json.Unmarshal([]byte(v), &h) != nil || h.Days == nil {
		return DefaultHours
	}
	return h
}

// SetHours stores the business hours after checking them.
func (s *Service) SetHours(ctx context.Context, h BusinessHours) error {
	if _, err := time.LoadLocation(h.Zone); err != nil || h.Zone == "" {
		return desk.Invalid("zone", "an IANA time zone such as Europe/Amsterdam")
	}
	for d, span := range h.Days {
		n, err := strconv.Atoi(d)
		o, err1 := time.Parse("15:04", span[0])
		c, err2 := time.Parse("15:04", span[1])
		if err != nil || n < 0 || n > 6 || err1 != nil || err2 != nil || !c.After(o) {
			return desk.Invalid("days", "weekday 0-6 with opening before closing, as HH:MM")
		}
	}
	b, _ := json.Marshal(h)
	return s.st.SetSetting(ctx, settingHours, string(b))
}

// Location is the hours' time zone (UTC when unknown).
func (h BusinessHours) Location() *time.Location {
	if loc, err := time.LoadLocation(h.Zone); err == nil {
		return loc
	}
	return time.UTC
}

func (h BusinessHours) span(t time.Time) (open, close time.Time, ok bool) {
	d, ok := h.Days[strconv.Itoa(int(t.Weekday()))]
	if !ok {
		return time.Time{}, time.Time{}, false
	}
	o, err1 := time.Parse("15:04", d[0])
	c, err2 := time.Parse("15:04", d[1])
	if err1 != nil || err2 != nil {
		return time.Time{}, time.Time{}, false
	}
	y, m, day := t.Date()
	return time.Date(y, m, day, o.Hour(), o.Minute(), 0, 0, t.Location()),
		time.Date(y, m, day, c.Hour(), c.Minute(), 0, 0, t.Location()), true
}

// Open reports whether people answer at t.
func (h BusinessHours) Open(t time.Time) bool {
	t = t.In(h.Location())
	o, c, ok := h.span(t)
	return ok && !t.Before(o) && t.Before(c)
}

// Next is the next opening time after t (t itself when open).
func (h BusinessHours) Next(t time.Time) time.Time {
	t = t.In(h.Location())
	if h.Open(t) {
		return t
	}
	for i := 0; i < 8; i++ {
		day := t.AddDate(0, 0, i)
		if o, _, ok := h.span(day); ok && o.After(t) {
			return o
		}
	}
	return t
}
