package front_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/front"
	"github.com/balie-dev/balie/internal/kb"
	"github.com/balie-dev/balie/internal/testenv"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// fixture is a shop with a bot on its web chat, a knowledge base and the
// default categories, during business hours (a Tuesday at 11:00 in
// Amsterdam).
type fixture struct {
	st    desk.Store
	conv  *conversation.Service
	kb    *kb.Service
	front *front.Service
	bot   *front.Bot
	inbox *desk.Inbox
	team  *desk.Team
	agent *desk.Agent
	clock *clock
	n     int
}

type store interface {
	desk.Store
	desk.IntentExampleStore
	desk.BotSessionStore
}

func forEachStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) {
			ctx := context.Background()
			raw := o.Open(t)
			st, ok := raw.(store)
			if !ok {
				t.Skip("the store has no front-line storage yet")
			}
			ams, _ := time.LoadLocation("Europe/Amsterdam")
			f := &fixture{st: st, clock: &clock{t: time.Date(2026, 3, 3, 11, 0, 0, 0, ams)}}
			b := bus.NewLocal(0)
			f.conv = conversation.New(st, b, f.clock, nil, conversation.Options{})
			f.kb = kb.New(st, b, f.clock, nil, kb.Options{})
			f.front = front.New(st, f.conv, f.clock, nil, front.Options{})
			f.bot = f.front.NewBot(front.BotOptions{KB: f.kb, BaseURL: "https://help.example.com"})
			if err := f.front.Retrain(ctx); err != nil {
				t.Fatal(err)
			}
			f.team = &desk.Team{Name: "Klantenservice"}
			must(t, st.CreateTeam(ctx, f.team))
			f.agent = &desk.Agent{Email: "sanne@example.nl", Name: "Sanne", Role: desk.RoleAgent, Locale: "nl",
				PasswordHash: "x", Availability: desk.Online}
			must(t, st.CreateAgent(ctx, f.agent))
			must(t, st.SetAgentTeams(ctx, f.agent.ID, []int64{f.team.ID}))
			f.inbox = &desk.Inbox{Name: "Webshop", Channel: desk.ChannelWebChat, PublicKey: "pk", TeamID: f.team.ID,
				Settings: map[string]string{"bot": "on", "bot_greeting_nl": "Hoi! Ik ben de digitale assistent."}}
			must(t, st.CreateInbox(ctx, f.inbox))
			author := &desk.Agent{ID: f.agent.ID}
			for _, a := range []kb.ArticleInput{
				{Locale: "nl", Title: "Bezorgadres wijzigen", Questions: []string{"Hoe wijzig ik mijn bezorgadres?"},
					Body: "Wijzig je adres via Mijn account zolang de bestelling niet verzonden is.", Status: desk.ArticlePublished},
				{Locale: "en", Title: "Change your delivery address", Questions: []string{"How do I change my delivery address?"},
					Body: "Change it in My account until the order ships.", Status: desk.ArticlePublished},
			} {
				if _, err := f.kb.CreateArticle(ctx, author, a); err != nil {
					t.Fatal(err)
				}
			}
			fn(t, f)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// say is a customer writing in the chat; the bot answers before it returns.
func (f *fixture) say(t *testing.T, convID int64, text string) *desk.Conversation {
	t.Helper()
	f.n++
	in := desk.Inbound{InboxID: f.inbox.ID, ExternalID: fmt.Sprintf("m%d", f.n), Body: text,
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "klant@example.nl"}, FromName: "Klant", ConversationID: convID}
	res, err := f.conv.Ingest(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	f.bot.Handle(context.Background(), res.Conversation.ID, res.Message)
	c, err := f.st.ConversationByID(context.Background(), res.Conversation.ID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// botSaid returns the bot's messages so far.
func (f *fixture) botSaid(t *testing.T, convID int64) []string {
	t.Helper()
	msgs, err := f.st.ListMessages(context.Background(), convID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if m.Sender == desk.SenderBot && m.Kind == desk.KindMessage {
			out = append(out, m.Body)
		}
	}
	return out
}

func (f *fixture) notes(t *testing.T, convID int64) []string {
	t.Helper()
	msgs, _ := f.st.ListMessages(context.Background(), convID, 0, 100)
	var out []string
	for _, m := range msgs {
		if m.Kind == desk.KindNote {
			out = append(out, m.Body)
		}
	}
	return out
}

func TestBotAnswersFromTheKnowledgeBase(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.say(t, 0, "Hoe kan ik mijn bezorgadres wijzigen?")
		said := f.botSaid(t, c.ID)
		if len(said) != 1 {
			t.Fatalf("bot said %q, want one message", said)
		}
		for _, want := range []string{"Hoi! Ik ben de digitale assistent.", "Bezorgadres wijzigen",
			"https://help.example.com/help/nl/a/bezorgadres-wijzigen", "Heeft dit je geholpen?"} {
			if !strings.Contains(said[0], want) {
				t.Errorf("bot message %q lacks %q", said[0], want)
			}
		}
		if c.Language != "nl" || c.Category != "order" || c.CategoryBy != desk.CategoryByBot {
			t.Errorf("conversation language %q category %q by %q, want nl, order, bot", c.Language, c.Category, c.CategoryBy)
		}
		c = f.say(t, c.ID, "ja, bedankt!")
		if c.Status != desk.StatusResolved {
			t.Errorf("after yes: status %s, want resolved", c.Status)
		}
		if said := f.botSaid(t, c.ID); len(said) != 2 || !strings.Contains(said[1], "Fijn") {
			t.Errorf("after yes the bot said %q", said)
		}
		sum, ok := f.front.State(context.Background(), c.ID)
		if !ok || len(sum.Articles) != 1 || sum.Articles[0].Helped != "yes" || sum.Phase != "solved" {
			t.Errorf("bot summary = %+v, %v", sum, ok)
		}
	})
}

func TestBotHandsOver(t *testing.T) {
	tests := []struct {
		name       string
		messages   []string
		wantReason string
		wantSaid   string // in the last bot message
	}{
		{"asks for a person", []string{"Ik wil een medewerker spreken"}, "asked for a person", "collega"},
		{"upset", []string{"Dit is echt belachelijk, mijn fiets is kapot aangekomen!!!"}, "upset", "collega"},
		{"complaint is for people", []string{"Ik wil een klacht indienen over de bezorger"}, "", "collega"},
		{"no confident answer", []string{"Kan ik mijn oude fiets inruilen bij aankoop van een nieuwe?"}, "no confident answer", "collega"},
		{"article did not help", []string{"Hoe wijzig ik mijn bezorgadres?", "nee"}, "did not help", "collega"},
		{"English customer", []string{"How do I change my delivery address?", "no"}, "did not help", "colleague"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, f *fixture) {
				var c *desk.Conversation
				var id int64
				for _, m := range tt.messages {
					c = f.say(t, id, m)
					id = c.ID
				}
				said := f.botSaid(t, c.ID)
				if len(said) == 0 || !strings.Contains(said[len(said)-1], tt.wantSaid) {
					t.Fatalf("bot said %q, want the last to mention %q", said, tt.wantSaid)
				}
				if c.TeamID != f.team.ID || c.WaitingSince.IsZero() || c.Status != desk.StatusOpen {
					t.Errorf("after hand-over: team %d waiting %v status %s", c.TeamID, c.WaitingSince, c.Status)
				}
				notes := f.notes(t, c.ID)
				if len(notes) != 1 || !strings.Contains(notes[0], "Handed over by the bot") || !strings.Contains(notes[0], tt.wantReason) {
					t.Errorf("hand-over note = %q, want one mentioning %q", notes, tt.wantReason)
				}
				// After the hand-over the bot keeps quiet.
				before := len(said)
				f.say(t, c.ID, "Hallo? Is daar iemand?")
				if after := len(f.botSaid(t, c.ID)); after != before {
					t.Errorf("the bot spoke after the hand-over (%d → %d messages)", before, after)
				}
			})
		})
	}
}

