package helpcenter

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// TestContactFormSenderUnverified checks that a form message lands on the
// customer whose address was typed, keeps that address for replies, and
// carries the unverified-sender mark, since anyone could have typed it.
func TestContactFormSenderUnverified(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.withContact(t)
		ctx := context.Background()
		// An existing customer with orders and history: the form's
		// typed address and number are theirs.
		owner := &desk.Contact{Name: "Sanne de Vries", Email: "sanne@example.nl", Phone: "+31612345678", Locale: "nl"}
		if err := f.st.CreateContact(ctx, owner); err != nil {
			t.Fatal(err)
		}
		for _, id := range []desk.Identity{{Kind: desk.IdentityEmail, Value: "sanne@example.nl"},
			{Kind: desk.IdentityPhone, Value: "+31612345678"}} {
			id.ContactID = owner.ID
			if err := f.st.AddIdentity(ctx, &id); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name   string
			kind   string
			fields map[string]string
			// identity is where replies go: the typed address or number.
			identity desk.Identity
		}{
			{name: "email form with a customer's address", kind: "email",
				fields:   map[string]string{"name": "Sanne", "email": "Sanne@Example.nl", "message": "Wijzig mijn bezorgadres naar Kerkstraat 1."},
				identity: desk.Identity{Kind: desk.IdentityEmail, Value: "sanne@example.nl"}},
			{name: "callback with a customer's number", kind: "callback",
				fields:   map[string]string{"name": "Sanne", "phone": "06 12345678"},
				identity: desk.Identity{Kind: desk.IdentityPhone, Value: "+31612345678"}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := len(f.conversations(t))
				// Each case from its own address, clear of the rate limit.
				headers := map[string]string{"RemoteAddr": fmt.Sprintf("198.51.100.%d:1", 10+i)}
				res := f.do(t, http.MethodGet, "/help/nl/contact?q=adres", nil, headers)
				if res.status != http.StatusOK {
					t.Fatalf("GET contact: status %d", res.status)
				}
				form := hiddenFields(t, res.body, "/help/nl/contact/"+tt.kind)
				post := url.Values{}
				for k, vs := range form {
					post[k] = vs
				}
				for k, v := range tt.fields {
					post.Set(k, v)
				}
				res = f.do(t, http.MethodPost, "/help/nl/contact/"+tt.kind, post, headers)
				if res.status != http.StatusSeeOther {
					t.Fatalf("POST: status %d, want 303\n%s", res.status, res.body)
				}
				convs := f.conversations(t)
				if len(convs) != before+1 {
					t.Fatalf("%d conversations, want %d", len(convs), before+1)
				}
				c := convs[0]
				if c.ContactID != owner.ID {
					t.Errorf("conversation on contact %d, want the address's owner %d", c.ContactID, owner.ID)
				}
				msgs := f.messages(t, c.ID)
				if len(msgs) == 0 || msgs[0].Sender != desk.SenderContact {
					t.Fatalf("messages = %+v, want the customer's first", msgs)
				}
				if got, want := msgs[0].Meta[desk.MetaSenderUnverified], desk.SenderFromForm; got != want {
					t.Errorf("Meta[%q] = %q, want %q (meta %v)", desk.MetaSenderUnverified, got, want, msgs[0].Meta)
				}
				ct, err := f.st.ContactByID(ctx, c.ContactID)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, id := range ct.Identities {
					found = found || id.Kind == tt.identity.Kind && id.Value == tt.identity.Value
				}
				if !found {
					t.Errorf("identities = %+v, want %s %s kept for replies", ct.Identities, tt.identity.Kind, tt.identity.Value)
				}
			})
		}
	})
}
