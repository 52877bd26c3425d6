package selfservice

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/commerce"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/flow"
	"github.com/balie-dev/balie/internal/store/sqlite"
)

var now = time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)

type fixture struct {
	st         *sqlite.Store
	cat        *Catalogue
	sanne, jan *desk.Contact
	conv       *desk.Conversation
}

// newFixture is De Spaak's shop: Sanne has an order in every state, Jan
// one paid order; Sanne talks to the bot in a web chat.
func newFixture(t *testing.T, conn func(st *sqlite.Store) commerce.Connector) *fixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fx := &fixture{st: st, sanne: &desk.Contact{Name: "Sanne", Email: "sanne@example.nl", Locale: "nl"},
		jan: &desk.Contact{Name: "Jan", Email: "jan@example.nl", Locale: "nl"}}
	for _, c := range []*desk.Contact{fx.sanne, fx.jan} {
		if err := st.CreateContact(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	in := &desk.Inbox{Name: "Chat", Channel: desk.ChannelWebChat, PublicKey: "k"}
	if err := st.CreateInbox(ctx, in); err != nil {
		t.Fatal(err)
	}
	fx.conv = &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: fx.sanne.ID, Status: desk.StatusOpen,
		Priority: desk.PriorityNone, Language: "en", LastActivityAt: now, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateConversation(ctx, fx.conv); err != nil {
		t.Fatal(err)
	}
	orders := []struct {
		contact *desk.Contact
		number  string
		status  desk.OrderStatus
		updated time.Time
		invoice string
	}{
		{fx.sanne, "DS-1", desk.OrderPlaced, now.Add(-time.Hour), ""},
		{fx.sanne, "DS-2", desk.OrderPaid, now.Add(-time.Hour), "https://despaak.example/f/DS-2.pdf"},
		{fx.sanne, "DS-3", desk.OrderShipped, now.Add(-24 * time.Hour), "https://despaak.example/f/DS-3.pdf"},
		{fx.sanne, "DS-4", desk.OrderDelivered, now.Add(-3 * 24 * time.Hour), ""},
		{fx.sanne, "DS-5", desk.OrderDelivered, now.Add(-40 * 24 * time.Hour), ""},
		{fx.jan, "DS-9", desk.OrderPaid, now.Add(-time.Hour), ""},
	}
	for _, o := range orders {
		err := st.PutOrder(ctx, &desk.Order{ContactID: o.contact.ID, Number: o.number, Status: o.status,
			Currency: "EUR", TotalCents: 89900, Carrier: "PostNL", TrackingURL: "https://track.example/" + o.number,
			InvoiceURL: o.invoice, Address: desk.Address{Street: "Oudegracht 12", PostalCode: "3511 AR", City: "Utrecht", Country: "NL"},
			PlacedAt: o.updated.Add(-time.Hour), UpdatedAt: o.updated})
		if err != nil {
			t.Fatal(err)
		}
	}
	clock := desk.ClockFunc(func() time.Time { return now })
	var c commerce.Connector = commerce.NewBuiltin(st, clock, commerce.BuiltinOptions{LabelURL: "https://retour.example/{number}"})
	if conn != nil {
		c = conn(st)
	}
	fx.cat = New(st, c, clock)
	return fx
}

func (fx *fixture) status(t *testing.T, number string) desk.OrderStatus {
	t.Helper()
	o, err := fx.st.OrderByNumber(t.Context(), number)
	if err != nil {
		t.Fatal(err)
	}
	return o.Status
}

func TestValidation(t *testing.T) {
	fx := newFixture(t, nil)
	agent := Actor{Kind: desk.ActorAgent, ID: 1, ContactID: fx.sanne.ID}
	tests := []struct {
		name   string
		action string
		in     map[string]string
		want   error
		field  string
	}{
		{"unknown action", "delete_everything", nil, desk.ErrNotFound, ""},
		{"missing order", OrderStatus, map[string]string{}, desk.ErrInvalid, "order"},
		{"bad order number", OrderStatus, map[string]string{"order": "DS 1; drop"}, desk.ErrInvalid, "order"},
		{"unknown field", OrderStatus, map[string]string{"order": "DS-1", "admin": "1"}, desk.ErrInvalid, "admin"},
		{"missing reason", StartReturn, map[string]string{"order": "DS-4"}, desk.ErrInvalid, "reason"},
		{"long reason", StartReturn, map[string]string{"order": "DS-4", "reason": strings.Repeat("x", 301)}, desk.ErrInvalid, "reason"},
		{"bad email", UpdateContact, map[string]string{"email": "sanne at home"}, desk.ErrInvalid, "email"},
		{"bad phone", UpdateContact, map[string]string{"phone": "call me"}, desk.ErrInvalid, "phone"},
		{"missing street", ChangeAddress, map[string]string{"order": "DS-1", "postal_code": "1017 GC", "city": "A"}, desk.ErrInvalid, "street"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := fx.cat.Run(t.Context(), tc.action, agent, tc.in)
			if !errors.Is(err, tc.want) || out != nil {
				t.Fatalf("Run = %v, %v; want %v", out, err, tc.want)
			}
			var ve *desk.ValidationError
			if tc.field != "" && (!errors.As(err, &ve) || ve.Field != tc.field) {
				t.Errorf("err = %v, want field %s", err, tc.field)
			}
		})
	}
	logs, _ := fx.st.ListActionLogs(t.Context(), desk.ActionLogQuery{})
	if len(logs) != 0 {
		t.Errorf("invalid input left %d audit records, want none", len(logs))
	}
}

