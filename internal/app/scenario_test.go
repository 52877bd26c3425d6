package app

import (
	"context"
	"fmt"
	"github.com/balie-dev/balie/internal/auth"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/webhooksig"
)

// sink is a receiving webhook endpoint that checks signatures.
type sink struct {
	mu       sync.Mutex
	bodies   []string
	events   []string
	badSigs  int
	failNext int // answer 503 (or failWith) to this many requests first
	failWith int // the status of those answers; 0 is 503
	requests int // every request, failed or not
	srv      *httptest.Server
}

func newSink(t *testing.T, secret string, now func() time.Time) *sink {
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.requests++
		if s.failNext > 0 {
			s.failNext--
			status := s.failWith
			if status == 0 {
				status = http.StatusServiceUnavailable
			}
			http.Error(w, "down for maintenance", status)
			return
		}
		// The tests move their clock on by hours to reach retries, so the
		// timestamp window is wide here; webhooksig's own tests check it.
		if err := webhooksig.Verify(r.Header, secret, b, now(), 1000*time.Hour); err != nil {
			s.badSigs++
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		s.bodies = append(s.bodies, string(b))
		s.events = append(s.events, r.Header.Get(webhooksig.HeaderEvent))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

func TestHealthz(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		r := e.do("", "GET", "/healthz", nil)
		if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"status":"ok"}` {
			t.Fatalf("GET /healthz = %d %s, want 200 {\"status\":\"ok\"}", r.status, r.body)
		}
	})
}

func TestConversationLifecycleThroughTheAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		const secret = "a-secret-of-16-chars-or-more"
		replies := newSink(t, secret, e.clock.Now)
		inbox := e.must(desk.RoleAdmin, "POST", "/api/v1/inboxes", map[string]any{
			"name": "Partner app", "channel": "api",
			"settings": map[string]string{"webhook_url": replies.srv.URL, "webhook_secret": secret}}, 201)
		inboxID := num(inbox["id"])
		if s := inbox["settings"].(map[string]any)["webhook_secret"]; s != "********" {
			t.Errorf("inbox settings show the secret %q, want it masked", s)
		}

		created := e.must(desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{
			"inbox_id": inboxID,
			"contact":  map[string]any{"name": "Jan de Boer", "email": "Jan@Example.nl", "phone": "06 12345678"},
			"message":  map[string]any{"body": "Waar blijft mijn bestelling 4711-2026? <script>alert(1)</script>", "external_id": "app-1"},
		}, 201)
		conv := created["conversation"].(map[string]any)
		msg := created["message"].(map[string]any)
		convID, msgID := num(conv["id"]), num(msg["id"])
		if conv["status"] != "open" || conv["channel"] != "api" {
			t.Errorf("new conversation status/channel = %v/%v, want open/api", conv["status"], conv["channel"])
		}
		if !strings.Contains(msg["body"].(string), "<script>") {
			t.Errorf("body was altered on the way in: %q (text is stored as written, escaped on output)", msg["body"])
		}

		// The same provider message id again: nothing new is stored.
		again := e.must(desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{
			"inbox_id": inboxID, "contact": map[string]any{"email": "jan@example.nl"},
			"message": map[string]any{"body": "Waar blijft mijn bestelling 4711-2026?", "external_id": "app-1"},
		}, 200)
		if got := num(again["message"].(map[string]any)["id"]); got != msgID {
			t.Errorf("replayed message id = %d, want the stored %d", got, msgID)
		}

		path := fmt.Sprintf("/api/v1/conversations/%d", convID)
		e.must(desk.RoleAgent, "POST", path+"/messages", map[string]any{"type": "incoming", "body": "Hallo?", "external_id": "app-2"}, 201)
		e.must(desk.RoleAgent, "POST", path+"/messages", map[string]any{"type": "incoming", "body": "Hallo?", "external_id": "app-2"}, 200)
		reply := e.must(desk.RoleAgent, "POST", path+"/messages", map[string]any{"type": "reply", "body": "Uw bestelling is onderweg."}, 201)
		if reply["delivery"] != "queued" {
			t.Errorf("reply delivery = %v, want queued", reply["delivery"])
		}
		e.must(desk.RoleAgent, "POST", path+"/messages", map[string]any{"type": "note", "body": "Klant belt vaak."}, 201)

		eventually(t, "the reply to reach the company's webhook", func() bool { return replies.count() == 1 })
		if !strings.Contains(replies.bodies[0], "Uw bestelling is onderweg.") {
			t.Errorf("delivered reply = %s, want the reply text", replies.bodies[0])
		}
		eventually(t, "the reply to be marked sent", func() bool {
			m, err := e.app.Store.MessageByID(t.Context(), num(reply["id"]))
			return err == nil && m.Delivery == desk.DeliverySent
		})

		msgs := e.must(desk.RoleAgent, "GET", path+"/messages", nil, 200)["items"].([]any)
		var kinds []string
		for _, m := range msgs {
			kinds = append(kinds, m.(map[string]any)["kind"].(string))
		}
		if got, want := strings.Join(kinds, ","), "message,message,message,note"; got != want {
			t.Errorf("thread kinds = %s, want %s", got, want)
		}

		team := e.must(desk.RoleAdmin, "POST", "/api/v1/teams", map[string]any{"name": "Logistiek"}, 201)
		teamID := num(team["id"])
		upd := e.must(desk.RoleAgent, "PATCH", path, map[string]any{"labels": []string{"Levering", "levering", "urgent"},
			"priority": "high", "team_id": teamID}, 200)
		if fmt.Sprint(upd["labels"]) != "[levering urgent]" || upd["priority"] != "high" || num(upd["team_id"]) != teamID {
			t.Errorf("after PATCH labels=%v priority=%v team=%v", upd["labels"], upd["priority"], upd["team_id"])
		}
		e.must(desk.RoleAgent, "POST", path+"/transfer", map[string]any{"assignee_id": e.agents[desk.RoleSupervisor].ID, "note": "Kun jij dit oppakken?"}, 200)

		list := e.must(desk.RoleSupervisor, "GET", "/api/v1/conversations?view=mine&label=levering", nil, 200)["items"].([]any)
		if len(list) != 1 || num(list[0].(map[string]any)["id"]) != convID {
			t.Errorf("supervisor's own conversations with label levering = %v, want [%d]", list, convID)
		}
		e.must(desk.RoleAgent, "PATCH", path, map[string]any{"status": "resolved"}, 200)
		if n := len(e.must(desk.RoleAgent, "GET", "/api/v1/conversations?status=open", nil, 200)["items"].([]any)); n != 0 {
			t.Errorf("open conversations after resolving = %d, want 0", n)
		}

		for _, q := range []string{"4711-2026", "jan@example.nl", "bestelling"} {
			hits := e.must(desk.RoleAgent, "GET", "/api/v1/search?q="+q, nil, 200)["items"].([]any)
			if len(hits) == 0 || num(hits[0].(map[string]any)["conversation"].(map[string]any)["id"]) != convID {
				t.Errorf("search %q = %v, want conversation %d first", q, hits, convID)
			}
		}
		if hits := e.must(desk.RoleAgent, "GET", "/api/v1/search?q=zeppelin", nil, 200)["items"].([]any); len(hits) != 0 {
			t.Errorf("search for an absent word found %d conversations", len(hits))
		}

		// A new message from the customer reopens the conversation.
		e.must(desk.RoleAgent, "POST", path+"/messages", map[string]any{"type": "incoming", "body": "Nog één vraag"}, 201)
		if st := e.must(desk.RoleAgent, "GET", path, nil, 200)["status"]; st != "open" {
			t.Errorf("status after the customer wrote again = %v, want open", st)
		}
	})
}

func TestBadInputGetsClearErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		inbox := e.must(desk.RoleAdmin, "POST", "/api/v1/inboxes", map[string]any{"name": "Chat", "channel": "webchat"}, 201)
		tests := []struct {
			name   string
			role   desk.Role
			method string
			path   string
			body   any
			want   int
		}{
			{"no credentials", "", "GET", "/api/v1/conversations", nil, 401},
			{"malformed JSON", desk.RoleAgent, "POST", "/api/v1/contacts", `{"name":`, 400},
			{"unknown field", desk.RoleAgent, "POST", "/api/v1/contacts", `{"name":"x","admin":true}`, 400},
			{"trailing data", desk.RoleAgent, "POST", "/api/v1/contacts", `{"name":"x"} {}`, 400},
			{"body too large", desk.RoleAgent, "POST", "/api/v1/contacts", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 413},
			{"bad email", desk.RoleAgent, "POST", "/api/v1/contacts", map[string]any{"email": "not-an-email"}, 422},
			{"unknown status", desk.RoleAgent, "GET", "/api/v1/conversations?status=lost", nil, 422},
			{"missing conversation", desk.RoleAgent, "GET", "/api/v1/conversations/999999", nil, 404},
			{"non-numeric id", desk.RoleAgent, "GET", "/api/v1/conversations/abc", nil, 404},
			{"agent may not create teams", desk.RoleAgent, "POST", "/api/v1/teams", map[string]any{"name": "X"}, 403},
			{"supervisor may not add webhooks", desk.RoleSupervisor, "POST", "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1/x", "secret": "0123456789abcdef"}, 403},
			{"empty message", desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{"inbox_id": num(inbox["id"]), "contact": map[string]any{"email": "a@example.com"}, "message": map[string]any{"body": "  "}}, 422},
			{"huge message", desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{"inbox_id": num(inbox["id"]), "contact": map[string]any{"email": "a@example.com"}, "message": map[string]any{"body": strings.Repeat("x", 70<<10)}}, 413},
			{"unknown inbox", desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{"inbox_id": 424242, "contact": map[string]any{"email": "a@example.com"}, "message": map[string]any{"body": "hi"}}, 404},
			{"duplicate agent email", desk.RoleAdmin, "POST", "/api/v1/agents", map[string]any{"email": "AGENT@example.com", "password": "long enough password"}, 409},
			{"short password", desk.RoleAdmin, "POST", "/api/v1/agents", map[string]any{"email": "new@example.com", "password": "short"}, 422},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(tc.role, tc.method, tc.path, tc.body)
				if r.status != tc.want {
					t.Fatalf("status = %d, want %d: %s", r.status, tc.want, r.body)
				}
				if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("Content-Type = %q, want application/problem+json", ct)
				}
				p := r.json(t)
				if num(p["status"]) != int64(tc.want) || p["title"] == "" || p["detail"] == "" {
					t.Errorf("problem = %v, want status, title and detail", p)
				}
			})
		}
		// Nothing half-written: the rejected conversations left no contact behind.
		if cs, _ := e.app.Store.ListContacts(t.Context(), desk.ContactQuery{Limit: 10}); len(cs) != 0 {
			t.Errorf("contacts after rejected requests = %d, want 0", len(cs))
		}
	})
}

func TestWebhooksAreSignedAndRetried(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		const secret = "webhook-secret-0123456789"
		hook := newSink(t, secret, e.clock.Now)
		hook.failNext = 1
		e.must(desk.RoleAdmin, "POST", "/api/v1/webhooks", map[string]any{"url": hook.srv.URL, "secret": secret,
			"events": []string{"message.created"}}, 201)
		inbox := e.must(desk.RoleAdmin, "POST", "/api/v1/inboxes", map[string]any{"name": "Chat", "channel": "webchat"}, 201)
		e.must(desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{"inbox_id": num(inbox["id"]),
			"contact": map[string]any{"email": "klant@example.nl"}, "message": map[string]any{"body": "Hoi"}}, 201)
		// The first attempt meets a 503; the retry is due after its backoff.
		// The clock moves on once the worker recorded the failed attempt
		// (moving it earlier would put the retry after the new time, and
		// moving it while a delivery is in flight would expire its lease).
		eventually(t, "the failed first attempt to be recorded", func() bool {
			for id := int64(1); id < 100; id++ {
				it, err := e.app.Store.OutboxByID(t.Context(), id)
				if err == nil && it.Kind == desk.OutboxWebhook {
					return it.Attempts >= 1 && it.LastError != ""
				}
			}
			return false
		})
		e.clock.Add(time.Hour)
		eventually(t, "the retried webhook", func() bool {
			e.app.Outbox.Kick()
			return hook.count() == 1
		})
		if hook.events[0] != "message.created" || hook.badSigs != 0 {
			t.Errorf("events = %v, bad signatures = %d; want one signed message.created", hook.events, hook.badSigs)
		}
		if !strings.Contains(hook.bodies[0], `"body":"Hoi"`) {
			t.Errorf("webhook body = %s, want the message", hook.bodies[0])
		}
	})
}

// TestRetryAFailedReply: a reply the partner refuses for good shows as
// failed with the reason; the agent's "send again" queues it once more and
// it goes out.
func TestRetryAFailedReply(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		const secret = "a-secret-of-16-chars-or-more"
		sink := newSink(t, secret, e.clock.Now)
		sink.failNext, sink.failWith = 1, http.StatusBadRequest
		inbox := e.must(desk.RoleAdmin, "POST", "/api/v1/inboxes", map[string]any{"name": "Partner", "channel": "api",
			"settings": map[string]string{"webhook_url": sink.srv.URL, "webhook_secret": secret}}, 201)
		created := e.must(desk.RoleAgent, "POST", "/api/v1/conversations", map[string]any{"inbox_id": num(inbox["id"]),
			"contact": map[string]any{"email": "jan@example.nl"}, "message": map[string]any{"body": "Hoi"}}, 201)
		convID := num(created["conversation"].(map[string]any)["id"])
		reply := e.must(desk.RoleAgent, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", convID),
			map[string]any{"type": "reply", "body": "Dag Jan"}, 201)
		msgID := num(reply["id"])
		delivery := func() desk.Delivery {
			m, err := e.app.Store.MessageByID(context.Background(), msgID)
			if err != nil {
				t.Fatal(err)
			}
			return m.Delivery
		}
		eventually(t, "the refused reply to fail", func() bool { e.app.Outbox.Kick(); return delivery() == desk.DeliveryFailed })

		cookie, csrf := login(t, e, desk.RoleAgent)
		req, _ := http.NewRequest("POST", fmt.Sprintf("%s/app/conversations/%d/messages/%d/retry", e.srv.URL, convID, msgID),
			strings.NewReader("csrf_token="+csrf))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("retry = %d, want 303", res.StatusCode)
		}
		eventually(t, "the retried reply to go out", func() bool { e.app.Outbox.Kick(); return sink.count() == 1 })
		eventually(t, "the retried reply to be sent", func() bool { return delivery() == desk.DeliverySent })
	})
}
