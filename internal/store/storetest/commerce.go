package storetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// Commerce (desk/commerce.go): the built-in order store, subscriptions and
// the self-service actions' audit trail.
//
// Pinned down here: PutOrder and PutSubscription insert or replace by
// Number / Reference, keeping the stored ID; an unknown non-zero ContactID
// is ErrNotFound, an empty Number or Reference ErrInvalid; empty Items come
// back nil. OrdersOfContact is newest placed first (ties by ID, newest
// first) and includes the orders of contacts merged into the contact (not
// after an undo); contact 0 has none. DecideActionLog acts on pending
// records only: anything else is ErrConflict, a missing one ErrNotFound.
// ListActionLogs is newest first and filters by contact, conversation and
// state.

// commerceOf returns s as a CommerceStore, skipping a store that is not
// one (a wrapper embedding desk.Store before the contract held it).
func commerceOf(t *testing.T, s desk.Store) desk.CommerceStore {
	t.Helper()
	st, ok := s.(desk.CommerceStore)
	if !ok {
		t.Skipf("%T does not implement desk.CommerceStore", s)
	}
	return st
}

var commerceTests = []test{
	{"PutOrderReadBack", testPutOrderReadBack},
	{"PutOrderReplaces", testPutOrderReplaces},
	{"PutOrderErrors", testPutOrderErrors},
	{"OrdersOfContact", testOrdersOfContact},
	{"OrdersFollowMerge", testOrdersFollowMerge},
	{"Subscriptions", testSubscriptions},
	{"ActionLogs", testActionLogs},
	{"DecideActionLog", testDecideActionLog},
	{"ClaimActionLog", testClaimActionLog},
}

func sampleOrder(contactID int64, number string, placed int) *desk.Order {
	return &desk.Order{
		ContactID: contactID, Number: number, Status: desk.OrderShipped,
		Items: []desk.OrderItem{
			{SKU: "SP-CITY-7", Name: "Stadsfiets 7 versnellingen", Qty: 1, PriceCents: 89900},
			{SKU: "SP-LOCK", Name: "Kettingslot", Qty: 2, PriceCents: 2495},
		},
		Currency: "EUR", TotalCents: 94890,
		Address: desk.Address{Name: "Sanne de Vries", Street: "Oudegracht 12", PostalCode: "3511 AR", City: "Utrecht", Country: "NL"},
		Carrier: "PostNL", TrackingURL: "https://track.example/3SABC", InvoiceURL: "https://shop.example/invoice/" + number,
		PlacedAt: at(placed), UpdatedAt: at(placed + 60),
	}
}

func checkOrder(t *testing.T, got *desk.Order, want *desk.Order) {
	t.Helper()
	checkTime(t, "PlacedAt", got.PlacedAt, want.PlacedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	// Times are compared above, at the store's precision.
	g, w := *got, *want
	g.PlacedAt, g.UpdatedAt, w.PlacedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("order = %+v\nwant %+v", g, w)
	}
}

func testPutOrderReadBack(t *testing.T, s desk.Store) {
	cs := commerceOf(t, s)
	c := newContact(t, s, "Sanne de Vries", "sanne@example.nl", "")
	o := sampleOrder(c.ID, "DS-2026-1187", 0)
	must(t, cs.PutOrder(ctx(t), o), "PutOrder")
	if o.ID == 0 {
		t.Fatal("PutOrder left ID 0")
	}
	got, err := cs.OrderByNumber(ctx(t), "DS-2026-1187")
	must(t, err, "OrderByNumber")
	checkOrder(t, got, o)

	bare := &desk.Order{Number: "DS-2026-0001", Status: desk.OrderPlaced, Currency: "EUR"}
	must(t, cs.PutOrder(ctx(t), bare), "PutOrder bare")
	if bare.PlacedAt.IsZero() || bare.UpdatedAt.IsZero() {
		t.Errorf("PutOrder left zero times: placed %v, updated %v", bare.PlacedAt, bare.UpdatedAt)
	}
	got, err = cs.OrderByNumber(ctx(t), "DS-2026-0001")
	must(t, err, "OrderByNumber bare")
	if got.Items != nil || got.ContactID != 0 || got.Address != (desk.Address{}) {
		t.Errorf("bare order = %+v, want no items, contact 0, empty address", got)
	}
	checkOrder(t, got, bare)
}

