package slawatch_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/sla"
	"github.com/balie-dev/balie/internal/slawatch"
	"github.com/balie-dev/balie/internal/testenv"
)

var amsterdam = mustLoad("Europe/Amsterdam")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// recBus records the events published.
type recBus struct {
	mu     sync.Mutex
	events []desk.Event
}

func (b *recBus) Publish(_ context.Context, e desk.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, e)
}

func (b *recBus) Subscribe(func(desk.Event)) func() { return func() {} }

func (b *recBus) alerts() []desk.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []desk.Event
	for _, e := range b.events {
		if e.Type == slawatch.EventAlert {
			out = append(out, e)
		}
	}
	return out
}

// fixture is a store with a team, a web-chat inbox of that team, an agent
// and the services, on a clock the test moves.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	st    desk.Store
	now   time.Time
	bus   *recBus
	convs *conversation.Service
	svc   *slawatch.Service
	team  *desk.Team
	inbox *desk.Inbox
	agent *desk.Agent
	n     int
}

func newFixture(t *testing.T, open testenv.Opener, start time.Time, hours string) *fixture {
	t.Helper()
	f := &fixture{t: t, ctx: context.Background(), st: open.Open(t), now: start, bus: &recBus{}}
	clock := desk.ClockFunc(func() time.Time { return f.now })
	f.team = &desk.Team{Name: "Klantenservice", CreatedAt: start}
	if hours != "" {
		f.team.Settings = map[string]string{desk.TeamHours: hours}
	}
	if err := f.st.CreateTeam(f.ctx, f.team); err != nil {
		t.Fatalf("create team: %v", err)
	}
	f.inbox = &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "k1", TeamID: f.team.ID, CreatedAt: start}
	if err := f.st.CreateInbox(f.ctx, f.inbox); err != nil {
		t.Fatalf("create inbox: %v", err)
	}
	f.agent = &desk.Agent{Email: "anna@example.com", Name: "Anna", Role: desk.RoleAgent, Locale: "nl", CreatedAt: start}
	if err := f.st.CreateAgent(f.ctx, f.agent); err != nil {
		t.Fatalf("create agent: %v", err)
	}
	log := slog.New(slog.DiscardHandler)
	f.convs = conversation.New(f.st, f.bus, clock, log, conversation.Options{})
	f.svc = slawatch.New(routingStore(f.t, f.st), f.convs, f.bus, clock, slawatch.Options{Log: log})
	return f
}

// routingStore is st with the routing methods; desk.Store embeds them once
// desk.RoutingStore joins it.
func routingStore(t *testing.T, st desk.Store) slawatch.Store {
	t.Helper()
	rs, ok := any(st).(slawatch.Store)
	if !ok {
		t.Fatalf("%T has no SLA policy methods", st)
	}
	return rs
}

// restart is a new service on the same store: no previous sweep time.
func (f *fixture) restart() {
	clock := desk.ClockFunc(func() time.Time { return f.now })
	f.svc = slawatch.New(routingStore(f.t, f.st), f.convs, f.bus, clock, slawatch.Options{})
}

func (f *fixture) policy(p desk.SLAPolicy) {
	f.t.Helper()
	p.Enabled = true
	if err := f.svc.CreatePolicy(f.ctx, &p); err != nil {
		f.t.Fatalf("create policy: %v", err)
	}
}

// write is a customer message at the fixture's now.
func (f *fixture) write(convID int64, body string) *conversation.IngestResult {
	f.t.Helper()
	f.n++
	res, err := f.convs.Ingest(f.ctx, desk.Inbound{InboxID: f.inbox.ID, ConversationID: convID,
		From: desk.Identity{Kind: desk.IdentityEmail, Value: "klant@example.com"}, FromName: "Klant",
		Body: body, At: f.now})
	if err != nil {
		f.t.Fatalf("ingest: %v", err)
	}
	return res
}

