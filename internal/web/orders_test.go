package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/bus"
	"github.com/balie-dev/balie/internal/commerce"
	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/conversation"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/selfservice"
	"github.com/balie-dev/balie/internal/store/sqlite"
	"github.com/balie-dev/balie/internal/web"
)

// ordersEnv is the conversation page of a customer with orders, on a real
// SQLite store and the built-in order system.
type ordersEnv struct {
	identityEnv
	cat  *selfservice.Catalogue
	conv *desk.Conversation
}

func newOrdersEnv(t *testing.T, conn func(st desk.Store) commerce.Connector) *ordersEnv {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	clock := desk.SystemClock{}
	log := slog.New(slog.DiscardHandler)
	e := &ordersEnv{identityEnv: identityEnv{st: st}}
	e.agent = &desk.Agent{Email: "anna@example.nl", Name: "Anna", Role: desk.RoleAgent, Locale: "en"}
	if err := st.CreateAgent(ctx, e.agent); err != nil {
		t.Fatal(err)
	}
	e.email = &desk.Inbox{Name: "Mail", Channel: desk.ChannelEmail, PublicKey: "mail", Settings: map[string]string{}}
	if err := st.CreateInbox(ctx, e.email); err != nil {
		t.Fatal(err)
	}
	e.convs = conversation.New(st, bus.NewLocal(0), clock, log, conversation.Options{})
	e.conv = e.ingest(t, desk.Inbound{InboxID: e.email.ID, From: desk.Identity{Kind: desk.IdentityEmail, Value: "sanne@example.nl"},
		FromName: "Sanne", Body: "Waar blijft mijn fiets?", At: time.Now()})
	placed := time.Now().Add(-48 * time.Hour)
	for _, o := range []struct {
		number string
		status desk.OrderStatus
	}{{"DS-2026-1187", desk.OrderShipped}, {"DS-2026-1190", desk.OrderPaid}, {"DS-2026-1001", desk.OrderDelivered}} {
		if err := st.PutOrder(ctx, &desk.Order{ContactID: e.conv.ContactID, Number: o.number, Status: o.status,
			Currency: "EUR", TotalCents: 94890, Carrier: "PostNL", TrackingURL: "https://track.example/" + o.number,
			Address:  desk.Address{Street: "Oudegracht 12", PostalCode: "3511 AR", City: "Utrecht", Country: "NL"},
			PlacedAt: placed, UpdatedAt: placed}); err != nil {
			t.Fatal(err)
		}
	}
	var c commerce.Connector = commerce.NewBuiltin(st, clock, commerce.BuiltinOptions{})
	if conn != nil {
		c = conn(st)
	}
	e.cat = selfservice.New(st, c, clock)
	h, err := web.New(web.Deps{Store: st, Conversations: e.convs, Contacts: contact.New(st, clock),
		Auth: auth.New(st, clock, auth.Options{}), Clock: clock, Logger: log, Commerce: e.cat})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	e.mux = http.NewServeMux()
	h.Routes(e.mux)
	return e
}

func (e *ordersEnv) convPage(t *testing.T) string {
	t.Helper()
	w := e.do(t, http.MethodGet, "/app/conversations/"+strconv.FormatInt(e.conv.ID, 10), nil)
	if w.Code != http.StatusOK {
		t.Fatalf("conversation page: status %d\n%s", w.Code, w.Body)
	}
	return w.Body.String()
}

// orderBlock is the panel's part for one order.
func orderBlock(t *testing.T, page, number string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `data-number="`+number+`"`)
	if !ok {
		t.Fatalf("order %s not on the page", number)
	}
	block, _, _ := strings.Cut(rest, "</li>\n<li")
	return block
}

func TestOrdersPanel(t *testing.T) {
	e := newOrdersEnv(t, nil)
	page := e.convPage(t)
	if got := strings.Count(page, `data-testid="order"`); got != 3 {
		t.Fatalf("orders shown = %d, want 3", got)
	}
	tests := []struct {
		number string
		has    []string
		hasNot []string
	}{
		{"DS-2026-1187", []string{"Shipped", "€ 948,90", "https://track.example/DS-2026-1187", `data-testid="action-cancel"`},
			[]string{`data-testid="action-address"`, `data-testid="action-return"`}},
		{"DS-2026-1190", []string{"Paid", `data-testid="action-address"`, `data-testid="action-cancel"`},
			[]string{`data-testid="action-return"`}},
		{"DS-2026-1001", []string{"Delivered", `data-testid="action-return"`, `data-testid="action-invoice"`},
			[]string{`data-testid="action-cancel"`, `data-testid="action-address"`}},
	}
	for _, tc := range tests {
		t.Run(tc.number, func(t *testing.T) {
			b := orderBlock(t, page, tc.number)
			for _, s := range tc.has {
				if !strings.Contains(b, s) {
					t.Errorf("order block lacks %q", s)
				}
			}
			for _, s := range tc.hasNot {
				if strings.Contains(b, s) {
					t.Errorf("order block has %q", s)
				}
			}
		})
	}
}

