package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/desk"
)

type fakeConvs map[int64]*desk.Conversation

func (f fakeConvs) ConversationByID(_ context.Context, id int64) (*desk.Conversation, error) {
	if c, ok := f[id]; ok {
		return c, nil
	}
	return nil, desk.ErrNotFound
}

type typingCall struct {
	conv   int64
	sender desk.Sender
	name   string
	typing bool
}

type fakeTyper struct {
	mu    sync.Mutex
	calls []typingCall
}

func (f *fakeTyper) Typing(_ context.Context, conv *desk.Conversation, s desk.Sender, name string, typing bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, typingCall{conv.ID, s, name, typing})
}

func (f *fakeTyper) get() []typingCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]typingCall(nil), f.calls...)
}

type fixture struct {
	hub    *Hub
	bus    *bus.Local
	typer  *fakeTyper
	srv    *httptest.Server
	cancel context.CancelFunc
	done   chan struct{}
}

// Conversations: 10 belongs to contact 7 in inbox 1, 20 to contact 8 in
// inbox 1, 30 to contact 7 in inbox 2 (another site).
var testConvs = fakeConvs{
	10: {ID: 10, ContactID: 7, InboxID: 1, Status: desk.StatusOpen},
	20: {ID: 20, ContactID: 8, InboxID: 1, Status: desk.StatusOpen},
	30: {ID: 30, ContactID: 7, InboxID: 2, Status: desk.StatusOpen},
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	return newFixtureOn(t, bus.NewLocal(0), opts)
}

// newFixtureOn is newFixture on b; two fixtures on one bus are two nodes.
func newFixtureOn(t *testing.T, b *bus.Local, opts Options) *fixture {
	t.Helper()
	f := &fixture{bus: b, typer: &fakeTyper{}, done: make(chan struct{})}
	f.hub = New(f.bus, testConvs, f.typer, opts)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /agent", func(w http.ResponseWriter, r *http.Request) {
		f.hub.ServeAgent(w, r, &desk.Agent{ID: 1, Name: "Anna"})
	})
	mux.HandleFunc("GET /agent/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		f.hub.ServeAgent(w, r, &desk.Agent{ID: id, Name: "Agent " + r.PathValue("id")})
	})
	mux.HandleFunc("GET /visitor", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		contact, _ := strconv.ParseInt(q.Get("contact"), 10, 64)
		inbox, _ := strconv.ParseInt(q.Get("inbox"), 10, 64)
		f.hub.ServeVisitor(w, r, Visitor{Key: q.Get("key"), ContactID: contact, InboxID: inbox, Name: "Jan"})
	})
	f.srv = httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() {
		defer close(f.done)
		f.hub.Run(ctx)
	}()
	<-f.hub.Ready()
	t.Cleanup(func() {
		f.cancel()
		<-f.done
		f.srv.Close()
	})
	return f
}

