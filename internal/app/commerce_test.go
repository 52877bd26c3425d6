package app

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/selfservice"
)

// TestCommerceAPI: the shop pushes orders, an agent reads a contact's
// orders and runs actions, and a pending action is approved, all through
// the API on every store.
func TestCommerceAPI(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		const X, A = desk.RoleAdmin, desk.RoleAgent
		order := map[string]any{"number": "ds-2026-1187", "email": "sanne@example.nl", "name": "Sanne de Vries",
			"status": "shipped", "currency": "EUR", "total_cents": 94890, "carrier": "PostNL",
			"items":   []map[string]any{{"sku": "SP-CITY-7", "name": "Stadsfiets", "qty": 1, "price_cents": 94890}},
			"address": map[string]any{"street": "Oudegracht 12", "postal_code": "3511AR", "city": "Utrecht", "country": "NL"}}
		got := e.must(X, "POST", "/api/v1/orders", order, http.StatusCreated)
		contactID := num(got["contact_id"])
		if got["number"] != "DS-2026-1187" || contactID == 0 {
			t.Fatalf("pushed order = %v, want DS-2026-1187 linked to a new contact", got)
		}
		e.must(X, "PUT", "/api/v1/orders/DS-2026-1190", map[string]any{"email": "sanne@example.nl", "status": "paid",
			"total_cents": 1999, "address": map[string]any{"street": "Oudegracht 12", "postal_code": "3511 AR", "city": "Utrecht"}},
			http.StatusCreated)
		e.must(X, "PUT", "/api/v1/orders/DS-2026-1190", map[string]any{"status": "paid", "total_cents": 2999,
			"address": map[string]any{"street": "Oudegracht 12", "postal_code": "3511 AR", "city": "Utrecht"}}, http.StatusOK)

		for _, tc := range []struct {
			name   string
			role   desk.Role
			method string
			path   string
			body   any
			want   int
		}{
			{"an agent cannot push", A, "POST", "/api/v1/orders", order, http.StatusForbidden},
			{"number differs from the path", X, "PUT", "/api/v1/orders/DS-1", map[string]any{"number": "DS-2", "status": "paid"}, http.StatusUnprocessableEntity},
			{"bad status", X, "POST", "/api/v1/orders", map[string]any{"number": "DS-3", "status": "lost"}, http.StatusUnprocessableEntity},
			{"unknown field", X, "POST", "/api/v1/orders", map[string]any{"number": "DS-3", "status": "paid", "x": 1}, http.StatusBadRequest},
			{"unknown action", A, "POST", "/api/v1/actions/explode", map[string]any{"input": map[string]string{}}, http.StatusNotFound},
			{"bad input", A, "POST", "/api/v1/actions/start_return", map[string]any{"input": map[string]string{"order": "DS-2026-1187"}}, http.StatusUnprocessableEntity},
			{"anonymous", "", "GET", "/api/v1/actions/log", nil, http.StatusUnauthorized},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if r := e.do(tc.role, tc.method, tc.path, tc.body); r.status != tc.want {
					t.Errorf("status %d, want %d: %s", r.status, tc.want, r.body)
				}
			})
		}

		list := e.must(A, "GET", "/api/v1/contacts/"+strconv.FormatInt(contactID, 10)+"/orders", nil, http.StatusOK)
		items, _ := list["items"].([]any)
		if list["available"] != true || len(items) != 2 {
			t.Fatalf("orders = %v, want two, available", list)
		}

		out := e.must(A, "POST", "/api/v1/actions/order_status", map[string]any{"contact_id": contactID,
			"input": map[string]string{"order": "DS-2026-1187"}}, http.StatusOK)
		if out["ok"] != true || !strings.Contains(out["message"].(string), "on its way with PostNL") {
			t.Errorf("order status = %v", out)
		}
		out = e.must(A, "POST", "/api/v1/actions/change_address", map[string]any{"contact_id": contactID,
			"input": map[string]string{"order": "DS-2026-1187", "street": "Markt 3", "postal_code": "5611 EB", "city": "Eindhoven"}},
			http.StatusOK)
		if out["ok"] != false || out["handover"] != true || out["log"].(map[string]any)["state"] != "failed" {
			t.Errorf("change address after shipping = %v, want failed with a hand-over", out)
		}

		// A pending action (the bot's) is approved through the API.
		pending, err := e.app.Actions.Run(t.Context(), "cancel_order", selfserviceBot(contactID), map[string]string{"order": "DS-2026-1187"})
		if err != nil || !pending.Pending {
			t.Fatalf("bot cancel = %+v, %v", pending, err)
		}
		log := e.must(A, "GET", "/api/v1/actions/log?state=pending", nil, http.StatusOK)
		if items, _ := log["items"].([]any); len(items) != 1 {
			t.Fatalf("pending log = %v, want one", log)
		}
		path := "/api/v1/actions/log/" + strconv.FormatInt(pending.Log.ID, 10) + "/decision"
		out = e.must(A, "POST", path, map[string]any{"approve": true}, http.StatusOK)
		if out["ok"] != true || out["log"].(map[string]any)["state"] != "approved" {
			t.Errorf("approve = %v", out)
		}
		e.must(A, "POST", path, map[string]any{"approve": false}, http.StatusConflict)
		o := e.must(A, "GET", "/api/v1/contacts/"+strconv.FormatInt(contactID, 10)+"/orders", nil, http.StatusOK)
		status := map[any]any{}
		for _, it := range o["items"].([]any) {
			status[it.(map[string]any)["number"]] = it.(map[string]any)["status"]
		}
		if status["DS-2026-1187"] != "cancelled" || status["DS-2026-1190"] != "paid" {
			t.Errorf("after approval: %v, want DS-2026-1187 cancelled", status)
		}
		all := e.must(A, "GET", "/api/v1/actions/log?contact_id="+strconv.FormatInt(contactID, 10), nil, http.StatusOK)
		if items, _ := all["items"].([]any); len(items) != 3 {
			t.Errorf("audit trail has %d records, want 3 (status, address, cancel)", len(items))
		}
	})
}

func selfserviceBot(contactID int64) selfservice.Actor {
	return selfservice.Actor{Kind: desk.ActorBot, ContactID: contactID, Locale: "en"}
}
