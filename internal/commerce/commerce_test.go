package commerce

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/store/sqlite"
	"github.com/balie-dev/balie/internal/webhooksig"
)

var now = time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)

func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "balie.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func putOrder(t *testing.T, st *sqlite.Store, contactID int64, number string, status desk.OrderStatus) *desk.Order {
	t.Helper()
	o := &desk.Order{ContactID: contactID, Number: number, Status: status, Currency: "EUR", TotalCents: 89900,
		Address:    desk.Address{Name: "Sanne", Street: "Oudegracht 12", PostalCode: "3511 AR", City: "Utrecht", Country: "NL"},
		InvoiceURL: "https://despaak.example/invoice/" + number, PlacedAt: now.Add(-48 * time.Hour)}
	if err := st.PutOrder(t.Context(), o); err != nil {
		t.Fatalf("PutOrder: %v", err)
	}
	return o
}

func TestCheckAddress(t *testing.T) {
	tests := []struct {
		name      string
		in        desk.Address
		wantField string
		wantPC    string
	}{
		{"dutch, code without space", desk.Address{Street: "Kerkstraat 1", PostalCode: "1017gc", City: "Amsterdam"}, "", "1017 GC"},
		{"belgian", desk.Address{Street: "Meir 50", PostalCode: "2000", City: "Antwerpen", Country: "be"}, "", "2000"},
		{"no house number", desk.Address{Street: "Kerkstraat", PostalCode: "1017 GC", City: "Amsterdam"}, "street", ""},
		{"bad dutch code", desk.Address{Street: "Kerkstraat 1", PostalCode: "0123 AB", City: "Amsterdam"}, "postal_code", ""},
		{"no city", desk.Address{Street: "Kerkstraat 1", PostalCode: "1017 GC"}, "city", ""},
		{"bad country", desk.Address{Street: "Kerkstraat 1", PostalCode: "1017 GC", City: "A", Country: "NLD"}, "country", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckAddress(tc.in)
			var ve *desk.ValidationError
			switch {
			case tc.wantField == "" && err != nil:
				t.Fatalf("err = %v, want none", err)
			case tc.wantField != "" && (!errors.As(err, &ve) || ve.Field != tc.wantField):
				t.Fatalf("err = %v, want invalid %s", err, tc.wantField)
			case tc.wantField == "" && got.PostalCode != tc.wantPC:
				t.Errorf("postal code = %q, want %q", got.PostalCode, tc.wantPC)
			}
		})
	}
}