func (f *fixture) dial(t *testing.T, path string, header http.Header) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(f.srv.URL, "http")+path, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// waitCounts waits until the hub has registered the connections.
func (f *fixture) waitCounts(t *testing.T, agents, visitors int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a, v := f.hub.Counts()
		if a == agents && v == visitors {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts = %d agents, %d visitors; want %d, %d", a, v, agents, visitors)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readJSON(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	m["_raw"] = string(data)
	return m
}

func msgEvent(convID int64, kind desk.MessageKind, body string) desk.Event {
	conv := *testConvs[convID]
	conv.AssigneeID, conv.Labels = 3, []string{"vip"}
	return desk.Event{Type: desk.EventMessageCreated, ConversationID: convID, ContactID: conv.ContactID,
		InboxID: conv.InboxID, Conversation: &conv,
		Message: &desk.Message{ID: 99, ConversationID: convID, Kind: kind, Sender: desk.SenderAgent,
			SenderID: 3, SenderName: "Anna", Body: body}}
}

func TestAgentsReceiveEverything(t *testing.T) {
	f := newFixture(t, Options{})
	agent := f.dial(t, "/agent", nil)
	f.waitCounts(t, 1, 0)
	for _, e := range []desk.Event{msgEvent(10, desk.KindNote, "internal"), msgEvent(20, desk.KindMessage, "hi")} {
		f.bus.Publish(context.Background(), e)
		got := readJSON(t, agent)
		msg := got["message"].(map[string]any)
		if got["type"] != e.Type || msg["body"] != e.Message.Body {
			t.Errorf("agent got %v, want %s with body %q", got["_raw"], e.Type, e.Message.Body)
		}
		if _, ok := got["conversation"].(map[string]any)["assignee_id"]; !ok {
			t.Errorf("agent event lacks assignee_id: %s", got["_raw"])
		}
	}
}

func TestVisitorsSeeOnlyTheirOwnCustomerVisibleEvents(t *testing.T) {
	f := newFixture(t, Options{})
	jan := f.dial(t, "/visitor?key=k7&contact=7&inbox=1", nil)
	other := f.dial(t, "/visitor?key=k8&contact=8&inbox=1", nil)
	f.waitCounts(t, 0, 2)

	typingOn := desk.Event{Type: desk.EventTyping, ConversationID: 10, ContactID: 7, InboxID: 1,
		TypingSender: desk.SenderAgent, TypingName: "Anna", Typing: true}
	ownTyping := typingOn
	ownTyping.TypingSender = desk.SenderContact
	assigned := msgEvent(10, desk.KindMessage, "")
	assigned.Type, assigned.Message = desk.EventConversationAssigned, nil
	// Everything here is for contact 7; only the last two may reach Jan.
	for _, e := range []desk.Event{
		msgEvent(10, desk.KindNote, "internal note"),
		msgEvent(10, desk.KindActivity, "assigned to Anna"),
		msgEvent(30, desk.KindMessage, "other site"),
		ownTyping,
		assigned,
		msgEvent(10, desk.KindMessage, "<script>alert(1)</script>"),
		typingOn,
	} {
		f.bus.Publish(context.Background(), e)
	}
	got := readJSON(t, jan)
	raw := got["_raw"].(string)
	if got["type"] != desk.EventMessageCreated {
		t.Fatalf("first visitor event = %s, want the customer-visible message", raw)
	}
	if body := got["message"].(map[string]any)["body"]; body != "<script>alert(1)</script>" {
		t.Errorf("body = %q, want the text unchanged (the widget inserts it as text)", body)
	}
	if !strings.Contains(raw, `\u003cscript\u003e`) {
		t.Errorf("markup not JSON-escaped in %s", raw)
	}
	for _, secret := range []string{"assignee_id", "labels", "vip", "sender_id", "team_id", "priority", "internal"} {
		if strings.Contains(raw, secret) {
			t.Errorf("visitor event leaks %q: %s", secret, raw)
		}
	}
	got = readJSON(t, jan)
	if got["type"] != desk.EventTyping || got["typing"] != true || got["name"] != "Anna" {
		t.Errorf("second visitor event = %s, want Anna typing", got["_raw"])
	}

	// The other visitor received none of it: the next thing they read is
	// their own message.
	f.bus.Publish(context.Background(), msgEvent(20, desk.KindMessage, "for contact 8"))
	got = readJSON(t, other)
	if body := got["message"].(map[string]any)["body"]; body != "for contact 8" {
		t.Errorf("other visitor got %s, want only their own message", got["_raw"])
	}
}

func TestBindVisitor(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.dial(t, "/visitor?key=newcomer&inbox=1", nil)
	agent := f.dial(t, "/agent", nil)
	f.waitCounts(t, 1, 1)
	f.bus.Publish(context.Background(), msgEvent(10, desk.KindMessage, "before bind"))
	// The bus delivers in order: once the agent has it, it was dispatched.
	readJSON(t, agent)
	f.hub.BindVisitor("newcomer", 7)
	f.bus.Publish(context.Background(), msgEvent(10, desk.KindMessage, "after bind"))
	got := readJSON(t, c)
	if body := got["message"].(map[string]any)["body"]; body != "after bind" {
		t.Errorf("got %s, want only the message after binding", got["_raw"])
	}
	if _, v := f.hub.Counts(); v != 1 {
		t.Errorf("visitors = %d after bind, want 1", v)
	}
}

func TestTypingFromBrowsers(t *testing.T) {
	f := newFixture(t, Options{})
	agent := f.dial(t, "/agent", nil)
	jan := f.dial(t, "/visitor?key=k7&contact=7&inbox=1", nil)
	f.waitCounts(t, 1, 1)
	ctx := context.Background()
	send := func(c *websocket.Conn, s string) {
		if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	send(jan, `{"type":"typing","conversation_id":20,"typing":true}`) // not Jan's
	send(jan, `{"type":"typing","conversation_id":30,"typing":true}`) // Jan's, other site
	send(jan, `{"type":"typing","conversation_id":999,"typing":true}`)
	send(jan, `not json`)
	send(jan, `{"type":"typing","conversation_id":10,"typing":true}`)
	send(agent, `{"type":"typing","conversation_id":20,"typing":false}`)
	want := []typingCall{{10, desk.SenderContact, "Jan", true}, {20, desk.SenderAgent, "Anna", false}}
	deadline := time.Now().Add(5 * time.Second)
	for len(f.typer.get()) < len(want) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let any wrongly accepted notice arrive too
	got := f.typer.get()
	if len(got) != len(want) {
		t.Fatalf("typing calls = %+v, want %+v", got, want)
	}
	// The two connections race; compare as a set.
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("typing calls = %+v, missing %+v", got, w)
		}
	}
}

