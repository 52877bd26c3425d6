package index

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// fixture is a small bilingual help center written for these tests.
func fixture() []Doc {
	return []Doc{
		{ID: "nl-adres", Locale: "nl", Title: "Hoe wijzig ik mijn bezorgadres?",
			Question: []string{"Ander afleveradres opgeven"},
			Body:     "Ga naar Mijn account en kies Adressen. Een nieuw adres geldt voor bestellingen die nog niet verzonden zijn."},
		{ID: "nl-retour", Locale: "nl", Title: "Retour aanmelden",
			Body: "Meld je retour binnen 30 dagen aan via het formulier. Je krijgt een verzendlabel per e-mail."},
		{ID: "nl-betalen", Locale: "nl", Title: "Betaalmethoden",
			Body: "Je kunt betalen met iDEAL, creditcard of achteraf. Bij een retour storten we het bedrag terug."},
		{ID: "nl-account", Locale: "nl", Title: "Account verwijderen",
			Body: "Stuur ons een bericht; we verwijderen je account en gegevens binnen een week."},
		{ID: "en-missing", Locale: "en", Title: "My package never arrived",
			Question: []string{"Parcel lost in transit", "Where is my delivery?"},
			Body:     "If your parcel has not arrived within five working days, contact us and we will send a replacement."},
		{ID: "en-password", Locale: "en", Title: "Reset your password",
			Body: "Click Forgot password on the sign-in page. We email a link that is valid for one hour."},
		{ID: "en-orders", Locale: "en", Title: "Viewing your orders",
			Body: "All orders you placed appear under Account, Orders, newest first. Tracking links are shown per shipment."},
		{ID: "en-account", Locale: "en", Title: "Closing your account",
			Body: "We delete your account and personal data within a week of your request."},
		{ID: "en-body-only", Locale: "en", Title: "Shipping costs",
			Body: "Shipping is free above 50 euros. No password needed: a password or password reset never changes the costs."},
	}
}

func newFixture(t *testing.T) *Index {
	t.Helper()
	ix := New(Options{})
	for _, d := range fixture() {
		if err := ix.Add(d); err != nil {
			t.Fatalf("Add(%s): %v", d.ID, err)
		}
	}
	return ix
}

func ids(hits []Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func TestSearchRanking(t *testing.T) {
	ix := newFixture(t)
	tests := []struct {
		name, query, locale string
		wantFirst           string // "" means: no hits at all
	}{
		{name: "title beats body", query: "password", locale: "en", wantFirst: "en-password"},
		{name: "question field", query: "parcel lost", locale: "en", wantFirst: "en-missing"},
		{name: "dutch stemming", query: "bezorgadres wijzigen", locale: "nl", wantFirst: "nl-adres"},
		{name: "dutch plural", query: "betaalmethode", locale: "nl", wantFirst: "nl-betalen"},
		{name: "english stemming", query: "view my order", locale: "en", wantFirst: "en-orders"},
		{name: "english inflection", query: "packages arriving", locale: "en", wantFirst: "en-missing"},
		{name: "typo one edit", query: "pasword reset", locale: "en", wantFirst: "en-password"},
		{name: "typo swap", query: "bezorgadsre", locale: "nl", wantFirst: "nl-adres"},
		{name: "typo two edits in long word", query: "vervijdderen acount", locale: "nl", wantFirst: "nl-account"},
		{name: "short word no typo", query: "mya", locale: "en", wantFirst: ""},
		{name: "diacritics folded", query: "Rétour", locale: "nl", wantFirst: "nl-retour"},
		{name: "only stop words", query: "how do I", locale: "en", wantFirst: ""},
		{name: "empty", query: "  ", locale: "", wantFirst: ""},
		{name: "no match", query: "kangaroo", locale: "", wantFirst: ""},
		{name: "region locale", query: "retour", locale: "nl-BE", wantFirst: "nl-retour"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Search(tt.query, tt.locale, 5)
			if tt.wantFirst == "" {
				if len(hits) != 0 {
					t.Fatalf("Search(%q) = %v, want no hits", tt.query, ids(hits))
				}
				return
			}
			if len(hits) == 0 || hits[0].ID != tt.wantFirst {
				t.Fatalf("Search(%q) = %v, want %s first", tt.query, ids(hits), tt.wantFirst)
			}
			for i := 1; i < len(hits); i++ {
				if hits[i].Score > hits[i-1].Score {
					t.Errorf("hits not sorted by score: %v", hits)
				}
			}
		})
	}
}

