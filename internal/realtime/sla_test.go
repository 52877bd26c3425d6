package realtime

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/balie-dev/balie/internal/desk"
)

func TestSLAAlertsReachSupervisorsOnly(t *testing.T) {
	f := newFixture(t, Options{})
	mux := http.NewServeMux()
	for path, role := range map[string]desk.Role{"/agent": desk.RoleAgent, "/supervisor": desk.RoleSupervisor, "/admin": desk.RoleAdmin} {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			f.hub.ServeAgent(w, r, &desk.Agent{ID: int64(len(path)), Name: path, Role: role})
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	dial := func(path string) *websocket.Conn {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+path, nil)
		if err != nil {
			t.Fatalf("dial %s: %v", path, err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	agent, sup, admin := dial("/agent"), dial("/supervisor"), dial("/admin")
	f.waitCounts(t, 3, 0)

	alert := msgEvent(10, desk.KindNote, "SLA geschonden: eerste reactie")
	alert.Type = eventSLAAlert
	f.bus.Publish(context.Background(), alert)
	f.bus.Publish(context.Background(), msgEvent(10, desk.KindNote, "daarna"))

	tests := []struct {
		name  string
		conn  *websocket.Conn
		first string
	}{
		{"agent skips the alert", agent, desk.EventMessageCreated},
		{"supervisor gets it", sup, eventSLAAlert},
		{"admin gets it", admin, eventSLAAlert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readJSON(t, tt.conn); got["type"] != tt.first {
				t.Errorf("first event %s, want type %s", got["_raw"], tt.first)
			}
		})
	}
}
