package routing

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// syncBus delivers events to subscribers inline, so that a test decides
// when the Service handles them (pump).
type syncBus struct {
	mu   sync.Mutex
	subs []func(desk.Event)
}

func (b *syncBus) Publish(_ context.Context, e desk.Event) {
	b.mu.Lock()
	subs := append([]func(desk.Event){}, b.subs...)
	b.mu.Unlock()
	for _, fn := range subs {
		fn(e)
	}
}

func (b *syncBus) Subscribe(fn func(desk.Event)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, fn)
	return func() {}
}

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

type harness struct {
	t     *testing.T
	ctx   context.Context
	st    desk.Store
	conv  *conversation.Service
	svc   *Service
	clock *clock
	team  *desk.Team
	chat  *desk.Inbox
	n     int
}

func newHarness(t *testing.T, open func(testing.TB) desk.Store) *harness {
	t.Helper()
	st := open(t)
	h := &harness{t: t, ctx: context.Background(), st: st,
		clock: &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	bus := &syncBus{}
	log := slog.New(slog.DiscardHandler)
	h.conv = conversation.New(st, bus, h.clock, log, conversation.Options{})
	h.svc = NewService(st, h.conv, bus, Options{Clock: h.clock, Log: log, Settle: -1})
	h.team = &desk.Team{Name: "Klantenservice"}
	h.must(st.CreateTeam(h.ctx, h.team))
	h.chat = &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "chat", TeamID: h.team.ID,
		Settings: map[string]string{}}
	h.must(st.CreateInbox(h.ctx, h.chat))
	return h
}

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// agent adds an online agent of the team with a web chat capacity.
func (h *harness) agent(name string, chats int, teams ...int64) *desk.Agent {
	h.t.Helper()
	a := &desk.Agent{Email: strings.ToLower(name) + "@example.nl", Name: name, Role: desk.RoleAgent, Locale: "nl",
		PasswordHash: "x", Availability: desk.Online, Capacity: map[desk.ChannelKind]int{desk.ChannelWebChat: chats}}
	h.must(h.st.CreateAgent(h.ctx, a))
	if len(teams) == 0 {
		teams = []int64{h.team.ID}
	}
	h.must(h.st.SetAgentTeams(h.ctx, a.ID, teams))
	return a
}

// start loads the Service as the routing node.
func (h *harness) start() {
	h.t.Helper()
	h.svc.subscribe()
	h.must(h.svc.load(h.ctx))
	h.svc.setLeader(true)
}

// chatIn starts a chat from a new visitor in inbox in and lets routing
// handle it.
func (h *harness) chatIn(in *desk.Inbox, text string) *desk.Conversation {
	h.t.Helper()
	h.n++
	h.clock.add(time.Minute)
	res, err := h.conv.Ingest(h.ctx, desk.Inbound{InboxID: in.ID, From: desk.Identity{Kind: desk.IdentityVisitor,
		Value: fmt.Sprintf("visitor-%d", h.n)}, FromName: fmt.Sprintf("Klant %d", h.n), Body: text, At: h.clock.Now()})
	h.must(err)
	h.svc.pump(h.ctx)
	return res.Conversation
}

func (h *harness) update(id int64, ch conversation.Change) {
	h.t.Helper()
	_, err := h.conv.Update(h.ctx, conversation.Actor{Name: "test"}, id, ch)
	h.must(err)
	h.svc.pump(h.ctx)
}

func (h *harness) assignee(id int64) int64 {
	h.t.Helper()
	c, err := h.st.ConversationByID(h.ctx, id)
	h.must(err)
	return c.AssigneeID
}

func stores(t *testing.T, fn func(t *testing.T, h *harness)) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) { fn(t, newHarness(t, o.Open)) })
	}
}

func TestServiceAssignsTheLeastLoadedAgent(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		anna, bram := h.agent("Anna", 3), h.agent("Bram", 3)
		// Anna already has a chat when routing starts: it is counted.
		first := h.chatIn(h.chat, "Hallo")
		h.update(first.ID, conversation.Change{AssigneeID: &anna.ID})
		h.start()

		c := h.chatIn(h.chat, "Mijn pakket is niet aangekomen")
		if got := h.assignee(c.ID); got != bram.ID {
			t.Fatalf("new chat assigned to %d, want Bram (%d), who has nothing yet", got, bram.ID)
		}
		msgs, err := h.st.ListMessages(h.ctx, c.ID, 0, 50)
		h.must(err)
		last := msgs[len(msgs)-1]
		if last.Kind != desk.KindActivity || !strings.Contains(last.Body, "balie: assigned to Bram") {
			t.Fatalf("last message %q (%s), want balie's activity line assigning Bram", last.Body, last.Kind)
		}
	})
}

