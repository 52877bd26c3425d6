package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeServer implements the few API routes the bench uses, minimally but to
// the documented contract (strict JSON, bearer token, problem-free 201s), plus
// an outbox that POSTs agent replies to the inbox's webhook_url.
type fakeServer struct {
	token string
	// hide, when set, is a word search pretends not to find, to prove that
	// W3's count checks can fail.
	hide string
	// noOutbox drops agent replies instead of delivering them.
	noOutbox bool

	srv *httptest.Server
	hc  *http.Client

	mu       sync.Mutex
	inboxes  map[int64]string
	convs    []*fakeConv
	nextMsg  int64
	subs     map[chan []byte]bool
	delivery sync.WaitGroup
}

type fakeConv struct {
	id, inboxID int64
	email       string
	msgs        []fakeMsg
}

type fakeMsg struct {
	ID     int64  `json:"id"`
	ConvID int64  `json:"conversation_id"`
	Sender string `json:"sender"`
	Body   string `json:"body"`
}

func newFakeServer(t *testing.T, token string, tweak func(*fakeServer)) *fakeServer {
	t.Helper()
	f := &fakeServer{
		token:   token,
		inboxes: map[int64]string{},
		subs:    map[chan []byte]bool{},
		hc:      &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second},
	}
	if tweak != nil {
		tweak(f)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/inboxes", f.createInbox)
	mux.HandleFunc("POST /api/v1/conversations", f.createConversation)
	mux.HandleFunc("GET /api/v1/conversations", f.listConversations)
	mux.HandleFunc("GET /api/v1/conversations/{id}", f.getConversation)
	mux.HandleFunc("GET /api/v1/conversations/{id}/messages", f.listMessages)
	mux.HandleFunc("POST /api/v1/conversations/{id}/messages", f.postMessage)
	mux.HandleFunc("GET /api/v1/search", f.search)
	mux.HandleFunc("GET /api/v1/realtime", f.realtime)
	f.srv = httptest.NewServer(f.auth(mux))
	t.Cleanup(func() {
		f.srv.Close()
		f.delivery.Wait()
	})
	return f
}

func (f *fakeServer) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			problem(w, http.StatusUnauthorized, "bad token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "status": status, "detail": detail})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// decodeStrict rejects unknown fields, as the real API does.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		problem(w, http.StatusBadRequest, err.Error())
		return false
	}
	return true
}

func (f *fakeServer) createInbox(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     string         `json:"name"`
		Channel  string         `json:"channel"`
		TeamID   int64          `json:"team_id"`
		Settings map[string]any `json:"settings"`
	}
	if !decodeStrict(w, r, &in) {
		return
	}
	hook, _ := in.Settings["webhook_url"].(string)
	if in.Channel != "api" || hook == "" || in.Name == "" {
		problem(w, http.StatusUnprocessableEntity, "want an api inbox with a name and a webhook_url")
		return
	}
	f.mu.Lock()
	id := int64(len(f.inboxes) + 1)
	f.inboxes[id] = hook
	f.mu.Unlock()
	reply(w, http.StatusCreated, map[string]any{"id": id, "name": in.Name, "channel": in.Channel})
}

func (f *fakeServer) createConversation(w http.ResponseWriter, r *http.Request) {
	var in struct {
		InboxID   int64 `json:"inbox_id"`
		ContactID int64 `json:"contact_id"`
		Contact   *struct {
			Name  string `json:"name"`
			Email string `json:"email"`
			Phone string `json:"phone"`
		} `json:"contact"`
		Subject string `json:"subject"`
		Message struct {
			Body       string `json:"body"`
			ExternalID string `json:"external_id"`
		} `json:"message"`
	}
	if !decodeStrict(w, r, &in) {
		return
	}
	f.mu.Lock()
	_, ok := f.inboxes[in.InboxID]
	if !ok || in.Contact == nil || in.Message.Body == "" {
		f.mu.Unlock()
		problem(w, http.StatusUnprocessableEntity, "inbox, contact and message required")
		return
	}
	c := &fakeConv{id: int64(len(f.convs) + 1), inboxID: in.InboxID, email: in.Contact.Email}
	f.convs = append(f.convs, c)
	m := f.addMessageLocked(c, "contact", in.Message.Body)
	f.mu.Unlock()
	reply(w, http.StatusCreated, map[string]any{"conversation": map[string]any{"id": c.id, "status": "open"}, "message": m})
}

