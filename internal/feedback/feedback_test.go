package feedback_test

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/feedback"
	"github.com/balie-dev/balie/internal/testenv"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var start = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

type fixture struct {
	t          *testing.T
	ctx        context.Context
	st         desk.Store
	clock      *clock
	convs      *conversation.Service
	flaky      *flaky
	svc        *feedback.Service
	mail, chat *desk.Inbox
	team       *desk.Team
	anna, lead *desk.Agent
}

func newFixture(t *testing.T, open func(testing.TB) desk.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: t.Context(), st: open(t), clock: &clock{now: start}}
	f.convs = conversation.New(f.st, bus.NewLocal(0), f.clock, slog.New(slog.DiscardHandler), conversation.Options{})
	f.flaky = &flaky{inner: f.convs}
	f.svc = feedback.New(f.st, f.flaky, f.clock, nil, feedback.Options{BaseURL: "https://help.example.nl/"})
	f.team = &desk.Team{Name: "Klantenservice"}
	f.must(f.st.CreateTeam(f.ctx, f.team), "CreateTeam")
	other := &desk.Team{Name: "Logistiek"}
	f.must(f.st.CreateTeam(f.ctx, other), "CreateTeam")
	f.anna = &desk.Agent{Email: "anna@example.nl", Name: "Anna", Role: desk.RoleAgent, Locale: "nl"}
	f.must(f.st.CreateAgent(f.ctx, f.anna), "CreateAgent")
	// Two supervisors: the follow-up goes to the one in the conversation's team.
	elsewhere := &desk.Agent{Email: "eva@example.nl", Name: "Eva", Role: desk.RoleSupervisor, Locale: "nl"}
	f.must(f.st.CreateAgent(f.ctx, elsewhere), "CreateAgent")
	f.must(f.st.SetAgentTeams(f.ctx, elsewhere.ID, []int64{other.ID}), "SetAgentTeams")
	f.lead = &desk.Agent{Email: "lars@example.nl", Name: "Lars", Role: desk.RoleSupervisor, Locale: "nl"}
	f.must(f.st.CreateAgent(f.ctx, f.lead), "CreateAgent")
	f.must(f.st.SetAgentTeams(f.ctx, f.lead.ID, []int64{f.team.ID}), "SetAgentTeams")
	f.mail = &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mail"}
	f.must(f.st.CreateInbox(f.ctx, f.mail), "CreateInbox")
	f.chat = &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "chat"}
	f.must(f.st.CreateInbox(f.ctx, f.chat), "CreateInbox")
	return f
}

var errSend = errors.New("send failed")

// flaky is the conversation service whose sends fail as planned: each
// ReplyWith takes the next entry of fail (none left: succeed), and a
// failing one fails inside the message's transaction, after the caller's
// own writes, as a send that could not be stored would. before, when set,
// runs before each send.
type flaky struct {
	inner  *conversation.Service
	mu     sync.Mutex
	fail   []bool
	before func()
}

func (c *flaky) ReplyWith(ctx context.Context, by conversation.Actor, id int64, body string, also func(desk.Store) error) (*desk.Message, error) {
	c.mu.Lock()
	fail := len(c.fail) > 0 && c.fail[0]
	if len(c.fail) > 0 {
		c.fail = c.fail[1:]
	}
	before := c.before
	c.mu.Unlock()
	if before != nil {
		before()
	}
	return c.inner.ReplyWith(ctx, by, id, body, func(tx desk.Store) error {
		if err := also(tx); err != nil {
			return err
		}
		if fail {
			return errSend
		}
		return nil
	})
}

func (c *flaky) Update(ctx context.Context, by conversation.Actor, id int64, ch conversation.Change) (*desk.Conversation, error) {
	return c.inner.Update(ctx, by, id, ch)
}

func (f *fixture) must(err error, what string) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("%s: %v", what, err)
	}
}

// settings saves the defaults with surveys turned on, changed by mod.
func (f *fixture) settings(mod func(*feedback.Settings)) {
	f.t.Helper()
	set := feedback.DefaultSettings()
	set.Enabled = true
	mod(&set)
	f.must(f.svc.SaveSettings(f.ctx, set), "SaveSettings")
}

