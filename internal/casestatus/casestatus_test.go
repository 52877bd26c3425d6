package casestatus

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
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

// replies records the notices that were stored, and fails the next fail
// calls inside the message's transaction, after the caller's own writes,
// as a send that could not be stored would.
type replies struct {
	mu    sync.Mutex
	sent  map[int64][]string
	fail  int
	inner Replier
}

var errSend = errors.New("send failed")

func (r *replies) ReplyWith(ctx context.Context, by conversation.Actor, id int64, body string, also func(desk.Store) error) (*desk.Message, error) {
	m, err := r.inner.ReplyWith(ctx, by, id, body, func(tx desk.Store) error {
		if err := also(tx); err != nil {
			return err
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.fail > 0 {
			r.fail--
			return errSend
		}
		return nil
	})
	if err == nil {
		r.mu.Lock()
		r.sent[id] = append(r.sent[id], body)
		r.mu.Unlock()
	}
	return m, err
}

func (r *replies) count(id int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent[id])
}

func (r *replies) last(id int64) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent[id][len(r.sent[id])-1]
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
	f.svc = New(st, f.rep, f.clock, Options{BaseURL: "https://help.example.com/", RetryDelay: 10 * time.Millisecond,
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
	l, err := f.svc.Issue(ctx, f.conv.ID)
	must(t, err)
	if !ValidToken(l.Token) {
		t.Fatalf("token %q has not the status token's shape", l.Token)
	}
	// Only the hash is stored.
	stored, err := f.st.StatusLinkOf(ctx, f.conv.ID)
	must(t, err)
	if stored.TokenHash != HashToken(l.Token) || strings.Contains(stored.TokenHash, l.Token) {
		t.Errorf("stored hash %q, want SHA-256 %q of the token", stored.TokenHash, HashToken(l.Token))
	}
	if _, err := f.st.StatusLinkByHash(ctx, l.Token); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("the token itself finds a link: err = %v, want ErrNotFound", err)
	}
	// A second link (the next notice's) leaves the first working.
	second, err := f.svc.Issue(ctx, f.conv.ID)
	must(t, err)
	if second.Token == l.Token {
		t.Fatal("Issue handed out the same token twice")
	}
	open := func(token string) error { _, err := f.svc.Open(ctx, token); return err }
	tests := []struct {
		name    string
		step    func()
		wantErr error
	}{
		{"valid", func() {}, nil},
		{"still valid a day before expiry", func() { f.clock.add(DefaultTTL - 24*time.Hour) }, nil},
		{"expired", func() { f.clock.add(24 * time.Hour) }, desk.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.step()
			for _, tok := range []string{l.Token, second.Token} {
				if err := open(tok); !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
					t.Errorf("Open: err = %v, want %v", err, tc.wantErr)
				}
			}
		})
	}

	a, err := f.svc.Issue(ctx, f.conv.ID)
	must(t, err)
	b, err := f.svc.Issue(ctx, f.conv.ID)
	must(t, err)
	for _, tok := range []string{a.Token, b.Token} {
		if err := open(tok); err != nil {
			t.Fatalf("Open a live link: %v", err)
		}
	}
	must(t, f.svc.Revoke(ctx, f.conv.ID))
	for _, tok := range []string{a.Token, b.Token} {
		if err := open(tok); !errors.Is(err, desk.ErrNotFound) {
			t.Errorf("revoked link opens: err = %v, want ErrNotFound", err)
		}
	}
	if _, err := f.svc.Issue(ctx, f.conv.ID); !errors.Is(err, desk.ErrForbidden) {
		t.Errorf("Issue after revoke: err = %v, want ErrForbidden (an agent's revocation sticks)", err)
	}
	re, err := f.svc.Regenerate(ctx, f.conv.ID)
	must(t, err)
	if err := open(re.Token); err != nil {
		t.Errorf("regenerated link does not open: %v", err)
	}
	if got, err := f.svc.Link(ctx, f.conv.ID); err != nil || got.TokenHash != HashToken(re.Token) || !got.Live(f.clock.Now()) {
		t.Errorf("Link after regenerate = %+v, %v; want the new live link", got, err)
	}
	// Regenerating stops the links in force too.
	again, err := f.svc.Regenerate(ctx, f.conv.ID)
	must(t, err)
	if err := open(re.Token); !errors.Is(err, desk.ErrNotFound) {
		t.Errorf("link replaced by Regenerate opens: err = %v, want ErrNotFound", err)
	}
	if err := open(again.Token); err != nil {
		t.Errorf("newest link does not open: %v", err)
	}
	for _, junk := range []string{"", "x", strings.Repeat("a", 43) + "=", "../../etc/passwd"} {
		if err := open(junk); !errors.Is(err, desk.ErrNotFound) {
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
			before := f.rep.count(c.ID)
			sent, err := f.svc.Notify(ctx, &c)
			must(t, err)
			if sent != st.wantSent || (f.rep.count(c.ID) > before) != st.wantSent {
				t.Fatalf("sent = %v (%d notices), want %v", sent, f.rep.count(c.ID)-before, st.wantSent)
			}
			if !st.wantSent {
				return
			}
			body := f.rep.last(c.ID)
			if !strings.Contains(body, st.wantText) {
				t.Errorf("notice = %q, want %q", body, st.wantText)
			}
			if _, err := f.svc.Open(ctx, noticeToken(t, body)); err != nil {
				t.Errorf("the notice's status link does not open: %v", err)
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

var noticeLink = regexp.MustCompile(`https://help\.example\.com/help/en/status/([A-Za-z0-9_-]{43})`)

// noticeToken is the status token in a notice; the test fails without one.
func noticeToken(t *testing.T, body string) string {
	t.Helper()
	m := noticeLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("notice %q has no status link", body)
	}
	return m[1]
}

// systemMessages counts balie's messages stored in the conversation.
func systemMessages(t *testing.T, st desk.Store, id int64) int {
	t.Helper()
	msgs, err := st.ListMessages(context.Background(), id, 0, 100)
	must(t, err)
	n := 0
	for _, m := range msgs {
		if m.Kind == desk.KindMessage && m.Sender == desk.SenderSystem {
			n++
		}
	}
	return n
}

// TestNotifyFailedSend: a notice whose message could not be stored is not
// recorded as sent (nor its link made); the next try sends it, once.
func TestNotifyFailedSend(t *testing.T) {
	f := newFixture(t, desk.ChannelEmail)
	ctx := context.Background()
	must(t, f.svc.SetNotices(ctx, NoticeSettings{Resolved: true}))
	c := *f.conv
	c.Status = desk.StatusResolved
	f.rep.fail = 1
	tries := []struct {
		name     string
		wantErr  bool
		wantSent bool
		wantMsgs int
	}{
		{"send fails", true, false, 0},
		{"retry sends", false, true, 1},
		{"retry again sends nothing", false, false, 1},
	}
	for _, tc := range tries {
		t.Run(tc.name, func(t *testing.T) {
			sent, err := f.svc.Notify(ctx, &c)
			if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, errSend)) {
				t.Fatalf("Notify: err = %v, want error %v (the send's)", err, tc.wantErr)
			}
			if sent != tc.wantSent {
				t.Errorf("sent = %v, want %v", sent, tc.wantSent)
			}
			if got := systemMessages(t, f.st, c.ID); got != tc.wantMsgs {
				t.Errorf("notices stored = %d, want %d", got, tc.wantMsgs)
			}
			_, err = f.st.StatusLinkOf(ctx, c.ID)
			if hasLink := err == nil; hasLink != (tc.wantMsgs > 0) {
				t.Errorf("conversation has a status link: %v, want %v (only with a stored notice)", hasLink, tc.wantMsgs > 0)
			}
		})
	}
	if _, err := f.svc.Open(ctx, noticeToken(t, f.rep.last(c.ID))); err != nil {
		t.Errorf("the notice's link does not open: %v", err)
	}
}

