package helpcenter

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/testenv"
)

// TestContactCasesSection checks the empty, hidden section that help.js
// fills with a chat visitor's questions: there only when a chat widget is,
// with everything the script needs in data attributes.
func TestContactCasesSection(t *testing.T) {
	f := newFixture(t, testenv.OpenSQLite)
	withoutWidget := f.get(t, "/help/nl/contact").body
	f.withContact(t)
	tests := []struct {
		name    string
		body    string
		want    []string
		notWant []string
	}{
		{name: "Dutch with a widget", body: f.get(t, "/help/nl/contact").body,
			want: []string{`<section id="cases" class="cases" aria-labelledby="cases-h" data-cases="/widget/api/cases" data-inbox="pk_chat"`,
				`data-months="januari,februari,maart,`, `data-t-title="Je vraag van {date}"`, `data-t-open="in behandeling"`,
				`data-t-pending="beantwoord"`, `data-t-resolved="afgerond"`, ` hidden>`, `<h2 id="cases-h">Je vragen</h2>`,
				`<ul class="case-list"></ul>`, `<button type="button" class="button" data-open-chat hidden>Verder in de chat</button>`}},
		{name: "English with a widget", body: f.get(t, "/help/en/contact?need=1").body,
			want: []string{`data-inbox="pk_chat"`, `data-t-title="Your question of {date}"`, `data-t-pending="answered"`,
				`<h2 id="cases-h">Your questions</h2>`, "Continue in the chat"}},
		{name: "no widget, no section", body: withoutWidget, want: []string{"<h1>Contact</h1>"},
			notWant: []string{`id="cases"`, "data-cases", "Je vragen"}},
		{name: "not on other pages", body: f.get(t, "/help/nl").body,
			notWant: []string{`id="cases"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, w := range tc.want {
				if !strings.Contains(tc.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(tc.body, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}
}

// TestContactCasesKeyIsEscaped feeds the section a hostile inbox key: it
// lands in an attribute and must stay there.
func TestContactCasesKeyIsEscaped(t *testing.T) {
	f := newFixture(t, testenv.OpenSQLite)
	d := f.deps()
	d.WidgetKey = func(context.Context) string { return `x"><script>alert(5)</script>` }
	h, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	f.mux = http.NewServeMux()
	h.Routes(f.mux)
	body := f.get(t, "/help/nl/contact").body
	if strings.Contains(body, "<script>alert(5)") || !strings.Contains(body, `data-inbox="x&#34;&gt;&lt;script&gt;alert(5)&lt;/script&gt;"`) {
		t.Errorf("hostile key not escaped in the cases section:\n%s", body)
	}
}