// resolved makes a conversation resolved `ago` before now, answered by
// Anna unless botOnly.
func (f *fixture) resolved(in *desk.Inbox, email string, ago time.Duration, botOnly bool) *desk.Conversation {
	f.t.Helper()
	c := &desk.Contact{Name: email, Email: email, Locale: "nl"}
	if existing, err := f.st.ContactByIdentity(f.ctx, desk.IdentityEmail, email); err == nil {
		c = existing
	} else {
		f.must(f.st.CreateContact(f.ctx, c), "CreateContact")
		f.must(f.st.AddIdentity(f.ctx, &desk.Identity{ContactID: c.ID, Kind: desk.IdentityEmail, Value: email}), "AddIdentity")
	}
	at := f.clock.Now().Add(-ago)
	cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: c.ID, Subject: "Levering",
		Status: desk.StatusResolved, Priority: desk.PriorityNone, AssigneeID: f.anna.ID, TeamID: f.team.ID,
		Category: "delivery", LastActivityAt: at, CreatedAt: at.Add(-time.Hour), UpdatedAt: at, ResolvedAt: at}
	if botOnly {
		cv.AssigneeID = 0
	} else {
		cv.FirstReplyAt = at.Add(-30 * time.Minute)
	}
	f.must(f.st.CreateConversation(f.ctx, cv), "CreateConversation")
	sender := desk.SenderAgent
	if botOnly {
		sender = desk.SenderBot
	}
	f.must(f.st.CreateMessage(f.ctx, &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: sender,
		Body: "Je pakket komt morgen.", CreatedAt: at.Add(-time.Minute)}), "CreateMessage")
	return cv
}

var linkRE = regexp.MustCompile(`https://help\.example\.nl/help/(nl|en)/survey/([A-Za-z0-9_-]+)`)

// surveyLinks returns the survey tokens balie sent in a conversation.
func (f *fixture) surveyLinks(convID int64) []string {
	f.t.Helper()
	msgs, err := f.st.ListMessages(f.ctx, convID, 0, 100)
	f.must(err, "ListMessages")
	var out []string
	for _, m := range msgs {
		if m.Sender == desk.SenderSystem && m.Kind == desk.KindMessage {
			if mm := linkRE.FindStringSubmatch(m.Body); mm != nil {
				out = append(out, mm[2])
			}
		}
	}
	return out
}

func (f *fixture) sendDue() int {
	f.t.Helper()
	n, err := f.svc.SendDue(f.ctx)
	f.must(err, "SendDue")
	return n
}

func forEachStore(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) { fn(t, newFixture(t, o.Open)) })
	}
}

func TestSendDue(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.settings(func(s *feedback.Settings) { s.DelayMinutes = 30 })
		answered := f.resolved(f.mail, "sanne@example.nl", 31*time.Minute, false)
		tooSoon := f.resolved(f.mail, "bram@example.nl", 10*time.Minute, false)
		botOnly := f.resolved(f.chat, "bot@example.nl", time.Hour, true)
		noreply := f.resolved(f.mail, "no-reply@shop.example", time.Hour, false)
		reopened := f.resolved(f.mail, "kees@example.nl", time.Hour, false)
		reopened.Status = desk.StatusOpen
		f.must(f.st.UpdateConversation(f.ctx, reopened), "UpdateConversation")

		if got := f.sendDue(); got != 1 {
			t.Errorf("first run sent %d surveys, want 1", got)
		}
		if got := f.sendDue(); got != 0 {
			t.Errorf("second run sent %d surveys, want 0 (at most once per conversation)", got)
		}
		cases := []struct {
			name      string
			conv      *desk.Conversation
			wantLinks int
			wantState desk.SurveyState // "" none yet
			reason    string
		}{
			{"answered by an agent, resolved long enough", answered, 1, desk.SurveySent, ""},
			{"resolved within the delay", tooSoon, 0, "", ""},
			{"bot only", botOnly, 0, desk.SurveySkipped, feedback.SkipBotOnly},
			{"no-reply address", noreply, 0, desk.SurveySkipped, feedback.SkipAutomated},
			{"reopened", reopened, 0, "", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if got := len(f.surveyLinks(tc.conv.ID)); got != tc.wantLinks {
					t.Errorf("survey messages = %d, want %d", got, tc.wantLinks)
				}
				sv, err := f.st.SurveyByConversation(f.ctx, tc.conv.ID)
				if tc.wantState == "" {
					if !errors.Is(err, desk.ErrNotFound) {
						t.Errorf("survey = %+v, %v; want none yet", sv, err)
					}
					return
				}
				f.must(err, "SurveyByConversation")
				if sv.State != tc.wantState || sv.Reason != tc.reason {
					t.Errorf("survey state %q reason %q, want %q %q", sv.State, sv.Reason, tc.wantState, tc.reason)
				}
			})
		}
		sv, err := f.st.SurveyByConversation(f.ctx, answered.ID)
		f.must(err, "SurveyByConversation")
		if sv.AgentID != f.anna.ID || sv.TeamID != f.team.ID || sv.Category != "delivery" || sv.Channel != desk.ChannelEmail {
			t.Errorf("survey figures = agent %d team %d category %q channel %q, want the conversation's",
				sv.AgentID, sv.TeamID, sv.Category, sv.Channel)
		}
		cv, err := f.st.ConversationByID(f.ctx, answered.ID)
		f.must(err, "ConversationByID")
		if cv.Status != desk.StatusResolved {
			t.Errorf("status after the survey = %q, want it still resolved", cv.Status)
		}

		// The one within the delay goes out once it has stayed resolved.
		f.clock.add(25 * time.Minute)
		if got := f.sendDue(); got != 1 {
			t.Errorf("run after the delay sent %d, want 1", got)
		}
		if got := len(f.surveyLinks(tooSoon.ID)); got != 1 {
			t.Errorf("survey messages after the delay = %d, want 1", got)
		}
	})
}

