package index

import (
	"maps"
	"slices"
	"testing"
)

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		max  int
		want int
	}{
		{a: "adres", b: "adres", max: 2, want: 0},
		{a: "adres", b: "adress", max: 2, want: 1},
		{a: "adres", b: "adrse", max: 2, want: 1}, // adjacent swap
		{a: "adres", b: "odres", max: 2, want: 1},
		{a: "bezorging", b: "bezorgnig", max: 2, want: 1},
		{a: "verwijderen", b: "vervijdderen", max: 2, want: 2},
		{a: "verwijderen", b: "verwijdering", max: 2, want: 2},
		{a: "abc", b: "xyz", max: 2, want: 3},  // max+1 when over
		{a: "a", b: "abcdef", max: 1, want: 2}, // length gap alone
		{a: "", b: "ab", max: 2, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.a+"/"+tt.b, func(t *testing.T) {
			if got := editDistance(tt.a, tt.b, tt.max); got != tt.want {
				t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.max, got, tt.want)
			}
			if got := editDistance(tt.b, tt.a, tt.max); got != tt.want {
				t.Errorf("editDistance(%q, %q, %d) = %d, want %d (symmetry)", tt.b, tt.a, tt.max, got, tt.want)
			}
		})
	}
}

// The deletion neighbourhood must find every vocabulary word a scan with
// editDistance finds.
func TestTypoCandidatesMatchScan(t *testing.T) {
	ix := New(Options{})
	vocab := []string{"adres", "adressen", "bezorgadres", "bezorging", "verzending", "verzenden",
		"account", "accounts", "password", "passwords", "retour", "retouren", "bestelling",
		"bestellingen", "order", "ordered", "border", "parcel", "parcels", "delivery", "deliveries"}
	for i, w := range vocab {
		ix.Add(Doc{ID: w, Title: w, Body: vocab[(i+1)%len(vocab)]})
	}
	queries := []string{"adrse", "adresen", "bezorgadrse", "bezorgadressen", "verzneding", "acount",
		"pasword", "passwrods", "retuor", "bestellnig", "bestelingen", "orderd", "parsel", "delivry",
		"delievries", "xxxxx", "ordre"}
	for _, q := range queries {
		want := make(map[string]int)
		for w := range ix.vocab {
			if k := maxEdits(len(q)); w != q && editDistance(q, w, k) <= k {
				want[w] = editDistance(q, w, k)
			}
		}
		got := ix.typoCandidates(q)
		if !maps.Equal(got, want) {
			t.Errorf("typoCandidates(%q) = %v, want %v", q, sortedKeys(got), sortedKeys(want))
		}
	}
}

func sortedKeys(m map[string]int) []string {
	return slices.Sorted(maps.Keys(m))
}