func TestPermissions(t *testing.T) {
	fx := newFixture(t, nil)
	customer := Actor{Kind: desk.ActorCustomer, ID: fx.sanne.ID, ContactID: fx.sanne.ID, Locale: "nl"}
	visitor := Actor{Kind: desk.ActorCustomer, Locale: "nl"}
	bot := Actor{Kind: desk.ActorBot, ContactID: fx.sanne.ID, ConversationID: fx.conv.ID, Locale: "en"}
	agent := Actor{Kind: desk.ActorAgent, ID: 3, Locale: "nl"}
	tests := []struct {
		name      string
		action    string
		by        Actor
		in        map[string]string
		wantOK    bool
		wantState desk.ActionState
		wantText  string
	}{
		{"customer, own order", OrderStatus, customer, map[string]string{"order": "ds-3"}, true, desk.ActionDone, "onderweg met PostNL"},
		{"customer, someone else's order", OrderStatus, customer, map[string]string{"order": "DS-9"}, false, desk.ActionFailed, "niet vinden"},
		{"customer acting for another contact", OrderStatus, Actor{Kind: desk.ActorCustomer, ID: fx.sanne.ID, ContactID: fx.jan.ID},
			map[string]string{"order": "DS-9"}, false, desk.ActionDenied, "niet vinden"},
		{"visitor with the postal code", OrderStatus, visitor, map[string]string{"order": "DS-3", "postal_code": "3511ar"}, true, desk.ActionDone, "onderweg"},
		{"visitor with a wrong postal code", OrderStatus, visitor, map[string]string{"order": "DS-3", "postal_code": "1017 GC"}, false, desk.ActionDenied, "niet vinden"},
		{"visitor without a postal code", OrderStatus, visitor, map[string]string{"order": "DS-3"}, false, desk.ActionDenied, "niet vinden"},
		{"visitor cannot cancel", CancelOrder, visitor, map[string]string{"order": "DS-1"}, false, desk.ActionDenied, "Doorverbinden"},
		{"bot, the conversation's contact", Invoice, bot, map[string]string{"order": "DS-2"}, true, desk.ActionDone, "https://despaak.example/f/DS-2.pdf"},
		{"bot, not the conversation's contact", Invoice, bot, map[string]string{"order": "DS-9"}, false, desk.ActionFailed, "cannot find order DS-9"},
		{"agent, any order", OrderStatus, agent, map[string]string{"order": "DS-9"}, true, desk.ActionDone, "betaald"},
		{"agent, no such order", OrderStatus, agent, map[string]string{"order": "DS-404"}, false, desk.ActionFailed, "niet vinden"},
		{"visitor cannot update a contact", UpdateContact, visitor, map[string]string{"name": "X"}, false, desk.ActionDenied, "niet voor je doen"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := fx.cat.Run(t.Context(), tc.action, tc.by, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if out.OK != tc.wantOK || out.Log.State != tc.wantState || out.Handover == tc.wantOK {
				t.Errorf("ok %v state %s handover %v, want ok %v state %s", out.OK, out.Log.State, out.Handover, tc.wantOK, tc.wantState)
			}
			if !strings.Contains(strings.ToLower(out.Message), strings.ToLower(tc.wantText)) {
				t.Errorf("message %q, want it to contain %q", out.Message, tc.wantText)
			}
			got, err := fx.st.ActionLogByID(t.Context(), out.Log.ID)
			if err != nil || got.State != tc.wantState || got.Action != tc.action || got.ActorKind != tc.by.Kind {
				t.Errorf("audit record = %+v, %v", got, err)
			}
		})
	}
}

