package app

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// TestStatusLinkAPI: an agent makes a status link for a customer, the
// customer's page opens without logging in, and stops opening when the
// link is revoked; admins choose which changes are announced.
func TestStatusLinkAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		const X, A = desk.RoleAdmin, desk.RoleAgent
		ctx := context.Background()
		in := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "statuschat", Settings: map[string]string{}}
		if err := e.app.Store.CreateInbox(ctx, in); err != nil {
			t.Fatal(err)
		}
		res, err := e.app.Conversations.Ingest(ctx, desk.Inbound{InboxID: in.ID, Body: "Mijn fiets is kapot",
			From: desk.Identity{Kind: desk.IdentityVisitor, Value: "status-visitor"}})
		if err != nil {
			t.Fatal(err)
		}
		path := "/api/v1/conversations/" + strconv.FormatInt(res.Conversation.ID, 10) + "/status-link"
		e.must(A, "GET", path, nil, http.StatusNotFound)
		link := e.must(A, "POST", path, nil, http.StatusCreated)
		u, _ := link["url"].(string)
		if !strings.Contains(u, "/help/nl/status/") || link["live"] != true {
			t.Fatalf("link = %v, want a live /help/nl/status/ link", link)
		}
		page := func() int {
			t.Helper()
			i := strings.Index(u, "/help/")
			r, err := http.Get(e.srv.URL + u[i:])
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			return r.StatusCode
		}
		if got := page(); got != http.StatusOK {
			t.Fatalf("status page: %d, want 200", got)
		}
		// Only the hash of the token is kept: the address is in the answer
		// that made the link, never again.
		if got := e.must(A, "GET", path, nil, http.StatusOK); got["url"] != nil || got["live"] != true {
			t.Errorf("GET link = %v, want it live, without its address", got)
		}
		if r := e.do(A, "DELETE", path, nil); r.status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if got := page(); got != http.StatusNotFound {
			t.Errorf("status page after revoking: %d, want 404", got)
		}
		if got := e.must(A, "GET", path, nil, http.StatusOK); got["live"] != false || got["revoked_at"] == nil {
			t.Errorf("revoked link = %v, want not live, with revoked_at", got)
		}

		want := map[string]any{"assigned": false, "pending": true, "resolved": true}
		if r := e.do(A, "PUT", "/api/v1/settings/status-notices", want); r.status != http.StatusForbidden {
			t.Errorf("agent sets notices: %d, want 403", r.status)
		}
		e.must(X, "PUT", "/api/v1/settings/status-notices", want, http.StatusOK)
		if got := e.must(A, "GET", "/api/v1/settings/status-notices", nil, http.StatusOK); got["pending"] != true || got["assigned"] != false {
			t.Errorf("notices = %v, want %v", got, want)
		}
	})
}
