package contact_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/balie-dev/balie/internal/contact"
)

// FuzzNormalise: hostile handles never panic, and what is accepted is
// canonical: normalising it again changes nothing.
func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"Jan@Example.nl", "06 12345678", "+31 (0)6 1234 5678", "0031612345678", "a@b", "\x00@x.nl", "+", strings.Repeat("9", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e, err := contact.NormaliseEmail(s); err == nil {
			if again, err := contact.NormaliseEmail(e); err != nil || again != e {
				t.Fatalf("email %q normalised to %q, then to %q (%v)", s, e, again, err)
			}
			if !utf8.ValidString(e) || len(e) > 254 {
				t.Fatalf("accepted email %q is invalid UTF-8 or too long", e)
			}
		}
		if p, err := contact.NormalisePhone(s); err == nil {
			if again, err := contact.NormalisePhone(p); err != nil || again != p {
				t.Fatalf("phone %q normalised to %q, then to %q (%v)", s, p, again, err)
			}
			if strings.Trim(p, "+0123456789") != "" {
				t.Fatalf("accepted phone %q has other characters than + and digits", p)
			}
		}
	})
}
