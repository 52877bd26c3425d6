// Package contact keeps customer profiles: one customer, whatever channels
// they use. It resolves a channel's sender to a contact (Resolve), creates and
// updates profiles, and lists a customer's history.
//
// contact imports desk and lang only.
package contact

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"

	"github.com/balie-dev/balie/internal/desk"
)

// Limits on profile fields.
const (
	maxName  = 200
	maxEmail = 254
	maxPhone = 32
)

// Store is what resolving and editing contacts needs.
type Store interface {
	desk.ContactStore
}

// ErrRace means a concurrent request created the same new customer first.
// The caller rolls its transaction back and tries again.
var ErrRace = fmt.Errorf("contact: resolve: handle claimed concurrently: %w", desk.ErrConflict)

// Sender describes who wrote an inbound message, as a channel knows them.
type Sender struct {
	Identity desk.Identity // primary handle on the channel; Kind empty when none
	Name     string
	Email    string
	Phone    string
	Locale   string
}

// Resolve finds the contact behind a sender, or creates one. Every handle the
// sender brings (the channel identity, an email, a phone number) is looked up
// in that order; the first match wins and the other handles are linked to it
// when they are free. It returns the contact and whether it was created.
// Call it inside the transaction that stores the message.
func Resolve(ctx context.Context, st Store, s Sender) (*desk.Contact, bool, error) {
	handles, err := handlesOf(s)
	if err != nil {
		return nil, false, err
	}
	if len(handles) == 0 {
		return nil, false, desk.Invalid("contact", "a sender needs an identity, an email or a phone number")
	}
	var found *desk.Contact
	for _, h := range handles {
		c, err := st.ContactByIdentity(ctx, h.Kind, h.Value)
		if errors.Is(err, desk.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("contact: resolve: %w", err)
		}
		found = c
		break
	}
	created := false
	if found == nil {
		found = &desk.Contact{Name: clip(s.Name, maxName), Locale: s.Locale}
		if found.Name == "" {
			found.Name = defaultName(s)
		}
		for _, h := range handles {
			switch h.Kind {
			case desk.IdentityEmail:
				if found.Email == "" {
					found.Email = h.Value
				}
			case desk.IdentityPhone:
				if found.Phone == "" {
					found.Phone = h.Value
				}
			}
		}
		if err := st.CreateContact(ctx, found); err != nil {
			return nil, false, fmt.Errorf("contact: resolve: create: %w", err)
		}
		created = true
	}
	known := map[desk.IdentityKind]map[string]bool{}
	for _, id := range found.Identities {
		if known[id.Kind] == nil {
			known[id.Kind] = map[string]bool{}
		}
		known[id.Kind][id.Value] = true
	}
	for _, h := range handles {
		if known[h.Kind][h.Value] {
			continue
		}
		id := &desk.Identity{ContactID: found.ID, Kind: h.Kind, Value: h.Value}
		err := st.AddIdentity(ctx, id)
		if errors.Is(err, desk.ErrConflict) {
			if created && h == handles[0] {
				// The handle we looked up a moment ago was free and is now
				// taken: a concurrent request for the same new customer won.
				// Undo and resolve again, or the customer gets two profiles.
				return nil, false, ErrRace
			}
			// The handle belongs to another customer: leave it there. Merging
			// two profiles is a person's decision, not the resolver's.
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("contact: resolve: link %s: %w", h.Kind, err)
		}
		found.Identities = append(found.Identities, *id)
	}
	return found, created, nil
}

func handlesOf(s Sender) ([]desk.Identity, error) {
	var out []desk.Identity
	add := func(kind desk.IdentityKind, v string) {
		for _, h := range out {
			if h.Kind == kind && h.Value == v {
				return
			}
		}
		out = append(out, desk.Identity{Kind: kind, Value: v})
	}
	if s.Identity.Kind != "" && s.Identity.Value != "" {
		v := s.Identity.Value
		var err error
		switch s.Identity.Kind {
		case desk.IdentityEmail:
			v, err = NormaliseEmail(v)
		case desk.IdentityPhone:
			v, err = NormalisePhone(v)
		}
		if err != nil {
			return nil, err
		}
		add(s.Identity.Kind, v)
	}
	if s.Email != "" {
		e, err := NormaliseEmail(s.Email)
		if err != nil {
			return nil, err
		}
		add(desk.IdentityEmail, e)
	}
	if s.Phone != "" {
		p, err := NormalisePhone(s.Phone)
		if err != nil {
			return nil, err
		}
		add(desk.IdentityPhone, p)
	}
	return out, nil
}

func defaultName(s Sender) string {
	if s.Email != "" {
		if at := strings.IndexByte(s.Email, '@'); at > 0 {
			return s.Email[:at]
		}
	}
	if s.Phone != "" {
		return s.Phone
	}
	return "Visitor"
}

// NormaliseEmail lower-cases and checks an address.
func NormaliseEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > maxEmail {
		return "", desk.Invalid("email", "too long")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.IndexByte(s, '@')+1:], ".") {
		return "", desk.Invalid("email", "not an email address")
	}
	return s, nil
}

// NormalisePhone keeps a leading + and the digits; Dutch mobile numbers written
// as 06... become +316..., and "+31 (0)6..." loses its (0). At least 6
// digits are needed.
func NormalisePhone(s string) (string, error) {
	// "+31 (0)6 ..." is how many Dutch numbers are written: the (0) is the
	// national prefix and is dropped in international form.
	s = strings.Replace(strings.TrimSpace(s), "(0)", "", 1)
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '+' && i == 0:
			b.WriteRune(r)
		case unicode.IsDigit(r) && r < 128:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", desk.Invalid("phone", "not a phone number")
		}
	}
	p := b.String()
	if strings.HasPrefix(p, "00") {
		p = "+" + p[2:]
	}
	if strings.HasPrefix(p, "06") && len(p) == 10 {
		p = "+31" + p[1:]
	}
	digits := strings.TrimPrefix(p, "+")
	if len(digits) < 6 || len(p) > maxPhone {
		return "", desk.Invalid("phone", "not a phone number")
	}
	return p, nil
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary.
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