func TestServiceRespectsCapacity(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		anna := h.agent("Anna", 3)
		h.start()
		var convs []*desk.Conversation
		for i := range 4 {
			convs = append(convs, h.chatIn(h.chat, fmt.Sprintf("Vraag %d", i+1)))
		}
		for i, c := range convs[:3] {
			if got := h.assignee(c.ID); got != anna.ID {
				t.Fatalf("chat %d assigned to %d, want Anna (%d)", i+1, got, anna.ID)
			}
		}
		if got := h.assignee(convs[3].ID); got != 0 {
			t.Fatalf("4th chat assigned to %d, want it waiting: Anna takes 3 chats", got)
		}
		if place, ok := h.svc.Position(convs[3].ID); !ok || place != 1 {
			t.Fatalf("4th chat's place = %d, %v; want 1, true", place, ok)
		}
	})
}

func TestServiceQueueDrainsOldestFirst(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		anna := h.agent("Anna", 1)
		h.start()
		busy := h.chatIn(h.chat, "Eerste")
		older := h.chatIn(h.chat, "Tweede")
		newer := h.chatIn(h.chat, "Derde")
		if got := h.assignee(busy.ID); got != anna.ID {
			t.Fatalf("first chat assigned to %d, want Anna", got)
		}
		resolved := desk.StatusResolved
		h.update(busy.ID, conversation.Change{Status: &resolved})
		if got := h.assignee(older.ID); got != anna.ID {
			t.Fatalf("after resolving, the oldest waiting chat is assigned to %d, want Anna (%d)", got, anna.ID)
		}
		if got := h.assignee(newer.ID); got != 0 {
			t.Fatalf("the newer chat is assigned to %d, want it still waiting", got)
		}
		if place, ok := h.svc.Position(newer.ID); !ok || place != 1 {
			t.Fatalf("newer chat's place = %d, %v; want 1, true", place, ok)
		}
		// Transferring back "to the queue" frees Anna for the next.
		nobody := int64(0)
		h.update(older.ID, conversation.Change{AssigneeID: &nobody})
		if got := h.assignee(newer.ID); got != anna.ID {
			t.Fatalf("after unassigning, the waiting chat is assigned to %d, want Anna", got)
		}
	})
}

func TestServicePrefersTheAccountOwner(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		anna := h.agent("Anna", 3)
		other := &desk.Team{Name: "Zakelijk"}
		h.must(h.st.CreateTeam(h.ctx, other))
		olga := h.agent("Olga", 3, other.ID) // not even in the inbox's team
		h.start()
		// Olga is busier than Anna: least loaded alone would pick Anna.
		busy := h.chatIn(h.chat, "Hoi")
		h.update(busy.ID, conversation.Change{AssigneeID: &olga.ID})

		customer := &desk.Contact{Name: "Bakkerij Jansen", OwnerID: olga.ID, Attributes: map[string]string{}}
		h.must(h.st.CreateContact(h.ctx, customer))
		h.must(h.st.AddIdentity(h.ctx, &desk.Identity{ContactID: customer.ID, Kind: desk.IdentityVisitor, Value: "bakkerij"}))
		h.clock.add(time.Minute)
		res, err := h.conv.Ingest(h.ctx, desk.Inbound{InboxID: h.chat.ID, From: desk.Identity{Kind: desk.IdentityVisitor,
			Value: "bakkerij"}, Body: "Onze bestelling van morgen", At: h.clock.Now()})
		h.must(err)
		h.svc.pump(h.ctx)
		if res.Contact.ID != customer.ID {
			t.Fatalf("the message came from contact %d, want the owned customer %d", res.Contact.ID, customer.ID)
		}
		if got := h.assignee(res.Conversation.ID); got != olga.ID {
			t.Fatalf("chat of Olga's customer assigned to %d, want Olga (%d), not Anna (%d)", got, olga.ID, anna.ID)
		}
		// Anyone else's chat still goes to the least loaded.
		c := h.chatIn(h.chat, "Een vraag")
		if got := h.assignee(c.ID); got != anna.ID {
			t.Fatalf("another chat assigned to %d, want Anna (%d)", got, anna.ID)
		}
	})
}

func TestServiceLeavesManualTeamsToPick(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		h.agent("Anna", 3)
		h.team.Mode = desk.RouteManual
		h.must(h.st.UpdateTeam(h.ctx, h.team))
		h.start()
		c := h.chatIn(h.chat, "Hallo")
		if got := h.assignee(c.ID); got != 0 {
			t.Fatalf("chat of a manual team assigned to %d, want nobody", got)
		}
		if _, ok := h.svc.Position(c.ID); !ok {
			t.Fatal("chat of a manual team is not in the queue")
		}
		// A sync does not assign it either.
		h.svc.tick(h.ctx)
		if got := h.assignee(c.ID); got != 0 {
			t.Fatalf("after a sync, assigned to %d, want nobody", got)
		}
	})
}

