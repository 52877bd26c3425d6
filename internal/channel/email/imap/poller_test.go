package imap_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/channel/email/imap"
	"github.com/balie-dev/balie/internal/channel/email/smtpd"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

type nopBus struct{}

func (nopBus) Publish(context.Context, desk.Event)        {}
func (nopBus) Subscribe(func(desk.Event)) (cancel func()) { return func() {} }

type env struct {
	dc    *dovecot
	st    desk.Store
	inbox desk.Inbox
	d     *smtpd.Deliverer
}

func setup(t *testing.T, open func(testing.TB) desk.Store, dc *dovecot) *env {
	t.Helper()
	e := &env{dc: dc, st: open(t)}
	host, port, _ := net.SplitHostPort(dc.addr)
	e.inbox = desk.Inbox{Name: "Support", Channel: desk.ChannelEmail, PublicKey: "mail", Settings: map[string]string{
		smtpd.SettingAddress: "support@example.nl",
		imap.SettingHost:     host,
		imap.SettingPort:     port,
		imap.SettingTLS:      "none",
		imap.SettingUsername: dc.user,
		imap.SettingPassword: dc.password,
	}}
	if err := e.st.CreateInbox(context.Background(), &e.inbox); err != nil {
		t.Fatal(err)
	}
	svc := conversation.New(e.st, nopBus{}, desk.ClockFunc(time.Now), slog.New(slog.DiscardHandler), conversation.Options{})
	e.d = smtpd.NewDeliverer(smtpd.Deps{Conversations: svc, Inboxes: e.st.ListInboxes, Store: e.st})
	return e
}

func (e *env) poller(d imap.Deliverer) *imap.Poller {
	if d == nil {
		d = e.d
	}
	return imap.New(imap.Options{Inboxes: e.st.ListInboxes, Deliverer: d, Interval: time.Hour, IdleMax: time.Hour})
}

// session logs in to the test mailbox with a second, independent
// connection, as a mail server delivering or a person reading would.
func (e *env) session(t *testing.T) *imap.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := imap.Dial(ctx, e.dc.addr, imap.TLSNone, nil, imap.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(ctx, e.dc.user, e.dc.password); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select(ctx, "INBOX"); err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) appendMail(t *testing.T, mail string) {
	t.Helper()
	c := e.session(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Append(ctx, "INBOX", nil, []byte(strings.ReplaceAll(mail, "\n", "\r\n"))); err != nil {
		t.Fatalf("APPEND: %v", err)
	}
	c.Logout(ctx)
}

// unseen counts the unseen mails in the mailbox.
func (e *env) unseen(t *testing.T) int {
	t.Helper()
	c := e.session(t)
	uids, err := c.UIDSearch(context.Background(), "UNSEEN")
	if err != nil {
		t.Fatal(err)
	}
	c.Logout(context.Background())
	return len(uids)
}

func (e *env) conversations(t *testing.T) []desk.Conversation {
	t.Helper()
	page, err := e.st.ListConversations(context.Background(), desk.ConversationQuery{View: desk.ViewAll, WithContact: true})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

// conversationOf returns the conversation holding the message with this
// Message-ID, or 0.
func (e *env) conversationOf(t *testing.T, messageID string) int64 {
	t.Helper()
	m, err := e.st.MessageByExternalID(context.Background(), e.inbox.ID, messageID)
	if errors.Is(err, desk.ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return m.ConversationID
}

func mail(from, subject, id, extra string) string {
	return fmt.Sprintf("From: %s\nTo: Support <support@example.nl>\nSubject: %s\nMessage-ID: <%s>\nDate: Tue, 24 Nov 2026 10:00:00 +0100\n%s\nHallo, dit is %s.\n", from, subject, id, extra, id)
}

func forEachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) {
			fn(t, setup(t, o.Open, startDovecot(t)))
		})
	}
}

func TestPollOnceFilesUnseenMail(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.appendMail(t, mail(`"Jan de Vries" <jan@example.com>`, "Bestelling kwijt", "one@example.com", ""))
		e.appendMail(t, mail("Piet <piet@example.org>", "Factuur", "two@example.org", ""))
		p := e.poller(nil)

		n, err := p.PollOnce(ctx, e.inbox)
		if err != nil || n != 2 {
			t.Fatalf("PollOnce = %d, %v; want 2, nil", n, err)
		}
		convs := e.conversations(t)
		if len(convs) != 2 {
			t.Fatalf("got %d conversations, want 2", len(convs))
		}
		subjects := map[string]bool{}
		for _, c := range convs {
			subjects[c.Subject] = true
			if c.InboxID != e.inbox.ID || c.Channel != desk.ChannelEmail {
				t.Errorf("conversation %d: inbox %d, channel %s; want %d, email", c.ID, c.InboxID, c.Channel, e.inbox.ID)
			}
		}
		if !subjects["Bestelling kwijt"] || !subjects["Factuur"] {
			t.Errorf("subjects = %v, want both mails'", subjects)
		}
		if got := e.unseen(t); got != 0 {
			t.Errorf("unseen after polling = %d, want 0", got)
		}

		if n, err := p.PollOnce(ctx, e.inbox); err != nil || n != 0 {
			t.Errorf("second PollOnce = %d, %v; want 0, nil", n, err)
		}
		// A restarted balie knows nothing in memory: \Seen is the mark.
		if n, err := e.poller(nil).PollOnce(ctx, e.inbox); err != nil || n != 0 {
			t.Errorf("PollOnce of a new Poller = %d, %v; want 0, nil", n, err)
		}

		e.appendMail(t, mail(`"Jan de Vries" <jan@example.com>`, "Re: Bestelling kwijt", "three@example.com", "In-Reply-To: <one@example.com>\n"))
		if n, err := p.PollOnce(ctx, e.inbox); err != nil || n != 1 {
			t.Fatalf("PollOnce of the reply = %d, %v; want 1, nil", n, err)
		}
		if got := len(e.conversations(t)); got != 2 {
			t.Errorf("got %d conversations after the reply, want 2", got)
		}
		first, reply := e.conversationOf(t, "one@example.com"), e.conversationOf(t, "three@example.com")
		if first == 0 || reply != first {
			t.Errorf("reply in conversation %d, first mail in %d; want the same", reply, first)
		}
	})
}

