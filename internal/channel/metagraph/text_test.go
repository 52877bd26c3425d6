package metagraph

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		size func(rune) int
		want []string
	}{
		{"fits", "hallo", 5, Runes, []string{"hallo"}},
		{"empty", "", 5, Runes, nil},
		{"at a space", "aaa bbb ccc", 8, Runes, []string{"aaa bbb", "ccc"}},
		{"at a line break", "aaaaa\nbbbbbb", 8, Runes, []string{"aaaaa", "bbbbbb"}},
		{"a break in the first half is not used", "aaaa\nbbbbbb", 8, Runes, []string{"aaaa\nbbb", "bbb"}},
		{"no break in the second half: hard cut", "ab cdefghij", 8, Runes, []string{"ab cdefg", "hij"}},
		{"characters, not bytes", "éééé éééé", 4, Runes, []string{"éééé", "éééé"}},
		{"bytes for Instagram", "éééé éééé", 4, utf8.RuneLen, []string{"éé", "éé", "éé", "éé"}},
		{"a rune larger than max still moves on", "😀😀", 2, utf8.RuneLen, []string{"😀", "😀"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SplitText(tc.in, tc.max, tc.size)
			if !slices.Equal(got, tc.want) {
				t.Errorf("SplitText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

// TestSplitTextLimits checks on a long text that every piece fits and no
// word is lost.
func TestSplitTextLimits(t *testing.T) {
	text := strings.Repeat("Goedemiddag, uw fiets staat klaar bij De Spaak. ", 200)
	for _, tc := range []struct {
		name string
		max  int
		size func(rune) int
	}{{"whatsapp", 4096, Runes}, {"instagram", 1000, utf8.RuneLen}} {
		t.Run(tc.name, func(t *testing.T) {
			parts := SplitText(text, tc.max, tc.size)
			if len(parts) < 2 {
				t.Fatalf("%d parts, want several", len(parts))
			}
			for i, p := range parts {
				n := 0
				for _, r := range p {
					n += tc.size(r)
				}
				if n > tc.max {
					t.Errorf("part %d is %d units, want at most %d", i, n, tc.max)
				}
			}
			if got, want := strings.Join(strings.Fields(strings.Join(parts, " ")), " "), strings.Join(strings.Fields(text), " "); got != want {
				t.Error("the joined parts differ from the text")
			}
		})
	}
}