func TestBotTellsWhenClosed(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ams, _ := time.LoadLocation("Europe/Amsterdam")
		f.clock.mu.Lock()
		f.clock.t = time.Date(2026, 3, 7, 14, 0, 0, 0, ams) // a Saturday
		f.clock.mu.Unlock()
		c := f.say(t, 0, "Ik wil iemand spreken")
		said := f.botSaid(t, c.ID)
		if len(said) == 0 || !strings.Contains(said[len(said)-1], "gesloten") || !strings.Contains(said[len(said)-1], "maandag vanaf 09:00") {
			t.Errorf("bot said %q, want closed until Monday 09:00", said)
		}
	})
}

func TestBotNeverLoops(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		var id int64
		var c *desk.Conversation
		for i := range 12 {
			c = f.say(t, id, fmt.Sprintf("Hoe wijzig ik mijn bezorgadres? (%d)", i))
			id = c.ID
		}
		said := f.botSaid(t, id)
		if len(said) > 8 {
			t.Errorf("the bot sent %d messages, want at most 8", len(said))
		}
		sum, _ := f.front.State(context.Background(), id)
		if sum.Phase != "human" {
			t.Errorf("after 12 repeats phase = %q, want a hand-over", sum.Phase)
		}
	})
}

func TestBotOffOnlyCategorises(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.inbox.Settings = map[string]string{}
		must(t, f.st.UpdateInbox(context.Background(), f.inbox))
		f.conv.InvalidateCaches()
		c := f.say(t, 0, "Mijn betaling met iDEAL is mislukt")
		if said := f.botSaid(t, c.ID); len(said) != 0 {
			t.Errorf("bot off but said %q", said)
		}
		if c.Category != "billing" {
			t.Errorf("category = %q, want billing", c.Category)
		}
	})
}