func testPutOrderReplaces(t *testing.T, s desk.Store) {
	cs := commerceOf(t, s)
	c := newContact(t, s, "Sanne", "", "")
	o := sampleOrder(c.ID, "DS-1", 0)
	must(t, cs.PutOrder(ctx(t), o), "PutOrder")
	first := o.ID

	next := sampleOrder(c.ID, "DS-1", 0)
	next.Status, next.Items, next.TrackingURL = desk.OrderDelivered, nil, ""
	next.ReturnReason, next.ReturnLabelURL = "te klein", "https://label.example/DS-1"
	next.UpdatedAt = at(500)
	must(t, cs.PutOrder(ctx(t), next), "PutOrder again")
	if next.ID != first {
		t.Errorf("replaced order ID = %d, want the stored %d", next.ID, first)
	}
	got, err := cs.OrderByNumber(ctx(t), "DS-1")
	must(t, err, "OrderByNumber")
	checkOrder(t, got, next)
}

func testPutOrderErrors(t *testing.T, s desk.Store) {
	cs := commerceOf(t, s)
	tests := []struct {
		name string
		o    *desk.Order
		want error
	}{
		{"no number", &desk.Order{Status: desk.OrderPlaced}, desk.ErrInvalid},
		{"unknown contact", &desk.Order{ContactID: 4242, Number: "DS-X", Status: desk.OrderPlaced}, desk.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, cs.PutOrder(ctx(t), tc.o), tc.want, "PutOrder")
		})
	}
	_, err := cs.OrderByNumber(ctx(t), "DS-X")
	wantErr(t, err, desk.ErrNotFound, "OrderByNumber of a refused order")
	wantErr(t, cs.PutSubscription(ctx(t), &desk.Subscription{Plan: "x"}), desk.ErrInvalid, "PutSubscription without reference")
}

func orderNumbers(os []desk.Order) []string {
	out := make([]string, len(os))
	for i, o := range os {
		out[i] = o.Number
	}
	return out
}

func testOrdersOfContact(t *testing.T, s desk.Store) {
	cs := commerceOf(t, s)
	a := newContact(t, s, "A", "", "")
	b := newContact(t, s, "B", "", "")
	for _, o := range []*desk.Order{
		sampleOrder(a.ID, "A-old", 0), sampleOrder(a.ID, "A-new", 100), sampleOrder(a.ID, "A-tie1", 50),
		sampleOrder(a.ID, "A-tie2", 50), sampleOrder(b.ID, "B-1", 75), sampleOrder(0, "nobody", 80),
	} {
		must(t, cs.PutOrder(ctx(t), o), "PutOrder "+o.Number)
	}
	tests := []struct {
		name    string
		contact int64
		limit   int
		want    []string
	}{
		{"newest first, ties newest id first", a.ID, 0, []string{"A-new", "A-tie2", "A-tie1", "A-old"}},
		{"limit", a.ID, 2, []string{"A-new", "A-tie2"}},
		{"other contact", b.ID, 0, []string{"B-1"}},
		{"contact 0 has none", 0, 0, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cs.OrdersOfContact(ctx(t), tc.contact, tc.limit)
			must(t, err, "OrdersOfContact")
			if !sameStrings(orderNumbers(got), tc.want) {
				t.Errorf("orders = %v, want %v", orderNumbers(got), tc.want)
			}
		})
	}
}