func (f *fixture) sweepAt(at time.Time) {
	f.t.Helper()
	f.now = at
	if err := f.svc.Sweep(f.ctx); err != nil {
		f.t.Fatalf("sweep at %s: %v", at, err)
	}
}

func (f *fixture) conv(id int64) *desk.Conversation {
	f.t.Helper()
	c, err := f.st.ConversationByID(f.ctx, id)
	if err != nil {
		f.t.Fatalf("conversation %d: %v", id, err)
	}
	return c
}

// notes are the thread's notes by balie.
func (f *fixture) notes(id int64) []string {
	f.t.Helper()
	msgs, err := f.st.ListMessages(f.ctx, id, 0, 500)
	if err != nil {
		f.t.Fatalf("messages: %v", err)
	}
	var out []string
	for _, m := range msgs {
		if m.Kind == desk.KindNote && m.Sender == desk.SenderSystem {
			out = append(out, m.Body)
		}
	}
	return out
}

func (f *fixture) systemMessages(id int64) []string {
	f.t.Helper()
	msgs, err := f.st.ListMessages(f.ctx, id, 0, 500)
	if err != nil {
		f.t.Fatalf("messages: %v", err)
	}
	var out []string
	for _, m := range msgs {
		if m.Kind == desk.KindMessage && m.Sender == desk.SenderSystem {
			out = append(out, m.Body)
		}
	}
	return out
}

// tuesday is 10:00 on Tuesday 24 November 2026 in Amsterdam.
var tuesday = time.Date(2026, 11, 24, 10, 0, 0, 0, amsterdam)

func TestSweepWarnsThenBreachesOnce(t *testing.T) {
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			f := newFixture(t, open, tuesday, "")
			f.policy(desk.SLAPolicy{Name: "Chat", FirstResponse: time.Hour, WarnAt: 0.5})
			res := f.write(0, "Mijn bestelling is niet aangekomen")
			id := res.Conversation.ID

			steps := []struct {
				name      string
				at        time.Duration
				wantState desk.SLAState
				wantNotes []string
			}{
				{"attached", time.Minute, desk.SLARunning, nil},
				{"still in time", 20 * time.Minute, desk.SLARunning, nil},
				{"warning", 35 * time.Minute, desk.SLAWarning, []string{"SLA: eerste reactie verloopt vandaag 11:00"}},
				{"warning once", 40 * time.Minute, desk.SLAWarning, []string{"SLA: eerste reactie verloopt vandaag 11:00"}},
				{"breach", 61 * time.Minute, desk.SLABreached,
					[]string{"SLA: eerste reactie verloopt vandaag 11:00", "SLA geschonden: eerste reactie"}},
				{"breach once", 90 * time.Minute, desk.SLABreached,
					[]string{"SLA: eerste reactie verloopt vandaag 11:00", "SLA geschonden: eerste reactie"}},
			}
			for _, s := range steps {
				f.sweepAt(tuesday.Add(s.at))
				c := f.conv(id)
				if c.SLAPolicyID == 0 {
					t.Fatalf("%s: no policy attached", s.name)
				}
				if c.SLAState != s.wantState {
					t.Errorf("%s: state %q, want %q", s.name, c.SLAState, s.wantState)
				}
				if got := f.notes(id); strings.Join(got, "|") != strings.Join(s.wantNotes, "|") {
					t.Errorf("%s: notes %q, want %q", s.name, got, s.wantNotes)
				}
			}
			if got := f.conv(id).SLADueAt; !got.Equal(tuesday.Add(time.Hour)) {
				t.Errorf("due %s, want %s", got, tuesday.Add(time.Hour))
			}
			alerts := f.bus.alerts()
			if len(alerts) != 2 {
				t.Fatalf("%d alerts, want 2 (warning, breach)", len(alerts))
			}
			if alerts[1].Message == nil || alerts[1].Message.Body != "SLA geschonden: eerste reactie" ||
				alerts[1].Conversation == nil || alerts[1].Conversation.SLAState != desk.SLABreached {
				t.Errorf("breach alert %+v: want the note and the breached conversation", alerts[1])
			}

			// A restart does not report the breach again.
			f.restart()
			f.sweepAt(tuesday.Add(2 * time.Hour))
			if got := len(f.notes(id)); got != 2 {
				t.Errorf("after a restart: %d notes, want 2", got)
			}
		})
	}
}