func TestSendDueBotOnlyAndOff(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.settings(func(s *feedback.Settings) { s.IncludeBotOnly = true })
		bot := f.resolved(f.chat, "bot@example.nl", time.Hour, true)
		if got := f.sendDue(); got != 1 {
			t.Errorf("with bot-only surveys on, sent %d, want 1", got)
		}
		f.settings(func(s *feedback.Settings) { s.Enabled = false })
		off := f.resolved(f.mail, "sanne@example.nl", time.Hour, false)
		if got := f.sendDue(); got != 0 {
			t.Errorf("with surveys off, sent %d, want 0", got)
		}
		if _, err := f.st.SurveyByConversation(f.ctx, off.ID); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("surveys off: a survey row was written (%v); want it left for when they are on", err)
		}
		if got := len(f.surveyLinks(bot.ID)); got != 1 {
			t.Errorf("bot conversation survey messages = %d, want 1", got)
		}
	})
}

// TestSendDueFailedSend: a survey whose message could not be stored is
// not recorded; the next run sends it, once.
func TestSendDueFailedSend(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.settings(func(s *feedback.Settings) {})
		cv := f.resolved(f.mail, "sanne@example.nl", time.Hour, false)
		f.flaky.fail = []bool{true}
		runs := []struct {
			name      string
			wantSent  int
			wantLinks int
			wantRow   bool
		}{
			{"send fails", 0, 0, false},
			{"next run sends", 1, 1, true},
			{"run after that sends nothing", 0, 1, true},
		}
		for _, r := range runs {
			t.Run(r.name, func(t *testing.T) {
				if got := f.sendDue(); got != r.wantSent {
					t.Errorf("sent %d surveys, want %d", got, r.wantSent)
				}
				links := f.surveyLinks(cv.ID)
				if len(links) != r.wantLinks {
					t.Fatalf("survey messages = %d, want %d", len(links), r.wantLinks)
				}
				sv, err := f.st.SurveyByConversation(f.ctx, cv.ID)
				if !r.wantRow {
					if !errors.Is(err, desk.ErrNotFound) {
						t.Errorf("survey row = %+v, %v; want none (nothing was sent)", sv, err)
					}
					return
				}
				f.must(err, "SurveyByConversation")
				if sv.State != desk.SurveySent || sv.TokenHash != feedback.HashToken(links[0]) {
					t.Errorf("survey %q with hash %q, want sent with the hash of the link's token", sv.State, sv.TokenHash)
				}
			})
		}
	})
}

