package webchat

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/commerce"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/idtoken"
	"github.com/balie-dev/balie/internal/selfservice"
)

// ordersEnv is an env with the catalogue on the built-in order system, Els
// (a known customer with order DS-1) and Piet (with DS-2).
func ordersEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, func(d *Deps) {
		d.Actions = selfservice.New(d.Store.(desk.Store), commerce.NewBuiltin(d.Store.(desk.Store), nil, commerce.BuiltinOptions{}), nil)
	})
	e.withIdentitySecret()
	ctx := context.Background()
	for _, c := range []struct{ name, email, order string }{{"Els", "els@example.nl", "DS-1"}, {"Piet", "piet@example.nl", "DS-2"}} {
		ct := &desk.Contact{Name: c.name, Email: c.email}
		if err := e.st.CreateContact(ctx, ct); err != nil {
			t.Fatal(err)
		}
		if err := e.st.AddIdentity(ctx, &desk.Identity{ContactID: ct.ID, Kind: desk.IdentityEmail, Value: c.email}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.PutOrder(ctx, &desk.Order{ContactID: ct.ID, Number: c.order, Status: desk.OrderPaid, Currency: "EUR",
			TotalCents: 1995, Address: desk.Address{Street: "Dorpsstraat 1", PostalCode: "1234 AB", City: "Ede", Country: "NL"}}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// identified returns a visitor the site vouched for as email.
func (e *env) identified(email string) string {
	e.t.Helper()
	v := e.newVisitor()
	r := e.post("/widget/api/identify", map[string]string{"inbox": inboxKey, "token": v,
		"identity": signed(e.t, idSecret, idtoken.Claims{Email: email, ExternalID: "shop-" + email})})
	if r.status != http.StatusOK {
		e.t.Fatalf("identify: %d %s", r.status, r.raw)
	}
	return v
}

func (e *env) action(visitor, name string, in map[string]string) response {
	e.t.Helper()
	return e.post("/widget/api/actions/"+name, map[string]any{"inbox": inboxKey, "token": visitor, "locale": "en", "input": in})
}

// orders lists the visitor's orders as the widget asks: the token in the
// header.
func (e *env) orders(visitor string) response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/widget/api/orders?inbox="+inboxKey+"&locale=en", nil)
	if visitor != "" {
		req.Header.Set(VisitorHeader, visitor)
	}
	return e.do(req)
}

func orderNumbers(r response) []string {
	var out []string
	items, _ := r.json["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any)["number"].(string))
	}
	return out
}

func TestOrdersListOnlyForIdentifiedVisitor(t *testing.T) {
	e := ordersEnv(t)
	chatter := e.newVisitor()
	e.say(chatter, "hello")
	// Typing Els's address into the details form proves nothing.
	e.post("/widget/api/contact-details", map[string]string{"inbox": inboxKey, "token": chatter, "name": "Els", "email": "els@example.nl"})
	tests := []struct {
		name           string
		token          string
		wantIdentified bool
		wantOrders     []string
	}{
		{"no token", "", false, nil},
		{"malformed token", "abc", false, nil},
		{"chatting visitor with typed details", chatter, false, nil},
		{"identified Els", e.identified("els@example.nl"), true, []string{"DS-1"}},
		{"identified Piet", e.identified("piet@example.nl"), true, []string{"DS-2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.orders(tc.token)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d (%s), want 200", r.status, r.raw)
			}
			if got := r.json["identified"] == true; got != tc.wantIdentified {
				t.Errorf("identified = %v, want %v", got, tc.wantIdentified)
			}
			got := orderNumbers(r)
			if len(got) != len(tc.wantOrders) || len(got) > 0 && got[0] != tc.wantOrders[0] {
				t.Errorf("orders = %v, want %v", got, tc.wantOrders)
			}
			acts, _ := r.json["actions"].([]any)
			if tc.wantIdentified && len(acts) != len(selfservice.Specs()) {
				t.Errorf("%d actions offered, want %d", len(acts), len(selfservice.Specs()))
			}
			if !tc.wantIdentified && len(acts) != 0 {
				t.Errorf("an unidentified visitor is offered %d actions", len(acts))
			}
		})
	}
}

func TestWidgetActions(t *testing.T) {
	e := ordersEnv(t)
	els := e.identified("els@example.nl")
	chatter := e.newVisitor()
	e.say(chatter, "hello")
	tests := []struct {
		name       string
		visitor    string
		action     string
		input      map[string]string
		wantStatus int
		wantOK     bool
		wantOrder  string      // the order's status after, "" unchecked
		check      func() bool // the stored effect
	}{
		{"status of her own order", els, selfservice.OrderStatus, map[string]string{"order": "DS-1"}, 200, true, "", nil},
		{"another customer's order is not found", els, selfservice.CancelOrder, map[string]string{"order": "DS-2"}, 200, false, "", func() bool {
			o, _ := e.st.OrderByNumber(context.Background(), "DS-2")
			return o.Status == desk.OrderPaid
		}},
		{"cancel her own order", els, selfservice.CancelOrder, map[string]string{"order": "DS-1"}, 200, true, "cancelled", func() bool {
			o, _ := e.st.OrderByNumber(context.Background(), "DS-1")
			return o.Status == desk.OrderCancelled
		}},
		{"update her details", els, selfservice.UpdateContact, map[string]string{"phone": "+31 6 12345678"}, 200, true, "", func() bool {
			c, err := e.st.ContactByIdentity(context.Background(), desk.IdentityVisitor, tokenHash(els))
			return err == nil && c.Phone == "+31 6 12345678"
		}},
		{"unidentified visitor", chatter, selfservice.OrderStatus, map[string]string{"order": "DS-1"}, 401, false, "", nil},
		{"no token", "", selfservice.OrderStatus, map[string]string{"order": "DS-1"}, 401, false, "", nil},
		{"unknown action", els, "drop_tables", map[string]string{}, 404, false, "", nil},
		{"invalid input", els, selfservice.ChangeAddress, map[string]string{"order": "DS-1"}, 422, false, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.action(tc.visitor, tc.action, tc.input)
			if r.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", r.status, r.raw, tc.wantStatus)
			}
			if tc.wantStatus == 422 {
				// Said to the customer in their language, not the API's.
				if d, _ := r.json["detail"].(string); !strings.HasPrefix(d, "That is not quite right yet: please fill in") {
					t.Errorf("detail = %q, want the customer's words", d)
				}
			}
			if tc.wantStatus != 200 {
				return
			}
			if got := r.json["ok"] == true; got != tc.wantOK {
				t.Errorf("ok = %v (%s), want %v", got, r.raw, tc.wantOK)
			}
			if msg, _ := r.json["message"].(string); msg == "" {
				t.Errorf("no message for the customer: %s", r.raw)
			}
			if tc.wantOrder != "" {
				o, _ := r.json["order"].(map[string]any)
				if o == nil || o["status"] != tc.wantOrder {
					t.Errorf("order = %v, want status %s", o, tc.wantOrder)
				}
			}
			if tc.check != nil && !tc.check() {
				t.Errorf("the stored effect is not what %q should leave", tc.name)
			}
		})
	}
}
