package contact

import (
	"context"
	"fmt"
	"strings"

	"github.com/balie-dev/balie/internal/desk"
)

// Service edits contacts on behalf of agents and the API.
type Service struct {
	st    TxStore
	clock desk.Clock
}

// TxStore is what editing contacts needs: every edit is one transaction.
type TxStore interface {
	Store
	desk.Transactor
}

// New returns a contact service.
func New(st TxStore, clock desk.Clock) *Service { return &Service{st: st, clock: clock} }

// Input is what an agent or the API may set on a contact.
type Input struct {
	Name       *string
	Email      *string
	Phone      *string
	Locale     *string
	Attributes map[string]string
}

// Create makes a contact and links its email and phone as identities, in one
// transaction: a handle owned by someone else leaves nothing behind.
func (s *Service) Create(ctx context.Context, in Input) (*desk.Contact, error) {
	c := &desk.Contact{}
	if err := apply(c, in); err != nil {
		return nil, err
	}
	if c.Name == "" && c.Email == "" && c.Phone == "" {
		return nil, desk.Invalid("name", "a contact needs a name, an email or a phone number")
	}
	err := s.st.InTx(ctx, func(tx desk.Store) error {
		if err := tx.CreateContact(ctx, c); err != nil {
			return err
		}
		return link(ctx, tx, c)
	})
	if err != nil {
		return nil, fmt.Errorf("contact: create: %w", err)
	}
	return c, nil
}

// Update changes the given fields, in one transaction.
func (s *Service) Update(ctx context.Context, id int64, in Input) (*desk.Contact, error) {
	var out *desk.Contact
	err := s.st.InTx(ctx, func(tx desk.Store) error {
		c, err := tx.ContactByID(ctx, id)
		if err != nil {
			return err
		}
		if err := apply(c, in); err != nil {
			return err
		}
		if err := tx.UpdateContact(ctx, c); err != nil {
			return err
		}
		if err := link(ctx, tx, c); err != nil {
			return err
		}
		out, err = tx.ContactByID(ctx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("contact: update %d: %w", id, err)
	}
	return out, nil
}

// link makes the contact's email and phone point at it.
func link(ctx context.Context, st Store, c *desk.Contact) error {
	for _, h := range []desk.Identity{{Kind: desk.IdentityEmail, Value: c.Email}, {Kind: desk.IdentityPhone, Value: c.Phone}} {
		if h.Value == "" {
			continue
		}
		owner, err := st.ContactByIdentity(ctx, h.Kind, h.Value)
		if err == nil && owner.ID == c.ID {
			continue
		}
		if err == nil {
			return fmt.Errorf("contact: %s %s belongs to contact %d: %w", h.Kind, h.Value, owner.ID, desk.ErrConflict)
		}
		h.ContactID = c.ID
		if err := st.AddIdentity(ctx, &h); err != nil {
			return fmt.Errorf("contact: link %s: %w", h.Kind, err)
		}
	}
	return nil
}

func apply(c *desk.Contact, in Input) error {
	if in.Name != nil {
		c.Name = clip(*in.Name, maxName)
	}
	if in.Email != nil {
		if strings.TrimSpace(*in.Email) == "" {
			c.Email = ""
		} else {
			e, err := NormaliseEmail(*in.Email)
			if err != nil {
				return err
			}
			c.Email = e
		}
	}
	if in.Phone != nil {
		if strings.TrimSpace(*in.Phone) == "" {
			c.Phone = ""
		} else {
			p, err := NormalisePhone(*in.Phone)
			if err != nil {
				return err
			}
			c.Phone = p
		}
	}
	if in.Locale != nil {
		switch *in.Locale {
		case "", "nl", "en":
			c.Locale = *in.Locale
		default:
			return desk.Invalid("locale", "must be nl or en")
		}
	}
	if in.Attributes != nil {
		if len(in.Attributes) > 50 {
			return desk.Invalid("attributes", "at most 50")
		}
		if c.Attributes == nil {
			c.Attributes = map[string]string{}
		}
		for k, v := range in.Attributes {
			if len(k) > 64 || len(v) > 1024 {
				return desk.Invalid("attributes", "keys up to 64 and values up to 1024 bytes")
			}
			if v == "" {
				delete(c.Attributes, k)
				continue
			}
			c.Attributes[k] = v
		}
	}
	return nil
}
