package channeltest_test

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/channel/channeltest"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestRun runs the suite on the smallest channel that should pass it: a
// shared-secret webhook of JSON events and a JSON send API. It shows what
// the suite asks of an adapter, and that the suite passes a correct one.
func TestRun(t *testing.T) {
	channeltest.Run(t, func(t *testing.T) channeltest.Harness {
		st := testenv.OpenSQLite(t)
		p := newProvider(t)
		ch := &toyChannel{convs: conversation.New(st, bus.NewLocal(0), desk.SystemClock{}, nil, conversation.Options{}),
			client: p.srv.Client()}
		in := desk.Inbox{Name: "Toy", Channel: desk.ChannelAPI, PublicKey: "toy",
			Settings: map[string]string{"secret": "s3cret", "url": p.srv.URL}}
		if err := st.CreateInbox(context.Background(), &in); err != nil {
			t.Fatal(err)
		}
		event := func(e toyEvent, secret string) *http.Request {
			body, _ := json.Marshal(e)
			r := httptest.NewRequest(http.MethodPost, "/hooks/api/toy", bytes.NewReader(body))
			r.Header.Set("X-Secret", secret)
			return r
		}
		return channeltest.Harness{
			Kind: desk.ChannelAPI, Store: st, Channel: ch, Inbox: in,
			Inbound: func(n int, text string) *http.Request {
				return event(toyEvent{Type: "message", ID: fmt.Sprint("msg-", n), From: fmt.Sprint("customer-", n), Text: text}, "s3cret")
			},
			Tamper: func(r *http.Request) *http.Request {
				r.Header.Set("X-Secret", "guess")
				return r
			},
			Unknown: func() *http.Request { return event(toyEvent{Type: "typing", From: "customer-1"}, "s3cret") },
			Sent:    p.texts,
			Fail:    p.fail,
		}
	})
}

// TestRunSender runs the sender suite on the toy channel.
func TestRunSender(t *testing.T) {
	channeltest.RunSender(t, func(t *testing.T) channeltest.SenderHarness {
		st := testenv.OpenSQLite(t)
		p := newProvider(t)
		ch := &toyChannel{client: p.srv.Client()}
		in := desk.Inbox{Name: "Toy", Channel: desk.ChannelAPI, PublicKey: "toy",
			Settings: map[string]string{"url": p.srv.URL}}
		if err := st.CreateInbox(context.Background(), &in); err != nil {
			t.Fatal(err)
		}
		return channeltest.SenderHarness{
			Kind: desk.ChannelAPI, Store: st, Channel: ch, Inbox: in,
			Customer: func(n int) desk.Contact {
				return desk.Contact{Name: fmt.Sprint("Klant ", n),
					Identities: []desk.Identity{{Kind: desk.IdentityExtern, Value: fmt.Sprint("customer-", n)}}}
			},
			Got: p.got, Fail: p.failTimes,
		}
	})
}

type toyEvent struct {
	Type, ID, From, Text string
}

// toyChannel is a webhook channel reduced to what the suite checks.
type toyChannel struct {
	convs  *conversation.Service
	client *http.Client
}

func (*toyChannel) Kind() desk.ChannelKind { return desk.ChannelAPI }

func (c *toyChannel) Webhook(in desk.Inbox) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Secret")), []byte(in.Settings["secret"])) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var e toyEvent
		raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := json.Unmarshal(raw, &e); err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if e.Type != "message" {
			return // acknowledged, ignored
		}
		_, err = c.convs.Ingest(r.Context(), desk.Inbound{InboxID: in.ID, ExternalID: e.ID,
			From: desk.Identity{Kind: desk.IdentityExtern, Value: e.From}, Body: e.Text})
		if err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
		}
	})
}

func (c *toyChannel) Send(ctx context.Context, out desk.Outbound) (string, error) {
	to := ""
	for _, id := range out.Contact.Identities {
		if id.Kind == desk.IdentityExtern {
			to = id.Value
		}
	}
	body, _ := json.Marshal(map[string]string{"to": to, "text": out.Message.Body})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, out.Inbox.Settings["url"], bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("toy: send: %w", err)
	}
	req.Header.Set("Idempotency-Key", out.IdempotencyKey)
	resp, err := c.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("toy: send: %v: %w", err, desk.ErrTemporary)
	}
	defer resp.Body.Close()
	var answer struct{ ID string }
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return "", fmt.Errorf("toy: send: HTTP %d: %w", resp.StatusCode, desk.ErrTemporary)
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("toy: send: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return "", fmt.Errorf("toy: send: %v: %w", err, desk.ErrTemporary)
	}
	return answer.ID, nil
}

// provider is the toy channel's fake send API.
type provider struct {
	srv *httptest.Server

	mu     sync.Mutex
	sent   []channeltest.Sent
	status int
	times  int // answers left with status; -1: until fail(0)
}

func newProvider(t *testing.T) *provider {
	p := &provider{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct{ To, Text string }
		json.NewDecoder(r.Body).Decode(&m)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.status != 0 && p.times != 0 {
			p.times--
			w.WriteHeader(p.status)
			return
		}
		p.sent = append(p.sent, channeltest.Sent{Text: m.Text, Key: r.Header.Get("Idempotency-Key")})
		fmt.Fprintf(w, `{"id":"out-%d"}`, len(p.sent))
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *provider) texts() []string {
	var out []string
	for _, s := range p.got() {
		out = append(out, s.Text)
	}
	return out
}

func (p *provider) got() []channeltest.Sent {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]channeltest.Sent(nil), p.sent...)
}

func (p *provider) fail(status int) { p.failTimes(status, -1) }

// failTimes answers the next times sends with status (-1: every one).
func (p *provider) failTimes(status, times int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status, p.times = status, times
}