// TestSendDueTakenMeanwhile: when another node records the survey while
// this one sends it, this node's message is undone.
func TestSendDueTakenMeanwhile(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.settings(func(s *feedback.Settings) {})
		cv := f.resolved(f.mail, "sanne@example.nl", time.Hour, false)
		f.flaky.before = func() {
			f.flaky.before = nil
			f.must(f.st.CreateSurvey(f.ctx, &desk.Survey{ConversationID: cv.ID, ContactID: cv.ContactID,
				Channel: cv.Channel, State: desk.SurveySent, TokenHash: "other-node", NPS: desk.NoNPS,
				SentAt: f.clock.Now()}), "CreateSurvey (other node)")
		}
		if got := f.sendDue(); got != 0 {
			t.Errorf("sent %d surveys, want 0 (the other node sent it)", got)
		}
		if got := len(f.surveyLinks(cv.ID)); got != 0 {
			t.Errorf("survey messages from this node = %d, want 0", got)
		}
		sv, err := f.st.SurveyByConversation(f.ctx, cv.ID)
		f.must(err, "SurveyByConversation")
		if sv.TokenHash != "other-node" {
			t.Errorf("survey hash = %q, want the other node's", sv.TokenHash)
		}
	})
}

// sent makes one surveyed conversation and returns its token.
func (f *fixture) sent(email string) (string, *desk.Conversation) {
	f.t.Helper()
	cv := f.resolved(f.mail, email, time.Hour, false)
	f.sendDue()
	links := f.surveyLinks(cv.ID)
	if len(links) != 1 {
		f.t.Fatalf("survey links = %v, want one", links)
	}
	return links[0], cv
}

func TestSubmit(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.settings(func(s *feedback.Settings) {
			s.AskNPS, s.LowScore = true, 0
			s.Questions = []feedback.Question{{Label: "Hoe snel?", Kind: feedback.QuestionScale}, {Label: "Tip?", Kind: feedback.QuestionText}}
		})
		token, cv := f.sent("sanne@example.nl")
		form, err := f.svc.Form(f.ctx, token)
		f.must(err, "Form")
		if !form.Editable || !form.AskNPS || len(form.Questions) != 2 || form.Questions[0].ID != "q1" {
			t.Errorf("form = %+v, want editable with NPS and two questions q1, q2", form)
		}
		bad := []struct {
			name string
			a    feedback.Answer
		}{
			{"no score", feedback.Answer{NPS: desk.NoNPS}},
			{"score 6", feedback.Answer{CSAT: 6, NPS: desk.NoNPS}},
			{"nps 11", feedback.Answer{CSAT: 4, NPS: 11}},
			{"scale question 9", feedback.Answer{CSAT: 4, NPS: desk.NoNPS, Answers: map[string]string{"q1": "9"}}},
			{"comment too long", feedback.Answer{CSAT: 4, NPS: desk.NoNPS, Comment: strings.Repeat("x", feedback.MaxComment+1)}},
		}
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := f.svc.Submit(f.ctx, token, tc.a); !errors.Is(err, desk.ErrInvalid) {
					t.Errorf("Submit = %v, want ErrInvalid", err)
				}
			})
		}
		_, err = f.svc.Submit(f.ctx, token, feedback.Answer{CSAT: 4, NPS: 8, Comment: " Prima ",
			Answers: map[string]string{"q1": "5", "q2": "Sneller bellen", "q9": "ignored"}})
		f.must(err, "Submit")
		f.clock.add(23 * time.Hour)
		_, err = f.svc.Submit(f.ctx, token, feedback.Answer{CSAT: 5, NPS: 10, Comment: "Toch top"})
		f.must(err, "Submit edit within 24 h")
		sv, err := f.st.SurveyByConversation(f.ctx, cv.ID)
		f.must(err, "SurveyByConversation")
		if sv.CSAT != 5 || sv.NPS != 10 || sv.Comment != "Toch top" || len(sv.Answers) != 0 || !sv.AnsweredAt.Equal(start) {
			t.Errorf("after the edit: %+v, want CSAT 5, NPS 10, the new comment, no answers, first answered at %v", sv, start)
		}
		f.clock.add(2 * time.Hour)
		if _, err := f.svc.Submit(f.ctx, token, feedback.Answer{CSAT: 1}); !errors.Is(err, desk.ErrForbidden) {
			t.Errorf("Submit after 24 h = %v, want ErrForbidden", err)
		}
		form, err = f.svc.Form(f.ctx, token)
		f.must(err, "Form")
		if form.Editable {
			t.Error("form after 24 h is editable, want closed")
		}
		for _, tok := range []string{"", "nope", token + "x"} {
			if _, err := f.svc.Form(f.ctx, tok); !errors.Is(err, desk.ErrNotFound) {
				t.Errorf("Form(%q) = %v, want ErrNotFound", tok, err)
			}
		}
	})
}

