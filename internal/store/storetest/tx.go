package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

var errBoom = errors.New("boom")

func countContacts(t *testing.T, s desk.Store) int {
	t.Helper()
	list, err := s.ListContacts(ctx(t), desk.ContactQuery{Limit: 200})
	must(t, err, "ListContacts")
	return len(list)
}

var txTests = []test{
	{"commit", func(t *testing.T, s desk.Store) {
		var c *desk.Contact
		err := s.InTx(ctx(t), func(tx desk.Store) error {
			c = &desk.Contact{Name: "Jan"}
			if err := tx.CreateContact(ctx(t), c); err != nil {
				return err
			}
			return tx.AddIdentity(ctx(t), &desk.Identity{ContactID: c.ID, Kind: desk.IdentityEmail, Value: "jan@example.nl"})
		})
		must(t, err, "InTx")
		got, err := s.ContactByIdentity(ctx(t), desk.IdentityEmail, "jan@example.nl")
		must(t, err, "ContactByIdentity")
		if got.ID != c.ID {
			t.Errorf("contact %d, want %d", got.ID, c.ID)
		}
	}},
	{"reads see earlier writes of the same transaction", func(t *testing.T, s desk.Store) {
		err := s.InTx(ctx(t), func(tx desk.Store) error {
			c := &desk.Contact{Name: "Jan"}
			if err := tx.CreateContact(ctx(t), c); err != nil {
				return err
			}
			got, err := tx.ContactByID(ctx(t), c.ID)
			if err != nil {
				return fmt.Errorf("read back inside: %w", err)
			}
			if got.Name != "Jan" {
				return fmt.Errorf("read back name %q", got.Name)
			}
			list, err := tx.ListContacts(ctx(t), desk.ContactQuery{})
			if err != nil {
				return err
			}
			if len(list) != 1 {
				return fmt.Errorf("ListContacts inside: %d contacts, want 1", len(list))
			}
			return nil
		})
		must(t, err, "InTx")
	}},
	{"error rolls back", func(t *testing.T, s desk.Store) {
		err := s.InTx(ctx(t), func(tx desk.Store) error {
			if err := tx.CreateContact(ctx(t), &desk.Contact{Name: "Jan"}); err != nil {
				return err
			}
			if err := tx.SetSetting(ctx(t), "k", "v"); err != nil {
				return err
			}
			return fmt.Errorf("later step: %w", errBoom)
		})
		if !errors.Is(err, errBoom) {
			t.Errorf("InTx err = %v, want fn's error", err)
		}
		if n := countContacts(t, s); n != 0 {
			t.Errorf("%d contacts after rollback, want 0", n)
		}
		_, err = s.Setting(ctx(t), "k")
		wantErr(t, err, desk.ErrNotFound, "Setting after rollback")
	}},
	{"panic rolls back and re-panics", func(t *testing.T, s desk.Store) {
		func() {
			defer func() {
				if r := recover(); r != "kaboom" {
					t.Errorf("recovered %v, want the fn's panic value", r)
				}
			}()
			_ = s.InTx(ctx(t), func(tx desk.Store) error {
				if err := tx.CreateContact(ctx(t), &desk.Contact{Name: "Jan"}); err != nil {
					return err
				}
				panic("kaboom")
			})
			t.Error("InTx returned instead of panicking")
		}()
		if n := countContacts(t, s); n != 0 {
			t.Errorf("%d contacts after panic, want 0", n)
		}
		// The store still works.
		newContact(t, s, "Piet", "", "")
		if n := countContacts(t, s); n != 1 {
			t.Errorf("%d contacts, want 1", n)
		}
	}},
	{"a conflict inside can be handled", func(t *testing.T, s desk.Store) {
		// This is how ingest deduplicates: the duplicate is expected, the
		// rest of the transaction must still commit.
		in := newInbox(t, s, "web", desk.ChannelWebChat)
		c := newContact(t, s, "Jan", "", "")
		cv := newConversation(t, s, in, c, at(0))
		newAgent(t, s, "Anna", "anna@example.com")
		err := s.InTx(ctx(t), func(tx desk.Store) error {
			m := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderContact, Body: "a", ExternalID: "e1"}
			if err := tx.CreateMessage(ctx(t), m); err != nil {
				return err
			}
			dup := &desk.Message{ConversationID: cv.ID, Kind: desk.KindMessage, Sender: desk.SenderContact, Body: "b", ExternalID: "e1"}
			if err := tx.CreateMessage(ctx(t), dup); !errors.Is(err, desk.ErrConflict) {
				return fmt.Errorf("duplicate message: err = %v, want ErrConflict", err)
			}
			if err := tx.CreateAgent(ctx(t), &desk.Agent{Email: "ANNA@example.com", Name: "x", Role: desk.RoleAgent}); !errors.Is(err, desk.ErrConflict) {
				return fmt.Errorf("duplicate agent: err = %v, want ErrConflict", err)
			}
			return tx.SetSetting(ctx(t), "after", "yes")
		})
		must(t, err, "InTx")
		list, err := s.ListMessages(ctx(t), cv.ID, 0, 0)
		must(t, err, "ListMessages")
		if len(list) != 1 || list[0].Body != "a" {
			t.Errorf("messages = %+v, want only the first", list)
		}
		got, err := s.Setting(ctx(t), "after")
		must(t, err, "Setting written after the conflict")
		if got != "yes" {
			t.Errorf("Setting = %q", got)
		}
	}},
	{"concurrent transactions all commit", func(t *testing.T, s desk.Store) {
		const n = 64
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = s.InTx(ctx(t), func(tx desk.Store) error {
					c := &desk.Contact{Name: name(i)}
					if err := tx.CreateContact(ctx(t), c); err != nil {
						return err
					}
					if err := tx.AddIdentity(ctx(t), &desk.Identity{ContactID: c.ID, Kind: desk.IdentityExtern, Value: name(i)}); err != nil {
						return err
					}
					if i%8 == 7 {
						return errBoom // every eighth one fails and must leave nothing behind
					}
					return nil
				})
			})
		}
		wg.Wait()
		failed := 0
		for i, err := range errs {
			switch {
			case i%8 == 7:
				failed++
				if !errors.Is(err, errBoom) {
					t.Errorf("tx %d: err = %v, want errBoom", i, err)
				}
			case err != nil:
				t.Errorf("tx %d: %v", i, err)
			}
		}
		if got, want := countContacts(t, s), n-failed; got != want {
			t.Errorf("%d contacts, want %d", got, want)
		}
		for i := range n {
			_, err := s.ContactByIdentity(ctx(t), desk.IdentityExtern, name(i))
			if i%8 == 7 {
				wantErr(t, err, desk.ErrNotFound, "identity of failed tx "+name(i))
			} else if err != nil {
				t.Errorf("identity %s: %v", name(i), err)
			}
		}
	}},
	{"concurrent plain writes", func(t *testing.T, s desk.Store) {
		const n = 50
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				if err := s.SetSetting(ctx(t), name(i), "v"); err != nil {
					t.Errorf("SetSetting %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		for i := range n {
			if _, err := s.Setting(ctx(t), name(i)); err != nil {
				t.Errorf("Setting %s: %v", name(i), err)
			}
		}
	}},
}
