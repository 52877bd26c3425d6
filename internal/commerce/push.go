package commerce

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// PushStore is what Push needs: the order store and the contacts to link
// an order to.
type PushStore interface {
	OrderStore
	ContactByID(ctx context.Context, id int64) (*desk.Contact, error)
	ContactsWithEmail(ctx context.Context, email string) ([]desk.Contact, error)
	CreateContact(ctx context.Context, c *desk.Contact) error
}

// Push stores an order the company sends through the API into the
// built-in order store, replacing the one with its number. The customer is
// j.ContactID, or else the contact with j.Email (created, with j.Name, when
// there is none): the shop knows its customers by email. An order with
// neither stays unlinked (contact 0). It returns the stored order and
// whether it is new.
func Push(ctx context.Context, st PushStore, clock desk.Clock, j OrderJSON) (*desk.Order, bool, error) {
	o := j.Order()
	if err := CheckOrder(&o); err != nil {
		return nil, false, fmt.Errorf("commerce: push: %w", err)
	}
	if clock == nil {
		clock = desk.SystemClock{}
	}
	now := clock.Now()
	if o.PlacedAt.IsZero() {
		o.PlacedAt = now
	}
	o.UpdatedAt = now
	switch {
	case o.ContactID != 0:
		if _, err := st.ContactByID(ctx, o.ContactID); err != nil {
			return nil, false, fmt.Errorf("commerce: push: contact %d: %w", o.ContactID, err)
		}
	case strings.TrimSpace(j.Email) != "":
		id, err := contactFor(ctx, st, j.Email, j.Name)
		if err != nil {
			return nil, false, fmt.Errorf("commerce: push: %w", err)
		}
		o.ContactID = id
	}
	old, err := st.OrderByNumber(ctx, o.Number)
	created := false
	switch {
	case err == nil:
		if o.ContactID == 0 {
			o.ContactID = old.ContactID // an update need not name the customer again
		}
	case errors.Is(err, desk.ErrNotFound):
		created = true
	default:
		return nil, false, fmt.Errorf("commerce: push: %w", err)
	}
	if err := st.PutOrder(ctx, &o); err != nil {
		return nil, false, fmt.Errorf("commerce: push: %w", err)
	}
	return &o, created, nil
}

// contactFor finds the contact with the email address, or creates one.
func contactFor(ctx context.Context, st PushStore, email, name string) (int64, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || a.Name != "" || len(a.Address) > 254 {
		return 0, desk.Invalid("email", "not an email address")
	}
	cs, err := st.ContactsWithEmail(ctx, a.Address)
	if err != nil {
		return 0, err
	}
	if len(cs) > 0 {
		return cs[0].ID, nil
	}
	name = strings.TrimSpace(name)
	if len(name) > maxText {
		return 0, desk.Invalid("name", "too long")
	}
	c := &desk.Contact{Name: name, Email: a.Address}
	if err := st.CreateContact(ctx, c); err != nil {
		return 0, err
	}
	return c.ID, nil
}
