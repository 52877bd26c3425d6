package webchat

import (
	"context"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
)

// Texts only agents may see, planted on the customer's own conversation.
const (
	secretNote  = "Interne notitie: klant belt vaak"
	secretLabel = "wanbetaler-check"
	secretAgent = "Agent Geheimhouder"
)

// casesFixture is Alice with a resolved chat (with a note and a label on it)
// and a newer email conversation, and Bob with a chat of his own.
type casesFixture struct {
	alice, bob                    string // tokens
	aliceChat, aliceMail, bobChat int64
}

func (e *env) casesFixture() casesFixture {
	e.t.Helper()
	ctx := context.Background()
	var f casesFixture
	f.alice, f.bob = e.newVisitor(), e.newVisitor()
	r := e.say(f.alice, "Waar is mijn pakket?")
	if r.status != http.StatusCreated {
		e.t.Fatalf("alice says: %d %s", r.status, r.raw)
	}
	f.aliceChat = int64(r.json["conversation_id"].(float64))
	by := conversation.Actor{Name: secretAgent}
	if _, err := e.convs.Note(ctx, by, f.aliceChat, secretNote); err != nil {
		e.t.Fatal(err)
	}
	resolved, labels := desk.StatusResolved, []string{secretLabel}
	if _, err := e.convs.Update(ctx, by, f.aliceChat, conversation.Change{Status: &resolved, Labels: &labels}); err != nil {
		e.t.Fatal(err)
	}
	alice, err := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(f.alice))
	if err != nil {
		e.t.Fatal(err)
	}
	mail, err := e.st.InboxByKey(ctx, "mail-key")
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.convs.Ingest(ctx, desk.Inbound{InboxID: mail.ID, ContactID: alice.ID,
		Subject: "Factuur klopt niet", Body: "Er staat een fiets te veel op."})
	if err != nil {
		e.t.Fatal(err)
	}
	f.aliceMail = res.Conversation.ID
	r = e.say(f.bob, "Bob wil ruilen")
	if r.status != http.StatusCreated {
		e.t.Fatalf("bob says: %d %s", r.status, r.raw)
	}
	f.bobChat = int64(r.json["conversation_id"].(float64))
	return f
}

func TestCasesListOnlyTheVisitorsOwn(t *testing.T) {
	e := newEnv(t)
	f := e.casesFixture()
	silent := e.newVisitor() // has a session, never wrote

	tests := []struct {
		name   string
		path   string
		header string // the token in X-Balie-Visitor instead
		want   []int64
	}{
		{"alice, newest first, every inbox", "/widget/api/cases" + query("inbox", inboxKey, "token", f.alice), "", []int64{f.aliceMail, f.aliceChat}},
		{"alice by header", "/widget/api/cases" + query("inbox", inboxKey), f.alice, []int64{f.aliceMail, f.aliceChat}},
		{"bob", "/widget/api/cases" + query("inbox", inboxKey, "token", f.bob), "", []int64{f.bobChat}},
		{"visitor who never wrote", "/widget/api/cases" + query("inbox", inboxKey, "token", silent), "", nil},
		{"no token", "/widget/api/cases" + query("inbox", inboxKey), "", nil},
		{"unknown token", "/widget/api/cases" + query("inbox", inboxKey, "token", newToken()), "", nil},
		{"malformed token", "/widget/api/cases" + query("inbox", inboxKey, "token", "../../etc"), "", nil},
		{"upper-case token", "/widget/api/cases" + query("inbox", inboxKey, "token", strings.ToUpper(f.alice)), "", nil},
		{"token hash instead of token", "/widget/api/cases" + query("inbox", inboxKey, "token", tokenHash(f.alice)), "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+tc.path, nil)
			if tc.header != "" {
				req.Header.Set(VisitorHeader, tc.header)
			}
			r := e.do(req)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, want 200 (%s)", r.status, r.raw)
			}
			if got := ids(r); !slices.Equal(got, tc.want) {
				t.Errorf("ids = %v, want %v (%s)", got, tc.want, r.raw)
			}
			if items, ok := r.json["items"].([]any); !ok || items == nil {
				t.Errorf("items = %v, want a list, never null", r.json["items"])
			}
			if got := r.header.Get("Access-Control-Allow-Origin"); got != "*" {
				t.Errorf("Access-Control-Allow-Origin = %q, want *", got)
			}
			if got := r.header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
		})
	}
}

