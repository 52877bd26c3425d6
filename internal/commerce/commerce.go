// Package commerce connects balie to the company's orders: a Connector
// reads a customer's orders and carries out changes (new delivery address,
// cancellation, return, invoice). Two implementations: Builtin, balie's
// own simple order store (the embedded default and the demo, fed by the
// company through the API with Push), and HTTP, which calls the company's
// endpoint with signed requests (docs/commerce.md).
//
// It imports desk and webhooksig only (and the standard library).
package commerce

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// Connector is the company's order system as balie sees it. Errors match
// desk sentinels: ErrNotFound (no such order), ErrConflict (the order is
// past the point where the change is possible), ErrInvalid (bad input),
// and ErrUnavailable, which wraps desk.ErrTemporary, when the system
// cannot be reached.
type Connector interface {
	// OrdersOf lists the contact's orders, newest first. The company finds
	// the customer by balie's id, email or phone.
	OrdersOf(ctx context.Context, c desk.Contact) ([]desk.Order, error)
	Order(ctx context.Context, number string) (*desk.Order, error)
	ChangeAddress(ctx context.Context, number string, a desk.Address) (*desk.Order, error)
	Cancel(ctx context.Context, number string) (*desk.Order, error)
	// StartReturn registers a return and returns the URL of the return
	// label.
	StartReturn(ctx context.Context, number, reason string) (labelURL string, err error)
	// Invoice returns the URL of the order's invoice (a PDF).
	Invoice(ctx context.Context, number string) (url string, err error)
}

// ErrUnavailable is the order system being down, slow or answering
// nonsense. It matches desk.ErrTemporary: try again later, or hand over.
var ErrUnavailable = fmt.Errorf("order system unavailable: %w", desk.ErrTemporary)

// Limits of an order's fields.
const (
	MaxNumber = 64
	MaxItems  = 200
	maxText   = 300
	maxURL    = 2000
)

var numberRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)

// NormalizeNumber trims an order number and upper-cases it, so that
// "ds-2026-1187 " finds DS-2026-1187; a number balie cannot hold is
// desk.ErrInvalid.
func NormalizeNumber(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return "", desk.Invalid("number", "an order number is required")
	}
	if len(s) > MaxNumber || !numberRE.MatchString(s) {
		return "", desk.Invalid("number", "not an order number")
	}
	return s, nil
}

var nlPostal = regexp.MustCompile(`^[1-9][0-9]{3} ?[A-Z]{2}$`)

// NormalizePostalCode upper-cases and trims a postal code, and writes a
// Dutch one as "1234 AB".
func NormalizePostalCode(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), " "))
	if nlPostal.MatchString(s) && len(s) == 6 {
		s = s[:4] + " " + s[4:]
	}
	return s
}

// CheckAddress validates a delivery address and returns it normalised: a
// street with a house number, postal code and city; a Dutch (or unnamed)
// country needs a Dutch postal code.
func CheckAddress(a desk.Address) (desk.Address, error) {
	a.Name = strings.TrimSpace(a.Name)
	a.Street = strings.Join(strings.Fields(a.Street), " ")
	a.City = strings.Join(strings.Fields(a.City), " ")
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	a.PostalCode = NormalizePostalCode(a.PostalCode)
	if a.Country == "" {
		a.Country = "NL"
	}
	for _, f := range []struct{ name, v string }{{"name", a.Name}, {"street", a.Street}, {"city", a.City}} {
		if len(f.v) > maxText {
			return a, desk.Invalid(f.name, "too long")
		}
	}
	switch {
	case a.Street == "":
		return a, desk.Invalid("street", "street and house number are required")
	case !strings.ContainsAny(a.Street, "0123456789"):
		return a, desk.Invalid("street", "a house number is required")
	case a.PostalCode == "":
		return a, desk.Invalid("postal_code", "a postal code is required")
	case a.City == "":
		return a, desk.Invalid("city", "a city is required")
	case len(a.Country) != 2:
		return a, desk.Invalid("country", "a two-letter country code is required")
	case a.Country == "NL" && !nlPostal.MatchString(a.PostalCode):
		return a, desk.Invalid("postal_code", "a Dutch postal code is four digits and two letters")
	case len(a.PostalCode) > 16:
		return a, desk.Invalid("postal_code", "too long")
	}
	return a, nil
}

// CheckOrder validates an order from outside (the API, the company's
// endpoint) and normalises its number.
func CheckOrder(o *desk.Order) error {
	n, err := NormalizeNumber(o.Number)
	if err != nil {
		return err
	}
	o.Number = n
	o.Currency = strings.ToUpper(strings.TrimSpace(o.Currency))
	if o.Currency == "" {
		o.Currency = "EUR"
	}
	switch {
	case !desk.KnownOrderStatus(o.Status):
		return desk.Invalid("status", fmt.Sprintf("%.30q is not placed, paid, shipped, delivered, cancelled or returned", o.Status))
	case len(o.Currency) != 3:
		return desk.Invalid("currency", "a three-letter currency code is required")
	case len(o.Items) > MaxItems:
		return desk.Invalid("items", fmt.Sprintf("at most %d items", MaxItems))
	case o.TotalCents < 0:
		return desk.Invalid("total_cents", "cannot be negative")
	}
	for i, it := range o.Items {
		switch {
		case it.Qty <= 0:
			return desk.Invalid(fmt.Sprintf("items[%d].qty", i), "must be at least 1")
		case it.PriceCents < 0:
			return desk.Invalid(fmt.Sprintf("items[%d].price_cents", i), "cannot be negative")
		case len(it.Name) > maxText || len(it.SKU) > maxText:
			return desk.Invalid(fmt.Sprintf("items[%d]", i), "name or sku too long")
		}
	}
	for _, u := range []struct{ name, v string }{{"tracking_url", o.TrackingURL}, {"invoice_url", o.InvoiceURL},
		{"return_label_url", o.ReturnLabelURL}} {
		if u.v == "" {
			continue
		}
		if len(u.v) > maxURL || !(strings.HasPrefix(u.v, "https://") || strings.HasPrefix(u.v, "http://")) {
			return desk.Invalid(u.name, "an http(s) URL is required")
		}
	}
	if len(o.Carrier) > maxText || len(o.ReturnReason) > maxText {
		return desk.Invalid("carrier", "too long")
	}
	return nil
}

// Changeable reports whether an order's delivery address can still be
// changed: not once it left the warehouse.
func Changeable(s desk.OrderStatus) bool { return s == desk.OrderPlaced || s == desk.OrderPaid }

// Cancellable reports whether an order can be cancelled at all (a shipped
// one still can, to be intercepted or refused on delivery).
func Cancellable(s desk.OrderStatus) bool {
	return s == desk.OrderPlaced || s == desk.OrderPaid || s == desk.OrderShipped
}

// Returnable reports whether a return can be started.
func Returnable(s desk.OrderStatus) bool { return s == desk.OrderDelivered }

// refused is a change the order's status does not allow: ErrConflict.
func refused(number string, s desk.OrderStatus) error {
	return fmt.Errorf("order %s is %s: %w", number, s, desk.ErrConflict)
}