func TestBuiltinRules(t *testing.T) {
	tests := []struct {
		name   string
		status desk.OrderStatus
		do     func(b *Builtin, n string) error
		want   error
		after  desk.OrderStatus
	}{
		{"address before shipping", desk.OrderPaid, func(b *Builtin, n string) error {
			_, err := b.ChangeAddress(t.Context(), n, desk.Address{Street: "Markt 3", PostalCode: "5611 EB", City: "Eindhoven"})
			return err
		}, nil, desk.OrderPaid},
		{"address after shipping", desk.OrderShipped, func(b *Builtin, n string) error {
			_, err := b.ChangeAddress(t.Context(), n, desk.Address{Street: "Markt 3", PostalCode: "5611 EB", City: "Eindhoven"})
			return err
		}, desk.ErrConflict, desk.OrderShipped},
		{"bad address", desk.OrderPaid, func(b *Builtin, n string) error {
			_, err := b.ChangeAddress(t.Context(), n, desk.Address{Street: "Markt", PostalCode: "5611 EB", City: "Eindhoven"})
			return err
		}, desk.ErrInvalid, desk.OrderPaid},
		{"cancel shipped", desk.OrderShipped, func(b *Builtin, n string) error {
			_, err := b.Cancel(t.Context(), n)
			return err
		}, nil, desk.OrderCancelled},
		{"cancel delivered", desk.OrderDelivered, func(b *Builtin, n string) error {
			_, err := b.Cancel(t.Context(), n)
			return err
		}, desk.ErrConflict, desk.OrderDelivered},
		{"return delivered", desk.OrderDelivered, func(b *Builtin, n string) error {
			url, err := b.StartReturn(t.Context(), n, "te klein")
			if err == nil && url != "https://retour.example/DS-1/label" {
				t.Errorf("label = %q", url)
			}
			return err
		}, nil, desk.OrderReturned},
		{"return placed", desk.OrderPlaced, func(b *Builtin, n string) error {
			_, err := b.StartReturn(t.Context(), n, "te klein")
			return err
		}, desk.ErrConflict, desk.OrderPlaced},
		{"unknown order", desk.OrderPlaced, func(b *Builtin, n string) error {
			_, err := b.Cancel(t.Context(), "DS-404")
			return err
		}, desk.ErrNotFound, desk.OrderPlaced},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			putOrder(t, st, 0, "DS-1", tc.status)
			b := NewBuiltin(st, desk.ClockFunc(func() time.Time { return now }),
				BuiltinOptions{LabelURL: "https://retour.example/{number}/label"})
			err := tc.do(b, "ds-1")
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			o, err := st.OrderByNumber(t.Context(), "DS-1")
			if err != nil {
				t.Fatal(err)
			}
			if o.Status != tc.after {
				t.Errorf("status = %s, want %s", o.Status, tc.after)
			}
		})
	}
}

// shop is a fake company endpoint that checks balie's signature.
type shop struct {
	calls  atomic.Int32
	status int // answer status; 0: 200
	answer func(req Request) Answer
	badSig atomic.Int32
}