func TestAgentCorrectionTeaches(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		if err := f.front.SetCategories(ctx, append(front.DefaultCategories,
			front.Category{Key: "lease", NameNL: "Fietslease", NameEN: "Bike lease"})); err != nil {
			t.Fatal(err)
		}
		if err := f.front.Retrain(ctx); err != nil {
			t.Fatal(err)
		}
		const text = "Kan ik via mijn werkgever een fiets leasen?"
		if got := f.front.Classify(text); got.Category == "lease" {
			t.Fatalf("classified as lease before any example")
		}
		c := f.say(t, 0, text)
		if _, err := f.front.SetCategory(ctx, f.agent, c.ID, "lease"); err != nil {
			t.Fatal(err)
		}
		got := f.front.Classify("Kan ik mijn fiets leasen via de werkgever?")
		if got.Category != "lease" {
			t.Errorf("after one correction: %+v, want lease", got)
		}
		n, _ := f.st.(store).CountIntentExamples(ctx)
		if n != 1 {
			t.Errorf("%d examples stored, want 1", n)
		}
		// A second correction of the same conversation replaces the example.
		if _, err := f.front.SetCategory(ctx, f.agent, c.ID, "other"); err != nil {
			t.Fatal(err)
		}
		if n, _ := f.st.(store).CountIntentExamples(ctx); n != 1 {
			t.Errorf("%d examples after a second correction, want 1", n)
		}
		if _, err := f.front.SetCategory(ctx, f.agent, c.ID, "nonsense"); err == nil {
			t.Error("unknown category accepted")
		}
	})
}

// TestBotSweepAnswersMissedMessages: a message whose turn was lost (the
// node stopped) is answered by the sweep a minute later, once.
func TestBotSweepAnswersMissedMessages(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		res, err := f.conv.Ingest(ctx, desk.Inbound{InboxID: f.inbox.ID, ExternalID: "lost", Body: "Hoe wijzig ik mijn bezorgadres?",
			From: desk.Identity{Kind: desk.IdentityEmail, Value: "klant@example.nl"}})
		must(t, err)
		must(t, f.bot.Sweep(ctx))
		if said := f.botSaid(t, res.Conversation.ID); len(said) != 0 {
			t.Fatalf("the sweep answered a fresh message: %q", said)
		}
		f.clock.mu.Lock()
		f.clock.t = f.clock.t.Add(2 * time.Minute)
		f.clock.mu.Unlock()
		must(t, f.bot.Sweep(ctx))
		must(t, f.bot.Sweep(ctx))
		if said := f.botSaid(t, res.Conversation.ID); len(said) != 1 || !strings.Contains(said[0], "Bezorgadres wijzigen") {
			t.Errorf("after the sweep the bot said %q, want one answer", said)
		}
	})
}

// TestBotAsksAgainInsteadOfGuessing: "hallo", a bare number or a shrug is
// not a question to search for; the bot asks, and after three
// misunderstandings in a row a person takes over.
func TestBotAsksAgainInsteadOfGuessing(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.say(t, 0, "Hallo, ik heb een vraag")
		said := f.botSaid(t, c.ID)
		if len(said) != 1 || !strings.Contains(said[0], "paar woorden") {
			t.Fatalf("after a greeting the bot said %q, want it to ask for the question", said)
		}
		c = f.say(t, c.ID, "Hoe wijzig ik mijn bezorgadres?")
		c = f.say(t, c.ID, "1")
		said = f.botSaid(t, c.ID)
		if last := said[len(said)-1]; !strings.Contains(last, "ja of nee") || strings.Contains(last, "Levertijden") {
			t.Errorf("after \"1\" the bot said %q, want it to ask yes or no again", last)
		}
		f.say(t, c.ID, "hmm")
		c = f.say(t, c.ID, "2")
		if sum, _ := f.front.State(context.Background(), c.ID); sum.Phase != "human" {
			t.Errorf("after three misunderstandings phase = %q, want a hand-over", sum.Phase)
		}
	})
}