func TestSearchLocaleFilter(t *testing.T) {
	ix := newFixture(t)
	ix.Add(Doc{ID: "any", Title: "Account help"}) // no locale: shown everywhere
	tests := []struct {
		locale string
		want   []string
	}{
		{locale: "nl", want: []string{"any", "nl-account", "nl-adres"}},
		{locale: "en", want: []string{"any", "en-account", "en-orders"}},
		{locale: "", want: []string{"any", "en-account", "en-orders", "nl-account", "nl-adres"}},
	}
	for _, tt := range tests {
		t.Run("locale "+tt.locale, func(t *testing.T) {
			got := ids(ix.Search("account", tt.locale, 10))
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Search(account, %q) = %v, want %v", tt.locale, got, tt.want)
			}
		})
	}
}

func TestSynonyms(t *testing.T) {
	ix := newFixture(t)
	if got := ids(ix.Search("terugsturen", "nl", 5)); len(got) != 0 {
		t.Fatalf("before synonyms: Search(terugsturen) = %v, want no hits", got)
	}
	if err := ix.SetSynonyms([][]string{{"retour", "terugsturen", "return"}, {"parcel", "pakket"}}); err != nil {
		t.Fatalf("SetSynonyms: %v", err)
	}
	tests := []struct{ query, locale, want string }{
		{query: "terugsturen", locale: "nl", want: "nl-retour"},
		{query: "returns", locale: "nl", want: "nl-retour"},
		{query: "pakket kwijt", locale: "en", want: "en-missing"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			hits := ix.Search(tt.query, tt.locale, 5)
			if len(hits) == 0 || hits[0].ID != tt.want {
				t.Errorf("Search(%q) = %v, want %s first", tt.query, ids(hits), tt.want)
			}
		})
	}
	// A direct match outranks the same document found through a synonym.
	direct := ix.Search("retour", "nl", 5)
	viaSyn := ix.Search("terugsturen", "nl", 5)
	if direct[0].Score <= viaSyn[0].Score {
		t.Errorf("direct score %.3f ≤ synonym score %.3f", direct[0].Score, viaSyn[0].Score)
	}
}

func TestSetSynonymsInvalid(t *testing.T) {
	ix := newFixture(t)
	if err := ix.SetSynonyms([][]string{{"retour", "terugsturen"}}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][][]string{
		{{"retour", "stuur terug"}},
		{{"retour", ""}},
		{{"the", "retour"}},
	} {
		err := ix.SetSynonyms(bad)
		if !errors.Is(err, desk.ErrInvalid) {
			t.Errorf("SetSynonyms(%q) error = %v, want desk.ErrInvalid", bad, err)
		}
	}
	// The old list stays after a rejected one.
	if hits := ix.Search("terugsturen", "nl", 1); len(hits) == 0 || hits[0].ID != "nl-retour" {
		t.Errorf("after rejected update: Search(terugsturen) = %v, want nl-retour", ids(hits))
	}
}

func TestSuggest(t *testing.T) {
	ix := newFixture(t)
	tests := []struct {
		name, prefix, locale, want string
	}{
		{name: "last word is a prefix", prefix: "hoe wijzig ik mijn bezorga", locale: "nl", want: "nl-adres"},
		{name: "single prefix", prefix: "passw", locale: "en", want: "en-password"},
		{name: "prefix of stop word", prefix: "reset yo", locale: "en", want: "en-password"},
		{name: "whole word", prefix: "orders", locale: "en", want: "en-orders"},
		{name: "trailing space ends the word", prefix: "closing ", locale: "en", want: "en-account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := ix.Suggest(tt.prefix, tt.locale, 3)
			if len(hits) == 0 || hits[0].ID != tt.want {
				t.Errorf("Suggest(%q) = %v, want %s first", tt.prefix, ids(hits), tt.want)
			}
		})
	}
	// Search does not complete words.
	if hits := ix.Search("passw", "en", 3); len(hits) != 0 {
		t.Errorf("Search(passw) = %v, want no hits", ids(hits))
	}
	// Suggestions follow updates.
	ix.Add(Doc{ID: "nl-cadeau", Locale: "nl", Title: "Cadeaubon inwisselen"})
	if hits := ix.Suggest("cadea", "nl", 3); len(hits) == 0 || hits[0].ID != "nl-cadeau" {
		t.Errorf("after Add: Suggest(cadea) = %v, want nl-cadeau", ids(hits))
	}
	ix.Remove("nl-cadeau")
	if hits := ix.Suggest("cadea", "nl", 3); len(hits) != 0 {
		t.Errorf("after Remove: Suggest(cadea) = %v, want none", ids(hits))
	}
}