func TestCasesShowOnlyCustomerFields(t *testing.T) {
	e := newEnv(t)
	f := e.casesFixture()
	r := e.get("/widget/api/cases" + query("inbox", inboxKey, "token", f.alice))
	if r.status != http.StatusOK {
		t.Fatalf("status = %d (%s)", r.status, r.raw)
	}
	for _, secret := range []string{secretNote, secretLabel, secretAgent, "assignee", "labels", "priority"} {
		if strings.Contains(r.raw, secret) {
			t.Errorf("response holds %q: %s", secret, r.raw)
		}
	}
	items := r.json["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("%d items, want 2: %s", len(items), r.raw)
	}
	wantKeys := []string{"channel", "created_at", "id", "last_activity_at", "status", "subject_or_preview"}
	tests := []struct {
		name                     string
		item                     map[string]any
		subject, status, channel string
	}{
		{"email with a subject", items[0].(map[string]any), "Factuur klopt niet", "open", "email"},
		{"chat without one shows its preview", items[1].(map[string]any), "Waar is mijn pakket?", "resolved", "webchat"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			for k := range tc.item {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if !slices.Equal(keys, wantKeys) {
				t.Errorf("keys = %v, want %v", keys, wantKeys)
			}
			if got := tc.item["subject_or_preview"]; got != tc.subject {
				t.Errorf("subject_or_preview = %v, want %q", got, tc.subject)
			}
			if got := tc.item["status"]; got != tc.status {
				t.Errorf("status = %v, want %q", got, tc.status)
			}
			if got := tc.item["channel"]; got != tc.channel {
				t.Errorf("channel = %v, want %q", got, tc.channel)
			}
		})
	}
}

func TestCasesErrors(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Limits.ClientReads = Rate{Burst: 4, Window: time.Hour} })
	f := e.casesFixture()
	// In order: the errors count towards the client's limit of 4 too.
	tests := []struct {
		name string
		path string
		want int
	}{
		{"unknown inbox", "/widget/api/cases" + query("inbox", "nope", "token", f.alice), http.StatusNotFound},
		{"not a chat inbox", "/widget/api/cases" + query("inbox", "mail-key", "token", f.alice), http.StatusNotFound},
		{"no inbox", "/widget/api/cases" + query("token", f.alice), http.StatusUnprocessableEntity},
		{"within the limit", "/widget/api/cases" + query("inbox", inboxKey, "token", f.alice), http.StatusOK},
		{"over the limit", "/widget/api/cases" + query("inbox", inboxKey, "token", f.alice), http.StatusTooManyRequests},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.get(tc.path)
			if r.status != tc.want {
				t.Errorf("status = %d, want %d (%s)", r.status, tc.want, r.raw)
			}
			if tc.want != http.StatusOK && strings.Contains(r.raw, "Factuur") {
				t.Errorf("error response leaks a case: %s", r.raw)
			}
		})
	}
}

func TestCasesAreLimited(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	token := e.newVisitor()
	if r := e.say(token, "Eerste vraag"); r.status != http.StatusCreated {
		t.Fatalf("say: %d %s", r.status, r.raw)
	}
	c, err := e.st.ContactByIdentity(ctx, desk.IdentityVisitor, tokenHash(token))
	if err != nil {
		t.Fatal(err)
	}
	inbox, err := e.st.InboxByKey(ctx, inboxKey)
	if err != nil {
		t.Fatal(err)
	}
	for range casesLimit + 2 {
		if _, err := e.convs.Ingest(ctx, desk.Inbound{InboxID: inbox.ID, ContactID: c.ID, Body: "Nog een vraag",
			NewConversation: true}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := e.st.ConversationsOfContact(ctx, c.ID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, cv := range all[:casesLimit] {
		want = append(want, cv.ID)
	}
	r := e.get("/widget/api/cases" + query("inbox", inboxKey, "token", token))
	if got := ids(r); !slices.Equal(got, want) {
		t.Errorf("ids = %v, want the newest %d: %v", got, casesLimit, want)
	}
}
