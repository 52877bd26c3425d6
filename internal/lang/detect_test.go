package lang

import "testing"

func TestDetect(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", ""},
		{"one word", "ok", ""},
		{"order number only", "NL-2024-0001", ""},
		{"shared words only", "is in was", ""},
		{"nl question", "Hoe wijzig ik mijn bezorgadres?", "nl"},
		{"nl complaint", "Mijn pakket is nog steeds niet bezorgd, kunnen jullie dat nakijken?", "nl"},
		{"nl without stop words", "Bezorgadres wijzigen", "nl"},
		{"nl with diacritics", "Ik heb een vraag over de financiële afhandeling", "nl"},
		{"en question", "Where is my order? It should have arrived yesterday.", "en"},
		{"en complaint", "My packages have not arrived", "en"},
		{"en without stop words", "Thanks, great weather", "en"},
		{"en refund", "Please refund the damaged item", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.text); got != tt.want {
				t.Errorf("Detect(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}
