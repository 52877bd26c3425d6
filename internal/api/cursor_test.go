package api

import (
	"testing"
	"time"

	"github.com/balie-dev/balie/internal/desk"
)

func TestCursorRoundTrip(t *testing.T) {
	c := &desk.Cursor{At: time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC), ID: 42}
	got, err := DecodeCursor(EncodeCursor(c))
	if err != nil || !got.At.Equal(c.At) || got.ID != c.ID {
		t.Fatalf("DecodeCursor(EncodeCursor(%v)) = %v, %v", c, got, err)
	}
	if got, err := DecodeCursor(""); got != nil || err != nil {
		t.Fatalf("empty cursor = %v, %v; want nil, nil (first page)", got, err)
	}
}

// FuzzDecodeCursor: a cursor comes from the client; anything it sends is
// either a valid position or a clear invalid-field error, never a panic.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor(&desk.Cursor{At: time.Unix(1, 0), ID: 1}))
	f.Add("!!!")
	f.Add("MTox")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := DecodeCursor(s)
		if err == nil && s != "" && c == nil {
			t.Fatalf("DecodeCursor(%q) = nil, nil", s)
		}
		if err == nil && c != nil {
			again, err := DecodeCursor(EncodeCursor(c))
			if err != nil || again.ID != c.ID || !again.At.Equal(c.At) {
				t.Fatalf("cursor %q does not round-trip: %v %v", s, again, err)
			}
		}
	})
}
