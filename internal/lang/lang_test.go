package lang

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTokens(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty", "", nil},
		{"only punctuation", " ,.!? -- ", nil},
		{"words and case", "Hallo, ik WIL mijn Bestelling!", []string{"hallo", "ik", "wil", "mijn", "bestelling"}},
		{"diacritics folded", "Één financiële café naïef coördinatie", []string{"een", "financiele", "cafe", "naief", "coordinatie"}},
		{"ligature and eszett", "ĳs Straße", []string{"ijs", "strasse"}},
		{"combining marks dropped", "cafe\u0301 ok", []string{"cafe", "ok"}},
		{"apostrophes join letters", "customer's auto’s don't", []string{"customers", "autos", "dont"}},
		{"order number whole", "order NL-2024-0001 please", []string{"order", "nl20240001", "please"}},
		{"digits with letters", "ORD12345", []string{"ord12345"}},
		{"number", "12345.", []string{"12345"}},
		{"email whole", "mail jan.de.vries@example.nl now", []string{"mail", "jandevriesexamplenl", "now"}},
		{"hyphenated words split", "e-mail klant-service", []string{"e", "mail", "klant", "service"}},
		{"domain words split", "www.example.nl", []string{"www", "example", "nl"}},
		{"trailing joiner", "order 123- ok", []string{"order", "123", "ok"}},
		{"double joiner breaks", "a--b", []string{"a", "b"}},
		{"mention", "@jan hi", []string{"jan", "hi"}},
		{"non-latin", "Заказ 5", []string{"заказ", "5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Tokens(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Tokens(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestTokensLimits(t *testing.T) {
	long := strings.Repeat("x", 500)
	got := Tokens(long + " ok")
	if len(got) != 2 || len(got[0]) != MaxTokenLen || got[1] != "ok" {
		t.Errorf("Tokens(500 x's + ok) = %d tokens, first %d bytes; want 2 tokens, first %d bytes", len(got), len(got[0]), MaxTokenLen)
	}
	// A long run of multi-byte letters is cut at a rune boundary.
	got = Tokens(strings.Repeat("é", 10) + strings.Repeat("ж", 100))
	if len(got) != 1 || !utf8.ValidString(got[0]) || len(got[0]) > MaxTokenLen {
		t.Errorf("Tokens(long cyrillic) = %q, want one valid token of at most %d bytes", got, MaxTokenLen)
	}
	// Input beyond MaxInput is ignored.
	text := strings.Repeat("a ", MaxInput/2) + "hidden"
	if toks := Tokens(text); slices.Contains(toks, "hidden") {
		t.Errorf("Tokens read past MaxInput: found %q", "hidden")
	}
}

func TestIndexTerms(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"empty", "", nil},
		{"stop words only", "ik wil het niet, and it is not", nil},
		// nl: bestell, bestell; en: bestellingen, bestel.
		{"both stems, deduplicated", "bestellingen bestelling", []string{"bestell", "bestellingen", "bestel"}},
		{"same stem once", "order orders", []string{"order"}},
		{"one-letter words skipped", "x y z", nil},
		{"code parts and runs", "NL-2024-0001", []string{"nl", "2024", "0001", "nl2024", "nl20240001", "20240001"}},
		{"letters and digits", "ORD12345", []string{"ord", "12345", "ord12345"}},
		{"email", "jan@example.nl", []string{"jan", "exampl", "nl", "janexample", "janexamplenl", "examplenl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IndexTerms(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("IndexTerms(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestQueryTerms(t *testing.T) {
	tests := []struct {
		name, text string
		want       [][]string
	}{
		{"empty", "", nil},
		{"stop words only", "ik wil het", nil},
		{"both stems", "bestelling", [][]string{{"bestell", "bestel"}}},
		{"equal stems one term", "orders", [][]string{{"order"}}},
		{"repeated word once", "order order orders", [][]string{{"order"}}},
		{"stop words dropped", "where is my package", [][]string{{"packag"}}},
		{"code whole", "status NL-2024-0001", [][]string{{"status"}, {"nl20240001"}}},
		{"email whole", "jan@example.nl", [][]string{{"janexamplenl"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := QueryTerms(tt.text)
			if !slices.EqualFunc(got, tt.want, slices.Equal) {
				t.Errorf("QueryTerms(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestQueryTermsBounded(t *testing.T) {
	var b strings.Builder
	for i := range 100 {
		b.WriteString("woord")
		b.WriteByte(byte('a' + i%26))
		b.WriteByte(byte('a' + i/26))
		b.WriteByte(' ')
	}
	if got := QueryTerms(b.String()); len(got) != MaxQueryGroups {
		t.Errorf("QueryTerms(100 words) gave %d groups, want %d", len(got), MaxQueryGroups)
	}
}

// matches reports whether a document indexed with IndexTerms(doc) matches
// query: every group has a term in the index. It is the contract the
// store drivers implement.
func matches(doc, query string) bool {
	groups := QueryTerms(query)
	if groups == nil {
		return false
	}
	index := IndexTerms(doc)
	for _, g := range groups {
		if !slices.ContainsFunc(g, func(term string) bool { return slices.Contains(index, term) }) {
			return false
		}
	}
	return true
}

func TestSearchFinds(t *testing.T) {
	tests := []struct {
		name, doc, query string
		want             bool
	}{
		{"nl plural and singular", "Mijn bestellingen zijn te laat", "bestelling", true},
		{"nl singular and plural", "Waar is mijn bestelling?", "bestellingen", true},
		{"en plural, negation", "my packages have not arrived", "package never arrived", true},
		{"nl verb forms", "Bezorgadres wijzigen", "hoe wijzig ik mijn bezorgadres", true},
		{"nl payments", "Twee betalingen zijn mislukt", "betaling mislukt", true},
		{"en deliveries", "Deliveries are delayed", "delivery delayed", true},
		{"diacritics either side", "De financiële afdeling", "financiele", true},
		{"unrelated", "my packages have not arrived", "refund", false},
		{"all words required", "Bezorgadres wijzigen", "bezorgadres factuur", false},
		{"order number exact", "Order NL-2024-0001 is onderweg", "NL-2024-0001", true},
		{"order number tail", "Order NL-2024-0001 is onderweg", "2024-0001", true},
		{"order number head", "Order NL-2024-0001 is onderweg", "nl-2024", true},
		{"order number without dashes", "Order NL-2024-0001 is onderweg", "nl20240001", true},
		{"order number last part", "Order NL-2024-0001 is onderweg", "0001", true},
		{"written without dashes, searched with", "Order NL20240001", "NL-2024-0001", true},
		{"other order number", "Order NL-2024-0001 is onderweg", "NL-2024-0002", false},
		{"prefixed number", "ordernummer ORD12345", "12345", true},
		{"prefixed number with dash", "ordernummer ORD12345", "ord-12345", true},
		{"email full", "Mail naar jan@example.nl graag", "jan@example.nl", true},
		{"email local part", "Mail naar jan@example.nl graag", "jan", true},
		{"email domain", "Mail naar jan@example.nl graag", "example.nl", true},
		{"other email", "Mail naar jan@example.nl graag", "piet@example.nl", false},
		{"stop-word query finds nothing", "the order is here", "the is", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matches(tt.doc, tt.query); got != tt.want {
				t.Errorf("query %q on %q: match = %v, want %v (index %q, query %q)",
					tt.query, tt.doc, got, tt.want, IndexTerms(tt.doc), QueryTerms(tt.query))
			}
		})
	}
}

// Every query group of a text must be satisfiable by the text's own index.
func TestTextFindsItself(t *testing.T) {
	texts := []string{
		"Hallo, mijn bestelling NL-2024-0001 is nog niet bezorgd. Kunnen jullie kijken? Groet, jan@example.nl",
		"Hi, I ordered two packages last week (order #ORD12345) but only one arrived. Can you refund the other?",
		"Ik wil graag mijn abonnement opzeggen per 1-1-2025, ref 12/345/ab.",
		"Ünïcödé façade coöperatie Straße ĳsbeer Заказ №7",
	}
	for _, text := range texts {
		t.Run(text[:20], func(t *testing.T) {
			if !matches(text, text) {
				t.Errorf("text does not find itself: index %q, query %q", IndexTerms(text), QueryTerms(text))
			}
		})
	}
}

func TestIndexTermsBounded(t *testing.T) {
	// A hostile text: endless codes with many parts.
	text := strings.Repeat("a1-b2-c3-d4-e5-f6-g7-h8-i9-j0 ", MaxInput/30+100)
	for _, term := range IndexTerms(text) {
		if len(term) > MaxTokenLen || len(term) == 0 {
			t.Fatalf("term %q has %d bytes, want 1..%d", term, len(term), MaxTokenLen)
		}
	}
}