func TestLowScoreFollowUp(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.settings(func(s *feedback.Settings) { s.LowScore = 2 })
		okToken, okConv := f.sent("bram@example.nl")
		_, err := f.svc.Submit(f.ctx, okToken, feedback.Answer{CSAT: 3})
		f.must(err, "Submit 3")
		token, cv := f.sent("sanne@example.nl")
		_, err = f.svc.Submit(f.ctx, token, feedback.Answer{CSAT: 2, Comment: "Pakket nog steeds zoek"})
		f.must(err, "Submit 2")
		_, err = f.svc.Submit(f.ctx, token, feedback.Answer{CSAT: 1, Comment: "Nog erger"})
		f.must(err, "Submit edit 1")

		got, err := f.st.ConversationByID(f.ctx, cv.ID)
		f.must(err, "ConversationByID")
		if got.Status != desk.StatusOpen || got.AssigneeID != f.lead.ID {
			t.Errorf("low score: status %q assignee %d, want open and the team's supervisor %d", got.Status, got.AssigneeID, f.lead.ID)
		}
		msgs, err := f.st.ListMessages(f.ctx, cv.ID, 0, 100)
		f.must(err, "ListMessages")
		notes := 0
		for _, m := range msgs {
			if m.Kind == desk.KindNote && strings.Contains(m.Body, "2/5") && strings.Contains(m.Body, "Pakket nog steeds zoek") {
				notes++
			}
		}
		if notes != 1 {
			t.Errorf("follow-up notes = %d, want exactly 1 (an edit opens none)", notes)
		}
		fine, err := f.st.ConversationByID(f.ctx, okConv.ID)
		f.must(err, "ConversationByID")
		if fine.Status != desk.StatusResolved {
			t.Errorf("score 3: status %q, want it left resolved", fine.Status)
		}
	})
}

func TestReviewInvitation(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.settings(func(s *feedback.Settings) {
			s.ReviewURL, s.ReviewThreshold, s.ReviewEveryDays = "https://www.kiyoh.com/de-spaak", 4, 30
		})
		submit := func(email string, csat int) string {
			t.Helper()
			token, _ := f.sent(email)
			res, err := f.svc.Submit(f.ctx, token, feedback.Answer{CSAT: csat})
			f.must(err, "Submit")
			return res.ReviewURL
		}
		steps := []struct {
			name    string
			email   string
			csat    int
			advance time.Duration
			invited bool
		}{
			{"below the threshold", "sanne@example.nl", 3, 0, false},
			{"at the threshold", "sanne@example.nl", 4, 0, true},
			{"same customer within the period", "sanne@example.nl", 5, 24 * time.Hour, false},
			{"another customer", "bram@example.nl", 5, 0, true},
			{"same customer after the period", "sanne@example.nl", 5, 30 * 24 * time.Hour, true},
		}
		for _, st := range steps {
			f.clock.add(st.advance)
			got := submit(st.email, st.csat)
			if (got != "") != st.invited {
				t.Errorf("%s: review URL %q, want invited=%v", st.name, got, st.invited)
			}
		}
	})
}

func TestResults(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.settings(func(s *feedback.Settings) { s.AskNPS, s.LowScore = true, 0 })
		for _, a := range []struct {
			email string
			csat  int
			nps   int
		}{{"a@example.nl", 5, 10}, {"b@example.nl", 4, 9}, {"c@example.nl", 1, 2}} {
			token, _ := f.sent(a.email)
			_, err := f.svc.Submit(f.ctx, token, feedback.Answer{CSAT: a.csat, NPS: a.nps, Comment: "over " + a.email})
			f.must(err, "Submit")
		}
		f.sent("d@example.nl") // never answered
		r, err := f.svc.Results(f.ctx, start.Add(-24*time.Hour), start.Add(24*time.Hour))
		f.must(err, "Results")
		want := feedback.Figures{Key: "", Label: "", Sent: 4, Answered: 3, ResponseRate: 75, AvgCSAT: 3.33,
			Satisfied: 66.7, NPS: 33.3, NPSCount: 3}
		if r.Total != want {
			t.Errorf("total = %+v\nwant %+v", r.Total, want)
		}
		if len(r.ByAgent) != 1 || r.ByAgent[0].Label != "Anna" || r.ByAgent[0].Answered != 3 {
			t.Errorf("by agent = %+v, want Anna with 3 answers", r.ByAgent)
		}
		if len(r.ByTeam) != 1 || r.ByTeam[0].Label != "Klantenservice" {
			t.Errorf("by team = %+v, want Klantenservice", r.ByTeam)
		}
		if len(r.ByChannel) != 1 || r.ByChannel[0].Key != "email" || len(r.ByCategory) != 1 || r.ByCategory[0].Key != "delivery" {
			t.Errorf("by channel %+v, by category %+v; want email and delivery", r.ByChannel, r.ByCategory)
		}
		if len(r.ByDay) != 1 || r.ByDay[0].Key != "2026-03-02" {
			t.Errorf("by day = %+v, want 2026-03-02", r.ByDay)
		}
		if len(r.Comments) != 3 {
			t.Errorf("comments = %d, want 3", len(r.Comments))
		}
	})
}