func TestAddRemoveReplace(t *testing.T) {
	ix := newFixture(t)
	n := ix.Len()
	ix.Remove("en-password")
	if hits := ix.Search("password", "en", 5); slices.Contains(ids(hits), "en-password") {
		t.Errorf("after Remove: Search(password) = %v, still has en-password", ids(hits))
	}
	// Typo correction no longer offers words only the removed article
	// had ("forgot").
	if hits := ix.Search("forgott", "en", 5); len(hits) != 0 {
		t.Errorf("after Remove: Search(forgott) = %v, want none", ids(hits))
	}
	ix.Remove("en-password") // twice is harmless
	if got := ix.Len(); got != n-1 {
		t.Errorf("Len after Remove = %d, want %d", got, n-1)
	}

	// Adding an existing ID replaces the document.
	ix.Add(Doc{ID: "nl-retour", Locale: "nl", Title: "Ruilen"})
	if hits := ix.Search("retour aanmelden", "nl", 5); slices.Contains(ids(hits), "nl-retour") && hits[0].ID == "nl-retour" {
		t.Errorf("after replace: Search(retour aanmelden) = %v, old text still ranks", ids(hits))
	}
	if hits := ix.Search("ruilen", "nl", 5); len(hits) == 0 || hits[0].ID != "nl-retour" {
		t.Errorf("after replace: Search(ruilen) = %v, want nl-retour", ids(hits))
	}
	if got := ix.Len(); got != n-1 {
		t.Errorf("Len after replace = %d, want %d", got, n-1)
	}
	if err := ix.Add(Doc{Title: "no id"}); !errors.Is(err, desk.ErrInvalid) {
		t.Errorf("Add(no id) error = %v, want desk.ErrInvalid", err)
	}
}

func TestBoost(t *testing.T) {
	ix := New(Options{})
	ix.Add(Doc{ID: "a", Title: "Gift cards"})
	ix.Add(Doc{ID: "b", Title: "Gift cards", Boost: 2})
	hits := ix.Search("gift card", "", 2)
	if got := ids(hits); !slices.Equal(got, []string{"b", "a"}) {
		t.Fatalf("Search = %v, want [b a]", got)
	}
	if r := hits[0].Score / hits[1].Score; r < 1.99 || r > 2.01 {
		t.Errorf("score ratio = %.3f, want 2", r)
	}
}