func (s *shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	if err := webhooksig.Verify(r.Header, "s3cret", body, time.Now(), 5*time.Minute); err != nil {
		s.badSig.Add(1)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req Request
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	if r.Header.Get(webhooksig.HeaderEvent) != "commerce."+req.Action {
		http.Error(w, "wrong event", http.StatusBadRequest)
		return
	}
	if s.status != 0 {
		w.WriteHeader(s.status)
		json.NewEncoder(w).Encode(Answer{Error: "order DS-1 has shipped"})
		return
	}
	json.NewEncoder(w).Encode(s.answer(req))
}

func shopOrder(number string, status desk.OrderStatus) OrderJSON {
	return OrderJSON{Number: number, Status: status, Currency: "EUR", TotalCents: 1000,
		Address: desk.Address{Street: "Markt 3", PostalCode: "5611 EB", City: "Eindhoven", Country: "NL"}}
}

func TestHTTPConnector(t *testing.T) {
	var clock atomic.Int64
	clock.Store(now.Unix())
	clk := desk.ClockFunc(func() time.Time { return time.Unix(clock.Load(), 0) })
	sh := &shop{answer: func(req Request) Answer {
		switch req.Action {
		case "orders_of":
			if req.Contact == nil || req.Contact.Email != "sanne@example.nl" {
				return Answer{}
			}
			return Answer{Orders: []OrderJSON{shopOrder("DS-1", desk.OrderShipped), shopOrder("DS-2", desk.OrderPaid)}}
		case "order":
			return Answer{Order: new(shopOrder(req.Number, desk.OrderShipped))}
		case "cancel":
			return Answer{Order: new(shopOrder(req.Number, desk.OrderCancelled))}
		case "start_return":
			return Answer{LabelURL: "https://labels.example/" + req.Number + "?reason=" + req.Reason}
		case "invoice":
			return Answer{InvoiceURL: "https://shop.example/invoice/" + req.Number + ".pdf"}
		}
		return Answer{}
	}}
	srv := httptest.NewServer(sh)
	defer srv.Close()
	// The signature is made at the connector's clock: keep it near now.
	clock.Store(time.Now().Unix())
	h, err := NewHTTP(HTTPOptions{URL: srv.URL, Secret: "s3cret", Clock: clk, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	contact := desk.Contact{ID: 7, Email: "sanne@example.nl"}

	os, err := h.OrdersOf(ctx, contact)
	if err != nil || len(os) != 2 || os[0].Number != "DS-1" || os[0].ContactID != 7 {
		t.Fatalf("OrdersOf = %+v, %v; want DS-1 and DS-2 of contact 7", os, err)
	}
	if _, err := h.OrdersOf(ctx, contact); err != nil {
		t.Fatal(err)
	}
	if got := sh.calls.Load(); got != 1 {
		t.Errorf("calls after two reads within the TTL = %d, want 1 (cached)", got)
	}
	// The same contact named without its address (the bot, for an
	// unproven one) is not answered from what was cached with it.
	if os, err := h.OrdersOf(ctx, desk.Contact{ID: 7}); err != nil || len(os) != 0 {
		t.Errorf("OrdersOf without the address = %+v, %v; want none", os, err)
	}
	sh.calls.Add(-1) // keep the counts below about the address's own cache
	clock.Add(61)
	if _, err := h.OrdersOf(ctx, contact); err != nil {
		t.Fatal(err)
	}
	if got := sh.calls.Load(); got != 2 {
		t.Errorf("calls after the TTL = %d, want 2", got)
	}
	o, err := h.Cancel(ctx, "ds-1")
	if err != nil || o.Status != desk.OrderCancelled {
		t.Fatalf("Cancel = %+v, %v", o, err)
	}
	if _, err := h.OrdersOf(ctx, contact); err != nil {
		t.Fatal(err)
	}
	if got := sh.calls.Load(); got != 4 {
		t.Errorf("calls after a change = %d, want 4 (a change drops the cache)", got)
	}
	label, err := h.StartReturn(ctx, "DS-1", "te klein")
	if err != nil || label != "https://labels.example/DS-1?reason=te klein" {
		t.Errorf("StartReturn = %q, %v", label, err)
	}
	inv, err := h.Invoice(ctx, "DS-2")
	if err != nil || inv != "https://shop.example/invoice/DS-2.pdf" {
		t.Errorf("Invoice = %q, %v", inv, err)
	}
	if n := sh.badSig.Load(); n != 0 {
		t.Errorf("%d requests with a bad signature", n)
	}

	wrong, _ := NewHTTP(HTTPOptions{URL: srv.URL, Secret: "wrong", Clock: clk})
	_, err = wrong.Order(ctx, "DS-1")
	if !errors.Is(err, desk.ErrTemporary) || sh.badSig.Load() != 1 {
		t.Errorf("wrong secret: err = %v, bad signatures %d; want unavailable and 1", err, sh.badSig.Load())
	}
}

func TestHTTPErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		answer Answer
		want   error
	}{
		{"not found", http.StatusNotFound, Answer{}, desk.ErrNotFound},
		{"not possible", http.StatusConflict, Answer{}, desk.ErrConflict},
		{"bad input", http.StatusUnprocessableEntity, Answer{}, desk.ErrInvalid},
		{"server error", http.StatusBadGateway, Answer{}, ErrUnavailable},
		{"no order in answer", 0, Answer{}, ErrUnavailable},
		{"bad order in answer", 0, Answer{Order: &OrderJSON{Number: "DS-1", Status: "lost"}}, ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(&shop{status: tc.status, answer: func(Request) Answer { return tc.answer }})
			defer srv.Close()
			h, _ := NewHTTP(HTTPOptions{URL: srv.URL, Secret: "s3cret"})
			_, err := h.Order(t.Context(), "DS-1")
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if errors.Is(tc.want, ErrUnavailable) && !errors.Is(err, desk.ErrTemporary) {
				t.Errorf("err = %v does not match desk.ErrTemporary", err)
			}
		})
	}
	t.Run("down", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		h, _ := NewHTTP(HTTPOptions{URL: srv.URL, Secret: "s3cret"})
		_, err := h.OrdersOf(t.Context(), desk.Contact{ID: 1})
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, desk.ErrTemporary) {
			t.Errorf("err = %v, want unavailable", err)
		}
	})
	t.Run("slow", func(t *testing.T) {
		block := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
		defer srv.Close()
		defer close(block)
		h, _ := NewHTTP(HTTPOptions{URL: srv.URL, Client: &http.Client{Timeout: 50 * time.Millisecond}})
		_, err := h.Order(context.Background(), "DS-1")
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("err = %v, want unavailable", err)
		}
	})
}