func TestSweepMetWhenAgentReplies(t *testing.T) {
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			f := newFixture(t, open, tuesday, "")
			f.policy(desk.SLAPolicy{Name: "Chat", FirstResponse: time.Hour, NextResponse: 30 * time.Minute, WarnAt: 0.8})
			id := f.write(0, "Hallo?").Conversation.ID
			f.sweepAt(tuesday.Add(time.Minute))
			if got := f.conv(id).SLAState; got != desk.SLARunning {
				t.Fatalf("state %q, want running", got)
			}
			f.now = tuesday.Add(10 * time.Minute)
			if _, err := f.convs.Reply(f.ctx, conversation.Actor{AgentID: f.agent.ID, Name: f.agent.Name}, id, "Ik kijk even", nil); err != nil {
				t.Fatalf("reply: %v", err)
			}
			f.sweepAt(tuesday.Add(11 * time.Minute))
			c := f.conv(id)
			if c.SLAState != desk.SLANone || !c.SLADueAt.IsZero() {
				t.Errorf("after the reply: state %q due %s, want none and zero", c.SLAState, c.SLADueAt)
			}
			f.sweepAt(tuesday.Add(3 * time.Hour))
			if got := f.notes(id); len(got) != 0 {
				t.Errorf("notes %q after a reply in time, want none", got)
			}

			// The customer writes again: the next response clock runs.
			f.now = tuesday.Add(4 * time.Hour)
			f.write(id, "Nog iets")
			f.sweepAt(f.now.Add(time.Minute))
			c = f.conv(id)
			if c.SLAState != desk.SLARunning || !c.SLADueAt.Equal(tuesday.Add(4*time.Hour+30*time.Minute)) {
				t.Errorf("next response: state %q due %s, want running, due %s", c.SLAState, c.SLADueAt, tuesday.Add(4*time.Hour+30*time.Minute))
			}
			f.sweepAt(tuesday.Add(4*time.Hour + 31*time.Minute))
			// One sweep past the warning and the due time: the breach
			// alone is news.
			want := []string{"SLA geschonden: volgende reactie"}
			if got := f.notes(id); strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("notes %q, want %q", got, want)
			}
		})
	}
}

