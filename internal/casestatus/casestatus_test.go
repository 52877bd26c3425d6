package casestatus

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/sqlite"
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

// replies records notices instead of sending them.
type replies struct {
	mu    sync.Mutex
	sent  map[int64][]string
	inner Replier
}

func (r *replies) Reply(ctx context.Context, by conversation.Actor, id int64, body string, atts []desk.InboundAttachment) (*desk.Message, error) {
	r.mu.Lock()
	r.sent[id] = append(r.sent[id], body)
	r.mu.Unlock()
	return r.inner.Reply(ctx, by, id, body, atts)
}

type fixture struct {
	st    desk.Store
	clock *clock
	svc   *Service
	rep   *replies
	conv  *desk.Conversation
	team  *desk.Team
	bot   bool
}

func newFixture(t *testing.T, channel desk.ChannelKind) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{st: st, clock: &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	in := &desk.Inbox{Name: "in", Channel: channel, PublicKey: "k"}
	must(t, st.CreateInbox(ctx, in))
	f.team = &desk.Team{Name: "Billing"}
	must(t, st.CreateTeam(ctx, f.team))
	c := &desk.Contact{Name: "Sanne", Email: "sanne@example.com", Locale: "en"}
	must(t, st.CreateContact(ctx, c))
	f.conv = &desk.Conversation{InboxID: in.ID, Channel: channel, ContactID: c.ID, Status: desk.StatusOpen,
		Priority: desk.PriorityNone, Language: "en"}
	must(t, st.CreateConversation(ctx, f.conv))
	convs := conversation.New(st, bus.NewLocal(0), f.clock, nil, conversation.Options{})
	f.rep = &replies{sent: map[int64][]string{}, inner: convs}
	f.svc = New(st, f.rep, f.clock, Options{BaseURL: "https://help.example.com/",
		BotHandles: func(context.Context, *desk.Conversation) bool { return f.bot }})
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestStatusLinks(t *testing.T) {
	f := newFixture(t, desk.ChannelWebChat)
	ctx := context.Background()
	l, err := f.svc.Ensure(ctx, f.conv.ID)
	must(t, err)
	if !ValidToken(l.Token) {
		t.Fatalf("token %q has not the status token's shape", l.Token)
	}
	again, err := f.svc.Ensure(ctx, f.conv.ID)
	must(t, err)
	if again.Token != l.Token {
		t.Errorf("Ensure made a new token while the old one is live")
	}
	open := func() error { _, err := f.svc.Open(ctx, l.Token); return err }
	tests := []struct {
		name    string
		step    func()
		wantErr error
	}{
		{"valid", func() {}, nil},
		{"still valid a day before expiry", func() { f.clock.add(DefaultTTL - 24*time.Hour) }, nil},
		{"expired", func() { f.clock.add(24 * time.Hour) }, desk.ErrNotFound},
		{"renewed after expiry, old token dead", func() {
			nl, err := f.svc.Ensure(ctx, f.conv.ID)
			must(t, err)
			if nl.Token == l.Token {
				t.Error("Ensure kept an expired token")
			}
		}, desk.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.step()
			if err := open(); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Errorf("Open: err = %v, want %v", err, tc.wantErr)
			}
		})
	}

	cur, err := f.svc.Link(ctx, f.conv.ID)
	must(t, err)
	if _, err := f.svc.Open(ctx, cur.Token); err != nil {
		t.Fatalf("Open current link: %v", err)
	}
	must(t, f.svc.Revoke(ctx, f.conv.ID))
	if _, err := f.svc.Open(ctx, cur.Token); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("revoked link opens: err = %v, want ErrNotFound", err)
	}
	if _, err := f.svc.Ensure(ctx, f.conv.ID); !errors.Is(err, desk.ErrForbidden) {
		t.Errorf("Ensure after revoke: err = %v, want ErrForbidden (an agent's revocation sticks)", err)
	}
	re, err := f.svc.Regenerate(ctx, f.conv.ID)
	must(t, err)
	if _, err := f.svc.Open(ctx, re.Token); err != nil {
		t.Errorf("regenerated link does not open: %v", err)
	}
	for _, junk := range []string{"", "x", strings.Repeat("a", 43) + "=", "../../etc/passwd"} {
		if _, err := f.svc.Open(ctx, junk); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("Open(%q): err = %v, want ErrNotFound", junk, err)
		}
	}
}

