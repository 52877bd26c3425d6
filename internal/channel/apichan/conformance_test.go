package apichan

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/channel/channeltest"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
	"github.com/balie-dev/balie/internal/webhooksig"
)

const testSecret = "api-channel-secret"

// TestSenderConformance runs the sender suite against a fake receiver: the
// company's app, checking balie's signature.
func TestSenderConformance(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			channeltest.RunSender(t, func(t *testing.T) channeltest.SenderHarness {
				st := s.Open(t)
				rx := newReceiver(t)
				in := desk.Inbox{Name: "App", Channel: desk.ChannelAPI, PublicKey: "app",
					Settings: map[string]string{"webhook_url": rx.srv.URL, "webhook_secret": testSecret}}
				if err := st.CreateInbox(context.Background(), &in); err != nil {
					t.Fatal(err)
				}
				return channeltest.SenderHarness{
					Kind: desk.ChannelAPI, Store: st, Channel: New(rx.srv.Client(), desk.SystemClock{}), Inbox: in,
					Customer: func(n int) desk.Contact {
						return desk.Contact{Name: fmt.Sprint("Klant ", n), Identities: []desk.Identity{
							{Kind: desk.IdentityExtern, Value: fmt.Sprint("app-user-", n)}}}
					},
					Got:  rx.got,
					Fail: rx.failNext,
				}
			})
		})
	}
}

// receiver is the company's app: it accepts correctly signed replies.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	accepted []channeltest.Sent
	code     int
	times    int
}

func newReceiver(t *testing.T) *receiver {
	rx := &receiver{t: t}
	rx.srv = httptest.NewServer(http.HandlerFunc(rx.serve))
	t.Cleanup(rx.srv.Close)
	return rx
}

func (rx *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := webhooksig.Verify(r.Header, testSecret, body, time.Now(), 5*time.Minute); err != nil {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var m struct {
		Type    string `json:"type"`
		Message struct {
			Body string `json:"body"`
		} `json:"message"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Type != "message.outgoing" {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	rx.mu.Lock()
	defer rx.mu.Unlock()
	if rx.times > 0 {
		rx.times--
		w.WriteHeader(rx.code)
		return
	}
	rx.accepted = append(rx.accepted, channeltest.Sent{Text: m.Message.Body, Key: r.Header.Get(webhooksig.HeaderDelivery)})
	w.WriteHeader(http.StatusNoContent)
}

func (rx *receiver) got() []channeltest.Sent {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	return append([]channeltest.Sent(nil), rx.accepted...)
}

func (rx *receiver) failNext(code, times int) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	rx.code, rx.times = code, times
}