// weekdays is 09:00-17:00 Monday to Friday in Amsterdam.
func weekdays(t *testing.T) string {
	t.Helper()
	h, err := slawatch.BuildHours(slawatch.HoursInput{Zone: "Europe/Amsterdam",
		Days: [7]string{"closed", "09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "09:00-17:00", "closed"}})
	if err != nil {
		t.Fatalf("hours: %v", err)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatalf("hours: %v", err)
	}
	return string(b)
}

func TestSweepCountsBusinessHours(t *testing.T) {
	friday := time.Date(2026, 11, 27, 16, 30, 0, 0, amsterdam)
	monday := time.Date(2026, 11, 30, 9, 30, 0, 0, amsterdam)
	tests := []struct {
		name     string
		business bool
		wantDue  time.Time
	}{
		{"business hours", true, monday},
		{"round the clock", false, friday.Add(time.Hour)},
	}
	for _, open := range testenv.Stores() {
		for _, tt := range tests {
			t.Run(open.Name+"/"+tt.name, func(t *testing.T) {
				f := newFixture(t, open, friday, weekdays(t))
				f.policy(desk.SLAPolicy{Name: "Mail", FirstResponse: time.Hour, BusinessHours: tt.business})
				id := f.write(0, "Vraag over mijn factuur").Conversation.ID
				f.sweepAt(friday.Add(time.Minute))
				if got := f.conv(id).SLADueAt; !got.Equal(tt.wantDue) {
					t.Errorf("due %s, want %s", got.In(amsterdam), tt.wantDue)
				}
				// Saturday noon: a business-hours target has not breached.
				f.sweepAt(friday.Add(20 * time.Hour))
				breached := f.conv(id).SLAState == desk.SLABreached
				if breached == tt.business {
					t.Errorf("Saturday: breached %v, want %v", breached, !tt.business)
				}
			})
		}
	}
}

func TestSweepSelectsPolicyByPriorityAndSegment(t *testing.T) {
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			f := newFixture(t, open, tuesday, "")
			f.policy(desk.SLAPolicy{Name: "VIP", Segments: []string{"VIP"}, FirstResponse: 15 * time.Minute})
			f.policy(desk.SLAPolicy{Name: "Urgent", Priorities: []desk.Priority{desk.PriorityUrgent}, FirstResponse: 30 * time.Minute})
			res := f.write(0, "Help")
			id := res.Conversation.ID
			f.sweepAt(tuesday.Add(time.Minute))
			if got := f.conv(id); got.SLAPolicyID != 0 || got.SLAState != desk.SLANone {
				t.Errorf("no policy matches: policy %d state %q, want 0 and none", got.SLAPolicyID, got.SLAState)
			}
			urgent := desk.PriorityUrgent
			if _, err := f.convs.Update(f.ctx, conversation.Actor{AgentID: f.agent.ID, Name: "Anna"}, id, conversation.Change{Priority: &urgent}); err != nil {
				t.Fatalf("priority: %v", err)
			}
			f.sweepAt(tuesday.Add(2 * time.Minute))
			if got := f.conv(id).SLADueAt; !got.Equal(tuesday.Add(30 * time.Minute)) {
				t.Errorf("urgent: due %s, want %s", got, tuesday.Add(30*time.Minute))
			}
			ct := res.Contact
			ct.Attributes = map[string]string{slawatch.SegmentAttribute: "vip"}
			if err := f.st.UpdateContact(f.ctx, ct); err != nil {
				t.Fatalf("contact: %v", err)
			}
			f.sweepAt(tuesday.Add(3 * time.Minute))
			if got := f.conv(id).SLADueAt; !got.Equal(tuesday.Add(15 * time.Minute)) {
				t.Errorf("vip: due %s, want %s (the first policy wins)", got, tuesday.Add(15*time.Minute))
			}
		})
	}
}

func TestAwayReply(t *testing.T) {
	saturday := time.Date(2026, 11, 28, 11, 0, 0, 0, amsterdam)
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			f := newFixture(t, open, saturday, weekdays(t))
			away := func(res *conversation.IngestResult) *desk.Message {
				t.Helper()
				m, err := f.svc.Away(f.ctx, res.Conversation.ID, res.Message.ID)
				if err != nil {
					t.Fatalf("away: %v", err)
				}
				return m
			}
			res := f.write(0, "Zijn jullie open?")
			if m := away(res); m == nil || m.Body != strings.ReplaceAll(slawatch.DefaultAwayNL, "{{next_open}}", "maandag 09:00") {
				t.Fatalf("away reply %+v, want the default text with maandag 09:00", m)
			}
			f.now = saturday.Add(2 * time.Hour)
			if m := away(f.write(res.Conversation.ID, "Hallo?")); m != nil {
				t.Errorf("second message in the same closed period: reply %q, want none", m.Body)
			}
			// Monday in hours: no reply.
			f.now = time.Date(2026, 11, 30, 10, 0, 0, 0, amsterdam)
			if m := away(f.write(res.Conversation.ID, "Goedemorgen")); m != nil {
				t.Errorf("in hours: reply %q, want none", m.Body)
			}
			// Monday evening, a new closed period, with the team's own text.
			f.team.Settings[desk.TeamAwayNL] = "We zijn er weer {{next_open}}."
			if err := f.st.UpdateTeam(f.ctx, f.team); err != nil {
				t.Fatalf("team: %v", err)
			}
			f.restart() // drops the cached team
			f.now = time.Date(2026, 11, 30, 19, 0, 0, 0, amsterdam)
			if m := away(f.write(res.Conversation.ID, "Nog een vraag")); m == nil || m.Body != "We zijn er weer morgen 09:00." {
				t.Errorf("next closed period: reply %+v, want %q", m, "We zijn er weer morgen 09:00.")
			}
			if got := len(f.systemMessages(res.Conversation.ID)); got != 2 {
				t.Errorf("%d away replies in the thread, want 2", got)
			}
		})
	}
}

