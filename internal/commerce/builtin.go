package commerce

import (
	"context"
	"fmt"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// OrderStore is the part of desk.Store the built-in order system uses.
type OrderStore interface {
	PutOrder(ctx context.Context, o *desk.Order) error
	OrderByNumber(ctx context.Context, number string) (*desk.Order, error)
	OrdersOfContact(ctx context.Context, contactID int64, limit int) ([]desk.Order, error)
}

// Builtin is balie's own simple order system: the orders in balie's
// store, changed by the rules a small web shop would apply. It serves the
// embedded default and the demo.
type Builtin struct {
	st    OrderStore
	clock desk.Clock
	label string
}

// BuiltinOptions configure the built-in order system.
type BuiltinOptions struct {
	// LabelURL is where a return label is, with "{number}" replaced by the
	// order number; empty: "/returns/{number}/label" on balie itself (a
	// placeholder: the built-in system does not print labels).
	LabelURL string
}

// NewBuiltin returns the built-in order system on st.
func NewBuiltin(st OrderStore, clock desk.Clock, opts BuiltinOptions) *Builtin {
	if clock == nil {
		clock = desk.SystemClock{}
	}
	if opts.LabelURL == "" {
		opts.LabelURL = "/returns/{number}/label"
	}
	return &Builtin{st: st, clock: clock, label: opts.LabelURL}
}

var _ Connector = (*Builtin)(nil)

// OrdersOf lists the contact's orders in balie's store.
func (b *Builtin) OrdersOf(ctx context.Context, c desk.Contact) ([]desk.Order, error) {
	os, err := b.st.OrdersOfContact(ctx, c.ID, 50)
	if err != nil {
		return nil, fmt.Errorf("commerce: orders of %d: %w", c.ID, err)
	}
	return os, nil
}

func (b *Builtin) Order(ctx context.Context, number string) (*desk.Order, error) {
	n, err := NormalizeNumber(number)
	if err != nil {
		return nil, fmt.Errorf("commerce: order: %w", err)
	}
	o, err := b.st.OrderByNumber(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("commerce: order %s: %w", n, err)
	}
	return o, nil
}

// change reads the order, lets fn change it and writes it back with a new
// UpdatedAt.
func (b *Builtin) change(ctx context.Context, op, number string, fn func(o *desk.Order) error) (*desk.Order, error) {
	o, err := b.Order(ctx, number)
	if err != nil {
		return nil, err
	}
	if err := fn(o); err != nil {
		return nil, fmt.Errorf("commerce: %s: %w", op, err)
	}
	o.UpdatedAt = b.clock.Now()
	if err := b.st.PutOrder(ctx, o); err != nil {
		return nil, fmt.Errorf("commerce: %s: %w", op, err)
	}
	return o, nil
}

// ChangeAddress sets a new delivery address while the order has not
// shipped.
func (b *Builtin) ChangeAddress(ctx context.Context, number string, a desk.Address) (*desk.Order, error) {
	a, err := CheckAddress(a)
	if err != nil {
		return nil, fmt.Errorf("commerce: change address: %w", err)
	}
	return b.change(ctx, "change address", number, func(o *desk.Order) error {
		if !Changeable(o.Status) {
			return refused(o.Number, o.Status)
		}
		if a.Name == "" {
			a.Name = o.Address.Name
		}
		o.Address = a
		return nil
	})
}

// Cancel cancels an order that has not been delivered.
func (b *Builtin) Cancel(ctx context.Context, number string) (*desk.Order, error) {
	return b.change(ctx, "cancel", number, func(o *desk.Order) error {
		if !Cancellable(o.Status) {
			return refused(o.Number, o.Status)
		}
		o.Status = desk.OrderCancelled
		return nil
	})
}

// StartReturn marks a delivered order returned, with the reason.
func (b *Builtin) StartReturn(ctx context.Context, number, reason string) (string, error) {
	o, err := b.change(ctx, "start return", number, func(o *desk.Order) error {
		if !Returnable(o.Status) {
			return refused(o.Number, o.Status)
		}
		o.Status = desk.OrderReturned
		o.ReturnReason = strings.TrimSpace(reason)
		o.ReturnLabelURL = strings.ReplaceAll(b.label, "{number}", o.Number)
		return nil
	})
	if err != nil {
		return "", err
	}
	return o.ReturnLabelURL, nil
}

// Invoice returns the order's invoice URL; an order without one (not paid
// yet) is ErrNotFound.
func (b *Builtin) Invoice(ctx context.Context, number string) (string, error) {
	o, err := b.Order(ctx, number)
	if err != nil {
		return "", err
	}
	if o.InvoiceURL == "" {
		return "", fmt.Errorf("commerce: invoice of %s: %w", o.Number, desk.ErrNotFound)
	}
	return o.InvoiceURL, nil
}