func testOrdersFollowMerge(t *testing.T, s desk.Store) {
	cs := commerceOf(t, s)
	ids := identityOf(t, s)
	kept := newContact(t, s, "Kept", "", "")
	merged := newContact(t, s, "Merged", "", "")
	earlier := newContact(t, s, "Earlier", "", "")
	must(t, cs.PutOrder(ctx(t), sampleOrder(kept.ID, "K-1", 10)), "PutOrder K-1")
	must(t, cs.PutOrder(ctx(t), sampleOrder(merged.ID, "M-1", 20)), "PutOrder M-1")
	must(t, cs.PutOrder(ctx(t), sampleOrder(earlier.ID, "E-1", 30)), "PutOrder E-1")
	must(t, cs.PutSubscription(ctx(t), &desk.Subscription{ContactID: earlier.ID, Reference: "SUB-E"}), "PutSubscription")
	// earlier into merged, then merged into kept: kept has all three.
	_, err := ids.MergeContacts(ctx(t), merged.ID, earlier.ID, 0, "")
	must(t, err, "MergeContacts earlier")
	m, err := ids.MergeContacts(ctx(t), kept.ID, merged.ID, 0, "")
	must(t, err, "MergeContacts merged")

	got, err := cs.OrdersOfContact(ctx(t), kept.ID, 0)
	must(t, err, "OrdersOfContact after merges")
	if want := []string{"E-1", "M-1", "K-1"}; !sameStrings(orderNumbers(got), want) {
		t.Errorf("orders after merges = %v, want %v", orderNumbers(got), want)
	}
	subs, err := cs.SubscriptionsOfContact(ctx(t), kept.ID)
	must(t, err, "SubscriptionsOfContact after merges")
	if len(subs) != 1 || subs[0].Reference != "SUB-E" {
		t.Errorf("subscriptions after merges = %+v, want SUB-E", subs)
	}

	_, err = ids.UndoMerge(ctx(t), m.ID, at(1000))
	must(t, err, "UndoMerge")
	got, err = cs.OrdersOfContact(ctx(t), kept.ID, 0)
	must(t, err, "OrdersOfContact after undo")
	if want := []string{"K-1"}; !sameStrings(orderNumbers(got), want) {
		t.Errorf("orders after undo = %v, want %v", orderNumbers(got), want)
	}
	got, err = cs.OrdersOfContact(ctx(t), merged.ID, 0)
	must(t, err, "OrdersOfContact of the restored contact")
	if want := []string{"E-1", "M-1"}; !sameStrings(orderNumbers(got), want) {
		t.Errorf("restored contact's orders = %v, want %v", orderNumbers(got), want)
	}
}

func testSubscriptions(t *testing.T, s desk.Store) {
	cs := commerceOf(t, s)
	c := newContact(t, s, "C", "", "")
	sub := &desk.Subscription{ContactID: c.ID, Reference: "LEASE-77", Plan: "Fietslease Plus", Status: "active",
		RenewsAt: at(60 * 24 * 30), UpdatedAt: at(0)}
	must(t, cs.PutSubscription(ctx(t), sub), "PutSubscription")
	first := sub.ID
	second := &desk.Subscription{ContactID: c.ID, Reference: "SERVICE-1", Plan: "Onderhoud", Status: "paused"}
	must(t, cs.PutSubscription(ctx(t), second), "PutSubscription second")
	sub.Status = "cancelled"
	sub.RenewsAt = time.Time{}
	must(t, cs.PutSubscription(ctx(t), sub), "PutSubscription replace")
	if sub.ID != first {
		t.Errorf("replaced subscription ID = %d, want %d", sub.ID, first)
	}
	got, err := cs.SubscriptionsOfContact(ctx(t), c.ID)
	must(t, err, "SubscriptionsOfContact")
	if len(got) != 2 {
		t.Fatalf("subscriptions = %d, want 2", len(got))
	}
	if got[0].Reference != "LEASE-77" || got[0].Status != "cancelled" || got[0].Plan != "Fietslease Plus" ||
		got[0].ContactID != c.ID {
		t.Errorf("first = %+v, want LEASE-77 cancelled", got[0])
	}
	checkTime(t, "RenewsAt", got[0].RenewsAt, time.Time{})
	checkTime(t, "UpdatedAt", got[0].UpdatedAt, at(0))
	if got[1].Reference != "SERVICE-1" {
		t.Errorf("second = %q, want SERVICE-1", got[1].Reference)
	}
	wantErr(t, cs.PutSubscription(ctx(t), &desk.Subscription{ContactID: 999, Reference: "X"}), desk.ErrNotFound,
		"PutSubscription of an unknown contact")
}

