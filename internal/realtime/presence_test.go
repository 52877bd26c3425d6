package realtime

import (
	"context"
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

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/desk"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

func newClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

// node is one hub on a shared bus, as on one of several balie nodes: every
// hub sees every event, as with the PostgreSQL bus.
type node struct {
	hub *Hub
	srv *httptest.Server
}

func newNode(t *testing.T, b desk.Bus, opts Options) *node {
	t.Helper()
	n := &node{hub: New(b, testConvs, &fakeTyper{}, opts)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /agent/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		n.hub.ServeAgent(w, r, &desk.Agent{ID: id, Name: agentNames[id]})
	})
	n.srv = httptest.NewServer(mux)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.hub.Run(ctx)
	}()
	<-n.hub.Ready()
	t.Cleanup(func() {
		cancel()
		<-done
		n.srv.Close()
	})
	return n
}

var agentNames = map[int64]string{1: "Anna", 2: "Bram", 3: "Sanne"}

func (n *node) dial(t *testing.T, agent int64) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(n.srv.URL, "http") + "/agent/" + strconv.FormatInt(agent, 10)
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial agent %d: %v", agent, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

// waitAgents waits until the hub has registered k agent connections: a
// dial returns before the hub lists the connection, and a broadcast before
// that misses it.
func (n *node) waitAgents(t *testing.T, k int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if a, _ := n.hub.Counts(); a == k {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub never had %d agent connections", k)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func say(t *testing.T, c *websocket.Conn, typ string, conv int64, typing bool) {
	t.Helper()
	b := fmt.Sprintf(`{"type":%q,"conversation_id":%d,"typing":%t}`, typ, conv, typing)
	if err := c.Write(context.Background(), websocket.MessageText, []byte(b)); err != nil {
		t.Fatalf("write %s: %v", b, err)
	}
}

// waitViewers waits until the hub lists want as conv's viewers.
func waitViewers(t *testing.T, h *Hub, conv int64, want []Viewer) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := h.Viewers(conv)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("viewers of %d = %+v, want %+v", conv, got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitPresence reads c until a presence message for conv lists want.
func waitPresence(t *testing.T, c *websocket.Conn, conv int64, want []Viewer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var last []Viewer
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for viewers %+v of %d (last %+v): %v", want, conv, last, err)
		}
		var m presenceMsg
		if json.Unmarshal(data, &m) != nil || m.Type != "presence" || m.ConversationID != conv {
			continue
		}
		if m.Viewers == nil {
			t.Fatalf("presence %s: viewers must be a list, not null", data)
		}
		last = m.Viewers
		if slices.Equal(m.Viewers, want) {
			return
		}
	}
}

var (
	anna        = Viewer{AgentID: 1, Name: "Anna"}
	bram        = Viewer{AgentID: 2, Name: "Bram"}
	bramReplies = Viewer{AgentID: 2, Name: "Bram", Replying: true}
)

func TestPresenceJoinReplyLeave(t *testing.T) {
	n := newNode(t, bus.NewLocal(0), Options{})
	a := n.dial(t, 1)
	b := n.dial(t, 2)
	n.waitAgents(t, 2)

	say(t, b, "view", 10, false)
	waitPresence(t, a, 10, []Viewer{bram})
	say(t, a, "view", 10, false)
	waitPresence(t, a, 10, []Viewer{anna, bram})

	say(t, b, "typing", 10, true)
	waitPresence(t, a, 10, []Viewer{anna, bramReplies})
	say(t, b, "typing", 10, false)
	waitPresence(t, a, 10, []Viewer{anna, bram})

	say(t, b, "leave", 10, false)
	waitPresence(t, a, 10, []Viewer{anna})

	// Moving to another conversation leaves the first.
	say(t, a, "view", 20, false)
	waitPresence(t, b, 10, []Viewer{})
	waitViewers(t, n.hub, 20, []Viewer{anna})

	// Closing the socket leaves too.
	a.Close(websocket.StatusNormalClosure, "")
	waitViewers(t, n.hub, 20, []Viewer{})
}

func TestPresenceIgnoresWhatCannotBeViewed(t *testing.T) {
	n := newNode(t, bus.NewLocal(0), Options{})
	a := n.dial(t, 1)
	say(t, a, "view", 999, false) // no such conversation
	say(t, a, "view", -1, false)
	say(t, a, "leave", 10, false) // not viewing it
	say(t, a, "view", 20, false)
	waitViewers(t, n.hub, 20, []Viewer{anna})
	if got := n.hub.Viewers(999); len(got) != 0 {
		t.Errorf("viewers of a missing conversation = %+v, want none", got)
	}
	if got := n.hub.Viewing(); len(got) != 1 || len(got[1]) != 1 || got[1][20] {
		t.Errorf("Viewing() = %v, want Anna viewing 20 without replying", got)
	}
}

func TestPresenceMultipleTabs(t *testing.T) {
	n := newNode(t, bus.NewLocal(0), Options{})
	tab1, tab2 := n.dial(t, 2), n.dial(t, 2)
	say(t, tab1, "view", 10, false)
	say(t, tab2, "view", 10, false)
	waitViewers(t, n.hub, 10, []Viewer{bram})

	say(t, tab2, "typing", 10, true)
	waitViewers(t, n.hub, 10, []Viewer{bramReplies})

	tab2.Close(websocket.StatusNormalClosure, "")
	// Bram still has the first tab open: present, no longer replying.
	waitViewers(t, n.hub, 10, []Viewer{bram})
	time.Sleep(50 * time.Millisecond)
	waitViewers(t, n.hub, 10, []Viewer{bram})

	tab1.Close(websocket.StatusNormalClosure, "")
	waitViewers(t, n.hub, 10, []Viewer{})
}