func TestChanges(t *testing.T) {
	customer := func(fx *fixture) Actor {
		return Actor{Kind: desk.ActorCustomer, ID: fx.sanne.ID, ContactID: fx.sanne.ID, Locale: "nl"}
	}
	addr := map[string]string{"street": "Markt 3", "postal_code": "5611eb", "city": "Eindhoven"}
	with := func(m map[string]string, k, v string) map[string]string {
		out := map[string]string{k: v}
		for a, b := range m {
			out[a] = b
		}
		return out
	}
	tests := []struct {
		name       string
		action     string
		in         map[string]string
		wantState  desk.ActionState
		order      string
		wantStatus desk.OrderStatus
		wantText   string
	}{
		{"address before shipping", ChangeAddress, with(addr, "order", "DS-2"), desk.ActionDone, "DS-2", desk.OrderPaid, "Markt 3, 5611 EB Eindhoven"},
		{"address after shipping", ChangeAddress, with(addr, "order", "DS-3"), desk.ActionFailed, "DS-3", desk.OrderShipped, "al verzonden"},
		{"cancel before shipping", CancelOrder, map[string]string{"order": "DS-1"}, desk.ActionDone, "DS-1", desk.OrderCancelled, "geannuleerd"},
		{"cancel after shipping waits", CancelOrder, map[string]string{"order": "DS-3"}, desk.ActionPending, "DS-3", desk.OrderShipped, "collega kijkt"},
		{"cancel after delivery", CancelOrder, map[string]string{"order": "DS-4"}, desk.ActionFailed, "DS-4", desk.OrderDelivered, "al bezorgd"},
		{"return in time", StartReturn, map[string]string{"order": "DS-4", "reason": "te klein"}, desk.ActionDone, "DS-4", desk.OrderReturned, "https://retour.example/DS-4"},
		{"return late waits", StartReturn, map[string]string{"order": "DS-5", "reason": "te klein"}, desk.ActionPending, "DS-5", desk.OrderDelivered, "bedenktijd"},
		{"return before delivery", StartReturn, map[string]string{"order": "DS-2", "reason": "te klein"}, desk.ActionFailed, "DS-2", desk.OrderPaid, "is betaald"},
		{"no invoice yet", Invoice, map[string]string{"order": "DS-1"}, desk.ActionFailed, "DS-1", desk.OrderPlaced, "nog geen factuur"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, nil)
			out, err := fx.cat.Run(t.Context(), tc.action, customer(fx), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if out.Log.State != tc.wantState || out.Pending != (tc.wantState == desk.ActionPending) {
				t.Errorf("state %s pending %v, want %s", out.Log.State, out.Pending, tc.wantState)
			}
			if !strings.Contains(out.Message, tc.wantText) {
				t.Errorf("message %q, want it to contain %q", out.Message, tc.wantText)
			}
			if got := fx.status(t, tc.order); got != tc.wantStatus {
				t.Errorf("order status %s, want %s", got, tc.wantStatus)
			}
		})
	}
}