func TestNotifyFixed(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.settings(func(s *feedback.Settings) { s.Enabled = false })
		sanne1 := f.resolved(f.mail, "sanne@example.nl", time.Hour, false)
		sanne2 := f.resolved(f.chat, "sanne@example.nl", time.Hour, false)
		bram := f.resolved(f.mail, "bram@example.nl", time.Hour, false)
		im, err := f.svc.Tag(f.ctx, f.anna.ID, feedback.Signal{ConversationID: sanne1.ID, Title: "Factuur-pdf toont oude btw", TeamID: f.team.ID})
		f.must(err, "Tag new problem")
		for _, cv := range []*desk.Conversation{sanne2, bram} {
			_, err := f.svc.Tag(f.ctx, f.anna.ID, feedback.Signal{ConversationID: cv.ID, ImprovementID: im.ID})
			f.must(err, "Tag")
		}
		if _, err := f.svc.Tag(f.ctx, f.anna.ID, feedback.Signal{ConversationID: bram.ID, ImprovementID: im.ID}); !errors.Is(err, desk.ErrConflict) {
			t.Errorf("tagging the same conversation twice = %v, want ErrConflict", err)
		}
		if _, err := f.svc.Tag(f.ctx, f.anna.ID, feedback.Signal{ConversationID: bram.ID}); !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("tag without a problem = %v, want ErrInvalid", err)
		}
		open, err := f.svc.Improvements(f.ctx, desk.ImprovementOpen)
		f.must(err, "Improvements")
		if len(open) != 1 || open[0].Customers != 2 || open[0].Signals != 3 {
			t.Fatalf("open problems = %+v, want one with 2 customers and 3 signals", open)
		}
		told, err := f.svc.NotifyFixed(f.ctx, f.lead.ID, im.ID, "Goed nieuws: de factuur klopt weer.")
		f.must(err, "NotifyFixed")
		if told != 2 {
			t.Errorf("told %d customers, want 2", told)
		}
		count := func(convID int64) int {
			msgs, err := f.st.ListMessages(f.ctx, convID, 0, 100)
			f.must(err, "ListMessages")
			n := 0
			for _, m := range msgs {
				if m.Sender == desk.SenderSystem && strings.Contains(m.Body, "de factuur klopt weer") {
					n++
				}
			}
			return n
		}
		for _, c := range []struct {
			name string
			conv *desk.Conversation
			want int
		}{{"Sanne's older conversation", sanne1, 0}, {"Sanne's newest conversation", sanne2, 1}, {"Bram's", bram, 1}} {
			if got := count(c.conv.ID); got != c.want {
				t.Errorf("%s: fix notices = %d, want %d", c.name, got, c.want)
			}
		}
		got, err := f.st.ImprovementByID(f.ctx, im.ID)
		f.must(err, "ImprovementByID")
		if got.State != desk.ImprovementClosed || got.ClosedBy != f.lead.ID {
			t.Errorf("problem after notify = %+v, want closed by the lead", got)
		}
		if _, err := f.svc.NotifyFixed(f.ctx, f.lead.ID, im.ID, "Nog eens"); !errors.Is(err, desk.ErrConflict) {
			t.Errorf("notify a closed problem = %v, want ErrConflict", err)
		}
	})
}

