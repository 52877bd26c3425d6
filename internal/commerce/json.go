package commerce

import (
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// OrderJSON is an order on the wire: what the company's endpoint answers
// and what the API takes and gives (docs/commerce.md).
type OrderJSON struct {
	Number         string           `json:"number"`
	ContactID      int64            `json:"contact_id,omitempty"`
	Email          string           `json:"email,omitempty"` // the customer, when the sender knows no contact id
	Name           string           `json:"name,omitempty"`
	Status         desk.OrderStatus `json:"status"`
	Items          []desk.OrderItem `json:"items,omitempty"`
	Currency       string           `json:"currency,omitempty"`
	TotalCents     int64            `json:"total_cents"`
	Address        desk.Address     `json:"address"`
	Carrier        string           `json:"carrier,omitempty"`
	TrackingURL    string           `json:"tracking_url,omitempty"`
	InvoiceURL     string           `json:"invoice_url,omitempty"`
	ReturnReason   string           `json:"return_reason,omitempty"`
	ReturnLabelURL string           `json:"return_label_url,omitempty"`
	PlacedAt       time.Time        `json:"placed_at,omitzero"`
	UpdatedAt      time.Time        `json:"updated_at,omitzero"`
}

// ToJSON is o on the wire.
func ToJSON(o desk.Order) OrderJSON {
	return OrderJSON{Number: o.Number, ContactID: o.ContactID, Status: o.Status, Items: o.Items,
		Currency: o.Currency, TotalCents: o.TotalCents, Address: o.Address, Carrier: o.Carrier,
		TrackingURL: o.TrackingURL, InvoiceURL: o.InvoiceURL, ReturnReason: o.ReturnReason,
		ReturnLabelURL: o.ReturnLabelURL, PlacedAt: o.PlacedAt, UpdatedAt: o.UpdatedAt}
}

// Order is j as a desk.Order (Email and Name are not part of it).
func (j OrderJSON) Order() desk.Order {
	return desk.Order{Number: j.Number, ContactID: j.ContactID, Status: j.Status, Items: j.Items,
		Currency: j.Currency, TotalCents: j.TotalCents, Address: j.Address, Carrier: j.Carrier,
		TrackingURL: j.TrackingURL, InvoiceURL: j.InvoiceURL, ReturnReason: j.ReturnReason,
		ReturnLabelURL: j.ReturnLabelURL, PlacedAt: j.PlacedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC()}
}