func TestAgentOriginCheck(t *testing.T) {
	f := newFixture(t, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(f.srv.URL, "http")
	tests := []struct {
		name, path, origin string
		wantOK             bool
	}{
		{"agent same origin", "/agent", f.srv.URL, true},
		{"agent foreign origin", "/agent", "https://evil.example", false},
		{"visitor foreign origin", "/visitor?key=k&contact=7&inbox=1", "https://shop.example", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, resp, err := websocket.Dial(ctx, url+tc.path, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {tc.origin}}})
			if tc.wantOK != (err == nil) {
				t.Fatalf("dial err = %v, want ok=%v", err, tc.wantOK)
			}
			if err == nil {
				c.CloseNow()
			} else if resp.StatusCode != http.StatusForbidden {
				t.Errorf("status = %d, want 403", resp.StatusCode)
			}
		})
	}
}

func TestSlowClientIsDropped(t *testing.T) {
	f := newFixture(t, Options{QueueLen: 4, WriteTimeout: time.Second})
	slow := f.dial(t, "/agent", nil) // never reads
	fast := f.dial(t, "/agent", nil)
	f.waitCounts(t, 2, 0)
	fastCtx, cancelFast := context.WithCancel(context.Background())
	defer cancelFast()
	go func() {
		for {
			if _, _, err := fast.Read(fastCtx); err != nil {
				return
			}
		}
	}()
	big := strings.Repeat("x", 256<<10)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if a, _ := f.hub.Counts(); a == 1 {
			break
		}
		f.bus.Publish(context.Background(), msgEvent(10, desk.KindMessage, big))
		time.Sleep(2 * time.Millisecond)
	}
	if a, _ := f.hub.Counts(); a != 1 {
		t.Fatalf("agents = %d, want the slow one dropped and the fast one kept", a)
	}
	_ = slow
}