func TestPollOnceWrongPassword(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		e.appendMail(t, mail("jan@example.com", "Hallo", "one@example.com", ""))
		in := e.inbox
		in.Settings = map[string]string{}
		for k, v := range e.inbox.Settings {
			in.Settings[k] = v
		}
		in.Settings[imap.SettingPassword] = "fout"
		n, err := e.poller(nil).PollOnce(context.Background(), in)
		if !errors.Is(err, imap.ErrAuth) || n != 0 {
			t.Errorf("PollOnce = %d, %v; want 0, ErrAuth", n, err)
		}
		if err != nil && !strings.Contains(err.Error(), "authentication failed") {
			t.Errorf("error %q does not say what went wrong", err)
		}
		if got := len(e.conversations(t)); got != 0 {
			t.Errorf("got %d conversations, want none", got)
		}
		if got := e.unseen(t); got != 1 {
			t.Errorf("unseen = %d, want 1", got)
		}
	})
}

// failingDeliverer fails every mail with err and counts the calls.
type failingDeliverer struct {
	err   error
	calls atomic.Int32
}

func (f *failingDeliverer) Deliver(context.Context, smtpd.Envelope, []byte) error {
	f.calls.Add(1)
	return f.err
}

func TestPollOnceDeliverFails(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantErr   bool
		wantCalls int32 // after two polls by the same Poller
	}{
		{"temporary: retried next round", errors.New("database away"), true, 2},
		{"permanent: left alone", fmt.Errorf("smtpd: deliver: %w", desk.Invalid("from", "no sender")), false, 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := setup(t, testenv.OpenSQLite, startDovecot(t))
			e.appendMail(t, mail("jan@example.com", "Hallo", fmt.Sprintf("fail%d@example.com", i), ""))
			f := &failingDeliverer{err: tt.err}
			p := e.poller(f)
			for range 2 {
				n, err := p.PollOnce(context.Background(), e.inbox)
				if (err != nil) != tt.wantErr || n != 0 {
					t.Errorf("PollOnce = %d, %v; want 0 and error = %v", n, err, tt.wantErr)
				}
			}
			if got := f.calls.Load(); got != tt.wantCalls {
				t.Errorf("Deliver called %d times, want %d", got, tt.wantCalls)
			}
			// Either way the mail stays unread for a person to see.
			if got := e.unseen(t); got != 1 {
				t.Errorf("unseen = %d, want 1", got)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	dc := startDovecot(t)
	e := setup(t, testenv.OpenSQLite, dc)
	p := e.poller(nil)
	with := func(kv ...string) desk.Inbox {
		in := e.inbox
		in.Settings = map[string]string{}
		for k, v := range e.inbox.Settings {
			in.Settings[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			in.Settings[kv[i]] = kv[i+1]
		}
		return in
	}
	tests := []struct {
		name  string
		inbox desk.Inbox
		want  func(error) bool
	}{
		{"works", e.inbox, func(err error) bool { return err == nil }},
		{"wrong password", with(imap.SettingPassword, "fout"), func(err error) bool { return errors.Is(err, imap.ErrAuth) }},
		{"unknown mailbox", with(imap.SettingMailbox, "Bestaat-niet"), func(err error) bool {
			var se *imap.StatusError
			return errors.As(err, &se) && se.Status == "NO"
		}},
		{"plain text to another machine", with(imap.SettingHost, "imap.example.nl"), func(err error) bool { return errors.Is(err, desk.ErrInvalid) }},
		{"no inbox address", with(smtpd.SettingAddress, ""), func(err error) bool { return errors.Is(err, desk.ErrInvalid) }},
		{"bad port", with(imap.SettingPort, "99999"), func(err error) bool { return errors.Is(err, desk.ErrInvalid) }},
		{"nothing listening", with(imap.SettingPort, fmt.Sprint(freePort(t))), func(err error) bool { return err != nil && !errors.Is(err, desk.ErrInvalid) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := p.Check(ctx, tt.inbox); !tt.want(err) {
				t.Errorf("Check = %v", err)
			}
		})
	}
}

// TestRunIdle checks that Run files a new mail while it waits in IDLE: the
// poll interval is an hour, so only the server's EXISTS can wake it.
func TestRunIdle(t *testing.T) {
	dc := startDovecot(t)
	e := setup(t, testenv.OpenSQLite, dc)
	e.appendMail(t, mail("jan@example.com", "Eerste", "before@example.com", ""))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.poller(nil).Run(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return within 10s of its context ending")
		}
	}()

	waitFor(t, "the mail already there", func() bool { return e.conversationOf(t, "before@example.com") != 0 })
	// Let the poller reach IDLE; if the mail comes earlier, it is found by
	// the round before the IDLE or reported as the IDLE starts.
	time.Sleep(100 * time.Millisecond)
	e.appendMail(t, mail("piet@example.org", "Tweede", "during@example.org", ""))
	waitFor(t, "the mail appended during IDLE", func() bool { return e.conversationOf(t, "during@example.org") != 0 })
	waitFor(t, "both mails marked seen", func() bool { return e.unseen(t) == 0 })
}

// waitFor polls cond every 20ms for at most 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
