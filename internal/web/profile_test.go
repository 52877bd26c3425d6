package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/auth"
	"github.com/balie-dev/balie/internal/desk"
)

func TestProfileAccess(t *testing.T) {
	f := newFixture(t)
	for _, who := range []*desk.Agent{f.anna, f.bram, f.carla} {
		w := f.do(request(http.MethodGet, "/app/profile", who, nil))
		if w.Code != http.StatusOK {
			t.Errorf("%s: status %d, want 200", who.Role, w.Code)
		}
	}
	if w := f.do(request(http.MethodGet, "/app/profile", nil, nil)); w.Code != http.StatusSeeOther ||
		!strings.HasPrefix(w.Header().Get("Location"), "/login") {
		t.Errorf("anonymous: %d to %q, want 303 to /login", w.Code, w.Header().Get("Location"))
	}
	// Every profile POST needs the session's CSRF token.
	for _, path := range []string{"/app/profile", "/app/profile/password", "/app/profile/tokens", "/app/profile/tokens/50/delete"} {
		form := url.Values{"name": {"X"}, "locale": {"en"}, "availability": {"away"}, "csrf_token": {"forged"}}
		if w := f.do(request(http.MethodPost, path, f.anna, form)); w.Code != http.StatusForbidden {
			t.Errorf("%s with a forged token: status %d, want 403", path, w.Code)
		}
	}
	if a, _ := f.st.AgentByID(t.Context(), 1); a.Name != "Anna Jansen" || len(f.st.tokens) != 3 {
		t.Errorf("a forged post changed something: agent %+v, %d tokens", a, len(f.st.tokens))
	}
	// The sidebar's user box links to the profile and shows availability.
	body := f.do(request(http.MethodGet, "/app", f.anna, nil)).Body.String()
	for _, s := range []string{`href="/app/profile"`, `presence--online`, `data-testid="availability">Online<`} {
		if !strings.Contains(body, s) {
			t.Errorf("sidebar lacks %q", s)
		}
	}
}

func TestProfileUpdate(t *testing.T) {
	tests := []struct {
		name      string
		form      url.Values
		wantFlash string
		want      desk.Agent // name, locale, availability after the post
	}{
		{"all three", url.Values{"name": {"  Anna de Vries "}, "locale": {"en"}, "availability": {"away"}},
			"ok|flash.saved|", desk.Agent{Name: "Anna de Vries", Locale: "en", Availability: desk.Away}},
		{"offline", url.Values{"name": {"Anna Jansen"}, "locale": {"nl"}, "availability": {"offline"}},
			"ok|flash.saved|", desk.Agent{Name: "Anna Jansen", Locale: "nl", Availability: desk.Offline}},
		{"no name", url.Values{"name": {" "}, "locale": {"nl"}, "availability": {"away"}},
			"error|flash.invalid|name", desk.Agent{Name: "Anna Jansen", Locale: "nl", Availability: desk.Online}},
		{"unknown language", url.Values{"name": {"Anna"}, "locale": {"de"}, "availability": {"away"}},
			"error|flash.invalid|locale", desk.Agent{Name: "Anna Jansen", Locale: "nl", Availability: desk.Online}},
		{"unknown availability", url.Values{"name": {"Anna"}, "locale": {"nl"}, "availability": {"busy"}},
			"error|flash.invalid|availability", desk.Agent{Name: "Anna Jansen", Locale: "nl", Availability: desk.Online}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.st.agents[1].PasswordHash = "keep-me"
			w := f.post(f.anna, "/app/profile", tc.form)
			if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/app/profile" {
				t.Fatalf("got %d to %q, want 303 to /app/profile", w.Code, w.Header().Get("Location"))
			}
			if got := flashOf(w); got != tc.wantFlash {
				t.Errorf("flash = %q, want %q", got, tc.wantFlash)
			}
			a, _ := f.st.AgentByID(t.Context(), 1)
			if a.Name != tc.want.Name || a.Locale != tc.want.Locale || a.Availability != tc.want.Availability {
				t.Errorf("agent = %q %q %q, want %q %q %q", a.Name, a.Locale, a.Availability,
					tc.want.Name, tc.want.Locale, tc.want.Availability)
			}
			if a.Role != desk.RoleAgent || a.PasswordHash != "keep-me" || !slices.Equal(a.TeamIDs, []int64{10}) {
				t.Errorf("other fields changed: %+v", a)
			}
			if ok := strings.HasPrefix(tc.wantFlash, "ok|"); ok != slices.Contains(f.auth.invalidated, 1) {
				t.Errorf("cached credentials dropped = %v, want %v", !ok, ok)
			}
		})
	}
}

