package lang

import (
	"testing"
	"unicode/utf8"
)

func FuzzIndexTerms(f *testing.F) {
	for _, seed := range []string{
		"",
		"Hallo, mijn bestelling NL-2024-0001 is niet bezorgd",
		"my packages have not arrived; mail jan.de.vries@example.nl",
		"a1-b2-c3-d4-e5-f6-g7-h8-i9-j0-k1",
		"Ünïcödé façade coöperatie Straße ĳsbeer Заказ №7 e\u0301",
		"don't auto's ‘quoted’ --- ...@@@ 12/34/56",
		"\xff\xfe invalid \xc3",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		terms := IndexTerms(text)
		// Each chunk of at least two input bytes yields at most 2 stems per
		// part plus its 28 runs; bound loosely by the input size.
		if max := 64 + 20*len(text); len(terms) > max {
			t.Fatalf("IndexTerms gave %d terms for %d bytes", len(terms), len(text))
		}
		seen := make(map[string]bool, len(terms))
		for _, term := range terms {
			if term == "" || len(term) > MaxTokenLen {
				t.Fatalf("term %q has %d bytes, want 1..%d", term, len(term), MaxTokenLen)
			}
			if !utf8.ValidString(term) {
				t.Fatalf("term %q is not valid UTF-8", term)
			}
			if seen[term] {
				t.Fatalf("term %q appears twice", term)
			}
			seen[term] = true
		}
		for _, g := range QueryTerms(text) {
			if len(g) == 0 || len(g) > 2 {
				t.Fatalf("query group %q has %d terms", g, len(g))
			}
			for _, term := range g {
				if !seen[term] {
					t.Fatalf("query term %q is not among the text's own index terms", term)
				}
			}
		}
		_ = Detect(text)
		_ = Tokens(text)
	})
}
