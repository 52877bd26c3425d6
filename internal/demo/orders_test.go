package demo

import (
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// TestSeedOrders: the orders the demo conversations name are in the order
// store, on the customer who wrote about them, in the state the
// conversation left them in.
func TestSeedOrders(t *testing.T) {
	st := openStore(t)
	seed(t, st)
	ctx := t.Context()
	tests := []struct {
		number string
		email  string
		status desk.OrderStatus
	}{
		{"100234", "jeroen.vandenberg@example.nl", desk.OrderShipped},
		{"100177", "w.jacobs@example.nl", desk.OrderCancelled},
		{"100247", "sophie.dejong@example.nl", desk.OrderPaid},
		{"100261", "ruben.smit@example.nl", desk.OrderReturned},
	}
	for _, tc := range tests {
		t.Run(tc.number, func(t *testing.T) {
			o, err := st.OrderByNumber(ctx, tc.number)
			if err != nil {
				t.Fatal(err)
			}
			c, err := st.ContactByID(ctx, o.ContactID)
			if err != nil || c.Email != tc.email || o.Status != tc.status {
				t.Errorf("order %s: contact %v (%v), status %s; want %s, %s", tc.number, c, err, o.Status, tc.email, tc.status)
			}
		})
	}
	// Every order a demo conversation names by number is stored.
	for _, sc := range conversations() {
		for _, stp := range sc.Steps {
			for _, w := range strings.FieldsFunc(stp.Text, func(r rune) bool { return r < '0' || r > '9' }) {
				if len(w) == 6 && strings.HasPrefix(w, "10") {
					if _, err := st.OrderByNumber(ctx, w); err != nil {
						t.Errorf("conversation of %s names order %s: %v", sc.Customer, w, err)
					}
				}
			}
		}
	}
}