func TestLimit(t *testing.T) {
	ix := newFixture(t)
	for _, limit := range []int{0, 1, 2} {
		if got := len(ix.Search("account", "", limit)); got != limit {
			t.Errorf("Search(account, limit %d) returned %d hits", limit, got)
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("Filler words about nothing in particular. ", 10) +
		"Your parcel arrives within five working days of the order." +
		strings.Repeat(" More filler text follows here.", 10)
	ix := New(Options{})
	ix.Add(Doc{ID: "d", Title: "Delivery", Body: long})
	ix.Add(Doc{ID: "s", Title: "Short", Body: "Parcels: see the delivery page."})
	tests := []struct {
		name, query, id string
		wantWords       []string
		wantCut         bool
	}{
		{name: "window around matches", query: "when does my parcel arrive", id: "d", wantWords: []string{"parcel", "arrives"}, wantCut: true},
		{name: "short body whole", query: "parcel", id: "s", wantWords: []string{"Parcels"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hit Hit
			for _, h := range ix.Search(tt.query, "", 5) {
				if h.ID == tt.id {
					hit = h
				}
			}
			if hit.ID == "" {
				t.Fatalf("Search(%q) did not return %s", tt.query, tt.id)
			}
			var got []string
			for _, r := range hit.Highlights {
				got = append(got, hit.Snippet[r[0]:r[1]])
			}
			if !slices.Equal(got, tt.wantWords) {
				t.Errorf("highlighted %q in %q, want %q", got, hit.Snippet, tt.wantWords)
			}
			if cut := strings.Contains(hit.Snippet, "…"); cut != tt.wantCut {
				t.Errorf("snippet %q cut = %v, want %v", hit.Snippet, cut, tt.wantCut)
			}
			if n := len(strings.Fields(hit.Snippet)); n > snippetWords+2 {
				t.Errorf("snippet has %d words, want ≤ %d", n, snippetWords+2)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	ix := newFixture(t)
	ix.SetSynonyms([][]string{{"retour", "return"}})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				id := fmt.Sprintf("doc-%d-%d", g, i)
				ix.Add(Doc{ID: id, Locale: "en", Title: "Return policy", Body: "Returns within 30 days"})
				ix.Search("retour policy", "en", 5)
				ix.Suggest("retu", "en", 5)
				if i%2 == 0 {
					ix.Remove(id)
				}
			}
		})
	}
	wg.Wait()
	if got, want := ix.Len(), len(fixture())+4*25; got != want {
		t.Errorf("Len = %d, want %d", got, want)
	}
}

func TestInternalFilter(t *testing.T) {
	ix := New(Options{})
	for _, d := range []Doc{
		{ID: "public", Locale: "en", Title: "Refund policy"},
		{ID: "internal", Locale: "en", Title: "Refund policy for agents", Internal: true},
	} {
		if err := ix.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		got  []Hit
		want []string
	}{
		{"Search hides internal", ix.Search("refund policy", "en", 10), []string{"public"}},
		{"Suggest hides internal", ix.Suggest("refu", "en", 10), []string{"public"}},
		{"SearchIn with Internal", ix.SearchIn(Filter{Locale: "en", Internal: true}, "refund agents", 10), []string{"internal", "public"}},
		{"SuggestIn with Internal", ix.SuggestIn(Filter{Internal: true}, "refund for ag", 10), []string{"internal", "public"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(tt.got); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCoverage(t *testing.T) {
	ix := New(Options{})
	for _, d := range []Doc{
		{ID: "bike-delivery", Locale: "en", Title: "Bike delivery times"},
		{ID: "bike-warranty", Locale: "en", Title: "Bike warranty"},
		{ID: "bike-battery", Locale: "en", Title: "E-bike battery care"},
	} {
		if err := ix.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		query    string
		first    string
		min, max float64
	}{
		{"bike warranty", "bike-warranty", 0.99, 1},
		{"bike insurance", "", 0, 0.4}, // only the common word matched: a guess
		{"warranty claim bike", "bike-warranty", 0.3, 0.7},
	}
	for _, tt := range tests {
		hits := ix.Search(tt.query, "en", 5)
		if len(hits) == 0 {
			t.Fatalf("Search(%q) found nothing", tt.query)
		}
		if tt.first != "" && hits[0].ID != tt.first {
			t.Errorf("Search(%q) first = %s, want %s", tt.query, hits[0].ID, tt.first)
		}
		if c := hits[0].Coverage; c < tt.min || c > tt.max {
			t.Errorf("Search(%q) coverage = %.2f, want %.2f..%.2f", tt.query, c, tt.min, tt.max)
		}
	}
	filtered := New(Options{MinCoverage: 0.5})
	for _, id := range []string{"bike-delivery", "bike-warranty"} {
		filtered.Add(Doc{ID: id, Locale: "en", Title: strings.ReplaceAll(id, "-", " ")})
	}
	if hits := filtered.Search("bike insurance", "en", 5); len(hits) != 0 {
		t.Errorf("MinCoverage 0.5: Search(bike insurance) = %v, want nothing", ids(hits))
	}
}