func TestApproval(t *testing.T) {
	fx := newFixture(t, nil)
	ctx := t.Context()
	bot := Actor{Kind: desk.ActorBot, ContactID: fx.sanne.ID, ConversationID: fx.conv.ID, Locale: "nl"}
	cancel, err := fx.cat.Run(ctx, CancelOrder, bot, map[string]string{"order": "DS-3"})
	if err != nil || !cancel.Pending {
		t.Fatalf("cancel = %+v, %v; want pending", cancel, err)
	}
	ret, err := fx.cat.Run(ctx, StartReturn, bot, map[string]string{"order": "DS-5", "reason": "kapot"})
	if err != nil || !ret.Pending {
		t.Fatalf("return = %+v, %v; want pending", ret, err)
	}
	// Asking again waits on the same request.
	again, err := fx.cat.Run(ctx, CancelOrder, bot, map[string]string{"order": "DS-3"})
	if err != nil || !again.Pending || again.Log.ID != cancel.Log.ID {
		t.Fatalf("second cancel = %+v, %v; want the first request, still pending", again, err)
	}
	pending, _ := fx.cat.Log(ctx, desk.ActionLogQuery{State: desk.ActionPending, ContactID: fx.sanne.ID})
	if len(pending) != 2 {
		t.Fatalf("pending = %d, want 2", len(pending))
	}

	out, err := fx.cat.Decide(ctx, cancel.Log.ID, 3, true, "nl")
	if err != nil || !out.OK || out.Log.State != desk.ActionApproved || out.Log.DecidedBy != 3 {
		t.Fatalf("approve = %+v, %v", out, err)
	}
	if got := fx.status(t, "DS-3"); got != desk.OrderCancelled {
		t.Errorf("after approval DS-3 is %s, want cancelled", got)
	}
	if _, err := fx.cat.Decide(ctx, cancel.Log.ID, 4, false, "nl"); !errors.Is(err, desk.ErrConflict) {
		t.Errorf("second decision: %v, want ErrConflict", err)
	}
	out, err = fx.cat.Decide(ctx, ret.Log.ID, 3, false, "en")
	if err != nil || out.OK || out.Log.State != desk.ActionRejected || !strings.Contains(out.Message, "not possible") {
		t.Fatalf("reject = %+v, %v", out, err)
	}
	if got := fx.status(t, "DS-5"); got != desk.OrderDelivered {
		t.Errorf("after rejection DS-5 is %s, want delivered", got)
	}
	rec, _ := fx.st.ActionLogByID(ctx, ret.Log.ID)
	if rec.State != desk.ActionRejected || rec.DecidedBy != 3 || !rec.DecidedAt.Equal(now) {
		t.Errorf("rejected record = %+v", rec)
	}

	// An agent's own cancellation after shipping needs no approval.
	fx2 := newFixture(t, nil)
	out, err = fx2.cat.Run(ctx, CancelOrder, Actor{Kind: desk.ActorAgent, ID: 3}, map[string]string{"order": "DS-3"})
	if err != nil || !out.OK || out.Log.State != desk.ActionDone {
		t.Errorf("agent cancel = %+v, %v; want done", out, err)
	}
}

func TestUpdateContact(t *testing.T) {
	fx := newFixture(t, nil)
	bot := Actor{Kind: desk.ActorBot, ContactID: fx.sanne.ID, ConversationID: fx.conv.ID, Locale: "nl"}
	out, err := fx.cat.Run(t.Context(), UpdateContact, bot, map[string]string{"email": "sanne@nieuw.nl", "phone": "+31 6 1234 5678"})
	if err != nil || !out.OK {
		t.Fatalf("update = %+v, %v", out, err)
	}
	c, _ := fx.st.ContactByID(t.Context(), fx.sanne.ID)
	if c.Email != "sanne@nieuw.nl" || c.Phone != "+31 6 1234 5678" || c.Name != "Sanne" {
		t.Errorf("contact = %+v", c)
	}
}

// down is an order system that cannot be reached.
type down struct{ commerce.Connector }

func (down) OrdersOf(context.Context, desk.Contact) ([]desk.Order, error) {
	return nil, commerce.ErrUnavailable
}
func (down) Order(context.Context, string) (*desk.Order, error) { return nil, commerce.ErrUnavailable }

func TestUnavailable(t *testing.T) {
	fx := newFixture(t, func(*sqlite.Store) commerce.Connector { return down{} })
	for _, by := range []Actor{
		{Kind: desk.ActorBot, ContactID: fx.sanne.ID, Locale: "en"},
		{Kind: desk.ActorAgent, ID: 1, Locale: "en"},
	} {
		out, err := fx.cat.Run(t.Context(), OrderStatus, by, map[string]string{"order": "DS-1"})
		if err != nil {
			t.Fatal(err)
		}
		if out.OK || !out.Handover || out.Log.State != desk.ActionFailed ||
			out.Message != "Our order system cannot be reached right now, so I cannot arrange this at the moment. Shall I put you through to a colleague?" {
			t.Errorf("%s: outcome = %+v", by.Kind, out)
		}
	}
}

// orderFlow asks for an order number and checks its status.
const orderFlow = `{
  "start": "order",
  "steps": [
    {"id": "order", "kind": "input", "text": "What is your order number?", "pattern": "DS-[0-9]+", "var": "order", "next": "check"},
    {"id": "check", "kind": "action", "action": "order_status", "params": {"order": "{{order}}"}, "ok": "done", "fail": "agent"},
    {"id": "done", "kind": "end", "outcome": "solved"},
    {"id": "agent", "kind": "end", "outcome": "handover"}
  ]
}`