// addMessageLocked stores a message and publishes its event; f.mu is held.
func (f *fakeServer) addMessageLocked(c *fakeConv, sender, body string) fakeMsg {
	f.nextMsg++
	m := fakeMsg{ID: f.nextMsg, ConvID: c.id, Sender: sender, Body: body}
	c.msgs = append(c.msgs, m)
	ev, _ := json.Marshal(map[string]any{"type": "message.created", "conversation_id": c.id, "message": m})
	for ch := range f.subs {
		select {
		case ch <- ev:
		default: // a slow subscriber loses events, as a real hub might
		}
	}
	return m
}

func (f *fakeServer) conv(w http.ResponseWriter, r *http.Request) *fakeConv {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || id < 1 || id > int64(len(f.convs)) {
		problem(w, http.StatusNotFound, "conversation not found")
		return nil
	}
	return f.convs[id-1]
}

func (f *fakeServer) postMessage(w http.ResponseWriter, r *http.Request) {
	c := f.conv(w, r)
	if c == nil {
		return
	}
	var in struct {
		Type       string `json:"type"`
		Body       string `json:"body"`
		ExternalID string `json:"external_id"`
	}
	if !decodeStrict(w, r, &in) {
		return
	}
	sender := map[string]string{"incoming": "contact", "reply": "agent"}[in.Type]
	if sender == "" || in.Body == "" {
		problem(w, http.StatusUnprocessableEntity, "bad type or empty body")
		return
	}
	f.mu.Lock()
	m := f.addMessageLocked(c, sender, in.Body)
	hook := f.inboxes[c.inboxID]
	f.mu.Unlock()
	if sender == "agent" && !f.noOutbox {
		f.delivery.Go(func() { f.deliver(hook, m) })
	}
	reply(w, http.StatusCreated, m)
}

// deliver is the fake outbox: it POSTs the reply to the webhook, and every
// seventh one twice, as a retry would, to exercise the sink's de-duplication.
func (f *fakeServer) deliver(hook string, m fakeMsg) {
	body, _ := json.Marshal(map[string]any{
		"id": fmt.Sprint("d", m.ID), "type": "message.created",
		"data": map[string]any{"message": m},
	})
	times := 1
	if m.ID%7 == 0 {
		times = 2
	}
	for range times {
		req, _ := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
		req.Header.Set("X-Balie-Delivery", fmt.Sprint("d", m.ID))
		req.Header.Set("Content-Type", "application/json")
		if resp, err := f.hc.Do(req); err == nil {
			resp.Body.Close()
		}
	}
}

func (f *fakeServer) listConversations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	offset, _ := strconv.Atoi(q.Get("cursor"))
	f.mu.Lock()
	var items []map[string]any
	// Newest first: all fake conversations stay open.
	for i := len(f.convs) - 1 - offset; i >= 0 && len(items) < limit; i-- {
		items = append(items, map[string]any{"id": f.convs[i].id, "status": "open"})
	}
	next := ""
	if offset+len(items) < len(f.convs) {
		next = strconv.Itoa(offset + len(items))
	}
	f.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
}

func (f *fakeServer) getConversation(w http.ResponseWriter, r *http.Request) {
	if c := f.conv(w, r); c != nil {
		reply(w, http.StatusOK, map[string]any{"id": c.id, "contact": map[string]any{"email": c.email}})
	}
}

func (f *fakeServer) listMessages(w http.ResponseWriter, r *http.Request) {
	if c := f.conv(w, r); c != nil {
		f.mu.Lock()
		items := slices.Clone(c.msgs)
		f.mu.Unlock()
		reply(w, http.StatusOK, map[string]any{"items": items})
	}
}

// search matches a contact email exactly, or a whole word of a message; it
// answers one item per conversation, newest first, up to limit.
func (f *fakeServer) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 {
		limit = 20
	}
	items := []map[string]any{}
	f.mu.Lock()
	for i := len(f.convs) - 1; i >= 0 && len(items) < limit && q != f.hide; i-- {
		c := f.convs[i]
		var hit int64
		if c.email == q {
			hit = c.msgs[0].ID
		}
		for _, m := range c.msgs {
			if hit == 0 && slices.Contains(strings.Fields(m.Body), q) {
				hit = m.ID
			}
		}
		if hit != 0 {
			items = append(items, map[string]any{
				"conversation": map[string]any{"id": c.id, "contact": map[string]any{"email": c.email}},
				"message_id":   hit, "snippet": "...",
			})
		}
	}
	f.mu.Unlock()
	reply(w, http.StatusOK, map[string]any{"items": items})
}

func (f *fakeServer) realtime(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ch := make(chan []byte, 1<<16)
	f.mu.Lock()
	f.subs[ch] = true
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}()
	ctx := conn.CloseRead(r.Context())
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-ch:
			if conn.Write(ctx, websocket.MessageText, ev) != nil {
				return
			}
		}
	}
}