func TestPush(t *testing.T) {
	st := openStore(t)
	known := &desk.Contact{Name: "Sanne", Email: "sanne@example.nl"}
	if err := st.CreateContact(t.Context(), known); err != nil {
		t.Fatal(err)
	}
	if err := st.AddIdentity(t.Context(), &desk.Identity{ContactID: known.ID, Kind: desk.IdentityEmail,
		Value: "sanne@example.nl"}); err != nil {
		t.Fatal(err)
	}
	// Mallory typed Jan's address into the chat: noted, no identity.
	mallory := &desk.Contact{Name: "Mallory", Email: "jan@example.nl"}
	if err := st.CreateContact(t.Context(), mallory); err != nil {
		t.Fatal(err)
	}
	var jan int64
	clk := desk.ClockFunc(func() time.Time { return now })
	tests := []struct {
		name        string
		in          OrderJSON
		wantErr     error
		wantCreated bool
		wantContact func(id int64) bool
	}{
		{"by email of a known contact", OrderJSON{Number: "ds-10", Email: "SANNE@example.nl", Status: desk.OrderPaid},
			nil, true, func(id int64) bool { return id == known.ID }},
		{"update keeps the contact", OrderJSON{Number: "DS-10", Status: desk.OrderShipped},
			nil, false, func(id int64) bool { return id == known.ID }},
		{"new customer by email", OrderJSON{Number: "DS-11", Email: "piet@example.nl", Name: "Piet", Status: desk.OrderPlaced},
			nil, true, func(id int64) bool { return id != 0 && id != known.ID }},
		{"an address only typed in is not the customer's", OrderJSON{Number: "DS-20", Email: "jan@example.nl", Name: "Jan",
			Status: desk.OrderPaid}, nil, true, func(id int64) bool { jan = id; return id != 0 && id != mallory.ID }},
		{"the new customer is found again", OrderJSON{Number: "DS-21", Email: "Jan@Example.nl", Status: desk.OrderPaid},
			nil, true, func(id int64) bool { return id == jan }},
		{"unknown contact id", OrderJSON{Number: "DS-12", ContactID: 999, Status: desk.OrderPlaced},
			desk.ErrNotFound, false, nil},
		{"bad status", OrderJSON{Number: "DS-13", Status: "lost"}, desk.ErrInvalid, false, nil},
		{"bad number", OrderJSON{Number: "DS 13", Status: desk.OrderPlaced}, desk.ErrInvalid, false, nil},
		{"bad email", OrderJSON{Number: "DS-14", Email: "nope", Status: desk.OrderPlaced}, desk.ErrInvalid, false, nil},
		{"bad quantity", OrderJSON{Number: "DS-15", Status: desk.OrderPlaced,
			Items: []desk.OrderItem{{Name: "fiets", Qty: 0}}}, desk.ErrInvalid, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, created, err := Push(t.Context(), st, clk, tc.in)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if created != tc.wantCreated || !tc.wantContact(o.ContactID) {
				t.Errorf("created %v contact %d; want created %v", created, o.ContactID, tc.wantCreated)
			}
			got, err := st.OrderByNumber(t.Context(), o.Number)
			if err != nil || got.Status != tc.in.Status || !got.UpdatedAt.Equal(now) {
				t.Errorf("stored = %+v, %v", got, err)
			}
		})
	}
}