func TestServiceWaitsForTheBotToHandOver(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		anna := h.agent("Anna", 3)
		billing := &desk.Team{Name: "Financiën"}
		h.must(h.st.CreateTeam(h.ctx, billing))
		fien := h.agent("Fien", 3, billing.ID)
		h.must(h.st.CreateRoutingRule(h.ctx, &desk.RoutingRule{Name: "Facturen", Position: 10,
			Enabled: true, Categories: []string{"billing"}, TeamID: billing.ID, Priority: desk.PriorityHigh}))
		h.chat.Settings["bot"] = "on"
		h.must(h.st.UpdateInbox(h.ctx, h.chat))
		h.start()

		c := h.chatIn(h.chat, "Ik heb een vraag over mijn factuur")
		if got := h.assignee(c.ID); got != 0 {
			t.Fatalf("chat the bot handles assigned to %d, want nobody", got)
		}
		billingKey := "billing"
		h.update(c.ID, conversation.Change{Category: &billingKey, CategoryBy: desk.CategoryByBot})
		if got := h.assignee(c.ID); got != 0 {
			t.Fatalf("after the bot categorised it, assigned to %d, want nobody yet", got)
		}
		h.update(c.ID, conversation.Change{Handover: true})
		got, err := h.st.ConversationByID(h.ctx, c.ID)
		h.must(err)
		if got.AssigneeID != fien.ID || got.TeamID != billing.ID || got.Priority != desk.PriorityHigh {
			t.Fatalf("after hand-over: assignee %d, team %d, priority %s; want Fien (%d), Financiën (%d), high (Anna is %d)",
				got.AssigneeID, got.TeamID, got.Priority, fien.ID, billing.ID, anna.ID)
		}
	})
}

func TestServiceTellsTheCustomerTheirPlace(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		h.agent("Anna", 1)
		h.start()
		h.chatIn(h.chat, "Eerste")
		second := h.chatIn(h.chat, "Tweede")
		msgs, err := h.st.ListMessages(h.ctx, second.ID, 0, 50)
		h.must(err)
		var notices []string
		for _, m := range msgs {
			if m.Kind == desk.KindMessage && m.Sender == desk.SenderSystem {
				notices = append(notices, m.Body)
			}
		}
		want := "Je bent de volgende in de wachtrij. Hoe lang het duurt, kunnen we nu nog niet goed inschatten."
		if len(notices) != 1 || notices[0] != want {
			t.Fatalf("queue notices = %q, want exactly [%q]", notices, want)
		}
		// A sync without a change says nothing more.
		h.svc.tick(h.ctx)
		msgs, err = h.st.ListMessages(h.ctx, second.ID, 0, 50)
		h.must(err)
		if n := len(msgs); msgs[n-1].Body != want {
			t.Fatalf("after a quiet sync the last message is %q, want the one notice", msgs[n-1].Body)
		}
	})
}

func TestServicePreview(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		anna := h.agent("Anna", 3)
		billing := &desk.Team{Name: "Financiën"}
		h.must(h.st.CreateTeam(h.ctx, billing))
		rule := &desk.RoutingRule{Name: "Facturen", Enabled: true, Categories: []string{"Billing"}, TeamID: billing.ID}
		h.must(SaveRule(h.ctx, h.st, rule))
		tests := []struct {
			name      string
			req       Request
			wantRule  int64
			wantAgent int64
		}{
			{"billing goes to a team nobody is in", Request{Category: "billing", Channel: desk.ChannelWebChat}, rule.ID, 0},
			{"anything else stays with the inbox's team", Request{Category: "delivery", Channel: desk.ChannelWebChat}, 0, anna.ID},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := h.svc.Preview(h.ctx, tt.req, h.team.ID)
				h.must(err)
				if p.Need.RuleID != tt.wantRule || p.AgentID != tt.wantAgent {
					t.Fatalf("preview: rule %d, agent %d (%s); want rule %d, agent %d", p.Need.RuleID, p.AgentID,
						p.Reason, tt.wantRule, tt.wantAgent)
				}
				if len(p.Need.Explain) != 1 {
					t.Fatalf("explain has %d checks, want 1", len(p.Need.Explain))
				}
			})
		}
	})
}

