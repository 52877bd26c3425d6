package web

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

// The identity graph of the fake store: enough to list duplicates and the
// merge history; merging, undoing and splitting are tested on SQLite.

var errFakeGraph = errors.New("fake store: not supported")

func (s *fakeStore) CreateContact(_ context.Context, c *desk.Contact) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.ID == 0 {
		c.ID = s.id()
	}
	cp := *c
	s.contacts[c.ID] = &cp
	return nil
}

func (s *fakeStore) ContactsWithPhone(_ context.Context, e164 string) ([]desk.Contact, error) {
	return s.contactsWhere(func(c *desk.Contact) bool {
		if c.Phone == e164 {
			return true
		}
		for _, idn := range c.Identities {
			if idn.Kind == desk.IdentityPhone && idn.Value == e164 {
				return true
			}
		}
		return false
	}), nil
}

func (s *fakeStore) ContactsWithEmail(_ context.Context, email string) ([]desk.Contact, error) {
	return s.contactsWhere(func(c *desk.Contact) bool {
		if strings.EqualFold(c.Email, email) {
			return true
		}
		for _, idn := range c.Identities {
			if idn.Kind == desk.IdentityEmail && strings.EqualFold(idn.Value, email) {
				return true
			}
		}
		return false
	}), nil
}

func (s *fakeStore) contactsWhere(ok func(*desk.Contact) bool) []desk.Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []desk.Contact
	for _, c := range s.contacts {
		if ok(c) {
			out = append(out, *c)
		}
	}
	return out
}

func (s *fakeStore) ContactMerges(_ context.Context, keptID int64) ([]desk.ContactMerge, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []desk.ContactMerge
	for _, m := range s.merges {
		if m.KeptID == keptID {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *fakeStore) MergeContacts(context.Context, int64, int64, int64, string) (*desk.ContactMerge, error) {
	return nil, errFakeGraph
}

func (s *fakeStore) UndoMerge(context.Context, int64, time.Time) (*desk.ContactMerge, error) {
	return nil, errFakeGraph
}

func (s *fakeStore) MoveIdentity(context.Context, int64, int64) error     { return errFakeGraph }
func (s *fakeStore) MoveConversation(context.Context, int64, int64) error { return errFakeGraph }

func (s *fakeStore) InTx(context.Context, func(desk.Store) error) error { return errFakeGraph }
