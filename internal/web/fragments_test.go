package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

func TestPanelFragment(t *testing.T) {
	f := newFixture(t)
	f.st.teams[12] = &desk.Team{ID: 12, Name: `<script>alert("team")</script>`}
	get := func(path string, a *desk.Agent) (int, string) {
		w := f.do(request(http.MethodGet, path, a, nil))
		return w.Code, w.Body.String()
	}

	code, body := get("/app/fragments/conversation-panel/40", f.bram)
	if code != http.StatusOK {
		t.Fatalf("status = %d, want 200", code)
	}
	for _, want := range []string{`data-panel="facts"`, `data-panel="manage"`, `chip--open`, `data-testid="resolve"`,
		`value="csrf-bram@example.nl"`, `data-testid="assign-me"`, `&lt;script&gt;alert(&#34;team&#34;)&lt;/script&gt;`} {
		if !strings.Contains(body, want) {
			t.Errorf("fragment lacks %s:\n%s", want, body)
		}
	}
	for _, not := range []string{"<html", `<script>alert`, `data-thread`} {
		if strings.Contains(body, not) {
			t.Errorf("fragment holds %s", not)
		}
	}

	// After a change elsewhere the fragment shows the new state.
	f.st.convs[40].Status, f.st.convs[40].AssigneeID, f.st.convs[40].Labels = desk.StatusResolved, 2, []string{"refund"}
	_, body = get("/app/fragments/conversation-panel/40", f.bram)
	for _, want := range []string{`chip--resolved`, `data-testid="reopen"`, `<option value="2" selected>`, `value="refund"`} {
		if !strings.Contains(body, want) {
			t.Errorf("fragment after the change lacks %s", want)
		}
	}
	if strings.Contains(body, `data-testid="assign-me"`) {
		t.Errorf("the assignee is offered to assign to himself")
	}

	for _, tc := range []struct {
		name string
		path string
		who  *desk.Agent
		want int
	}{
		{"missing", "/app/fragments/conversation-panel/999", f.anna, http.StatusNotFound},
		{"bad id", "/app/fragments/conversation-panel/x", f.anna, http.StatusNotFound},
		{"signed out", "/app/fragments/conversation-panel/40", nil, http.StatusUnauthorized},
	} {
		if code, _ := get(tc.path, tc.who); code != tc.want {
			t.Errorf("%s: status = %d, want %d", tc.name, code, tc.want)
		}
	}
}

func TestCountsFragment(t *testing.T) {
	f := newFixture(t)
	get := func() string {
		w := f.do(request(http.MethodGet, "/app/fragments/counts?view=unassigned", f.anna, nil))
		if w.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200", w.Code)
		}
		return w.Body.String()
	}
	body := get()
	if !strings.HasPrefix(body, `<nav class="tabs" data-tabs`) || strings.Contains(body, "<html") {
		t.Fatalf("fragment is not the tabs:\n%s", body)
	}
	if !strings.Contains(body, `<a href="/app?view=unassigned" aria-current="page">`) {
		t.Errorf("the filter's view is not current:\n%s", body)
	}
	const unassigned1 = `Niet toegewezen <span class="count">1</span>`
	if !strings.Contains(body, unassigned1) {
		t.Errorf("want %s in:\n%s", unassigned1, body)
	}
	c := *f.st.convs[42]
	c.ID = 43
	f.st.convs[43] = &c
	if body := get(); !strings.Contains(body, `Niet toegewezen <span class="count">2</span>`) {
		t.Errorf("after a new unassigned conversation:\n%s", body)
	}
}

func TestStatusOfIsTheSharedMapping(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"validation", desk.Invalid("x", "y"), http.StatusUnprocessableEntity},
		{"too large", desk.ErrTooLarge, http.StatusRequestEntityTooLarge},
		{"conflict", desk.ErrConflict, http.StatusConflict},
		{"rate limited", desk.ErrRateLimited, http.StatusTooManyRequests},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			q := &req{w: rec, r: request(http.MethodGet, "/app/x", f.anna, nil), agent: f.anna, locale: "en"}
			f.h.fail(q, tc.err)
			if rec.Code != tc.want {
				t.Errorf("status = %d, want %d", rec.Code, tc.want)
			}
			if strings.Contains(rec.Body.String(), "error.") {
				t.Errorf("page shows an untranslated key:\n%s", rec.Body)
			}
		})
	}
}
