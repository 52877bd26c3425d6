package sqlite

import (
	"strings"
	"testing"
)

func TestFTSQuery(t *testing.T) {
	for _, tc := range []struct {
		name   string
		groups [][]string
		want   string
	}{
		{"nothing", nil, ""},
		{"one word", [][]string{{"pakket"}}, `"pakket"`},
		{"and of ors", [][]string{{"bestel", "bestelling"}, {"kwijt"}}, `("bestel" OR "bestelling") AND "kwijt"`},
		{"syntax is quoted away", [][]string{{`NEAR`}, {`a"b`}}, `"NEAR" AND "x0612262"`},
		{"empty alternatives are dropped", [][]string{{""}, {"x"}}, `"x"`},
		{"non-ascii is one token", [][]string{{"Ωmega"}}, `"x0cf896d656761"`},
	} {
		if got := ftsQuery(tc.groups); got != tc.want {
			t.Errorf("%s: ftsQuery(%q) = %s, want %s", tc.name, tc.groups, got, tc.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	long := "Goedemiddag, ik heb vorige week een bestelling geplaatst bij jullie webwinkel en sindsdien niets meer gehoord. " +
		"Mijn ordernummer is 4711-2025 en ik zou graag willen weten wanneer het pakket wordt bezorgd, want ik ga op vakantie."
	for _, tc := range []struct {
		name, body, term, wantPart string
		wantLen                    int
	}{
		{"short body whole", "Waar is  mijn\npakket?", "pakket", "Waar is mijn pakket?", 20},
		{"around a late match", long, "bezorgd", "bezorgd", 170},
		{"no match starts at the start", long, "xylofoon", "Goedemiddag", 170},
	} {
		got := snippet(tc.body, [][]string{{tc.term}})
		if !strings.Contains(got, tc.wantPart) || len([]rune(got)) > tc.wantLen {
			t.Errorf("%s: snippet = %q (%d runes), want it to hold %q within %d runes", tc.name, got, len([]rune(got)), tc.wantPart, tc.wantLen)
		}
	}
}
