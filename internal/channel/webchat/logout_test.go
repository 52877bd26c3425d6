package webchat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/selfservice"
)

func (e *env) logout(visitor string) response {
	e.t.Helper()
	return e.post("/widget/api/logout", map[string]string{"inbox": inboxKey, "token": visitor})
}

// TestLogoutRevokesTheVisitorToken: after Balie.logout the old token, and
// any copy of it, reaches none of the customer's orders, actions or
// history, and the customer's profile is left as it was.
func TestLogoutRevokesTheVisitorToken(t *testing.T) {
	e := ordersEnv(t)
	ctx := context.Background()
	els := e.identified("els@example.nl")
	if r := e.say(els, "Waar blijft DS-1?"); r.status != http.StatusCreated {
		t.Fatalf("say: %d %s", r.status, r.raw)
	}
	before, err := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(els))
	if err != nil {
		t.Fatal(err)
	}
	if r := e.orders(els); r.json["identified"] != true {
		t.Fatalf("before logout: orders = %s, want identified", r.raw)
	}
	// A chat window still open with the token, bound to Els's profile.
	socket := e.dial("/widget/ws?inbox=" + inboxKey + "&token=" + els)
	e.waitConns(0, 1)
	contactsBefore := e.contactIDs()
	if r := e.logout(els); r.status != http.StatusNoContent {
		t.Fatalf("logout: status = %d (%s), want 204", r.status, r.raw)
	}

	tests := []struct {
		name  string
		check func() string // "" when the old token is refused as it should be
	}{
		{"orders", func() string {
			if r := e.orders(els); r.json["identified"] != false || len(orderNumbers(r)) != 0 {
				return "orders = " + r.raw + ", want identified=false and none"
			}
			return ""
		}},
		{"action", func() string {
			if r := e.action(els, selfservice.CancelOrder, map[string]string{"order": "DS-1"}); r.status != http.StatusUnauthorized {
				return "cancel: status " + http.StatusText(r.status) + ", want 401"
			}
			return ""
		}},
		{"chat history", func() string {
			r := e.post("/widget/api/session", map[string]string{"inbox": inboxKey, "token": els, "locale": "en"})
			if msgs, _ := r.json["messages"].([]any); len(msgs) != 0 || r.json["conversation_id"] != float64(0) {
				return "session = " + r.raw + ", want no conversation"
			}
			return ""
		}},
		{"profile", func() string {
			if c, err := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(els)); !errors.Is(err, desk.ErrNotFound) {
				return fmt.Sprintf("the token still has profile %v (err %v), want none", c, err)
			}
			return ""
		}},
		{"no contact left behind", func() string {
			if got := e.contactIDs(); !slices.Equal(got, contactsBefore) {
				return fmt.Sprintf("contacts = %v, want %v as before the logout", got, contactsBefore)
			}
			return ""
		}},
		{"open socket closed", func() string {
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, data, err := socket.Read(rctx)
			if got := websocket.CloseStatus(err); got != websocket.StatusPolicyViolation {
				return fmt.Sprintf("socket read %q, %v; want close status %v", data, err, websocket.StatusPolicyViolation)
			}
			return ""
		}},
		{"customer kept", func() string {
			c, err := e.st.ContactByIdentity(ctx, desk.IdentityEmail, "els@example.nl")
			if err != nil || c.ID != before.ID {
				return "Els's profile moved or is gone"
			}
			convs, err := e.st.ConversationsOfContact(ctx, c.ID, 10)
			if err != nil || len(convs) != 1 {
				return "Els lost her conversation"
			}
			return ""
		}},
		{"order untouched", func() string {
			if o, _ := e.st.OrderByNumber(ctx, "DS-1"); o.Status != desk.OrderPaid {
				return "DS-1 is " + string(o.Status) + ", want paid"
			}
			return ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if msg := tc.check(); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestLogout: whatever the token was worth, afterwards it belongs to no
// profile, and no contact was added or removed; a chatter's own profile
// keeps its conversation.
func TestLogout(t *testing.T) {
	e := ordersEnv(t)
	ctx := context.Background()
	chatter := e.newVisitor()
	e.say(chatter, "hallo")
	chatterProfile, err := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(chatter))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		token      string
		wantStatus int
	}{
		{"identified customer", e.identified("els@example.nl"), http.StatusNoContent},
		{"anonymous chatter", chatter, http.StatusNoContent},
		{"token that never wrote", e.newVisitor(), http.StatusNoContent},
		{"malformed token", "abc", http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.contactIDs()
			// Twice: a repeated logout (two tabs) changes nothing more.
			for i := range 2 {
				if r := e.logout(tc.token); r.status != tc.wantStatus {
					t.Fatalf("logout %d: status = %d (%s), want %d", i+1, r.status, r.raw, tc.wantStatus)
				}
				if c, err := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(tc.token)); !errors.Is(err, desk.ErrNotFound) {
					t.Fatalf("logout %d: token has profile %v (err %v), want none", i+1, c, err)
				}
				if got := e.contactIDs(); !slices.Equal(got, before) {
					t.Fatalf("logout %d: contacts = %v, want %v", i+1, got, before)
				}
			}
		})
	}
	convs, err := e.st.ConversationsOfContact(ctx, chatterProfile.ID, 10)
	if err != nil || len(convs) != 1 {
		t.Errorf("the chatter's profile has %d conversations (err %v), want its 1", len(convs), err)
	}
}

// contactIDs lists every contact's id, newest first.
func (e *env) contactIDs() []int64 {
	e.t.Helper()
	cs, err := e.st.ListContacts(context.Background(), desk.ContactQuery{Limit: 200})
	if err != nil {
		e.t.Fatal(err)
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// TestOrdersTokenNotInQuery: the token in the query string, where access
// logs keep it, is not taken.
func TestOrdersTokenNotInQuery(t *testing.T) {
	e := ordersEnv(t)
	els := e.identified("els@example.nl")
	tests := []struct {
		name           string
		path           string
		header         string
		wantIdentified bool
	}{
		{"header", "/widget/api/orders?inbox=" + inboxKey, els, true},
		{"query", "/widget/api/orders?inbox=" + inboxKey + "&token=" + els, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+tc.path, nil)
			if tc.header != "" {
				req.Header.Set(VisitorHeader, tc.header)
			}
			r := e.do(req)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d (%s), want 200", r.status, r.raw)
			}
			if got := r.json["identified"] == true; got != tc.wantIdentified {
				t.Errorf("identified = %v, want %v", got, tc.wantIdentified)
			}
		})
	}
}

// TestDemoPageIdentity: the demo page stands in for a shop's page, with a
// logged-in customer's identity token or the empty one of a page after
// logout.
func TestDemoPageIdentity(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		query   string
		want    string // in the page
		wantNot string
	}{
		{"no parameter", "", "", "data-identity-token"},
		{"empty: logged out", "&identity=", `data-identity-token=""`, ""},
		{"token", "&identity=abc.def", `data-identity-token="abc.def"`, ""},
		{"escaped", `&identity="><script>alert(1)</script>`, "data-identity-token=", "<script>alert(1)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get("/widget/demo?inbox=" + inboxKey + tc.query)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200", r.status)
			}
			if !strings.Contains(r.raw, tc.want) {
				t.Errorf("page lacks %q: %s", tc.want, r.raw)
			}
			if tc.wantNot != "" && strings.Contains(r.raw, tc.wantNot) {
				t.Errorf("page has %q: %s", tc.wantNot, r.raw)
			}
		})
	}
}