func TestOrderActionButtons(t *testing.T) {
	tests := []struct {
		name       string
		action     string
		form       url.Values
		order      string
		wantStatus desk.OrderStatus
		wantNote   string
		wantFlash  string
	}{
		{"status", "order_status", url.Values{"order": {"DS-2026-1187"}}, "DS-2026-1187", desk.OrderShipped,
			"is on its way with PostNL", "Done"},
		{"cancel after shipping, as an agent", "cancel_order", url.Values{"order": {"DS-2026-1187"}}, "DS-2026-1187",
			desk.OrderCancelled, "has been cancelled", "Done"},
		{"change address", "change_address", url.Values{"order": {"DS-2026-1190"}, "street": {"Markt 3"},
			"postal_code": {"5611eb"}, "city": {"Eindhoven"}}, "DS-2026-1190", desk.OrderPaid, "Markt 3, 5611 EB Eindhoven", "Done"},
		{"return", "start_return", url.Values{"order": {"DS-2026-1001"}, "reason": {"too small"}}, "DS-2026-1001",
			desk.OrderReturned, "/returns/DS-2026-1001/label", "Done"},
		{"no invoice", "invoice", url.Values{"order": {"DS-2026-1001"}}, "DS-2026-1001", desk.OrderDelivered,
			"There is no invoice for order DS-2026-1001 yet.", "did not work"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newOrdersEnv(t, nil)
			w := e.do(t, http.MethodPost, "/app/conversations/"+strconv.FormatInt(e.conv.ID, 10)+"/actions/"+tc.action, tc.form)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("status %d, want 303\n%s", w.Code, w.Body)
			}
			o, err := e.st.OrderByNumber(t.Context(), tc.order)
			if err != nil || o.Status != tc.wantStatus {
				t.Errorf("order = %+v, %v; want status %s", o, err, tc.wantStatus)
			}
			msgs, _ := e.st.ListMessages(t.Context(), e.conv.ID, 0, 50)
			last := msgs[len(msgs)-1]
			if last.Kind != desk.KindNote || !strings.Contains(last.Body, tc.wantNote) {
				t.Errorf("last message = %s %q, want a note with %q", last.Kind, last.Body, tc.wantNote)
			}
			logs, _ := e.cat.Log(t.Context(), desk.ActionLogQuery{ConversationID: e.conv.ID})
			if len(logs) != 1 || logs[0].ActorKind != desk.ActorAgent || logs[0].ActorID != e.agent.ID || logs[0].Action != tc.action {
				t.Errorf("audit = %+v, want one record by the agent", logs)
			}
		})
	}
	t.Run("update the customer's details", func(t *testing.T) {
		e := newOrdersEnv(t, nil)
		page := e.convPage(t)
		if !strings.Contains(page, `data-testid="action-update-contact"`) || !strings.Contains(page, `value="Sanne"`) {
			t.Fatal("the panel offers no details form filled with the customer's name")
		}
		w := e.do(t, http.MethodPost, "/app/conversations/"+strconv.FormatInt(e.conv.ID, 10)+"/actions/update_contact",
			url.Values{"name": {"Sanne de Vries"}, "phone": {"+31 6 1234 5678"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("status %d, want 303\n%s", w.Code, w.Body)
		}
		c, err := e.st.ContactByID(t.Context(), e.conv.ContactID)
		if err != nil || c.Name != "Sanne de Vries" || c.Phone != "+31 6 1234 5678" || c.Email != "sanne@example.nl" {
			t.Errorf("contact = %+v, %v; want the new name and phone, the email kept", c, err)
		}
		msgs, _ := e.st.ListMessages(t.Context(), e.conv.ID, 0, 50)
		if last := msgs[len(msgs)-1]; last.Kind != desk.KindNote || !strings.Contains(last.Body, "Update details") {
			t.Errorf("last message = %s %q, want a note of the update", last.Kind, last.Body)
		}
		logs, _ := e.cat.Log(t.Context(), desk.ActionLogQuery{ContactID: e.conv.ContactID})
		if len(logs) != 1 || logs[0].Action != "update_contact" || logs[0].ActorID != e.agent.ID {
			t.Errorf("audit = %+v, want the agent's update_contact", logs)
		}
	})
	t.Run("bad input is a flash, not a note", func(t *testing.T) {
		e := newOrdersEnv(t, nil)
		w := e.do(t, http.MethodPost, "/app/conversations/"+strconv.FormatInt(e.conv.ID, 10)+"/actions/start_return",
			url.Values{"order": {"DS-2026-1001"}})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("status %d", w.Code)
		}
		msgs, _ := e.st.ListMessages(t.Context(), e.conv.ID, 0, 50)
		if last := msgs[len(msgs)-1]; last.Kind == desk.KindNote {
			t.Errorf("a note was posted: %q", last.Body)
		}
	})
}