func TestShutdownClosesConnections(t *testing.T) {
	f := newFixture(t, Options{})
	c := f.dial(t, "/visitor?key=k7&contact=7&inbox=1", nil)
	f.waitCounts(t, 0, 1)
	f.cancel()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := c.Read(ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
		t.Errorf("close status = %v (err %v), want going away", got, err)
	}
	<-f.done
	resp, err := http.Get(f.srv.URL + "/visitor?key=k7&contact=7&inbox=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after shutdown status = %d, want 503", resp.StatusCode)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("shutdown took too long")
	}
}

func TestDropAgent(t *testing.T) {
	f := newFixture(t, Options{})
	gone1 := f.dial(t, "/agent/5", nil)
	gone2 := f.dial(t, "/agent/5", nil) // a second tab
	stays := f.dial(t, "/agent/6", nil)
	visitor := f.dial(t, "/visitor?key=k&contact=7&inbox=1", nil)
	f.waitCounts(t, 3, 1)

	f.hub.DropAgent(5)
	f.hub.DropAgent(42) // not connected: nothing happens

	for _, c := range []*websocket.Conn{gone1, gone2} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, data, err := c.Read(ctx)
		cancel()
		if got := websocket.CloseStatus(err); got != websocket.StatusPolicyViolation {
			t.Errorf("dropped connection read %q, %v; want close status %v", data, err, websocket.StatusPolicyViolation)
		}
	}
	f.waitCounts(t, 1, 1)
	f.bus.Publish(context.Background(), msgEvent(10, desk.KindMessage, "after logout"))
	if got := readJSON(t, stays); got["type"] != desk.EventMessageCreated {
		t.Errorf("other agent got %v, want the event", got["_raw"])
	}
	if got := readJSON(t, visitor); got["type"] != desk.EventMessageCreated {
		t.Errorf("visitor got %v, want the event", got["_raw"])
	}
}

// TestDropVisitor: a visitor's sign-out closes each socket opened with
// their key, bound to a contact or not yet; another browser of the same
// customer, other visitors and agents stay connected and keep receiving.
func TestDropVisitor(t *testing.T) {
	f := newFixture(t, Options{})
	agent := f.dial(t, "/agent", nil)
	bound := f.dial(t, "/visitor?key=k&contact=7&inbox=1", nil)
	unbound := f.dial(t, "/visitor?key=k&inbox=1", nil) // a tab that has not written yet
	otherBrowser := f.dial(t, "/visitor?key=phone&contact=7&inbox=1", nil)
	stranger := f.dial(t, "/visitor?key=k2&inbox=1", nil)
	f.waitCounts(t, 1, 4)

	f.hub.DropVisitor("k")
	f.hub.DropVisitor("nobody") // not connected: nothing happens
	f.hub.DropVisitor("")

	for _, tc := range []struct {
		name string
		conn *websocket.Conn
	}{
		{"bound to the contact", bound},
		{"not bound yet", unbound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, data, err := tc.conn.Read(ctx)
			if got := websocket.CloseStatus(err); got != websocket.StatusPolicyViolation {
				t.Errorf("read %q, %v; want close status %v", data, err, websocket.StatusPolicyViolation)
			}
		})
	}
	f.waitCounts(t, 1, 2)
	// A late bind of the dropped key finds nothing to attach.
	f.hub.BindVisitor("k", 7)
	f.waitCounts(t, 1, 2)

	f.bus.Publish(context.Background(), msgEvent(10, desk.KindMessage, "after logout"))
	for _, tc := range []struct {
		name string
		conn *websocket.Conn
	}{
		{"agent", agent},
		{"the customer's other browser", otherBrowser},
	} {
		if got := readJSON(t, tc.conn); got["type"] != desk.EventMessageCreated {
			t.Errorf("%s got %v, want the event", tc.name, got["_raw"])
		}
	}
	// The stranger is still connected: a ping round trip succeeds.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go stranger.Read(ctx) // a ping needs a reader to see the pong
	if err := stranger.Ping(ctx); err != nil {
		t.Errorf("stranger's socket: %v, want it open", err)
	}
}