// TestNotifyRevoked: after an agent revoked the links, notices still go
// out, without a link, and make none.
func TestNotifyRevoked(t *testing.T) {
	f := newFixture(t, desk.ChannelWebChat)
	ctx := context.Background()
	must(t, f.svc.SetNotices(ctx, NoticeSettings{Resolved: true}))
	old, err := f.svc.Issue(ctx, f.conv.ID)
	must(t, err)
	must(t, f.svc.Revoke(ctx, f.conv.ID))
	c := *f.conv
	c.Status = desk.StatusResolved
	sent, err := f.svc.Notify(ctx, &c)
	must(t, err)
	if !sent {
		t.Fatal("no notice sent")
	}
	if body := f.rep.last(c.ID); strings.Contains(body, "/status/") {
		t.Errorf("notice = %q, want no status link", body)
	}
	l, err := f.st.StatusLinkOf(ctx, c.ID)
	must(t, err)
	if l.TokenHash != HashToken(old.Token) {
		t.Errorf("newest link %q, want still the revoked one (no new link made)", l.TokenHash)
	}
}

// TestRunRetries: Run tries a notice that failed again, and it arrives
// once.
func TestRunRetries(t *testing.T) {
	f := newFixture(t, desk.ChannelWebChat)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	must(t, f.svc.SetNotices(ctx, NoticeSettings{Resolved: true}))
	f.rep.fail = 2 // fails twice; the third and last try sends
	b := subscribedBus{Local: bus.NewLocal(0), ready: make(chan struct{})}
	done := make(chan struct{})
	go func() { f.svc.Run(ctx, b); close(done) }()
	<-b.ready // an event published before Run listens would be lost
	// The stored conversation is what a retry reads.
	c := *f.conv
	c.Status = desk.StatusResolved
	must(t, f.st.UpdateConversation(ctx, &c))
	// One event: the tries after the first come from Run alone.
	b.Publish(ctx, desk.Event{Type: desk.EventConversationUpdated, Conversation: &c})
	deadline := time.Now().Add(10 * time.Second)
	for f.rep.count(c.ID) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // room for a wrong extra try
	cancel()
	<-done
	if got := systemMessages(t, f.st, c.ID); got != 1 {
		t.Errorf("notices stored = %d, want 1 (after two failed tries)", got)
	}
}

// subscribedBus says when its (one) subscriber is listening.
type subscribedBus struct {
	*bus.Local
	ready chan struct{}
}

func (b subscribedBus) Subscribe(fn func(desk.Event)) (cancel func()) {
	cancel = b.Local.Subscribe(fn)
	close(b.ready)
	return cancel
}