func TestFlowStep(t *testing.T) {
	fx := newFixture(t, nil)
	ctx := t.Context()
	svc := flow.New(fx.st, desk.ClockFunc(func() time.Time { return now }), flow.Options{Actions: fx.cat})
	f, err := svc.Create(ctx, flow.Input{Locale: "en", Title: "Where is my order?", Definition: orderFlow})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, &desk.Agent{ID: 1}, f.ID); err != nil {
		t.Fatal(err)
	}
	unknown := strings.Replace(orderFlow, `"order_status"`, `"launch_rocket"`, 1)
	g, err := svc.Create(ctx, flow.Input{Locale: "en", Title: "Rocket", Definition: unknown})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Publish(ctx, &desk.Agent{ID: 1}, g.ID); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("publishing an unknown action: %v, want ErrInvalid", err)
	}

	tests := []struct {
		name        string
		conv        int64
		answer      string
		wantOutcome desk.FlowOutcome
		wantText    string
	}{
		{"own order in a conversation", fx.conv.ID, "my order is DS-3", desk.FlowSolved, "Order DS-3 is on its way with PostNL."},
		{"someone else's order", fx.conv.ID, "DS-9", desk.FlowHandover, "I cannot find order DS-9"},
		{"help center, unknown visitor", 0, "DS-3", desk.FlowHandover, "Shall I put you through"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := desk.SourceBot
			if tc.conv == 0 {
				src = desk.SourceHelpCenter
			}
			key := "v" + string(rune('a'+i))
			run, _, err := svc.StartRun(ctx, flow.RunInput{FlowID: f.ID, Source: src, ConversationID: tc.conv, VisitorKey: key})
			if err != nil {
				t.Fatal(err)
			}
			run, v, err := svc.AnswerRun(ctx, run.ID, tc.answer, key)
			if err != nil {
				t.Fatal(err)
			}
			if v.Outcome != tc.wantOutcome || !strings.Contains(strings.Join(v.Messages, "\n"), tc.wantText) {
				t.Errorf("view = %+v, want outcome %s with %q", v, tc.wantOutcome, tc.wantText)
			}
			if run.Outcome != tc.wantOutcome {
				t.Errorf("run outcome %s, want %s", run.Outcome, tc.wantOutcome)
			}
		})
	}
}

// emailShop is an order system that knows its customers by email address,
// as most shops do: the orders of whoever has the contact's address.
type emailShop struct {
	commerce.Connector
	st *sqlite.Store
}

func (s emailShop) OrdersOf(ctx context.Context, c desk.Contact) ([]desk.Order, error) {
	if c.Email == "" {
		return nil, nil
	}
	owners, err := s.st.ContactsWithEmail(ctx, c.Email)
	if err != nil {
		return nil, err
	}
	var out []desk.Order
	for _, o := range owners {
		if o.ID == c.ID {
			continue // the shop does not know balie's visitor contact
		}
		os, err := s.st.OrdersOfContact(ctx, o.ID, 50)
		if err != nil {
			return nil, err
		}
		out = append(out, os...)
	}
	return out, nil
}

