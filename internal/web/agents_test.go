package web

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/balie-dev/balie/internal/desk"
)

// The admin pages and the profile create and change agents through Agents,
// so the rules are auth's, the same as the API's.
func TestAgentRulesAreAuths(t *testing.T) {
	long := strings.Repeat("n", 150) // web once allowed 200, auth allows 100
	tests := []struct {
		name      string
		who       func(f *fixture) *desk.Agent
		path      string
		form      url.Values
		wantFlash string
	}{
		{"create: name too long", func(f *fixture) *desk.Agent { return f.carla }, "/admin/agents",
			url.Values{"name": {long}, "email": {"e@example.nl"}, "role": {"agent"}, "locale": {"nl"}, "password": {"0123456789ab"}},
			"error|flash.invalid|name"},
		{"create: bad email", func(f *fixture) *desk.Agent { return f.carla }, "/admin/agents",
			url.Values{"name": {"E"}, "email": {"e@"}, "role": {"agent"}, "locale": {"nl"}, "password": {"0123456789ab"}},
			"error|flash.invalid|email"},
		{"create: short password", func(f *fixture) *desk.Agent { return f.carla }, "/admin/agents",
			url.Values{"name": {"E"}, "email": {"e@example.nl"}, "role": {"agent"}, "locale": {"nl"}, "password": {"short"}},
			"error|flash.invalid|password"},
		{"update: name too long", func(f *fixture) *desk.Agent { return f.carla }, "/admin/agents/1",
			url.Values{"name": {long}, "role": {"agent"}, "locale": {"nl"}}, "error|flash.invalid|name"},
		{"update: unknown locale", func(f *fixture) *desk.Agent { return f.carla }, "/admin/agents/1",
			url.Values{"name": {"Anna"}, "role": {"agent"}, "locale": {"de"}}, "error|flash.invalid|locale"},
		{"profile: name too long", func(f *fixture) *desk.Agent { return f.anna }, "/app/profile",
			url.Values{"name": {long}, "locale": {"nl"}, "availability": {"online"}}, "error|flash.invalid|name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			before, _ := f.st.ListAgents(t.Context())
			w := f.post(tc.who(f), tc.path, tc.form)
			if got := flashOf(w); got != tc.wantFlash {
				t.Errorf("flash = %q, want %q", got, tc.wantFlash)
			}
			if f.agents.creates+f.agents.updates != 1 {
				t.Errorf("Agents called %d times, want once", f.agents.creates+f.agents.updates)
			}
			after, _ := f.st.ListAgents(t.Context())
			if !slices.EqualFunc(before, after, func(a, b desk.Agent) bool {
				return a.ID == b.ID && a.Name == b.Name && a.Locale == b.Locale
			}) {
				t.Errorf("a refused change was stored: %+v", after)
			}
		})
	}
}

func TestAgentAndTeamsChangeTogether(t *testing.T) {
	form := url.Values{"name": {"Anna J."}, "role": {"supervisor"}, "locale": {"en"}, "team": {"11"}}
	t.Run("team write fails: agent change undone", func(t *testing.T) {
		f := newFixture(t)
		f.st.failSetTeams = errors.New("fake: disk full")
		w := f.post(f.carla, "/admin/agents/1", form)
		if got := flashOf(w); got != "error|flash.error|" {
			t.Errorf("flash = %q, want the generic error", got)
		}
		a, _ := f.st.AgentByID(t.Context(), 1)
		if a.Name != "Anna Jansen" || a.Role != desk.RoleAgent || a.Locale != "nl" || !slices.Equal(a.TeamIDs, []int64{10}) {
			t.Errorf("agent after a failed save = %+v, want it unchanged", a)
		}
	})
	t.Run("unknown team: nothing written", func(t *testing.T) {
		f := newFixture(t)
		bad := url.Values{"name": {"Anna J."}, "role": {"supervisor"}, "locale": {"en"}, "team": {"99"}}
		if got := flashOf(f.post(f.carla, "/admin/agents/1", bad)); got != "error|flash.invalid|team" {
			t.Errorf("flash = %q, want invalid team", got)
		}
		if a, _ := f.st.AgentByID(t.Context(), 1); a.Name != "Anna Jansen" || f.agents.updates != 0 {
			t.Errorf("agent = %+v after %d updates, want unchanged", a, f.agents.updates)
		}
	})
	t.Run("both saved", func(t *testing.T) {
		f := newFixture(t)
		if got := flashOf(f.post(f.carla, "/admin/agents/1", form)); got != "ok|flash.saved|" {
			t.Fatalf("flash = %q", got)
		}
		a, _ := f.st.AgentByID(t.Context(), 1)
		if a.Name != "Anna J." || a.Role != desk.RoleSupervisor || !slices.Equal(a.TeamIDs, []int64{11}) {
			t.Errorf("agent = %+v", a)
		}
		if len(f.signedOut) != 0 {
			t.Errorf("an enabled agent was signed out: %v", f.signedOut)
		}
	})
}

func TestSignedOutAgentsLoseTheirConnections(t *testing.T) {
	f := newFixture(t)
	f.post(f.carla, "/admin/agents/1", url.Values{"name": {"Anna"}, "role": {"agent"}, "locale": {"nl"}, "disabled": {"1"}})
	if !slices.Equal(f.signedOut, []int64{1}) {
		t.Errorf("after disabling: signed out %v, want [1]", f.signedOut)
	}
	f.post(f.bram, "/logout", url.Values{})
	if !slices.Equal(f.signedOut, []int64{1, 2}) {
		t.Errorf("after logout: signed out %v, want [1 2]", f.signedOut)
	}
}