func TestPresenceExpiry(t *testing.T) {
	tests := []struct {
		name string
		// quiet lets time pass on the clock; the hub is ticked after it.
		quiet time.Duration
		// touch, when set, repeats the view halfway.
		touch bool
		want  []Viewer
	}{
		{"a page that repeats stays", 80 * time.Second, true, []Viewer{bram}},
		{"a quiet page expires", 91 * time.Second, false, []Viewer{}},
		{"within the TTL it stays", 80 * time.Second, false, []Viewer{bram}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			n := newNode(t, bus.NewLocal(0), Options{Clock: clk, ViewTTL: 90 * time.Second, PresenceTTL: time.Hour})
			b := n.dial(t, 2)
			say(t, b, "view", 10, false)
			waitViewers(t, n.hub, 10, []Viewer{bram})
			if tc.touch {
				clk.add(tc.quiet / 2)
				say(t, b, "view", 10, false)
				clk.add(tc.quiet / 2)
			} else {
				clk.add(tc.quiet)
			}
			// The repeat travels on the socket: tick only once it is in.
			time.Sleep(50 * time.Millisecond)
			n.hub.tickPresence(clk.Now())
			waitViewers(t, n.hub, 10, tc.want)
		})
	}

	t.Run("replying stops without typing notices", func(t *testing.T) {
		clk := newClock()
		n := newNode(t, bus.NewLocal(0), Options{Clock: clk, ReplyTTL: 10 * time.Second})
		b := n.dial(t, 2)
		say(t, b, "typing", 10, true)
		waitViewers(t, n.hub, 10, []Viewer{bramReplies})
		n.hub.tickPresence(clk.add(11 * time.Second))
		waitViewers(t, n.hub, 10, []Viewer{bram})
	})
}

func TestPresenceAcrossNodes(t *testing.T) {
	shared := bus.NewLocal(0)
	clk := newClock()
	opts := Options{Clock: clk, PresenceRefresh: 20 * time.Second, PresenceTTL: 60 * time.Second}
	n1, n2 := newNode(t, shared, opts), newNode(t, shared, opts)

	anna1 := n1.dial(t, 1)
	bram2 := n2.dial(t, 2)
	n1.waitAgents(t, 1)
	n2.waitAgents(t, 1)
	say(t, anna1, "view", 10, false)
	waitPresence(t, bram2, 10, []Viewer{anna})
	say(t, bram2, "typing", 10, true)
	waitPresence(t, anna1, 10, []Viewer{anna, bramReplies})
	waitViewers(t, n2.hub, 10, []Viewer{anna, bramReplies})

	// Anna opens the conversation on the other node as well, then closes
	// the first tab: she is still there.
	anna2 := n2.dial(t, 1)
	n2.waitAgents(t, 2)
	say(t, anna2, "view", 10, false)
	time.Sleep(50 * time.Millisecond)
	anna1.Close(websocket.StatusNormalClosure, "")
	time.Sleep(50 * time.Millisecond)
	waitViewers(t, n1.hub, 10, []Viewer{anna, bramReplies})

	// A node that stops refreshing (it died) is forgotten after the TTL;
	// one that refreshes is kept.
	silent := presenceEvent(presence{conv: 20, agent: 3, name: "Sanne", node: "dead", state: stateViewing}, clk.Now())
	shared.Publish(context.Background(), silent)
	waitViewers(t, n1.hub, 20, []Viewer{{AgentID: 3, Name: "Sanne"}})
	for range 4 { // 4 × 20s: past the TTL for the dead node, n2 refreshes each time
		now := clk.add(20 * time.Second)
		say(t, bram2, "typing", 10, true) // Bram keeps typing
		time.Sleep(20 * time.Millisecond)
		n1.hub.tickPresence(now)
		n2.hub.tickPresence(now)
	}
	waitViewers(t, n1.hub, 20, []Viewer{})
	waitViewers(t, n1.hub, 10, []Viewer{anna, bramReplies})
}

func TestPresenceEventRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	p := presence{conv: 10, agent: 2, name: "Bram", node: "n1", state: stateReplying, replying: true}
	got, ok := presenceFrom(presenceEvent(p, at))
	if !ok || got != p {
		t.Fatalf("round trip = %+v, %v; want %+v", got, ok, p)
	}
	bad := []struct {
		name string
		e    desk.Event
	}{
		{"other type", desk.Event{Type: desk.EventTyping, ConversationID: 10}},
		{"no carrier", desk.Event{Type: EventPresence, ConversationID: 10}},
		{"no agent", presenceEvent(presence{conv: 10, node: "n1", state: stateViewing}, at)},
		{"no node", presenceEvent(presence{conv: 10, agent: 2, state: stateViewing}, at)},
		{"no conversation", presenceEvent(presence{agent: 2, node: "n1", state: stateViewing}, at)},
		{"unknown state", presenceEvent(presence{conv: 10, agent: 2, node: "n1", state: "dancing"}, at)},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := presenceFrom(tc.e); ok {
				t.Errorf("presenceFrom = %+v, true; want rejected", got)
			}
		})
	}
}