func TestAwayReplyNotWhileAgentTalks(t *testing.T) {
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			evening := time.Date(2026, 11, 24, 18, 0, 0, 0, amsterdam)
			f := newFixture(t, open, evening, weekdays(t))
			res := f.write(0, "Nog iemand daar?")
			if _, err := f.convs.Reply(f.ctx, conversation.Actor{AgentID: f.agent.ID, Name: "Anna"}, res.Conversation.ID, "Ja hoor", nil); err != nil {
				t.Fatalf("reply: %v", err)
			}
			f.now = evening.Add(5 * time.Minute)
			res2 := f.write(res.Conversation.ID, "Fijn")
			m, err := f.svc.Away(f.ctx, res2.Conversation.ID, res2.Message.ID)
			if err != nil || m != nil {
				t.Errorf("away while an agent answers: %v, %v; want none", m, err)
			}
		})
	}
}

func TestAwayTextLanguage(t *testing.T) {
	team := &desk.Team{Settings: map[string]string{desk.TeamAwayEN: "Back {{next_open}}"}}
	now := time.Date(2026, 11, 28, 11, 0, 0, 0, amsterdam)
	next := time.Date(2026, 11, 30, 9, 0, 0, 0, amsterdam)
	tests := []struct{ name, lang, want string }{
		{"english", "en", "Back Monday 09:00"},
		{"dutch default", "nl", strings.ReplaceAll(slawatch.DefaultAwayNL, "{{next_open}}", "maandag 09:00")},
		{"unknown is dutch", "", strings.ReplaceAll(slawatch.DefaultAwayNL, "{{next_open}}", "maandag 09:00")},
		{"other language gets english", "de", "Back Monday 09:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := slawatch.AwayText(team, tt.lang, next, now); got != tt.want {
				t.Errorf("AwayText(%q) = %q, want %q", tt.lang, got, tt.want)
			}
		})
	}
}

func TestSummary(t *testing.T) {
	due := tuesday.Add(time.Hour)
	tests := []struct {
		name      string
		targets   []sla.Target
		wantState desk.SLAState
		wantDue   time.Time
	}{
		{"none", nil, desk.SLANone, time.Time{}},
		{"all met", []sla.Target{{State: sla.Met, Due: due}}, desk.SLANone, time.Time{}},
		{"running", []sla.Target{{State: sla.Running, Due: due}}, desk.SLARunning, due},
		{"worst wins", []sla.Target{{State: sla.Warning, Due: due}, {State: sla.Breached, Due: due.Add(-time.Minute)}},
			desk.SLABreached, due.Add(-time.Minute)},
		{"paused only", []sla.Target{{State: sla.Paused}}, desk.SLARunning, time.Time{}},
		{"a miss stays on record", []sla.Target{{State: sla.MetLate, Due: due}, {State: sla.Running, Due: due.Add(time.Hour)}},
			desk.SLABreached, due.Add(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state, gotDue := slawatch.Summary(tt.targets)
			if state != tt.wantState || !gotDue.Equal(tt.wantDue) {
				t.Errorf("Summary = %q, %s; want %q, %s", state, gotDue, tt.wantState, tt.wantDue)
			}
		})
	}
}

