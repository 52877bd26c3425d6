package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

// TestMessageSenderUnverified checks that a message from the help
// center's contact form says in its JSON that its sender is unproven.
func TestMessageSenderUnverified(t *testing.T) {
	st := testenv.OpenSQLite(t)
	ctx := t.Context()
	h := New(Deps{Store: st})
	mux := http.NewServeMux()
	h.Mount(mux, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := &auth.Principal{Agent: &desk.Agent{ID: 1, Role: desk.RoleAgent}, ViaToken: true}
			next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
		})
	})
	in := &desk.Inbox{Name: "Help center", Channel: desk.ChannelEmail, PublicKey: "k"}
	if err := st.CreateInbox(ctx, in); err != nil {
		t.Fatal(err)
	}
	ct := &desk.Contact{Name: "Sanne", Email: "sanne@example.nl"}
	if err := st.CreateContact(ctx, ct); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	c := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: ct.ID, Status: desk.StatusOpen,
		Priority: desk.PriorityNone, LastActivityAt: at, CreatedAt: at, UpdatedAt: at}
	if err := st.CreateConversation(ctx, c); err != nil {
		t.Fatal(err)
	}
	form := map[string]string{"sender_unverified": "contact_form"}
	tests := []struct {
		name string
		msg  desk.Message
		want string
	}{
		{name: "contact form", want: "contact_form",
			msg: desk.Message{Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: ct.ID, Body: "Wijzig mijn adres", Meta: form}},
		{name: "verified mail", want: "",
			msg: desk.Message{Kind: desk.KindMessage, Sender: desk.SenderContact, SenderID: ct.ID, Body: "Dank je",
				Meta: map[string]string{desk.MetaEmailAuth: "spf=pass dkim=pass dmarc=pass"}}},
		{name: "agent reply carries no mark", want: "",
			msg: desk.Message{Kind: desk.KindMessage, Sender: desk.SenderAgent, SenderID: 1, Body: "Gedaan", Meta: form}},
	}
	for i := range tests {
		tests[i].msg.ConversationID, tests[i].msg.CreatedAt = c.ID, at.Add(time.Duration(i)*time.Minute)
		if err := st.CreateMessage(ctx, &tests[i].msg); err != nil {
			t.Fatal(err)
		}
	}

	r := httptest.NewRequest(http.MethodGet, Prefix+"/conversations/"+strconv.FormatInt(c.ID, 10)+"/messages", nil)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", w.Code, w.Body)
	}
	var out struct {
		Items []map[string]json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	byID := map[string]map[string]json.RawMessage{}
	for _, m := range out.Items {
		byID[string(m["id"])] = m
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := byID[strconv.FormatInt(tt.msg.ID, 10)]
			if !ok {
				t.Fatalf("message %d not listed in %s", tt.msg.ID, w.Body)
			}
			raw, present := m["sender_unverified"]
			if tt.want == "" {
				if present {
					t.Errorf("sender_unverified = %s, want it left out", raw)
				}
				return
			}
			var got string
			if err := json.Unmarshal(raw, &got); err != nil || got != tt.want {
				t.Errorf("sender_unverified = %s, want %q", raw, tt.want)
			}
		})
	}
}