func TestClaimedEmailGivesNoOrders(t *testing.T) {
	fx := newFixture(t, func(st *sqlite.Store) commerce.Connector {
		return emailShop{Connector: commerce.NewBuiltin(st, nil, commerce.BuiltinOptions{}), st: st}
	})
	ctx := t.Context()
	// Mallory typed Jan's address into the web chat's details form: it is
	// on her profile, but no verified identity of hers backs it.
	mallory := &desk.Contact{Name: "Mallory", Email: fx.jan.Email}
	if err := fx.st.CreateContact(ctx, mallory); err != nil {
		t.Fatal(err)
	}
	// Piet proved his address (a verified identity).
	piet := &desk.Contact{Name: "Piet", Email: "piet@example.nl"}
	if err := fx.st.CreateContact(ctx, piet); err != nil {
		t.Fatal(err)
	}
	if err := fx.st.AddIdentity(ctx, &desk.Identity{ContactID: piet.ID, Kind: desk.IdentityEmail,
		Value: "piet@example.nl", Verified: true}); err != nil {
		t.Fatal(err)
	}
	if err := fx.st.PutOrder(ctx, &desk.Order{ContactID: fx.jan.ID, Number: "DS-10", Status: desk.OrderPaid,
		Currency: "EUR", TotalCents: 100, Address: desk.Address{Street: "Kade 1", PostalCode: "1011 AA", City: "Amsterdam"},
		PlacedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	pietsOrder := &desk.Order{ContactID: 0, Number: "DS-11", Status: desk.OrderPaid, Currency: "EUR", TotalCents: 100,
		Address: desk.Address{Street: "Kade 2", PostalCode: "1011 AB", City: "Amsterdam"}, PlacedAt: now, UpdatedAt: now}
	// The shop files Piet's order under a second profile with his address.
	shopPiet := &desk.Contact{Name: "Piet (shop)", Email: "piet@example.nl"}
	if err := fx.st.CreateContact(ctx, shopPiet); err != nil {
		t.Fatal(err)
	}
	pietsOrder.ContactID = shopPiet.ID
	if err := fx.st.PutOrder(ctx, pietsOrder); err != nil {
		t.Fatal(err)
	}
	got, err := fx.st.ContactByID(ctx, piet.ID)
	if err != nil || len(got.Identities) == 0 || !got.Identities[0].Verified {
		t.Fatalf("Piet = %+v, %v; want him with his verified address", got, err)
	}

	tests := []struct {
		name    string
		by      Actor
		action  string
		in      map[string]string
		wantOK  bool
		wantErr string
	}{
		{"bot cannot cancel the claimed address's order", Actor{Kind: desk.ActorBot, ContactID: mallory.ID},
			CancelOrder, map[string]string{"order": "DS-10"}, false, "not among"},
		{"bot cannot read the claimed address's order", Actor{Kind: desk.ActorBot, ContactID: mallory.ID},
			OrderStatus, map[string]string{"order": "DS-10"}, false, "not among"},
		{"with the postal code the status is anyone's", Actor{Kind: desk.ActorBot, ContactID: mallory.ID},
			OrderStatus, map[string]string{"order": "DS-10", "postal_code": "1011aa"}, true, ""},
		{"a verified address finds its orders", Actor{Kind: desk.ActorBot, ContactID: piet.ID},
			CancelOrder, map[string]string{"order": "DS-11"}, true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := fx.cat.Run(ctx, tc.action, tc.by, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if out.OK != tc.wantOK || !strings.Contains(out.Log.Error, tc.wantErr) {
				t.Errorf("ok %v, error %q; want ok %v, error containing %q", out.OK, out.Log.Error, tc.wantOK, tc.wantErr)
			}
		})
	}
	if got := fx.status(t, "DS-10"); got != desk.OrderPaid {
		t.Errorf("Jan's order is %s, want it still paid", got)
	}

	// The lists the portal and the widget show follow the same rule.
	for _, tc := range []struct {
		name    string
		contact int64
		want    []string
	}{
		{"a claimed address lists nothing", mallory.ID, nil},
		{"a verified address lists its orders", piet.ID, []string{"DS-11"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os, err := fx.cat.OrdersOf(ctx, tc.contact)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range os {
				got = append(got, o.Number)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("orders = %v, want %v", got, tc.want)
			}
		})
	}
}

// countingShop counts cancellations and holds each one until released, so
// that concurrent approvals overlap inside the order system call. Should
// every agent get in (approvals that do not exclude each other), all are let
// through at once, so that the test fails instead of hanging.
type countingShop struct {
	commerce.Connector
	cancels      *atomic.Int32
	release, all chan struct{}
	agents       int32
}

func (s countingShop) Cancel(ctx context.Context, number string) (*desk.Order, error) {
	if s.cancels.Add(1) == s.agents {
		close(s.all)
	}
	select {
	case <-s.release:
	case <-s.all:
	}
	return s.Connector.Cancel(ctx, number)
}

func TestConcurrentApprovalsRunOnce(t *testing.T) {
	// Five agents press "approve" at once; one carries it out, the others
	// hear it is no longer pending.
	const agents = 5
	var cancels atomic.Int32
	release := make(chan struct{})
	fx := newFixture(t, func(st *sqlite.Store) commerce.Connector {
		return countingShop{Connector: commerce.NewBuiltin(st, nil, commerce.BuiltinOptions{}), cancels: &cancels,
			release: release, all: make(chan struct{}), agents: agents}
	})
	ctx := t.Context()
	bot := Actor{Kind: desk.ActorBot, ContactID: fx.sanne.ID, ConversationID: fx.conv.ID, Locale: "nl"}
	cancel, err := fx.cat.Run(ctx, CancelOrder, bot, map[string]string{"order": "DS-3"})
	if err != nil || !cancel.Pending {
		t.Fatalf("cancel = %+v, %v; want pending", cancel, err)
	}

	type result struct {
		out *Outcome
		err error
	}
	results := make(chan result, agents)
	for i := range agents {
		go func() {
			out, err := fx.cat.Decide(ctx, cancel.Log.ID, int64(10+i), true, "nl")
			results <- result{out, err}
		}()
	}
	var won, refused int
	for range agents - 1 {
		r := <-results // the losers return while the winner waits in Cancel
		if !errors.Is(r.err, desk.ErrConflict) {
			t.Fatalf("a losing approval: %+v, %v; want ErrConflict", r.out, r.err)
		}
		refused++
	}
	close(release)
	if r := <-results; r.err != nil || !r.out.OK || r.out.Log.State != desk.ActionApproved {
		t.Fatalf("the winning approval: %+v, %v", r.out, r.err)
	}
	won++
	if n := cancels.Load(); n != 1 || won != 1 || refused != agents-1 {
		t.Errorf("order system cancelled %d times (won %d, refused %d), want once", n, won, refused)
	}
	if got := fx.status(t, "DS-3"); got != desk.OrderCancelled {
		t.Errorf("DS-3 is %s, want cancelled", got)
	}
}

func TestStalledApprovalIsTakenOver(t *testing.T) {
	fx := newFixture(t, nil)
	ctx := t.Context()
	bot := Actor{Kind: desk.ActorBot, ContactID: fx.sanne.ID, ConversationID: fx.conv.ID, Locale: "nl"}
	cancel, err := fx.cat.Run(ctx, CancelOrder, bot, map[string]string{"order": "DS-3"})
	if err != nil || !cancel.Pending {
		t.Fatalf("cancel = %+v, %v; want pending", cancel, err)
	}
	tests := []struct {
		name      string
		claimedAt time.Time
		approve   bool
		wantErr   error
	}{
		// An approver that is still at work is not overtaken, nor rejected.
		{"fresh claim, approve", now.Add(-ClaimTimeout + time.Second), true, desk.ErrConflict},
		{"stalled claim, reject", now.Add(-ClaimTimeout - time.Second), false, desk.ErrConflict},
		// One that crashed long ago is.
		{"stalled claim, approve", now.Add(-ClaimTimeout - time.Second), true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claim := &desk.ActionLog{ID: cancel.Log.ID, DecidedBy: 3, DecidedAt: tc.claimedAt}
			if err := fx.st.ClaimActionLog(ctx, claim, now); err != nil { // whatever claim came before
				t.Fatalf("ClaimActionLog: %v", err)
			}
			out, err := fx.cat.Decide(ctx, cancel.Log.ID, 4, tc.approve, "nl")
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Decide = %+v, %v; want %v", out, err, tc.wantErr)
			}
			if tc.wantErr == nil && (out.Log.State != desk.ActionApproved || out.Log.DecidedBy != 4) {
				t.Errorf("taken over: %+v, want approved by 4", out.Log)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	tests := []struct {
		locale string
		err    error
		want   string
	}{
		{"nl", desk.Invalid("order", "required"), "Dat klopt nog niet helemaal: vul het bestelnummer in."},
		{"nl", desk.Invalid("phone", "not a phone number"), "Dat klopt nog niet helemaal: het telefoonnummer is geen telefoonnummer."},
		{"en", desk.Invalid("email", "not an email address"), "That is not quite right yet: the email address is not an email address."},
		{"en", desk.Invalid("reason", "at most 300 characters"), "That is not quite right yet: the reason is too long."},
		{"nl", desk.Invalid("", "give a name, email or phone"), "Dat klopt nog niet helemaal: vul een naam, e-mailadres of telefoonnummer in."},
		{"nl", desk.Invalid("zodiac", "unknown field"), "Dat klopt nog niet helemaal: een veld klopt niet."},
		{"en", errors.New("boom"), "That did not work."},
	}
	for _, tc := range tests {
		t.Run(tc.locale+" "+tc.err.Error(), func(t *testing.T) {
			if got := Explain(tc.locale, tc.err); got != tc.want {
				t.Errorf("Explain = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestCustomerOrdersByProvenAddress: a customer who changed the address
// on their profile is still asked about by the address they proved; and a
// logged-in customer cannot use the postal-code route to others' orders.
func TestCustomerOrdersByProvenAddress(t *testing.T) {
	fx := newFixture(t, func(st *sqlite.Store) commerce.Connector {
		return emailShop{Connector: commerce.NewBuiltin(st, nil, commerce.BuiltinOptions{}), st: st}
	})
	ctx := t.Context()
	// The shop files DS-9 under jan@example.nl (the fixture's Jan). Jan's
	// balie profile proved that address, then he typed a new one.
	jan := &desk.Contact{Name: "Jan", Email: "jan@nieuw.example"}
	if err := fx.st.CreateContact(ctx, jan); err != nil {
		t.Fatal(err)
	}
	if err := fx.st.AddIdentity(ctx, &desk.Identity{ContactID: jan.ID, Kind: desk.IdentityEmail,
		Value: "jan@example.nl", Verified: true}); err != nil {
		t.Fatal(err)
	}
	os, err := fx.cat.OrdersOf(ctx, jan.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(os) != 1 || os[0].Number != "DS-9" {
		t.Errorf("orders = %+v, want DS-9 by the proven address", os)
	}

	// Sanne, logged in, tries DS-9 with its postal code: not hers.
	sanne := Actor{Kind: desk.ActorCustomer, ID: fx.sanne.ID, ContactID: fx.sanne.ID, Locale: "en"}
	out, err := fx.cat.Run(ctx, OrderStatus, sanne, map[string]string{"order": "DS-9", "postal_code": "3511 AR"})
	if err != nil {
		t.Fatal(err)
	}
	if out.OK {
		t.Errorf("a customer read another's order by its postal code: %q", out.Message)
	}
	// The bot for a chat visitor still may.
	bot := Actor{Kind: desk.ActorBot, ContactID: fx.sanne.ID, Locale: "en"}
	if out, err := fx.cat.Run(ctx, OrderStatus, bot, map[string]string{"order": "DS-9", "postal_code": "3511 AR"}); err != nil || !out.OK {
		t.Errorf("bot with the postal code = %+v, %v; want the status", out, err)
	}
}

// TestBotDoesNotTrustAnUnprovenSender: mail that failed DMARC, or an
// address typed into a form, lands on the contact it names; the bot then
// acts as for a visitor it does not know.
func TestBotDoesNotTrustAnUnprovenSender(t *testing.T) {
	tests := []struct {
		name   string
		meta   map[string]string
		wantOK bool
	}{
		{"mail that passed DMARC", map[string]string{desk.MetaEmailAuth: "spf=pass dkim=pass dmarc=pass; mx.example"}, true},
		{"mail that failed DMARC", map[string]string{desk.MetaEmailAuth: "spf=fail dkim=none dmarc=fail; mx.example"}, false},
		{"an address typed into a form", map[string]string{desk.MetaSenderUnverified: desk.SenderFromForm}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, nil)
			ctx := t.Context()
			in := &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mail"}
			if err := fx.st.CreateInbox(ctx, in); err != nil {
				t.Fatal(err)
			}
			cv := &desk.Conversation{InboxID: in.ID, Channel: in.Channel, ContactID: fx.sanne.ID, Status: desk.StatusOpen,
				Priority: desk.PriorityNone, Language: "en", LastActivityAt: now, CreatedAt: now, UpdatedAt: now}
			if err := fx.st.CreateConversation(ctx, cv); err != nil {
				t.Fatal(err)
			}
			if err := fx.st.CreateMessage(ctx, &desk.Message{ConversationID: cv.ID, Sender: desk.SenderContact,
				Kind: desk.KindMessage, Body: "Cancel DS-1 please", Meta: tc.meta, CreatedAt: now}); err != nil {
				t.Fatal(err)
			}
			res, err := fx.cat.RunAction(ctx, CancelOrder, map[string]string{"order": "DS-1"}, &desk.FlowRun{ConversationID: cv.ID})
			if err != nil {
				t.Fatal(err)
			}
			if res.OK != tc.wantOK {
				t.Errorf("cancel ok = %v (%q), want %v", res.OK, res.Message, tc.wantOK)
			}
			want := desk.OrderPlaced
			if tc.wantOK {
				want = desk.OrderCancelled
			}
			if got := fx.status(t, "DS-1"); got != want {
				t.Errorf("DS-1 is %s, want %s", got, want)
			}
		})
	}
}