func TestProfilePassword(t *testing.T) {
	fast := auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	current, err := auth.HashPasswordWith("old password 123", fast)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		form      url.Values
		wantFlash string
		wantHash  string // "" : unchanged
	}{
		{"good", url.Values{"current_password": {"old password 123"}, "password": {"new password 456"}, "password_again": {"new password 456"}},
			"ok|flash.password_set|", "set:new password 456"},
		{"wrong current", url.Values{"current_password": {"guess"}, "password": {"new password 456"}, "password_again": {"new password 456"}},
			"error|flash.wrong_password|", ""},
		{"no current", url.Values{"password": {"new password 456"}, "password_again": {"new password 456"}},
			"error|flash.wrong_password|", ""},
		{"repeat differs", url.Values{"current_password": {"old password 123"}, "password": {"new password 456"}, "password_again": {"new password 457"}},
			"error|flash.password_mismatch|", ""},
		{"too short", url.Values{"current_password": {"old password 123"}, "password": {"short"}, "password_again": {"short"}},
			"error|flash.invalid|password", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.st.agents[1].PasswordHash = current
			w := f.post(f.anna, "/app/profile/password", tc.form)
			if w.Code != http.StatusSeeOther {
				t.Fatalf("status = %d, want 303", w.Code)
			}
			if got := flashOf(w); got != tc.wantFlash {
				t.Errorf("flash = %q, want %q", got, tc.wantFlash)
			}
			want := tc.wantHash
			if want == "" {
				want = current
			}
			if a, _ := f.st.AgentByID(t.Context(), 1); a.PasswordHash != want {
				t.Errorf("password hash = %q, want %q", a.PasswordHash, want)
			}
		})
	}
}

func TestProfileTokens(t *testing.T) {
	f := newFixture(t)
	// Create: the plaintext is on this response and nowhere after.
	w := f.post(f.anna, "/app/profile/tokens", url.Values{"name": {"Zapier"}})
	if w.Code != http.StatusOK {
		t.Fatalf("create: status %d, want 200", w.Code)
	}
	m := regexp.MustCompile(`data-testid="new-token-value">([^<]+)<`).FindStringSubmatch(w.Body.String())
	if m == nil || !strings.HasPrefix(m[1], "blt_abcd-secret-") {
		t.Fatalf("the new token is not shown: %v", m)
	}
	if flashOf(w) != "" || w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("flash cookie %q, Cache-Control %q; want none and no-store", flashOf(w), w.Header().Get("Cache-Control"))
	}
	list := f.do(request(http.MethodGet, "/app/profile", f.anna, nil)).Body.String()
	if strings.Contains(list, m[1]) {
		t.Error("the token is shown again")
	}
	if !strings.Contains(list, "Zapier") || !strings.Contains(list, "blt_Xy12…") {
		t.Error("the list lacks the new token's name or an old token's prefix")
	}
	if strings.Contains(list, "Carla&#39;s token") || strings.Contains(list, "Carla's token") {
		t.Error("the list shows another agent's token")
	}
	// A token needs a name.
	if w := f.post(f.anna, "/app/profile/tokens", url.Values{"name": {"  "}}); flashOf(w) != "error|flash.invalid|name" {
		t.Errorf("nameless token: flash %q", flashOf(w))
	}

	// Revoke: only one's own.
	tests := []struct {
		name      string
		path      string
		wantFlash string
		wantGone  int64
		wantKept  int64
	}{
		{"another agent's token", "/app/profile/tokens/52/delete", "error|flash.not_found|", 0, 52},
		{"own token", "/app/profile/tokens/51/delete", "ok|flash.token_revoked|", 51, 50},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := f.post(f.anna, tc.path, nil)
			if w.Code != http.StatusSeeOther || flashOf(w) != tc.wantFlash {
				t.Errorf("got %d with flash %q, want 303 with %q", w.Code, flashOf(w), tc.wantFlash)
			}
			if _, ok := f.st.tokens[tc.wantGone]; tc.wantGone != 0 && ok {
				t.Errorf("token %d is still there", tc.wantGone)
			}
			if _, ok := f.st.tokens[tc.wantKept]; !ok {
				t.Errorf("token %d is gone", tc.wantKept)
			}
		})
	}
}
