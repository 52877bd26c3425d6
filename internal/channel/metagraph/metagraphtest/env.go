package metagraphtest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/blob"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/channel/metagraph"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// Env is a Meta channel's surroundings in a test: a real store and
// conversation service, a blob store in a temporary directory, a clock,
// a log and a fake Graph API. A product's test env embeds it and makes
// its channel from these parts.
type Env struct {
	Store         desk.Store
	Conversations *conversation.Service
	Blob          *blob.Disk
	Graph         *Server
	// Clock tells Now, which starts at 26 November 2026, 10:00 UTC; the
	// test may move it between calls.
	Clock desk.Clock
	Now   time.Time
	// Log writes at debug level into Logs.
	Log  *slog.Logger
	Logs *LogBuffer
	// Webhook is the channel's handler for an inbox, for Post; the
	// product's env sets it once its channel is made.
	Webhook func(desk.Inbox) http.Handler

	inboxes int
}

// NewEnv makes an Env on the store open makes, with a fake Graph API
// configured by cfg.
func NewEnv(t testing.TB, open func(testing.TB) desk.Store, cfg Config) *Env {
	t.Helper()
	e := &Env{Store: open(t), Graph: NewServer(t, cfg), Logs: &LogBuffer{},
		Now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	e.Clock = desk.ClockFunc(func() time.Time { return e.Now })
	e.Log = slog.New(slog.NewTextHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.Conversations = conversation.New(e.Store, bus.NewLocal(0), e.Clock, nil, conversation.Options{})
	disk, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e.Blob = disk
	return e
}

// Inbox stores an inbox of kind k pointing at the fake Graph API. Its
// settings are AppSecret, VerifyToken and the fake's API base, then the
// product's own (settings), then set over them ("" removes a setting).
func (e *Env) Inbox(t testing.TB, k desk.ChannelKind, settings, set map[string]string) desk.Inbox {
	t.Helper()
	e.inboxes++
	n := strconv.Itoa(e.inboxes)
	in := desk.Inbox{Name: string(k) + " " + n, Channel: k, PublicKey: string(k) + "-" + n,
		Settings: map[string]string{
			metagraph.SettingAppSecret:   AppSecret,
			metagraph.SettingVerifyToken: VerifyToken,
			metagraph.SettingAPIBase:     e.Graph.APIBase(),
		}}
	for _, m := range []map[string]string{settings, set} {
		for key, v := range m {
			if v == "" {
				delete(in.Settings, key)
			} else {
				in.Settings[key] = v
			}
		}
	}
	if err := e.Store.CreateInbox(context.Background(), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

// Post sends body to the inbox's webhook with the given signature header
// ("" for none) and returns the status.
func (e *Env) Post(t testing.TB, in desk.Inbox, body []byte, signature string) int {
	t.Helper()
	if e.Webhook == nil {
		t.Fatal("metagraphtest: Env.Webhook is not set")
	}
	w := httptest.NewRecorder()
	e.Webhook(in).ServeHTTP(w, Request(in, body, signature))
	return w.Code
}

// PostSigned sends body signed with the inbox's app secret.
func (e *Env) PostSigned(t testing.TB, in desk.Inbox, body []byte) int {
	t.Helper()
	return e.Post(t, in, body, Sign(in.Settings[metagraph.SettingAppSecret], body))
}

// Stored is a message as an inbox holds it, with its contact.
type Stored struct {
	desk.Message
	Contact desk.Contact
}

// Messages lists every message of the inbox, conversation by
// conversation.
func (e *Env) Messages(t testing.TB, in desk.Inbox) []Stored {
	t.Helper()
	ctx := context.Background()
	page, err := e.Store.ListConversations(ctx, desk.ConversationQuery{InboxID: in.ID, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var out []Stored
	for _, c := range page.Items {
		k, err := e.Store.ContactByID(ctx, c.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := e.Store.ListMessages(ctx, c.ID, 0, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			out = append(out, Stored{Message: m, Contact: *k})
		}
	}
	return out
}

// LogBuffer is a log sink safe for concurrent writers: the channel logs
// from its handlers while the test reads.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
