package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

func TestListConversationsBySLAState(t *testing.T) {
	st := testenv.OpenSQLite(t)
	ctx := t.Context()
	h := New(Deps{Store: st})
	in := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "k"}
	if err := st.CreateInbox(ctx, in); err != nil {
		t.Fatal(err)
	}
	ct := &desk.Contact{Name: "Jan"}
	if err := st.CreateContact(ctx, ct); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	ids := map[desk.SLAState]int64{}
	for i, s := range []desk.SLAState{desk.SLANone, desk.SLARunning, desk.SLAWarning, desk.SLABreached} {
		at := start.Add(time.Duration(i) * time.Minute)
		c := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: ct.ID, Status: desk.StatusOpen,
			Priority: desk.PriorityNone, SLAState: s, LastActivityAt: at, CreatedAt: at, UpdatedAt: at}
		if s != desk.SLANone {
			c.SLAPolicyID = 1
		}
		if err := st.CreateConversation(ctx, c); err != nil {
			t.Fatal(err)
		}
		ids[s] = c.ID
	}
	i := slices.IndexFunc(h.routes, func(r Route) bool { return r.Method == "GET" && r.Path == "/conversations" })
	if i < 0 {
		t.Fatal("no route GET /conversations")
	}
	if !slices.Contains(h.routes[i].Query, "sla") {
		t.Errorf("GET /conversations documents queries %v, want sla among them", h.routes[i].Query)
	}
	tests := []struct {
		name     string
		query    string
		wantCode int
		want     []int64 // newest activity first
	}{
		{"any", "", http.StatusOK, []int64{ids[desk.SLABreached], ids[desk.SLAWarning], ids[desk.SLARunning], ids[desk.SLANone]}},
		{"at risk", "?sla=warning,breached", http.StatusOK, []int64{ids[desk.SLABreached], ids[desk.SLAWarning]}},
		{"breached", "?sla=breached", http.StatusOK, []int64{ids[desk.SLABreached]}},
		{"unknown state", "?sla=late", http.StatusUnprocessableEntity, nil},
		{"empty part", "?sla=warning,", http.StatusUnprocessableEntity, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", Prefix+"/conversations"+tt.query, nil)
			r = r.WithContext(auth.WithPrincipal(r.Context(), &auth.Principal{Agent: &desk.Agent{ID: 1, Role: desk.RoleAgent}, ViaToken: true}))
			w := httptest.NewRecorder()
			h.Serve(h.routes[i]).ServeHTTP(w, r)
			if w.Code != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.wantCode, w.Body)
			}
			if tt.wantCode != http.StatusOK {
				return
			}
			var out struct {
				Items []struct {
					ID int64 `json:"id"`
				} `json:"items"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, it := range out.Items {
				got = append(got, it.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids %v, want %v", got, tt.want)
			}
		})
	}
}