func TestStepOf(t *testing.T) {
	tests := []struct {
		name string
		c    desk.Conversation
		want Step
	}{
		{"new", desk.Conversation{Status: desk.StatusOpen}, StepReceived},
		{"with a team", desk.Conversation{Status: desk.StatusOpen, TeamID: 3}, StepHandling},
		{"with an agent", desk.Conversation{Status: desk.StatusOpen, AssigneeID: 3}, StepHandling},
		{"snoozed", desk.Conversation{Status: desk.StatusSnoozed}, StepHandling},
		{"pending", desk.Conversation{Status: desk.StatusPending, TeamID: 3}, StepWaiting},
		{"resolved", desk.Conversation{Status: desk.StatusResolved}, StepSolved},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := StepOf(tc.c); got != tc.want {
				t.Errorf("StepOf = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestNotify(t *testing.T) {
	f := newFixture(t, desk.ChannelWebChat)
	ctx := context.Background()
	must(t, f.svc.SetNotices(ctx, NoticeSettings{Assigned: true, Resolved: true})) // not pending
	c := *f.conv
	steps := []struct {
		name     string
		change   func(c *desk.Conversation)
		bot      bool
		wantSent bool
		wantText string
	}{
		{"received is never announced", func(c *desk.Conversation) {}, false, false, ""},
		{"not while the bot has it", func(c *desk.Conversation) { c.TeamID = f.team.ID }, true, false, ""},
		{"assigned to a team", func(c *desk.Conversation) { c.TeamID = f.team.ID }, false, true, "team Billing"},
		{"same change again (another node's event)", func(c *desk.Conversation) {}, false, false, ""},
		{"pending is not chosen", func(c *desk.Conversation) { c.Status = desk.StatusPending }, false, false, ""},
		{"back to the team", func(c *desk.Conversation) { c.Status = desk.StatusOpen }, false, true, "being handled"},
		{"snoozed is no news", func(c *desk.Conversation) { c.Status = desk.StatusSnoozed }, false, false, ""},
		{"resolved", func(c *desk.Conversation) { c.Status = desk.StatusResolved }, false, true, "solved"},
		{"resolved twice", func(c *desk.Conversation) {}, false, false, ""},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			st.change(&c)
			f.bot = st.bot
			before := len(f.rep.sent[c.ID])
			sent, err := f.svc.Notify(ctx, &c)
			must(t, err)
			if sent != st.wantSent || (len(f.rep.sent[c.ID]) > before) != st.wantSent {
				t.Fatalf("sent = %v (%d notices), want %v", sent, len(f.rep.sent[c.ID])-before, st.wantSent)
			}
			if !st.wantSent {
				return
			}
			body := f.rep.sent[c.ID][len(f.rep.sent[c.ID])-1]
			if !strings.Contains(body, st.wantText) || !strings.Contains(body, "https://help.example.com/help/en/status/") {
				t.Errorf("notice = %q, want %q and the status link", body, st.wantText)
			}
		})
	}
	// Notices are balie's own messages: they answer nothing.
	msgs, err := f.st.ListMessages(ctx, c.ID, 0, 50)
	must(t, err)
	if len(msgs) == 0 {
		t.Fatal("no notice was stored in the conversation")
	}
	for _, m := range msgs {
		if m.Kind == desk.KindMessage && m.Sender != desk.SenderSystem {
			t.Errorf("notice stored with sender %s, want %s", m.Sender, desk.SenderSystem)
		}
	}
}

func TestNotifyOffByDefault(t *testing.T) {
	f := newFixture(t, desk.ChannelEmail)
	c := *f.conv
	c.Status = desk.StatusResolved
	sent, err := f.svc.Notify(context.Background(), &c)
	must(t, err)
	if sent {
		t.Error("a notice was sent although the company chose none")
	}
}