func TestSweepStoresFinalStateOnResolve(t *testing.T) {
	tests := []struct {
		name      string
		resolveAt time.Duration
		want      desk.SLAState
	}{
		{"in time", 20 * time.Minute, desk.SLANone},
		{"after the breach", 90 * time.Minute, desk.SLABreached},
	}
	for _, open := range testenv.Stores() {
		for _, tt := range tests {
			t.Run(open.Name+"/"+tt.name, func(t *testing.T) {
				f := newFixture(t, open, tuesday, "")
				f.policy(desk.SLAPolicy{Name: "Chat", FirstResponse: time.Hour})
				id := f.write(0, "Hallo").Conversation.ID
				f.sweepAt(tuesday.Add(time.Minute))
				f.sweepAt(tuesday.Add(tt.resolveAt - time.Minute))
				f.now = tuesday.Add(tt.resolveAt)
				resolved := desk.StatusResolved
				if _, err := f.convs.Update(f.ctx, conversation.Actor{AgentID: f.agent.ID, Name: "Anna"}, id,
					conversation.Change{Status: &resolved}); err != nil {
					t.Fatalf("resolve: %v", err)
				}
				f.sweepAt(f.now.Add(time.Minute))
				if c := f.conv(id); c.SLAState != tt.want || !c.SLADueAt.IsZero() {
					t.Errorf("resolved: state %q due %s, want %q and zero", c.SLAState, c.SLADueAt, tt.want)
				}
			})
		}
	}
}

func TestAwayReplyIgnoresOtherSystemMessages(t *testing.T) {
	saturday := time.Date(2026, 11, 28, 11, 0, 0, 0, amsterdam)
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			f := newFixture(t, open, saturday, weekdays(t))
			res := f.write(0, "Hallo")
			// Routing's queue notice, a system message like the away reply.
			if _, err := f.convs.Reply(f.ctx, conversation.Actor{Name: "balie"}, res.Conversation.ID, "Je bent de volgende in de rij.", nil); err != nil {
				t.Fatal(err)
			}
			m, err := f.svc.Away(f.ctx, res.Conversation.ID, res.Message.ID)
			if err != nil || m == nil {
				t.Fatalf("away after a queue notice: %v, %v; want the reply", m, err)
			}
			f.now = saturday.Add(time.Hour)
			res2 := f.write(res.Conversation.ID, "Nog iets")
			if m, err := f.svc.Away(f.ctx, res2.Conversation.ID, res2.Message.ID); err != nil || m != nil {
				t.Errorf("second away in the same closed period: %v, %v; want none", m, err)
			}
		})
	}
}

// TestForgetAfterAnotherNodeSwept: a node that takes over the sweep from
// another must not report again what the other reported.
func TestForgetAfterAnotherNodeSwept(t *testing.T) {
	for _, open := range testenv.Stores() {
		t.Run(open.Name, func(t *testing.T) {
			f := newFixture(t, open, tuesday, "")
			f.policy(desk.SLAPolicy{Name: "Chat", FirstResponse: time.Hour, WarnAt: 0.5})
			id := f.write(0, "Hallo").Conversation.ID
			f.sweepAt(tuesday.Add(time.Minute))
			other := f.svc // swept at +1 min, then lost the lead
			f.restart()    // the new leader
			f.sweepAt(tuesday.Add(35 * time.Minute))
			if got := len(f.notes(id)); got != 1 {
				t.Fatalf("%d notes after the warning, want 1", got)
			}
			other.Forget()
			f.svc = other // takes the lead back
			f.sweepAt(tuesday.Add(40 * time.Minute))
			if got := f.notes(id); len(got) != 1 {
				t.Errorf("notes %q after the lead came back, want the one warning", got)
			}
		})
	}
}