func testActionLogs(t *testing.T, s desk.Store) {
	cs := commerceOf(t, s)
	logs := []*desk.ActionLog{
		{Action: "order_status", ActorKind: desk.ActorBot, ContactID: 1, ConversationID: 10, OrderNumber: "DS-1",
			Input: `{"order":"DS-1"}`, Result: "Verzonden", State: desk.ActionDone, CreatedAt: at(0)},
		{Action: "cancel_order", ActorKind: desk.ActorCustomer, ActorID: 1, ContactID: 1, ConversationID: 11,
			OrderNumber: "DS-2", State: desk.ActionPending, CreatedAt: at(5)},
		{Action: "change_address", ActorKind: desk.ActorAgent, ActorID: 3, ContactID: 2, OrderNumber: "DS-3",
			Error: "already shipped", State: desk.ActionFailed, CreatedAt: at(10)},
	}
	for _, l := range logs {
		must(t, cs.CreateActionLog(ctx(t), l), "CreateActionLog "+l.Action)
	}
	got, err := cs.ActionLogByID(ctx(t), logs[0].ID)
	must(t, err, "ActionLogByID")
	if !reflect.DeepEqual(*got, func() desk.ActionLog { w := *logs[0]; w.CreatedAt = ms(w.CreatedAt); return w }()) {
		t.Errorf("log = %+v\nwant %+v", *got, *logs[0])
	}
	checkTime(t, "CreatedAt", got.CreatedAt, at(0))
	got, err = cs.ActionLogByID(ctx(t), logs[2].ID)
	must(t, err, "ActionLogByID without input")
	if got.Input != "{}" {
		t.Errorf("empty input = %q, want {}", got.Input)
	}
	_, err = cs.ActionLogByID(ctx(t), 9999)
	wantErr(t, err, desk.ErrNotFound, "ActionLogByID missing")

	tests := []struct {
		name string
		q    desk.ActionLogQuery
		want []int64
	}{
		{"all newest first", desk.ActionLogQuery{}, []int64{logs[2].ID, logs[1].ID, logs[0].ID}},
		{"contact", desk.ActionLogQuery{ContactID: 1}, []int64{logs[1].ID, logs[0].ID}},
		{"conversation", desk.ActionLogQuery{ConversationID: 10}, []int64{logs[0].ID}},
		{"pending", desk.ActionLogQuery{State: desk.ActionPending}, []int64{logs[1].ID}},
		{"limit", desk.ActionLogQuery{Limit: 1}, []int64{logs[2].ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cs.ListActionLogs(ctx(t), tc.q)
			must(t, err, "ListActionLogs")
			if ids := ids(got, func(l desk.ActionLog) int64 { return l.ID }); !sameIDs(ids, tc.want) {
				t.Errorf("logs = %v, want %v", ids, tc.want)
			}
		})
	}
}

func testDecideActionLog(t *testing.T, s desk.Store) {
	cs := commerceOf(t, s)
	l := &desk.ActionLog{Action: "cancel_order", ActorKind: desk.ActorBot, ContactID: 1, OrderNumber: "DS-2",
		State: desk.ActionPending, CreatedAt: at(0)}
	must(t, cs.CreateActionLog(ctx(t), l), "CreateActionLog")
	done := &desk.ActionLog{Action: "order_status", ActorKind: desk.ActorBot, State: desk.ActionDone}
	must(t, cs.CreateActionLog(ctx(t), done), "CreateActionLog done")

	decision := &desk.ActionLog{ID: l.ID, State: desk.ActionApproved, Result: "Geannuleerd", DecidedBy: 3,
		DecidedAt: at(30)}
	must(t, cs.DecideActionLog(ctx(t), decision), "DecideActionLog")
	got, err := cs.ActionLogByID(ctx(t), l.ID)
	must(t, err, "ActionLogByID")
	if got.State != desk.ActionApproved || got.Result != "Geannuleerd" || got.DecidedBy != 3 ||
		got.Action != "cancel_order" || got.OrderNumber != "DS-2" {
		t.Errorf("decided log = %+v, want approved by 3 with its action kept", got)
	}
	checkTime(t, "DecidedAt", got.DecidedAt, at(30))

	tests := []struct {
		name string
		id   int64
		want error
	}{
		{"decided twice", l.ID, desk.ErrConflict},
		{"not pending", done.ID, desk.ErrConflict},
		{"missing", 9999, desk.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := cs.DecideActionLog(ctx(t), &desk.ActionLog{ID: tc.id, State: desk.ActionRejected, DecidedBy: 4})
			wantErr(t, err, tc.want, "DecideActionLog")
			if errors.Is(tc.want, desk.ErrConflict) && errors.Is(err, desk.ErrNotFound) {
				t.Errorf("err = %v is also not found", err)
			}
		})
	}
	got, err = cs.ActionLogByID(ctx(t), l.ID)
	must(t, err, "ActionLogByID after refused decisions")
	if got.State != desk.ActionApproved || got.DecidedBy != 3 {
		t.Errorf("after refused decisions: state %s by %d, want approved by 3", got.State, got.DecidedBy)
	}
}