// TestNotifyFixedFailedSend: a fix notice that could not be stored leaves
// its customer's signals unmarked; the next try tells only the customers
// not told yet, once each.
func TestNotifyFixedFailedSend(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.settings(func(s *feedback.Settings) { s.Enabled = false })
		sanne := f.resolved(f.mail, "sanne@example.nl", time.Hour, false)
		bram := f.resolved(f.mail, "bram@example.nl", time.Hour, false)
		im, err := f.svc.Tag(f.ctx, f.anna.ID, feedback.Signal{ConversationID: sanne.ID, Title: "Factuur-pdf toont oude btw"})
		f.must(err, "Tag new problem")
		_, err = f.svc.Tag(f.ctx, f.anna.ID, feedback.Signal{ConversationID: bram.ID, ImprovementID: im.ID})
		f.must(err, "Tag")
		notices := func(convID int64) int {
			msgs, err := f.st.ListMessages(f.ctx, convID, 0, 100)
			f.must(err, "ListMessages")
			n := 0
			for _, m := range msgs {
				if m.Sender == desk.SenderSystem && strings.Contains(m.Body, "opgelost") {
					n++
				}
			}
			return n
		}
		f.flaky.fail = []bool{false, true} // the first customer is told, the second's send fails
		told, err := f.svc.NotifyFixed(f.ctx, f.lead.ID, im.ID, "Het is opgelost.")
		if !errors.Is(err, errSend) || told != 1 {
			t.Fatalf("first try: told %d, err %v; want 1 and the send's error", told, err)
		}
		if got, err := f.st.ImprovementByID(f.ctx, im.ID); err != nil || got.State != desk.ImprovementOpen {
			t.Fatalf("problem after a failed try = %+v, %v; want still open", got, err)
		}
		told, err = f.svc.NotifyFixed(f.ctx, f.lead.ID, im.ID, "Het is opgelost.")
		f.must(err, "NotifyFixed again")
		if told != 1 {
			t.Errorf("second try told %d, want 1 (the customer not told yet)", told)
		}
		for _, cv := range []*desk.Conversation{sanne, bram} {
			if got := notices(cv.ID); got != 1 {
				t.Errorf("conversation %d: fix notices = %d, want 1", cv.ID, got)
			}
		}
		sigs, err := f.st.ImprovementSignals(f.ctx, im.ID)
		f.must(err, "ImprovementSignals")
		for _, g := range sigs {
			if g.NotifiedAt.IsZero() {
				t.Errorf("signal of conversation %d not marked as notified", g.ConversationID)
			}
		}
	})
}

func TestCompliment(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		cases := []struct {
			name string
			c    desk.Compliment
			want error
		}{
			{"ok", desk.Compliment{Name: "Sanne", Email: "sanne@example.nl", Body: "Anna was top!", About: "Anna"}, nil},
			{"empty", desk.Compliment{Body: "  "}, desk.ErrInvalid},
			{"bad email", desk.Compliment{Body: "Top", Email: "nope"}, desk.ErrInvalid},
			{"too long", desk.Compliment{Body: strings.Repeat("x", feedback.MaxComplimentBody+1)}, desk.ErrInvalid},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.svc.Compliment(f.ctx, tc.c)
				if !errors.Is(err, tc.want) && !(err == nil && tc.want == nil) {
					t.Errorf("Compliment = %v, want %v", err, tc.want)
				}
			})
		}
		list, err := f.st.ListCompliments(f.ctx, 10)
		f.must(err, "ListCompliments")
		if len(list) != 1 || list[0].Body != "Anna was top!" {
			t.Errorf("compliments = %+v, want the one", list)
		}
	})
}

func TestSettingsValidate(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*feedback.Settings)
		ok   bool
	}{
		{"defaults", func(*feedback.Settings) {}, true},
		{"four questions", func(s *feedback.Settings) {
			s.Questions = make([]feedback.Question, 4)
		}, false},
		{"bad kind", func(s *feedback.Settings) { s.Questions = []feedback.Question{{Label: "x", Kind: "stars"}} }, false},
		{"review url not http", func(s *feedback.Settings) { s.ReviewURL = "javascript:alert(1)" }, false},
		{"threshold 0", func(s *feedback.Settings) { s.ReviewThreshold = 0 }, false},
		{"negative delay", func(s *feedback.Settings) { s.DelayMinutes = -1 }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := feedback.DefaultSettings()
			tc.mod(&s)
			if err := s.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

// TestSurveysOffByDefault: a company that chose nothing sends no surveys,
// so that an upgrade never starts messaging customers unasked.
func TestSurveysOffByDefault(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.resolved(f.mail, "sanne@example.nl", time.Hour, false)
		if got := f.sendDue(); got != 0 {
			t.Errorf("sent %d surveys without the company turning them on, want 0", got)
		}
	})
}