func TestMoveRule(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		rs := h.st
		var ids []int64
		for _, name := range []string{"een", "twee", "drie"} {
			r := &desk.RoutingRule{Name: name, Enabled: true, TeamID: h.team.ID}
			h.must(SaveRule(h.ctx, rs, r))
			ids = append(ids, r.ID)
		}
		h.must(MoveRule(h.ctx, rs, ids[2], -1))
		h.must(MoveRule(h.ctx, rs, ids[0], -1)) // already first: stays
		rules, err := rs.ListRoutingRules(h.ctx)
		h.must(err)
		var got []string
		for _, r := range rules {
			got = append(got, fmt.Sprintf("%s@%d", r.Name, r.Position))
		}
		if want := "een@10 drie@20 twee@30"; strings.Join(got, " ") != want {
			t.Fatalf("order = %q, want %q", strings.Join(got, " "), want)
		}
	})
}

func TestServiceRoutesOnlyWhileLeading(t *testing.T) {
	stores(t, func(t *testing.T, h *harness) {
		anna := h.agent("Anna", 3)
		grant := make(chan context.CancelFunc)
		lead := func(ctx context.Context) (context.Context, error) {
			lctx, cancel := context.WithCancel(ctx)
			select {
			case grant <- cancel:
				return lctx, nil
			case <-ctx.Done():
				cancel()
				return nil, ctx.Err()
			}
		}
		bus := &syncBus{}
		svc := NewService(h.st, h.conv, bus, Options{Clock: h.clock, Settle: -1, Lead: lead})
		ctx, stop := context.WithCancel(h.ctx)
		done := make(chan struct{})
		go func() { defer close(done); svc.Run(ctx) }()
		defer func() { stop(); <-done }()

		c := h.chatIn(h.chat, "Hallo") // no leader yet: nobody routes
		if got := h.assignee(c.ID); got != 0 || svc.Leading() {
			t.Fatalf("without the lead: assignee %d, leading %v; want nobody, false", got, svc.Leading())
		}
		lose := <-grant
		waitFor(t, "the new leader to assign the waiting chat", func() bool { return h.assignee(c.ID) == anna.ID })
		lose()
		waitFor(t, "leadership to end", func() bool { return !svc.Leading() })
	})
}

// waitFor polls cond until it holds or a generous deadline passes; it
// waits for another goroutine, asserting nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// racing changes a conversation just before routing's first decision is
// written, as an agent or another request could between routing's read and
// its write.
type racing struct {
	Conversations
	before func(id int64)
	done   bool
}

func (r *racing) Update(ctx context.Context, by conversation.Actor, id int64, ch conversation.Change) (*desk.Conversation, error) {
	if !r.done && by == system && ch.AssigneeID != nil {
		r.done = true
		r.before(id)
	}
	return r.Conversations.Update(ctx, by, id, ch)
}

func TestServiceKeepsAChangeMadeWhileAssigning(t *testing.T) {
	resolved := desk.StatusResolved
	tests := []struct {
		name         string
		change       func(bram *desk.Agent) conversation.Change
		wantAssignee func(bram *desk.Agent) int64
		wantStatus   desk.Status
	}{
		{"an agent took it", func(bram *desk.Agent) conversation.Change { return conversation.Change{AssigneeID: &bram.ID} },
			func(bram *desk.Agent) int64 { return bram.ID }, desk.StatusOpen},
		{"it was resolved", func(*desk.Agent) conversation.Change { return conversation.Change{Status: &resolved} },
			func(*desk.Agent) int64 { return 0 }, desk.StatusResolved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stores(t, func(t *testing.T, h *harness) {
				anna := h.agent("Anna", 1)
				bram := h.agent("Bram", 0) // takes chats by hand only
				h.start()
				h.svc.conv = &racing{Conversations: h.conv, before: func(id int64) {
					_, err := h.conv.Update(h.ctx, conversation.Actor{Name: "Bram", AgentID: bram.ID}, id, tt.change(bram))
					h.must(err)
				}}
				c := h.chatIn(h.chat, "Hallo")
				got, err := h.st.ConversationByID(h.ctx, c.ID)
				h.must(err)
				if want := tt.wantAssignee(bram); got.AssigneeID != want || got.Status != tt.wantStatus {
					t.Fatalf("after the race: assignee %d, status %s; want %d, %s (not overwritten by routing)",
						got.AssigneeID, got.Status, want, tt.wantStatus)
				}
				// Anna's only slot was given back: the next chat is hers.
				next := h.chatIn(h.chat, "Nog een vraag")
				if got := h.assignee(next.ID); got != anna.ID {
					t.Fatalf("next chat assigned to %d, want Anna (%d), whose slot is free", got, anna.ID)
				}
			})
		})
	}
}