func testClaimActionLog(t *testing.T, s desk.Store) {
	cs := commerceOf(t, s)
	newPending := func() *desk.ActionLog {
		l := &desk.ActionLog{Action: "cancel_order", ActorKind: desk.ActorCustomer, ContactID: 1,
			OrderNumber: "DS-7", State: desk.ActionPending, CreatedAt: at(0)}
		must(t, cs.CreateActionLog(ctx(t), l), "CreateActionLog")
		return l
	}
	claim := func(id, agent int64, when, stale int) error {
		return cs.ClaimActionLog(ctx(t), &desk.ActionLog{ID: id, DecidedBy: agent, DecidedAt: at(when)}, at(stale))
	}
	decide := func(id, agent int64, state desk.ActionState) error {
		return cs.DecideActionLog(ctx(t), &desk.ActionLog{ID: id, State: state, DecidedBy: agent, DecidedAt: at(20)})
	}

	t.Run("one claim wins", func(t *testing.T) {
		l := newPending()
		must(t, claim(l.ID, 3, 10, 0), "first claim")
		wantErr(t, claim(l.ID, 4, 11, 0), desk.ErrConflict, "second claim")
		got, err := cs.ActionLogByID(ctx(t), l.ID)
		must(t, err, "ActionLogByID")
		if got.State != desk.ActionApproving || got.DecidedBy != 3 {
			t.Errorf("claimed: state %s by %d, want approving by 3", got.State, got.DecidedBy)
		}
		// Only the claimer decides it; a rejection by someone else is refused.
		wantErr(t, decide(l.ID, 4, desk.ActionRejected), desk.ErrConflict, "decide by another agent")
		must(t, decide(l.ID, 3, desk.ActionApproved), "decide by the claimer")
		got, err = cs.ActionLogByID(ctx(t), l.ID)
		must(t, err, "ActionLogByID")
		if got.State != desk.ActionApproved || got.DecidedBy != 3 {
			t.Errorf("decided: state %s by %d, want approved by 3", got.State, got.DecidedBy)
		}
		wantErr(t, claim(l.ID, 4, 30, 1000), desk.ErrConflict, "claim of a decided record")
	})
	t.Run("stale claim taken over", func(t *testing.T) {
		l := newPending()
		must(t, claim(l.ID, 3, 10, 0), "first claim")
		// Claimed at 10: not stale for a cut-off at 10, stale for 11.
		wantErr(t, claim(l.ID, 4, 40, 10), desk.ErrConflict, "claim of a fresh claim")
		must(t, claim(l.ID, 4, 40, 11), "claim of a stale claim")
		wantErr(t, decide(l.ID, 3, desk.ActionApproved), desk.ErrConflict, "decide by the first, stale claimer")
		must(t, decide(l.ID, 4, desk.ActionFailed), "decide by the new claimer")
	})
	t.Run("missing", func(t *testing.T) {
		err := claim(9999, 3, 10, 0)
		wantErr(t, err, desk.ErrNotFound, "claim of a missing record")
	})
	t.Run("concurrent claims", func(t *testing.T) {
		l := newPending()
		const n = 8
		errs := make(chan error, n)
		for i := range n {
			go func() { errs <- claim(l.ID, int64(10+i), 10, 0) }()
		}
		won := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				won++
			case !errors.Is(err, desk.ErrConflict):
				t.Errorf("claim: %v, want nil or ErrConflict", err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d concurrent claims won, want 1", won, n)
		}
	})
}
