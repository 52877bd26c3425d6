package contact_test

import (
	"context"
	"errors"
	"testing"

	"github.com/balie-dev/balie/internal/contact"
	"github.com/balie-dev/balie/internal/desk"
	"github.com/balie-dev/balie/internal/testenv"
)

func TestNormaliseEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"Jan@Example.NL", "jan@example.nl", true},
		{"  a.b+c@sub.example.com ", "a.b+c@sub.example.com", true},
		{"Jan <jan@example.nl>", "", false},
		{"jan@localhost", "", false},
		{"not an email", "", false},
		{"", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := contact.NormaliseEmail(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Fatalf("NormaliseEmail(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
			if err != nil && !errors.Is(err, desk.ErrInvalid) {
				t.Fatalf("error %v does not match desk.ErrInvalid", err)
			}
		})
	}
}

func TestNormalisePhone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"06 12345678", "+31612345678", true},
		{"06-1234 5678", "+31612345678", true},
		{"+31 (0)6 12345678", "+31612345678", true},
		{"0031612345678", "+31612345678", true},
		{"+44 20 7946 0958", "+442079460958", true},
		{"12345", "", false},
		{"call me", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := contact.NormalisePhone(tc.in)
			if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
				t.Fatalf("NormalisePhone(%q) = %q, %v; want %q, ok=%v", tc.in, got, err, tc.want, tc.ok)
			}
		})
	}
}

// TestResolveFindsOneCustomerAcrossChannels: whatever handle a customer
// writes with, they end up on one profile, and handles they bring along are
// linked to it.
func TestResolveFindsOneCustomerAcrossChannels(t *testing.T) {
	for _, o := range testenv.Stores() {
		t.Run(o.Name, func(t *testing.T) {
			ctx := context.Background()
			st := o.Open(t)
			first, created, err := contact.Resolve(ctx, st, contact.Sender{
				Identity: desk.Identity{Kind: desk.IdentityVisitor, Value: "v-1"}, Name: "Jan", Email: "JAN@example.nl"})
			if err != nil || !created {
				t.Fatalf("first Resolve = %v, created=%v", err, created)
			}
			// Later by email with a phone number: same customer, phone linked.
			again, created, err := contact.Resolve(ctx, st, contact.Sender{
				Identity: desk.Identity{Kind: desk.IdentityEmail, Value: "jan@example.nl"}, Phone: "0612345678"})
			if err != nil || created || again.ID != first.ID {
				t.Fatalf("second Resolve = contact %d created=%v err=%v, want contact %d", again.ID, created, err, first.ID)
			}
			byPhone, err := st.ContactByIdentity(ctx, desk.IdentityPhone, "+31612345678")
			if err != nil || byPhone.ID != first.ID {
				t.Fatalf("phone identity points at %v (%v), want contact %d", byPhone, err, first.ID)
			}
			// A handle owned by someone else is never moved by the resolver.
			other, _, err := contact.Resolve(ctx, st, contact.Sender{Email: "piet@example.nl"})
			if err != nil {
				t.Fatal(err)
			}
			mixed, _, err := contact.Resolve(ctx, st, contact.Sender{Email: "piet@example.nl", Phone: "0612345678"})
			if err != nil || mixed.ID != other.ID {
				t.Fatalf("Resolve(piet, jan's phone) = %d, %v; want piet's contact %d", mixed.ID, err, other.ID)
			}
			if owner, _ := st.ContactByIdentity(ctx, desk.IdentityPhone, "+31612345678"); owner.ID != first.ID {
				t.Fatalf("jan's phone moved to contact %d", owner.ID)
			}
			if _, _, err := contact.Resolve(ctx, st, contact.Sender{Name: "Nobody"}); !errors.Is(err, desk.ErrInvalid) {
				t.Fatalf("Resolve without a handle = %v, want ErrInvalid", err)
			}
		})
	}
}