func TestApprovalButtons(t *testing.T) {
	for _, tc := range []struct {
		decision   string
		wantStatus desk.OrderStatus
		wantState  desk.ActionState
		wantNote   string
	}{
		{"approve", desk.OrderCancelled, desk.ActionApproved, "Approved: Cancel · DS-2026-1187"},
		{"reject", desk.OrderShipped, desk.ActionRejected, "Rejected: Cancel · DS-2026-1187"},
	} {
		t.Run(tc.decision, func(t *testing.T) {
			e := newOrdersEnv(t, nil)
			// The bot asked to cancel a shipped order: it waits for an agent.
			out, err := e.cat.Run(t.Context(), selfservice.CancelOrder, selfservice.Actor{Kind: desk.ActorBot,
				ContactID: e.conv.ContactID, ConversationID: e.conv.ID}, map[string]string{"order": "DS-2026-1187"})
			if err != nil || !out.Pending {
				t.Fatalf("bot cancel = %+v, %v", out, err)
			}
			page := e.convPage(t)
			if !strings.Contains(page, `data-testid="approval" data-log="`+strconv.FormatInt(out.Log.ID, 10)+`"`) {
				t.Fatalf("pending approval not on the page")
			}
			target := "/app/conversations/" + strconv.FormatInt(e.conv.ID, 10) + "/approvals/" + strconv.FormatInt(out.Log.ID, 10)
			if w := e.do(t, http.MethodPost, target, url.Values{"decision": {tc.decision}}); w.Code != http.StatusSeeOther {
				t.Fatalf("status %d", w.Code)
			}
			o, _ := e.st.OrderByNumber(t.Context(), "DS-2026-1187")
			l, _ := e.st.ActionLogByID(t.Context(), out.Log.ID)
			if o.Status != tc.wantStatus || l.State != tc.wantState || l.DecidedBy != e.agent.ID {
				t.Errorf("order %s, record %s by %d; want %s, %s by %d", o.Status, l.State, l.DecidedBy, tc.wantStatus, tc.wantState, e.agent.ID)
			}
			msgs, _ := e.st.ListMessages(t.Context(), e.conv.ID, 0, 50)
			if last := msgs[len(msgs)-1]; last.Kind != desk.KindNote || !strings.HasPrefix(last.Body, tc.wantNote) {
				t.Errorf("last message %q, want a note starting %q", last.Body, tc.wantNote)
			}
			if strings.Contains(e.convPage(t), `data-testid="approval"`) {
				t.Errorf("the decided approval is still listed")
			}
		})
	}
}

// down is an order system that cannot be reached.
type down struct{ commerce.Connector }

func (down) OrdersOf(context.Context, desk.Contact) ([]desk.Order, error) {
	return nil, commerce.ErrUnavailable
}

func TestOrdersUnavailable(t *testing.T) {
	e := newOrdersEnv(t, func(st desk.Store) commerce.Connector {
		return down{commerce.NewBuiltin(st, nil, commerce.BuiltinOptions{})}
	})
	page := e.convPage(t)
	if !strings.Contains(page, `data-testid="orders-unavailable"`) || strings.Contains(page, `data-testid="order"`) {
		t.Errorf("an unreachable order system is not shown as unavailable")
	}
}
