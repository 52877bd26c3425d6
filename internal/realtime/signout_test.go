package realtime

import (
	"context"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/desk"
)

// TestDropVisitorEveryNode: a sign-out handled by one node closes the
// visitor's sockets on every node (the load balancer may have put the
// widget's socket anywhere), through desk.EventVisitorSignedOut on the
// shared bus; no browser ever receives that event.
func TestDropVisitorEveryNode(t *testing.T) {
	shared := bus.NewLocal(0)
	handled := newFixtureOn(t, shared, Options{}) // the node that served POST /widget/api/logout
	other := newFixtureOn(t, shared, Options{})

	agent := other.dial(t, "/agent", nil)
	bound := other.dial(t, "/visitor?key=k&contact=7&inbox=1", nil)
	unbound := other.dial(t, "/visitor?key=k&inbox=1", nil)
	otherBrowser := other.dial(t, "/visitor?key=phone&contact=7&inbox=1", nil)
	here := handled.dial(t, "/visitor?key=k&contact=7&inbox=1", nil)
	other.waitCounts(t, 1, 3)
	handled.waitCounts(t, 0, 1)

	handled.hub.DropVisitor("k")

	for _, tc := range []struct {
		name string
		conn *websocket.Conn
	}{
		{"same node", here},
		{"other node, bound to the contact", bound},
		{"other node, not bound yet", unbound},
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
	other.waitCounts(t, 1, 1)
	handled.waitCounts(t, 0, 0)

	// An event without a key, as from a node that lost it, closes nothing.
	shared.Publish(context.Background(), desk.Event{Type: desk.EventVisitorSignedOut})
	// The first thing the agent and the other browser hear next is the
	// message: the sign-out events never reached a browser.
	shared.Publish(context.Background(), msgEvent(10, desk.KindMessage, "after logout"))
	for _, tc := range []struct {
		name string
		conn *websocket.Conn
	}{
		{"agent", agent},
		{"the customer's other browser", otherBrowser},
	} {
		if got := readJSON(t, tc.conn); got["type"] != desk.EventMessageCreated {
			t.Errorf("%s got %v, want the message event", tc.name, got["_raw"])
		}
	}
	other.waitCounts(t, 1, 1)
}
