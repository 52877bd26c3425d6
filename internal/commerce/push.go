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
	ContactByIdentity(ctx context.Context, kind desk.IdentityKind, value string) (*desk.Contact, error)
	InTx(ctx context.Context, fn func(tx desk.Store) error) error
}

// Push stores an order the company sends through the API into the
// built-in order store, replacing the one with its number. The customer is
// j.ContactID, or else the contact whose email identity is j.Email (created,
// with j.Name, when there is none): the shop knows its customers by email. An order with
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

// contactFor finds the contact the email address is an identity of (mail
// came from it, an agent entered it, or a signed login proved it), or
// creates one with that identity. An address merely typed into the web
// chat's details form is no identity, so an order never lands on the
// profile of whoever typed it.
func contactFor(ctx context.Context, st PushStore, email, name string) (int64, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(email))
	if err != nil || a.Name != "" || len(a.Address) > 254 {
		return 0, desk.Invalid("email", "not an email address")
	}
	name = strings.TrimSpace(name)
	if len(name) > maxText {
		return 0, desk.Invalid("name", "too long")
	}
	addr := strings.ToLower(a.Address)
	owner, err := st.ContactByIdentity(ctx, desk.IdentityEmail, addr)
	if err == nil {
		return owner.ID, nil
	}
	if !errors.Is(err, desk.ErrNotFound) {
		return 0, err
	}
	var id int64
	err = st.InTx(ctx, func(tx desk.Store) error {
		c := &desk.Contact{Name: name, Email: addr}
		if err := tx.CreateContact(ctx, c); err != nil {
			return err
		}
		id = c.ID
		// Unverified: the shop says so, but the customer has not shown
		// balie they hold the address (the portal's magic link does).
		return tx.AddIdentity(ctx, &desk.Identity{ContactID: c.ID, Kind: desk.IdentityEmail, Value: addr})
	})
	if errors.Is(err, desk.ErrConflict) {
		// A concurrent push (or mail) made it first: theirs is the one.
		owner, err := st.ContactByIdentity(ctx, desk.IdentityEmail, addr)
		if err != nil {
			return 0, err
		}
		return owner.ID, nil
	}
	return id, err
}
